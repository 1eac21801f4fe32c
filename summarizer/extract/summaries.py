"""Compressive summaries: the point of a unit in at most 40 characters, in its own words.

A summary is built only from pieces of the unit's text joined with ``，``, so
every character comes from the unit and every number it states is one the unit
states (:func:`compress` checks that last point again and drops a piece that
would break it). The rules, each named for the pattern of official prose it
catches:

* **Markers** — ``一是``, ``（三）``, ``1、``, ``第一，``, ``——`` at the start are
  dropped (:data:`LEADING_MARKER`).
* **Formulaic preambles** — clauses that frame rather than state
  (``坚持以…为指导``, ``深入贯彻…精神``, ``在…领导下``, ``高举…旗帜``) and
  opening connectives and time frames (``同时``, ``一年来``, ``今年以来``) are
  dropped (:data:`PREAMBLE`, :data:`OPENERS`).
* **Scene-setting** — clauses that state a situation or a principle followed
  rather than the point (``面对…``, ``按照…的原则``, ``…主要目标是：``, the
  ``我们也清醒地看到，…还存在不少问题`` that opens a list of problems, a time
  frame ``刚刚过去的2024年`` or a verdict on it ``这是…的五年``) are dropped
  (:data:`FRAMING`).
* **Manner** — the reporting body and adverbs of manner before a clause's
  verb (``我县``, ``进一步``, ``切实``, ``积极稳妥地``) are dropped when a clause
  is left (:data:`MANNER`): ``我县进一步完善…`` states ``完善…``.
* **Run-in heading first** — what is left is taken in text order, so a run-in
  heading (``加强法治文化建设。积极推进……``) leads, followed by the result or
  problem its sentence states, as far as the length allows.
* **Figures that matter** — up to three figures that are not sub-counts (a
  clause opened by ``其中`` or ``分别`` breaks a total down): headline
  indicators first (a figure the indicator tagger names with a canonical key:
  ``地区生产总值``, ``城镇化率``…), then totals (:data:`TOTALS`: an aggregate
  such as ``生产总值``/``收入``/``投资`` named just before it, or a sum in
  ``亿元``), then the change of another named indicator (``…成交额增长62%``),
  then in text order; the starting value
  of a change (``由X提高到Y``) after the value reached.
* **Whole indicator names** — a figure whose indicator name is written just
  before it keeps that name whole (``规模以上工业增加值增长8.6%``, never
  ``业增加值增长8.6%``); other figures keep the words of their clause that name
  them (:data:`CONTEXTS`), cut at a word boundary; after it, the thing it
  counts up to its clause's end (:data:`FIGURE_TAILS`, longest that fits
  with every key figure). The figure pieces are placed
  first, the clauses fill the room left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..figures.indicators import IndicatorTag, tag_figures
from ..figures.numbers import Figure, find_figures, values_match

__all__ = [
    "LEADING_MARKER",
    "LIMIT",
    "OPENERS",
    "PREAMBLE",
    "compress",
]

LIMIT = 40  #: longest summary, in characters
CONTEXTS = (16, 12, 8, 6)  #: characters of a figure's clause kept before it, longest that fits
#: characters kept after a figure (up to its clause's end or a ``、``), longest that fits
FIGURE_TAILS = (24, 14, 10)
FIGURE_TAIL = FIGURE_TAILS[-1]
#: (context, tail) pairs tried for the figure pieces, most words first
TRIES = [(c, t) for c in CONTEXTS for t in FIGURE_TAILS]
MAX_FIGURES = 3
SNAP = 4  #: how far a cut before a figure moves to reach a word boundary
#: Characters after which a clause cut starts cleanly (function words, enumeration comma).
BOUNDARY = frozenset("、的和及与在对将等了为由从把使其")
PAIRS = (("“", "”"), ("《", "》"), ("（", "）"), ("(", ")"), ("‘", "’"))
MIN_CLAUSE = 6  #: a clause shorter than this states no point on its own

_CN = "一二三四五六七八九十"
#: A list marker or dash at the start of the unit (repeated: ``一、1.``).
LEADING_MARKER = re.compile(
    rf"(?:\s|[、，,；;：:]|[{_CN}]{{1,3}}是|[{_CN}]{{1,3}}[、，,．.]|[(（][{_CN}\d]{{1,3}}[)）]"
    rf"|第[{_CN}]{{1,3}}[，,、：:．.]|\d{{1,2}}[、．.](?!\d)|[①-⑳]|[—\-－]+|#+|首先[，,]|其次[，,])+"
)
#: Clauses that frame the point instead of stating it.
PREAMBLE = re.compile(
    r"坚持以.{1,30}?为(?:指导|指引|统领|引领)|^以.{1,30}?为(?:指导|指引|统领|引领)"
    r"|(?:深入|全面|认真)?(?:学习)?贯彻(?:落实)?.{0,30}?(?:精神|要求|部署)|在.{1,30}?领导下|高举.{1,20}?旗帜"
    r"|(?:深入|全面|认真)落实.{0,30}?精神"
    r"|^(?:我们)?(?:深入学习|认真学习|全面学习)"
)
#: Clauses that set the scene before the point: a situation, a principle followed.
FRAMING = re.compile(
    r"^(?:面对|随着|按照.{0,30}(?:原则|要求|部署|思路)|根据.{0,20}(?:实际|要求|部署)"
    r"|在.{0,30}(?:基础上|形势下|背景下|过程中|情况下)|实现上述目标|为了?(?![0-9０-９])[^，,]{2,16}$"
    r"|(?:这|也|仍然|仍|更)?是[^，,]{0,30}(?:之年|重中之重|战略决策|职责|必然要求|应有之义|关键|弱项)$"
    r"|(?:这|也|仍然|仍|更)?是[^，,]{0,30}的(?:一年|[一二三四五两]年)$|(?:刚刚)?过去的?(?:一年|\d{4}年|[一二三四五两]年)$"
    r"|[^，,]{0,30}(?:主要|总体)?(?:目标|要求|任务|形式|思路)是$"
    r"|回顾.{0,12}$|在总结成绩的同时|(?:我们)?(?:也|还)?(?:要|应该|应当|必须)?清醒(?:地|的)?(?:看到|认识到)"
    r"|对照.{0,40}(?:要求|期盼|期待)$"
    r"|.{0,30}(?:存在|面临)(?:不少|一些|许多|诸多)(?:困难|问题|不足|差距|挑战|矛盾)"
    r"|.{0,30}(?:存在|面临)的?(?:困难|问题|不足|差距)(?:和|与)(?:困难|问题|不足|差距|挑战|矛盾)$)"
)
#: Connectives and time frames that open a clause without adding to its point.
OPENERS = re.compile(
    r"(?:各位代表|同时|此外|另外|与此同时|一年来|过去一年|今年以来|近年来|[一二三四五两]年来|全年|总的来看"
    r"|总体来看|对此|为此|目前|当前|截至目前|(?:19|20)\d\d年(?:度|以来)?|今年|去年|我们要|我们将|我们|(?:要|必须)(?=[加坚推深全继切积大着努抓做落完健强实扎持稳])"
    r"|主要是|主要表现在|具体表现在)[，,！!：:]?"
)
#: The reporting body and adverbs of manner before a clause's verb: ``我市进一步加强…``
#: states ``加强…``. Dropped when the action left is still a clause.
MANNER = re.compile(
    r"(?:(?:我|本)[镇乡县市区省州](?:政府|党委)?|进一步|切实|不断|积极|认真|扎实|全面|持续|努力"
    r"|大力|深入|着力|有效|稳步|主动|及时|广泛|全力|坚定不移地?|稳妥地?)+地?"
)
#: A figure that states a total: an aggregate named just before it, or a sum in 亿元.
TOTALS = re.compile(r"亿元|总值|收入|总额|增加值|投资|产量|总量")
TOTAL_WINDOW = 12  #: characters before a figure searched for the aggregate's name
#: Clauses that break a total down: their figures come after the total's.
_SUBCOUNT = re.compile(r"^(?:其中|分别|包括|含)")
_SENTENCE_END = "。！？!?；;"
#: ``其中：`` opening a clause: what follows in the sentence breaks a total down.
_BREAKDOWN = re.compile(r"(?:^|(?<=[，,：:；;。！？!?\s]))其中[：:]")
#: Words between the starting value of a change and the value reached.
_TO_LATER = re.compile(r"(?:提高|提升|增加|增长|下降|降低|减少|扩大|上升|达)?(?:到|至)")
NAME_MAX = 20  #: longest indicator name (with its verb) kept whole before a figure
NAME_GAP = 6  #: most characters (verbs, adverbs) between an indicator name and its figure
_CLAUSE_END = _SENTENCE_END + "，,：:"


@dataclass(frozen=True, slots=True)
class _Piece:
    start: int  #: offset into the unit text
    end: int

    def text(self, unit: str) -> str:
        return unit[self.start : self.end]


def _clauses(text: str, start: int, end: int) -> list[_Piece]:
    """Clauses of ``text[start:end]`` (split at clause punctuation), blanks stripped."""
    out, a = [], start
    for i in range(start, end + 1):
        if i == end or text[i] in _CLAUSE_END:
            lo, hi = a, i
            while lo < hi and text[lo].isspace():
                lo += 1
            while hi > lo and text[hi - 1].isspace():
                hi -= 1
            if hi > lo:
                out.append(_Piece(lo, hi))
            a = i + 1
    return out


def _body_start(text: str) -> int:
    m = LEADING_MARKER.match(text)
    return m.end() if m else 0


def _point(text: str, piece: _Piece) -> _Piece | None:
    """``piece`` without a marker or opening connective; None when it frames, not states."""
    lo = piece.start
    for rx in (LEADING_MARKER, OPENERS, LEADING_MARKER):
        m = rx.match(text, lo, piece.end)
        if m:
            lo = m.end()
    s = text[lo : piece.end]
    if PREAMBLE.search(piece.text(text)) or FRAMING.match(piece.text(text)) or FRAMING.match(s):
        return None
    if piece.end - lo < MIN_CLAUSE:
        return None
    m = MANNER.match(text, lo, piece.end)
    if m and piece.end - m.end() >= MIN_CLAUSE:  # the action itself is left
        lo = m.end()
    return _Piece(lo, piece.end)


def _snap(text: str, lo: int, floor: int, fig_start: int) -> int:
    """Move a cut at ``lo`` to a word boundary near it; never before ``floor``.

    A boundary is the clause start or the position after a function word or an
    enumeration comma (:data:`BOUNDARY`): first looked for up to SNAP characters
    before the cut, then up to SNAP after it. A cut inside a quotation or a
    title (a closing mark with no opening one after the cut) moves past it.
    """
    if lo > floor:
        back = [
            j
            for j in range(lo, max(floor, lo - SNAP) - 1, -1)
            if j == floor or text[j - 1] in BOUNDARY
        ]
        ahead = [
            j for j in range(lo + 1, min(lo + SNAP, fig_start - 2) + 1) if text[j - 1] in BOUNDARY
        ]
        lo = back[0] if back else ahead[0] if ahead else lo
    for opener, closer in PAIRS:
        head = text[lo:fig_start]
        k = head.rfind(closer)
        if k >= 0 and head.count(closer) > head.count(opener):
            lo += k + 1
    return lo


def _name_start(text: str, clause: _Piece, fig: Figure, tag: IndicatorTag | None) -> int | None:
    """Where the indicator name of ``fig`` starts, when it is written whole just before it.

    The names of a ``分别`` list (``事故起数、死亡人数分别下降5%、3%``) are one
    name: the list is kept from its start when it is short enough.
    """
    head = text[clause.start : fig.start]
    if "分别" in head and fig.start - clause.start <= NAME_MAX:
        m = OPENERS.match(text, clause.start, fig.start)
        return m.end() if m else clause.start
    if tag is None:
        return None
    at = text.rfind(tag.name, clause.start, fig.start)
    if at < 0 or fig.start - (at + len(tag.name)) > NAME_GAP or fig.start - at > NAME_MAX:
        return None
    return at


def _figure_piece(
    text: str,
    clause: _Piece,
    fig: Figure,
    context: int,
    name_at: int | None = None,
    tail: int = FIGURE_TAIL,
) -> _Piece:
    """The words of ``clause`` naming ``fig``: its whole indicator name, or up to
    ``context`` before it (cut at a word boundary), and a few after."""
    lo = max(clause.start, fig.start - context)
    if name_at is not None:
        lo = name_at
    elif lo > clause.start:  # a cut clause: start after an enumeration comma if one is near
        comma = text.rfind("、", lo, fig.start - 3)
        lo = comma + 1 if comma >= 0 else lo
    while lo > clause.start and (text[lo - 1].isdigit() or text[lo].isdigit()):
        lo -= 1  # never cut a number
    if name_at is None:
        lo = _snap(text, lo, clause.start, fig.start)
    m = OPENERS.match(text, lo, fig.start)
    lo = m.end() if m else lo
    hi = fig.end  # the thing counted often follows: 新建3处公厕
    if "分别" in text[clause.start : fig.start] and clause.end - fig.end <= FIGURE_TAILS[0]:
        return _Piece(lo, clause.end)  # a 分别 list's values go together: 分别增长5%、3%
    for i in range(fig.end, min(clause.end, fig.end + tail) + 1):
        if i == clause.end or text[i] in "、和及与":
            hi = i
            break
    else:
        if fig.start - lo < 2:  # nothing names the figure before it: keep what follows
            hi = min(clause.end, fig.end + FIGURE_TAIL // 2 + 2)
    return _Piece(lo, hi)


def _is_base(text: str, clause: _Piece, fig: Figure, later: list[Figure]) -> bool:
    """``fig`` is the starting value of a change (``由52%提高到58%``): the later one matters."""
    nxt = next((f for f in later if f.start >= fig.end and f.end <= clause.end), None)
    return nxt is not None and bool(_TO_LATER.search(text[fig.end : nxt.start]))


def _after_breakdown(text: str, clause: _Piece) -> bool:
    """``clause`` follows a ``其中：`` in its sentence (``其中：审批194个，备案181个``):
    a breakdown introduced by a colon runs to the sentence's end (one opened by a
    bare ``其中`` is its own clause only: ``_SUBCOUNT``)."""
    start = max(text.rfind(c, 0, clause.start) for c in _SENTENCE_END + "\n") + 1
    return bool(_BREAKDOWN.search(text, start, clause.start))


def _importance(tag: IndicatorTag | None, total: bool) -> int:
    """0 for a headline indicator, 1 for a total, 2 for the change of another named
    indicator (``技术合同成交额增长62%``), 3 otherwise (a level of a minor indicator,
    a count)."""
    if tag is not None and tag.canonical:
        return 0
    return 1 if total else 2 if tag is not None and tag.measure == "change" else 3


def _key_figures(text: str, clauses: list[_Piece]) -> list[tuple[_Piece, Figure, int | None]]:
    """The MAX_FIGURES figures that matter, most important first, with their clauses
    and where their indicator names start.

    Figures of sub-count clauses are left out. Headline indicators (a figure
    :func:`~summarizer.figures.indicators.tag_figures` names with a canonical
    key: 地区生产总值, 城镇化率…) come first; then totals (:data:`TOTALS`); then
    changes of other named indicators; then the rest, in document order. The
    starting value of a change (``由X提高到Y``) comes after the value reached.
    """
    found = [
        (clause, fig)
        for clause in clauses
        if not _SUBCOUNT.match(clause.text(text)) and not _after_breakdown(text, clause)
        for fig in find_figures(text, clause.start, clause.end)
    ]
    figs = [f for _c, f in found]
    tags = tag_figures(
        text,
        [(f.start, f.end, f.unit) for f in figs],
        spans=[(0, len(text))],
        kind="actual",
        year=None,
    )

    def is_total(fig: Figure) -> bool:
        return bool(TOTALS.search(fig.unit + text[max(0, fig.start - TOTAL_WINDOW) : fig.start]))

    def rank(k: int) -> tuple[bool, int, int]:
        clause, fig = found[k]
        tag = tags[k]
        return (_is_base(text, clause, fig, figs[k + 1 :]), _importance(tag, is_total(fig)), k)

    chosen: list[tuple[_Piece, Figure, int | None]] = []
    for k in sorted(range(len(found)), key=rank):  # a value stated twice is kept once
        clause, fig = found[k]
        if not any(values_match(fig.value, f.value) for _c, f, _n in chosen):
            chosen.append((clause, fig, _name_start(text, clause, fig, tags[k])))
    return chosen[:MAX_FIGURES]


def _merge(pieces: list[_Piece]) -> list[_Piece]:
    """Pieces in text order, overlapping ones merged."""
    out: list[_Piece] = []
    for p in sorted(pieces, key=lambda p: p.start):
        if out and p.start < out[-1].end:
            out[-1] = _Piece(out[-1].start, max(out[-1].end, p.end))
        else:
            out.append(p)
    return out


def _join(text: str, pieces: list[_Piece]) -> str:
    return "，".join(p.text(text).strip("，,、 ") for p in _merge(pieces))


def _grounded(summary: str, allowed: list[float]) -> bool:
    return all(any(values_match(f.value, v) for v in allowed) for f in find_figures(summary))


def _sentences(text: str, start: int) -> list[tuple[int, int]]:
    """Sentence spans of ``text[start:]`` (ended by sentence punctuation or a line break)."""
    out, a = [], start
    for i in range(start, len(text) + 1):
        if i == len(text) or text[i] in _SENTENCE_END + "\n":
            if text[a:i].strip():
                out.append((a, i))
            a = i + 1
    return out


def _points(text: str, span: tuple[int, int]) -> list[_Piece]:
    return [p for c in _clauses(text, *span) if (p := _point(text, c)) is not None]


def _figure_pieces(text: str, clauses: list[_Piece], limit: int) -> list[_Piece]:
    """Pieces naming the key figures: as many as fit, with as much context as fits."""
    key = _key_figures(text, clauses)
    for n in range(len(key), 0, -1):
        for context, tail in TRIES:
            pieces = [_figure_piece(text, c, f, context, at, tail) for c, f, at in key[:n]]
            if len(_join(text, pieces)) <= limit:
                return pieces
    return []


def compress(text: str, limit: int = LIMIT) -> str:
    """The unit's point in at most ``limit`` characters, from pieces of ``text``.

    The pieces that name the key figures come first; then the unit's clauses
    that state something (markers, openers and framing dropped), in text
    order — so the run-in heading, when there is one, leads — as long as they
    fit. The pieces are joined in text order.

    Args:
        text: the unit's text (its marker included).
        limit: the longest summary.

    Returns:
        Pieces of ``text`` joined with ``，`` (each piece a substring of ``text``),
        or ``""`` when nothing in the unit states a point.
    """
    allowed = [f.value for f in find_figures(text)]
    clauses = [p for span in _sentences(text, _body_start(text)) for p in _points(text, span)]
    chosen = [p for p in _figure_pieces(text, clauses, limit) if _grounded(p.text(text), allowed)]
    for p in clauses:
        if any(q.start <= p.start and p.end <= q.end for q in chosen):
            continue
        if len(_join(text, [*chosen, p])) <= limit and _grounded(p.text(text), allowed):
            chosen.append(p)
        elif not chosen:
            return _cut(p.text(text), limit)
    return _join(text, chosen)


def _cut(piece: str, limit: int) -> str:
    """``piece`` cut to ``limit`` characters, never inside a number."""
    if len(piece) <= limit:
        return piece
    cut = piece[:limit]
    while cut and (cut[-1].isdigit() or piece[len(cut)].isdigit()):
        cut = cut[:-1]
    return cut.strip("，,、 ")
