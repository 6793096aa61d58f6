"""List pages → candidate report links and the further list pages to visit, for every pagination family we know.

Families (see docs/domain notes): "下一页"/numbered links, TRS ``index_N.html`` whose count lives only in JS
(``createPageHTML`` in its 4- and 6-argument forms, ``var countPage = N``), ``?page=N``/``pageNum=N`` query pages
(count from the last-page link or "共N页"), and Hanweb JCMS ``dataproxy.jsp`` XML records. Patterns are named data at
the top; the functions below only apply them. Nothing here fetches: the crawler does, and feeds the bytes back.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.etree

# scripted_lists imports this module back; it uses it only at call time, so either may be imported first.
from scrapers.collect import scripted_lists
from scrapers.extract import tree
from scrapers.extract.charset import decode_html
from scrapers.extract.chrome import CHROME_MARKERS, CHROME_TITLE_EXTRA

__all__ = ["Link", "ListPage", "PageRequest", "normalise_url", "parse_list_page"]

# --- patterns (data) -----------------------------------------------------------------------------------------------
# TRS: createPageHTML(N, cur, "index", "html") and createPageHTML('div', N, cur, 'fg', 'shtml', total)
CREATE_PAGE_4 = re.compile(
    r"createPageHTML\(\s*(\d{1,9})(?!\d)\s*,\s*(\d{1,9})(?!\d)\s*,\s*['\"]([\w\-]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
CREATE_PAGE_6 = re.compile(
    r"createPageHTML\(\s*['\"][\w\-]*['\"]\s*,\s*(\d{1,9})(?!\d)\s*,\s*(\d{1,9})(?!\d)\s*,\s*['\"]([\w\-]+)['\"]\s*,\s*['\"](\w+)['\"]"
)
COUNT_PAGE = re.compile(r"var\s+countPage\s*=\s*(\d{1,9})(?!\d)")
CURRENT_PAGE = re.compile(r"var\s+currentPage\s*=\s*(\d{1,9})(?!\d)")
PREFIX_NAME = re.compile(r"var\s+(?:prefixName|prefix)\s*=\s*['\"]([\w\-]+)['\"]")
SUFFIX_NAME = re.compile(r"var\s+(?:suffixName|suffix)\s*=\s*['\"](\w+)['\"]")
# The pager a countPage script writes: document.write("<a href=\"list_" + nextPage + ".shtml\">下一页</a>"); the
# prefix and extension of page N are only in that string.
WRITTEN_PAGE_HREF = re.compile(
    r"""href\s*=\s*\\?["']((?:\.{0,2}/)*[\w\-]+)_\\?["']\s*\+\s*\(?\s*\w+(?:\s*[+\-]\s*\d+)?\s*\)?\s*\+\s*\\?["']\.(\w+)"""
)
# Hanweb JCMS: <datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?...">]]></nextgroup>
DATASTORE = re.compile(r"<datastore>(.*?)</datastore>", re.S | re.I)
RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[.*?href=['\"]([^'\"]+)['\"]", re.S | re.I)
TOTAL_RECORD = re.compile(
    r"(?:<totalrecord>\s*(\d{1,9})(?!\d)\s*</totalrecord>|totalRecord\s*[:=]\s*(\d{1,9})(?!\d))", re.I
)
PER_PAGE = re.compile(r"perPage\s*[:=]\s*(\d{1,9})(?!\d)", re.I)
HANWEB_GROUP_PAGES = 3  # Hanweb answers three pages of records per request
# Guangdong gkmlpt: the page carries window._CONFIG = {SID: '2', ...}; records come as JSON from
# <prefix>/gkmlpt/api/all/<category>?page=N&sid=SID (category from the list URL's #fragment, 0 = all).
GKMLPT_SID = re.compile(r"\bSID\s*[:=]\s*['\"]?(\d+)")
GKMLPT_DATE_KEYS = ("first_publish_time", "publish_time", "create_time", "created_at", "date")
CHINA_TZ = dt.timezone(dt.timedelta(hours=8))
# Query-parameter pagination: the parameter names portals use for the page number.
PAGE_PARAMS = ("page", "pageNum", "pageNo", "pageIndex", "cur_page", "curPage", "currentPage", "pn")
PAGE_PARAM = re.compile(r"[?&](" + "|".join(PAGE_PARAMS) + r")=(\d{1,9})(?!\d)", re.I)
TOTAL_PAGES_TEXT = re.compile(r"共\s*(\d{1,9})(?!\d)\s*页")
NEXT_WORDS = ("下一页", "下页", "后页", "下一頁", ">", "›", "»", ">>", "next")
LAST_WORDS = ("尾页", "末页", "最后一页", "末頁")
PAGER_WORDS = (*NEXT_WORDS, *LAST_WORDS, "首页", "上一页", "上页", "前页", "<", "‹", "«", "<<", "跳转", "GO", "go")
CURRENT_CLASSES = ("current", "cur", "active", "on", "curr", "page-cur")
# Chrome regions whose links are navigation, never list items: by tag, and by class or id token.
EXCLUDED_TAGS = frozenset({"header", "footer", "nav"})
EXCLUDED_NAMES = frozenset(
    {"header", "footer", "nav", "menu", "breadcrumb", "crumb", "position", "location", "pagination", "page", "pages",
     "pager", "fenye", "top", "bottom"}
)  # fmt: skip
DATE = re.compile(r"(20\d\d|19\d\d)\s*[-./年]\s*(\d{1,2})\s*[-./月]\s*(\d{1,2})")
IGNORED_SCHEMES = ("javascript:", "mailto:", "tel:", "data:", "#")
MIN_TITLE_CHARS = 6  # list items carry real titles; shorter anchor texts are navigation ("首页", "政务公开")
DIRECTORY_INDEX = re.compile(r"/index\.(?:s?html?|jsp|php)$", re.I)
# A page count no list really has: hostile or broken pages ("var countPage = 99999999999") must not make the parser
# plan billions of requests (the crawler's page cap would stop the fetching, not the planning).
MAX_PLANNED_PAGES = 2000
# The text a reader sees: not scripts, styles or the head.
_VISIBLE_TEXT = "//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::head)]"
# Anchor texts that carry the item's date ("…年度报告2024-03-01", "[2024-03-01]…"): the date is the item's, not
# part of the title.
TITLE_DATE = re.compile(r"\s*[\[【(（]?\s*((?:19|20)\d\d)\s*[-./]\s*(\d{1,2})\s*[-./]\s*(\d{1,2})\s*[\]】)）]?\s*")


@dataclass(frozen=True)
class PageRequest:
    """A list page to fetch: most are plain GETs, Hanweb's record pages are POSTs with form data."""

    url: str
    method: str = "GET"
    data: tuple[tuple[str, str], ...] = ()
    # The page whose script asks for this one (Hanweb's jpage on the column page): relative record links in the
    # answer resolve against it, not against dataproxy.jsp.
    base: str | None = None
    json_body: str | None = None  # a JSON POST body (API lists, scripted_lists)
    api: str | None = None  # how an API list stated in a page pages on (scripted_lists reads its answers)

    @property
    def key(self) -> str:
        return f"{self.method} {normalise_url(self.url)} {urlencode(self.data)} {self.json_body or ''}"


