"""What a customer's server did wrong, in a fixed vocabulary: each failure of the outbound connector has one
reason (a short code for the journal and for tests) and a message the customer can act on."""

from __future__ import annotations

from typing import Final

from ..model.errors import MockPartnersError

__all__ = ["REASONS", "OutboundError"]

UNREACHABLE: Final = "unreachable"
TIMEOUT: Final = "timeout"
CONNECTION_LOST: Final = "connection-lost"
HOST_KEY_CHANGED: Final = "host-key-changed"
CERTIFICATE_UNTRUSTED: Final = "certificate-untrusted"
CERTIFICATE_EXPIRED: Final = "certificate-expired"
CERTIFICATE_NAME_MISMATCH: Final = "certificate-name-mismatch"
TLS_REQUIRED: Final = "tls-required"
TLS_REFUSED: Final = "tls-refused"
LOGIN_REFUSED: Final = "login-refused"
CLIENT_KEY_UNUSABLE: Final = "client-key-unusable"
FOLDER_MISSING: Final = "folder-missing"
FILE_MISSING: Final = "file-missing"
PERMISSION_DENIED: Final = "permission-denied"
DISK_FULL: Final = "disk-full"
PROTOCOL_ERROR: Final = "protocol-error"

REASONS: Final = {
    UNREACHABLE: "nothing accepts connections at the host and port (refused, no route, unknown host)",
    TIMEOUT: "the server did not answer within the timeout",
    CONNECTION_LOST: "the server closed the connection in the middle of a step",
    HOST_KEY_CHANGED: "the SFTP server's host key is not the one pinned for it",
    CERTIFICATE_UNTRUSTED: "the FTPS server's certificate is not issued by a trusted CA",
    CERTIFICATE_EXPIRED: "the FTPS server's certificate (or a CA of its chain) is outside its validity",
    CERTIFICATE_NAME_MISMATCH: "the FTPS server's certificate does not name the host connected to",
    TLS_REQUIRED: "the server wants TLS from the first byte (implicit FTPS) and the type is FTPES",
    TLS_REFUSED: "the server speaks plain FTP first (FTPES) and the type is FTPS, or it refuses AUTH TLS",
    LOGIN_REFUSED: "the server refused the login, password or key",
    CLIENT_KEY_UNUSABLE: "the private key file Lucca's client should log in with cannot be read",
    FOLDER_MISSING: "the remote folder does not exist (or the login cannot enter it)",
    FILE_MISSING: "the remote file does not exist (any more)",
    PERMISSION_DENIED: "the server refused the operation to this login",
    DISK_FULL: "the server has no room left (disk or quota)",
    PROTOCOL_ERROR: "the server answered something its protocol does not allow here",
}
"""Every reason, with what it means: the journal's ``reason`` is always one of these."""


class OutboundError(MockPartnersError):
    """A step against a customer's server failed; ``reason`` is one of :data:`REASONS`."""

    def __init__(self, reason: str, message: str) -> None:
        assert reason in REASONS, f"unknown outbound reason {reason!r}"
        super().__init__(message)
        self.reason = reason
        self.message = message
