"""A real browser for the pages only a browser can read: headless Chromium (the operating system's package) driven by
Playwright, used only when the plain fetch cannot read a page.

When: a JS challenge (HTTP 412 with a Ruishu-like ``$_ts`` script, 521 with a ``__jsl_clearance`` cookie script, a 200
page whose only content is a cookie-setting script), or a page the caller reads (a list, a report) whose plain HTML
holds nothing while an inline script builds it (an XHR/JSON list, a body drawn from hidden data). Every request the
browser makes obeys the crawler's rules: the site check, robots.txt, the address guard and the per-host spacing
(``hostlock``), each counted as a request of the fetch; the rest is blocked and recorded, and so are images, fonts and
media. A cookie a challenge set is handed to the plain session, so later requests to that host need no browser while
it lasts. One Chromium per worker process, on its own thread (Playwright's sync API belongs to the thread that
started it), one page at a time, restarted when its memory passes ``FZZF_BROWSER_MAX_MB``.

Without Chromium (or with ``FZZF_BROWSER=0``) such a page is a failed read (``FetchError`` kind ``browser``, reason
"needs a browser"): the crawl goes on and coverage says ``unknown`` for what it hid, never ``missing``.
``find_chromium`` is the one home of "where is Chromium" (the Makefile's check and any Playwright test use it).
"""

from __future__ import annotations

import atexit
import logging
import os
import queue
import re
import shutil
import sys
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from scrapers.collect.fetch import FetchError, Response, same_site
from scrapers.settings import BrowserSettings

__all__ = [
    "INSTALL_HINT",
    "Browser",
    "BrowserHook",
    "challenge",
    "chromium_problem",
    "find_chromium",
    "process_tree_rss_mb",
    "script_built",
]

log = logging.getLogger("fzzf.browser")

# Where the operating system's Chromium lives (Debian/Ubuntu packages, then whatever PATH has).
CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/lib/chromium/chromium")
CHROMIUM_NAMES = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
INSTALL_HINT = (
    "install Chromium from the OS packages (Debian/Ubuntu: `sudo apt-get install chromium`) or set FZZF_CHROMIUM to a "
    "Chromium binary; FZZF_BROWSER=0 crawls without it (pages that need it are then `unknown`)"
)
# Requests a page needs no browser for: what they cost is the point of blocking them.
BLOCKED_TYPES = frozenset({"image", "font", "media"})
# Chromium's own traffic (updates, metrics, safe browsing) is off: only the page's requests leave, and those are routed.
CHROMIUM_ARGS = (
    "--no-sandbox",  # CI and Airflow workers run as root, where Chromium refuses its sandbox
    "--disable-dev-shm-usage",
    "--disable-gpu",
    "--no-first-run",
    "--no-pings",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-domain-reliability",
    "--disable-sync",
    "--disable-client-side-phishing-detection",
    "--dns-prefetch-disable",
    "--renderer-process-limit=2",
    "--js-flags=--max-old-space-size=256",
    # Debian's wrapper hands Chromium Google API keys, so it looks up Google's sign-in and update hosts at start. A
    # page's own requests are routed (off-site ones blocked), so no government page needs these names resolved.
    "--host-resolver-rules="
    + ", ".join(
        f"MAP {pattern} ~NOTFOUND"
        for pattern in ("*.google.com", "*.googleapis.com", "*.gvt1.com", "*.gstatic.com", "*.googleusercontent.com")
    ),
)

# --- when a page needs a browser (patterns as data) ----------------------------------------------------------------
RUISHU = re.compile(r"\$_ts\s*(?:=|\.|\[)")
JSL_CLEARANCE = re.compile(r"__jsl_clearance")
SETS_COOKIE = re.compile(r"document\.cookie\s*=")
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc\s*=)[^>]*>(.*?)</script>", re.S | re.I)
# An inline script that fetches data or writes the document: what builds a list or a body the HTML does not hold.
BUILDS_CONTENT = re.compile(
    r"XMLHttpRequest|\bfetch\s*\(|\$\.(?:ajax|get|post|getJSON)\s*\(|\baxios\.|innerHTML\s*\+?=|insertAdjacentHTML"
    r"|appendChild\s*\(|document\.write(?:ln)?\s*\(|\.html\s*\(|\.append\s*\("
)
TAGS = re.compile(r"<script\b.*?</script>|<style\b.*?</style>|<!--.*?-->|<[^>]+>", re.S | re.I)
CHALLENGE_TEXT_MAX = 40  # visible characters beside a cookie script: the page is only the script
SNIFF_BYTES = 400_000


