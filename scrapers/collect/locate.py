"""Find where a government publishes its annual reports, starting from its home page (or any page of its site).

Real users know a portal, not the column three clicks deep where its 法治政府建设 reports hide. ``locate`` walks the
site best-first within a request budget (default 40, through the polite ``Fetcher``): navigation whose text or path
points at the reports (法治政府建设, 依法行政, 政府信息公开 → 法定主动公开内容 → 其他法定信息, slugs such as fzzfjs or
fzzfjsndbg; 通知公告 only as a fallback), menus built by scripts, the sitemap robots.txt names, and the column a
report link on any page sits in. Every page fetched is scored by the annual-report links it lists (the crawler's own
``parse_list_page`` and ``title_verdict``); the pages holding some are the columns, minus those whose reports another
column lists too (a home page's news block, a topic page's "latest" box).

The crawler's side (which list URLs to crawl, what the state remembers) is ``scrapers.collect.source_plan``; the
``fzzf locate`` command's (discovery per government, suggestions file) is ``scrapers.collect.suggestions``.
"""

from __future__ import annotations

import datetime as dt
import heapq
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from urllib.parse import urljoin, urlsplit

import lxml.etree

from scrapers.classify import title_verdict
from scrapers.collect.discover import PAGER_WORDS, normalise_url, parse_list_page
from scrapers.collect.fetch import Fetcher, FetchError
from scrapers.collect.judge import list_refusal
from scrapers.collect.site import on_site
from scrapers.extract import tree
from scrapers.extract.charset import decode_html

__all__ = ["DEAD", "Column", "LocateResult", "default_budget", "is_site_root", "locate", "recheck_days"]

log = logging.getLogger("fzzf.locate")


def default_budget() -> int:
    return int(os.environ.get("FZZF_LOCATE_BUDGET", "40"))


def recheck_days() -> float:
    return float(os.environ.get("FZZF_LOCATE_RECHECK_DAYS", "30"))


