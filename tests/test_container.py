"""The container image, built and run for real: host clients complete ONSS and MAGDA exchanges through
the published ports.

They need a container engine: a Docker engine (the `docker` command with its compose plugin), or podman
with podman-compose (what CI installs, see .ci/run); the docker SDK talks to either. Without one they skip
with the reason on a workstation, and fail in CI (CI=true).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from mockpartners.app.admin import AdminClient, AdminError
from mockpartners.app.container import ContainerError, SuiteContainer
from tests.clients import curl, require, sftp_batch

ROOT = Path(__file__).parent.parent
IMAGE = "mockpartners:test"
# Host ports published one to one: below the kernel's ephemeral range (32768-60999), where any socket of a
# test running beside may take a port at random, and clear of the doubles' passive ranges (40000-49999)
PASSIVE = range(30100, 30110)
LUCCA_PASSIVE = range(30110, 30120)
COMPOSE_PASSIVE = range(30120, 30130)  # the container test beside it
BAD_SETUP_PASSIVE = range(30130, 30131)  # containers that must refuse to start publish one
BASE_IMAGE = "docker.io/library/python:3.12-slim"


@dataclass(frozen=True)
class Engine:
    """The container engine's command line: ``docker`` when an engine answers it, else ``podman``."""

    program: str

    @classmethod
    def find(cls) -> Engine:
        docker = shutil.which("docker")
        if docker is not None and _succeeds([docker, "info"]):
            return cls(docker)
        return cls(require("podman"))

    @property
    def is_podman(self) -> bool:
        return Path(self.program).name == "podman"

    def run(self, *arguments: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run([self.program, *arguments], capture_output=True, text=True, timeout=timeout)

    def build(
        self, tag: str, context: Path, dockerfile: Path | None = None
    ) -> subprocess.CompletedProcess[str]:
        """podman here has no registry: the base image is local, and pip reaches the index through the
        host's network, CA bundle and pip configuration."""
        options = ["--network", "host"]
        if self.is_podman:
            options += ["--format", "docker", "--pull=never", "-v", "/etc/ssl/certs:/etc/ssl/certs:ro"]
            if Path("/etc/pip.conf").exists():
                options += ["-v", "/etc/pip.conf:/etc/pip.conf:ro"]
        if dockerfile is not None:
            options += ["-f", str(dockerfile)]
        return self.run("build", *options, "-t", tag, str(context))

    def compose(self) -> list[str]:
        if self.is_podman:
            return [require("podman-compose")]
        return [self.program, "compose"]


def _succeeds(command: list[str]) -> bool:
    try:
        return subprocess.run(command, capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


@pytest.fixture(scope="module")
def engine() -> Engine:
    return Engine.find()


@pytest.fixture(scope="module")
def image(engine: Engine) -> str:
    """Build the image as compose/Dockerfile says."""
    if engine.is_podman and engine.run("image", "exists", BASE_IMAGE).returncode != 0:
        pytest.fail(f"the base image {BASE_IMAGE} is missing: .ci/run prepares it (compose/base-image.sh)")
    built = engine.build(IMAGE, ROOT, ROOT / "compose" / "Dockerfile")
    assert built.returncode == 0, built.stdout[-3000:] + built.stderr[-3000:]
    size = json.loads(engine.run("image", "inspect", IMAGE).stdout)[0]["Size"]
    print(f"\nimage {IMAGE}: {size / 1e6:.0f} MB")
    return IMAGE


@pytest.fixture(scope="module")
def docker_client(engine: Engine, tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    """The docker SDK, on the Docker engine (DOCKER_HOST or its default socket), or on a podman API
    service started here."""
    import docker

    if not engine.is_podman or os.environ.get("DOCKER_HOST"):
        yield docker.from_env()
        return
    socket = tmp_path_factory.mktemp("podman") / "podman.sock"
    service = subprocess.Popen([engine.program, "system", "service", "--time=0", f"unix://{socket}"])
    try:
        deadline = time.monotonic() + 30
        while not socket.exists() and time.monotonic() < deadline:
            time.sleep(0.05)  # the service creates its socket: nothing to wait on but the file
        client = docker.DockerClient(base_url=f"unix://{socket}")
        client.ping()
        yield client
    finally:
        service.terminate()
        service.wait(timeout=30)


@pytest.fixture
def suite(image: str, docker_client: object, tmp_path: Path) -> Iterator[SuiteContainer]:
    container = SuiteContainer(
        tmp_path / "state",
        image=image,
        client=docker_client,
        passive_ports=PASSIVE,
        lucca_passive_ports=LUCCA_PASSIVE,
    )  # type: ignore[arg-type]
    started = time.monotonic()
    container.start()
    print(f"\nup to healthy: {time.monotonic() - started:.2f} s")
    try:
        yield container
    finally:
        container.stop()


def test_host_clients_complete_onss_and_magda_exchanges(suite: SuiteContainer, tmp_path: Path) -> None:
    onss = suite.info["onss"]
    account = onss.account("EXP0000001")
    request = tmp_path / "DMFA.CONTAINER.xml"
    request.write_text("<dmfa/>")
    uploaded = sftp_batch(onss.endpoint(), account.username, f"put {request} IN/\n", key=account.private_key)
    assert uploaded.returncode == 0, uploaded.stderr
    answer = suite.journal.wait_for(kind="partner.answer", partner="onss", path="IN/DMFA.CONTAINER.xml")
    fetched = sftp_batch(
        onss.endpoint(),
        account.username,
        f"get {answer.detail['answer']} {tmp_path}/ack\nrm {answer.detail['answer']}\n",
        key=account.private_key,
    )
    assert fetched.returncode == 0, fetched.stderr
    assert "status: ACCEPTED" in (tmp_path / "ack").read_text()

    magda = suite.info["magda"]
    endpoint, client = magda.endpoint(), magda.account("afnemer-0001")
    assert endpoint.tls is not None and client.certificate is not None
    credentials = [
        "-u",
        f"{client.username}:blabla",
        "--ftp-ssl",
        "--ssl-reqd",
        "--cacert",
        endpoint.tls.ca_file,
        "--cert",
        client.certificate.certificate,
        "--key",
        client.certificate.key,
    ]
    base = f"ftp://127.0.0.1:{endpoint.port}"
    (tmp_path / "VRAAG.CONTAINER.xml.tmp").write_text("<Vraag/>")
    put = curl(
        *credentials,
        "-T",
        str(tmp_path / "VRAAG.CONTAINER.xml.tmp"),
        "-Q",
        "-RNFR VRAAG.CONTAINER.xml.tmp",
        "-Q",
        "-RNTO VRAAG.CONTAINER.xml",
        f"{base}/to_vip/",
    )
    assert put.returncode == 0, put.stderr
    reply = suite.journal.wait_for(kind="partner.answer", partner="magda", path="to_vip/VRAAG.CONTAINER.xml")
    got = curl(
        *credentials, "--ftp-pasv", "-o", str(tmp_path / "antwoord.xml"), f"{base}/{reply.detail['answer']}"
    )
    assert got.returncode == 0, got.stderr
    assert "<Status>VERWERKT</Status>" in (tmp_path / "antwoord.xml").read_text()
    assert suite.admin.get("/v1/report")["passed"] is False  # the MAGDA answer was left in from_vip


def test_a_restart_keeps_credentials_and_files(suite: SuiteContainer) -> None:
    before = suite.info["onss"].endpoint().host_keys
    admin = suite.info.admin
    assert admin is not None and admin.token  # it listens on 0.0.0.0: never without a token
    with pytest.raises(AdminError, match="missing or wrong bearer token"):
        AdminClient(admin.url).get("/v1/clock")
    suite.admin.request("PUT", "/v1/partners/onss/accounts/EXP0000001/files/OUT/KEPT.txt", data=b"still here")
    suite.restart()
    assert suite.info["onss"].endpoint().host_keys == before
    assert suite.info.admin is not None and suite.info.admin.token == admin.token
    assert (Path(suite.info["onss"].account().home) / "OUT" / "KEPT.txt").read_text() == "still here"


@pytest.mark.parametrize(
    ("environment", "volume_mode", "message"),
    [
        ({"MOCKPARTNERS_PORTZ": "1"}, "rw", "unknown environment variable MOCKPARTNERS_PORTZ"),
        ({"MOCKPARTNERS_ADMIN_PORT": "8022"}, "rw", "port 8022"),
        ({}, "ro", "cannot use state directory /state"),
    ],
)
def test_bad_setups_exit_with_one_clear_message(
    image: str,
    docker_client: object,
    tmp_path: Path,
    environment: dict[str, str],
    volume_mode: str,
    message: str,
) -> None:
    container = SuiteContainer(
        tmp_path / "state",
        image=image,
        client=docker_client,
        environment=environment,  # type: ignore[arg-type]
        read_only=volume_mode == "ro",
        passive_ports=BAD_SETUP_PASSIVE,
        lucca_passive_ports=range(0),
    )
    with pytest.raises(ContainerError) as stopped:
        container.start(timeout=60)
    container.stop()
    assert message in str(stopped.value)
    assert "Traceback" not in str(stopped.value)


def _publish_passive_ports_clear_of_other_tests(compose_file: Path) -> None:
    """The example publishes MAGDA's passive ports 40000-40009 on the host, where in-process MAGDA tests
    running beside it open theirs: the copy publishes them elsewhere (the client uses the compose network)."""
    text = compose_file.read_text()
    published = '"40000-40009:40000-40009"'
    assert published in text, "the example's passive ports changed: update this test"
    elsewhere = f'"{COMPOSE_PASSIVE[0]}-{COMPOSE_PASSIVE[-1]}:40000-40009"'
    compose_file.write_text(text.replace(published, elsewhere))


def test_the_compose_example_contract_tests_both_partners(engine: Engine, image: str, tmp_path: Path) -> None:
    """compose/docker-compose.yml: the suite and a client container (OpenSSH sftp, lftp, curl)."""
    client = engine.build("mockpartners-client:dev", ROOT / "compose" / "client")
    assert client.returncode == 0, client.stderr[-3000:]
    assert engine.run("tag", image, "mockpartners:dev").returncode == 0
    project = tmp_path / "compose"
    shutil.copytree(ROOT / "compose", project, ignore=shutil.ignore_patterns("state"))
    (project / "state").mkdir(mode=0o777, exist_ok=True)
    (project / "state").chmod(0o777)
    _publish_passive_ports_clear_of_other_tests(project / "docker-compose.yml")
    run = [*engine.compose(), "-f", str(project / "docker-compose.yml"), "-p", f"mockpartners{os.getpid()}"]
    log = tmp_path / "compose.log"
    try:
        with log.open("w") as output:  # a file, not a pipe: podman-compose's "podman start -a" outlives "up"
            subprocess.run(
                [*run, "up", "--no-build", "--abort-on-container-exit"],
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                timeout=180,
                cwd=project,
            )
    finally:
        subprocess.run([*run, "down"], capture_output=True, timeout=120, cwd=project)
    output = log.read_text()
    assert "onss: acknowledged" in output and "magda: answered" in output, output[-4000:]
    assert "contract kept" in output, output[-4000:]
