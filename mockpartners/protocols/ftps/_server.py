"""An FTPS endpoint of a partner: pyftpdlib's server on its own thread and I/O loop.

pyftpdlib's loop is not asyncio, so it runs on a thread of its own: what every listener does (port scenarios,
restart) runs there, through :meth:`FtpsServer._submit`.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, ClassVar

from OpenSSL import SSL
from pyftpdlib.handlers import TLS_FTPHandler
from pyftpdlib.ioloop import IOLoop
from pyftpdlib.servers import FTPServer

from ...infra.endpoints import EndpointInfo, TlsInfo
from ...infra.limits import RESOURCE_ERRORS, OnceLog, out_of_resources
from ...model.loading import FtpsEndpoint
from ...ports.endpoint import EndpointPort
from ...scenarios import names
from ..base import Listener, Work, run_to_end
from ._access import HomeFilesystem
from ._data import DataChannel, PassiveListener
from ._handler import ACTIVE_MODE, PartnerHandler
from ._tls import make_context
from ._tls_control import ImplicitTls

__all__ = ["FtpsServer"]

log = logging.getLogger("mockpartners.ftps")

# pyftpdlib turns on its own INFO logging to stderr unless its logger has a handler: keep it to warnings
_library_log = logging.getLogger("pyftpdlib")
if not _library_log.handlers:
    _library_log.addHandler(logging.NullHandler())
    _library_log.setLevel(logging.WARNING)


class FtpsServer(Listener[FtpsEndpoint]):
    """Serves one ``protocol: ftps`` endpoint of a profile."""

    protocol = "ftps"
    follows: ClassVar[frozenset[str]] = names.LISTENING | names.TLS_CONTEXT | {names.TLS_MODES_SWAPPED}

    def __init__(self, partner: EndpointPort, name: str, spec: FtpsEndpoint, host: str, port: int) -> None:
        if partner.tls is None:
            raise RuntimeError("prepare the partner before serving it")
        super().__init__(partner, name, spec, host, port)
        self.class_prefix = f"{partner.name.capitalize()}{name.capitalize()}"
        self._handler: type[PartnerHandler] | None = None
        self._context_scenarios = ""
        self.ssl_context = self._new_context()
        self._server: ControlListener | None = None
        self._loop: IOLoop | None = None
        self._thread: threading.Thread | None = None
        self._stopping = threading.Event()
        self._actions: queue.Queue[tuple[Callable[[], None], threading.Event]] = queue.Queue()

    # -- lifecycle ----------------------------------------------------------------------------------------

    async def start(self) -> None:
        self._handler = handler_classes(self)
        self._loop = IOLoop()
        try:
            await super().start()
        except BaseException:
            self._loop.close()
            raise
        self._thread = threading.Thread(
            target=self._serve, name=f"mockpartners-{self.class_prefix}", daemon=True
        )
        self._thread.start()

    async def _open(self, port: int) -> int:
        self._server = ControlListener((self.host, port), self._handler, ioloop=self._loop)
        self._server.resource_log = self.partner.resource_log
        return int(self._server.socket.getsockname()[1])

    async def _close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None

    async def _drop_connections(self, reason: str) -> None:
        """Every channel of the loop closed at once: control and data connections, passive listeners."""
        assert self._loop is not None
        for channel in list(self._loop.socket_map.values()):
            channel.close()

    async def _scenarios_applied(self) -> None:
        """A new TLS context when a scenario it holds changed (a port scenario leaves it as it is); the other
        TLS mode for new connections while ``tls-modes-swapped`` is on."""
        if self._tls_scenarios() != self._context_scenarios:
            self.reload_credentials()
        swapped = self.partner.scenarios.active(names.TLS_MODES_SWAPPED) is not None
        if self._handler is not None and self._handler.swapped != swapped:
            self._handler = handler_classes(self, swapped=swapped)
            if self._server is not None:
                self._server.handler = self._handler

    def _tls_scenarios(self) -> str:
        scenarios = self.partner.scenarios
        return repr([(name, scenarios.active(name)) for name in sorted(names.TLS_CONTEXT)])

    def _new_context(self) -> SSL.Context:
        assert self.partner.tls is not None
        self._context_scenarios = self._tls_scenarios()
        return make_context(self.spec, self.partner.tls, self.partner.scenarios)

    def _serve(self) -> None:
        assert self._loop is not None
        while not self._stopping.is_set():
            self._loop.loop(timeout=0.05, blocking=False)
            self._run_actions()
        self._run_actions()
        self._loop.close()

    async def stop(self) -> None:
        await super().stop()
        self._stopping.set()
        if self._thread is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._thread.join, 10)
            self._thread = None

    # -- work on the server's own thread ------------------------------------------------------------------

    def _submit(self, work: Work, *, wait: bool) -> None:
        """pyftpdlib is not thread-safe: work from another thread waits in a queue the server's thread
        empties between two turns of its loop."""
        if self._thread is None or not self._thread.is_alive():
            run_to_end(work)
        elif threading.current_thread() is self._thread:
            assert self._loop is not None
            self._loop.call_later(0, run_to_end, work, _errback=lambda: log.exception("listener step failed"))
        else:
            done = threading.Event()
            self._actions.put((lambda: run_to_end(work), done))
            if wait and not done.wait(timeout=30) and self._thread.is_alive():
                raise TimeoutError(f"{self.partner.name} {self.name}: the server did not answer in time")

    def _run_actions(self) -> None:
        while True:
            try:
                action, done = self._actions.get_nowait()
            except queue.Empty:
                return
            try:
                action()
            except Exception:
                log.exception("listener step failed")
            finally:
                done.set()

    def reload_credentials(self) -> None:
        """A new TLS context (renewed certificate, certificate scenarios) for every new connection."""
        self.ssl_context = self._new_context()
        if self._handler is not None:
            self._handler.ssl_context = self.ssl_context

    def info(self, known_hosts: Path | None = None) -> EndpointInfo:
        tls = self.partner.tls
        assert tls is not None
        spec = self.spec
        details = TlsInfo.served(tls, spec.tls_minimum, spec.passive_ports, spec.client_certificate, spec.tls)
        return EndpointInfo(self.name, self.protocol, self.host, self.port, self.spec.port, tls=details)


class ControlListener(FTPServer):  # type: ignore[misc]
    """The control port of one endpoint.

    Out of file descriptors, ``accept()`` fails: pyftpdlib's acceptor then closes the listener for good,
    and the endpoint stops answering without a word (its traceback goes to pyftpdlib's silenced logger);
    retried at once, it would fail at every turn of the loop (issue 9 saw 140 MB of such log in 40 s).
    Here the failure is reported once (``OnceLog``: at most once a minute) and accepting pauses a moment:
    the connections waiting in the backlog are served as soon as descriptors are free again.
    """

    resource_log: OnceLog
    pause = 0.25
    """Seconds without accepting after running out of descriptors."""

    def handle_accept(self) -> None:
        try:
            super().handle_accept()
        except OSError as error:
            if error.errno not in RESOURCE_ERRORS:
                raise
            self.resource_log.report("descriptors", out_of_resources(error))
            self.del_channel()
            self.ioloop.call_later(self.pause, self._resume, _errback=self.handle_error)

    def _resume(self) -> None:
        if not self._closed:
            self.add_channel()


def _commands(server: FtpsServer) -> dict[str, Any]:
    """The commands this endpoint offers: HELP and FEAT list them, anything else is "500 not understood".

    Active mode is refused (``502``, see :meth:`PartnerHandler._process_now`), so PORT and EPRT are not
    offered, and FEAT no longer announces EPRT; SITE CHMOD only where the profile says the server has
    Unix modes (``site_chmod``).
    """
    refused = {*ACTIVE_MODE, *(() if server.spec.site_chmod else ("SITE CHMOD",))}
    return {name: rule for name, rule in TLS_FTPHandler.proto_cmds.items() if name not in refused}


def handler_classes(server: FtpsServer, *, swapped: bool = False) -> type[PartnerHandler]:
    """A handler class (and its data channel class) bound to one endpoint; an implicit TLS port's starts
    with :class:`ImplicitTls` (the handshake at connect, before the greeting); ``swapped``: the other mode."""
    spec = server.spec
    data_channel = type(f"{server.class_prefix}DataChannel", (DataChannel,), {})
    attributes: dict[str, Any] = {
        "server_ref": server,
        "ssl_context": server.ssl_context,
        "dtp_handler": data_channel,
        "passive_dtp": PassiveListener,
        "proto_cmds": _commands(server),
        "abstracted_fs": HomeFilesystem,
        "tls_control_required": spec.tls_before_login,
        "tls_data_required": False,  # checked per transfer: see process_command
        "passive_ports": list(spec.passive_range()),
        "masquerade_address": spec.passive_address,
        "permit_foreign_addresses": False,
        "permit_privileged_ports": False,
        "auth_failed_timeout": spec.failed_login_delay.total_seconds(),
        "banner": spec.banner,
        "use_sendfile": False,
        "handshake_timeout": spec.tls_handshake_timeout.total_seconds(),
        "swapped": swapped,
    }
    implicit = (spec.tls == "implicit") != swapped
    bases = (ImplicitTls, PartnerHandler) if implicit else (PartnerHandler,)
    return type(f"{server.class_prefix}Handler", bases, attributes)
