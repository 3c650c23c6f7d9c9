"""Real clients of INSEE's AIREPPNET portal for its tests: ``requests`` (a browser's cookies and forms) and
curl (a scheduler's command lines, a cookie jar), both verifying HTTPS against the state directory's CA."""

from __future__ import annotations

import subprocess
from pathlib import Path

import requests

from mockpartners import Partner
from tests.clients import require

__all__ = ["Portal"]


class Portal:
    """One collectivité's browser on the portal: a ``requests`` session that trusts the partner's CA."""

    def __init__(self, partner: Partner, username: str = "96010") -> None:
        self.partner = partner
        self.username = username
        endpoint = partner.endpoint("portal")
        assert endpoint.tls is not None
        self.ca_file = endpoint.tls.ca_file
        self.base = f"https://{endpoint.host}:{endpoint.port}"
        self.browser = requests.Session()
        self.browser.verify = self.ca_file
        self.browser.trust_env = False  # REQUESTS_CA_BUNDLE would win over verify; no proxy for loopback

    @property
    def password(self) -> str:
        password = self.partner.account(self.username).password
        assert password is not None
        return password

    def log_in(self, password: str | None = None) -> requests.Response:
        form = {"identifiant": self.username, "mot_de_passe": self.password if password is None else password}
        return self.browser.post(f"{self.base}/connexion", data=form, timeout=10)

    def send(
        self, name: str, content: bytes = b"civil status\n", file_type: str = "etat-civil"
    ) -> requests.Response:
        """The sending form as a browser posts it: the type, then the file."""
        files = {"fichier": (name, content, "application/octet-stream")}
        return self.browser.post(f"{self.base}/envoi", data={"type": file_type}, files=files, timeout=10)

    def get(self, path: str) -> requests.Response:
        return self.browser.get(f"{self.base}{path}", timeout=10)

    def curl(self, *arguments: str, jar: Path | None = None) -> subprocess.CompletedProcess[str]:
        """curl verifying the portal against the CA (``--cacert``), with a cookie jar if given."""
        cookies = ["-b", str(jar), "-c", str(jar)] if jar is not None else []
        command = [require("curl"), "-sS", "--cacert", self.ca_file, *cookies, *arguments]
        return subprocess.run(command, capture_output=True, encoding="utf-8", timeout=30)
