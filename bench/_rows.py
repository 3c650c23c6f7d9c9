"""The issue's targets, turning each section's raw results into table rows."""

from __future__ import annotations

from typing import Any

from ._common import median, paired
from ._http import BARE_HTTP, Deposits
from ._outbox import BARE_SMTP
from ._report import Row
from ._throughput import Transfers

__all__ = [
    "answer_rows",
    "cpu_row",
    "deposit_rows",
    "fixture_rows",
    "outbox_rows",
    "session_rows",
    "smtp_rows",
    "startup_rows",
    "throughput_rows",
]

THROUGHPUT_TARGET = 0.90
READY_TARGET = 0.5
RESET_TARGET = 0.005
ANSWER_P99_TARGET = 100.0
REFERENCE = {"sftp": "sshd", "ftps": "vsftpd", "http": BARE_HTTP}


def throughput_rows(transfers: Transfers) -> list[Row]:
    reference = REFERENCE[transfers.protocol]
    rows = []
    for measure in transfers.rates:
        ratio = transfers.paired(measure, "mockpartners", reference)
        rounds = len(transfers.rates[measure]["mockpartners"])
        name = f"{transfers.protocol.upper()} {measure}"
        rows.append(
            Row(
                transfers.protocol,
                f"{name}, {transfers.size / 2**20:.0f} MiB, median of {rounds}",
                transfers.median(measure, "mockpartners"),
                transfers.median(measure, reference),
                "MB/s",
                reference,
                ratio,
                f">= {THROUGHPUT_TARGET:.2f}x",
                None if ratio is None else ratio >= THROUGHPUT_TARGET,
            )
        )
        rows.append(cpu_row(transfers, measure, reference))
    return rows


def cpu_row(transfers: Transfers, measure: str, reference: str) -> Row:
    """The server's CPU seconds per GiB: what the transfer cost the server (median, ratio per round)."""
    name = f"{transfers.protocol.upper()} {measure}"
    return Row(
        transfers.protocol,
        f"{name}: server CPU per GiB",
        transfers.median(measure, "mockpartners", cpu=True),
        transfers.median(measure, reference, cpu=True),
        "s",
        reference,
        transfers.paired(measure, "mockpartners", reference, cpu=True),
    )


def session_rows(result: dict[str, Any]) -> list[Row]:
    count = result["sessions"]
    ours, sshd = result["rounds"]["mockpartners"], result["rounds"]["sshd"]

    def worst_ok(runs: list[dict[str, Any]]) -> float:
        return float(min(run["ok"] for run in runs))

    def middle(runs: list[dict[str, Any]], key: str) -> float:
        return median([float(run[key]) for run in runs])

    rows = [
        Row(
            "sessions",
            f"{count} concurrent sessions: succeeded",
            worst_ok(ours),
            worst_ok(sshd),
            "",
            "sshd",
            None,
            f"{count} of {count}",
            worst_ok(ours) == count,
        )
    ]
    for key, label, unit, scale in (
        ("login_p50_ms", "login p50", "ms", 1.0),
        ("login_p99_ms", "login p99", "ms", 1.0),
        ("total_s", "all sessions done", "s", 1.0),
    ):
        mine, theirs = middle(ours, key) * scale, middle(sshd, key) * scale
        ratio = mine / theirs if theirs else None
        rows.append(Row("sessions", f"{count} sessions: {label}", mine, theirs, unit, "sshd", ratio))
    memory = result["peak_memory_bytes"]
    rows.append(
        Row(
            "sessions",
            f"{count} sessions: server peak memory",
            float(memory["mockpartners"]),
            float(memory["sshd"]),
            "MB",
            "sshd tree, PSS",
            memory["mockpartners"] / memory["sshd"] if memory["sshd"] else None,
        )
    )
    return rows


