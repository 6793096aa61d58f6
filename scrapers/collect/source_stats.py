"""What one list URL gave in one run (pages, requests, links, reports, errors): one ``crawl_log`` row."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from scrapers.landing import utcnow


@dataclass
class SourceStats:
    """Counts for one list URL in one run: becomes one ``crawl_log`` row."""

    list_url: str
    started_at: dt.datetime = field(default_factory=utcnow)
    finished_at: dt.datetime | None = None
    status: str = "ok"
    pages_fetched: int = 0
    requests: int = 0
    links_seen: int = 0
    reports_found: int = 0
    reports_new: int = 0
    links_skipped: int = 0
    errors: int = 0
    error: str | None = None
    list_pages_lost: int = 0  # list pages after the first that could not be read: their links were not seen

    def fail(self, message: str) -> None:
        self.status = "failed"
        self.errors += 1
        self.error = self.error or message

    def note(self, message: str, count: bool = True) -> None:
        """A problem that loses part of the source, not all of it."""
        self.errors += int(count)
        self.error = self.error or message
        if self.status == "ok":
            self.status = "partial"

    def settle(self) -> None:
        if self.status == "ok" and self.errors:
            self.status = "partial"
        self.finished_at = self.finished_at or utcnow()

    def row(self, run_id: str, government_id: str) -> dict[str, Any]:
        return {
            "run_id": run_id,
            "government_id": government_id,
            "list_url": self.list_url,
            "status": self.status,
            "pages_fetched": self.pages_fetched,
            "requests": self.requests,
            "links_seen": self.links_seen,
            "reports_found": self.reports_found,
            "reports_new": self.reports_new,
            "links_skipped": self.links_skipped,
            "errors": self.errors,
            "error": self.error,
            "list_pages_lost": self.list_pages_lost,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }
