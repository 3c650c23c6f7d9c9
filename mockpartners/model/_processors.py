"""What a partner does on its own side, as data: processor specs, one per kind, and their cross-checks.

A profile lists its processors under ``processors:``, each a mapping with a ``kind`` (the registry in
:mod:`mockpartners.processors` builds the processor of each kind). Two forms stay valid because every
profile written so far uses them: ``pickup:`` is one pickup processor, and a folder with a ``retention``
implies a retention processor that runs every ``retention_check``. Later partners add kinds here (the XFB
gateway's file states, INSEE's TEDECO spool, mail notifications) without touching the partner.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Literal, get_args

from pydantic import ByteSize, Field, field_validator, model_validator

from ._records import Records
from ._remote_folders import RemoteFolderUse
from ._tedeco import TedecoSpool
from ._types import DurationField, IntervalField, Location, Model, PatternField, dotted
from .duration import Duration

if TYPE_CHECKING:
    from ._access import Account
    from ._schema import Profile

__all__ = [
    "PROCESSOR_KINDS",
    "TEMPLATE_VARIABLES",
    "AnswerTemplate",
    "Answers",
    "CustomerServerExchange",
    "DepositMails",
    "Deposits",
    "Export",
    "FileStates",
    "IntakeMails",
    "MailIntake",
    "MailTemplate",
    "Pickup",
    "ProcessorSpec",
    "Retention",
    "TedecoSpool",
    "answer_folder_errors",
    "declared_processors",
    "processor_errors",
    "processor_specs",
]

TEMPLATE_VARIABLES = frozenset(
    {
        "name",
        "stem",
        "suffix",
        "account",
        "folder",
        "answer_folder",
        "partner",
        "received_at",
        "processed_at",
        "date",
        "time",
        "size",
        "sha256",
        "request_id",
        "reason",
        "lines",
        "accepted_lines",
        "rejected_lines",
        "rejections",
    }
)


def templated(text: str, known: frozenset[str]) -> str:
    """``text`` if it is a well-formed ``${name}`` template using only ``known`` variables."""
    template = string.Template(text)
    if not template.is_valid():
        raise ValueError("malformed ${...} placeholder (write $$ for a literal dollar)")
    unknown = set(template.get_identifiers()) - known
    if unknown:
        raise ValueError(
            f"unknown variable(s) {', '.join(sorted(unknown))}; known: {', '.join(sorted(known))}"
        )
    return text


class AnswerTemplate(Model):
    """Name and content of a file the partner writes, with ``${name}``-style variables."""

    name: str = Field(min_length=1)
    content: str

    @field_validator("name", "content")
    @classmethod
    def _known_variables(cls, text: str) -> str:
        return templated(text, TEMPLATE_VARIABLES)


class Answers(Model):
    accepted: AnswerTemplate
    rejected: AnswerTemplate | None = None
    invalid: AnswerTemplate | None = None


class Pickup(Model):
    """How the partner picks up requests from inboxes and answers them, whatever the protocol."""

    kind: Literal["pickup"] = "pickup"
    inboxes: dict[str, str] = {}
    """Inbox folder -> answer folder, in every home."""
    remote_folders: dict[RemoteFolderUse, RemoteFolderUse] = {}
    """Use -> use, per account: its remote folders of the first use are inboxes, answered in its first
    remote folder of the second (Lucca: ``{import: reports}``)."""
    name_pattern: PatternField = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"
    temporary_suffixes: tuple[str, ...] = (".filepart", ".part", ".partial", ".tmp")
    unmatched: Literal["reject", "ignore"] = "reject"
    rejection_reason: str = "incorrect file name"
    direct_uploads: Literal["allowed", "violation", "harsh"] = "allowed"
    copy_to: str | None = None
    after_pickup: Literal["remove", "keep"] = "remove"
    repeated_answers: Literal["number", "replace"] = "number"
    """A request sent again before its answer was fetched: "number" keeps the first answer and names the
    new one NAME.2.EXT (then .3...); "replace" overwrites it."""
    delay: DurationField = Duration()
    records: Records | None = None
    """What the partner checks inside the files it takes (none: only their names); the answer counts the
    lines accepted and rejected (``${accepted_lines}``, ``${rejected_lines}``, ``${rejections}``)."""
    answers: Answers

    @model_validator(mode="after")
    def _some_inbox(self) -> Pickup:
        if not self.inboxes and not self.remote_folders:
            raise ValueError(
                "a pickup needs inboxes (folders of every home: {IN: OUT}) or remote_folders (uses of the "
                "accounts' remote folders: {import: reports})"
            )
        return self

    def inbox_folders(self) -> tuple[str, ...]:
        """The folders whose arriving files this processor takes: the upload folders."""
        return tuple(self.inboxes)


class Retention(Model):
    """The partner deletes files older than their folder's ``retention``, on the virtual clock."""

    kind: Literal["retention"] = "retention"
    check: IntervalField | None = None
    """How often (virtual time) it runs; none: the profile's ``retention_check``."""

    def inbox_folders(self) -> tuple[str, ...]:
        return ()


