"""Selectors and patterns as named data: where report bodies live, and what page chrome looks like.

The algorithm in ``body.py`` and ``meta.py`` stays generic; a new CMS family usually needs only a line here.
"""

from __future__ import annotations

import re

# Body containers, most specific first (domain.md: TRS, Hanweb, 信息公开 pages, re-skins).
# ("class" | "id" | "tag", value) — one pass over the tree checks them all; earlier entries win.
BODY_SELECTORS: tuple[tuple[str, str], ...] = (
    ("class", "TRS_Editor"),
    ("class", "trs_editor_view"),
    ("class", "TRS_UEDITOR"),  # TRS WCM's newer editor (内蒙古 and other 集约化 portals)
    ("id", "UCAP-CONTENT"),
    ("id", "zoom"),
    ("class", "article-content"),
    ("id", "content"),
    ("id", "Content"),
    ("id", "art_content"),
    ("id", "artibody"),
    ("tag", "article"),
)

# Hanweb marks the body with comments; the text between them is the body and nothing else.
CONTENT_MARKERS: tuple[tuple[str, str], ...] = (
    ("<!--ZJEG_RSS.content.begin-->", "<!--ZJEG_RSS.content.end-->"),
    ("<!--<$[信息内容]>begin-->", "<!--<$[信息内容]>end-->"),
)

# Elements that never hold body text.
DROP_TAGS: tuple[str, ...] = ("script", "style", "noscript", "iframe", "select", "button", "object", "embed", "svg")

# Chrome blocks recognised by class or id tokens, even inside the body container.
DROP_CLASS = re.compile(
    r"^(?:bdshare\w*|share\w*|\w*-share|bshare\w*|jiathis\w*|qrcode|qr-?code\w*|ewm|erweima\w*|print\w*|"
    r"prevnext|prev-next|pre-next|related|xgwz|xglj|relevant|position|crumbs?|breadcrumb|footer|"
    r"topbar|nav|navbar|menu|editor-name|zrbj|fontsize|font-size|font)$",
    re.IGNORECASE,
)

# Block-level tags: each starts a new line when linearising.
BLOCK_TAGS = frozenset(
    [
        "p",
        "div",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "li",
        "ul",
        "ol",
        "table",
        "tbody",
        "thead",
        "tfoot",
        "tr",
        "td",
        "th",
        "section",
        "article",
        "header",
        "footer",
        "main",
        "aside",
        "nav",
        "blockquote",
        "center",
        "dd",
        "dt",
        "dl",
        "pre",
        "form",
        "hr",
        "address",
        "figure",
        "figcaption",
        "caption",
    ]
)

