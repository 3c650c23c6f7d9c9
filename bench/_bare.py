"""The bare libraries, for the instrumentation measure: what the same transfer costs without mockpartners.

``python -m bench._bare sftp PORT ROOT HOST_KEY AUTHORIZED_KEYS`` serves asyncssh's own SFTPServer rooted
in ROOT; ``python -m bench._bare ftps PORT ROOT CERT KEY CLIENT_CA`` serves pyftpdlib's TLS_FTPHandler
(a subclass: pyftpdlib's classes are never changed). Both keep mockpartners' setup where it is not
instrumentation: the same host key and client key, the same TLS versions, chain and client certificate
check, the same asyncio loop on a thread of its own for SFTP. No journal, no rights, no partner.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from types import FrameType
from typing import Any

import asyncssh
from OpenSSL import SSL
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import TLS_DTPHandler, TLS_FTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

__all__ = ["main"]


def serve_sftp(port: int, root: str, host_key: str, authorized_keys: str, stop: threading.Event) -> None:
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="bare-sftp", daemon=True)
    thread.start()

    def sftp(chan: asyncssh.SSHServerChannel[bytes]) -> asyncssh.SFTPServer:
        return asyncssh.SFTPServer(chan, chroot=root.encode())

    # loaded once, without re-checking the RSA key's primes, as mockpartners loads its host keys
    key = asyncssh.read_private_key(host_key, unsafe_skip_rsa_key_validation=True)

    async def listen() -> asyncssh.SSHAcceptor:
        return await asyncssh.listen(
            "127.0.0.1",
            port,
            server_host_keys=[key],
            authorized_client_keys=authorized_keys,
            sftp_factory=sftp,
            allow_scp=False,
            login_timeout=120,
        )

    server = asyncio.run_coroutine_threadsafe(listen(), loop).result(30)
    while not stop.wait(0.5):  # as `mockpartners up` waits, so both processes look alike
        pass
    server.close()
    loop.call_soon_threadsafe(loop.stop)
    thread.join(5)


def ftps_context(certificate: str, key: str, client_ca: str) -> SSL.Context:
    """The TLS setup mockpartners' MAGDA uses: TLS 1.2 or later, a client certificate from the CA."""
    context = SSL.Context(SSL.TLS_SERVER_METHOD)
    context.set_min_proto_version(SSL.TLS1_2_VERSION)
    context.set_options(SSL.OP_NO_COMPRESSION)
    context.use_certificate_chain_file(certificate)
    context.use_privatekey_file(key)
    context.set_session_id(b"bench-bare-ftps")
    context.set_session_cache_mode(SSL.SESS_CACHE_SERVER)
    context.load_verify_locations(client_ca)
    context.set_verify(
        SSL.VERIFY_PEER | SSL.VERIFY_FAIL_IF_NO_PEER_CERT, lambda *arguments: bool(arguments[-1])
    )
    return context


class BareDataChannel(TLS_DTPHandler):  # type: ignore[misc]
    """Data connections ask no client certificate, as mockpartners' do."""

    def secure_connection(self, ssl_context: SSL.Context) -> None:
        super().secure_connection(ssl_context)
        if isinstance(self.socket, SSL.Connection):
            self.socket.set_verify(SSL.VERIFY_NONE, None)


def serve_ftps(
    port: int, root: str, certificate: str, key: str, client_ca: str, stop: threading.Event
) -> None:
    logging.getLogger("pyftpdlib").setLevel(logging.WARNING)
    authorizer = DummyAuthorizer()
    authorizer.add_user("afnemer-0001", "blabla", root, perm="elradfmwMT")
    attributes: dict[str, Any] = {
        "authorizer": authorizer,
        "ssl_context": ftps_context(certificate, key, client_ca),
        "dtp_handler": BareDataChannel,
        "tls_control_required": True,
        "tls_data_required": True,
        "use_sendfile": False,
    }
    handler = type("BareHandler", (TLS_FTPHandler,), attributes)
    ioloop = IOLoop()
    server = FTPServer(("127.0.0.1", port), handler, ioloop=ioloop)
    while not stop.is_set():  # the loop mockpartners' FTPS endpoints run
        ioloop.loop(timeout=0.05, blocking=False)
    server.close_all()


def main(arguments: list[str]) -> int:
    stop = threading.Event()

    def request_stop(number: int, frame: FrameType | None) -> None:
        stop.set()

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, request_stop)
    protocol, port, root, *files = arguments
    if protocol == "sftp":
        serve_sftp(int(port), root, files[0], files[1], stop)
    else:
        serve_ftps(int(port), root, files[0], files[1], files[2], stop)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