@dataclass(frozen=True)
class Link:
    url: str
    title: str
    date: dt.date | None = None


@dataclass
class ListPage:
    url: str
    links: list[Link] = field(default_factory=list)
    next_pages: list[PageRequest] = field(default_factory=list)
    family: str = "none"  # the pagination family recognised on this page
    page_count: int | None = None
    pager: str = ""  # how the page count and next pages were read, for people (``fzzf links``)
    unread: str | None = None  # the page clearly holds a list this reader could not read: a failed read, and why
    # What ``judge.list_refusal`` needs to tell a list from an error or WAF page: the page's title and visible
    # text (None for JSON and XML answers), and why the parser left part of the page out (``extract.tree``).
    title: str = ""
    text: str | None = None
    cut: str | None = None


def normalise_url(url: str) -> str:
    """One spelling per page: no fragment, lower-case host, ``dir/index.html`` as ``dir/``, ``www.`` kept."""
    parts = urlsplit(url.strip())
    path = DIRECTORY_INDEX.sub("/", parts.path or "/")
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), path, parts.query, ""))


def parse_list_page(
    content: bytes | str, url: str, content_type: str = "", base: str | None = None, request: PageRequest | None = None
) -> ListPage:
    """Links and further pages of one list page (HTML, a Hanweb ``dataproxy.jsp`` XML or a gkmlpt JSON answer).

    ``base``: the page the request for this one came from (``PageRequest.base``), for answers whose relative links
    mean the page that asked (Hanweb records). ``request``: the request that got this answer (an API list's)."""
    text = decode_html(content, content_type)[0] if isinstance(content, bytes) else content
    page = ListPage(url=url)
    if request is not None and request.api:
        return scripted_lists.read_api_answer(text, request, page)
    if text.lstrip().startswith("{") and '"articles"' in text:
        return _parse_gkmlpt(text, url, page)
    sid = GKMLPT_SID.search(text) if "/gkmlpt/" in url else None
    if sid is not None:
        return _gkmlpt_start(url, sid.group(1), page)
    store = DATASTORE.search(text)
    if store is not None:
        return _parse_hanweb(text, store.group(1), url, base or url, page)
    # A stray </html> after a header include makes lxml drop everything after it.
    cleaned = re.sub(r"</(?:html|body)\s*>", " ", text, flags=re.I)
    cleaned = re.sub(r"^\s*<\?xml[^>]*>", "", cleaned)
    if not cleaned.strip():
        page.text = ""
        return page
    try:
        doc, page.cut = tree.parse(cleaned, html_elements=True)
    except (lxml.etree.ParserError, ValueError):
        page.text = ""
        return page  # nothing lxml can build a tree from ("<!", only a comment): a page without links
    page.title = " ".join((doc.findtext(".//title") or "").split())
    page.text = " ".join(" ".join(doc.xpath(_VISIBLE_TEXT)).split())
    base = url
    for el in doc.iter("base"):
        if el.get("href"):
            base = _join(url, el.get("href")) or url
            break
    page.links = _links(doc, base)
    _paginate(doc, text, url, base, page)
    scripted_lists.read_scripted(text, doc, url, base, page)
    page.unread = scripted_lists.unread_reason(text, page)
    return page


