"""The benchmark: mockpartners side by side with OpenSSH's sshd and vsftpd, on the same loopback, in one run.

Run it with ``make bench`` (or ``.venv/bin/python -m bench --help``); docs/performance.md says what each
figure means and keeps the latest table. It lives outside the package because it drives system servers
and real clients, and because timed checks do not belong in the test suite.
"""

from __future__ import annotations

__all__ = ["SECTIONS"]

SECTIONS = ("sftp", "ftps", "instrumentation", "sessions", "startup", "answers", "http", "outbox", "smtp")
"""Every section of a run, in the order they run and print."""
