"""The customer's server as Lucca's account form takes it ("Serveur client"): one message per mistake."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from mockpartners.model._customer_server import CustomerServer
from mockpartners.model.duration import Duration

KEY_LINE = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHf1N3p0mQ0G1vGgGdLz8yqkq9I6zq7gkD5mWq3w2n8X lucca"


def _server(**fields: Any) -> CustomerServer:
    return CustomerServer.model_validate({"host": "files.example.com", "login": "lucca", **fields})


def _refused(**fields: Any) -> tuple[str, str]:
    """Where the one error is, and what it says."""
    with pytest.raises(ValidationError) as caught:
        _server(**fields)
    (error,) = caught.value.errors()
    return ".".join(str(part) for part in error["loc"]), error["msg"].removeprefix("Value error, ")


@pytest.mark.parametrize(("kind", "port"), [("sftp", 22), ("ftps", 990), ("ftpes", 21)])
def test_each_type_has_its_usual_port(kind: str, port: int) -> None:
    server = _server(type=kind, password="secret")
    assert server.port == port and server.address == f"files.example.com:{port}"
    assert _server(type=kind, port=2222, password="secret").port == 2222


def test_the_defaults() -> None:
    server = _server(type="sftp", private_key="/keys/lucca")
    assert (server.timeout, server.upload, server.passive) == (Duration(seconds=30), "direct", True)
    assert server.host_key is None and server.ca_file is None
    assert _server(type="sftp", password="x", host_key=f"  {KEY_LINE}\n").host_key == KEY_LINE
    assert _server(type="ftpes", password="x", passive=False, ca_file="/etc/ca.pem").passive is False


@pytest.mark.parametrize(
    ("fields", "where", "message"),
    [
        ({"type": "sftp"}, "", "give a password or a private key: Lucca's client cannot log in as 'lucca'"),
        ({"type": "ftps"}, "", "give a password: Lucca's client cannot log in"),
        (
            {"type": "sftp", "password": "x", "private_key": "/k"},
            "private_key",
            "give a password or a private key, not both",
        ),
        (
            {"type": "ftpes", "private_key": "/k"},
            "private_key",
            "FTPES logs in with a password: a private key (RSA key) is for SFTP only",
        ),
        ({"type": "ftps", "password": "x", "host_key": KEY_LINE}, "host_key", "host_key is for SFTP"),
        ({"type": "sftp", "password": "x", "ca_file": "/ca.pem"}, "ca_file", "ca_file is for FTPS and FTPES"),
        ({"type": "sftp", "password": "x", "passive": False}, "passive", "passive is for FTPS and FTPES"),
        ({"type": "sftp", "password": "x", "port": 70000}, "port", "70000: expected a port from 1 to 65535"),
        ({"type": "sftp", "password": "x", "port": 0}, "port", "expected a port from 1 to 65535"),
        ({"type": "ftp", "password": "x"}, "type", "Input should be 'sftp', 'ftps' or 'ftpes'"),
        ({"type": "sftp", "password": ""}, "password", "an empty password"),
        ({"type": "sftp", "password": "a\nb"}, "password", "control characters"),
        ({"type": "sftp", "password": "x", "timeout": "0s"}, "timeout", "expected a timeout above zero"),
        ({"type": "sftp", "password": "x", "timeout": "2h"}, "timeout", "at most 1h"),
        ({"type": "sftp", "password": "x", "upload": "atomic"}, "upload", "'direct' or 'temporary'"),
        (
            {"type": "sftp", "password": "x", "host": "sftp://files.example.com"},
            "host",
            "give the host name alone, without sftp:// or ftps://",
        ),
        (
            {"type": "sftp", "password": "x", "host": "files.example.com:2222"},
            "host",
            "give the port in port",
        ),
        ({"type": "sftp", "password": "x", "host": "lucca@files"}, "host", "expected a host name or an IP"),
        (
            {"type": "sftp", "password": "x", "host_key": "ssh-ed25519"},
            "host_key",
            "one OpenSSH public key line",
        ),
        (
            {"type": "sftp", "password": "x", "host_key": "ssh-rsa " + KEY_LINE.split()[1]},
            "host_key",
            "ssh-rsa: the key's data is not a ssh-rsa key",
        ),
        (
            {"type": "sftp", "password": "x", "host_key": "ssh-ed25519 !!!"},
            "host_key",
            "base64 text is damaged",
        ),
        ({"type": "sftp", "password": "x", "colour": "blue"}, "colour", "Extra inputs are not permitted"),
    ],
)
def test_one_clear_message_per_mistake(fields: dict[str, Any], where: str, message: str) -> None:
    location, said = _refused(**fields)
    assert location == where
    assert message in said


def test_an_ipv6_address_is_a_host() -> None:
    server = _server(type="sftp", password="x", host="::1")
    assert server.address == "[::1]:22"


def test_it_is_frozen() -> None:
    server = _server(type="sftp", password="x")
    with pytest.raises(ValidationError):
        server.port = 2222  # type: ignore[misc]
