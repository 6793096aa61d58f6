"""What "the government's own site" is: the one rule every request the crawler makes is held to.

A government's site is the hosts of its registry URLs and its ``extra_hosts`` (a leading ``www.`` ignored), and
subdomains of those (portals put 信息公开 on ``xxgk.<portal>``); an IP address is only itself. ``Fetcher.fetch``
applies ``off_site`` to the URL asked for and to every redirect, so a 下一页 link, a ``<base href>`` or a robots.txt
``Sitemap:`` line pointing elsewhere is refused there, whichever caller asked. Which links are *reports* of the
government is a narrower decision (``judge.screen_link``, hosts only, no subdomains).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

__all__ = ["IP_HOST", "off_site", "on_site", "same_site", "site_host"]

IP_HOST = re.compile(r"^[\d.]+$|^\[?[0-9a-f:]+\]?$", re.I)


def site_host(host: str | None) -> str:
    """The host as a site: lower case, without a leading ``www.`` (portals answer on both)."""
    host = (host or "").lower().rstrip(".")
    return host[4:] if host.startswith("www.") else host


def same_site(url: str, allowed_hosts: Iterable[str]) -> bool:
    return site_host(urlsplit(url).hostname) in {site_host(h) for h in allowed_hosts}


def on_site(url: str, allowed: Iterable[str]) -> bool:
    """The government's own site: one of its hosts, or a subdomain of one (portals put 信息公开 on
    xxgk.<portal>; www. is not part of the site). IP addresses match only themselves."""
    allowed = list(allowed)
    if same_site(url, allowed):
        return True
    host = site_host(urlsplit(url).hostname)
    if not host or IP_HOST.match(host):
        return False
    return any(host.endswith("." + site_host(h)) for h in allowed if h and not IP_HOST.match(site_host(h)))


def off_site(url: str, allowed: Iterable[str]) -> str | None:
    """Why ``url`` may not be requested for a site made of ``allowed`` hosts, or None when it may."""
    if on_site(url, allowed):
        return None
    return f"{urlsplit(url).hostname or '(no host)'} is not this government's site; not requested"
