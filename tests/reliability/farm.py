"""The fault-injection farm: portals on loopback addresses that misbehave on purpose and record every request.

Each ``Site`` is one HTTP server on its own loopback address (``127.0.1.N``), so "the government's own site" is
unambiguous by host name alone. Routes map a path to a ``Route``: a callable that answers one request and may keep
state (a count of calls, a version). Every request the server receives is appended to ``Site.requests`` before any
route runs, so a test can assert on exactly what the crawler asked for. Servers bind to 127.0.0.0/8 only, answer
with bounded sizes and bounded waits, and stop (waking any handler that is still waiting) in ``close``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gzip
import html
import http.server
import os
import socket
import struct
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

MAX_WAIT = 8.0  # no handler ever waits longer than this (a hanging portal that the client gives up on first)


@dataclass(frozen=True)
class Hit:
    """One request as the farm received it."""

    site: str
    method: str
    path: str
    host_header: str
    user_agent: str
    if_none_match: str | None
    at: float
    body: bytes = b""


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format, *args):  # noqa: A002 - the base class's name
        pass

    def _serve(self):
        site = self.server.site
        path = self.path
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(min(length, 1 << 20)) if length > 0 else b""
        hit = Hit(
            site=site.name,
            method=self.command,
            path=path,
            host_header=self.headers.get("Host", ""),
            user_agent=self.headers.get("User-Agent", ""),
            if_none_match=self.headers.get("If-None-Match"),
            at=time.time(),
            body=body,
        )
        with site.lock:
            site.requests.append(hit)
            route = site.routes.get(urlsplit(path).path)
            if route is None:
                route = site.routes.get(path)
        if route is None:
            route = not_found()
        try:
            route(self)
        except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError):
            self.close_connection = True

    do_GET = _serve
    do_POST = _serve
    do_HEAD = _serve

    # helpers for routes ------------------------------------------------------------------------------------------
    def send_body(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8", headers=()):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def reset(self):
        """Abort the TCP connection with an RST (SO_LINGER 0), sending nothing."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.connection.close()

    def finish(self):
        with contextlib.suppress(OSError):
            super().finish()


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64
    site: Site

    def handle_error(self, request, client_address):  # a client that hung up is the test's business, not noise
        pass


Route = Callable[[Handler], None]


class Site:
    """One portal on one loopback address; ``url(path)`` gives absolute URLs on it."""

    def __init__(self, name: str, host: str, routes: dict[str, Route] | None = None):
        if not host.startswith("127."):
            raise ValueError(f"the farm binds loopback addresses only, not {host}")
        self.name = name
        self.lock = threading.Lock()
        self.routes: dict[str, Route] = dict(routes or {})
        self.requests: list[Hit] = []
        self.stop = threading.Event()
        self.server = _Server((host, 0), Handler)
        self.server.site = self
        self.host, self.port = self.server.server_address[:2]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self.thread.start()

    @property
    def origin(self) -> str:
        return f"http://{self.host}:{self.port}"

    def url(self, path: str) -> str:
        return self.origin + path

    def set(self, path: str, route: Route) -> None:
        with self.lock:
            self.routes[path] = route

    def hits(self, path: str | None = None) -> list[Hit]:
        with self.lock:
            return [h for h in self.requests if path is None or urlsplit(h.path).path == path]

    def close(self) -> None:
        self.stop.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


class Farm:
    """All the sites of one test module; ``close`` stops every one."""

    def __init__(self):
        self.sites: dict[str, Site] = {}
        self._next = 10

    def site(self, name: str, host: str | None = None) -> Site:
        if host is None:
            host = f"127.0.1.{self._next}"
            self._next += 1
        site = Site(name, host)
        self.sites[name] = site
        return site

    def all_hits(self) -> list[Hit]:
        return [h for s in self.sites.values() for h in s.hits()]

    def close(self) -> None:
        for s in self.sites.values():
            s.close()


# routes ----------------------------------------------------------------------------------------------------------
def page(body: bytes, content_type: str = "text/html; charset=utf-8", status: int = 200) -> Route:
    def route(h: Handler) -> None:
        h.send_body(status, body, content_type)

    return route


def text(body: str, content_type: str = "text/plain; charset=utf-8", status: int = 200) -> Route:
    return page(body.encode("utf-8"), content_type, status)


def not_found(status: int = 404) -> Route:
    return page(b"<html><body><h1>404 Not Found</h1></body></html>", status=status)


def statuses_then(codes: Sequence[int], then: Route) -> Route:
    """Answer the first len(codes) requests with these error statuses, then recover for good."""
    calls = [0]
    lock = threading.Lock()

    def route(h: Handler) -> None:
        with lock:
            n = calls[0]
            calls[0] += 1
        if n < len(codes):
            h.send_body(codes[n], f"<html><body>error {codes[n]}</body></html>".encode())
        else:
            then(h)

    return route


def hang(site: Site, seconds: float = MAX_WAIT) -> Route:
    """Accept the request and say nothing for ``seconds`` (bounded; woken early when the site closes)."""

    def route(h: Handler) -> None:
        site.stop.wait(min(seconds, MAX_WAIT))
        h.close_connection = True

    return route


def slow(site: Site, seconds: float, then: Route) -> Route:
    """Answer normally after a pause (a slow but healthy portal, so a test can kill the crawler mid-run)."""

    def route(h: Handler) -> None:
        site.stop.wait(min(seconds, MAX_WAIT))
        then(h)

    return route