# A line that is nothing but chrome: a pattern (searched against the whitespace-normalised line) and the longest
# line it may judge. Widgets are a few characters long; a body paragraph that merely mentions 扫描二维码 or 联系我们
# is longer than that, so its words cannot get it dropped.
WIDGET, METALINE, BLOCK = 60, 160, 240
# The font-size bar's 大 中 小, each set apart by a blank or a bracket (【大】【中】【小】, [大] [中] [小], 大 中 小): prose
# writes 大中小学 with nothing between them.
_OPEN, _CLOSE = r"[【\[［(（]", r"[】\]］)）]"
_FONT_GAP = rf"(?:\s*{_CLOSE}\s*{_OPEN}?\s*|\s*{_OPEN}\s*|\s+)"
FONT_BAR = rf"{_OPEN}?\s*大{_FONT_GAP}中{_FONT_GAP}小\s*{_CLOSE}?"
# Widgets that can sit inside a line of text (after the last sentence, in a toolbar line with other words): cut out
# of the line wherever they are; what is left is judged like any line.
INLINE_WIDGETS = re.compile(
    rf"(?:{_OPEN}\s*)?(?:字[体號号]\s*[:：]?\s*)?{FONT_BAR}|"
    # square brackets only: prose writes 取缔（关闭） in round ones
    r"[【\[［]\s*(?:打印本页|打印|关闭窗口|关闭|收藏|返回顶部)\s*[】\]］]|打印本页|关闭窗口|扫一扫在手机打开当前页"
)
# A bar broken over lines (字号 / 大 / 中 / 小): one line of a single 大, 中 or 小, in that order.
FONT_BAR_PIECE = re.compile(rf"^{_OPEN}?\s*([大中小])\s*{_CLOSE}?$")
# 您的位置, 当前位置, 您现在的位置, 所在位置, 您当前所在位置, 您所在的位置 (a bare 位置： is an address)
BREADCRUMB = re.compile(r"^(?:(?:您|你)(?:当前|现在|目前)?(?:所在)?的?|当前(?:所在)?的?|所在的?)位置")
BREADCRUMB_SEP = re.compile(r"\s*[>»›→＞/]+\s*")
CHROME_LINES: dict[str, tuple[re.Pattern[str], int]] = {
    "breadcrumb": (BREADCRUMB, BLOCK),
    "metadata line": (
        re.compile(
            r"^[（(]?(?:作者[:：].{0,20})?(?:文章来源|稿件来源|信息来源|来源|发布机构|发布者)[:：]|"
            r"(?:发布时间|发布日期|更新时间|浏览次数|浏览量|点击数|点击量|阅读次数|访问次数|阅读数)[:：]"
        ),
        METALINE,
    ),
    "font-size widget": (
        re.compile(rf"^[【\[]?\s*字[体號号][:：]?|^{FONT_BAR}$|【\s*大\s*中\s*小\s*】|^打印字[体號号][:：]?\s*放大"),
        WIDGET,
    ),
    "share bar": (re.compile(r"^分享到?\s*(?:[:：]|$)"), WIDGET),  # "分享到各村的短视频…" is prose
    "qr block": (re.compile(r"^(?:扫一扫|手机扫码|扫描二维码|用手机扫描)|扫一扫在手机打开当前页"), WIDGET),
    "print/close": (re.compile(r"打印本页|关闭窗口|^[【\[]\s*(?:打印|关闭|收藏|返回顶部)\s*[】\]]"), WIDGET),
    "favourite": (re.compile(r"设为首页|加入收藏|^欢迎(?:您)?(?:进入|访问)"), WIDGET),
    "pager": (
        re.compile(r"^(?:[\[［]\s*\d+\s*[\]］]\s*){2,}$|^(?:上一页|下一页|首页|尾页|共\s*\d+\s*页)(?:\s|$)"),
        WIDGET,
    ),
    "prev/next": (re.compile(r"^(?:上一篇|下一篇|上一条|下一条)[:：]?"), BLOCK),
    "attachment label": (
        re.compile(
            r"^(?:相关)?附件(?:下载)?[:：]?\s*$|^附件下载|^附件\s*\d*\s*[:：].*\.(?:pdf|docx?|wps|xlsx?|et|ofd|zip|rar)$",
            re.IGNORECASE,
        ),
        BLOCK,
    ),
    "editor": (re.compile(r"^[【\[（(]?(?:责任编辑|编辑|审核|校对|审校|初审|终审)[:：]"), WIDGET),
    "footer": (
        re.compile(r"主办单位|承办单位|ICP备|网站标识码|版权所有|技术支持[:：]|公网安备|^(?:网站地图|联系我们)"),
        BLOCK,
    ),
    "index table": (re.compile(r"^(?:索引号|主题分类|发文机关|成文日期|文\s*号|名\s*称|主\s*题\s*词)[:：]"), BLOCK),
}


def _union(patterns) -> re.Pattern[str]:
    return re.compile("|".join(("(?i:" if p.flags & re.IGNORECASE else "(?:") + p.pattern + ")" for p in patterns))


