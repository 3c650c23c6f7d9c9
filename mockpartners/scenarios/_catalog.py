"""Every named scenario: what it changes, what a client should show, and its parameters.

Scenarios reproduce, on purpose, the errors the partners' guides describe (and generic network and disk
faults). Which ones a partner offers follows from its profile: key ones where an endpoint uses SSH keys,
certificate ones where one uses TLS, FTP ones for FTP endpoints, answer ones when the partner picks up
requests, Lucca's account ones where accounts log in by password, may use several connection types or have
remote folders.
"""

from __future__ import annotations

from collections.abc import Callable

from ..model._schema import Credential, FtpsEndpoint, Profile, login_methods
from ..model._types import Right
from ._aireppnet import AIREPPNET_SPECS
from ._gateway import GATEWAY_SPECS
from ._pecoto import PECOTO_SPECS
from ._spec import Parameter, ScenarioSpec
from ._tedeco import TEDECO_SPECS
from .names import (
    ACCOUNT_EDITED,
    ADDRESS_NOT_ALLOWLISTED,
    ANSWERS_LATE,
    BANDWIDTH,
    CLIENT_CERTIFICATE_EXPIRED,
    CLIENT_CERTIFICATE_UNTRUSTED,
    CLIENT_CERTIFICATE_WRONG_CN,
    CONNECTION_TYPE_REFUSED,
    DISCONNECT_AFTER_BYTES,
    DISK_FULL,
    FAIL_NTH_WRITE,
    FAIL_WRITES,
    FIREWALL_DROP,
    HOST_KEY_CHANGED,
    LATENCY,
    NO_PUBLICKEY,
    PASSIVE_PORT_CLOSED,
    PASSWORD_REFUSED,
    PORT_CLOSED,
    PROT_C_REFUSED,
    REFUSE_KEYS,
    REJECT_REQUESTS,
    REMOTE_FOLDER_MISSING,
    RENAME_REFUSED,
    RESTART_MID_TRANSFER,
    SERVER_CERTIFICATE_EXPIRED,
    SERVER_CERTIFICATE_RENEWED,
    SERVER_CERTIFICATE_UNTRUSTED,
    SESSION_REUSE_REQUIRED,
    SETSTAT_REFUSED,
    TLS_BELOW_MINIMUM,
    TLS_MODES_SWAPPED,
)

__all__ = ["CATALOG", "Parameter", "ScenarioSpec"]


def _inbox_lacks(right: str) -> Callable[[Profile], bool]:
    """On by default where an upload folder lacks ``right`` (ONSS's IN lacks rename): the inboxes, else the
    accounts' remote folders a client writes to (Lucca's import folders: rename, no setstat), else all."""

    def check(profile: Profile) -> bool:
        return any(right not in rights for rights in _upload_rights(profile))

    return check


def _upload_rights(profile: Profile) -> list[tuple[Right, ...]]:
    inboxes = profile.inbox_folders()
    if inboxes:
        return [profile.folder_rule(folder).rights for folder in inboxes]
    remote = [folder.granted() for account in profile.accounts for folder in account.remote_folders]
    writable = [rights for rights in remote if "write" in rights]
    return writable or [profile.folder_rule(folder).rights for folder in profile.folders]


def _endpoint_says(attribute: str) -> Callable[[Profile], bool]:
    """On by default where an endpoint's setting says so (``session_reuse_required: true``...)."""

    def check(profile: Profile) -> bool:
        return any(bool(getattr(endpoint, attribute, False)) for endpoint in profile.endpoints.values())

    return check


def _password_logins(profile: Profile) -> bool:
    """An endpoint where accounts log in by password (Lucca: "un identifiant (login), un mot de passe")."""
    return any("password" in login_methods(endpoint) for endpoint in profile.endpoints.values())


def _connection_types(profile: Profile) -> bool:
    """Several endpoints an account may be allowed or not (Lucca's "types de connexions autorisées")."""
    return len(profile.endpoints) > 1


def _remote_folders(profile: Profile) -> bool:
    """Accounts with remote folders ("dossiers distants"), declared or given by a preset."""
    presets = profile.presets.values()
    return any(account.remote_folders for account in profile.accounts) or any(
        preset.remote_folders for preset in presets
    )


_DAY = 86400
_SSH: frozenset[Credential] = frozenset({"ssh"})
_TLS: frozenset[Credential] = frozenset({"tls"})
_FTP = (FtpsEndpoint,)
_ANY_ACCOUNT = Parameter("account", "", "an account's user name (empty: every account)")

