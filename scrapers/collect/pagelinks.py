"""One list page as the crawler reads it (``fzzf links``): the report links found, how each is judged before any
report page is fetched, and the further list pages with the page count and how it was read.

It runs the crawler's own parser (``scrapers.collect.discover.parse_list_page``) and the title-level decisions of
``ReportCollector.judge`` (off-site, then title look-alike or off-topic; same order, same reason text), so what it
prints is what a crawl does with the page. Links that pass the title are fetched by the crawler and decided on their
page; this command says so instead of fetching them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapers.classify import title_verdict, year_in
from scrapers.collect.discover import Link, ListPage, parse_list_page
from scrapers.collect.fetch import Fetcher, FetchError
from scrapers.collect.judge import list_refusal, screen_link

__all__ = ["PageError", "judge_page", "read_page", "render_text", "screen"]

FETCH = "fetch"  # the crawler requests the report page and decides on it


class PageError(Exception):
    """The page could not be read (a missing file, a fetch the portal refused): exit code 2, message names it."""


@dataclass(frozen=True)
class Screened:
    decision: str  # skipped | fetch | robots
    reason: str


def screen(link: Link, allowed: set[str]) -> Screened:
    """The decision ``ReportCollector.judge`` makes on a new link before it spends a request on it
    (``judge.screen_link``, the crawler's own code)."""
    skip = screen_link(link, allowed)
    if skip is not None:
        return Screened("skipped", skip[1])
    if title_verdict(link.title) is True:
        return Screened(FETCH, "title: 法治政府建设 report; the crawler fetches the page to land it")
    return Screened(FETCH, "title alone cannot tell; the crawler fetches the page and its body decides")


def read_page(
    source: str, url: str | None, politeness, data_dir: Path | None
) -> tuple[bytes, str, str, Fetcher | None]:
    """(content, content type, page URL, the fetcher when fetched live) for a saved file or a live URL."""
    if source.startswith(("http://", "https://")):
        fetcher = Fetcher(politeness, data_dir)
        try:
            resp = fetcher.fetch(source, reads="list")  # as the crawl reads it: a script-built list via the browser
        except FetchError as exc:
            fetcher.close()
            raise PageError(f"cannot fetch {source}: {exc}") from None
        if not resp.ok:
            fetcher.close()
            raise PageError(f"{source} answered HTTP {resp.status}")
        return resp.content, resp.content_type, url or resp.url, fetcher
    if not url:
        raise PageError(f"{source}: a saved page needs --url (the address it was fetched from) to resolve its links")
    try:
        return Path(source).read_bytes(), "", url, None
    except OSError as exc:
        raise PageError(f"{source}: cannot read: {exc.strerror or exc}") from None


def judge_page(
    content: bytes | str,
    url: str,
    content_type: str = "",
    allowed: set[str] | None = None,
    fetcher: Fetcher | None = None,
) -> dict[str, Any]:
    """The page's links with their decisions and its further pages, as one JSON-ready object.

    ``allowed``: the government's hosts (the crawl's: its list URLs' hosts and ``extra_hosts``); default the page's
    host. With a live ``fetcher`` a link robots.txt forbids is marked ``robots``, as the crawl's fetch would refuse it.
    """
    page: ListPage = parse_list_page(content, url, content_type)
    allowed = allowed or {urlsplit(url).hostname or ""}
    if fetcher is not None and not page.links and len(page.next_pages) == 1 and page.next_pages[0].api:
        page = _first_api_answer(page, fetcher, allowed)
    links = []
    for link in page.links:
        judged = screen(link, allowed)
        robots = fetcher is not None and fetcher.politeness.obey_robots
        if judged.decision == FETCH and robots and not fetcher.robots_allowed(link.url):
            judged = Screened("robots", "disallowed by robots.txt: the crawler records an error, not a report")
        links.append(
            {
                "url": link.url,
                "title": link.title,
                "date": link.date.isoformat() if isinstance(link.date, dt.date) else None,
                "decision": judged.decision,
                "reason": judged.reason,
                "report_year": year_in(link.title),
            }
        )
    return {
        "url": url,
        "links": links,
        "next_pages": [
            {
                "url": p.url,
                "method": p.method,
                **({"data": dict(p.data)} if p.data else {}),
                **({"json": p.json_body} if p.json_body else {}),
            }
            for p in page.next_pages
        ],  # fmt: skip
        "page_count": page.page_count,
        "family": page.family,
        "pager": page.pager or "no pager found: this page is the only one",
        "unread": page.unread,  # a list the page clearly holds but this reader could not read (a failed read)
        # the crawl's verdict on the page itself: an error/WAF page or a cut one is a failed read, not a list
        "not_a_list": list_refusal(page),
    }


def _first_api_answer(page: ListPage, fetcher: Fetcher, allowed: set[str]) -> ListPage:
    """A list an API serves (the page states the request): its first answer, as the crawl reads it next, so the
    command shows the document links, the page count and the further requests."""
    request = page.next_pages[0]
    try:
        resp = fetcher.fetch(request.url, method=request.method, data=dict(request.data) or None,
                             json_body=request.json_body, allowed_hosts=allowed)  # fmt: skip
    except FetchError as exc:
        page.pager += f"; its first answer could not be had: {exc}"
        return page
    if not resp.ok:
        page.pager += f"; its first answer: HTTP {resp.status}"
        return page
    answer = parse_list_page(resp.content, resp.url, resp.content_type, base=request.base, request=request)
    answer.pager = f"{page.pager}; first answer: {answer.pager}"
    answer.next_pages = [request, *answer.next_pages]
    return answer


def render_text(result: dict[str, Any]) -> str:
    links, nexts = result["links"], result["next_pages"]
    count = result["page_count"]
    lines = [
        f"{result['url']}",
        f"pager: {result['family']}: {result['pager']}" + (f" (page count {count})" if count is not None else ""),
        *(
            [f"not a list: {result['not_a_list']}; the crawl counts this page as a failed read"]
            if result.get("not_a_list")
            else []
        ),
        f"{len(links)} link(s):",
    ]
    for link in links:
        lines.append(f"  [{link['decision']}] {link['date'] or '----------'} {link['title']}")
        lines.append(f"      {link['url']}")
        lines.append(f"      {link['reason']}")
    lines.append(f"{len(nexts)} further list page(s):")
    lines += [
        f"  {p['method']} {p['url']}"
        + (f" {p['data']}" if p.get("data") else "")
        + (f" {p['json']}" if p.get("json") else "")
        for p in nexts
    ]
    if result.get("unread"):
        lines.append(f"unread list (the crawl records a failed read, coverage says unknown): {result['unread']}")
    return "\n".join(lines)