def find_chromium(settings: BrowserSettings | None = None) -> str | None:
    """The Chromium binary to drive: ``FZZF_CHROMIUM`` when set (None if it is not an executable file), else the OS
    package's (``/usr/bin/chromium`` and the like), else one on PATH; None when there is none."""
    settings = settings or BrowserSettings()
    if settings.chromium:
        path = Path(settings.chromium)
        return str(path) if path.is_file() and os.access(path, os.X_OK) else None
    for candidate in CHROMIUM_PATHS:
        if os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    for name in CHROMIUM_NAMES:
        found = shutil.which(name)
        if found:
            return found
    return None


def chromium_problem(settings: BrowserSettings | None = None) -> str | None:
    """Why no browser can be used (a sentence a user can act on), or None when one can."""
    settings = settings or BrowserSettings()
    if not settings.enabled:
        return "the browser is disabled (FZZF_BROWSER=0)"
    if find_chromium(settings) is None:
        where = (
            f"FZZF_CHROMIUM={settings.chromium} is not an executable file" if settings.chromium else "no Chromium found"
        )
        return f"{where}; {INSTALL_HINT}"
    try:
        import playwright.sync_api  # noqa: F401 - a pinned dependency; missing only in a broken install
    except ImportError:
        return "the Python package playwright is not installed (run `make venv`)"
    return None


def _sniff(resp: Response) -> str | None:
    """The start of an HTML answer as text (ASCII patterns only are looked for), or None for other content."""
    ctype = resp.content_type.lower()
    if ctype and "html" not in ctype and "text/plain" not in ctype:
        return None
    return resp.content[:SNIFF_BYTES].decode("utf-8", "replace")


def _visible_text(text: str) -> str:
    return re.sub(r"\s+", "", TAGS.sub(" ", text))


def challenge(resp: Response) -> str | None:
    """What kind of JS challenge the answer is, or None: only a browser running its script gets the page."""
    text = _sniff(resp)
    if text is None:
        return None
    if resp.status == 412 and RUISHU.search(text):
        return "HTTP 412 with a Ruishu-like ($_ts) script challenge"
    if resp.status == 521 and (JSL_CLEARANCE.search(text) or SETS_COOKIE.search(text)):
        return "HTTP 521 with a cookie-setting (__jsl_clearance) script challenge"
    if resp.ok and SETS_COOKIE.search(text) and len(_visible_text(text)) < CHALLENGE_TEXT_MAX and "<a " not in text:
        return "a page whose only content is a cookie-setting script"
    return None


def script_built(resp: Response, reads: str) -> str | None:
    """Why the plain HTML of a ``reads`` page ("list" or "report") holds nothing to read while an inline script would
    build it, or None. Called only on answers the crawler is about to read; cheap unless a building script is there."""
    if not resp.ok:
        return None
    text = _sniff(resp)
    if text is None or not any(BUILDS_CONTENT.search(s) for s in INLINE_SCRIPT.findall(text)):
        return None
    if reads == "list":
        from scrapers.collect.discover import parse_list_page  # discovery is above fetching; imported when needed

        if not parse_list_page(resp.content, resp.url, resp.content_type).links:
            return "a list page with no links whose script builds the list"
    elif reads == "report":
        from scrapers.collect.judge import MIN_REPORT_TEXT
        from scrapers.extract import extract_page

        # No text at all (a short news item is text): the judge would call it an error page, never a report.
        page = extract_page(resp.content, url=resp.url)
        if len(page.body or "") < MIN_REPORT_TEXT and not page.attachments:
            return "a report page with no text whose script builds the body"
    return None


def process_tree_rss_mb(root_pid: int | None = None) -> float:
    """Memory of ``root_pid``'s descendants (Playwright's driver and Chromium's processes), in MB (PSS)."""
    root = root_pid or os.getpid()
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    total, todo = 0, list(children.get(root, []))
    while todo:
        pid = todo.pop()
        todo.extend(children.get(pid, []))
        try:
            # Proportional set size: Chromium's processes share most of their pages; RSS would count them each time.
            with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
                total += next(int(line.split()[1]) for line in fh if line.startswith("Pss:"))
        except (OSError, StopIteration, IndexError, ValueError):
            continue
    return total / 1024


@dataclass
class BrowserStats:
    started: int = 0  # Chromium launches (restarts over the memory cap included)
    pages: int = 0  # pages rendered
    rendered: list[tuple[str, str]] = field(default_factory=list)  # (url, why it needed the browser)
    requests: int = 0  # requests the browser let out (each spaced and counted like a plain fetch)
    blocked: list[tuple[str, str]] = field(default_factory=list)  # (url, why) the browser was not allowed
    peak_mb: float = 0.0  # highest memory of the browser's processes seen after a page


