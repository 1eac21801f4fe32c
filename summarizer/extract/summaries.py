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
* **Run-in heading** — a short first sentence followed by more text
  (``加强法治文化建设。积极推进……``) is the unit's own headline: it is kept
  whole (:func:`run_in_heading`).
* **Result or problem** — without a heading, the first clauses that are left
  carry the point.
* **Figures that matter** — the first one or two figures that are not
  sub-counts (a clause opened by ``其中`` or ``分别`` breaks a total down), each
  with the words of its clause that name it; rates and totals come first in
  official prose, so document order is the priority.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..figures.numbers import Figure, find_figures, values_match

__all__ = [
    "LEADING_MARKER",
    "LIMIT",
    "OPENERS",
    "PREAMBLE",
    "compress",
    "run_in_heading",
]

LIMIT = 40  #: longest summary, in characters
HEADING_MAX = 26  #: a first sentence this short, with more text after it, is a run-in heading
CONTEXTS = (16, 12, 8)  #: characters of a figure's clause kept before it, longest that fits
FIGURE_TAIL = 10  #: characters kept after a figure, up to its clause's end or a ``、``
MAX_FIGURES = 3

_CN = "一二三四五六七八九十"
#: A list marker or dash at the start of the unit (repeated: ``一、1.``).
LEADING_MARKER = re.compile(
    rf"^(?:\s|[{_CN}]{{1,3}}是|[{_CN}]{{1,3}}[、，,．.]|[(（][{_CN}\d]{{1,3}}[)）]"
    rf"|第[{_CN}]{{1,3}}[，,、：:．.]|\d{{1,2}}[、．.](?!\d)|[①-⑳]|[—\-－]+|#+|首先[，,]|其次[，,])+"
)
#: Clauses that frame the point instead of stating it.
PREAMBLE = re.compile(
    r"坚持以.{1,30}?为(?:指导|指引|统领|引领)|^以.{1,30}?为(?:指导|指引|统领|引领)"
    r"|(?:深入|全面|认真)?(?:学习)?贯彻(?:落实)?.{0,30}?(?:精神|要求|部署)|在.{1,30}?领导下|高举.{1,20}?旗帜"
    r"|^(?:我们)?(?:深入学习|认真学习|全面学习)"
)
#: Connectives and time frames that open a clause without adding to its point.
OPENERS = re.compile(
    r"^(?:同时|此外|另外|与此同时|一年来|过去一年|今年以来|近年来|[一二三四五两]年来|全年|我们|总的来看"
    r"|总体来看|对此|为此|目前|当前|截至目前|(?:19|20)\d\d年(?:度|以来)?|今年|去年|我们要|我们将|要|必须)[，,]?"
)
#: Clauses that break a total down: their figures come after the total's.
_SUBCOUNT = re.compile(r"^(?:其中|分别|包括|含)")
_SENTENCE_END = "。！？!?；;"
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


def run_in_heading(text: str) -> tuple[int, int] | None:
    """The span of a unit's run-in heading: a short first sentence followed by more.

    ``加强队伍建设。全年培训……`` -> the span of ``加强队伍建设``; None when the first
    sentence is long or is all there is.
    """
    start = _body_start(text)
    for i in range(start, len(text)):
        if text[i] in _SENTENCE_END + "：:":
            rest = text[i + 1 :].strip()
            if i - start <= HEADING_MAX and len(rest) >= 4 and i > start:
                return start, i
            return None
    return None


def _point(text: str, piece: _Piece) -> _Piece | None:
    """``piece`` without an opening connective, or None when it is a preamble."""
    s = piece.text(text)
    if PREAMBLE.search(s):
        return None
    m = OPENERS.match(s)
    if m and m.end() < len(s):
        return _Piece(piece.start + m.end(), piece.end)
    return piece if not m else None


def _figure_piece(text: str, clause: _Piece, fig: Figure, context: int) -> _Piece:
    """The words of ``clause`` naming ``fig``: up to ``context`` before it, a few after."""
    lo = max(clause.start, fig.start - context)
    if lo > clause.start:  # a cut clause: start after an enumeration comma if one is near
        comma = text.rfind("、", lo, fig.start - 3)
        lo = comma + 1 if comma >= 0 else lo
    while lo > clause.start and (text[lo - 1].isdigit() or text[lo].isdigit()):
        lo -= 1  # never cut a number
    m = OPENERS.match(text, lo, fig.start)
    lo = m.end() if m else lo
    hi = fig.end  # the thing counted often follows: 新建3处公厕
    for i in range(fig.end, min(clause.end, fig.end + FIGURE_TAIL) + 1):
        if i == clause.end or text[i] in "、和及与":
            hi = i
            break
    return _Piece(lo, hi)


def _key_figures(text: str, clauses: list[_Piece]) -> list[tuple[_Piece, Figure]]:
    """The first MAX_FIGURES figures outside sub-count clauses, with their clauses."""
    chosen: list[tuple[_Piece, Figure]] = []
    for clause in clauses:
        if _SUBCOUNT.match(clause.text(text)):
            continue
        for fig in find_figures(text, clause.start, clause.end):
            chosen.append((clause, fig))
            if len(chosen) == MAX_FIGURES:
                return chosen
    return chosen


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


def compress(text: str, limit: int = LIMIT, target: int | None = None) -> str:
    """The unit's point in at most ``limit`` characters, from pieces of ``text``.

    Pieces are taken by priority — the figures that matter, then the run-in
    heading (or the first clause with a point), then the clauses after it —
    while the summary stays within ``target`` characters; they are joined in
    text order.

    Args:
        text: the unit's text (its marker included).
        limit: the longest summary.
        target: stop adding clauses past this length (default: ``limit``).

    Returns:
        Pieces of ``text`` joined with ``，`` (each piece a substring of ``text``),
        or ``""`` when nothing in the unit states a point.
    """
    target = limit if target is None else target
    start = _body_start(text)
    heading = run_in_heading(text)
    clauses = [p for c in _clauses(text, start, len(text)) if (p := _point(text, c)) is not None]
    allowed = [f.value for f in find_figures(text)]
    key = _key_figures(text, clauses)
    figures: list[_Piece] = []
    for context in CONTEXTS:  # shorter contexts until the figures fit
        figures = [_figure_piece(text, c, f, context) for c, f in key]
        if len(_join(text, figures)) <= limit:
            break
    figures = [p for p in figures if _grounded(p.text(text), allowed)]
    if heading is not None:
        lead = [_Piece(*heading)]
        rest = [c for c in clauses if c.start >= heading[1]]
    else:
        lead, rest = clauses[:1], clauses[1:]
    lead = [p for p in lead if _grounded(p.text(text), allowed)]
    chosen: list[_Piece] = []
    for p in figures:
        if len(_join(text, [*chosen, p])) <= limit:
            chosen.append(p)
    for p in [*lead, *rest]:
        if any(q.start <= p.start and p.end <= q.end for q in chosen):
            continue
        if len(_join(text, chosen)) >= target:
            break
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