# --- links ------------------------------------------------------------------------------------------------------
def _join(base: str, href: str) -> str | None:
    """``href`` resolved against ``base``, without its fragment; None for what no URL parser accepts
    (``http://[::1``: one malformed link must not cost the page its other links)."""
    try:
        joined = urljoin(base, href.strip()).split("#", 1)[0]
        urlsplit(joined).port  # noqa: B018 -- raises ValueError on a bad port, as requests would later
    except ValueError:
        return None
    return joined


# Words only site chrome carries (footer, breadcrumb). Broken markup (an unclosed attribute, a stray </html>)
# can put chrome text inside an anchor no footer container encloses; no report title holds these words.
CHROME_TITLE = re.compile("|".join(re.escape(m) for m in sorted(CHROME_MARKERS | CHROME_TITLE_EXTRA)))


def _links(doc, base: str) -> list[Link]:
    found: list[Link] = []
    dated: list[Link] = []
    seen: set[str] = set()
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.lower().startswith(IGNORED_SCHEMES) or _in_chrome(a):
            continue
        title = _anchor_title(a)
        if len(title) < MIN_TITLE_CHARS or title in PAGER_WORDS or CHROME_TITLE.search(title):
            continue
        if scripted_lists.is_placeholder(href, title):
            continue  # a template's {{url}}: filled in by a browser, never a page to fetch
        url = _join(base, href)
        if url is None or not url.startswith(("http://", "https://")):
            continue
        key = normalise_url(url)
        if key in seen:
            continue
        seen.add(key)
        title, in_title = _split_title_date(title)
        date = _item_date(a) or in_title
        link = Link(url=url, title=title, date=date)
        found.append(link)
        if date is not None:
            dated.append(link)
    # When the page has a dated list, the dated anchors are the list; the rest is chrome.
    return dated if dated else found