def reset() -> Route:
    def route(h: Handler) -> None:
        h.reset()

    return route


def truncated(body: bytes, keep: int) -> Route:
    """Declare the whole length, send only ``keep`` bytes, then close: an IncompleteRead for the client."""

    def route(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.wfile.write(body[:keep])
        h.wfile.flush()
        h.close_connection = True

    return route


def huge(total: int, declare_length: bool) -> Route:
    """A page of ``total`` bytes of valid HTML, streamed in 64 KiB chunks; without Content-Length when asked."""
    head = "<html><head><meta charset='utf-8'><title>大页面</title></head><body>".encode()
    filler = ("<p>" + "法治政府建设年度报告填充内容" * 100 + "</p>\n").encode()

    def route(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        if declare_length:
            h.send_header("Content-Length", str(total))
        else:
            h.send_header("Connection", "close")
        h.end_headers()
        h.close_connection = True
        sent = 0
        h.wfile.write(head)
        sent += len(head)
        while sent < total:
            chunk = (filler * 16)[: min(65536, total - sent)]
            h.wfile.write(chunk)
            sent += len(chunk)

    return route


def trickle(site: Site, body: bytes, seconds: float, interval: float = 0.3) -> Route:
    """Send a page one byte every ``interval`` seconds for about ``seconds`` (never idle long enough for a read
    timeout to fire), then the rest: a slow-drip portal that only a total deadline per request stops."""

    def route(h: Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html; charset=utf-8")
        h.send_header("Content-Length", str(len(body)))
        h.end_headers()
        h.close_connection = True
        n = 0
        deadline = time.monotonic() + min(seconds, MAX_WAIT)
        while time.monotonic() < deadline and n < len(body) - 1 and not site.stop.is_set():
            h.wfile.write(body[n : n + 1])
            h.wfile.flush()
            n += 1
            site.stop.wait(interval)
        h.wfile.write(body[n:])

    return route


_BOMBS: dict[int, bytes] = {}


def gzip_bomb(decoded_size: int) -> Route:
    """A small gzip body (Content-Encoding: gzip) that inflates to ``decoded_size`` bytes of HTML: one member that
    inflates to 1 MiB, repeated (multi-member gzip, as RFC 1952 allows and every decoder reads)."""
    if decoded_size not in _BOMBS:
        head = "<html><head><meta charset='utf-8'><title>法治政府建设年度报告</title></head><body><p>".encode()
        member = gzip.compress(b" " * (1 << 20), compresslevel=9, mtime=0)
        _BOMBS[decoded_size] = gzip.compress(head, mtime=0) + member * (decoded_size >> 20)
    data = _BOMBS[decoded_size]

    def route(h: Handler) -> None:
        h.send_body(200, data, "text/html; charset=utf-8", headers=[("Content-Encoding", "gzip")])

    return route


def redirect(location: str, status: int = 302) -> Route:
    def route(h: Handler) -> None:
        h.send_body(status, b"", "text/html", headers=[("Location", location)])

    return route


def versions(routes: list[Route]) -> tuple[Route, Callable[[int], None]]:
    """A route whose answer can be switched between versions (a report edited or deleted after publication)."""
    current = [0]

    def route(h: Handler) -> None:
        routes[current[0]](h)

    def switch(index: int) -> None:
        current[0] = index

    return route, switch


def binary_junk(size: int, seed: int = 7) -> bytes:
    """Deterministic bytes that are neither UTF-8 nor GB18030 text (NULs, C1 controls, invalid lead bytes)."""
    out = bytearray()
    x = seed
    while len(out) < size:
        x = (x * 6364136223846793005 + 1442695040888963407) & (2**64 - 1)
        out += x.to_bytes(8, "little")
    out[0:4] = b"\x00\xff\xfe\x80"
    return bytes(out[:size])


# pages -----------------------------------------------------------------------------------------------------------
def list_page(items: Iterable[tuple[str, str, dt.date | str]], title: str = "法治政府建设年度报告") -> bytes:
    """A plain list page: ``<ul><li><a href=...>title</a><span>date</span></li></ul>``."""
    lis = "\n".join(
        f'<li><a href="{html.escape(href)}">{html.escape(t)}</a><span>{d if isinstance(d, str) else d.isoformat()}</span></li>'
        for t, href, d in items
    )
    doc = (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title></head><body>"
        f'<div class="nav"><a href="/">首页</a></div><h2>{html.escape(title)}</h2>'
        f'<ul class="list">\n{lis}\n</ul></body></html>'
    )
    return doc.encode("utf-8")


@dataclass
class Report:
    """One report a government publishes on its farm site."""

    title: str
    paragraphs: tuple[str, ...]
    publish_date: dt.date
    source: str | None
    site_name: str
    family: str = "trs"
    path: str = ""
    extra: dict = field(default_factory=dict)

    def render(self, family: str | None = None, encoding: str | None = None) -> bytes:
        from scrapers.demo.pages import render_report_page

        return render_report_page(
            family or self.family,
            title=self.title,
            paragraphs=self.paragraphs,
            publish_date=self.publish_date,
            source=self.source,
            site_name=self.site_name,
            encoding=encoding,
        )


def free_loopback_host(prefix: str = "127.0.2.") -> str:
    """A loopback address nobody listens on yet (for the recorders), chosen by pid to keep parallel runs apart."""
    return f"{prefix}{10 + os.getpid() % 200}"
