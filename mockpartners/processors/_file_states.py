"""File states (the XFB gateway): what the treasury makes available is in state B, with a ``local_ident``;
a whole download moves it to T; asking for it again after that (a double click: TASK Collectivités' guide,
B/3, "Pas de double clic, sinon votre fichier passera en état « E » et vous devrez appeler votre S.A.U.
pour remise à disposition") moves it to E, where it is refused until it is made available again (B).

A file dropped into the states' folder of a home (by the partner: ``mockpartners drop``, the admin API,
``partner.publish``) becomes B; every change is a ``partner.state`` event. The states are kept in the
partner's desk (one JSON file per account, written atomically), so a restart keeps them.
"""

from __future__ import annotations

import json
import posixpath
import threading
from pathlib import Path
from typing import Any

from ..infra.atomic import write_atomically
from ..infra.journal import Event
from ..model.loading import FileStates
from ..ports.context import ProcessorContext
from ..ports.file_states import Available, FetchDecision
from ..ports.stateful_files import FileState
from ..scenarios import names
from ._base import BaseProcessor
from ._mails import send_notice

__all__ = ["FileStatesProcessor"]

_IN_E = "file in state E: call your S.A.U. to make it available again"


class FileStatesProcessor(BaseProcessor):
    def __init__(self, context: ProcessorContext, spec: FileStates) -> None:
        self.context = context
        self.spec = spec
        self._lock = threading.Lock()

    # -- arrivals ---------------------------------------------------------------------------------------

    def watches(self, username: str, relative_path: str) -> bool:
        return posixpath.dirname(relative_path) == self.spec.folder

    def file_arrived(self, username: str, relative_path: str, event: Event) -> None:
        name = posixpath.basename(relative_path)
        with self._lock:
            states = self._load(username)
            ident = self._next_ident(states)
            states[name] = {"state": "B", "local_ident": ident}
            self._save(username, states)
        self._record(username, name, "B", ident, ref=event.id)
        if self.spec.available_mail is not None:
            send_notice(self.context, self.spec.available_mail, self.spec.sender, username, name=name,
                        local_ident=ident)  # fmt: skip

    def forget(self) -> None:
        """After a reset the files are gone, and so are their states."""
        with self._lock:
            for path in self._folder().glob("*.json"):
                path.unlink(missing_ok=True)

    # -- the port the admin API asks (ports/stateful_files.py) -----------------------------------------

    state_kind = "xfb"

    @property
    def state_folders(self) -> tuple[str, ...]:
        return (self.spec.folder,)

    def file_states(self, username: str) -> list[FileState]:
        """Every file the account was given, in the order it was made available, with its state."""
        return [
            FileState(
                kind="xfb",
                name=name,
                path=f"{self.spec.folder}/{name}",
                state=str(entry["state"]),
                details={"local_ident": int(entry["local_ident"])},
            )
            for name, entry in self.states(username).items()
        ]

    # -- the port the HTTP adapter asks -----------------------------------------------------------------

    def states(self, username: str) -> dict[str, dict[str, Any]]:
        """Every file the account was given and its state (``state``, ``local_ident``), by name."""
        with self._lock:
            return self._load(username)

    def available(self, username: str) -> list[Available]:
        with self._lock:
            states = self._load(username)
        home = self.context.tree.home(username).root / self.spec.folder
        found = [
            Available(name, int(entry["local_ident"]))
            for name, entry in states.items()
            if entry["state"] == "B" and (home / name).is_file()
        ]
        return sorted(found, key=lambda item: item.local_ident)

    def fetch(self, username: str, name: str, local_ident: int) -> FetchDecision:
        with self._lock:
            states = self._load(username)
            entry = states.get(name)
            if entry is None or int(entry["local_ident"]) != local_ident:
                return FetchDecision(refusal=f"no file {name} with local_ident {local_ident}")
            state = str(entry["state"])
            if state == "B" and self.context.scenarios.active(names.DOUBLE_CLICK_TO_E) is not None:
                state = "T"  # scenario double-click-to-e: as if this were the second click
            if state == "T":  # already fetched: asked again, as a double click does
                entry["state"] = "E"
                self._save(username, states)
        if state == "T":
            self._record(username, name, "E", local_ident, reason="asked for again after it was fetched")
        if state in ("T", "E"):
            return FetchDecision(refusal=_IN_E, state="E")
        return FetchDecision(path=f"{self.spec.folder}/{name}")

    def fetched(self, username: str, name: str, local_ident: int, *, complete: bool) -> None:
        if not complete:
            return
        with self._lock:
            states = self._load(username)
            entry = states.get(name)
            if entry is None or entry["state"] != "B":
                return
            entry["state"] = "T"
            self._save(username, states)
        self._record(username, name, "T", local_ident)

    def make_available(self, username: str, name: str) -> Event:
        """The S.A.U.'s "remise à disposition": the file back in state B (whatever its state)."""
        with self._lock:
            states = self._load(username)
            entry = states.get(name)
            if entry is None:
                known = ", ".join(sorted(states)) or "none"
                raise KeyError(f"{name!r} is not a file made available to {username} (known: {known})")
            entry["state"] = "B"
            self._save(username, states)
        return self._record(username, name, "B", int(entry["local_ident"]), reason="made available again")

    # -- storage ----------------------------------------------------------------------------------------

    def _folder(self) -> Path:
        return self.context.spool / "file-states"

    def _load(self, username: str) -> dict[str, dict[str, Any]]:
        try:
            loaded: dict[str, dict[str, Any]] = json.loads((self._folder() / f"{username}.json").read_text())
        except FileNotFoundError:
            return {}
        return loaded

    def _save(self, username: str, states: dict[str, dict[str, Any]]) -> None:
        folder = self._folder()
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        write_atomically(folder / f"{username}.json", json.dumps(states).encode())

    def _next_ident(self, states: dict[str, dict[str, Any]]) -> int:
        used = [int(entry["local_ident"]) for entry in states.values()]
        return max(used, default=self.spec.first_local_ident - 1) + 1

    def _record(self, username: str, name: str, state: str, ident: int, **detail: Any) -> Event:
        path = f"{self.spec.folder}/{name}"
        return self.context.journal.record(
            "partner.state", account=username, path=path, state=state, local_ident=ident, **detail
        )