# --- hints (data) ----------------------------------------------------------------------------------------------------
# Link text -> how strongly it points at the report column. The first pattern that matches gives the weight.
TEXT_HINTS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"法治(政府)?(建设)?.{0,6}(年度报告|年报|情况报告)|依法行政.{0,4}(年度报告|报告)"), 100),
    (re.compile(r"法治政府|法治建设|依法行政|依法治[省市区县州旗镇乡]|法治.{0,2}专栏"), 80),
    (re.compile(r"其他法定(信息|公开内容)?|法定主动公开(内容)?|法定公开内容"), 60),
    (re.compile(r"网站地图|站点地图|栏目导航"), 45),
    (re.compile(r"^(政府信息公开|信息公开|政务公开|公开目录|主动公开|法定公开)(目录|专栏|平台|专区)?$"), 45),
    (re.compile(r"通知公告|公告公示|公示公告|通知通告|公告通知"), 15),
)
# Path slugs portals use for these columns (pinyin initials). Matched on the lower-cased path.
SLUG_HINTS: tuple[tuple[re.Pattern[str], int], ...] = (
    (re.compile(r"fzzfjs(qk)?(nd)?bg|fzzfndbg|fzzfnb|fznb|fzjsbg|fzzfbg|fzzfjsqkbg"), 100),
    (re.compile(r"fzzfjs|fzzf|fzjs|yfxz|fzgz"), 80),
    (re.compile(r"qtfdxx|fdzdgknr|qtfdgk|fdgknr"), 60),
    (re.compile(r"(^|/)(xxgk|zwgk|gkml|gongkai|zfxxgk)/?$"), 45),  # the directory itself, not everything in it
    (re.compile(r"(^|/)(tzgg|gsgg|tzgs|ggtz)/?$"), 15),
)
# Labels of a report column with no subject of their own: they mean it only under a 法治 heading.
REPORT_WORDS = re.compile(r"^(年度报告|年报|工作报告|报告|年度工作报告|情况报告)(专栏)?$")
TOPIC = re.compile(r"法治|依法行政|依法治")
# Columns that look related and never hold the reports: skipped without a request.
DECOYS = re.compile(
    r"信息公开.{0,6}年(度)?报|政务公开.{0,6}年(度)?报|公开年报|解读|图解|问答|访谈|述法|xxgknb|zcjd|gknb"
)
# Once a column is found, weaker candidates (通知公告) are not explored; 信息公开 directories still are, since reports
# are often filed in two places (a column of their own and the directory's 其他法定信息).
STAY_BELOW = 40
SITEMAP_SLUG = 60  # sitemaps carry no link text: a slug must say 法治 (or 其他法定信息) on its own
MAX_CLICKS = 4  # links deeper than this from the start page are not followed
REPORT_DIR_WEIGHT = 90  # the column a report link's URL names (TRS: <column>/202403/t20240320_1.html)
# A "report" on a list that is a bare column name (法治政府建设年度报告: no year, menu-short) may be the column
# itself, listed by a directory page one click above it (法定主动公开内容): walked down, whatever its URL looks like.
DIRECTORY_CHILD_WEIGHT = 95
# URLs of documents and articles: a column is never one of these.
ARTICLE = re.compile(
    r"/t\d{8}_\d+\.s?html?$|/art_\d+_\d+\.html$|/post_\d+\.html$|/content/|/\d{6,}\.s?html?$|"
    r"\.(pdf|docx?|xlsx?|wps|zip|rar|jpe?g|png|gif|mp4|css|js|xml)$",
    re.I,
)
# A page that is gone for good (a guessed or outdated URL, a column after a redesign), not one that is down.
DEAD = re.compile(r"HTTP (404|410)\b|redirects off the site")
TRS_DATE_DIR = re.compile(r"^(.*/)\d{6}/t\d{8}_\d+\.s?html?$", re.I)
HANWEB_ART = re.compile(r"/art/\d{4}/\d{1,2}/\d{1,2}/art_(\d+)_\d+\.html$", re.I)
SITE_ROOT = re.compile(r"^/?((index|default|main|home)\.(s?html?|jsp|php|aspx?))?$", re.I)
# Menus written by scripts: {"name": "法治政府建设", "url": "/zwgk/fzzfjs/"} and the like, or HTML in a string.
SCRIPT_LABEL = re.compile(
    r"""["']?(?:name|title|text|label|menuName|catName|chnlName)["']?\s*[:=]\s*["']([^"'<>]{2,30})["']"""
)
SCRIPT_URL = re.compile(r"""["']?(?:url|href|link|path|linkUrl|chnlUrl|src)["']?\s*[:=]\s*["']([^"'\s<>]{1,300})["']""")
SCRIPT_ANCHOR = re.compile(r"""<a\s[^>]*?href\s*=\s*\\?["']([^"'\\\s]+)\\?["'][^>]*>\s*([^<]{2,30}?)\s*</a>""", re.I)
ONCLICK_URL = re.compile(r"""(?:location(?:\.href)?\s*=|window\.open\(|location\.assign\()\s*["']([^"']+)["']""")
SITEMAP_LOC = re.compile(r"<loc>\s*([^<\s]+)\s*</loc>", re.I)
MAX_SITEMAPS = 3  # a sitemap index can name hundreds: the first few are enough to find a column
MAX_EXAMPLES = 3
MORE = re.compile(r"^(更多|查看更多|more|MORE|More)?[>＞»+]*$|^更多.{0,3}$")
MAX_NAV_LABEL = 16
YEAR = re.compile(
    r"(19|20)\d\d|[二][〇○零Ｏ0O一二三四五六七八九]{3}"
)  # a report title has one, a column name not  # column names are short; a longer anchor text is an article title


# --- results -------------------------------------------------------------------------------------------------------
@dataclass
class Column:
    """A page that lists annual reports, and how it was found."""

    url: str
    path: list[str]  # the labels clicked from the start page ("首页" first), or how it was reached otherwise
    via: str  # start | nav | script | sitemap | report-dir
    links_judged: int  # list links on its first page
    reports: int  # of them, annual reports by their titles
    examples: list[str] = field(default_factory=list)
    report_urls: list[str] = field(default_factory=list, repr=False)  # what the dominance check compares
    # its "reports" that read as column names: walked down in case the page is a directory (issue 21 §2)
    named_links: list[tuple[str, str]] = field(default_factory=list, repr=False)
    found_at: str = ""

    def why(self) -> str:
        trail = " › ".join(self.path)
        shown = "; ".join(self.examples)
        return f"{trail} [{self.via}]: {self.reports} of {self.links_judged} list links are reports ({shown})"

    def memo(self) -> dict:
        row = asdict(self)
        row.pop("report_urls")
        row.pop("named_links")
        return row


