"""Fetch a candidate portal the way a person's browser would land on it: HTTP redirects (to another domain too: a
portal that moved), then a meta refresh or a one-line script redirect, keeping the final address and every hop."""

from __future__ import annotations

import re
import socket
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urljoin, urlsplit

from scrapers.collect.fetch import Fetcher, FetchError

MAX_HOPS = 4
_OFF_SITE = re.compile(r"redirects off the site to (\S+)$")
_META_REFRESH = re.compile(
    r"""<meta[^>]+http-equiv\s*=\s*["']?refresh["']?[^>]*content\s*=\s*["']?\s*\d*\s*;?\s*url\s*=\s*['"]?([^"'>\s]+)""",
    re.I,
)
_SCRIPT_REDIRECT = re.compile(r"""(?:window\.|top\.|self\.)?location(?:\.href)?\s*=\s*["']([^"']+)["']""", re.I)


@dataclass
class Landing:
    url: str  # the final address
    status: int
    text: str
    requests: int
    hops: list[str] = field(default_factory=list)  # the addresses passed through, first asked first


class Unreachable(Exception):
    """No page: ``kind`` is FetchError's (network, robots, refused, ...), ``requests`` what trying cost."""

    def __init__(self, url: str, kind: str, reason: str, requests: int):
        self.url, self.kind, self.reason, self.requests = url, kind, reason, requests
        super().__init__(f"{url}: {reason}")


def land(fetcher: Fetcher, url: str, lookup: Callable = socket.getaddrinfo) -> Landing:
    hops: list[str] = []
    made = 0
    current = url
    for _ in range(MAX_HOPS + 1):
        host = urlsplit(current).hostname or ""
        if fetcher.hosts is None and host and not _resolves(host, lookup):
            # Most host guesses name no host at all: one DNS answer says so, where a fetch would spend its whole
            # retry series (with backoff) on robots.txt first. (With FZZF_HOSTS, fetch itself refuses at once.)
            raise Unreachable(current, "no_host", f"{host} does not resolve (DNS)", made + 1)
        try:
            response = fetcher.fetch(current)
        except FetchError as exc:
            made += max(exc.requests_made, 1)  # a failed attempt costs at least one, even with no request sent
            moved = _OFF_SITE.search(str(exc)) if exc.kind == "redirect" else None
            if moved:  # fetch keeps a crawl on its site; a portal that moved domain is followed here
                hops.append(current)
                current = urljoin(current, moved.group(1))
                continue
            raise Unreachable(current, exc.kind, str(exc).removeprefix(f"{exc.url}: "), made) from None
        made += response.requests
        hops.extend(response.redirected_from)
        text = response.text() if response.ok else ""
        target = _client_redirect(text, response.url) if response.ok else None
        if target and target != response.url:
            hops.append(response.url)
            current = target
            continue
        return Landing(response.url, response.status, text, made, hops)
    raise Unreachable(url, "redirect", f"more than {MAX_HOPS} redirects", made)


def _resolves(host: str, lookup: Callable) -> bool:
    try:
        lookup(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return False
    return True


def _client_redirect(text: str, base: str) -> str | None:
    """The target of a page that only sends the browser elsewhere (a meta refresh, ``location.href = ...``)."""
    # A script assignment counts only on a page that holds little else: a portal's menus assign location too.
    match = _META_REFRESH.search(text) or (_SCRIPT_REDIRECT.search(text) if len(text) < 4096 else None)
    if not match:
        return None
    target = urljoin(base, match.group(1).strip())
    return target if urlsplit(target).scheme in ("http", "https") else None
