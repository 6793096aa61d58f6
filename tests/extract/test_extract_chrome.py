"""Chrome inside the body container: every marker of ``extract.chrome`` goes wherever its widget sits (own line,
top, middle, bottom, inside a line of prose), and the landing gate's leftover patterns catch any widget that stays."""

from __future__ import annotations

import re

import pytest

from scrapers.extract import extract_page
from scrapers.extract.chrome import CHROME_MARKERS, LEFTOVER_PATTERNS

PARAS = (
    "2023年，县政府坚持以习近平新时代中国特色社会主义思想为指导，全面推进法治政府建设，各项工作取得新进展。",
    "一、主要举措和成效",
    "全年审查规范性文件23件，办理行政复议案件41件，取缔（关闭）非法采砂点3处，推进大中小学法治教育。",
    "二、下一年度工作安排",
    "持续深化法治政府示范创建，加强行政执法监督，提升依法行政水平。",
)

# One widget per CHROME_MARKERS entry, as CMSs print it inside their content block.
WIDGETS = {
    "您的位置": "您的位置：首页 &gt; 政务公开 &gt; 法治政府建设",
    "当前位置": "<span>当前位置：</span><a href='/'>首页</a> &gt; <a href='/fz/'>法治政府</a>",
    "浏览次数": "浏览次数：<span>1024</span>",
    "点击数": "点击数：88",
    "发布时间": "发布时间：2024-03-20 09:30",
    "字体": "【字体：<a>大</a> <a>中</a> <a>小</a>】",
    "【大 中 小】": "【大 中 小】",
    "分享到": "分享到：<a>微信</a> <a>微博</a>",
    "扫一扫在手机打开当前页": "<img src='qr.png'>扫一扫在手机打开当前页",
    "打印本页": "<a href='javascript:print()'>【打印本页】</a>",
    "关闭窗口": "<a href='javascript:close()'>【关闭窗口】</a>",
    "设为首页": "<a>设为首页</a> | <a>加入收藏</a>",
    "加入收藏": "<a>加入收藏</a>",
    "上一篇": "上一篇：<a href='/1.html'>青溪县2022年法治政府建设情况报告</a>",
    "下一篇": "下一篇：<a href='/3.html'>青溪县2024年法治政府建设工作要点</a>",
    "相关文章": "<h3>相关文章</h3><ul><li><a href='/2.html'>青溪县2021年法治政府建设情况报告</a></li></ul>",
    "附件下载": "附件下载：",
    "责任编辑": "（责任编辑：周敏）",
    "主办单位": "主办单位：青溪县人民政府办公室　网站标识码：4301230001",
    "ICP备": "湘ICP备00000001号",
    "网站标识码": "网站标识码：4301230001",
    "索引号": "索引号：000014349/2024-00012",
    "var ": "<script>var hits = document.getElementById('hits'); if (hits) { hits.innerHTML = '1'; }</script>",
    "document.": "<script>document.write('<b>1</b>');</script>",
    "{": "<style>.zoom { font-size: 16px; }</style>",
    "}": "<style>.zoom p { text-indent: 2em; }</style>",
}
# Widgets that end the body where they stand (a related-articles list): only at the bottom.
_BOTTOM_ONLY = {"相关文章"}


def _page(container: str) -> bytes:
    return (
        "<html><head><meta charset='utf-8'><title>青溪县2023年法治政府建设情况报告</title></head><body>"
        f"<div class='article'><div class='TRS_Editor'>{container}</div></div></body></html>"
    ).encode()


def test_every_marker_has_a_widget_here():
    assert set(WIDGETS) == set(CHROME_MARKERS)


@pytest.mark.parametrize("place", ["top", "middle", "bottom"])
@pytest.mark.parametrize("marker", sorted(CHROME_MARKERS))
def test_a_marker_goes_wherever_its_widget_sits(marker, place):
    if place != "bottom" and marker in _BOTTOM_ONLY:
        pytest.skip("a related-articles heading ends the body")
    paras = [f"<p>{p}</p>" for p in PARAS]
    widget = f"<div class='tools'>{WIDGETS[marker]}</div>"
    at = {"top": 0, "middle": 2, "bottom": len(paras)}[place]
    page = extract_page(_page("".join(paras[:at] + [widget] + paras[at:])))
    assert page.body.splitlines() == list(PARAS)


@pytest.mark.parametrize(
    "bar",
    [
        "<span>字号</span><ul><li>大</li><li>中</li><li>小</li></ul>",
        "<div>字号</div><div>大</div><div>中</div><div>小</div>",
        "【大】【中】【小】",
        "字号:<span>[大]</span> <span>[中]</span> <span>[小]</span> <span>[打印]</span>",
        "字号 大 中 小",
    ],
)
def test_a_font_size_bar_inside_the_content_block_goes_and_the_gate_would_catch_it(bar):
    paras = [f"<p>{p}</p>" for p in PARAS]
    for at in (0, 3, len(paras)):
        page = extract_page(_page("".join(paras[:at] + [f"<div class='fontS'>{bar}</div>"] + paras[at:])))
        assert page.body.splitlines() == list(PARAS), (bar, at)
    shown = re.sub(r"<[^>]+>", " ", bar)  # the bar's text as a body that kept it would carry it
    assert any(re.search(p, shown) for p in LEFTOVER_PATTERNS), shown
    assert not any(re.search(p, "\n".join(PARAS)) for p in LEFTOVER_PATTERNS)  # 大中小学 is prose


def test_a_widget_inside_a_line_of_prose_goes_and_the_prose_stays():
    last = "本报告经县政府常务会议审议通过，特此报告。"
    html = "".join(f"<p>{p}</p>" for p in PARAS) + f"<p>{last}【打印本页】【关闭窗口】</p>"
    assert extract_page(_page(html)).body.splitlines() == [*PARAS, last]
    html = "".join(f"<p>{p}</p>" for p in PARAS) + f"<p>{last}<span>字体：【大 中 小】</span></p>"
    assert extract_page(_page(html)).body.splitlines() == [*PARAS, last]
