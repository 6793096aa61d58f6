"""Lists the HTML holds but not as plain anchors, read without a browser (called from ``discover.parse_list_page``).

Families: items as inline JSON data a template renders (``articleList``, ``var data = [...]``) with a
``loadPageData``/jpage pager; a list whose markup sits in an HTML comment a script un-comments; reverse-numbered
fragment pagers of n/c-id component CMSs (``index_<id>_<k>.html``, newest k highest); and lists an API serves, where
the page states the request (Hanweb jpage ``dataproxy.jsp`` without embedded records, TRS 海云 search, a JSON POST
with a channel id). An API request is planned only from what the page says (method, URL, channel id, page size);
when a page clearly holds a list that none of these read (an empty list container, a template, a pager script, a
challenge script), ``unread_reason`` says so, and the crawl records a failed read (``unknown``, never ``missing``).
"""

from __future__ import annotations

import html
import itertools
import json
import re
from urllib.parse import urlencode, urljoin, urlsplit, urlunsplit

import lxml.etree

from scrapers.collect import discover as d
from scrapers.collect import js_literals as js
from scrapers.collect.fetch import site_host
from scrapers.extract import tree

__all__ = ["is_placeholder", "read_api_answer", "read_scripted", "unread_reason"]

# --- patterns (data) -----------------------------------------------------------------------------------------------
# Template placeholders a browser fills in: handlebars/Vue {{url}}, ES templates ${url}, JSP/ASP <%= %>, art-template.
PLACEHOLDER = re.compile(r"\{\{|\}\}|\$\{|<%|%>|\[\[|\]\]")
# An inline JSON list: var articleList = [...]; var data = [...]; articleList: [...]; "list": [...]
INLINE_ARRAY = re.compile(r"""(?:\bvar\s+|\blet\s+|\bconst\s+|["']?)(\w+)["']?\s*[:=]\s*\[\s*\{""")
TITLE_KEYS = ("title", "doctitle", "name", "articletitle", "showtitle", "fulltitle")
URL_KEYS = ("url", "docpuburl", "link", "href", "puburl", "docurl", "linkurl", "path")
DATE_KEYS = ("pubdate", "publishtime", "docreltime", "publishdate", "time", "date", "createtime", "releasedate")
# Pager calls of script-built lists: loadPageData(...) / $(..).jpage({...}) / createPage(...)
PAGER_CALL = re.compile(r"\b(loadPageData|jpage|createPage|pagination|laypage\.render)\s*\(", re.I)
COUNT_KEYS = ("totalpage", "pagecount", "pagetotal", "countpage", "pages", "totalpages")
CURRENT_KEYS = ("currentpage", "pageindex", "pageno", "curpage", "pagenum", "current")
TOTAL_KEYS = ("totalrecord", "total", "totalcount", "recordcount", "count", "records")
SIZE_KEYS = ("perpage", "pagesize", "rows", "size", "limit", "pagerows")
PAGE_KEYS = ("pageno", "pagenum", "pageindex", "page", "curpage", "currentpage", "current")
CHANNEL_KEYS = ("channelid", "chnlid", "columnid", "catalogid", "categoryid", "nodeid", "colid", "classid")
# A script that un-comments markup: .replace("<!--", "") / /<!--/ / '\x3c!--'
UNCOMMENT = re.compile(r"""(['"/])\s*(?:<|\\x3c|\\u003c)!--""", re.I)
# n/c-id component CMS fragments: index_<component id>_<k>.html
FRAGMENT = re.compile(r"(?:^|/)index_(\d{2,12})_(\d{1,6})\.(s?html?)$", re.I)
# Requests pages state: $.ajax({...}) / $.post(url, {...}) / axios.post(url, {...}) / fetch(url, {...}) / jpage({...})
AJAX_CALL = re.compile(r"(\$\.ajax|jQuery\.ajax|\$\.post|\$\.get|axios\.post|axios\.get|\bfetch|\.jpage)\s*\(", re.I)
# What says "a list is built here by script" when nothing was read.
LIST_CONTAINER = re.compile(
    r"<(ul|ol|div|tbody|table)\b[^>]*\b(?:id|class)\s*=\s*['\"][^'\"]*\b(list|lists|newslist|news-list|"
    r"article-list|artlist|doclist|content-list|listbox|list-box|data-list|item-list)\b[^'\"]*['\"][^>]*>\s*</\1>",
    re.I,
)
TEMPLATE = re.compile(
    r"text/(?:x-handlebars-template|x-template|template|html)['\"]|\{\{#each|v-for\s*=|\{\{\s*\w", re.I
)
# A page that says its list is empty ("暂无信息"): an empty list, not an unread one.
EMPTY_NOTICE = re.compile(r"暂无(?:相关)?(?:信息|数据|内容|记录|文章)|没有(?:相关)?(?:信息|数据|记录)")
CHALLENGE = re.compile(r"\$_ts\s*=|__jsl_clearance|document\.cookie\s*=.{0,400}location\.(?:reload|href|replace)", re.S)
MAX_SCRIPT_CHARS = 400_000  # scripts longer than this are libraries, not list data
MAX_CANDIDATES = 50  # request calls tried per page: bounds the work on a hostile page
MAX_INLINE = 10  # inline arrays tried per script (each may be up to js_literals.MAX_LITERAL long)


