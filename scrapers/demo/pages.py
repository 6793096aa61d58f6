"""Report pages as real government CMSs render them, chrome and encoding included, for the demo portal and tests.

Each CMS family is data: a page skeleton, how one paragraph is marked up, how the body container is wrapped, and
which encoding and charset declaration the family uses. ``render_report_page`` fills a family's templates with a
report; the chrome (breadcrumb, 来源/发布时间/浏览次数 line, 字体【大 中 小】, share/QR blocks, print/close, prev/next,
related reports, 附件下载, 责任编辑, footer) is what the seeds and real portals show, and is what a clean extractor
must drop. ``scrapers.extract.chrome.CHROME_MARKERS`` lists strings that never occur in a clean body.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import html
import re
from collections.abc import Sequence
from dataclasses import dataclass
from string import Template

# Chrome blocks shared by the families, as template snippets ($site_name etc. are filled per page).
_BLOCKS = {
    "topbar": '<div class="topbar"><span>欢迎您进入$site_name!</span> <a href="javascript:void(0)" '
    "onclick=\"this.style.behavior='url(#default#homepage)';\">设为首页</a> | "
    '<a href="javascript:window.external.AddFavorite(location.href,document.title)">加入收藏</a></div>',
    "nav": '<div class="nav"><ul><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>'
    '<li><a href="/zwdt/">政务动态</a></li><li><a href="/hdjl/">互动交流</a></li><li><a href="/bsfw/">办事服务</a></li></ul></div>',
    "breadcrumb": '<div class="position">您的位置：<a href="/">首页</a> &gt; <a href="/zwgk/">政务公开</a> &gt; '
    '<a href="./">$column</a></div>',
    "infoline": '<div class="info"><span>来源：$source</span><span>发布时间：$pubtime</span>'
    '<span>浏览次数：<em id="hits"></em></span><span class="font">字体：【<a href="javascript:doZoom(18)">大</a> '
    '<a href="javascript:doZoom(16)">中</a> <a href="javascript:doZoom(14)">小</a>】</span></div>',
    # as seed 001 shows it once copied: half-width colons, no separators, the counter and font buttons filled by JS
    "infoline_js": '<div class="info">来源: $source<span>发布时间:$pubtime</span><span>浏览次数:<em id="hits"></em>'
    '</span></div><div class="fontsize">字体:【<a href="javascript:doZoom(16)"><img src="/images/big.gif"></a>&nbsp;'
    '<a href="javascript:doZoom(14)"><img src="/images/mid.gif"></a>&nbsp;<a href="javascript:doZoom(12)">'
    '<img src="/images/small.gif"></a>】</div>',
    "share": '<div class="bdsharebuttonbox"><span>分享到：</span><a class="bds_weixin" title="分享到微信"></a>'
    '<a class="bds_tsina" title="分享到新浪微博"></a><a class="bds_qzone" title="分享到QQ空间"></a></div>',
    "qr": '<div class="qrcode"><img src="/images/qrcode.png" alt=""><p>扫一扫在手机打开当前页</p></div>',
    "print": '<div class="print">【<a href="javascript:window.print()">打印本页</a>】'
    '【<a href="javascript:window.close()">关闭窗口</a>】</div>',
    "editor": '<div class="editor">责任编辑：$editor</div>',
    "prevnext": '<div class="prevnext"><p>上一篇：<a href="$prev_href">$prev_title</a></p>'
    '<p>下一篇：<a href="$next_href">$next_title</a></p></div>',
    "footer": '<div class="footer"><p><a href="/wzdt/">网站地图</a> | <a href="/lxwm/">联系我们</a></p>'
    "<p>主办单位：$site_name　承办单位：$site_name办公室</p><p>$icp　网站标识码：$site_code</p>"
    "<p><script>document.write(unescape(\"%3Cspan id='_ideConac' %3E%3C/span%3E\"));</script></p></div>",
    "script": '<script type="text/javascript">var hits = $views; document.getElementById("hits").innerHTML = hits;'
    "function doZoom(size){ var el=document.getElementById('zoom'); el.style.fontSize=size+'px'; }</script>",
    "style": "<style>.info span{margin:0 8px} .prevnext{border-top:1px dashed #ccc} body{font:14px/1.8 SimSun}</style>",
    "meta": '<meta name="SiteName" content="$site_name"><meta name="SiteDomain" content="www.example.gov.cn">'
    '<meta name="SiteIDCode" content="$site_code"><meta name="ColumnName" content="$column">'
    '<meta name="ArticleTitle" content="$title_attr"><meta name="PubDate" content="$pubdate_meta">'
    '<meta name="ContentSource" content="$source_attr"><meta name="Keywords" content="法治政府建设">',
}


@dataclass(frozen=True)
class Family:
    """One CMS family: templates plus encoding. ``skeleton`` holds $blocks and the $body slot."""

    name: str
    encoding: str  # bytes on the wire
    charset: str | None  # what the page declares; None: no declaration at all
    skeleton: str
    container: str  # the body container; $paragraphs and $attachments inside
    paragraph: str  # one paragraph; $text
    joiner: str = "\n"
    spans: bool = False  # Word paste: each paragraph cut into <span> runs
    attachments: str = '<div class="attach"><p>附件下载：</p><ul>$items</ul></div>'
    attachment_item: str = '<li><a href="$href">$name</a></li>'
    body_from_attachment: bool = False  # the page carries no body text, only the attachment link


_HEAD = (
    "<!DOCTYPE html>\n<html>\n<head>\n$charset_tag\n<title>${title_text}_${site_name}</title>\n$meta\n$style\n</head>\n"
)

FAMILIES_DATA: dict[str, Family] = {
    f.name: f
    for f in (
        Family(
            name="trs",
            encoding="utf-8",
            charset="utf-8",
            skeleton=_HEAD + '<body>\n$topbar\n$nav\n$breadcrumb\n<div class="article">\n'
            '<h1 class="title">$title_text</h1>\n$infoline_js\n$container\n$attachments_block\n$share\n$print\n'
            "$prevnext\n$related_block\n</div>\n$footer\n$script\n</body>\n</html>\n",
            container='<div class="view TRS_UEDITOR trs_paper_default trs_web">\n<div class="TRS_Editor">\n'
            "$paragraphs\n</div>\n</div>",
            paragraph='<p style="text-indent: 2em; line-height: 1.75em;">$text</p>',
        ),
        Family(
            name="hanweb",
            encoding="utf-8",
            charset="utf-8",
            # Hanweb sites include a header fragment that ends with its own </html>: lxml stops parsing there.
            skeleton=_HEAD + '<body>\n$topbar\n$nav\n</html>\n$breadcrumb\n<table width="100%" class="main"><tr><td>'
            '<div class="title">$title_text</div>\n$infoline\n'
            '<div id="zoom">\n<!--ZJEG_RSS.content.begin--><meta name="ContentStart">$title_repeat\n$paragraphs'
            '\n<!--ZJEG_RSS.content.end--><meta name="ContentEnd">\n</div>\n$attachments_block\n$share\n$qr\n$print\n$editor\n'
            "</td></tr></table>\n$related_block\n$footer\n$script\n</body>\n</html>\n",
            container="",
            paragraph='<p class="MsoNormal" style="text-indent:32.0pt;mso-char-indent-count:2.0">$text<o:p></o:p></p>',
            spans=True,
        ),
        Family(
            name="xxgk",
            encoding="utf-8",
            charset="utf-8",
            skeleton=_HEAD + "<body>\n$topbar\n$breadcrumb\n"
            '<table class="xxgk-table" width="100%"><tbody>'
            "<tr><td>索引号：</td><td>$index_no</td><td>主题分类：</td><td>其他</td></tr>"
            "<tr><td>发布机构：</td><td>$source</td><td>成文日期：</td><td>$pubdate_cn</td></tr>"
            '<tr><td>名　　称：</td><td colspan="3">$title_text</td></tr>'
            "<tr><td>文　　号：</td><td></td><td>发布日期：</td><td>$pubdate</td></tr></tbody></table>\n"
            '<div class="zw-title"><h2>$title_text</h2></div>\n$container\n$attachments_block\n$share\n$print\n'
            "$related_block\n$footer\n$script\n</body>\n</html>\n",
            container='<div class="trs_editor_view TRS_UEDITOR" id="UCAP-CONTENT">\n$paragraphs\n</div>',
            paragraph='<p style="text-indent:2em">　　$text</p>',
        ),
        Family(
            name="responsive",
            encoding="utf-8",
            charset="utf-8",
            skeleton='<!DOCTYPE html>\n<html lang="zh-CN">\n<head>\n$charset_tag\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            "<title>${title_text}_${site_name}</title>\n$meta\n$style\n</head>\n<body>\n"
            '<header class="site-header">$nav</header>\n<nav aria-label="breadcrumb" class="crumbs">'
            '当前位置：<a href="/">首页</a> / <a href="./">$column</a></nav>\n<main>\n<article class="article">\n'
            '<header><h1>$title_text</h1><div class="meta"><span>来源：$source</span>'
            '<time datetime="$pubdate">发布时间：$pubtime</time><span>浏览次数：<em id="hits"></em></span></div>'
            "$share</header>\n$container\n$attachments_block\n<footer>$prevnext</footer>\n</article>\n"
            '<aside class="related">$related_block</aside>\n</main>\n<footer class="site-footer">$footer</footer>\n'
            "$script\n</body>\n</html>\n",
            container='<section class="article-content">\n$paragraphs\n</section>',
            paragraph="<p>$text</p>",
        ),
        Family(
            name="table_gbk",
            encoding="gb18030",
            charset="gb2312",
            skeleton="<html>\n<head>\n$charset_tag\n<title>$title_text</title>\n$style\n</head>\n"
            '<body>\n<table width="980" align="center"><tr><td>$topbar</td></tr><tr><td>$nav</td></tr></table>\n'
            '<table width="980" align="center" class="main"><tr><td class="position">$breadcrumb</td></tr>\n'
            '<tr><td align="center" class="title"><b>$title_text</b></td></tr>\n'
            '<tr><td align="center" class="info">作者: 文章来源:$source 更新时间:$pubtime_old 点击数:'
            '<script src="/count.asp?id=1"></script></td></tr>\n'
            '<tr><td class="content" id="content">$container</td></tr>\n'
            "<tr><td>$attachments_block</td></tr>\n"
            '<tr><td align="right">$print</td></tr>\n<tr><td>$prevnext</td></tr>\n</table>\n'
            '<table width="980" align="center"><tr><td>$footer</td></tr></table>\n</body>\n</html>\n',
            container="$paragraphs",
            paragraph="&nbsp;&nbsp;&nbsp;&nbsp;$text",
            joiner="<br>\n",
            attachments="<p>附件下载：$items</p>",
            attachment_item='<a href="$href">$name</a> ',
        ),
        Family(
            name="inbody_chrome",
            encoding="gb18030",
            charset=None,
            skeleton="<html>\n<head>\n<title>${title_text}-${site_name}</title>\n$meta\n$style\n</head>\n<body>\n"
            '$topbar\n$nav\n$breadcrumb\n<div class="content">\n<h2>$title_text</h2>\n$container\n</div>\n'
            "$related_block\n$footer\n$script\n</body>\n</html>\n",
            # This CMS puts every widget inside the content container: only the text blocks are body.
            container='<div class="article-content" id="zoom">\n$infoline\n$paragraphs\n$attachments_block\n'
            "$editor\n$share\n$qr\n$print\n$prevnext\n</div>",
            paragraph="<div>　　$text</div>",
        ),
        Family(
            name="attachment_only",
            encoding="utf-8",
            charset="gbk",  # wrong declaration: the bytes are UTF-8
            skeleton=_HEAD + '<body>\n$topbar\n$nav\n$breadcrumb\n<div class="article">\n'
            '<h1 class="title">$title_text</h1>\n$infoline\n$container\n$share\n$print\n$prevnext\n'
            "$related_block\n</div>\n$footer\n$script\n</body>\n</html>\n",
            container='<div class="TRS_Editor">\n$attachments_block\n</div>',
            paragraph="<p>$text</p>",
            attachments="<p>附件：$items</p>",
            attachment_item='<a href="$href" target="_blank">$name</a>',
            body_from_attachment=True,
        ),
    )
}

FAMILIES: tuple[str, ...] = tuple(FAMILIES_DATA)

_YEAR = re.compile(r"(20\d\d)")


def _digest(*parts: str) -> int:
    return int(hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:8], 16)


def _spans(text: str, seed: int) -> str:
    """Cut a paragraph into Word-style <span> runs, some separated by a newline in the source as Word emits them."""
    runs, i, n = [], 0, len(text)
    step = 7 + seed % 11
    while i < n:
        j = min(n, i + step)
        # Word cuts runs where the script changes, never inside a number or word, nor beside a blank
        while j < n and (text[j - 1].isspace() or text[j].isspace() or (text[j - 1].isascii() and text[j].isalnum())):
            j += 1
        runs.append(text[i:j])
        i = j
    out = []
    for k, run in enumerate(runs):
        tag = '<span style="font-family:仿宋_GB2312;font-size:16.0pt">' if k % 2 else '<span lang="EN-US">'
        out.append(f"{tag}{html.escape(run, quote=False)}</span>" + ("\n" if k % 3 == 2 else ""))
    return "".join(out)


def _related_titles(title: str, year: int | None) -> list[str]:
    """Report-looking titles of other years: the related list must not leak into the body."""
    if year is None:
        return [f"{title}（{y}年）" for y in (2019, 2020)]
    return [title.replace(str(year), str(y)) for y in (year - 1, year - 2)]


def render_report_page(
    family: str,
    *,
    title: str,
    paragraphs: Sequence[str],
    publish_date: dt.date,
    source: str | None,
    site_name: str,
    attachments: Sequence[tuple[str, str]] = (),
    related: Sequence[str] | None = None,
    encoding: str | None = None,
    column: str = "法治政府建设年度报告",
    pubdate_meta: str | None = None,
    repeat_title: bool = True,
) -> bytes:
    """A report page of ``family`` as bytes in the family's encoding (or ``encoding``).

    ``attachments`` are (name, href) pairs; ``related`` defaults to report-looking titles of other years;
    ``pubdate_meta`` overrides the PubDate meta tag (CMSs that stamp a regeneration time there).
    """
    fam = FAMILIES_DATA[family]
    seed = _digest(family, title)
    m = _YEAR.search(title)
    year = int(m.group(1)) if m else None
    when = dt.datetime.combine(publish_date, dt.time(8 + seed % 10, seed % 60, seed % 59))
    rel = list(_related_titles(title, year) if related is None else related)

    def esc(s: str) -> str:
        return html.escape(s, quote=False)

    if fam.body_from_attachment:
        paras = ""
    elif fam.spans:
        paras = fam.joiner.join(
            Template(fam.paragraph).substitute(text=_spans(p, seed + k)) for k, p in enumerate(paragraphs)
        )
    else:
        paras = fam.joiner.join(Template(fam.paragraph).substitute(text=esc(p)) for p in paragraphs)
    items = "".join(
        Template(fam.attachment_item).substitute(href=html.escape(href), name=esc(name)) for name, href in attachments
    )
    values = {
        "title_text": esc(title),
        "title_attr": html.escape(title),
        "site_name": esc(site_name),
        "site_code": str(5000000000 + seed % 99999),
        "column": esc(column),
        "source": esc(source or ""),
        "source_attr": html.escape(source or ""),
        "pubdate": publish_date.isoformat(),
        "pubdate_cn": f"{publish_date.year}年{publish_date.month:02d}月{publish_date.day:02d}日",
        "pubtime": when.strftime("%Y-%m-%d %H:%M"),
        "pubtime_old": f"{when.year}-{when.month}-{when.day} {when.hour}:{when.minute:02d}:{when.second:02d}",
        "pubdate_meta": pubdate_meta or when.strftime("%Y-%m-%d %H:%M:%S"),
        "index_no": f"11{seed % 10**8:08d}MB/{publish_date.year}-{seed % 997:05d}",
        "views": str(seed % 3000),
        "editor": "李" + "明华芳静"[seed % 4],
        "icp": f"蜀ICP备{seed % 10**8:08d}号",
        "prev_title": esc(rel[0]) if rel else "无",
        "prev_href": f"./t{publish_date:%Y%m%d}_{seed % 99991}.html",
        "next_title": esc(rel[1]) if len(rel) > 1 else "无",
        "next_href": f"./t{publish_date:%Y%m%d}_{seed % 99989}.html",
        "title_repeat": f'<p align="center"><strong>{esc(title)}</strong></p>' if repeat_title else "",
    }
    blocks = {k: Template(v).safe_substitute(values) for k, v in _BLOCKS.items()}
    values.update(blocks)
    values["paragraphs"] = paras
    values["attachments_block"] = Template(fam.attachments).substitute(items=items) if attachments else ""
    values["related_block"] = (
        '<div class="related"><h3>相关文章</h3><ul>'
        + "".join(f'<li><a href="./t{publish_date:%Y%m}_{k}.html">{esc(t)}</a></li>' for k, t in enumerate(rel))
        + "</ul></div>"
        if rel
        else ""
    )
    values["container"] = Template(fam.container).safe_substitute(values) if fam.container else paras
    if fam.charset is None:
        values["charset_tag"] = ""
    elif fam.name == "table_gbk":
        values["charset_tag"] = f'<meta http-equiv="Content-Type" content="text/html; charset={fam.charset}">'
    else:
        values["charset_tag"] = f'<meta charset="{fam.charset}">'
    page = Template(fam.skeleton).substitute(values)
    return page.encode(encoding or fam.encoding)