def _in_chrome(a) -> bool:
    for el in a.iterancestors():
        if el.tag in EXCLUDED_TAGS:
            return True
        names = set((el.get("class") or "").lower().split())
        names.add((el.get("id") or "").lower())
        if names & EXCLUDED_NAMES:
            return True
    return False


def _split_title_date(title: str) -> tuple[str, dt.date | None]:
    """A date written at the start or end of the anchor text is the item's date: cut it off the title."""
    for m in TITLE_DATE.finditer(title):
        if m.start() != 0 and m.end() != len(title):
            continue
        rest = (title[: m.start()] + " " + title[m.end() :]).strip()
        if len(rest) < MIN_TITLE_CHARS:
            continue
        return rest, _safe_date(m.group(1), m.group(2), m.group(3))
    return title, None


def _safe_date(year: str, month: str, day: str) -> dt.date | None:
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def _number(label: str) -> int | None:
    """A pager label as a page number; None for anything else. ``str.isdigit`` accepts "²" and "①", which int()
    refuses, so only ASCII digits count."""
    return int(label) if label.isascii() and label.isdigit() and len(label) <= 6 else None


def _anchor_title(a) -> str:
    text = " ".join(a.text_content().split())
    attr = " ".join((a.get("title") or "").split())
    # Lists truncate long titles ("北京市2021年法治政府建设…"); the title attribute keeps the whole one.
    if attr and (len(attr) > len(text) or text.endswith(("...", "…", "..")) or not text):
        return html.unescape(attr)
    return text


def _item_date(a) -> dt.date | None:
    texts = [a.tail or ""]
    sib = a.getnext()
    for _ in range(2):
        if sib is None:
            break
        texts.append(sib.text_content())
        sib = sib.getnext()
    parent = a.getparent()
    for _ in range(3):
        if parent is None:
            break
        if parent.tag in ("li", "tr", "dd", "dt", "p"):
            texts.append(parent.text_content())
            break
        parent = parent.getparent()
    for text in texts:
        m = DATE.search(text)
        if m:
            date = _safe_date(m.group(1), m.group(2), m.group(3))
            if date is not None:
                return date
    return None


# --- pagination -------------------------------------------------------------------------------------------------
def _paginate(doc, text: str, url: str, base: str, page: ListPage) -> None:
    m6 = CREATE_PAGE_6.search(text)
    match = m6 or CREATE_PAGE_4.search(text)
    if match is not None:
        count, current, prefix, suffix = int(match.group(1)), int(match.group(2)), match.group(3), match.group(4)
        page.family = "createPageHTML-6" if m6 is not None else "createPageHTML-4"
        page.page_count = count
        page.pager = f"createPageHTML: {count} pages, this is page {current}, others {prefix}_N.{suffix}"
        page.next_pages = _trs_pages(base, count, current, prefix, suffix)
        return
    m = COUNT_PAGE.search(text)
    if m is not None:
        count = int(m.group(1))
        cur = CURRENT_PAGE.search(text)
        prefix, suffix = _countpage_names(text, url)
        page.family = "countPage"
        page.page_count = count
        page.pager = f"var countPage = {count}" + (f", currentPage = {cur.group(1)}" if cur else "")
        page.next_pages = _trs_pages(base, count, int(cur.group(1)) if cur else 0, prefix, suffix)
        return
    _pager_links(doc, text, url, base, page)


def _countpage_names(text: str, url: str) -> tuple[str, str]:
    """Prefix and extension of a countPage pager's pages: named variables, else the href its document.write builds
    ("list_" + nextPage + ".shtml"), else index and the list page's own extension."""
    prefix, suffix = PREFIX_NAME.search(text), SUFFIX_NAME.search(text)
    written = WRITTEN_PAGE_HREF.search(text)
    own = re.search(r"\.(s?html?)$", urlsplit(url).path, re.I)
    name = prefix.group(1) if prefix else (written.group(1) if written else "index")
    ext = suffix.group(1) if suffix else (written.group(2) if written else (own.group(1) if own else "html"))
    return name, ext