def is_placeholder(href: str, title: str) -> bool:
    """A link a template has not filled in yet (``href="{{url}}"``): never a page to fetch."""
    return bool(PLACEHOLDER.search(href) or PLACEHOLDER.search(title))


# --- the reader --------------------------------------------------------------------------------------------------
def read_scripted(text: str, doc, url: str, base: str, page: d.ListPage) -> None:
    """Fill ``page`` from the families above when the plain read found no list (no dated item) or no pager.

    Undated links can be a sidebar's or a menu's around a list only scripts show, so they do not stop the readers;
    a scripted list replaces them only when the page had none or the scripted items are dated (a menu's data array
    is not a list)."""
    listed = any(link.date for link in page.links)
    if not listed and _read_commented(doc, text, url, base, page):
        return
    if not listed and _read_inline(doc, url, base, page):
        return
    if _read_fragments(doc, url, base, page):
        return
    if not listed and not page.next_pages:
        _read_api(text, url, page)


def unread_reason(text: str, page: d.ListPage) -> str | None:
    """Why a page that yielded no list clearly holds one (then the read failed), else None (an empty list).

    No list means no further page and no dated item. Beside undated links (a sidebar, or an undated list) only
    strong signs count: a challenge, an API the page does not state in full, an empty list container."""
    if page.next_pages or any(link.date for link in page.links):
        return None
    if CHALLENGE.search(text):
        return "a JS challenge script (cookie then reload) stands where the list should be: needs a browser"
    if EMPTY_NOTICE.search(text):
        return None
    if page.pager and page.family.startswith("api"):
        return f"the list comes from an API the page does not state in full ({page.pager}): needs a browser"
    signs = [("an empty list container", LIST_CONTAINER)] + ([] if page.links else [("a template", TEMPLATE)])
    for what, pattern in signs:
        if pattern.search(text):
            return f"{what} but no list items in the HTML: the list is built by script (needs a browser)"
    if not page.links and (PAGER_CALL.search(text) or d.CREATE_PAGE_4.search(text) or d.CREATE_PAGE_6.search(text)):
        return "a pager script but no list items in the HTML: the list is built by script (needs a browser)"
    return None


def _replaces(page: d.ListPage, links: list[d.Link]) -> bool:
    """Scripted items replace what the plain read found only when it found nothing or they are a dated list."""
    return bool(links) and (not page.links or any(link.date for link in links))


# --- (b) a list inside an HTML comment that a script un-comments -------------------------------------------------
def _read_commented(doc, text: str, url: str, base: str, page: d.ListPage) -> bool:
    if not any(UNCOMMENT.search(script) for script in _scripts(doc)):  # a live script, not a commented one
        return False
    opened, any_list = _open_comments(text)
    if not any_list:
        return False
    cleaned = re.sub(r"</(?:html|body)\s*>", " ", opened, flags=re.I)
    try:
        doc, _cut = tree.parse(cleaned, html_elements=True)  # the one parser (extract.tree: no depth cut)
    except (lxml.etree.ParserError, ValueError):
        return False
    links = d._links(doc, base)
    if not _replaces(page, links):
        return False
    page.links = links
    d._paginate(doc, opened, url, base, page)
    page.pager = f"list in an HTML comment a script un-comments; {page.pager or 'no pager'}"
    page.family = f"commented/{page.family}"
    return True


