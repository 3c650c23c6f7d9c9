"""The results: rows with their targets, the printed table, the JSON file and the table in the docs."""

from __future__ import annotations

import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

from ._common import PACKAGES, BenchError

__all__ = ["Row", "machine", "markdown_table", "text_table", "update_docs", "write_json"]

START_MARKER = "<!-- bench:results:start -->"
END_MARKER = "<!-- bench:results:end -->"


@dataclass(frozen=True)
class Row:
    """One measure: ours beside the reference, the ratio, and whether the target is met."""

    section: str
    measure: str
    ours: float | None
    reference: float | None
    unit: str
    reference_label: str = ""
    ratio: float | None = None
    target: str = ""
    met: bool | None = None

    @property
    def result(self) -> str:
        return "" if self.met is None else "met" if self.met else "MISSED"


def _number(value: float | None, unit: str) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if unit == "MB":  # values are bytes
        return f"{value / 1e6:.0f} MB"
    if unit == "s" and value < 1:
        unit, value = "ms", value * 1000
    if unit == "":  # counts
        return f"{value:.0f}"
    digits = 0 if abs(value) >= 100 else 1 if abs(value) >= 10 or unit == "ms" else 2
    return f"{value:.{digits}f} {unit}"


def _cells(row: Row) -> list[str]:
    reference = _number(row.reference, row.unit)
    if row.reference_label and row.reference is not None:
        reference += f" ({row.reference_label})"
    ratio = "" if row.ratio is None else f"{row.ratio:.2f}x"
    return [row.measure, _number(row.ours, row.unit), reference, ratio, row.target, row.result]


HEADER = ["measure", "mockpartners", "reference", "ratio", "target", "result"]


def text_table(rows: list[Row]) -> str:
    lines = [HEADER, *(_cells(row) for row in rows)]
    widths = [max(len(line[column]) for line in lines) for column in range(len(HEADER))]
    out = []
    for index, line in enumerate(lines):
        out.append("  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip())
        if index == 0:
            out.append("  ".join("-" * width for width in widths))
    return "\n".join(out)


def markdown_table(rows: list[Row]) -> str:
    lines = ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    for row in rows:
        cells = _cells(row)
        cells[-1] = f"**{cells[-1]}**" if cells[-1] == "MISSED" else cells[-1]
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return "\n".join(lines)


def _first_line(command: list[str]) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired, BenchError):
        return "?"
    return (result.stdout.strip() or result.stderr.strip() or "?").splitlines()[0]


def _package_version(package: str) -> str:
    """The Debian package's version (vsftpd has no version option that prints to stdout)."""
    query = shutil.which("dpkg-query")
    if query is None:
        return "?"
    version = _first_line([query, "-W", "-f", "${Version}", package])
    return f"{package} {version}"


def machine() -> dict[str, Any]:
    """What the figures depend on: CPU, load, versions of every server and client."""
    model = "?"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    debian = Path("/etc/debian_version")
    tools = {name: _package_version(package) for name, package in PACKAGES.items()}
    return {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1e9, 1),
        "kernel": platform.release(),
        "debian": debian.read_text().strip() if debian.exists() else None,
        "python": sys.version.split()[0],
        "user": "root" if os.geteuid() == 0 else "non-root",
        "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE"),  # unset for the servers started
        "load_average_at_start": [round(value, 2) for value in os.getloadavg()],
        "tools": tools,
        "libraries": {name: version(name) for name in ("mockpartners", "asyncssh", "pyftpdlib", "pyOpenSSL")},
    }


def write_json(path: Path, document: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n")
    temporary.replace(path)


def update_docs(page: Path, rows: list[Row], about: dict[str, Any], command: str) -> None:
    """Replace what lies between the markers in docs/performance.md with this run's table."""
    text = page.read_text()
    if START_MARKER not in text or END_MARKER not in text:
        raise BenchError(f"{page} has no {START_MARKER} ... {END_MARKER} markers to put the table between")
    load = about["load_average_at_start"]
    tools = about["tools"]
    block = "\n".join(
        [
            START_MARKER,
            f"Run on {about['date'][:10]} with `{command}` as {about['user']}: {about['cpu']}, "
            f"{about['cores']} cores, {about['memory_gb']} GB, Linux {about['kernel']}, "
            f"Debian {about['debian']}, Python {about['python']}; load average at start "
            f"{load[0]} / {load[1]} / {load[2]} (1 / 5 / 15 min).",
            f"Debian packages: {tools['sshd']}, {tools['vsftpd']}, {tools['sftp']}, {tools['curl']}.",
            "",
            markdown_table(rows),
            END_MARKER,
        ]
    )
    pattern = re.compile(re.escape(START_MARKER) + ".*?" + re.escape(END_MARKER), re.DOTALL)
    page.write_text(pattern.sub(lambda match: block, text, count=1))


def rows_json(rows: list[Row]) -> list[dict[str, Any]]:
    return [asdict(row) | {"result": row.result} for row in rows]
