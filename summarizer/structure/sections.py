"""Headings -> section tree -> units (the smallest enumerated points).

Everything here is deterministic. The parser reads the text line by line
(:mod:`summarizer.structure.headings`):

* **Marked lines** open with a list marker of one of the families of Chinese
  official writing (``一、``, ``(一)``/``（一）``, ``1、``/``1.``, ``(1)``/``（1）``,
  ``第一，``), a Markdown heading (``#``) or English numbering (``1.``, ``I.``,
  ``A.``). Levels come from the order in which families first appear, the way
  a reader infers them: a family already open closes everything below it.
* A marked line is a **heading** when it is short and has children; it is a
  **unit** when it carries its own text or has nothing under it.
* An **unmarked line** is a heading when it is short, has no sentence
  punctuation and a paragraph follows; otherwise it is a paragraph unit.

This module builds the section tree from those lines and splits paragraphs
into units:

* Paragraphs are first cut into segments by what they say
  (:mod:`summarizer.structure.passages`: problems passages, formulas, turns),
  then split at inline enumerations (``一是…二是…``, ``一要…二要…``, ``第一，…``,
  ``（1）…（2）…``, ``①…②…``), and, in shortcomings and plans, at ``；``
  between listed clauses, sentence by sentence (see ``GUIDELINES.md``).

Section roles (achievement / shortcoming / plan / other) come from heading
keywords and position: ``roles.classify_heading`` is kept beside the parser.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

from ..ingest.documents import Document
from .headings import INLINE_MARKERS, WS, classify_lines, find_body_start, scan_lines
from .passages import Segment, find_problem_passages, paragraph_segments
from .roles import Role, classify_heading, unit_role_override

__all__ = [
    "OPEN_SOURCES",
    "Outline",
    "Role",
    "RoleSource",
    "Section",
    "Unit",
    "lead_clause",
    "parse_outline",
]

RoleSource = Literal["heading", "wording", "flow", "position", "cue"]
#: Role sources that leave the category open: nothing states it ('position'), or
#: only a weak cue in the unit's own opening does ('cue': ``但…``, ``也要看到…``
#: outside a problems passage). A model backend judges these units.
OPEN_SOURCES: tuple[RoleSource, ...] = ("position", "cue")

# --- units ----------------------------------------------------------------

_BOUNDARY_BEFORE = set("。；;，,：:！？!?、）)”\"' \t\n\u3000\u2002\u00a0")
_SENTENCE_END = "。！？!?"
_CLAUSE_SPLIT = re.compile(r"[；;]")
LEAD_MAX = 24  #: longest first sentence that reads as a heading-like lead
MIN_CLAUSE = 8  #: shortest ；-clause split off as its own unit


def _ordinal(token: str) -> int | None:
    """'三' -> 3, '12' -> 12, '③' -> 3; None when not an ordinal."""
    if len(token) == 1 and "①" <= token <= "⑳":
        return ord(token) - ord("①") + 1
    if token.isascii() and token.isdigit():
        return int(token)
    digits = {c: i for i, c in enumerate("零一二三四五六七八九")}
    digits["〇"] = 0
    if token == "十":
        return 10
    if len(token) == 2 and token[0] == "十" and token[1] in digits:
        return 10 + digits[token[1]]
    if len(token) == 2 and token[1] == "十" and token[0] in digits:
        return digits[token[0]] * 10
    if len(token) == 3 and token[1] == "十" and token[0] in digits and token[2] in digits:
        return digits[token[0]] * 10 + digits[token[2]]
    if len(token) == 1 and token in digits:
        return digits[token]
    return None


# --- outline ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and the text it governs."""

    id: str  #: 's1', 's2', ... in document order
    title: str  #: heading text without its marker
    marker: str  #: '一、', '(一)', '1、', '#', '' for an unmarked heading
    level: int  #: 1 = top
    start: int  #: heading start
    end: int  #: end of the section's text (exclusive)
    parent: str | None
    role: Role
    path: tuple[str, ...]  #: titles from the top section down to this one
    role_explicit: bool = False  #: the role comes from this heading's own words
    #: the role is ``plan`` because the section follows the report's plan part
    #: (an unlabelled top section after a labelled plan part, or inside one)
    role_after_plan: bool = False


