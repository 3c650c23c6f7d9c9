"""What the Lucca tests share: an account's password, and the exit codes curl gives for FTP refusals."""

from __future__ import annotations

from mockpartners import Partner

FTP_CWD_REFUSED = 9  # curl's CURLE_REMOTE_ACCESS_DENIED: CWD answered 550
FTP_LOGIN_DENIED = 67  # curl's CURLE_LOGIN_DENIED: the server answered 530


def password_of(lucca: Partner, username: str) -> str:
    password = lucca.account(username).password
    assert password is not None
    return password