class Browser:
    """One headless Chromium on one thread; ``render`` may be called from any thread (pages go one at a time)."""

    def __init__(self, settings: BrowserSettings, executable: str):
        self.settings, self.executable = settings, executable
        self.stats = BrowserStats()
        self._playwright = self._chromium = None  # started on the first page, on the browser's thread
        self._jobs: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._loop, name="fzzf-browser", daemon=True)
        self._thread.start()

    def render(self, fetcher, url: str, allowed: set[str], why: str) -> Response:
        done: Future = Future()
        self._jobs.put((self._render, (fetcher, url, allowed, why), done))
        return done.result()

    def close(self) -> None:
        if not self._thread.is_alive():
            return
        done: Future = Future()
        self._jobs.put((self._stop, (), done))
        self._jobs.put(None)
        done.result(timeout=30)
        self._thread.join(timeout=30)

    # the browser thread ------------------------------------------------------------------------------------------
    def _loop(self) -> None:
        while (job := self._jobs.get()) is not None:
            fn, args, done = job
            try:
                done.set_result(fn(*args))
            except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread
                done.set_exception(exc)

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        if self._playwright is None:
            self._playwright = sync_playwright().start()
        self._chromium = self._playwright.chromium.launch(
            executable_path=self.executable, headless=True, args=list(CHROMIUM_ARGS)
        )
        self.stats.started += 1

    def _stop(self) -> None:
        for closing in (self._chromium, self._playwright):
            if closing is not None:
                try:
                    closing.close() if closing is self._chromium else closing.stop()
                except Exception:  # noqa: BLE001 - a browser that died already is closed enough
                    log.debug("closing the browser failed", exc_info=True)
        self._chromium = self._playwright = None

    def _render(self, fetcher, url: str, allowed: set[str], why: str) -> Response:
        from playwright.sync_api import Error as PlaywrightError

        if self._chromium is None or not self._chromium.is_connected():
            self._start()
        made = [0]
        context = self._chromium.new_context(
            user_agent=fetcher.politeness.user_agent, locale="zh-CN", service_workers="block"
        )
        try:
            context.add_cookies(_session_cookies(fetcher, url))
            context.route("**/*", lambda route, request: self._route(fetcher, allowed, made, route, request))
            page = context.new_page()
            main: dict = {}

            def on_response(r) -> None:
                if r.request.is_navigation_request() and r.frame == page.main_frame:
                    main.update(status=r.status, url=r.url, headers=r.headers)

            page.on("response", on_response)
            try:
                html = self._settle(page, url, why)
            except PlaywrightError as exc:
                raise FetchError(
                    url, "browser", f"{why}; the browser could not load it: {_first_line(exc)}", made[0]
                ) from None
            _hand_cookies(fetcher, context.cookies())
        finally:
            context.close()
        self.stats.pages += 1
        self.stats.rendered.append((url, why))
        self._check_memory()
        headers = {k.lower(): v for k, v in main.get("headers", {}).items()}
        headers["content-type"] = "text/html; charset=utf-8"  # the DOM as the scripts left it, serialised as UTF-8
        headers["x-fzzf-browser"] = why
        return Response(main.get("url", url), int(main.get("status", 200)), html.encode("utf-8"), headers, made[0])

    def _settle(self, page, url: str, why: str) -> str:
        """The document once its scripts ran: a challenge's reload done, the network quiet; within the time cap."""
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import TimeoutError as PlaywrightTimeout

        cap = self.settings.timeout
        deadline = time.monotonic() + cap
        page.goto(url, wait_until="load", timeout=cap * 1000)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise FetchError(url, "browser", f"{why}; the page was still not readable after {cap:g} s")
            try:
                page.wait_for_load_state("networkidle", timeout=left * 1000)
                html = page.content()
            except PlaywrightTimeout:
                continue
            except PlaywrightError:
                page.wait_for_timeout(100)  # the document is being replaced (a challenge's reload)
                continue
            probe = Response(page.url, 200, html.encode("utf-8"), {"content-type": "text/html"})
            if challenge(probe) is None and not RUISHU.search(html[:SNIFF_BYTES]):
                return html
            page.wait_for_timeout(200)

    def _route(self, fetcher, allowed: set[str], made: list[int], route, request) -> None:
        """Every request the page makes: the crawler's rules, or blocked and recorded."""
        url = request.url
        why = None
        if request.resource_type in BLOCKED_TYPES:
            why = f"{request.resource_type} (not needed to read the page)"
        elif not same_site(url, allowed):
            why = "off the site"
        else:
            try:
                fetcher.check_url(url)
                if fetcher.politeness.obey_robots and not fetcher.robots_allowed(url):
                    why = "disallowed by robots.txt"
            except FetchError as exc:
                why = str(exc).removeprefix(f"{url}: ")
        if why is not None:
            self.stats.blocked.append((url, why))
            if request.resource_type not in BLOCKED_TYPES:
                log.info("browser: blocked %s: %s", url, why)
            route.abort("blockedbyclient")
            return
        host = urlsplit(url).netloc
        fetcher.gate.wait(host)  # the same per-host spacing as every plain request (hostlock)
        fetcher.count_request(host)
        made[0] += 1
        self.stats.requests += 1
        route.continue_()

    def _check_memory(self) -> None:
        used = process_tree_rss_mb()
        self.stats.peak_mb = max(self.stats.peak_mb, used)
        if used > self.settings.max_mb:
            log.info("browser: %.0f MB over the %d MB cap; restarting Chromium", used, self.settings.max_mb)
            self._chromium.close()
            self._chromium = None