# One search per length class instead of one per kind: (longest line judged, union of that class's patterns).
CHROME_BY_LENGTH: tuple[tuple[int, re.Pattern[str]], ...] = tuple(
    (limit, _union(p for p, lim in CHROME_LINES.values() if lim == limit)) for limit in (WIDGET, METALINE, BLOCK)
)

# A line starting one of these ends the body: everything after it is lists and chrome.
CUT_LINES = re.compile(r"^(?:相关(?:文章|链接|新闻|阅读|信息|稿件|文件|推荐)|延伸阅读|推荐阅读|热点文章)[:：]?$")

# Labelled values on the metadata line or the 信息公开 index table.
DATE_LABELS: tuple[str, ...] = (
    "发布时间", "发布日期", "更新时间", "发文日期", "生成日期", "时间", "日期", "成文日期"
)  # fmt: skip
_LABEL_STOP = r"(?=\s|$|[|｜【\[]|发布|时间|日期|浏览|点击|作者|字体|更新|阅读|访问|责任)"
SOURCE_VALUE = re.compile(
    r"(?:文章来源|信息来源|来源|发布机构|发布单位)[:：]\s*"
    r"(?!发布|更新|时间|日期|浏览|点击|作者|字体|[^\s:：]{1,6}[:：])([^\s:：|｜【\[]{1,40}?)" + _LABEL_STOP
)
# A date label: a named one (发布日期) may stand before its value with only a blank, a bracket or a table cell between
# them (信息公开 tables: <th>发布日期</th><td>2024-01-30</td>) and have blanks inside (发 布 日 期); a bare 时间 or 日期
# needs its colon, since prose says 时间 2023年 too.
NAMED_DATE_LABEL = r"(?:发\s*布|更\s*新|发\s*文|生\s*成|成\s*文)\s*(?:日\s*期|时\s*间)"
DATE_VALUE = re.compile(
    rf"(?P<label>{NAMED_DATE_LABEL}(?:\s*[:：】\]］]|\s)|(?:时\s*间|日\s*期)\s*[:：])\s*"
    r"(?P<y>(?:19|20)\d\d)\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})"
)

# An unlabelled date on a line that is clearly the metadata line (it names the source or counts views).
INFO_LINE = re.compile(r"来源|浏览|点击|阅读|作者|发布")
BARE_DATE = re.compile(r"(?<!\d)(?P<y>(?:19|20)\d\d)\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})")

# <title> parts: "文章标题_栏目_站点", "站点- 文章标题", "文章标题 | 站点".
TITLE_SPLIT = re.compile(r"\s*(?:[_|｜]|\s[-—–]|[-—–]\s|--|——)\s*")
# A portal's own name: a government or one of its departments (某某镇人民政府, 青溪县司法局, …门户网站), or a named
# site (中国河北政府采购网). Never a title on its own: the article's title is elsewhere on the page.
_PLACE = r"[\u4e00-\u9fff]{1,20}?(?:省|市|县|区|州|盟|旗|镇|乡|街道|特区|新区|开发区)"
SITE_NAME = re.compile(
    rf"^(?:中共)?{_PLACE}(?:(?:人民政府|政府|街道办事处|办事处|管理委员会|管委会|[\u4e00-\u9fff]{{0,12}}?(?:局|厅))"
    r"(?:办公厅|办公室)?(?:门户网站|网站|网|官网)?|门户网站|网站|官网)$"
    r"|^[\u4e00-\u9fff]{2,12}(?:门户网站|官方网站|政府网|政务网|采购网|信息网)$"
)
# class or id tokens of a title block (.title, .art-title, #bt, .biaoti)
TITLE_CLASS = re.compile(r"^(?:\w*[-_])?(?:title|tit|bt|biaoti|headline)(?:[-_]?\w*)?$|^\w*title$", re.IGNORECASE)

# Standard government meta tags (names compared lower-case).
META_TITLE = ("articletitle", "og:title", "title")
META_DATE = (
    "pubdate", "publishdate", "firstpublishedtime", "og:release_date", "article:published_time",
    "og:article:published_time",
)  # fmt: skip
META_SOURCE = ("contentsource", "source")