def _trs_pages(base: str, count: int, current: int, prefix: str, suffix: str) -> list[PageRequest]:
    # TRS numbers pages from 0: page 0 is index.html, page i is index_i.html, all in the list's directory.
    pages = []
    for i in range(current + 1, min(count, current + 1 + MAX_PLANNED_PAGES)):
        pages.append(PageRequest(urljoin(base, f"{prefix}_{i}.{suffix}")))
    return pages


def _pager_links(doc, text: str, url: str, base: str, page: ListPage) -> None:
    nexts: list[str] = []
    numbered: dict[int, str] = {}
    last: str | None = None
    current = _current_number(doc)
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.lower().startswith(IGNORED_SCHEMES):
            continue
        label = " ".join(a.text_content().split())
        target = _join(base, href)
        if target is None:
            continue
        if label in NEXT_WORDS or label.lower() == "next":
            nexts.append(target)
        elif label in LAST_WORDS:
            last = target
        elif _number(label) is not None and len(label) <= 4:
            numbered[_number(label)] = target
    query = _query_template(url, [*nexts, *numbered.values(), *([last] if last else [])])
    if query is not None:
        param, this_page, template = query
        total, how = _total_pages(text, last, param)
        if total is not None:
            page.family, page.page_count = "query", total
            page.pager = f"?{param}=N: {total} pages ({how}), this is page {this_page}"
            last_planned = min(total, this_page + MAX_PLANNED_PAGES)
            page.next_pages = [
                PageRequest(_with_param(template, param, n)) for n in range(this_page + 1, last_planned + 1)
            ]
            return
    if current is not None:
        numbered = {n: u for n, u in numbered.items() if n > current}
    targets = [u for _, u in sorted(numbered.items())] + nexts
    if query is not None:
        page.family = "query"
        page.pager = f"?{query[0]}=N pager links, no page count on the page"
    elif numbered:
        page.family = "numbered"
        page.pager = f"numbered pager links {', '.join(str(n) for n in sorted(numbered))}"
    elif nexts:
        page.family = "next-link"
        page.pager = "a 下一页 (next) link"
    seen: set[str] = {normalise_url(url)}
    for target in targets:
        key = normalise_url(target)
        if key not in seen:
            seen.add(key)
            page.next_pages.append(PageRequest(target))


def _current_number(doc) -> int | None:
    for el in doc.iter("span", "a", "li", "b", "strong", "font"):
        classes = set((el.get("class") or "").split())
        if classes & set(CURRENT_CLASSES):
            number = _number(el.text_content().strip())
            if number is not None:
                return number
    return None


def _query_template(url: str, targets: list[str]) -> tuple[str, int, str] | None:
    """The page parameter the pager links use, this page's number (1 when the URL has none), and a pager URL to
    build the other pages from (the list URL itself may be a bare directory the pager never links to)."""
    for target in targets:
        m = PAGE_PARAM.search(target)
        if m is not None:
            param = m.group(1)
            here = dict(parse_qsl(urlsplit(url).query))
            values = {k.lower(): v for k, v in here.items()}
            this_page = _number(values.get(param.lower(), "")) or 1
            return param, this_page, target
    return None


def _total_pages(text: str, last: str | None, param: str) -> tuple[int | None, str]:
    """The page count and where it was read (the last-page link or the "共N页" text)."""
    if last:
        m = re.search(r"[?&]" + re.escape(param) + r"=(\d{1,9})(?!\d)", last)
        if m:
            return int(m.group(1)), "from the 尾页 (last page) link"
    m = TOTAL_PAGES_TEXT.search(text)
    return (int(m.group(1)), "from 共N页 on the page") if m else (None, "")


def _with_param(url: str, param: str, value: int) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() != param.lower()]
    query.append((param, str(value)))
    return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