@dataclass(frozen=True, slots=True)
class Unit:
    """The smallest enumerated point: what an item is built from."""

    id: str  #: 'u1', 'u2', ... in document order
    start: int
    end: int
    text: str  #: document.text[start:end]
    section: str | None  #: id of the innermost section holding it
    path: tuple[str, ...]  #: section titles, top down
    role: Role  #: role from its section, or from its own wording when that is explicit
    marker: str  #: '一是', '1、', '(1)', '' for a plain paragraph
    lead: str  #: the unit's lead clause (heading-like first sentence)
    #: where the role comes from: 'heading' (a keyword in a heading above it),
    #: 'wording' (its own words or its passage's: a formula, an explicit opening),
    #: 'cue' (a weak cue in its opening: ``但…``), 'flow' (an unlabelled section
    #: after the labelled plan part), 'position' (nothing states it: the report's
    #: default flow)
    role_source: RoleSource = "position"


@dataclass(frozen=True, slots=True)
class Outline:
    """The deterministic structure of one document."""

    text: str
    sections: tuple[Section, ...]
    units: tuple[Unit, ...]
    #: Text between the title and the first heading (not a source of items).
    preamble: tuple[int, int] = (0, 0)
    _by_id: dict[str, Unit] = field(default_factory=dict, repr=False, compare=False)

    def __post_init__(self) -> None:
        self._by_id.update({u.id: u for u in self.units})

    def unit(self, unit_id: str) -> Unit | None:
        """The unit with this id, or None."""
        return self._by_id.get(unit_id)

    def section(self, section_id: str | None) -> Section | None:
        """The section with this id, or None."""
        return next((s for s in self.sections if s.id == section_id), None)


def _structural_source(owner: Section | None) -> RoleSource:
    """How the structure settles a unit's role when its own wording does not.

    ``heading``: a heading on its path states the role. ``flow``: it sits in an
    unlabelled section after the report's labelled plan part — reports do not
    go back to reviewing once they have turned to plans. ``position``: nothing
    states it (e.g. topical headings with no labelled part before them); the
    role is the report's default flow, and a model may judge it.
    """
    if owner is None:
        return "position"
    if owner.role_explicit:
        return "heading"
    return "flow" if owner.role_after_plan else "position"