@dataclass
class LocateResult:
    start_url: str
    budget: int
    columns: list[Column] = field(default_factory=list)
    requests: int = 0
    pages: int = 0
    exhausted: bool = False  # stopped by the budget with candidates left
    errors: list[str] = field(default_factory=list)
    refused: int = 0  # pages that answered with an error or WAF page (judge.list_refusal): failed reads

    def describe(self) -> str:
        head = f"{self.start_url}: {len(self.columns)} column(s) in {self.requests} requests (budget {self.budget})"
        if not self.columns:
            reason = "budget spent" if self.exhausted else "no page on the way listed an annual report"
            head += f"; none found: {reason}" + (f" ({self.errors[0]})" if self.errors else "")
        return "\n".join([head, *(f"  {c.url}\n    {c.why()}" for c in self.columns)])


@dataclass(order=True)
class _Candidate:
    rank: tuple[float, int, int]
    url: str = field(compare=False)
    path: list[str] = field(compare=False)
    via: str = field(compare=False)
    weight: float = field(compare=False)


# --- discovery ---------------------------------------------------------------------------------------------------
def is_site_root(url: str) -> bool:
    """The portal's home page ("/", "/index.html"): a page of navigation, never the report list itself."""
    parts = urlsplit(url)
    return not parts.query and bool(SITE_ROOT.match(parts.path or "/"))


def locate(
    start_url: str,
    fetcher: Fetcher,
    *,
    allowed_hosts: set[str] | None = None,
    budget: int | None = None,
    on_request: Callable[[int], None] | None = None,
    clock: Callable[[], float] = time.time,
) -> LocateResult:
    """The report columns reachable from ``start_url`` within ``budget`` requests (robots.txt and retries count)."""
    budget = default_budget() if budget is None else budget
    allowed = set(allowed_hosts or ()) | {urlsplit(start_url).hostname or ""}
    result = LocateResult(start_url, budget)
    queue: list[_Candidate] = []
    queued: set[str] = set()
    order = 0
    found: dict[str, Column] = {}

    def push(url: str, path: list[str], via: str, weight: float) -> None:
        nonlocal order
        key = normalise_url(url)
        if key in queued or not on_site(url, allowed):
            return
        if via != "directory" and ARTICLE.search(urlsplit(url).path):
            return
        queued.add(key)
        order += 1
        heapq.heappush(queue, _Candidate((-weight, len(path), order), url, path, via, weight))

    def fetch(url: str):
        try:
            # the fetcher holds every URL, a sitemap's included, to the site (subdomains are part of it)
            resp = fetcher.fetch(url, allowed_hosts=allowed)
        except FetchError as exc:
            result.requests += exc.requests_made
            if on_request:
                on_request(exc.requests_made)
            result.errors.append(str(exc))
            return None
        result.requests += resp.requests
        if on_request:
            on_request(resp.requests)
        if not resp.ok:
            result.errors.append(f"{url}: HTTP {resp.status}")
            return None
        return resp

    push(start_url, ["(start)"], "start", 1000)
    sitemap_read = False
    while queue and result.requests < budget:
        if found and -queue[0].rank[0] < STAY_BELOW:
            break  # what is left are directories and 通知公告: only worth a look while nothing is found
        cand = heapq.heappop(queue)
        resp = fetch(cand.url)
        if resp is None:
            if cand.via == "start" and result.errors and DEAD.search(result.errors[-1]) and not is_site_root(cand.url):
                # a guessed or outdated URL: the site's home page still leads to the column
                push("{0.scheme}://{0.netloc}/".format(urlsplit(cand.url)), ["(site root)"], "start", 1000)
            continue
        result.pages += 1
        column, pages = _judge_page(resp, cand, fetch, result, budget, clock)
        if column is not None:
            found[normalise_url(column.url)] = column
            for url, title in column.named_links:
                push(url, [*cand.path, title], "directory", DIRECTORY_CHILD_WEIGHT)
        if len(cand.path) <= MAX_CLICKS:
            for url, label, via, weight in _hints(resp, cand, pages):
                push(url, [*cand.path, label], via, weight)
        if not sitemap_read:
            sitemap_read = True  # robots.txt was read by the first fetch; its sitemaps are known now
            for url, weight in _sitemap_candidates(fetcher, start_url, fetch, result, budget):
                # sitemaps carry no link text: only slugs strong enough to stand alone
                push(url, ["(sitemap)"], "sitemap", weight)
    result.exhausted = bool(queue) and result.requests >= budget
    result.columns = _prune(list(found.values()))
    return result