def _open_comments(text: str) -> tuple[str, bool]:
    """The page with the comments that hold links opened (others dropped), and whether any did. A linear scan:
    a regex over an unclosed ``<!--`` would go quadratic on a hostile page."""
    out, i, found = [], 0, False
    while True:
        start = text.find("<!--", i)
        end = text.find("-->", start + 4) if start >= 0 else -1
        if start < 0 or end < 0:
            out.append(text[i:])
            return "".join(out), found
        inner = text[start + 4 : end]
        holds = "href" in inner.lower() and "<a " in inner.lower()
        found = found or holds
        out += [text[i:start], inner if holds else ""]
        i = end + 3


# --- (a) inline JSON data rendered by a template -----------------------------------------------------------------
def _read_inline(doc, url: str, base: str, page: d.ListPage) -> bool:
    best: tuple[str, list[d.Link]] | None = None
    for script in _scripts(doc):
        for m in itertools.islice(INLINE_ARRAY.finditer(script), MAX_INLINE):
            records = js.json_value(script, script.rfind("[", 0, m.end()))
            if not isinstance(records, list):
                continue
            links = _record_links(records, base)
            if links and (best is None or len(links) > len(best[1])):
                best = (m.group(1), links)
    if best is None or not _replaces(page, best[1]):
        return False
    name, page.links = best
    page.family = "inline-json"
    how = _inline_pager(" ".join(_scripts(doc)), url, base, page)
    page.pager = f"{len(page.links)} items from inline JSON `{name}` (template-rendered); {how}"
    return True


