"""Every scenario's name, once: the catalog, the adapters, the processors and the kernel check these
constants, never a string typed again (a name mistyped in a check never matches, and nothing says so).

The names are what users type (``mockpartners scenario on magda tls-below-minimum``), so they never change;
the groups below say which scenarios a listener or a TLS context follows.
"""

from __future__ import annotations

from typing import Final

__all__ = [
    "ACCOUNT_EDITED",
    "ADDRESS_NOT_ALLOWLISTED",
    "AGENT_SILENT",
    "ANSWERS_LATE",
    "ATTACHMENT_TOO_LARGE",
    "BAD_RECIPIENT_ALIAS",
    "BANDWIDTH",
    "CLIENT_CERTIFICATE_EXPIRED",
    "CLIENT_CERTIFICATE_UNTRUSTED",
    "CLIENT_CERTIFICATE_WRONG_CN",
    "CONNECTION_TYPE_REFUSED",
    "DEPOSITS_TOO_CLOSE",
    "DISCONNECT_AFTER_BYTES",
    "DISK_FULL",
    "DOUBLE_CLICK_TO_E",
    "FAIL_NTH_WRITE",
    "FAIL_WRITES",
    "FILES_TOO_CLOSE",
    "FIREWALL_DROP",
    "GATEWAY_DOWN",
    "HOST_KEY_CHANGED",
    "LATENCY",
    "LISTENING",
    "NEVER_OPENED",
    "NO_PUBLICKEY",
    "PARTNER_NOT_AUTHORISED",
    "PASSIVE_PORT_CLOSED",
    "PASSWORD_REFUSED",
    "PORT_CLOSED",
    "PROT_C_REFUSED",
    "RECIPIENT_UNKNOWN",
    "REFUSE_KEYS",
    "REJECT_REQUESTS",
    "REMOTE_FOLDER_MISSING",
    "RENAME_REFUSED",
    "RESTART_MID_TRANSFER",
    "SERVER_CERTIFICATE_EXPIRED",
    "SERVER_CERTIFICATE_RENEWED",
    "SERVER_CERTIFICATE_UNTRUSTED",
    "SESSION_EXPIRED",
    "SESSION_REUSE_REQUIRED",
    "SETSTAT_REFUSED",
    "SMTP_AUTH_REFUSED",
    "STARTTLS_MISSING",
    "TLS_BELOW_MINIMUM",
    "TLS_CONTEXT",
    "TLS_MODES_SWAPPED",
    "WRONG_FILE_TYPE",
]

# -- any protocol: the port ---------------------------------------------------------------------------------
PORT_CLOSED: Final = "port-closed"
FIREWALL_DROP: Final = "firewall-drop"

# -- SSH ----------------------------------------------------------------------------------------------------
HOST_KEY_CHANGED: Final = "host-key-changed"
REFUSE_KEYS: Final = "refuse-keys"
NO_PUBLICKEY: Final = "no-publickey"

# -- folder rights ------------------------------------------------------------------------------------------
RENAME_REFUSED: Final = "rename-refused"
SETSTAT_REFUSED: Final = "setstat-refused"

# -- partner-side -------------------------------------------------------------------------------------------
ANSWERS_LATE: Final = "answers-late"
REJECT_REQUESTS: Final = "reject-requests"

# -- the XFB gateway ----------------------------------------------------------------------------------------
DEPOSITS_TOO_CLOSE: Final = "deposits-too-close"
PARTNER_NOT_AUTHORISED: Final = "partner-not-authorised"
DOUBLE_CLICK_TO_E: Final = "double-click-to-e"
GATEWAY_DOWN: Final = "gateway-down"
SESSION_EXPIRED: Final = "session-expired"

# -- INSEE's AIREPPNET portal ------------------------------------------------------------------------------
FILES_TOO_CLOSE: Final = "files-too-close"
WRONG_FILE_TYPE: Final = "wrong-file-type"

# -- INSEE's TEDECO spool ----------------------------------------------------------------------------------
BAD_RECIPIENT_ALIAS: Final = "bad-recipient-alias"
NEVER_OPENED: Final = "never-opened"
AGENT_SILENT: Final = "agent-silent"

# -- INSEE's PECOTO (SMTP in, POP3 out) ----------------------------------------------------------------------
STARTTLS_MISSING: Final = "starttls-missing"
SMTP_AUTH_REFUSED: Final = "smtp-auth-refused"
RECIPIENT_UNKNOWN: Final = "recipient-unknown"
ATTACHMENT_TOO_LARGE: Final = "attachment-too-large"

# -- TLS: the server's certificate, the client's, the versions ----------------------------------------------
SERVER_CERTIFICATE_UNTRUSTED: Final = "server-certificate-untrusted"
SERVER_CERTIFICATE_RENEWED: Final = "server-certificate-renewed"
SERVER_CERTIFICATE_EXPIRED: Final = "server-certificate-expired"
CLIENT_CERTIFICATE_EXPIRED: Final = "client-certificate-expired"
CLIENT_CERTIFICATE_WRONG_CN: Final = "client-certificate-wrong-cn"
CLIENT_CERTIFICATE_UNTRUSTED: Final = "client-certificate-untrusted"
TLS_BELOW_MINIMUM: Final = "tls-below-minimum"

# -- FTP ----------------------------------------------------------------------------------------------------
ADDRESS_NOT_ALLOWLISTED: Final = "address-not-allowlisted"
PROT_C_REFUSED: Final = "prot-c-refused"
PASSIVE_PORT_CLOSED: Final = "passive-port-closed"
SESSION_REUSE_REQUIRED: Final = "session-reuse-required"
TLS_MODES_SWAPPED: Final = "tls-modes-swapped"

# -- accounts and remote folders (Lucca's "Compte" and "Dossier distant") -----------------------------------
PASSWORD_REFUSED: Final = "password-refused"
CONNECTION_TYPE_REFUSED: Final = "connection-type-refused"
ACCOUNT_EDITED: Final = "account-edited"
REMOTE_FOLDER_MISSING: Final = "remote-folder-missing"

# -- generic faults -----------------------------------------------------------------------------------------
LATENCY: Final = "latency"
BANDWIDTH: Final = "bandwidth"
DISCONNECT_AFTER_BYTES: Final = "disconnect-after-bytes"
FAIL_NTH_WRITE: Final = "fail-nth-write"
FAIL_WRITES: Final = "fail-writes"
DISK_FULL: Final = "disk-full"
RESTART_MID_TRANSFER: Final = "restart-mid-transfer"

# -- groups -------------------------------------------------------------------------------------------------
LISTENING: Final = frozenset({PORT_CLOSED, FIREWALL_DROP, GATEWAY_DOWN})
"""Scenarios that change whether and how an endpoint's port answers: every listener follows them."""

TLS_CONTEXT: Final = frozenset(
    {
        SERVER_CERTIFICATE_UNTRUSTED,
        SERVER_CERTIFICATE_RENEWED,
        SERVER_CERTIFICATE_EXPIRED,
        CLIENT_CERTIFICATE_EXPIRED,
        CLIENT_CERTIFICATE_UNTRUSTED,
        TLS_BELOW_MINIMUM,
    }
)
"""Scenarios that change the TLS context (the chain served, the client CAs trusted, the minimum version):
a TLS listener builds a new context for new connections when one of them changes."""
