"""Where things live and how politely we crawl: every default in one place, each overridable from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
REPO_DIR = PACKAGE_DIR.parent
DEFAULT_REGISTRY = PACKAGE_DIR / "data" / "registry.yaml"
DBT_PROJECT_DIR = REPO_DIR / "dbt_project"
EXPECTATIONS_DIR = REPO_DIR / "expectations"

USER_AGENT = "fzzf/0.1 (+https://github.com/fzzf/fzzf; mailto:fzzf-crawler@example.org) rule-of-law report collector"


class SettingsError(ValueError):
    """An environment variable with a value fzzf cannot use; the message names the variable."""


def _env_number(name: str, default, kind):
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    try:
        number = kind(value)
    except ValueError:
        what = "a whole number" if kind is int else "a number"
        raise SettingsError(f"environment variable {name} must be {what}, got {value!r}") from None
    if number < 0:
        raise SettingsError(f"environment variable {name} must not be negative, got {value!r}")
    return number


def _env_float(name: str, default: float) -> float:
    return _env_number(name, default, float)


def _env_int(name: str, default: int) -> int:
    return _env_number(name, default, int)


def _env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value in (None, ""):
        return default
    text = value.strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise SettingsError(f"environment variable {name} must be 1/0, true/false, yes/no or on/off, got {value!r}")


def data_dir(explicit: str | os.PathLike | None = None) -> Path:
    """The data directory: ``--data-dir``, else ``FZZF_DATA_DIR``, else ``./data``."""
    return Path(explicit or os.environ.get("FZZF_DATA_DIR") or "data").resolve()


def registry_path(explicit: str | os.PathLike | None = None) -> Path:
    """The registry file: ``--registry``, else ``FZZF_REGISTRY``, else the default shipped in the package."""
    return Path(explicit or os.environ.get("FZZF_REGISTRY") or DEFAULT_REGISTRY).resolve()


def explicit_registry_path(explicit: str | os.PathLike | None = None) -> Path | None:
    """The registry the user named (``--registry`` or ``FZZF_REGISTRY``), or None: then a build uses the registry
    the data directory was crawled with (``scrapers.registry.record``)."""
    value = explicit or os.environ.get("FZZF_REGISTRY")
    return Path(value).resolve() if value else None


@dataclass(frozen=True)
class Politeness:
    """How the crawler behaves towards portals. Defaults are polite; tests set delay 0."""

    delay: float = field(default_factory=lambda: _env_float("FZZF_DELAY", 1.0))  # seconds between requests per host
    timeout: float = field(default_factory=lambda: _env_float("FZZF_TIMEOUT", 20.0))  # connect+read, seconds
    # whole exchange, connect to last byte (headers included), seconds; 0 = three times the timeout. The timeout is
    # per socket read, so without this a portal that drips a byte a second would hold a worker as long as it likes.
    deadline: float = field(default_factory=lambda: _env_float("FZZF_DEADLINE", 0.0))
    retries: int = field(default_factory=lambda: _env_int("FZZF_RETRIES", 3))  # on 429/5xx and connection errors
    backoff: float = field(default_factory=lambda: _env_float("FZZF_BACKOFF", 1.0))  # first retry wait, doubles
    max_bytes: int = field(default_factory=lambda: _env_int("FZZF_MAX_BYTES", 8 * 1024 * 1024))  # response size cap
    # list-page requests per source and run: every attempt counts (404s, 5xx and their retries, robots.txt)
    max_pages: int = field(default_factory=lambda: _env_int("FZZF_MAX_PAGES", 50))
    max_redirects: int = field(default_factory=lambda: _env_int("FZZF_MAX_REDIRECTS", 5))
    obey_robots: bool = field(default_factory=lambda: _env_bool("FZZF_OBEY_ROBOTS", True))
    allow_private_hosts: bool = field(default_factory=lambda: _env_bool("FZZF_ALLOW_PRIVATE_HOSTS", False))
    workers: int = field(default_factory=lambda: _env_int("FZZF_WORKERS", 16))  # governments crawled at once
    user_agent: str = field(default_factory=lambda: os.environ.get("FZZF_USER_AGENT", USER_AGENT))


@dataclass(frozen=True)
class AttachmentLimits:
    """Hard limits on reading one PDF/DOCX attachment: a 0.15 MB DOCX can inflate to gigabytes and a 2 KB PDF whose
    pages share one stream can take seconds a page, so each is read in a child process held to these."""

    seconds: float = field(
        default_factory=lambda: _env_float("FZZF_ATTACHMENT_SECONDS", 60.0)
    )  # wall time, startup incl.
    memory_mb: int = field(default_factory=lambda: _env_int("FZZF_ATTACHMENT_MEMORY_MB", 1024))  # address space
    inflated_mb: int = field(default_factory=lambda: _env_int("FZZF_ATTACHMENT_INFLATED_MB", 64))  # DOCX parts, total


@dataclass(frozen=True)
class BrowserSettings:
    """The headless Chromium used only for pages a plain fetch cannot read (scrapers/collect/browser.py)."""

    enabled: bool = field(default_factory=lambda: _env_bool("FZZF_BROWSER", True))  # off: such pages are unknown
    chromium: str = field(default_factory=lambda: os.environ.get("FZZF_CHROMIUM", ""))  # "": the OS package's
    timeout: float = field(default_factory=lambda: _env_float("FZZF_BROWSER_TIMEOUT", 30.0))  # one page, seconds
    max_mb: int = field(default_factory=lambda: _env_int("FZZF_BROWSER_MAX_MB", 1024))  # Chromium's PSS: restarted above


@dataclass(frozen=True)
class ShrinkGuard:
    """How much less than the published warehouse a build may hold and still publish (``warehouse.shrink``): the
    largest drop of each measure, as a fraction of its published count. Reports and governments may fall a little
    (a report quarantined, registry entries merged); a whole report year never vanishes from a real crawl."""

    reports: float = field(default_factory=lambda: min(_env_float("FZZF_SHRINK_MAX_REPORTS_DROP", 0.10), 1.0))
    governments: float = field(default_factory=lambda: min(_env_float("FZZF_SHRINK_MAX_GOVERNMENTS_DROP", 0.10), 1.0))
    years: float = field(default_factory=lambda: min(_env_float("FZZF_SHRINK_MAX_YEARS_DROP", 0.0), 1.0))
    # the override for runs without a command line (the DAG); `fzzf build --allow-shrink` is the CLI's
    allow: bool = field(default_factory=lambda: _env_bool("FZZF_ALLOW_SHRINK", False))