def _judge_page(resp, cand: _Candidate, fetch, result, budget, clock) -> tuple[Column | None, set[str]]:
    """The page as a column (None when it lists no annual report), and the keys of its further pages."""
    page = parse_list_page(resp.content, resp.url, resp.content_type)
    pages = {normalise_url(p.url) for p in page.next_pages}
    refused = list_refusal(page)
    if refused:
        # an error or WAF page is a failed read, as in the crawl: it says nothing about the columns behind it
        result.errors.append(f"{resp.url}: not a list ({refused})")
        result.refused += 1
        return None, pages
    links = list(page.links)
    if not links and page.next_pages and page.family == "gkmlpt" and result.requests < budget:
        # a JS app whose records come from an API: one more request shows what the column lists
        nxt = page.next_pages[0]
        answer = fetch(nxt.url)
        if answer is not None:
            links = parse_list_page(answer.content, answer.url, answer.content_type, base=nxt.base).links
    reports = [link for link in links if title_verdict(link.title) is True]
    if not reports:
        return None, pages
    return Column(
        url=resp.url if cand.via != "start" else cand.url,
        path=cand.path,
        via=cand.via,
        links_judged=len(links),
        reports=len(reports),
        examples=[r.title for r in reports[:MAX_EXAMPLES]],
        report_urls=sorted({normalise_url(r.url) for r in reports}),
        named_links=[(r.url, r.title) for r in reports if _is_column_name(r.title)],
        found_at=dt.datetime.fromtimestamp(clock(), dt.UTC).isoformat(timespec="seconds"),
    ), pages


def _is_column_name(title: str) -> bool:
    """A list link titled like a column, not a report: no year, menu-short, a report column's name."""
    label = re.sub(r"\s+", "", title or "")
    return len(label) <= MAX_NAV_LABEL and not YEAR.search(label) and bool(TEXT_HINTS[0][0].search(label))


def _prune(columns: list[Column]) -> list[Column]:
    """Drop a column whose reports another column lists too: a home page's news block, a topic page's "latest" box
    and a 通知公告 list that repeats the column are not where the reports are published. Of two equal ones, the
    one with the larger share of reports (the dedicated list) stays. A page whose every "report" is another column
    found is a directory above them (法定主动公开内容 listing 法治政府建设年度报告): dropped too."""
    urls = {normalise_url(c.url) for c in columns}
    columns = [c for c in columns if not (c.report_urls and set(c.report_urls) <= urls - {normalise_url(c.url)})]

    def rank(c: Column) -> tuple[float, int]:
        return (c.reports / max(c.links_judged, 1), len(urlsplit(c.url).path))

    def folder(url: str) -> str:
        return urlsplit(url).path.rsplit("/", 1)[0] + "/"

    def inside(c: Column, o: Column) -> bool:
        # every report of c is filed in o's folder (TRS: <column>/YYYYMM/t….html): o is where they are published
        home = folder(o.url)
        return home != "/" and all(urlsplit(u).path.startswith(home) for u in c.report_urls)

    def covers(o: Column, c: Column) -> bool:
        c_in_o, o_in_c = inside(c, o), inside(o, c)
        if c_in_o or o_in_c:
            # the folder the reports are filed in decides; both inside each other (a topic folder and its
            # sub-column): the deeper folder is the column
            return c_in_o and (not o_in_c or len(folder(o.url)) > len(folder(c.url)))
        mine, theirs = set(c.report_urls), set(o.report_urls)
        return mine <= theirs and (mine < theirs or rank(o) > rank(c))

    kept = [c for c in columns if not any(o is not c and covers(o, c) for o in columns)]
    return sorted(kept, key=lambda c: (-c.reports, c.url))


