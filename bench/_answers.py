"""Answer latency in fast mode: from the end of an upload to the partner's acknowledgement being there.

ONSS runs in-process with ``onss.pickup.delay=0s`` (its profile's default, set anyway so a changed default
cannot slow the measure silently). Four OpenSSH ``sftp`` sessions upload small requests to ``IN/`` at the
same time; the latency of each request is read from the journal: the time of the ``partner.answer`` event
minus the time of the ``fs.close`` event that completed the upload (the journal's time is the virtual
clock, which is the wall clock while nobody moves it). The answer file is written before its event, so
a client listing ``OUT/`` at that moment finds it.
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from typing import Any

from mockpartners import Query, Suite

from ._common import BenchError, Options, median, percentile, program

__all__ = ["measure_answers"]

_PARALLEL = 4


def _batches(folder: Path, count: int, tag: str) -> list[tuple[Path, list[str]]]:
    request = folder / "request.xml"
    request.write_text("<request>" + "x" * 1000 + "</request>\n")
    names = [f"IN/BENCH.{tag}.{number:05d}.xml" for number in range(count)]
    batches = []
    for index in range(_PARALLEL):
        mine = names[index::_PARALLEL]
        if mine:
            batch = folder / f"answers-{index}.batch"
            batch.write_text("".join(f"put {request} {name}\n" for name in mine))
            batches.append((batch, mine))
    return batches


def measure_answers(options: Options, state_dir: Path) -> dict[str, Any]:
    sftp = program("sftp")
    suite = Suite(["onss"], state_dir=state_dir, ports="ephemeral", settings=["onss.pickup.delay=0s"])
    suite.start()
    try:
        onss = suite["onss"]
        endpoint, account = onss.endpoint(), onss.account("EXP0000001")
        since = onss.window_start()
        batches = _batches(options.workdir, options.answers, "A")
        clients = []
        for batch, _ in batches:
            command = [sftp, "-b", str(batch), "-P", str(endpoint.port), "-F", "/dev/null", "-i"]
            command += [str(account.private_key), "-o", "StrictHostKeyChecking=no"]
            command += ["-o", "UserKnownHostsFile=/dev/null", "-o", "LogLevel=ERROR"]
            command += ["-o", "IdentityAgent=none", "-o", "IdentitiesOnly=yes"]
            command.append(f"{account.username}@{endpoint.host}")
            clients.append(subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE))
        for client in clients:
            _, error = client.communicate(timeout=600)
            if client.returncode != 0:
                raise BenchError(f"sftp uploading requests failed: {error.decode(errors='replace').strip()}")
        answers = [onss.wait_for_answer(name, timeout=60) for _, names in batches for name in names]
        closes = {event.id: event for event in onss.journal.events(Query(kind="fs.close", after=since))}
        latencies = []
        for answer in answers:
            closed = closes.get(answer.ref or 0)
            if answer.kind != "partner.answer" or closed is None:
                raise BenchError(f"ONSS did not answer an upload as expected: {answer}")
            latencies.append((answer.time - closed.time).total_seconds())
    finally:
        suite.stop()
    return {
        "files": len(latencies),
        "parallel_sessions": _PARALLEL,
        "since_event": since,
        "p50_ms": round(median(latencies) * 1000, 2),
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2),
        "max_ms": round(max(latencies) * 1000, 2),
    }