def _session_cookies(fetcher, url: str) -> list[dict]:
    """The plain session's cookies for ``url``'s host, for the browser (a challenge solved before is not re-solved)."""
    host = urlsplit(url).hostname or ""
    out = []
    for c in fetcher.session.cookies:
        if c.domain.lstrip(".") == host or host.endswith(c.domain if c.domain.startswith(".") else "." + c.domain):
            cookie = {"name": c.name, "value": c.value or "", "domain": host, "path": c.path or "/"}
            if c.expires:
                cookie["expires"] = float(c.expires)
            out.append(cookie)
    return out


def _hand_cookies(fetcher, cookies: list[dict]) -> None:
    """Cookies the page set (a challenge's clearance) go to the plain session, with their expiry: plain requests to
    that host carry them while they last."""
    for c in cookies:
        expires = c.get("expires")
        fetcher.session.cookies.set(
            c["name"], c["value"], domain=c["domain"], path=c.get("path") or "/",
            expires=int(expires) if expires and expires > 0 else None, secure=bool(c.get("secure")),
        )  # fmt: skip


def _first_line(exc: BaseException) -> str:
    from scrapers.collect.errors import cut_at_word  # Playwright's messages run long: cut at a word, never inside one

    return cut_at_word((str(exc).strip().splitlines() or [type(exc).__name__])[0], 200)


_shared: dict[str, Browser] = {}
_shared_pid = os.getpid()
_shared_lock = threading.Lock()


def shared_browser(settings: BrowserSettings, executable: str) -> Browser:
    """The worker process's one browser (started on first use, closed at exit)."""
    global _shared_pid
    with _shared_lock:
        if _shared_pid != os.getpid():
            # A forked worker (Airflow, multiprocessing) inherits the parent's entry but not its browser thread.
            _shared.clear()
            _shared_pid = os.getpid()
        browser = _shared.get(executable)
        if browser is None:
            browser = _shared[executable] = Browser(settings, executable)
            atexit.register(browser.close)
        return browser


class BrowserHook:
    """What ``Fetcher.fetch`` asks after every answer: is this page one only a browser can read? Then the browser
    reads it, or, without one, the fetch fails with "needs a browser"."""

    def __init__(self, settings: BrowserSettings | None = None):
        self.settings = settings or BrowserSettings()
        self._problem: str | None = None
        self._checked = False
        self.browser: Browser | None = None
        self.needed = 0  # pages that needed a browser (read or not)

    def after_fetch(self, fetcher, resp: Response, allowed: set[str], reads: str | None) -> Response:
        why = challenge(resp) or (script_built(resp, reads) if reads else None)
        if why is None:
            return resp
        self.needed += 1
        problem = self.problem()
        if problem is not None:
            raise FetchError(resp.url, "browser", f"needs a browser ({why}); {problem}", resp.requests)
        if self.browser is None:
            self.browser = shared_browser(self.settings, find_chromium(self.settings) or "")
        try:
            rendered = self.browser.render(fetcher, resp.url, allowed, why)
        except FetchError as exc:
            exc.requests_made += resp.requests
            raise
        log.info("browser: read %s (%s), %d requests", resp.url, why, rendered.requests)
        rendered.requests += resp.requests
        rendered.redirected_from = list(resp.redirected_from)
        return rendered

    def problem(self) -> str | None:
        if not self._checked:
            self._problem, self._checked = chromium_problem(self.settings), True
        return self._problem


def main() -> int:
    """``python -m scrapers.collect.browser``: where Chromium is (exit 0), or how to get it (exit 1); the Makefile's
    ``chromium`` target asks this, so "where is Chromium" has one answer."""
    found = find_chromium()
    if found:
        print(found)
        return 0
    print(f"fzzf: {chromium_problem(BrowserSettings(enabled=True))}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
