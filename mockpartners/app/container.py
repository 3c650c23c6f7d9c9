"""The suite in a container, driven from Python tests with the docker SDK (``mockpartners[container]``).

It gives the same :class:`~mockpartners.infra.endpoints.SuiteInfo` as an in-process suite (paths moved to the
mounted state directory, ports to the published ones), the journal (the volume holds it) and the admin API,
so a test can switch from the in-process fixture to the container and keep its code.
"""

from __future__ import annotations

import json
import os
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..infra.endpoints import SuiteInfo
from ..infra.journal import Journal
from ..model.errors import MockPartnersError, StateError
from .admin.client import AdminClient

if TYPE_CHECKING:
    import docker
    from docker.models.containers import Container

__all__ = ["DEFAULT_IMAGE", "ContainerError", "SuiteContainer"]

DEFAULT_IMAGE = os.environ.get("MOCKPARTNERS_IMAGE", "mockpartners:dev")
CONTAINER_STATE = "/state"
CONTROL_PORTS = (8022, 2121, 8470, 2222, 9990, 2321)  # ONSS, MAGDA, the admin API, Lucca's three types
PASSIVE_PORTS = range(40000, 40010)  # the image's range, published one to one: PASV replies name the ports
LUCCA_PASSIVE_PORTS = range(40010, 40020)  # Lucca's FTPS (first half) and FTPES (second half)


class ContainerError(MockPartnersError):
    """The container did not start, or stopped: the message is its own last words."""