def lead_clause(body: str, limit: int = 60) -> str:
    """The heading-like first clause of a unit's text (marker removed)."""
    body = body.strip(WS)
    cut = len(body)
    for i, c in enumerate(body):
        if c in "。！？!?；;：:":
            cut = i
            break
    lead = body[:cut].strip()
    if len(lead) > limit:
        comma = max(lead.rfind("，", 0, limit), lead.rfind(",", 0, limit))
        lead = lead[: comma if comma > limit // 3 else limit]
    return lead


def _inline_splits(text: str) -> list[tuple[int, str]]:
    """Offsets (relative) and markers of an ordered inline enumeration, if any."""
    best: list[tuple[int, str]] = []
    for _family, rx in INLINE_MARKERS:
        found: list[tuple[int, str]] = []
        expected = 1
        for m in rx.finditer(text):
            if m.start() > 0 and text[m.start() - 1] not in _BOUNDARY_BEFORE:
                continue
            if _ordinal(m.group("n")) != expected:
                continue
            found.append((m.start(), m.group(0)))
            expected += 1
        if len(found) >= 2 and len(found) > len(best):
            best = found
    return best


def _is_lead(prefix: str) -> bool:
    """A prefix that opens with a short heading-like sentence."""
    first = re.split(r"[。！？!?：:]", prefix, maxsplit=1)[0]
    return 0 < len(first.strip(WS)) <= LEAD_MAX and len(first) < len(prefix.rstrip(WS))


def _split_paragraph(
    start: int, text: str, marker: str, role: Role
) -> Iterator[tuple[int, int, str]]:
    """Units of one paragraph: (start, end, marker), absolute offsets."""
    pieces: list[tuple[int, int, str]] = []
    splits = _inline_splits(text)
    if splits:
        first = splits[0][0]
        prefix = text[:first]
        keep_prefix = bool(marker) or _is_lead(prefix) or not prefix.strip(WS)
        bounds = [(0 if keep_prefix else first, "")] if first else []
        for k, (off, mk) in enumerate(splits):
            if k == 0 and bounds:
                bounds[0] = (bounds[0][0], marker or mk)
            else:
                bounds.append((off, mk))
        for k, (off, mk) in enumerate(bounds):
            end = bounds[k + 1][0] if k + 1 < len(bounds) else len(text)
            pieces.append((off, end, mk))
    else:
        pieces.append((0, len(text), marker))
    for off, end, mk in pieces:
        if role in ("shortcoming", "plan"):
            yield from _split_clauses(start, text, off, end, mk)
        else:
            yield (start + off, start + end, mk)


def _sentences(text: str, off: int, end: int) -> list[tuple[int, int]]:
    """Relative ``(start, end)`` of the sentences of ``text[off:end]`` (``；`` kept inside)."""
    out: list[tuple[int, int]] = []
    a = off
    for i in range(off, end):
        if text[i] in _SENTENCE_END:
            out.append((a, i + 1))
            a = i + 1
    if text[a:end].strip(WS):
        out.append((a, end))
    return out


def _split_clauses(
    start: int, text: str, off: int, end: int, marker: str
) -> Iterator[tuple[int, int, str]]:
    """Split a shortcoming/plan unit at its ``；`` lists (see ``GUIDELINES.md``).

    Read sentence by sentence: a sentence holding ``；`` is a list, one piece per
    clause; the sentences before a list (a run-in heading, an opening) go with
    its first clause; the sentences after the last list are one piece of their
    own (a sentence after the list is its own item).
    """
    pieces: list[tuple[int, int]] = []
    plain: list[tuple[int, int]] = []  # sentences without ；, not yet placed
    for a, b in _sentences(text, off, end):
        cuts = [m.end() for m in _CLAUSE_SPLIT.finditer(text, a, b) if text[m.end() : b].strip(WS)]
        if not cuts:
            plain.append((a, b))
            continue
        lead_from = plain[0][0] if plain else a  # sentences before a list open its first clause
        plain = []
        for x, y in pairwise([lead_from, *cuts, b]):
            pieces.append((x, y))
    if plain:
        pieces.append((plain[0][0], plain[-1][1]))
    pieces = [(a, b) for a, b in pieces if text[a:b].strip(WS)]
    merged: list[tuple[int, int]] = []
    for a, b in pieces:
        if merged and len(text[a:b].strip(WS)) < MIN_CLAUSE:
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    for k, (a, b) in enumerate(merged):
        yield (start + a, start + b, marker if k == 0 else "")


def parse_outline(document: Document, *, year: int | None = None) -> Outline:
    """Parse a document into sections and units.

    Args:
        document: the loaded document (its excluded ranges are skipped).
        year: the reporting year, when known; headings naming a later year read as plans.

    Returns:
        The :class:`Outline`: sections (with roles) and units in document order.
    """
    text = document.text
    lines = scan_lines(text, document.excluded)
    classify_lines(lines)
    body_start = find_body_start(lines, year)
    body = [ln for ln in lines if ln.start >= body_start]
    for ln in lines:  # title lines must not open levels: classify the body on its own
        ln.kind, ln.level = ("para", 0) if ln.start >= body_start else ("skip", 0)
    classify_lines(body)
    headings = [ln for ln in lines if ln.kind == "heading"]

    sections: list[Section] = []
    open_: list[Section] = []  # current heading path
    top_roles: list[Role] = []
    after_plan = False  # a labelled plan part has begun and no other labelled part since
    for k, h in enumerate(headings):
        while open_ and open_[-1].level >= h.level:
            open_.pop()
        parent = open_[-1] if open_ else None
        end = len(text)
        for j in range(k + 1, len(headings)):  # no slice: a copy per heading is quadratic
            if headings[j].level <= h.level:
                end = headings[j].start
                break
        title = h.body.rstrip("。:：").strip(WS)
        explicit = classify_heading(title, year=year)
        role_explicit = explicit is not None or (parent is not None and parent.role_explicit)
        if parent is None and explicit is not None:
            after_plan = explicit == "plan"
        role_after_plan = explicit is None and (
            parent.role_after_plan if parent is not None else after_plan
        )
        if explicit is not None:
            role: Role = explicit
        elif parent is not None:
            role = parent.role
        else:  # an unlabelled top section follows the flow of the report
            role = "plan" if top_roles and top_roles[-1] == "plan" else "achievement"
        sec = Section(
            id=f"s{len(sections) + 1}",
            title=title,
            marker=h.marker,
            level=h.level,
            start=h.start,
            end=end,
            parent=parent.id if parent else None,
            role=role,
            path=(*(p.title for p in open_), title),
            role_explicit=role_explicit,
            role_after_plan=role_after_plan,
        )
        if parent is None:
            top_roles.append(role)
        sections.append(sec)
        open_.append(sec)

    units: list[Unit] = []
    heading_starts = {s.start: s for s in sections}
    section_starts = [s.start for s in sections]
    by_id = {s.id: s for s in sections}
    owners = [_innermost(sections, ln.start, section_starts, by_id) for ln in lines]
    review = [
        ln.start >= body_start and (o is None or o.role == "achievement")
        for ln, o in zip(lines, owners, strict=True)
    ]
    passages = find_problem_passages(lines, review)
    for i, line in enumerate(lines):
        if line.kind != "para":
            continue
        if line.start < body_start:
            continue  # title and preamble: they introduce the report, state no item
        owner = owners[i]
        start, body_text, marker = line.start, line.text, line.marker
        # A heading with exactly one unmarked paragraph under it is one point.
        prev = lines[i - 1] if i > 0 else None
        if (
            prev is not None
            and prev.kind == "heading"
            and prev.level >= 2
            and prev.family is not None
            and prev.family != "md"
            and line.family is None
            and (i + 1 >= len(lines) or lines[i + 1].kind == "heading")
            and not _inline_splits(line.text)
            and prev.start in heading_starts
        ):
            start, body_text, marker = prev.start, text[prev.start : line.end], prev.marker
        base_role: Role = owner.role if owner else "achievement"
        segments = passages.get(i) or paragraph_segments(start, body_text, base_role)
        for s, e, mk, seg in _segment_units(text, segments, start, marker):
            s, e = _trim(text, s, e)
            if s >= e:
                continue
            utext = text[s:e]
            unit_body = utext[len(mk) :] if mk and utext.startswith(mk) else utext
            # the passage or the paragraph's wording states the role, else the unit's own
            final_role = seg.role if seg.reason else unit_role_override(utext, base_role, year=year)
            source: RoleSource = "wording" if final_role != base_role else _structural_source(owner)
            if not seg.reason and final_role == "shortcoming" and base_role == "achievement":
                source = "cue"  # only a 但…/也要看到… opening says so: the model may judge it
            units.append(
                Unit(
                    id=f"u{len(units) + 1}",
                    start=s,
                    end=e,
                    text=utext,
                    section=owner.id if owner else None,
                    path=owner.path if owner else (),
                    role=final_role,
                    marker=mk,
                    lead=lead_clause(unit_body.split("\n")[0]),
                    role_source=source,
                )
            )
    return Outline(
        text=text, sections=tuple(sections), units=tuple(units), preamble=(0, body_start)
    )


def _segment_units(
    text: str, segments: list[Segment], start: int, marker: str
) -> Iterator[tuple[int, int, str, Segment]]:
    """Units of a paragraph's segments: a role-bearing segment is split like a
    paragraph (enumerations, ``；`` clauses in shortcomings and plans); an
    ``other`` segment (an intro, a closing, a formula) is one unit."""
    for seg in segments:
        if seg.role == "other":
            yield (seg.start, seg.end, marker if seg.start == start else "", seg)
            continue
        mk = marker if seg.start == start else ""
        for s, e, m in _split_paragraph(seg.start, text[seg.start : seg.end], mk, seg.role):
            yield (s, e, m, seg)


def _innermost(
    sections: list[Section], pos: int, starts: list[int], by_id: dict[str, Section]
) -> Section | None:
    """The deepest section holding ``pos``.

    Sections nest (one ends where a heading of its level or above starts), so it is
    the last section opened at or before ``pos``, or its nearest ancestor still open
    there: a bisection and a walk up the path, not a scan of every section per line.
    """
    k = bisect_right(starts, pos) - 1
    sec = sections[k] if k >= 0 else None
    while sec is not None and not sec.start <= pos < sec.end:
        sec = by_id.get(sec.parent) if sec.parent else None
    return sec


def _trim(text: str, s: int, e: int) -> tuple[int, int]:
    while s < e and text[s] in WS + "\n":
        s += 1
    while e > s and text[e - 1] in WS + "\n":
        e -= 1
    return s, e