def _inline_pager(text: str, url: str, base: str, page: d.ListPage) -> str:
    """The pager call's page count and how its pages are addressed (TRS numbering unless a URL pattern is given)."""
    call = PAGER_CALL.search(text)
    if call is None:
        return "no pager call: the page holds the whole list"
    args = js.call_args(text, call.end() - 1)
    if args and isinstance(args[0], dict):
        opts = {k.lower(): v for k, v in args[0].items()}
        count = _int(next((opts[k] for k in COUNT_KEYS if k in opts), None))
        total, size = _int(_first(opts, TOTAL_KEYS)), _int(_first(opts, SIZE_KEYS))
        if count is None and total is not None and size:
            if total <= len(page.links):
                page.page_count = 1
                return f"{call.group(1)}: {total} records, all in the page (client-side pages)"
            count = -(-total // size)
        current = _int(_first(opts, CURRENT_KEYS))
        pattern = next((str(opts[k]) for k in ("pageurl", "url", "urlpattern", "urltemplate") if k in opts), "")
        prefix, suffix = str(opts.get("prefix") or opts.get("prefixname") or ""), str(opts.get("suffix") or "")
    elif len(args) >= 2:
        count, current = _int(args[0]), _int(args[1])
        prefix = str(args[2]) if len(args) > 2 else ""
        suffix = str(args[3]) if len(args) > 3 else ""
        pattern = ""
    else:
        return f"{call.group(1)} call with arguments the reader cannot read"
    if count is None:
        return f"{call.group(1)} call without a page count"
    count = min(count, d.MAX_PLANNED_PAGES)
    page.page_count = count
    own = re.search(r"\.(s?html?)$", urlsplit(url).path, re.I)
    if "{page}" in pattern or "{{page}}" in pattern:
        # 1-based pages named by the pattern: page 1 is this one
        first = current or 1
        page.next_pages = [
            d.PageRequest(urljoin(base, pattern.replace("{{page}}", str(n)).replace("{page}", str(n))))
            for n in range(first + 1, count + 1)
        ]
        return f"{call.group(1)}: {count} pages, others at {pattern}"
    page.next_pages = d._trs_pages(
        base, count, current or 0, prefix or "index", suffix or (own.group(1) if own else "html")
    )
    return f"{call.group(1)}: {count} pages, others {prefix or 'index'}_N.{suffix or (own.group(1) if own else 'html')}"


# --- (c) reverse-numbered fragment pagers ------------------------------------------------------------------------
def _read_fragments(doc, url: str, base: str, page: d.ListPage) -> bool:
    """Hidden pager anchors ``index_<id>_<k>.html`` in ascending order; the newest page has the highest k (and is
    also the column's ``index.html``), so page 2 is ``_<max-1>``: plan them newest first."""
    found: dict[str, dict[int, str]] = {}
    for a in doc.iter("a"):
        href = (a.get("href") or "").strip()
        target = d._join(base, href) if href else None
        m = FRAGMENT.search(urlsplit(target).path) if target else None
        if m is not None:
            found.setdefault(m.group(1), {})[int(m.group(2))] = target
    if not found:
        return False
    component, pages = max(found.items(), key=lambda kv: len(kv[1]))
    here = FRAGMENT.search(urlsplit(url).path)
    top = max(pages)
    current = int(here.group(2)) if here and here.group(1) == component else top
    ext = here.group(3) if here else next(iter(pages.values())).rsplit(".", 1)[-1]
    stem = next(iter(pages.values())).rsplit("/", 1)[0]
    # Every fragment number from the newest down exists, even when the pager only shows some of them.
    page.next_pages = [
        d.PageRequest(pages.get(k) or f"{stem}/index_{component}_{k}.{ext}") for k in range(current - 1, 0, -1)
    ]
    page.next_pages = page.next_pages[: d.MAX_PLANNED_PAGES]
    page.family = "reverse-fragments"
    page.page_count = top
    page.pager = (
        f"fragments index_{component}_K.{ext}, newest K={top}: {top} pages, this is page {top - current + 1} "
        f"(K={current}), page 2 is K={top - 1}"
    )
    return True


# --- (d) lists an API serves, the request stated in the page -----------------------------------------------------
def _read_api(text: str, url: str, page: d.ListPage) -> None:
    names = js.variables(text)
    for call in itertools.islice(AJAX_CALL.finditer(text), MAX_CANDIDATES):
        spec = _request_of(text, call, names)
        if spec is None:
            continue
        api_url, method, payload, as_json, family = spec
        target = urljoin(url, api_url)
        channel = next((k for k in payload if k.lower() in CHANNEL_KEYS), None)
        # jpage pages by record window (startrecord), which the plugin computes: the page number is implied
        page_key = (
            "startrecord"
            if family == "api-hanweb-jpage"
            else next((k for k in payload if k.lower() in PAGE_KEYS), None)
        )
        size_key = next((k for k in payload if k.lower() in SIZE_KEYS), None)
        page.family = family
        missing = [
            n for n, k in (("channel id", channel), ("page number", page_key), ("page size", size_key)) if k is None
        ]
        size = _int(payload.get(size_key)) if size_key else None
        if missing or not size or not _near(target, url) or any(v is None for v in payload.values()):
            why = ", ".join(missing) or ("page size" if not size else "a value set only at run time")
            if not _near(target, url):
                why = f"another site ({urlsplit(target).hostname})"
            page.pager = f"{method} {target}: {why} not stated in the page"
            return
        first = _int(payload.get(page_key)) or 1
        api = json.dumps({"page_key": page_key, "size": size, "first": first, "json": as_json, "family": family},
                         sort_keys=True)  # fmt: skip
        page.next_pages = [_api_request(target, method, payload, as_json, api, url)]
        page.pager = (
            f"{method} {target} ({'JSON' if as_json else 'query' if method == 'GET' else 'form'}; {channel}={payload[channel]}, "
            f"{size_key}={size}), as the page's script asks"
        )
        return


def _api_request(target, method, payload, as_json, api, referer) -> d.PageRequest:
    values = {k: _text(v) for k, v in payload.items()}
    if json.loads(api)["family"] == "api-hanweb-jpage":
        size = int(values.pop("perpage"))
        return d.PageRequest(_hanweb_window(target, 1, size), "POST", tuple(values.items()), api=api, base=referer)
    if method == "GET":
        parts = urlsplit(target)
        query = "&".join(p for p in (parts.query, urlencode(values)) if p)
        return d.PageRequest(urlunsplit((*parts[:3], query, "")), api=api, base=referer)
    if as_json:
        return d.PageRequest(target, "POST", json_body=json.dumps(payload, ensure_ascii=False), api=api, base=referer)
    return d.PageRequest(target, "POST", tuple(values.items()), api=api, base=referer)


def _request_of(text: str, call: re.Match, names: dict) -> tuple[str, str, dict, bool, str] | None:
    """(URL, method, payload, JSON body?, family) of one request call, or None when it is no list request."""
    name = call.group(1).lower()
    args = js.call_args(text, call.end() - 1, variables=names)
    if not isinstance(args, list) or not args:
        return None
    opts = args[0] if isinstance(args[0], dict) else (args[1] if len(args) > 1 and isinstance(args[1], dict) else {})
    low = {k.lower(): v for k, v in opts.items()}
    if name.endswith("jpage"):
        proxy = low.get("proxyurl") or low.get("url")
        params = low.get("ajaxparam") or low.get("params") or {}
        if not isinstance(proxy, str) or "dataproxy" not in proxy or not isinstance(params, dict):
            return None
        # jpage POSTs the column's parameters as a form; the record window goes in the query (_api_request)
        return proxy, "POST", {**params, "perpage": low.get("perpage")}, False, "api-hanweb-jpage"
    api_url = args[0] if isinstance(args[0], str) else low.get("url")
    if not isinstance(api_url, str):
        return None
    method = str(low.get("type") or low.get("method") or ("POST" if "post" in name else "GET")).upper()
    body = low.get("data") if "data" in low else low.get("body")
    if isinstance(args[0], str) and len(args) > 1 and isinstance(args[1], dict) and "post" in name:
        body = args[1]
    as_json = "json" in str(low.get("contenttype") or low.get("headers") or "").lower() or name.startswith("axios")
    if isinstance(body, js.Json):
        body, as_json = body.value, True
    if not isinstance(body, dict):
        return None
    family = "api-trs-hycloud" if "/irs/" in api_url or "tenantid" in {k.lower() for k in body} else "api-json"
    return api_url, method, dict(body), as_json, family


def read_api_answer(text: str, request: d.PageRequest, page: d.ListPage) -> d.ListPage:
    """One answer of an API the list page stated: its records, and on the first answer the other pages."""
    spec = json.loads(request.api)
    page.family = spec["family"]
    base = request.base or request.url
    total: int | None = None
    store = d.DATASTORE.search(text) or (re.search(r"<recordset>.*", text, re.S) if "<record>" in text else None)
    if store is not None:  # Hanweb dataproxy XML
        for record in d.RECORD.findall(text):
            try:
                fragment, _cut = tree.parse_fragment(record)
            except (lxml.etree.ParserError, ValueError):
                continue
            page.links.extend(d._links(fragment, base))
        m = d.TOTAL_RECORD.search(text)
        total = int(m.group(1) or m.group(2)) if m else None
    else:
        try:
            data = json.loads(text)
        except ValueError:
            page.unread = f"the API's answer is not JSON ({text[:60]!r}…): no list read"
            return page
        records = _largest_record_list(data, base)
        page.links = records
        total = _find_number(data, TOTAL_KEYS)
        count = _find_number(data, COUNT_KEYS)
        if count is not None and total is None:
            total = count * spec["size"]
    if total is None:
        page.pager = f"{page.family}: answer without a total"
        if not page.links:
            page.unread = f"the API's answer holds no list and no total ({text[:60]!r}…)"
        return page
    size = spec["size"]
    page.page_count = min(-(-total // size), d.MAX_PLANNED_PAGES) if size else None
    page.pager = f"{page.family}: {total} records, {size} per page, {page.page_count} pages"
    if not _is_first(request, spec):
        return page
    if spec["family"] == "api-hanweb-jpage":
        group = size * d.HANWEB_GROUP_PAGES
        starts = range(group + 1, min(total, size * d.MAX_PLANNED_PAGES) + 1, group)
        page.next_pages = [d.PageRequest(_hanweb_window(request.url, s, size), "POST", request.data, api=request.api,
                                         base=request.base) for s in starts]  # fmt: skip
        return page
    for n in range(1, page.page_count or 0):
        page.next_pages.append(_next_api(request, spec, n))
    return page


def _hanweb_window(proxy: str, start: int, size: int) -> str:
    """jpage asks for three pages of records at a time: startrecord, endrecord and perpage in the query."""
    parts = urlsplit(proxy)
    end = start + size * d.HANWEB_GROUP_PAGES - 1
    query = urlencode({"startrecord": start, "endrecord": end, "perpage": size})
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


def _is_first(request: d.PageRequest, spec: dict) -> bool:
    if spec["family"] == "api-hanweb-jpage":
        return "startrecord=1&" in request.url
    if request.json_body:
        return json.loads(request.json_body).get(spec["page_key"]) == spec["first"]
    values = dict(request.data) or dict(re.findall(r"[?&]([^=&]+)=([^&]*)", request.url))
    return values.get(spec["page_key"]) == str(spec["first"])


def _next_api(request: d.PageRequest, spec: dict, n: int) -> d.PageRequest:
    """The request for the page ``n`` pages after the first: the stated request with the page key moved on."""
    key = spec["page_key"]
    value = spec["first"] + n
    if request.json_body:
        body = {**json.loads(request.json_body), key: value}
        return d.PageRequest(request.url, "POST", json_body=json.dumps(body, ensure_ascii=False), api=request.api,
                             base=request.base)  # fmt: skip
    if request.method == "POST":
        data = {**dict(request.data), key: str(value)}
        return d.PageRequest(request.url, "POST", tuple(data.items()), api=request.api, base=request.base)
    return d.PageRequest(d._with_param(request.url, key, value), api=request.api, base=request.base)


# --- JSON helpers -----------------------------------------------------------------------------------------------
def _largest_record_list(data, base: str) -> list[d.Link]:
    best: list[d.Link] = []
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            links = _record_links(value, base)
            if len(links) > len(best):
                best = links
            stack.extend(v for v in value if isinstance(v, dict | list))
    return best


def _record_links(records: list, base: str) -> list[d.Link]:
    links, seen = [], set()
    for rec in records:
        if not isinstance(rec, dict):
            continue
        low = {str(k).lower(): v for k, v in rec.items()}
        title, href = _first(low, TITLE_KEYS), _first(low, URL_KEYS)
        if not isinstance(title, str) or not isinstance(href, str) or is_placeholder(href, title):
            continue
        title = " ".join(html.unescape(re.sub(r"<[^>]+>", "", title)).split())
        url = d._join(base, html.unescape(href))
        if not title or url is None or not url.startswith(("http://", "https://")) or d.normalise_url(url) in seen:
            continue
        seen.add(d.normalise_url(url))
        date = next((d._any_date(low[k]) for k in DATE_KEYS if low.get(k)), None)
        links.append(d.Link(url, title, date))
    return links


def _find_number(data, keys: tuple[str, ...]) -> int | None:
    stack = [data]
    while stack:
        value = stack.pop(0)
        if isinstance(value, dict):
            for k, v in value.items():
                if str(k).lower() in keys and _int(v) is not None:
                    return _int(v)
            stack.extend(v for v in value.values() if isinstance(v, dict))
    return None


def _first(values: dict, keys: tuple[str, ...]):
    return next((values[k] for k in keys if values.get(k) not in (None, "")), None)


def _int(value) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value if 0 <= value < 10**9 else None
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdigit() and len(value.strip()) < 10:
        return int(value.strip())
    return None


def _text(value) -> str:
    return value if isinstance(value, str) else json.dumps(value)


def _near(target: str, url: str) -> bool:
    """The API is the page's site: the same host, or a host of the same portal domain (search.<portal>)."""
    a, b = site_host(urlsplit(target).hostname), site_host(urlsplit(url).hostname)
    if a == b:
        return True
    if re.fullmatch(r"[\d.]+", a) or re.fullmatch(r"[\d.]+", b):
        return False
    return a.split(".")[-3:] == b.split(".")[-3:] and len(b.split(".")) >= 3


def _scripts(doc) -> list[str]:
    return [s.text for s in doc.iter("script") if s.text and len(s.text) < MAX_SCRIPT_CHARS]