def startup_rows(result: dict[str, Any]) -> list[Row]:
    measures = result["measures"]
    partners = "+".join(result["partners"])
    sshd, vsftpd = measures["sshd"]["median"], measures["vsftpd"]["median"]
    rows = []
    for name, label, target in (
        ("in-process", "in-process Suite.start()", True),
        ("cli", "CLI mockpartners up --no-admin", True),
        ("cli with admin API", "CLI mockpartners up (admin API on)", False),
    ):
        value = measures[name]["median"]
        rows.append(
            Row(
                "startup",
                f"start to ready ({partners}), {label}",
                value,
                max(sshd, vsftpd),
                "s",
                "slower of sshd, vsftpd",
                None,
                f"< {READY_TARGET * 1000:.0f} ms" if target else "",
                value < READY_TARGET if target else None,
            )
        )
    return rows


def fixture_rows(result: dict[str, Any]) -> list[Row]:
    """Per partner fixture: the time between two tests sharing its suite, beside a fresh suite per test."""
    rows = []
    for name, measured in result["partners"].items():
        value, fresh, count = measured["reset_median"], measured["fresh_median"], len(measured["resets"])
        rows.append(
            Row(
                "startup",
                f"per-test cost of the {name} fixture, reset between tests, median of {count}",
                value,
                fresh,
                "s",
                "a fresh suite per test",
                value / fresh if fresh else None,
                f"< {RESET_TARGET * 1000:.0f} ms",
                value < RESET_TARGET,
            )
        )
    return rows


def answer_rows(result: dict[str, Any]) -> list[Row]:
    files = result["files"]
    return [
        Row("answers", f"upload to answer, p50 of {files}", result["p50_ms"], None, "ms"),
        Row(
            "answers",
            f"upload to answer, p99 of {files}",
            result["p99_ms"],
            None,
            "ms",
            target=f"< {ANSWER_P99_TARGET:.0f} ms",
            met=result["p99_ms"] < ANSWER_P99_TARGET,
        ),
    ]


def deposit_rows(deposits: Deposits) -> list[Row]:
    """The XFB gateway: one large deposit (as the throughput rows), then the small ones: deposits per
    second (target as throughput), latency p50 and p95 (ratio: ours' time over the bare server's)."""
    rows = throughput_rows(deposits.large)
    ours, bare = deposits.small["mockpartners"], deposits.small[BARE_HTTP]
    count = ours[0]["deposits"] if ours else 0
    rate = paired([run["per_second"] for run in ours], [run["per_second"] for run in bare])
    rows.append(
        Row(
            "http",
            f"HTTP small deposits (1 KB, {count} per round, 4 at once), per second",
            median([run["per_second"] for run in ours]),
            median([run["per_second"] for run in bare]),
            "deposits/s",
            BARE_HTTP,
            rate,
            f">= {THROUGHPUT_TARGET:.2f}x",
            None if rate is None else rate >= THROUGHPUT_TARGET,
        )
    )
    for key, label in (("p50_ms", "p50"), ("p95_ms", "p95")):
        mine, theirs = [run[key] for run in ours], [run[key] for run in bare]
        rows.append(
            Row(
                "http",
                f"HTTP small deposit latency, {label}",
                median(mine),
                median(theirs),
                "ms",
                BARE_HTTP,
                paired(mine, theirs),
            )
        )
    return rows


def outbox_rows(result: dict[str, Any]) -> list[Row]:
    ours, bare = result["rounds"]["mockpartners"], result["rounds"][BARE_SMTP]
    return [
        Row(
            "outbox",
            f"mails through the outbox (SMTP to .eml, {result['mails']} per round), per second",
            median(ours),
            median(bare),
            "mails/s",
            BARE_SMTP,
            paired(ours, bare),
        )
    ]


def smtp_rows(result: dict[str, Any]) -> list[Row]:
    """PECOTO's SMTP intake beside bare aiosmtpd: messages per second with a 1 MiB file (median)."""
    ours, bare = result["rounds"]["mockpartners"], result["rounds"][BARE_SMTP]
    ratio = result["ratio"]
    measure = f"SMTP intake, {result['messages']} messages with a 1 MiB file, median of {len(ours)}"
    return [
        Row("smtp", measure, median(ours), median(bare), "msg/s", BARE_SMTP, ratio,
            f">= {THROUGHPUT_TARGET:.2f}x", None if ratio is None else ratio >= THROUGHPUT_TARGET),
    ]  # fmt: skip
