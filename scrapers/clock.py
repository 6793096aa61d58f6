"""What day it is for fzzf: the calendar day in Beijing, the one definition the CLI, the DAGs and dbt share.

Due dates are Chinese calendar days (a run at 23:30 UTC on 3-31 is already 4-1 in Beijing). ``FZZF_TODAY``
(YYYY-MM-DD) pins the day for the demo and the tests: the day fzzf pretends it is. A build for any other day is a
what-if (``scrapers.warehouse.build``): it writes its own file and never publishes or alerts.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo

REPORT_TZ = ZoneInfo("Asia/Shanghai")
ENV_TODAY = "FZZF_TODAY"


def today(moment: dt.datetime | None = None) -> dt.date:
    """Beijing's calendar day at ``moment`` (default: now), unless ``FZZF_TODAY`` pins it (for every moment: the
    demo's and the tests' scheduled runs are on the pinned day too)."""
    pinned = os.environ.get(ENV_TODAY, "").strip()
    if pinned:
        from scrapers.settings import SettingsError

        try:
            return dt.date.fromisoformat(pinned)
        except ValueError:
            raise SettingsError(f"environment variable {ENV_TODAY} must be a date YYYY-MM-DD, got {pinned!r}") from None
    moment = moment or dt.datetime.now(dt.UTC)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(REPORT_TZ).date()


def is_what_if(as_of: dt.date) -> bool:
    """True when ``as_of`` is not today: the build looks at another day and must not touch production."""
    return as_of != today()
