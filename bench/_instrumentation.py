"""The cost of our instrumentation: the same transfer through mockpartners and through the bare library.

mockpartners checks every request against the folder's rights, journals it, asks the scenarios about
every chunk and hands complete uploads to the partner; the bare servers (``bench._bare``) do none of it,
with the same keys, certificates, TLS settings and event loop. The ratio is ours' time over the bare
time for one large file (so 1.05x costs 5%), measured in the same rounds as the throughput against sshd
and vsftpd; beside it, the server CPU seconds per GiB of each, which other load disturbs less.
"""

from __future__ import annotations

from dataclasses import replace

from ._report import Row
from ._rows import cpu_row
from ._throughput import Transfers

__all__ = ["BARE", "TARGET", "instrumentation_rows"]

TARGET = 1.10
BARE = {"sftp": "bare asyncssh", "ftps": "bare pyftpdlib"}


def instrumentation_rows(results: list[Transfers]) -> list[Row]:
    rows = []
    for transfers in results:
        bare = BARE[transfers.protocol]
        for measure, servers in transfers.rates.items():
            if bare not in servers:  # FTPS with implicit TLS: measured against vsftpd only
                continue
            ratio = transfers.paired(measure, bare, "mockpartners")  # times: the inverse of the rates
            rows.append(
                Row(
                    "instrumentation",
                    f"{transfers.protocol.upper()} {measure}: time vs bare library",
                    transfers.median(measure, "mockpartners"),
                    transfers.median(measure, bare),
                    "MB/s",
                    bare,
                    ratio,
                    f"<= {TARGET:.2f}x",
                    None if ratio is None else ratio <= TARGET,
                )
            )
            row = cpu_row(transfers, measure, bare)
            rows.append(replace(row, section="instrumentation"))
    return rows