class SuiteContainer:
    """One container of the mockpartners image, its state directory mounted from the host."""

    def __init__(
        self,
        state_dir: str | Path,
        *,
        image: str = DEFAULT_IMAGE,
        environment: dict[str, str] | None = None,
        client: docker.DockerClient | None = None,
        read_only: bool = False,
        passive_ports: range = PASSIVE_PORTS,
        lucca_passive_ports: range = LUCCA_PASSIVE_PORTS,
    ) -> None:
        self.state_dir = Path(state_dir).absolute()
        self.image = image
        self.passive_ports = [*passive_ports, *lucca_passive_ports]
        half = len(lucca_passive_ports) // 2
        ranges = {
            "magda.endpoints.ftps": passive_ports,
            "lucca.endpoints.ftps": lucca_passive_ports[:half],
            "lucca.endpoints.ftpes": lucca_passive_ports[half:],
        }
        passive = ";".join(
            f"{where}.passive_ports={ports[0]}-{ports[-1]};{where}.passive_address=127.0.0.1"
            for where, ports in ranges.items()
            if ports  # none given: the image's own range, unpublished
        )
        self.environment = {"MOCKPARTNERS_SET": passive, **(environment or {})}
        self._client = client
        self.read_only = read_only
        self.container: Container | None = None
        self._info: SuiteInfo | None = None

    @property
    def client(self) -> docker.DockerClient:
        if self._client is None:
            try:
                import docker
            except ImportError:
                raise MockPartnersError(
                    "the container fixture needs the docker SDK: pip install mockpartners[container]"
                ) from None
            self._client = docker.from_env()
        return self._client

    # -- lifecycle ----------------------------------------------------------------------------------------

    def start(self, timeout: float = 60) -> SuiteInfo:
        """Run the image and wait until its admin API answers; a container that exits is a ContainerError."""
        self.state_dir.mkdir(parents=True, exist_ok=True)
        self.state_dir.chmod(0o777)  # the image runs as uid 1000, whoever owns the folder on the host
        ports: dict[str, int | None] = {f"{port}/tcp": None for port in CONTROL_PORTS}
        ports.update({f"{port}/tcp": port for port in self.passive_ports})
        try:
            self.container = self._run(ports)
        except Exception as error:  # the SDK's APIError and its kin: the engine said no
            explanation = getattr(error, "explanation", None) or error
            raise ContainerError(f"cannot start the mockpartners container: {explanation}") from None
        return self._ready(timeout)

    def _run(self, ports: dict[str, int | None]) -> Container:
        """Create, then start: a container the engine cannot start (a port taken) is removed, not left."""
        container = self.client.containers.create(
            self.image,
            detach=True,
            environment=self.environment,
            ports=ports,
            volumes={
                str(self.state_dir): {"bind": CONTAINER_STATE, "mode": "ro" if self.read_only else "rw"}
            },
            labels={"mockpartners": "test"},
        )
        try:
            container.start()
        except BaseException:
            container.remove(force=True)
            raise
        return container

    def stop(self, *, remove: bool = True) -> None:
        if self.container is None:
            return
        try:
            self.container.stop(timeout=10)
            if remove:
                self.container.remove(force=True)
        finally:
            self.container = None
            self._info = None

    def restart(self, timeout: float = 60) -> SuiteInfo:
        """Stop and start the same container again: credentials and files stay in the volume."""
        assert self.container is not None
        self.container.restart(timeout=10)
        self._info = None
        return self._ready(timeout)

    def _ready(self, timeout: float) -> SuiteInfo:
        """Its info once its admin API answers; a container that never gets ready is not left running."""
        try:
            self._wait_until_ready(timeout)
            return self.info
        except BaseException:
            self.stop()
            raise

    def __enter__(self) -> SuiteContainer:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- what tests use -----------------------------------------------------------------------------------

    @property
    def info(self) -> SuiteInfo:
        """endpoints.json as seen from the host: host paths, published ports."""
        if self._info is None:
            raw = json.loads((self.state_dir / "endpoints.json").read_text(encoding="utf-8"))
            self._info = SuiteInfo.from_dict(self._relocated(raw))
        return self._info

    @property
    def journal(self) -> Journal:
        return Journal(self.state_dir / "journal.sqlite3", read_only=True)

    @property
    def admin(self) -> AdminClient:
        """The container's API binds 0.0.0.0, so it always has a token: the one given, or the one the
        suite generated into the state directory."""
        assert self.info.admin is not None, "the container serves the admin API"
        return AdminClient(
            self.info.admin.url, self.environment.get("MOCKPARTNERS_ADMIN_TOKEN") or self.info.admin.token
        )

    def published(self, container_port: int) -> int:
        """The host port where a container port is published."""
        assert self.container is not None
        bindings = self.container.attrs["NetworkSettings"]["Ports"].get(f"{container_port}/tcp") or []
        if not bindings:
            raise StateError(f"container port {container_port} is not published")
        return int(bindings[0]["HostPort"])

    def logs(self) -> str:
        return self.container.logs().decode("utf-8", "replace") if self.container is not None else ""

    # -- internals ----------------------------------------------------------------------------------------

    def _wait_until_ready(self, timeout: float) -> None:
        assert self.container is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.container.reload()
            if self.container.status in ("exited", "dead"):
                last = [line for line in self.logs().splitlines() if line.strip()][-1:] or ["(no output)"]
                raise ContainerError(f"the mockpartners container stopped: {last[0]}")
            if self.container.status == "running" and self._answers():
                return
            time.sleep(0.1)  # polling the container's health: there is no journal to wait on yet
        raise ContainerError(f"the mockpartners container did not become ready within {timeout:g} s")

    def _answers(self) -> bool:
        try:
            port = self.published(8470)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1):
                pass
        except (OSError, StateError, KeyError):
            return False
        return (self.state_dir / "endpoints.json").exists()

    def _known_hosts(self, partner: str, endpoint: dict[str, Any]) -> Path:
        """known_hosts lines for the published port (the suite's own name the port inside the container)."""
        lines = []
        for key in endpoint["host_keys"]:
            algorithm, encoded = Path(key["public_key_file"]).read_text(encoding="utf-8").split()[:2]
            lines.append(f"[127.0.0.1]:{endpoint['port']} {algorithm} {encoded}")
        path = self.state_dir / partner / "known_hosts.host"
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path

    def _relocated(self, data: dict[str, Any]) -> dict[str, Any]:
        """Container paths to host paths, container ports to published ones."""

        def walk(value: Any) -> Any:
            if isinstance(value, dict):
                return {key: walk(item) for key, item in value.items()}
            if isinstance(value, list):
                return [walk(item) for item in value]
            if isinstance(value, str) and (
                value == CONTAINER_STATE or value.startswith(CONTAINER_STATE + "/")
            ):
                return str(self.state_dir) + value[len(CONTAINER_STATE) :]
            return value

        moved: dict[str, Any] = walk(data)
        for name, partner in moved["partners"].items():
            for endpoint in partner["endpoints"].values():
                endpoint["host"] = "127.0.0.1"
                endpoint["port"] = self.published(int(endpoint["port"]))
                if endpoint["host_keys"]:
                    endpoint["known_hosts_file"] = str(self._known_hosts(name, endpoint))
        if moved.get("admin"):
            url = f"http://127.0.0.1:{self.published(8470)}"
            moved["admin"] = {**moved["admin"], "url": url, "openapi": f"{url}/openapi.json"}
        return moved