_SPECS = [
    # -- any protocol: the port ---------------------------------------------------------------------------
    ScenarioSpec(
        PORT_CLOSED,
        "nothing listens on the partner's ports",
        "connection refused (WinSCP: 'Network error: Connection refused'; guide 4.2)",
    ),
    ScenarioSpec(
        FIREWALL_DROP,
        "connections are accepted by nobody, as behind a firewall that drops them",
        "a timeout, no greeting (OpenSSH: 'Connection timed out during banner exchange')",
    ),
    # -- SSH ----------------------------------------------------------------------------------------------
    ScenarioSpec(
        HOST_KEY_CHANGED,
        "the SFTP server presents another host key",
        "OpenSSH: 'REMOTE HOST IDENTIFICATION HAS CHANGED'; WinSCP: a changed-key warning",
        needs=_SSH,
    ),
    ScenarioSpec(
        REFUSE_KEYS,
        "every public key is refused, the right one included",
        "'Server refused our key', then a password prompt (guide 4.3.2)",
        needs=_SSH,
    ),
    ScenarioSpec(
        NO_PUBLICKEY,
        "public-key authentication is not offered at all",
        "a password prompt without 'Server refused our key' (guide 4.3.3)",
        needs=_SSH,
    ),
    # -- folder rights ------------------------------------------------------------------------------------
    ScenarioSpec(
        RENAME_REFUSED,
        "RENAME is refused in the upload folders (status 3, FTP 550)",
        "WinSCP: 'Permission denied ... Request code: 18', NAME.filepart left behind (guide 4.4)",
        default_on=_inbox_lacks("rename"),
    ),
    ScenarioSpec(
        SETSTAT_REFUSED,
        "SETSTAT/FSETSTAT (MFMT) are refused in the upload folders",
        "WinSCP: 'Permission denied ... Request code: 9'; the file is processed all the same (4.5)",
        default_on=_inbox_lacks("setstat"),
    ),
    # -- partner-side -------------------------------------------------------------------------------------
    ScenarioSpec(
        ANSWERS_LATE,
        "answers come late",
        "the answer file appears only after the delay",
        needs_processor="pickup",
        parameters=(Parameter("delay", "15m", "how late, e.g. 15m or 2h", 0, 365 * _DAY, duration=True),),
    ),
    ScenarioSpec(
        REJECT_REQUESTS,
        "every request is rejected by the partner",
        "a rejection (or invalid) answer instead of an acknowledgement",
        needs_processor="pickup",
        parameters=(Parameter("reason", "the request was rejected by the partner", "the reason given"),),
    ),
    # -- TLS: server certificate --------------------------------------------------------------------------
    ScenarioSpec(
        SERVER_CERTIFICATE_UNTRUSTED,
        "the server presents a certificate from an unknown CA",
        "curl: 'SSL certificate problem: unable to get local issuer certificate'; WinSCP: warning",
        needs=_TLS,
    ),
    ScenarioSpec(
        SERVER_CERTIFICATE_RENEWED,
        "the server presents a renewed certificate under a new issuing CA",
        "clients trusting the root go on; clients that pinned the old certificate fail",
        needs=_TLS,
    ),
    ScenarioSpec(
        SERVER_CERTIFICATE_EXPIRED,
        "the server presents an expired certificate",
        "curl: 'SSL certificate problem: certificate has expired'",
        needs=_TLS,
    ),
    # -- TLS: client certificate --------------------------------------------------------------------------
    ScenarioSpec(
        CLIENT_CERTIFICATE_EXPIRED,
        "every client certificate is refused as expired",
        "the TLS handshake fails with 'certificate expired'",
        needs=_TLS,
    ),
    ScenarioSpec(
        CLIENT_CERTIFICATE_WRONG_CN,
        "every login is refused as if the CN did not match the user name",
        "'530 Login incorrect.'",
        needs=_TLS,
    ),
    ScenarioSpec(
        CLIENT_CERTIFICATE_UNTRUSTED,
        "every client certificate is refused as issued by an unknown CA",
        "the TLS handshake fails with 'unknown ca'",
        needs=_TLS,
    ),
    ScenarioSpec(
        ADDRESS_NOT_ALLOWLISTED,
        "every client address is refused, as if not on the allowlist",
        "the connection closes before the greeting",
        endpoints=_FTP,
    ),
    ScenarioSpec(
        TLS_BELOW_MINIMUM,
        "the server's minimum TLS version is raised (to 1.3)",
        "a client limited to an older TLS version fails the handshake with 'protocol version'",
        needs=_TLS,
        parameters=(
            Parameter("minimum", "1.3", "the minimum TLS version", choices=("1.0", "1.1", "1.2", "1.3")),
        ),
    ),
    ScenarioSpec(
        PROT_C_REFUSED,
        "transfers without PROT P are refused",
        "'522 SSL/TLS required on the data channel.'",
        endpoints=_FTP,
        default_on=_endpoint_says("protected_data"),
    ),
    ScenarioSpec(
        TLS_MODES_SWAPPED,
        "each FTPS port serves the other TLS mode: explicit where implicit belongs, and the other way round",
        "as at the wrong kind of port: FTPS (implicit) clients fail the handshake ('wrong version number'), "
        "FTPES clients wait for a greeting until the server closes",
        endpoints=_FTP,
    ),
    ScenarioSpec(
        PASSIVE_PORT_CLOSED,
        "PASV and EPSV announce a port of the range where nothing listens",
        "curl: 'Failed to connect'; lftp: retries; ftplib: ConnectionRefusedError",
        endpoints=_FTP,
    ),
    ScenarioSpec(
        SESSION_REUSE_REQUIRED,
        "data connections must resume the control connection's TLS session",
        "'522 SSL connection failed: session reuse required' for clients that do not",
        endpoints=_FTP,
        default_on=_endpoint_says("session_reuse_required"),
    ),
    # -- accounts and remote folders (Lucca's "Compte", "Dossier distant") -----------------------------------
    ScenarioSpec(
        PASSWORD_REFUSED,
        "the account's right password is refused as wrong",
        "SSH: the password asked again, then 'Permission denied'; FTP: '530 Login incorrect.'",
        offered=_password_logins,
        parameters=(_ANY_ACCOUNT,),
    ),
    ScenarioSpec(
        CONNECTION_TYPE_REFUSED,
        "the account is refused on a connection type it may use, as if it were not among its allowed types",
        "SSH: 'Permission denied', keys and password alike; FTP: '530 Login incorrect.'",
        offered=_connection_types,
        parameters=(
            Parameter(
                "endpoint",
                "",
                "the connection type refused: an endpoint's name (by default the partner's first)",
                profile_default=lambda profile: next(iter(profile.endpoints)),
            ),
            _ANY_ACCOUNT,
        ),
    ),
    ScenarioSpec(
        ACCOUNT_EDITED,
        "the account is edited as in Lucca's module: a new password, or connection types taken away",
        "a new login with the old password (or over a type taken away) is refused; a live session goes on",
        offered=lambda profile: _password_logins(profile) or _connection_types(profile),
        parameters=(
            Parameter("account", "", "the account (empty: the first one the edit applies to)"),
            Parameter("what", "password", "what is edited", choices=("password", "connection-types")),
            Parameter("endpoint", "", "connection-types: the type taken away (empty: all but its first one)"),
            Parameter("cut_sessions", False, "whether live sessions are cut (the default: they go on)"),
        ),
    ),
    ScenarioSpec(
        REMOTE_FOLDER_MISSING,
        "a remote folder is not on the server (its files are kept aside and come back with it)",
        "SFTP: 'No such file or directory'; FTP: '550 No such file or directory.'",
        offered=_remote_folders,
        parameters=(
            Parameter("folder", "import", "a remote folder's path, its name, or a use (import, export...)"),
            _ANY_ACCOUNT,
        ),
    ),
    # -- generic faults -----------------------------------------------------------------------------------
    ScenarioSpec(
        LATENCY,
        "every reply is delayed",
        "slow but working sessions",
        parameters=(Parameter("ms", 200, "delay per reply, in milliseconds", 0, 600_000),),
    ),
    ScenarioSpec(
        BANDWIDTH,
        "transfers are capped",
        "slow transfers",
        parameters=(Parameter("bytes_per_second", 65536, "the cap", 1024, 2**30),),
    ),
    ScenarioSpec(
        DISCONNECT_AFTER_BYTES,
        "the connection is cut once a transfer has moved N bytes",
        "a transfer aborted halfway: 'Connection reset' / 'connection lost'",
        parameters=(Parameter("bytes", 65536, "bytes transferred before the cut", 1, 2**40),),
    ),
    ScenarioSpec(
        FAIL_NTH_WRITE,
        "the Nth write (SFTP WRITE, FTP STOR) fails",
        "SFTP 'Failure' (status 4); FTP '451 Requested action aborted: local error in processing'",
        parameters=(Parameter("n", 1, "which write fails, counted from the scenario's start", 1, 10**9),),
    ),
    ScenarioSpec(
        FAIL_WRITES,
        "writes fail at random, repeatably",
        "occasional write failures, same run after run",
        parameters=(
            Parameter("probability", 0.1, "chance that a write fails", 0, 1),
            Parameter("seed", 1, "seed of the random sequence", 0, 2**63 - 1),
        ),
    ),
    ScenarioSpec(
        DISK_FULL,
        "the partner's disk is full",
        "SFTP 'Failure' (no space on filesystem); FTP '452 Insufficient storage space'",
    ),
    ScenarioSpec(
        RESTART_MID_TRANSFER,
        "the server restarts once a transfer has moved N bytes",
        "every connection is cut; reconnecting works",
        parameters=(Parameter("bytes", 65536, "bytes", 1, 2**40),),
    ),
]

CATALOG: dict[str, ScenarioSpec] = {
    spec.name: spec for spec in [*_SPECS, *GATEWAY_SPECS, *TEDECO_SPECS, *AIREPPNET_SPECS, *PECOTO_SPECS]
}
