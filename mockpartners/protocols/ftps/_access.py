"""pyftpdlib's two access hooks, mapped to the partner's storage: the filesystem view and the authorizer.

Paths go through :meth:`Home.resolve` (no escape through ``..`` or symlinks, no impossible names) and
every right comes from the profile's folders, exactly as for SFTP.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

from pyftpdlib.authorizers import AuthenticationFailed
from pyftpdlib.filesystems import AbstractedFS

from ...model.loading import Right
from ...ports.accounts import normal_address
from ...ports.storage import AccessRefused, Home, Location

if TYPE_CHECKING:
    from ._handler import PartnerHandler

__all__ = ["HomeFilesystem", "PartnerAuthorizer", "normal_address"]

# a path no home contains: what ftp2fs returns for a refused path, so that validpath() says no
_REFUSED = os.path.join(os.sep, "mockpartners-refused-path")
# pyftpdlib's permission letters and the profile right each one needs
_RIGHTS: dict[str, Right | None] = {
    "e": None,
    "l": "list",
    "r": "read",
    "a": "write",
    "d": "delete",
    "f": "rename",
    "m": "mkdir",
    "w": "write",
    "M": "setstat",
    "T": "setstat",
}


class HomeFilesystem(AbstractedFS):  # type: ignore[misc]
    """An account's home as pyftpdlib sees it."""

    def __init__(self, root: str, cmd_channel: PartnerHandler) -> None:
        super().__init__(root, cmd_channel)
        home = cmd_channel.session.home
        assert home is not None, "the filesystem exists only after login"
        self.home: Home = home
        self.handler = cmd_channel

    def ftp2fs(self, ftppath: str) -> str:
        try:
            return str(self.home.resolve(ftppath, self.cwd).real)
        except AccessRefused as refusal:
            self.handler.refusal = refusal.reason
            return _REFUSED

    def fs2ftp(self, fspath: str) -> str:
        try:
            return self.home.location(Path(fspath)).virtual
        except AccessRefused:
            return "/"

    def validpath(self, path: str) -> bool:
        if path == _REFUSED:
            return False
        refusal = self._refusal(path)
        if refusal is not None:
            self.handler.refusal = refusal.reason
        return refusal is None

    def _refusal(self, path: str) -> AccessRefused | None:
        """Why ``path`` (real, maybe through a link) leads out of the home; None when it stays inside."""
        try:
            self.home.resolve(self.home.location(Path(path)).virtual)
        except AccessRefused as refusal:
            return refusal
        return None

    def location(self, path: str) -> Location:
        return self.home.location(Path(path))

    def stat(self, path: str) -> os.stat_result:
        """MLSD follows symlinks (RFC 3659, 7.5.2), but never out of the home: a planted symlink that leads
        out is described as itself, as SFTP listings and LIST do, not as what it points at."""
        if os.path.islink(path) and self._refusal(path) is not None:
            return os.lstat(path)
        return os.stat(path)


class PartnerAuthorizer:
    """One per connection (pyftpdlib asks it without saying who is asking): logins and rights."""

    def __init__(self, handler: PartnerHandler) -> None:
        self.handler = handler

    def validate_authentication(self, username: str, password: str, handler: PartnerHandler) -> None:
        """The account book decides: by the client certificate where the endpoint requires one (its CN is
        the user name, the password is not read: MAGDA), by the password otherwise."""
        if handler.login_refusal(username, password):
            raise AuthenticationFailed("Login incorrect.")

    def get_home_dir(self, username: str) -> str:
        home = self.handler.session.home  # set when the login was accepted, just before pyftpdlib asks
        assert home is not None and home.username == username
        return str(home.root)

    def has_perm(self, username: str, perm: str, path: str | None = None) -> bool:
        right = _RIGHTS.get(perm)
        if right is None or path is None:
            return True
        filesystem = self.handler.fs
        if filesystem is None:  # pyftpdlib asks only after login
            return False
        try:
            location = filesystem.location(path)
            if right == "list" and not os.path.isdir(path):
                location = filesystem.location(os.path.dirname(path))
            filesystem.home.check(right, location)
        except AccessRefused as refusal:
            self.handler.refusal = refusal.reason
            return False
        return True

    def get_perms(self, username: str) -> str:
        return "".join(_RIGHTS)

    def get_msg_login(self, username: str) -> str:
        return "Login successful."

    def get_msg_quit(self, username: str) -> str:
        return "Goodbye."

    def impersonate_user(self, username: str, password: str) -> None:
        """Files belong to the process: nothing to impersonate."""

    def terminate_impersonation(self, username: str) -> None:
        """See impersonate_user."""
