"""Figures pulled from report text: case counts, rates and amounts analysts compare across governments and years.

The rules are data (``TOPICS`` below), not code: a topic is recognised by its trigger words, and each of its fields
is a short list of regular expressions in which ``{N}`` stands for a number (digits, full-width digits, Chinese
numerals, with 万/亿 and 余/多) and ``{G}`` for a gap that may not cross a clause boundary or another number.

How a sentence is read:

1. Split the body into sentences (。！？；, newlines).
2. Cut each sentence into topic segments at the clause that holds a trigger, so that in
   "办理行政诉讼案件10宗、行政复议案件2宗" the 2 belongs to 行政复议, not to 行政诉讼. A segment starts at the
   beginning of the clause holding its trigger, so a verb placed before the topic word ("共收到行政复议申请20件")
   still counts.
3. In each segment, every field of the topic takes its first match; a number already taken by an earlier field of
   the same segment is not taken again.
4. A sentence without any trigger that starts like a continuation ("其中…", "已受理的案件中…") inherits the topic
   of the sentence before it.

Scope says whose figure it is: ``jurisdiction`` (全区/全市/各级…: the whole area), ``government`` (本级, 市政府,
"区人民政府作为被告": the government itself) or ``unknown``. The sentence is kept beside each figure so an analyst
can check the reading.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

# --- numbers ---------------------------------------------------------------------------------------------------------

# Full-width digits and signs map one-to-one onto ASCII, so positions in the normalised text are positions in the
# original and the sentence handed back is the one the page printed.
_FULLWIDTH = str.maketrans("０１２３４５６７８９．％，\u3000\xa0", "0123456789.%,  ")

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_UNITS = {"十": 10, "百": 100, "千": 1000}

# A number not glued to a preceding digit or to 第 (第一次 is an ordinal, not a count). Thousands separators only in
# the strict 1,234 form: many portals use ASCII commas as clause separators ("调处了348件,调解成功340件").
NUM = (
    r"(?<![\d.第])(?P<num>\d{1,3}(?:,\d{3})+(?![\d,])|\d+(?:\.\d+)?|[零〇一二两三四五六七八九十百千]+)"
    r"\s*(?P<mult>万|亿)?(?P<approx>余|多)?"
)
# A gap inside one clause: no clause punctuation and no digit, so the number matched is the first one after the cue.
GAP = r"[^，。；;,！？!?：:\n\d]"
COUNT = r"\s*(?:件|宗|起|个)"
PCT = r"\s*%"

_MULT = {None: 1, "": 1, "万": 10_000, "亿": 100_000_000}


def cn_to_number(text: str) -> float | None:
    """Chinese numerals up to the thousands (二十三, 一百零五, 两千); ``None`` when it is not a numeral we read."""
    if not text:
        return None
    total, current = 0, 0
    for ch in text:
        if ch in _CN_DIGITS:
            if current and _CN_DIGITS[ch]:
                return None  # 十四五, 二〇二二: names and years, not counts
            current = _CN_DIGITS[ch]
        elif ch in _CN_UNITS:
            total += (current or 1) * _CN_UNITS[ch]
            current = 0
        else:
            return None
    return float(total + current)


def parse_number(num: str, mult: str | None = None) -> float | None:
    """``num``/``mult`` as captured by :data:`NUM`: "1,234" → 1234, ("1.2", "万") → 12000, ("二十", None) → 20."""
    num = num.translate(_FULLWIDTH).replace(",", "")
    try:
        value = float(num)
    except ValueError:
        value = cn_to_number(num)
    if value is None:
        return None
    return value * _MULT[mult]


# --- the rules -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Field:
    metric: str  # the code report_metrics.metric holds
    label: str  # its Chinese name, topic_measure (marts.metric_labels, the dbt Python model, reads it from here)
    unit: str  # the unit of the value returned: counts keep their noun (件, 名, 项), money is always 元
    patterns: tuple[str, ...]


@dataclass(frozen=True)
class Topic:
    name: str
    trigger: str  # regex: a segment of this topic starts at the clause holding it
    fields: tuple[Field, ...]


TOPICS: tuple[Topic, ...] = (
    Topic(
        "leader_court",
        r"负责人出庭|出庭应诉|出庭率",
        (
            Field(
                "leader_court_appearance_rate", "负责人出庭应诉_出庭率", "%", (r"出庭(?:应诉)?率{G}{{0,8}}?{N}" + PCT,)
            ),
            Field(
                "leader_court_appearances", "负责人出庭应诉_次数", "次", (r"出庭(?:应诉)?{G}{{0,4}}?{N}\s*(?:人次|次)",)
            ),
        ),
    ),
    Topic(
        "admin_reconsideration",
        r"行政复议|复议案件|复议申请",
        (
            Field(
                "admin_reconsideration_received",
                "行政复议_收到",
                "件",
                (
                    r"(?:收到|(?<!不予)受理|新收|接收)(?:行政)?复议{G}{{0,10}}?{N}" + COUNT,
                    r"(?:收到|(?<!不予)受理|新收|接收){G}{{0,10}}?{N}" + COUNT,
                    r"复议申请{G}{{0,4}}?{N}" + COUNT,
                ),
            ),
            Field(
                "admin_reconsideration_closed",
                "行政复议_办结",
                "件",
                (r"(?:办结|审结|结案|审理终结){G}{{0,8}}?{N}" + COUNT,),
            ),
            Field("admin_reconsideration_cases", "行政复议_案件", "件", (r"复议案件{G}{{0,4}}?{N}" + COUNT,)),
            Field(
                "admin_reconsideration_corrected",
                "行政复议_纠错",
                "件",
                (r"(?:纠错|撤销|确认违法|变更){G}{{0,6}}?{N}" + COUNT,),
            ),
            Field("admin_reconsideration_correction_rate", "行政复议_纠错率", "%", (r"纠错率{G}{{0,8}}?{N}" + PCT,)),
        ),
    ),
    Topic(
        "admin_litigation",
        r"行政诉讼|行政应诉|应诉案件|行政案件|败诉",
        (
            Field(
                "admin_litigation_cases",
                "行政诉讼_案件",
                "件",
                (r"(?:诉讼|应诉|行政)案件{G}{{0,6}}?{N}" + COUNT, r"(?:行政诉讼|行政应诉){G}{{0,6}}?{N}" + COUNT),
            ),
            Field("admin_litigation_lost", "行政诉讼_败诉", "件", (r"败诉(?!率){G}{{0,4}}?{N}" + COUNT,)),
            Field("admin_litigation_loss_rate", "行政诉讼_败诉率", "%", (r"败诉率{G}{{0,8}}?{N}" + PCT,)),
        ),
    ),
    Topic(
        "mediation",
        r"人民调解|调解组织|调解委员会|调委会|矛盾纠纷|调解案件|纠纷调处|调处",
        (
            Field(
                "mediation_received", "人民调解_受理", "件", (r"(?:(?<!不予)受理|调处|接待){G}{{0,10}}?{N}" + COUNT,)
            ),
            Field(
                "mediation_success",
                "人民调解_调解成功",
                "件",
                (r"(?:调解成功|成功调解|调处成功){G}{{0,6}}?{N}" + COUNT,),
            ),
            Field("mediation_success_rate", "人民调解_成功率", "%", (r"成功率{G}{{0,8}}?{N}" + PCT,)),
        ),
    ),
    Topic(
        "admin_penalty",
        r"行政处罚|罚没|罚款",
        (
            Field("admin_penalty_cases", "行政处罚_案件", "件", (r"处罚(?:案件)?{G}{{0,4}}?{N}" + COUNT,)),
            Field("admin_penalty_amount", "行政处罚_罚没金额", "元", (r"(?:罚没|罚款){G}{{0,10}}?{N}\s*元",)),
        ),
    ),
    Topic(
        "normative_docs",
        r"规范性文件",
        (
            Field(
                "normative_docs_issued",
                "规范性文件_制发",
                "件",
                (r"(?:制定|出台|印发|制发|发布){G}{{0,10}}?{N}\s*(?:件|份|个|部)",),
            ),
            Field(
                "normative_docs_reviewed",
                "规范性文件_审查备案",
                "件",
                (r"(?:审查|审核|备案){G}{{0,10}}?{N}\s*(?:件|份|个|部)",),
            ),
            Field("normative_docs_cleaned", "规范性文件_清理", "件", (r"清理{G}{{0,10}}?{N}\s*(?:件|份|个|部)",)),
            Field("normative_docs_retained", "规范性文件_保留", "件", (r"保留{G}{{0,4}}?{N}\s*(?:件|份|个|部)",)),
            Field(
                "normative_docs_repealed",
                "规范性文件_废止失效",
                "件",
                (r"(?:废止|失效){G}{{0,6}}?{N}\s*(?:件|份|个|部)",),
            ),
        ),
    ),
    Topic(
        "major_decisions",
        r"重大行政决策|重大决策",
        (
            Field(
                "major_decisions",
                "重大行政决策_事项",
                "项",
                (r"决策(?:事项)?{G}{{0,6}}?{N}\s*(?:项|件|个)", r"{N}\s*(?:项|件|个)(?:重大)?(?:行政)?决策"),
            ),
        ),
    ),
    Topic(
        "legal_advisers",
        r"法律顾问",
        (
            Field(
                "legal_advisers",
                "法律顾问_人数",
                "名",
                (r"法律顾问{G}{{0,6}}?{N}\s*(?:名|人|位)", r"{N}\s*(?:名|位)(?:政府|常年|专职|兼职|外聘)?法律顾问"),
            ),
        ),
    ),
    Topic(
        "enforcement_certificates",
        r"执法证|执法资格|持证",
        (
            Field("enforcement_certification_rate", "行政执法证件_持证率", "%", (r"持证率{G}{{0,8}}?{N}" + PCT,)),
            Field(
                "enforcement_certified_personnel",
                "行政执法证件_持证人数",
                "人",
                (r"{N}\s*(?:人|名){G}{{0,2}}?(?:持有|持证|取得)", r"持证(?:人员)?{G}{{0,4}}?{N}\s*(?:人|名)"),
            ),
            Field("enforcement_certificates", "行政执法证件_证件数", "个", (r"证件?{G}{{0,6}}?{N}\s*(?:个|张|件|本)",)),
        ),
    ),
    Topic(
        "legal_aid",
        r"法律援助",
        (Field("legal_aid_cases", "法律援助_案件", "件", (r"法律援助(?:案件)?{G}{{0,6}}?{N}\s*(?:件|宗|起|人次)",)),),
    ),
    Topic(
        "law_supervision",
        r"(?:法治|依法行政|法治政府建设)(?:专项)?督察",
        (
            Field(
                "law_supervision_inspections",
                "法治督察_次数",
                "次",
                (r"督察{G}{{0,6}}?{N}\s*(?:次|轮|批)", r"{N}\s*(?:次|轮|批){G}{{0,8}}?督察"),
            ),
        ),
    ),
    Topic(
        "leaders_law_reports",
        r"述法",
        (
            Field(
                "leaders_law_reports",
                "领导干部述法_人数",
                "人",
                (r"{N}\s*(?:名|位){G}{{0,10}}?述法", r"述法{G}{{0,6}}?{N}\s*(?:人次|人|名)"),
            ),
        ),
    ),
    Topic(
        "law_study",
        r"学法",
        (
            Field(
                "law_study_sessions",
                "学法_场次",
                "次",
                (r"{N}\s*(?:场|次|期){G}{{0,10}}?学法", r"学法(?:活动|会|讲座)?{G}{{0,4}}?{N}\s*(?:场|次|期)"),
            ),
        ),
    ),
)

# Whose figure: the whole area, or the government itself. Checked in the clause first, then in the sentence up to
# the figure; first rule that matches wins.
SCOPES: tuple[tuple[str, str], ...] = (
    (
        "government",
        r"本级|(?:省|市|区|县|旗|州|镇|乡)(?:人民)?政府(?:作为被告|为被告|本级)|以(?:[^，。]{0,10})?政府为被告",
    ),
    ("jurisdiction", r"全(?:省|市|区|县|旗|州|盟|镇|乡|街|街道)|各级|辖区内"),
    ("government", r"(?:省|市|区|县|旗)(?:人民)?政府(?!办)"),
)

# A sentence without a trigger that still talks about the previous sentence's cases.
CONTINUATION = r"^\s*(?:其中|已受理的|已办结的|上述|以上|经审理|审结|办结)"

_SENTENCE_END = re.compile(r"[。！？；;!?\n]")
_CLAUSE_END = re.compile(r"[，,：:、]")


@dataclass(frozen=True)
class _Compiled:
    topic: Topic
    trigger: re.Pattern[str]
    fields: tuple[tuple[Field, tuple[re.Pattern[str], ...]], ...]


def _compile() -> tuple[tuple[_Compiled, ...], re.Pattern[str]]:
    compiled = []
    for topic in TOPICS:
        fields = tuple((f, tuple(re.compile(p.format(N=NUM, G=GAP)) for p in f.patterns)) for f in topic.fields)
        compiled.append(_Compiled(topic, re.compile(topic.trigger), fields))
    # One alternation, earlier topics first: at one position "负责人出庭应诉" is court appearance, not litigation.
    any_trigger = re.compile("|".join(f"(?P<t{i}>{t.trigger})" for i, t in enumerate(TOPICS)))
    return tuple(compiled), any_trigger


_TOPICS, _ANY_TRIGGER = _compile()
_SCOPES = tuple((name, re.compile(rx)) for name, rx in SCOPES)
_CONTINUATION = re.compile(CONTINUATION)


def _sentences(text: str) -> Iterable[tuple[int, int]]:
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.start() > start:
            yield start, m.start()
        start = m.end()
    if start < len(text):
        yield start, len(text)


def _segments(sentence: str) -> list[tuple[int, int, int]]:
    """(topic index, start, end) segments of one sentence; consecutive triggers of one topic stay one segment."""
    hits = []
    for m in _ANY_TRIGGER.finditer(sentence):
        index = int(next(k for k, v in m.groupdict().items() if v is not None)[1:])
        if hits and hits[-1][0] == index:
            continue
        # Start at the beginning of the clause holding the trigger, but never before the previous trigger's end.
        clause_start = max((c.end() for c in _CLAUSE_END.finditer(sentence, 0, m.start())), default=0)
        start = max(clause_start, hits[-1][2] if hits else 0)
        hits.append((index, start, m.end()))
    segments = []
    for i, (index, start, _) in enumerate(hits):
        end = hits[i + 1][1] if i + 1 < len(hits) else len(sentence)
        segments.append((index, start if i else 0, end))
    return segments


def _scope(sentence: str, at: int) -> str:
    # Only text before the figure: "…8场专题学法，传达…全省…会议精神" is not a province-wide count.
    clause_start = max((c.end() for c in _CLAUSE_END.finditer(sentence, 0, at)), default=0)
    for text in (sentence[clause_start : at + 1], sentence[: at + 1]):
        for name, rx in _SCOPES:
            if rx.search(text):
                return name
    return "unknown"


def _section_finder(sections: list[dict] | None):
    """Sentence → heading of the deepest section whose text holds it (None without sections)."""
    if not sections:
        return lambda _s: None
    items = [(int(s.get("level") or 0), str(s.get("heading") or ""), str(s.get("text") or "")) for s in sections]

    def find(sentence: str) -> str | None:
        best = None
        for level, heading, text in items:
            if (sentence in text or sentence in heading) and (best is None or level > best[0]):
                best = (level, heading)
        return best[1] if best else None

    return find


def _read_segment(compiled: _Compiled, sentence: str, start: int, end: int) -> Iterable[tuple[int, Field, float]]:
    taken: list[tuple[int, int]] = []
    for field, patterns in compiled.fields:
        for rx in patterns:
            found = None
            for m in rx.finditer(sentence, start, end):
                span = m.span("num")
                if any(a < span[1] and span[0] < b for a, b in taken):
                    continue
                value = parse_number(m.group("num"), m.group("mult"))
                if field.unit == "%" and value is not None and value > 100:
                    continue  # "增长150%" next to a rate word is a change, not a rate; the marts gate checks it too
                if value is not None:
                    found = (span, value)
                    break
            if found:
                taken.append(found[0])
                yield found[0][0], field, found[1]
                break


def extract_metrics(body: str, sections: list[dict] | None = None) -> list[dict]:
    """Figures found in ``body``, in text order, as ``{metric, value, unit, scope, sentence, section}`` dicts."""
    if not body:
        return []
    text = body.translate(_FULLWIDTH)
    section_of = _section_finder(sections)
    out: list[dict] = []
    seen: set[tuple[str, float, str]] = set()
    previous_topic: int | None = None
    for s_start, s_end in _sentences(text):
        sentence = text[s_start:s_end]
        segments = _segments(sentence)
        if not segments and previous_topic is not None and _CONTINUATION.match(sentence):
            segments = [(previous_topic, 0, len(sentence))]
        if not segments:
            previous_topic = None
            continue
        original = body[s_start:s_end].strip()
        for index, start, end in segments:
            for at, field, value in _read_segment(_TOPICS[index], sentence, start, end):
                key = (field.metric, value, original)
                if key in seen:
                    continue
                seen.add(key)
                out.append(
                    {
                        "metric": field.metric,
                        "value": value,
                        "unit": field.unit,
                        "scope": _scope(sentence, at),
                        "sentence": original,
                        "section": section_of(original),
                    }
                )
        previous_topic = segments[-1][0]
    return out
