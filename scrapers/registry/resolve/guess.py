"""Where a government's portal probably lives when no parent links it: ``www.<pinyin>.gov.cn`` and about 25
variants, most likely first (measured on a public list: the plain form hits 45% of county hosts, the variants 73%),
and the provincial portals shipped by PyPI ``gov-site-list`` (MIT) to start the walk from."""

from __future__ import annotations

import functools
import json
from importlib import resources
from urllib.parse import urlsplit

from pypinyin import Style, lazy_pinyin

from scrapers.registry.governments import Government
from scrapers.registry.resolve.names import GOVERNMENT, Names, own_name, squash, strip_suffix

# pypinyin reads these place names as ordinary words (都 as dou, 什 as shen); the portals use the place readings
# (syllables apart, for initials).
PLACE_READINGS = {
    "什邡": "shi fang", "都昌": "du chang", "宁都": "ning du", "于都": "yu du", "丰都": "feng du", "花都": "hua du",
    "郫都": "pi du", "都匀": "du yun", "都安": "du an", "都兰": "du lan", "单县": "shan xian", "洪洞": "hong tong",
    "六合": "lu he", "朝阳": "chao yang", "筠连": "jun lian", "长子": "zhang zi", "乐亭": "lao ting", "番禺": "pan yu",
    "铅山": "yan shan", "蚌埠": "beng bu", "六安": "lu an", "莘县": "shen xian", "浚县": "xun xian", "大冶": "da ye",
}  # fmt: skip
_SUFFIX_LETTERS = {"县": "x", "市": "s", "区": "q", "旗": "q", "盟": "m", "州": "z", "自治县": "zzx", "自治州": "zzz"}


def _syllables(text: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(text):
        for place, reading in PLACE_READINGS.items():
            if text.startswith(place, i):
                out.extend(reading.split())
                i += len(place)
                break
        else:
            j = i + 1
            while j < len(text) and not any(text.startswith(p, j) for p in PLACE_READINGS):
                j += 1
            out.extend(s for s in lazy_pinyin(text[i:j], style=Style.NORMAL, errors="ignore") if s.isascii())
            i = j
    return [s.replace("ü", "v").lower() for s in out if s]


def pinyin(text: str) -> str:
    return "".join(_syllables(text))


def initials(text: str) -> str:
    return "".join(s[0] for s in _syllables(text))


def host_guesses(gov: Government, names: Names, parent_url: str | None = None) -> list[str]:
    """Home-page URLs to try for ``gov``, most likely first, without repeats."""
    parent = names.parent(gov)
    own = own_name(gov, parent)
    stem = strip_suffix(own)
    suffix = own[len(stem) :] or own[-1:]  # 赵县 keeps its suffix in the stem, but its letter still counts
    letter = _SUFFIX_LETTERS.get(suffix) or _SUFFIX_LETTERS.get(suffix[-1:], "")
    full, plain, init = pinyin(own), pinyin(stem), initials(stem)
    parent_stem = strip_suffix(own_name(parent, names.parent(parent))) if parent and parent.level != "province" else ""
    p_plain, p_init = pinyin(parent_stem), initials(parent_stem)
    labels = [plain, full, f"{plain}{letter}", init + letter, init, f"{plain}zf", f"{init}zf", f"{full}zf"]
    if p_init:
        labels += [p_init + plain, p_init + init, p_plain + plain, p_init + init + letter, p_plain + init]
    labels += [f"{plain}gov", f"zf{plain}", f"gov{plain}", pinyin(own[:-1])]  # 井陉矿区 -> jingxingkuang
    common = "".join(lazy_pinyin(stem, errors="ignore"))
    if common != plain:  # some portals took the everyday reading the override corrects (六合 as liuhe)
        labels += [common, common + letter]
    urls = []
    for label in labels:
        if label and label.isalnum():
            urls += [f"http://www.{label}.gov.cn/", f"http://{label}.gov.cn/"]
    if parent_url:
        parent_site = (urlsplit(parent_url).hostname or "").removeprefix("www.")
        if parent_site:
            urls += [f"http://www.{plain}.{parent_site}/", f"http://{plain}.{parent_site}/",
                     f"http://{init + letter}.{parent_site}/"]  # fmt: skip
    return list(dict.fromkeys(u for u in urls if ".." not in u))


@functools.cache
def _provincial_portals() -> dict[str, str]:
    data = resources.files("gov_site_list").joinpath("data/homepages/provincial.jsonl").read_text(encoding="utf-8")
    portals = {}
    for line in data.splitlines():
        if line.strip():
            item = json.loads(line)
            portals[squash(item["name"]).removesuffix(GOVERNMENT)] = item["url"].rstrip("/") + "/"
    return portals


def known_portal(gov: Government) -> str | None:
    """The province's portal as gov-site-list 0.1.0 gives it (a candidate, verified like any other)."""
    if gov.level != "province":
        return None
    return _provincial_portals().get(squash(gov.name).removesuffix(GOVERNMENT))


def seed_urls(gov: Government) -> list[str]:
    """The province's portal from gov-site-list, over http first (portals send http on to https themselves)."""
    url = known_portal(gov)
    if not url:
        return []
    return list(dict.fromkeys(["http://" + url.split("://", 1)[1], url]))