# Dates in detail URLs: TRS ./202301/t20230130_123.html, Hanweb /art/2023/1/30/art_1_2.html.
URL_DATES: tuple[re.Pattern[str], ...] = (
    re.compile(r"/t(?P<y>20\d\d)(?P<m>\d\d)(?P<d>\d\d)_"),
    re.compile(r"/art/(?P<y>20\d\d)/(?P<m>\d{1,2})/(?P<d>\d{1,2})/"),
    re.compile(r"/(?P<y>20\d\d)-(?P<m>\d\d)/(?P<d>\d\d)/"),
)

ATTACHMENT_HREF = re.compile(r"\.(?:pdf|docx?|wps|xlsx?|et|ofd|zip|rar|7z)(?:[?#].*)?$", re.IGNORECASE)
TEXT_ATTACHMENT = re.compile(r"\.(?:pdf|docx)(?:[?#].*)?$", re.IGNORECASE)

# The government a signature or document header names.
ISSUER_LINE = re.compile(
    r"^(?:中共[\u4e00-\u9fff]{2,20}(?:委员会|委)\s*)?"
    r"([\u4e00-\u9fff（）()]{2,30}(?:人民政府|街道办事处|办事处|管理委员会|管委会|委员会|办公室|政府|局|厅))$"
)
DOC_HEADER = re.compile(r"^([\u4e00-\u9fff]{2,30}(?:人民政府|办事处|管理委员会|管委会))(?:办公室)?文件$")


# What chrome left in a clean text looks like. One home, read by the landing suite (expectations/landing_reports.json
# takes LEFTOVER_PATTERNS through "$package"), by discovery (a link text holding a marker is chrome, not a title:
# collect.discover.CHROME_TITLE) and by the demo and the extraction tests (CHROME_MARKERS never occur in a clean body).
# Literal strings only page chrome carries: breadcrumbs, hit counters, font and share widgets, footers, script text.
CHROME_MARKERS: frozenset[str] = frozenset(
    {
        "您的位置", "当前位置", "浏览次数", "点击数", "发布时间", "字体", "【大 中 小】", "分享到",
        "扫一扫在手机打开当前页", "打印本页", "关闭窗口", "设为首页", "加入收藏", "上一篇", "下一篇",
        "相关文章", "附件下载", "责任编辑", "主办单位", "ICP备", "网站标识码", "索引号", "var ",
        "document.", "{", "}",
    }
)  # fmt: skip
# Further footer and breadcrumb words discovery drops from link texts. They are not CHROME_MARKERS only because the
# demo families do not render them, and the extraction tests check that every marker appears in the demo pages.
CHROME_TITLE_EXTRA: frozenset[str] = frozenset({"承办单位", "版权所有", "您现在的位置", "扫一扫"})
# The landing gate's check on bodies: narrower than CHROME_MARKERS where a bare word (发布时间, 字体) can occur in
# report prose; a labelled form (发布时间：2024, 字体：) cannot. A body matching one waits in quarantine.
LEFTOVER_PATTERNS: tuple[str, ...] = (
    "分享到",
    "扫一扫",
    r"字体\s*[:：]",
    r"字号\s*[:：]",
    r"【\s*大\s*中\s*小\s*】",
    "浏览次数",
    r"点击数\s*[:：]",
    "阅读次数",
    "打印本页",
    "关闭窗口",
    r"【\s*打印\s*】",
    "ICP备",
    "公网安备",
    "网站标识码",
    "您的位置",
    r"当前位置\s*[:：]",
    "上一篇",
    "下一篇",
    "设为首页",
    "加入收藏",
    r"主办单位\s*[:：]",
    r"发布时间\s*[:：]\s*\d{4}",
    FONT_BAR,  # 【大】【中】【小】, 大 中 小: a font-size bar in any dress (never 大中小学)
)