class Export(Model):
    """The partner drops files for the client to fetch (Lucca's exports: absences for payroll), on the
    virtual clock every ``every``, or on demand (``mockpartners export``, the admin API)."""

    kind: Literal["export"] = "export"
    folders: tuple[str, ...] = ()
    """Folders of every home it drops into."""
    remote_folders: tuple[RemoteFolderUse, ...] = ()
    """Per account: its remote folders of these uses (Lucca: ``[export]``)."""
    file: AnswerTemplate
    """The file's name and content (variables: date, time, account, folder, partner, processed_at)."""
    every: IntervalField | None = None
    """How often (virtual time); none: only on demand."""

    @model_validator(mode="after")
    def _somewhere(self) -> Export:
        if not self.folders and not self.remote_folders:
            raise ValueError("an export needs folders (of every home) or remote_folders (uses: [export])")
        return self

    def inbox_folders(self) -> tuple[str, ...]:
        return ()


class CustomerServerExchange(Model):
    """Lucca's "Serveur client": the partner connects to the servers its customers host (accounts with a
    ``server``), drops there what its exports make and fetches what it imports, answering each import in the
    account's reports folder there, as its pickups do at home; every ``every`` of virtual time, or on demand
    (``mockpartners exchange``, the admin API)."""

    kind: Literal["customer-server"] = "customer-server"
    every: IntervalField | None = None
    """How often (virtual time); none: only on demand."""
    push: tuple[RemoteFolderUse, ...] = ("export",)
    """Remote folders (by use) where the files of the profile's exports go."""
    pull: tuple[RemoteFolderUse, ...] = ("import",)
    """Remote folders (by use) the partner fetches from, then imports as the pickup of that use does."""
    max_import_size: ByteSize = ByteSize(64 * 2**20)
    """A larger file there is left alone (journalled ``partner.skip``): the partner reads imports whole."""

    def inbox_folders(self) -> tuple[str, ...]:
        return ()


MAIL_VARIABLES = frozenset(
    {
        "name",
        "account",
        "organisation",
        "reference",
        "site",
        "scenario",
        "date",
        "time",
        "local_ident",
        "partner",
        "subject",
        "message_id",
        "size",
        "reason",
        "mail",
    }
)


class MailTemplate(Model):
    """A notification mail: its subject and text, with ``${name}``-style variables."""

    subject: str = Field(min_length=1)
    body: str

    @field_validator("subject", "body")
    @classmethod
    def _known_variables(cls, text: str) -> str:
        return templated(text, MAIL_VARIABLES)


class DepositMails(Model):
    """The XFB gateway's mails to the ordonnateur about its deposits (TASK Collectivités' guide, D/6)."""

    accepted: MailTemplate
    not_authorised: MailTemplate
    missing: MailTemplate


class Deposits(Model):
    """What the partner does with a deposit (the XFB gateway): the (application reference, destination
    site) pair must be one of the account's ``applications``; either way the ordonnateur gets a mail, and a
    transfer of an empty file gets one too."""

    kind: Literal["deposits"] = "deposits"
    folder: str = "depots"
    sender: str = Field(default="xfb-gateway@dgfip.example", pattern=r"^[^@\s]+@[^@\s]+$")
    mails: DepositMails

    def inbox_folders(self) -> tuple[str, ...]:
        return ()


class FileStates(Model):
    """Files the partner makes available in ``folder`` have a state (the XFB gateway): B, to fetch; T,
    fetched whole; E, asked for again after it was fetched (a double click in a browser), refused until it
    is made available again (the S.A.U.'s "remise à disposition": the admin API, the CLI)."""

    kind: Literal["file-states"] = "file-states"
    folder: str = "retours"
    first_local_ident: int = Field(default=62899, ge=1)
    """The gateway's ``local_ident`` of the first file (then one more per file); the guide shows 62899."""
    sender: str = Field(default="xfb-gateway@dgfip.example", pattern=r"^[^@\s]+@[^@\s]+$")
    available_mail: MailTemplate | None = None
    """The notice mailed to the account when a file is made available (the guide's "Avis de mise à
    disposition"); none: no mail."""

    def inbox_folders(self) -> tuple[str, ...]:
        return ()


class IntakeMails(Model):
    """The bureau's answers by mail (INSEE's PECOTO): an acknowledgement, and a refusal of what SMTP took
    but the bureau cannot (no file, several files)."""

    accepted: MailTemplate
    refused: MailTemplate


