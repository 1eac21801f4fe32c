"""Indicator tags: which figures state a jurisdiction-wide statistic, and of what.

A figure that gives the value or the rate of change of a statistical indicator
(地区生产总值, 一般公共预算收入, 城镇新增就业…) gets an :class:`IndicatorTag`:
the indicator's ``name`` as the report writes it, a ``canonical`` key for the
headline indicators, ``measure`` (``level``/``change``), ``kind``
(``actual``/``target``) and ``period``. Other figures get no tag.

The rules read the words right before each figure, inside its clause:

- **name + verb + figure** (``地区生产总值增长5.8%``, ``粮食产量稳定在1300万吨``,
  ``城镇调查失业率5.5%左右``): trailing verbs and adverbs (:data:`_TRAIL`) are
  stripped off, leading jurisdiction words and time words too; what is left is
  the name when it ends with an indicator head of the vocabulary
  (``indicators.yaml``: ``heads``) and holds no programme word (``项目``, ``资金``).
- **subject carried over** (``生产总值完成39.6亿元，同比增长15.2%``): a figure
  whose words name nothing (only verbs) takes the last name of its sentence.
- **lists with 分别** (``城市、县城建成区面积分别提高8.3%、5%``,
  ``接待游客…、旅游花费…，分别增长32.9%、41.6%``): the names are split at ``、``,
  share the common head, and go to the figures in order (a shared tail that no head
  of the vocabulary names is read off the last part: ``本地、境外游客人次``). A share
  after such a list (``…，占工业比重分别为…``) is each name's share, in order.
- **parts and ratios of the last name** (``其中民间完成9亿元`` is that part of the last
  indicator; ``研发经费投入…、投入强度…`` is the 研发经费投入's ratio).
- **a rate belongs to the figure right before it**: after a figure that names
  something the rules do not tag (``经营主体20万户、增长6%``), a bare rate takes no
  earlier name.
- **a counted object is no indicator** (``304个项目完成投资2929亿元``): a name
  glued to a count right before it describes those things, not the jurisdiction.
- **measure**: a change verb (``增长 下降 提高 增加 涨幅…``) not followed by
  ``到/至/为`` makes a ``change``; ``个百分点`` always does; otherwise ``level``.
- **kind**: figures of a plan are targets, of achievements and shortcomings actuals.
- **period**: a year written in the clause (``到2030年``) wins; a target's goal
  year written earlier in its sentence (``到2030年，…``, ``2030年全县…``, a year after
  ``Y+1``) comes next, rates and held values on the way to it covering ``Y+1``–goal;
  otherwise the report's own year ``Y`` for actuals and ``Y+1`` for targets. In a five-year
  passage (``五年``, ``“十四五”``, in the text or the section heading) changes,
  cumulative and held-steady values cover the range (``Y-4``–``Y`` reviewed,
  ``Y+1``–``Y+5`` planned), levels reached the end year; the base of
  ``由X提高到Y`` / ``较…末的X`` is the year before the period.
  (``indicator_periods.py``; ``indicator_names.py`` completes names from the names
  around them.)

May import: ``summarizer.errors`` and ``summarizer.schema``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from ..schema import Indicator, Item
from .indicator_names import RATIO_RE, continued_name, split_names, whole_of
from .indicator_periods import TO, Kind, Measure, five_year, in_target_passage, period_of
from .vocabulary import Vocabulary, canonical_key, load_vocabulary, strip_jurisdiction

__all__ = [
    "INDICATOR_NAMED",
    "INDICATOR_REJECTED",
    "IndicatorTag",
    "Vocabulary",
    "canonical_key",
    "load_vocabulary",
    "tag_figures",
    "tag_item",
]

#: Validation-note codes of indicator names a model gave: kept (``value`` is
#: ``start:end:name``, the figure's span and the name) and rejected (the name is not
#: written in the unit, or its figure is not the unit's).
INDICATOR_NAMED: Final = "indicator_named"
INDICATOR_REJECTED: Final = "ungrounded_indicator_name"


@dataclass(frozen=True, slots=True)
class IndicatorTag:
    """What a figure measures."""

    name: str
    canonical: str | None
    measure: Measure
    kind: Kind
    period: str


# --- words around a name ------------------------------------------------------------


def _words(spaced: str) -> frozenset[str]:
    return frozenset(spaced.split())


#: Verbs and adverbs between a name and its figure, stripped from the end (longest first).
_TRAIL = tuple(
    sorted(
        _words(
            """
            增长 下降 提高 提升 增加 减少 上涨 上升 降低 回落 缩小 扩大 涨幅 增幅 增速 降幅
            达到 达 完成 实现 突破 超过 超 为 是 有 到 至 控制在 稳定在 保持在 稳定 保持
            控制 在 由 从 了 比上年 同比 较上年 比去年 较去年 比年初 年均 年平均 平均
            分别 累计 实际 名义 同口径 预计 力争 确保 争取 努力 要 将 均 共 总计 合计
            首次 翻 翻了 约 的 已 已经 全年 当年 左右 总规模 再 不少于 不低于
            不高于 不超过 迈上 新增 每年 去年底 年底 年末 今年 去年 预期目标 目标 目标是
            """
        ),
        key=len,
        reverse=True,
    )
)
_CHANGE = _words(
    "增长 下降 提高 提升 增加 减少 上涨 上升 降低 回落 缩小 扩大 涨幅 增幅 增速 降幅 翻 翻了 新增"
)
_BASE = frozenset(["由", "从"])
_RATE_UNITS = frozenset(["%", "‰", "个百分点", "百分点", "倍", "番", "成"])
_RATIO_NAME_RE = re.compile(f"{RATIO_RE.pattern}$")
#: Words before a name that still say how the value is counted (累计接待游客…).
_LEAD_VERBS = frozenset(["累计", "年均", "每年", "完成", "实现"])
_LEAD_RE = re.compile(
    r"^(?:[——\-－、，,：:；;\s]+|其中|实现|完成|预计|力争|确保|争取|今年|去年|全年|年末|年底|当年"
    r"|刚刚过去的|(?:19|20)\d\d年(?:度|末|底)?|以及|并|和|及|与|累计|年均|每年|主要预期目标是|推动"
    r"|建成(?![区率])|[一二三四五六七八九十]是|[（(][一二三四五六七八九十\d]+[)）]|\d+[、.．])"
)
_YEAR_OF_RE = re.compile(
    r"(?:(?:从|由)?(?:19|20)\d\d年(?:的|底|末)|(?:较|比|同)[^，。；、]{0,12}?(?:末|初|底|同期|时期|上年|去年))$"
)
#: Measure words that count things: a name glued after one describes those things.
_COUNT_UNITS = _words("个 项 家 户 座 所 条 处 批 类 件 宗 名 位 只 台 套 张 份 种")
_BASE_CLAUSE_RE = re.compile(r"^(?:较|比|与)[^，。；]{0,14}?(?:末|初|底|同期|上年|去年)的$")
_FOOTNOTE_RE = re.compile(r"[［\[]\d{1,3}[］\]]|[①-⑳]")
_SEPARATORS_RE = re.compile(r"^[、，,和及与\s]*$")
_SENTENCE_END = "。！？；;!?\n"
_CLAUSE_END = "，,：:"
_MAX_NAME = 24


@dataclass(frozen=True, slots=True)
class _Words:
    """What the words before one figure say."""

    name: str | None  #: the indicator named there, if any
    empty: bool  #: only verbs / separators: the figure continues the last name
    verbs: frozenset[str]
    base: bool  #: the starting value of a change (由X, 较…末的X)
    part: str | None = None  #: 其中X with X naming no indicator: a part of the last one


def _read_words(frag: str, vocab: Vocabulary) -> _Words:
    """Split the words before a figure into a name and the verbs that link it."""
    s = frag.strip()
    verbs: set[str] = set()
    base = False
    m = _BASE_CLAUSE_RE.match(s)
    if m:
        base = True
        s = s[m.end() :]
    changed = True
    while changed and s:
        changed = False
        ym = _YEAR_OF_RE.search(s)
        if ym:
            base = base or (ym[0][0] in "从由" and ym[0].endswith("的"))
            s = s[: ym.start()].rstrip()
            changed = True
            continue
        if not s.endswith(_TRAIL):  # one C call; the loop finds which (longest first)
            break
        for w in _TRAIL:
            if s.endswith(w):
                verbs.add(w)
                s = s[: -len(w)].rstrip()
                changed = True
                break
    breakdown = False
    while s:
        m = _LEAD_RE.match(s)
        if m and m.end() > 0:
            breakdown = breakdown or m[0] == "其中"
            if m[0] in _LEAD_VERBS:
                verbs.add(m[0])
            s = s[m.end() :]
            continue
        bare = strip_jurisdiction(s, vocab)
        if bare == s:
            break
        s = bare
    base = base or bool(verbs & _BASE)
    if not s:
        return _Words(None, True, frozenset(verbs), base)
    s = _FOOTNOTE_RE.sub("", s)
    if "的" in s:
        s = s.rsplit("的", 1)[1]
    examples, _, rest = s.rpartition("等")
    if "、" in examples and len(rest) >= 2:
        s = rest  # 小麦、玉米等主栽品种良种覆盖率: the examples are no name
    name = vocab.completions.get(s, s)
    ok = (
        len(name) >= 2
        and all(len(part) <= _MAX_NAME for part in name.split("、"))
        and name not in vocab.too_generic
        and name.endswith(vocab.heads)
        and not any(w in name for w in vocab.not_indicator)
        and "分别" not in name  # 甲、乙分别实现税收: the things listed are named, no indicator
    )
    if ok:
        return _Words(name, False, frozenset(verbs), base)
    part = s if breakdown and len(s) >= 2 and "、" not in s else None
    return _Words(None, False, frozenset(verbs), base, part)


# --- the tagger -------------------------------------------------------------------------


def _unit_class(unit: str) -> str:
    return "rate" if unit in _RATE_UNITS else unit[-1:]


def _continues(subject: str, subject_unit: str, unit: str) -> bool:
    """Whether a figure with no name of its own can state the same indicator as the last one.

    ``生产总值完成39.6亿元，增长15.2%`` yes; ``毛入学率达52%，新建高校9所`` no: a ratio
    goes on only in rates, anything else in its own unit or as a rate of change.
    """
    if _RATIO_NAME_RE.search(subject):
        return _unit_class(unit) == "rate"
    if unit in _COUNT_UNITS and unit != subject_unit:
        return False
    return _unit_class(subject_unit) == "rate" or _unit_class(unit) in (
        "rate",
        _unit_class(subject_unit),
    )


def _things(stated: Sequence[tuple[int, str | None, str]], clause: int) -> list[str | None]:
    """The things stated before a clause, in order (None where the rules name none).

    Rates of change right after a figure of the same name (``生产总值100亿元、增长6%``)
    add no thing; two amounts of one name (``存贷款余额分别达90亿元、60亿元``) are two.
    """
    out: list[str | None] = []
    for c, name, unit in stated:
        if c >= clause:
            break
        same = bool(out) and name is not None and out[-1] == name
        if not (same and _unit_class(unit) == "rate"):
            out.append(name)
    return out


def _bounds(text: str, lo: int, hi: int, pos: int, stops: str) -> tuple[int, int]:
    s = pos
    while s > lo and text[s - 1] not in stops:
        s -= 1
    e = pos
    while e < hi and text[e] not in stops:
        e += 1
    return s, e


def tag_figures(
    text: str,
    figures: Sequence[tuple[int, int, str]],
    *,
    spans: Sequence[tuple[int, int]],
    kind: Kind,
    year: int | None,
    section: str = "",
    vocab: Vocabulary | None = None,
    model_names: Mapping[tuple[int, int], str] | None = None,
) -> list[IndicatorTag | None]:
    """Tag the figures of one item.

    Args:
        text: the document text (offsets index it).
        figures: ``(start, end, unit)`` of each figure, in document order.
        spans: the item's evidence spans (sentences never run past them).
        kind: ``target`` for a plan's figures, ``actual`` otherwise.
        year: the year the report is about (its review year), or None.
        section: the item's section headings joined (a five-year cue may be there).
        vocab: the vocabulary; default the shipped ``indicators.yaml``.
        model_names: indicator names a model gave, by figure span; used where the rules
            find no name (measure, kind and period still come from the rules).

    Returns:
        One tag or None per figure, in the order given.
    """
    v = vocab or load_vocabulary()
    tags: list[IndicatorTag | None] = [None] * len(figures)
    subject: str | None = None
    subject_unit = ""
    subject_amount = ""  # the unit of the last amount (not a rate) stated of the subject
    sentence_key: tuple[int, int] | None = None
    stated: list[tuple[int, str | None, str]] = []  # the sentence's figures: clause, name, unit
    pending: list[str | None] = []  # names of a 分别 list still waiting for their figures
    listed: list[str] = []  # the names of the sentence's last 分别 list
    prev_end = -1
    prev_unit = ""
    prev_words: _Words | None = None
    prev_tag: IndicatorTag | None = None
    prev_frag_start = 0
    for i, (start, end, unit) in enumerate(figures):
        span = next(((a, b) for a, b in spans if a <= start < b), None)
        if span is None:
            continue
        sent = _bounds(text, span[0], span[1], start, _SENTENCE_END)
        clause = _bounds(text, sent[0], sent[1], start, _CLAUSE_END)
        if sent != sentence_key:
            sentence_key, subject = sent, None
            stated = []
            pending = []
            listed = []
        frag_start = max(clause[0], prev_end) if prev_end > clause[0] else clause[0]
        if (
            frag_start == prev_end
            and prev_tag is None
            and prev_unit not in _COUNT_UNITS
            and frag_start < start
            and not _SEPARATORS_RE.match(text[frag_start])
        ):
            frag_start = max(clause[0], prev_frag_start)  # 拥有3岁以下婴幼儿托位数: one name
        prev_frag_start = frag_start
        frag = text[frag_start:start]
        words = _read_words(frag, v)
        sibling = prev_end > clause[0] and bool(_SEPARATORS_RE.match(frag))
        if sibling and prev_words is not None:
            # 分别增长5%、6.5%: the second figure shares the verbs, names nothing itself
            words = _Words(None, True, prev_words.verbs, prev_words.base)
        glued_to_count = (
            prev_end == frag_start and prev_unit in _COUNT_UNITS and words.name is not None
        )
        name: str | None = None
        if glued_to_count:
            name = None
        elif words.name is not None and words.name.startswith("占") and subject is not None:
            # 高技术制造业增加值增长12%，占规模以上工业比重21.7%: a share of the last name
            share = strip_jurisdiction(words.name[1:], v)
            share += "" if _RATIO_NAME_RE.search(share) else "比重"
            if len(listed) > 1 and "分别" in text[clause[0] : clause[1]]:
                # 甲、乙增加值分别增长…，占工业比重分别为…: a share of each, in order
                name, pending = f"{listed[0]}占{share}", [f"{n}占{share}" for n in listed[1:]]
            else:
                name, pending = f"{subject}占{share}", []
        elif words.name is not None:
            names = split_names(words.name, v)
            if len(names) > 1 and "分别" in text[clause[0] : clause[1]]:
                name, pending, listed = names[0], [*names[1:]], names
            else:
                name = continued_name(words.name, subject, v)
                pending = []
        elif words.part is not None and subject is not None:
            # 固定资产投资完成20亿元，其中民间完成9亿元: that part of the last indicator
            whole = whole_of(subject, v)
            if whole and _continues(subject, subject_unit, unit):
                name = words.part + whole
        elif words.empty:
            if pending:
                name = pending.pop(0)
            elif "分别" in words.verbs and len(earlier := _things(stated, clause[0])) > 1:
                # 接待游客3亿人次，游客花费360亿元，分别增长14%和21%: the things stated
                # before, in order; one the rules do not name (实现效益5亿元) gets no name
                n = sum(1 for a, _, _ in figures[i:] if clause[0] <= a < clause[1])
                n = min(max(n, 2), len(earlier))
                name, pending = earlier[-n], earlier[-n + 1 :]
            elif subject is not None and _continues(subject, subject_unit, unit):
                name = subject
        prev_end, prev_unit, prev_words, prev_tag = end, unit, words, None
        if name is None and model_names:
            name = model_names.get((start, end))
        stated.append((clause[0], name, unit))
        if name is None:
            amount = _unit_class(unit)
            if (
                not words.empty
                and amount != "rate"
                and (not subject_amount or amount != _unit_class(subject_amount))
            ):
                # 贷款余额800亿元，经营主体20万户、增长6%: a figure of another thing in
                # between; the rate after it is that thing's, not the earlier name's
                subject = None
            continue
        if name != subject:
            subject_amount = ""
        subject, subject_unit = name, unit
        if _unit_class(unit) != "rate":
            subject_amount = unit
        measure: Measure = "level"
        if unit.endswith("百分点") or (words.verbs & _CHANGE and not words.verbs & TO):
            measure = "change"
        before = text[span[0] : start]
        five = five_year(before, section)
        fig_kind: Kind = "target" if kind == "target" or in_target_passage(before) else "actual"
        period = period_of(
            year,
            kind=fig_kind,
            measure=measure,
            verbs=words.verbs,
            base=words.base,
            clause=text[clause[0] : start],
            sentence=text[sent[0] : start],
            five=five,
            flow=canonical_key(name, v) in v.flows,
        )
        tags[i] = prev_tag = IndicatorTag(
            name=name,
            canonical=canonical_key(name, v),
            measure=measure,
            kind=fig_kind,
            period=period,
        )
    return tags


def tag_item(item: Item, text: str, year: int | None) -> Item:
    """A copy of ``item`` whose indicator figures carry their :class:`Indicator` tag.

    Tags already set are kept; the rules fill the rest, using the names a model gave
    (notes ``indicator_named``) for figures the rules cannot name.
    """
    if not item.figures:
        return item
    names: dict[tuple[int, int], str] = {}
    for note in item.validation:
        if note.code == INDICATOR_NAMED and note.value:
            start, end, name = note.value.split(":", 2)
            names[(int(start), int(end))] = name
    tags = tag_figures(
        text,
        [(f.start, f.end, f.unit) for f in item.figures],
        spans=[(e.start, e.end) for e in item.evidence],
        kind="target" if item.category == "plan" else "actual",
        year=year,
        section=" ".join(item.section_path),
        model_names=names,
    )
    figures = [
        f
        if f.indicator is not None or t is None
        else f.model_copy(
            update={
                "indicator": Indicator(
                    name=t.name,
                    canonical=t.canonical,
                    measure=t.measure,
                    kind=t.kind,
                    period=t.period,
                )
            }
        )
        for f, t in zip(item.figures, tags, strict=True)
    ]
    return item.model_copy(update={"figures": figures})
