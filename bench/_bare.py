"""The bare libraries, for the instrumentation measure: what the same transfer costs without mockpartners.

``python -m bench._bare sftp PORT ROOT HOST_KEY AUTHORIZED_KEYS`` serves asyncssh's own SFTPServer rooted
in ROOT; ``python -m bench._bare ftps PORT ROOT CERT KEY CLIENT_CA`` serves pyftpdlib's TLS_FTPHandler
(a subclass: pyftpdlib's classes are never changed); ``python -m bench._bare http PORT ROOT`` is an aiohttp
application that takes a scheduler's raw deposit (the body is the file, named by ``file`` in the query)
into ROOT and answers the XFB gateway's "File received" page. The first two keep mockpartners' setup
where it is not instrumentation: the same host key and client key, the same TLS versions, chain and
client certificate check, the same asyncio loop on a thread of its own for SFTP. No journal, no rights,
no partner.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import sys
import threading
from pathlib import Path
from types import FrameType
from typing import Any

import asyncssh
from aiohttp import web
from OpenSSL import SSL
from pyftpdlib.authorizers import DummyAuthorizer
from pyftpdlib.handlers import TLS_DTPHandler, TLS_FTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

from mockpartners.protocols.http._xfb import received_page

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


_HTTP_CHUNK = 1 << 16
"""What mockpartners' gateway reads of a deposit at a time."""


def serve_http(port: int, root: str, stop: threading.Event) -> None:
    """The deposit alone: no credentials, no journal, no rights or quota, no processor, no mail. The body
    is written to a file as it comes, as mockpartners writes it (so the disk weighs on both alike)."""
    folder = Path(root)

    async def deposit(request: web.Request) -> web.Response:
        name = Path(request.query.get("file", "deposit")).name
        with open(folder / name, "wb") as target:
            while chunk := await request.content.read(_HTTP_CHUNK):
                target.write(chunk)
        return received_page(request.query.get("user", ""), request.query.get("password", ""))

    async def serve() -> None:
        app = web.Application(client_max_size=1 << 40)  # the body is streamed, never held whole
        app.add_routes([web.post("/depot-xt", deposit)])
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()
        while not stop.is_set():  # as `mockpartners up` waits
            await asyncio.sleep(0.5)
        await runner.cleanup()

    asyncio.run(serve())


def main(arguments: list[str]) -> int:
    stop = threading.Event()

    def request_stop(number: int, frame: FrameType | None) -> None:
        stop.set()

    for number in (signal.SIGINT, signal.SIGTERM):
        signal.signal(number, request_stop)
    protocol, port, root, *files = arguments
    if protocol == "http":
        serve_http(int(port), root, stop)
    elif protocol == "sftp":
        serve_sftp(int(port), root, files[0], files[1], stop)
    else:
        serve_ftps(int(port), root, files[0], files[1], files[2], stop)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