# --- hints on one page -----------------------------------------------------------------------------------------
def _weight(label: str, context: Callable[[], str], url: str, page_label: str = "") -> float | None:
    """How strongly a link points at the report column; None or 0 for a decoy or an unrelated link (never fetched).
    ``context`` gives the link's menu heading (only computed for labels that need it); ``page_label`` is the label
    that led to the page the link is on (a bare "年度报告" on the 法治政府建设 page is that report's column)."""
    label = re.sub(r"\s+", "", label)
    if MORE.match(label):
        label, context = re.sub(r"\s+", "", context()), (lambda: "")  # "更多>>" means its block's heading
    path = urlsplit(url).path.lower()
    if len(label) > MAX_NAV_LABEL or DECOYS.search(label) or DECOYS.search(path):
        return None
    if title_verdict(label) is True and YEAR.search(label):
        return None  # a report itself (a news item on the home page): its column is found by _report_dir
    generic = bool(REPORT_WORDS.match(label))
    # the nearest heading speaks for the link: its menu group, else the page it is on
    heading = (re.sub(r"\s+", "", context()) or page_label) if generic else ""
    if generic and DECOYS.search(heading + label):
        return None  # "年度报告" under 政府信息公开: the other annual report
    text = next((w for p, w in TEXT_HINTS if p.search(label)), 0)
    if generic:
        text = 100 if TOPIC.search(heading) else (60 if TEXT_HINTS[2][0].search(heading) else 0)
    return max(text, _slug_weight(path))


def _slug_weight(path: str) -> int:
    # the directory tiers match the last folder only (SLUG_HINTS anchors them): /xxgk/ is a directory worth a look,
    # /xxgk/jgzn/ is one of its hundred leaves
    folder = path.lower()
    folder = folder.rsplit("/", 1)[0] if not folder.endswith("/") and "." in folder.rsplit("/", 1)[-1] else folder
    return next((w for p, w in SLUG_HINTS if p.search(folder.rstrip("/") or "/")), 0)


def _hints(resp, cand: _Candidate, pages: set[str]) -> Iterator[tuple[str, str, str, float]]:
    page_label = cand.path[-1] if cand.via != "start" else ""
    yield from navigation(resp.content, resp.url, resp.content_type, page_label=page_label, skip=pages)


def navigation(
    content: bytes, url: str, content_type: str = "", *, page_label: str = "", skip: set[str] = frozenset()
) -> Iterator[tuple[str, str, str, float]]:
    """(url, label, via, weight) for every link of the page worth a request: anchors with their menu heading,
    script-built menus, onclick targets, and the columns that report links sit in. ``skip``: normalised URLs not
    to offer (the page's own further pages)."""
    text = decode_html(content, content_type)[0]
    cleaned = re.sub(r"</(?:html|body)\s*>", " ", re.sub(r"^\s*<\?xml[^>]*>", "", text), flags=re.I)
    if not cleaned.strip():
        return
    try:
        doc = tree.parse(cleaned, html_elements=True)[0]  # a cut page still offers the links above the cut
    except (lxml.etree.ParserError, ValueError):
        return
    base = url
    for el in doc.iter("base"):
        if el.get("href"):
            base = _join(url, el.get("href")) or url
            break
    for a in doc.iter("a"):
        label = " ".join((a.text_content() or a.get("title") or "").split())[:40]
        target = _join(base, a.get("href") or "")
        if not target or normalise_url(target) in skip or label in PAGER_WORDS or label.isdigit():
            continue  # the column's own further pages: the first one already told what it lists
        yield from _report_dir(target, label)
        if not label:
            continue
        weight = _weight(label, lambda a=a: _context(a), target, page_label)
        if weight:
            yield target, label, "nav", weight
    for el in doc.xpath("//*[@onclick]"):
        m = ONCLICK_URL.search(el.get("onclick") or "")
        label = " ".join(el.text_content().split())[:40]
        target = _join(base, m.group(1)) if m else None
        if target and label:
            weight = _weight(label, lambda el=el: _context(el), target, page_label)
            if weight:
                yield target, label, "nav", weight
    for script in doc.iter("script"):
        for target, label in _script_menu(script.text or "", base):
            weight = _weight(label, lambda: "", target)
            if weight:
                yield target, label, "script", weight