class MailIntake(Model):
    """What the partner does with a mail its SMTP endpoint took: the mail lands in the account's
    ``folder``; its one attachment is taken into ``files`` and acknowledged by mail; a mail with none or
    several is refused by mail (the bureau reads its mail, it does not bounce it)."""

    kind: Literal["mail-intake"] = "mail-intake"
    folder: str = "courriers"
    files: str = "fichiers"
    sender: str = Field(default="pecoto@insee.example", pattern=r"^[^@\s]+@[^@\s]+$")
    mails: IntakeMails

    def inbox_folders(self) -> tuple[str, ...]:
        return (self.folder,)


ProcessorSpec = Annotated[
    Pickup | Retention | Export | CustomerServerExchange | FileStates | Deposits | TedecoSpool | MailIntake,
    Field(discriminator="kind"),
]
PROCESSOR_KINDS: tuple[str, ...] = tuple(
    model.model_fields["kind"].default for model in get_args(get_args(ProcessorSpec)[0])
)
"""The kinds a profile may declare (each spec's ``kind``), in the order of the union above."""


def declared_processors(profile: Profile) -> list[tuple[Location, ProcessorSpec]]:
    """The processors the profile writes out, each with where it is written (``pickup`` or
    ``processors[i]``)."""
    declared: list[tuple[Location, ProcessorSpec]] = []
    if profile.pickup is not None:
        declared.append((("pickup",), profile.pickup))
    declared += [(("processors", index), spec) for index, spec in enumerate(profile.processors)]
    return declared


def processor_specs(profile: Profile) -> tuple[ProcessorSpec, ...]:
    """Every processor the partner runs: the declared ones, then the retention that folders with a
    ``retention`` imply when none is declared (so a profile that only gives retentions keeps working)."""
    specs = [spec for _, spec in declared_processors(profile)]
    declared_retention = any(isinstance(spec, Retention) for spec in specs)
    if not declared_retention and any(folder.retention is not None for folder in profile.folders.values()):
        specs.append(Retention())
    return tuple(specs)


def processor_errors(profile: Profile) -> Iterable[tuple[Location, str]]:
    """Problems no single spec shows: folders a spec names that the profile lacks, an inbox two pickups
    take, a second retention, a retention with nothing to delete."""
    takers: dict[str, Location] = {}
    retention: Location | None = None
    for location, spec in declared_processors(profile):
        if isinstance(spec, Pickup):
            yield from _pickup_errors(profile, location, spec, takers)
        elif isinstance(spec, Deposits | FileStates):
            yield from _undeclared(profile, [((*location, "folder"), spec.folder)])
        elif isinstance(spec, TedecoSpool):
            yield from _undeclared(profile, [((*location, "spaces"), name) for name in spec.named_folders()])
        elif isinstance(spec, Export):
            yield from _undeclared(
                profile, [((*location, "folders", i), name) for i, name in enumerate(spec.folders)]
            )
        elif not isinstance(spec, Retention):
            continue
        elif retention is not None:
            yield location, f"a second retention processor ({dotted(retention)} sweeps every folder already)"
        else:
            retention = location
            if all(folder.retention is None for folder in profile.folders.values()):
                yield location, "a retention processor with nothing to delete: no folder has a retention"


def _pickup_errors(
    profile: Profile, location: Location, spec: Pickup, takers: dict[str, Location]
) -> Iterable[tuple[Location, str]]:
    for inbox, answer_folder in spec.inboxes.items():
        yield from _undeclared(
            profile, [((*location, "inboxes", inbox), name) for name in (inbox, answer_folder)]
        )
        taker = takers.setdefault(inbox, location)
        if taker != location:
            yield (
                (*location, "inboxes", inbox),
                f"inbox {inbox!r} is picked up twice, here and at {dotted((*taker, 'inboxes', inbox))}"
                " (one pickup per inbox)",
            )
    if spec.copy_to is not None:
        yield from _undeclared(profile, [((*location, "copy_to"), spec.copy_to)])


def _undeclared(profile: Profile, named: Iterable[tuple[Location, str]]) -> Iterable[tuple[Location, str]]:
    """The folders a spec names (each where it names it) that the profile does not declare."""
    for location, folder in named:
        if folder not in profile.folders:
            yield location, f"folder {folder!r} is not declared under folders"


def answer_folder_errors(profile: Profile, account: Account) -> Iterable[tuple[Location, str]]:
    """An account with an inbox remote folder (by its use) but none where its pickup answers."""
    uses = {folder.use for folder in account.remote_folders}
    for location, spec in declared_processors(profile):
        if not isinstance(spec, Pickup):
            continue
        for inbox_use, answer_use in spec.remote_folders.items():
            if inbox_use in uses and answer_use not in uses:
                yield (
                    ("remote_folders",),
                    f"an {inbox_use} folder needs a {answer_use} folder: {dotted(location)} answers there",
                )
