"""A one-line progress bar for ``fzzf crawl`` on a terminal: sources done, list pages, requests, reports found.

No dependency: a carriage-return line on stderr, redrawn at most ten times a second. Disabled, it only counts.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import TextIO


class Progress:
    def __init__(self, total: int, enabled: bool = False, stream: TextIO | None = None, width: int = 30):
        self.total, self.enabled, self.width = total, enabled, width
        self.stream = stream or sys.stderr
        self.done = self.failed = self.pages = self.requests = self.reports = self.sources = 0
        self._lock = threading.Lock()
        self._drawn = 0.0
        self._started = time.monotonic()

    def add(self, kind: str, n: int) -> None:
        """Callback for the crawler: kind is 'pages', 'requests' or 'reports'."""
        with self._lock:
            setattr(self, kind, getattr(self, kind) + n)
        self._draw()

    def government_done(self, result) -> None:
        with self._lock:
            self.done += 1
            self.sources += len(result.sources)
            if result.status in ("failed", "locked"):
                self.failed += 1
        self._draw(force=self.done == self.total)

    def line(self) -> str:
        filled = int(self.width * self.done / self.total) if self.total else self.width
        rate = self.requests / max(time.monotonic() - self._started, 1e-6)
        return (
            f"[{'#' * filled}{'.' * (self.width - filled)}] {self.done}/{self.total} governments "
            f"({self.sources} sources, {self.failed} failed)  pages {self.pages}  reports {self.reports}  "
            f"{rate:.1f} req/s"
        )

    def _draw(self, force: bool = False) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if not force and now - self._drawn < 0.1:
            return
        self._drawn = now
        self.stream.write("\r" + self.line())
        self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self._draw(force=True)
            self.stream.write("\n")
            self.stream.flush()