def _report_dir(url: str, label: str) -> Iterator[tuple[str, str, str, float]]:
    """A report link names its column: TRS files reports under <column>/YYYYMM/, Hanweb under /art/…/art_<col>_."""
    if title_verdict(label) is not True:
        return
    path = urlsplit(url).path
    m = TRS_DATE_DIR.match(path)
    if m:
        yield urljoin(url, m.group(1)), f"(column of: {label})", "report-dir", REPORT_DIR_WEIGHT
    m = HANWEB_ART.search(path)
    if m:
        yield urljoin(url, f"/col/col{m.group(1)}/index.html"), f"(column of: {label})", "report-dir", REPORT_DIR_WEIGHT


def _context(el) -> str:
    """The heading of the menu group a link sits in (mega menus, directory trees): the first text before it in its
    nearest enclosing group."""
    ancestors = set(el.iterancestors())
    for group in list(el.iterancestors())[:5]:
        for node in group.iter():
            if node is el:
                break
            if node in ancestors or not isinstance(node.tag, str):
                continue
            own = node.text_content() if node.tag == "a" else (node.text or "")
            own = " ".join(own.split())
            if 2 <= len(own) <= 20:
                return own
    return ""


def _script_menu(script: str, base: str) -> Iterator[tuple[str, str]]:
    for m in SCRIPT_ANCHOR.finditer(script):
        url = _join(base, m.group(1))
        if url:
            yield url, m.group(2)
    # {"name": ..., "url": ...} in either order; braces end a pending pair so objects do not pair across
    tokens = sorted(
        [(m.start(), "label", m.group(1)) for m in SCRIPT_LABEL.finditer(script)]
        + [(m.start(), "url", m.group(1)) for m in SCRIPT_URL.finditer(script)]
        + [(m.start(), "brace", "") for m in re.finditer(r"[{}]", script)]
    )
    label = url = None
    for _pos, kind, value in tokens:
        if kind == "brace":
            label = url = None
        elif kind == "label":
            label = value
        else:
            url = value
        if label and url:
            joined = _join(base, url)
            if joined:
                yield joined, label
            label = url = None


def _sitemap_candidates(fetcher: Fetcher, start_url: str, fetch, result, budget) -> Iterator[tuple[str, float]]:
    """Column-like URLs of the sitemaps robots.txt names, by their slugs (sitemaps carry no link text)."""
    pending = list(fetcher.sitemaps(start_url))[:MAX_SITEMAPS]
    read = 0
    while pending and read < MAX_SITEMAPS and result.requests < budget:
        resp = fetch(pending.pop(0))
        read += 1
        if resp is None:
            continue
        body = decode_html(resp.content, resp.content_type)[0]
        locs = SITEMAP_LOC.findall(body)
        if "<sitemapindex" in body[:2000].lower():
            pending.extend(locs[:MAX_SITEMAPS])
            continue
        for loc in locs:
            path = urlsplit(loc).path.lower()
            if ARTICLE.search(path) or DECOYS.search(path):
                m = TRS_DATE_DIR.match(urlsplit(loc).path)
                slug = _slug_weight(m.group(1)) if m else 0
                if slug >= SITEMAP_SLUG:
                    yield urljoin(loc, m.group(1)), slug  # a report under a 法治 column: the column
                continue
            slug = _slug_weight(path)
            if slug >= SITEMAP_SLUG:
                yield loc, slug


def _join(base: str, href: str) -> str | None:
    href = (href or "").strip()
    if not href or href.lower().startswith(("javascript:", "mailto:", "tel:", "data:", "#")):
        return None
    try:
        joined = urljoin(base, href).split("#", 1)[0]
        urlsplit(joined).port  # noqa: B018 -- raises ValueError on a bad port
    except ValueError:
        return None
    return joined if joined.startswith(("http://", "https://")) else None
