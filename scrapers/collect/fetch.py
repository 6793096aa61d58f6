"""Polite HTTP for government portals: per-host delay, retries with backoff, robots.txt, conditional GET, a size cap,
every request kept on the government's site (``site.off_site``), a deadline on the whole exchange
(``deadline.Exchange``), an address guard, and bytes decoded the way the page really is encoded.

``Fetcher.fetch`` returns a ``Response`` for every HTTP answer (404 included: the crawler needs to see it) and raises
``FetchError`` with a readable reason when no usable answer can be had (refused address, robots.txt, too large,
network down after retries, deadline passed, a URL or redirect off the site).
"""

from __future__ import annotations

import ipaddress
import json
import socket
import threading
import time
import urllib.robotparser
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import requests
import urllib3

from scrapers.collect import hostsfile
from scrapers.collect.deadline import DeadlineAdapter, Exchange
from scrapers.collect.errors import describe_error
from scrapers.collect.hostlock import HostGate, host_key
from scrapers.collect.site import off_site, same_site, site_host
from scrapers.extract.charset import decode_html
from scrapers.landing import atomic_write_bytes
from scrapers.settings import Politeness

__all__ = ["FetchError", "Fetcher", "Response", "decode_html", "same_site", "site_host"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
ROBOTS_TTL = 24 * 3600.0  # RFC 9309 asks crawlers not to keep robots.txt longer than a day
MAX_RETRY_AFTER = 60.0
MAX_CRAWL_DELAY = 30.0
MAX_ROBOTS_REDIRECTS = 5  # RFC 9309 2.3.1.2: follow at least five consecutive redirects


class FetchError(Exception):
    """No usable answer from ``url``; ``kind`` is one of refused, robots, too_large, network, redirect, scheme,
    offsite (a URL not on the government's site, never requested), browser (a page only a browser reads, and none
    could: scrapers/collect/browser.py), no_host (a name FZZF_HOSTS does not list)."""

    def __init__(self, url: str, kind: str, message: str, requests_made: int = 0):
        self.url, self.kind, self.requests_made = url, kind, requests_made
        super().__init__(f"{url}: {message}")


@dataclass
class Response:
    url: str  # final URL, after redirects
    status: int
    content: bytes
    headers: dict[str, str]
    requests: int = 1  # HTTP requests this fetch made (retries and redirects included)
    redirected_from: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def not_modified(self) -> bool:
        return self.status == 304

    @property
    def etag(self) -> str | None:
        return self.headers.get("etag")

    @property
    def last_modified(self) -> str | None:
        return self.headers.get("last-modified")

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def text(self) -> str:
        return decode_html(self.content, self.content_type)[0]


class Fetcher:
    """One shared session for a crawl; safe to use from many threads."""

    def __init__(
        self,
        politeness: Politeness,
        data_dir: Path | str | None = None,
        *,
        gate: HostGate | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        pool_size: int = 64,
        browser=None,
    ):
        self.politeness = politeness
        from scrapers.collect.browser import BrowserHook  # the browser module builds on this one

        self.browser = browser or BrowserHook()  # pages only a browser reads (JS challenges, script-built pages)
        self.data_dir = Path(data_dir) if data_dir is not None else None
        lock_dir = self.data_dir / "locks" / "hosts" if self.data_dir is not None else None
        self.gate = gate or HostGate(lock_dir, politeness.delay, clock=clock, sleep=sleep)
        self.clock, self.sleep = clock, sleep
        self.session = requests.Session()
        adapter = DeadlineAdapter(pool_connections=max(pool_size, 16), pool_maxsize=max(pool_size, 16), max_retries=0)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.hosts = hostsfile.install(self.session, politeness.allow_private_hosts, max(pool_size, 16))
        self.session.headers.update(
            {
                "User-Agent": politeness.user_agent,
                "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                "Accept-Language": "zh-CN,zh;q=0.9,en;q=0.5",
            }
        )
        self._robots: dict[str, urllib.robotparser.RobotFileParser] = {}
        self._robots_lock = threading.Lock()
        self._robots_loading: dict[str, threading.Lock] = {}
        self._robots_unreachable: dict[str, str] = {}  # origin -> why its robots.txt could not be had
        self._tls = threading.local()
        self._address_ok: dict[str, str | None] = {}
        self._count_lock = threading.Lock()
        self.requests_made = 0
        self.requests_by_host: dict[str, int] = {}

    # public ---------------------------------------------------------------------------------------------------
    def fetch(
        self,
        url: str,
        *,
        method: str = "GET",
        data: dict[str, str] | None = None,
        json_body: str | None = None,
        etag: str | None = None,
        last_modified: str | None = None,
        allowed_hosts: Iterable[str] | None = None,
        reads: str | None = None,
    ) -> Response:
        """``reads``: "list" or "report" when the caller reads the page as one (a page whose script builds it then
        goes to the browser); challenges go to the browser whatever the caller reads."""
        # The site is the caller's hosts (the government's), else the URL's own: every URL asked for and every
        # redirect is held to it here, so no caller can forget it.
        allowed = set(allowed_hosts) if allowed_hosts is not None else {urlsplit(url).hostname or ""}
        made = 0
        history: list[str] = []
        current = url
        why = off_site(url, allowed)
        if why:
            raise FetchError(url, "offsite", why)
        for _hop in range(self.politeness.max_redirects + 1):
            self.check_url(current, made)
            if self.politeness.obey_robots:
                self._tls.robots_made = 0
                allowed_by_robots = self.robots_allowed(current, allowed)
                made += self._tls.robots_made  # a robots.txt request made for this fetch counts towards it
                if not allowed_by_robots:
                    origin = "{0.scheme}://{0.netloc}".format(urlsplit(current))
                    why = self._robots_unreachable.get(origin)
                    if why:
                        # Say what really happened: the site did not answer, robots.txt only made us stop asking.
                        raise FetchError(
                            current, "robots", f"robots.txt unreachable ({why}); site treated as disallowed", made
                        )
                    raise FetchError(current, "robots", "disallowed by robots.txt", made)
            headers = {}
            if json_body is not None:  # an API list's JSON POST (scripted_lists), sent as the page's script sends it
                headers["Content-Type"] = "application/json;charset=UTF-8"
            if etag:
                headers["If-None-Match"] = etag
            if last_modified:
                headers["If-Modified-Since"] = last_modified
            body = json_body.encode("utf-8") if json_body is not None else data
            status, resp_headers, content, n = self._request(current, method, body, headers)
            made += n
            if status in REDIRECT_STATUSES and resp_headers.get("location"):
                target = urljoin(current, resp_headers["location"].strip()).split("#", 1)[0]
                if off_site(target, allowed):
                    raise FetchError(url, "redirect", f"redirects off the site to {target}", made)
                history.append(current)
                if status == 303 or (status in (301, 302) and method == "POST"):
                    method, data, json_body = "GET", None, None
                # Validators belong to the URL asked for; a redirect target gets a plain request.
                etag = last_modified = None
                current = target
                continue
            resp = Response(current, status, content, resp_headers, made, history)
            return self.browser.after_fetch(self, resp, allowed, reads)  # scrapers/collect/browser.py
        raise FetchError(url, "redirect", f"more than {self.politeness.max_redirects} redirects", made)

    def check_url(self, url: str, made: int = 0) -> None:
        """Refuse schemes other than http(s), and private, loopback and link-local addresses unless allowed."""
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https"):
            raise FetchError(url, "scheme", f"scheme {parts.scheme or '(none)'!r} is not fetched", made)
        host = parts.hostname
        if not host:
            raise FetchError(url, "scheme", "URL has no host", made)
        if self.hosts is not None and self.hosts.address(host) is None:
            raise FetchError(url, "no_host", f"{host} is not in FZZF_HOSTS ({self.hosts.path}), it replaces DNS", made)
        if self.politeness.allow_private_hosts:
            return
        if host not in self._address_ok:
            self._address_ok[host] = _address_problem(host)
        problem = self._address_ok[host]
        if problem:
            raise FetchError(url, "refused", problem, made)

    def robots_allowed(self, url: str, allowed: Iterable[str] | None = None) -> bool:
        """Whether robots.txt lets us fetch ``url``; its redirects are followed on ``allowed`` hosts (default: the
        URL's own)."""
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        with self._robots_lock:
            parser = self._robots.get(origin)
            origin_lock = self._robots_loading.setdefault(origin, threading.Lock())
        if parser is None:
            # One robots.txt request per origin even when many threads arrive at once.
            with origin_lock:
                parser = self._robots.get(origin)
                if parser is None:
                    parser = self._load_robots(origin, set(allowed or ()) | {parts.hostname or ""})
                    with self._robots_lock:
                        self._robots[origin] = parser
        return parser.can_fetch(self.politeness.user_agent, url)

    def sitemaps(self, url: str) -> list[str]:
        """The sitemaps the robots.txt of ``url``'s origin names (read when a fetch from that origin asked for it)."""
        parts = urlsplit(url)
        with self._robots_lock:
            parser = self._robots.get(f"{parts.scheme}://{parts.netloc}")
        return list((parser.site_maps() or []) if parser is not None else [])

    def count_request(self, host: str) -> None:
        """A request made outside ``fetch`` (the browser's), counted like the fetcher's own."""
        self._count(host)

    def close(self) -> None:
        self.session.close()
        self.gate.close()

    # internals ------------------------------------------------------------------------------------------------
    def _request(self, url, method, data, headers) -> tuple[int, dict[str, str], bytes, int]:
        """One logical request with retries; returns (status, headers, body, HTTP requests made)."""
        parts = urlsplit(url)
        host = parts.netloc
        delay = self._crawl_delay(f"{parts.scheme}://{host}")
        made = 0
        attempts = self.politeness.retries + 1
        timeout = self.politeness.timeout
        deadline = self.politeness.deadline or 3 * timeout
        for attempt in range(attempts):
            self.gate.wait(host, delay)
            made += 1
            self._count(host)
            retry_after = None
            try:
                # The deadline runs from connect to last byte (headers included), not per socket read.
                with (
                    Exchange(deadline) as exchange,
                    self.session.request(
                        method,
                        url,
                        data=data,
                        headers=headers,
                        timeout=(min(timeout, deadline), timeout),
                        allow_redirects=False,
                        stream=True,
                    ) as resp,
                ):
                    status = resp.status_code
                    resp_headers = {k.lower(): v for k, v in resp.headers.items()}
                    if status in RETRY_STATUSES and attempt + 1 < attempts:
                        retry_after = resp_headers.get("retry-after", "")
                    else:
                        content = self._read_capped(url, resp, made, exchange)
                        return status, resp_headers, content, made
            except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
                if exchange.expired:
                    raise FetchError(url, "network", _past_deadline(deadline), made) from None
                if attempt + 1 < attempts:
                    self._backoff(attempt, None)
                    continue
                raise FetchError(url, "network", f"{describe_error(exc)} (after {made} attempts)", made) from None
            except requests.RequestException as exc:
                raise FetchError(url, "network", describe_error(exc), made) from None
            self._backoff(attempt, retry_after)  # a 429/5xx, outside the exchange: waiting is not its time
        raise AssertionError("unreachable")  # the loop returns or raises on its last attempt

    def _crawl_delay(self, origin: str) -> float | None:
        """A robots.txt Crawl-delay longer than ours wins for that host (capped: a typo must not stall a crawl)."""
        parser = self._robots.get(origin)
        if parser is None or not self.politeness.obey_robots:
            return None
        asked = parser.crawl_delay(self.politeness.user_agent)
        if asked is None:
            return None
        return min(max(float(asked), self.politeness.delay), MAX_CRAWL_DELAY)

    def _read_capped(self, url: str, resp: requests.Response, made: int, exchange: Exchange) -> bytes:
        cap = self.politeness.max_bytes
        declared = resp.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise FetchError(url, "too_large", f"{int(declared)} bytes declared, cap is {cap}", made)
        chunks, size = [], 0
        while True:
            # read1 returns what one socket read brings, so the cap is checked as bytes arrive; the exchange's timer
            # ends a read that waits past the deadline.
            try:
                chunk = resp.raw.read1(65536, decode_content=True)
            except (urllib3.exceptions.ProtocolError, urllib3.exceptions.DecodeError) as exc:
                raise requests.exceptions.ChunkedEncodingError(exc) from exc
            except urllib3.exceptions.ReadTimeoutError as exc:
                raise requests.Timeout(exc) from exc
            if not chunk:
                break
            size += len(chunk)
            if size > cap:
                raise FetchError(url, "too_large", f"more than {cap} bytes, cap reached", made)
            chunks.append(chunk)
        if exchange.expired:  # a body without a length ends at the shut-down socket: cut short, not complete
            raise FetchError(url, "network", _past_deadline(exchange.seconds), made)
        return b"".join(chunks)

    def _backoff(self, attempt: int, retry_after: str | None) -> None:
        wait = self.politeness.backoff * (2**attempt)
        if retry_after and retry_after.strip().isdigit():
            wait = max(wait, min(float(retry_after.strip()), MAX_RETRY_AFTER))
        if wait > 0:
            self.sleep(wait)

    def _count(self, host: str) -> None:
        with self._count_lock:
            self.requests_made += 1
            self.requests_by_host[host] = self.requests_by_host.get(host, 0) + 1

    def _load_robots(self, origin: str, allowed: set[str]) -> urllib.robotparser.RobotFileParser:
        parser = urllib.robotparser.RobotFileParser(origin + "/robots.txt")
        cached = self._robots_cache_read(origin)
        if cached is not None:
            _feed_robots(parser, cached["status"], cached["body"])
            return parser
        status, body = 0, ""
        try:
            status, body = self._read_robots(origin + "/robots.txt", allowed)
        except FetchError as exc:
            self._tls.robots_made = getattr(self._tls, "robots_made", 0) + exc.requests_made
            status = 0  # unreachable: RFC 9309 says assume the whole site is disallowed, for now
            self._robots_unreachable[origin] = str(exc).removeprefix(origin + "/robots.txt: ")
        if status >= 500:
            self._robots_unreachable[origin] = f"HTTP {status}"
        _feed_robots(parser, status, body)
        if status and status < 500:
            self._robots_cache_write(origin, status, body)
        return parser

    def _read_robots(self, url: str, allowed: set[str]) -> tuple[int, str]:
        """robots.txt's final status and text, its redirects followed (RFC 9309: at least five) on the site only;
        raises FetchError when it cannot be had (a loop, too many hops, a hop off the site, the network)."""
        seen = {url}
        for _hop in range(MAX_ROBOTS_REDIRECTS + 1):
            self.check_url(url)
            status, headers, content, n = self._request(url, "GET", None, {})
            self._tls.robots_made = getattr(self._tls, "robots_made", 0) + n
            if status not in REDIRECT_STATUSES or not headers.get("location"):
                return status, decode_html(content, headers.get("content-type", ""))[0] if status == 200 else ""
            target = urljoin(url, headers["location"].strip()).split("#", 1)[0]
            if off_site(target, allowed):
                raise FetchError(url, "redirect", f"redirects off the site to {target}")
            if target in seen:
                raise FetchError(url, "redirect", f"redirect loop back to {target}")
            seen.add(target)
            url = target
        raise FetchError(url, "redirect", f"more than {MAX_ROBOTS_REDIRECTS} redirects")

    def _robots_path(self, origin: str) -> Path | None:
        if self.data_dir is None:
            return None
        return self.data_dir / "state" / "robots" / f"{host_key(origin.replace('://', '_'))}.json"

    def _robots_cache_read(self, origin: str) -> dict | None:
        path = self._robots_path(origin)
        if path is None:
            return None
        try:
            cached = json.loads(path.read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        if self.clock() - float(cached.get("fetched_at", 0)) > ROBOTS_TTL:
            return None
        return cached

    def _robots_cache_write(self, origin: str, status: int, body: str) -> None:
        path = self._robots_path(origin)
        if path is not None:
            record = {"origin": origin, "status": status, "body": body, "fetched_at": self.clock()}
            atomic_write_bytes(path, json.dumps(record, ensure_ascii=False).encode("utf-8"))


def _feed_robots(parser: urllib.robotparser.RobotFileParser, status: int, body: str) -> None:
    # RFC 9309: a 4xx means "no robots.txt" (allow), an unreachable or 5xx one means "assume disallowed".
    if status == 0 or status >= 500:
        parser.disallow_all = True
    elif status == 200:
        parser.parse(body.splitlines())
    else:
        parser.allow_all = True


def _address_problem(host: str) -> str | None:
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError) as exc:
        return None if isinstance(exc, socket.gaierror) else f"bad host name {host!r}"
    for info in infos:
        addr = ipaddress.ip_address(info[4][0].split("%", 1)[0])
        mapped = getattr(addr, "ipv4_mapped", None) or addr
        # not is_global also covers shared (100.64/10), documentation and benchmarking ranges, not just RFC 1918.
        if not mapped.is_global or mapped.is_multicast or mapped.is_unspecified:
            return f"refused: {host} resolves to non-public address {addr} (allow_private_hosts is off)"
    return None


def _past_deadline(seconds: float) -> str:
    return f"response not complete after {seconds:g} s (deadline FZZF_DEADLINE, connect to last byte; timed out)"