# --- Hanweb ------------------------------------------------------------------------------------------------------
def _parse_hanweb(text: str, store: str, url: str, base: str, page: ListPage) -> ListPage:
    page.family = "hanweb-dataproxy"
    for record in RECORD.findall(store):
        try:
            fragment, cut = tree.parse_fragment(record)
        except (lxml.etree.ParserError, ValueError):
            continue  # an empty or unparsable record: the others still count
        page.cut = page.cut or cut
        page.links.extend(_links(fragment, base))
    nextgroup = NEXTGROUP.search(store)
    total_m = TOTAL_RECORD.search(text)
    per_m = PER_PAGE.search(text)
    if nextgroup is None or total_m is None:
        return page  # a dataproxy answer: its records are all it has; the first page planned the rest
    total = int(total_m.group(1) or total_m.group(2))
    per_page = max(int(per_m.group(1)), 1) if per_m else 15
    total = min(total, per_page * MAX_PLANNED_PAGES)
    page.page_count = -(-total // per_page)
    page.pager = f"dataproxy.jsp: totalRecord {total}, perPage {per_page}, {page.page_count} pages"
    proxy = urljoin(url, html.unescape(nextgroup.group(1)))
    parts = urlsplit(proxy)
    form = tuple((k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in ("page",))
    form = (("col", "1"), *form) if not any(k == "col" for k, _ in form) else form
    group = per_page * HANWEB_GROUP_PAGES
    start = len(RECORD.findall(store)) + 1
    while start <= total:
        end = min(start + group - 1, total)
        query = urlencode({"startrecord": start, "endrecord": end, "perpage": per_page})
        target = urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))
        page.next_pages.append(PageRequest(target, "POST", form, base=url))
        start = end + 1
    return page


# --- Guangdong gkmlpt --------------------------------------------------------------------------------------------
def _gkmlpt_start(url: str, sid: str, page: ListPage) -> ListPage:
    parts = urlsplit(url)
    prefix = parts.path.split("/gkmlpt/", 1)[0]
    category = parts.fragment if parts.fragment.isdigit() else "0"
    api = urlunsplit((parts.scheme, parts.netloc, f"{prefix}/gkmlpt/api/all/{category}", f"page=1&sid={sid}", ""))
    page.family, page.next_pages = "gkmlpt", [PageRequest(api)]
    page.pager = f"gkmlpt: records from the JSON API (sid {sid}, category {category})"
    return page


def _parse_gkmlpt(text: str, url: str, page: ListPage) -> ListPage:
    page.family = "gkmlpt"
    try:
        data = json.loads(text)
    except ValueError:
        return page
    articles = [a for a in data.get("articles") or [] if isinstance(a, dict)]
    for article in articles:
        href, title = article.get("url") or article.get("post_url"), article.get("title")
        if isinstance(href, str) and isinstance(title, str) and title.strip():
            date = next((_any_date(article[k]) for k in GKMLPT_DATE_KEYS if article.get(k)), None)
            joined = _join(url, href)
            if joined is not None:
                page.links.append(Link(joined, " ".join(title.split()), date))
    total = data.get("total")
    current = dict(parse_qsl(urlsplit(url).query)).get("page", "1")
    if isinstance(total, int) and articles and current == "1" and total > len(articles):
        # the first answer's size is the page size
        page.page_count = min(-(-total // len(articles)), MAX_PLANNED_PAGES)
        page.next_pages = [PageRequest(_with_param(url, "page", n)) for n in range(2, page.page_count + 1)]
        page.pager = f"gkmlpt API: total {total}, {len(articles)} per page, {page.page_count} pages"
    return page


def _any_date(value) -> dt.date | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        seconds = value / 1000 if value > 10**11 else value  # some CMSs give milliseconds
        try:
            return dt.datetime.fromtimestamp(seconds, CHINA_TZ).date()
        except (OverflowError, OSError, ValueError):
            return None  # a timestamp past year 9999 (or inf): no date, the link still counts
    m = DATE.search(str(value))
    return _safe_date(m.group(1), m.group(2), m.group(3)) if m else None
