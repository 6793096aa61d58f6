"""Log levels for every entry point: the project's own loggers at INFO, libraries at WARNING.

Great Expectations alone logs a few hundred INFO lines per process (``Skipping registering function ...``), dbt,
urllib3 and Airflow's helpers add more; none of it helps the person reading a build log. ``FZZF_LOG_LEVEL=DEBUG``
(or ``fzzf -v``) turns everything, libraries included, up to DEBUG; any other level applies to the project only.
"""

from __future__ import annotations

import logging
import os
import sys

PROJECT_LOGGERS = ("fzzf", "scrapers")
# Set explicitly, not only through the root logger: Airflow's task logging puts its own root level above these.
LIBRARY_LOGGERS = (
    "great_expectations",
    "dbt",
    "urllib3",
    "requests",
    "filelock",
    "apprise",
    "asyncio",
    "httpx",
    "httpcore",
    "fsspec",
    "sqlalchemy",
    "trafilatura",
    "htmldate",
    "courlan",
    "charset_normalizer",
    "airflow.models.dagbag",
    "airflow.task.hooks",
    "airflow.providers_manager",
    "airflow.utils.log",
)


class LogLevelError(ValueError):
    """FZZF_LOG_LEVEL names no logging level."""


def project_level(verbose: bool = False) -> int:
    name = os.environ.get("FZZF_LOG_LEVEL", "").strip().upper() or ("DEBUG" if verbose else "INFO")
    level = logging.getLevelName(name)
    if not isinstance(level, int):
        raise LogLevelError(f"FZZF_LOG_LEVEL={name!r} is not a level (DEBUG, INFO, WARNING, ERROR)")
    return level


class LibraryFilter(logging.Filter):
    """Drops library records below ``level`` at the handler: some modules set their own logger to INFO when
    imported (great_expectations.data_context.types.base does), which a parent's level cannot override."""

    def __init__(self, level: int):
        super().__init__()
        self.level = level

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno >= self.level:
            return True
        return not any(record.name == n or record.name.startswith(n + ".") for n in LIBRARY_LOGGERS)


def quiet_libraries(verbose: bool = False) -> int:
    """Set the project and library logger levels, and filter library records below WARNING out of the root
    logger's handlers (inside an Airflow task: Airflow's handlers, whose own records pass); returns the project
    level."""
    level = project_level(verbose)
    library = logging.DEBUG if level <= logging.DEBUG else logging.WARNING
    for name in PROJECT_LOGGERS:
        logging.getLogger(name).setLevel(level)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).setLevel(library)
    from scrapers.alerts.secrets import RedactChannelSecrets

    for handler in logging.getLogger().handlers:
        for old in [f for f in handler.filters if isinstance(f, (LibraryFilter, RedactChannelSecrets))]:
            handler.removeFilter(old)
        handler.addFilter(LibraryFilter(library))
        handler.addFilter(RedactChannelSecrets())  # apprise and urllib3 log a webhook's URL when debugging
    return level


def configure(verbose: bool = False) -> None:
    """The CLI's logging: one stderr handler; project loggers at INFO, everything else at WARNING."""
    level = project_level(verbose)
    logging.basicConfig(
        level=logging.DEBUG if level <= logging.DEBUG else logging.WARNING,  # libraries not listed above, too
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    quiet_libraries(verbose)
