"""Real clients, driven the way users drive them: OpenSSH sftp, curl, lftp, paramiko, asyncssh, ftplib.

Missing system clients skip a test with a visible reason on a workstation, and fail it in CI (CI=true),
where .ci/run installs them.
"""

from ._ftps import (
    Certificate,
    ImplicitFTP,
    ImplicitReusingFTP,
    SessionReusingFTP,
    curl_ftps,
    curl_ftps_options,
    curl_ftps_upload,
    ftplib_login,
    ftplib_tls,
    ftps_scheme,
    lftp_ftps,
    served_certificate,
    tls_client_context,
)
from ._ssh import (
    Askpass,
    asyncssh_connect,
    curl,
    curl_sftp,
    paramiko_request,
    paramiko_sftp,
    require,
    sftp_batch,
    sftp_command,
    ssh_options,
)

__all__ = [
    "Askpass",
    "Certificate",
    "ImplicitFTP",
    "ImplicitReusingFTP",
    "SessionReusingFTP",
    "asyncssh_connect",
    "curl",
    "curl_ftps",
    "curl_ftps_options",
    "curl_ftps_upload",
    "curl_sftp",
    "ftplib_login",
    "ftplib_tls",
    "ftps_scheme",
    "lftp_ftps",
    "paramiko_request",
    "paramiko_sftp",
    "require",
    "served_certificate",
    "sftp_batch",
    "sftp_command",
    "ssh_options",
    "tls_client_context",
]
