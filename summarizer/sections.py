"""Headings -> section tree -> units (the smallest enumerated points).

Everything here is deterministic. The parser reads the text line by line:

* **Marked lines** open with a list marker of one of the families of Chinese
  official writing (``一、``, ``(一)``/``（一）``, ``1、``/``1.``, ``(1)``/``（1）``,
  ``第一，``), a Markdown heading (``#``) or English numbering (``1.``, ``I.``,
  ``A.``). Levels come from the order in which families first appear, the way
  a reader infers them: a family already open closes everything below it.
* A marked line is a **heading** when it is short and has children; it is a
  **unit** when it carries its own text or has nothing under it.
* An **unmarked line** is a heading when it is short, has no sentence
  punctuation and a paragraph follows; otherwise it is a paragraph unit.
* Paragraphs are split at inline enumerations (``一是…二是…``, ``第一，…``,
  ``（1）…（2）…``, ``①…②…``), and, in shortcoming and plan sections, at ``；``
  between listed clauses (see ``GUIDELINES.md``).

Section roles (achievement / shortcoming / plan / other) come from heading
keywords and position: ``roles.classify_heading`` is kept beside the parser.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import pairwise
from typing import Literal

from .documents import Document
from .roles import Role, classify_heading, unit_role_override

__all__ = ["Outline", "Role", "RoleSource", "Section", "Unit", "lead_clause", "parse_outline"]

RoleSource = Literal["heading", "wording", "flow", "position"]

# --- markers ---------------------------------------------------------------

_CN = "一二三四五六七八九十百零〇"
_WS = " \t\u3000\u2002\u2003\u00a0\ufeff"

#: (family, regex matching the marker at the start of a line, after indentation)
_LINE_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("md", re.compile(r"#{1,6}(?=\s)")),
    ("cn", re.compile(rf"[{_CN}]{{1,3}}[、，,．.](?![{_CN}]、)")),
    ("pcn", re.compile(rf"[(（][{_CN}]{{1,3}}[)）]")),
    ("di", re.compile(rf"第[{_CN}]{{1,3}}(?:部分|章|节)?[，,、：:．.\s]")),
    ("pnum", re.compile(r"[(（]\d{1,2}[)）]")),
    ("num", re.compile(r"\d{1,2}(?:[、]|[．.](?!\d+%)(?=\s*\S))")),
    ("circled", re.compile(r"[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳]")),
    ("roman", re.compile(r"(?:[IVX]{1,4})\.(?=\s)")),
    ("alpha", re.compile(r"[A-Z]\.(?=\s)")),
)

#: Inline enumerations inside a paragraph: (family, regex with group 'n').
_ORDINAL = rf"(?P<n>[{_CN}]{{1,3}})"
_INLINE_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("shi", re.compile(rf"{_ORDINAL}是")),
    ("di", re.compile(rf"第{_ORDINAL}[，,、：:]")),
    ("pnum", re.compile(r"[(（](?P<n>\d{1,2})[)）]")),
    ("circled", re.compile(r"(?P<n>[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])")),
)
_BOUNDARY_BEFORE = set("。；;，,：:！？!?、）)”\"' \t\n\u3000\u2002\u00a0")
_SENTENCE_END = "。！？!?"
_CLAUSE_SPLIT = re.compile(r"[；;]")
_TERMINAL = '。！？!?；;：:”"）)…'
_INTRO = re.compile(r"(以下|如下|主要(表现|体现)在|具体(如下|是))[^。；]{0,12}[：:。]?$")
_DATE_LINE = re.compile(
    r"^[（(]?[^\d\n]{0,12}[\d〇零一二三四五六七八九十]{2,4}\s*[年.\-/]\s*[\d一二三四五六七八九十]{1,2}\s*[月.\-/]"
    r"\s*[\d一二三四五六七八九十]{1,3}\s*日?[）)]?$"
)

HEADING_MAX = 40  #: longest heading text (after the marker) that can be a heading
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


# --- lines ------------------------------------------------------------------


@dataclass(slots=True)
class _Line:
    start: int  #: first non-blank character
    end: int  #: after the last non-blank character
    text: str
    family: str | None = None
    marker: str = ""
    body: str = ""  #: text after the marker
    kind: Literal["heading", "para", "skip"] = "para"
    level: int = 0


def _lines(text: str, excluded: Iterable[tuple[int, int]]) -> list[_Line]:
    """Non-blank lines outside excluded ranges, stripped, with absolute offsets."""
    spans = sorted(excluded)
    span_starts = [a for a, _b in spans]
    reach: list[int] = []  # reach[k]: furthest end among spans[: k + 1] (overlaps allowed)
    for _a, b in spans:
        reach.append(max(b, reach[-1]) if reach else b)
    out: list[_Line] = []
    pos = 0
    for raw in text.split("\n"):
        lstart, lend = pos, pos + len(raw)
        pos = lend + 1
        stripped_left = raw.lstrip(_WS)
        s = lstart + (len(raw) - len(stripped_left))
        e = lstart + len(raw.rstrip(_WS))
        k = bisect_right(span_starts, s) - 1  # spans starting at or before the line
        if s >= e or (k >= 0 and e <= reach[k]):  # inside an excluded span
            continue
        line = _Line(s, e, text[s:e])
        for family, rx in _LINE_MARKERS:
            m = rx.match(line.text)
            if m:
                line.family, line.marker = family, m.group(0).strip()
                line.body = line.text[m.end() :].lstrip(_WS)
                break
        else:
            line.body = line.text
        prev = out[-1] if out else None
        if (
            prev is not None
            and line.family is None
            and prev.family is None
            and (
                prev.text.endswith(tuple("《“‘（([【"))
                or line.text.startswith(tuple("》”’）)]】，,、。；;：:"))
                or (
                    (len(prev.text) > HEADING_MAX or "。" in prev.text)
                    and not prev.text.endswith(tuple(_TERMINAL))
                )
            )
            and not any(rx.match(line.text) for _f, rx in _INLINE_MARKERS)
            and s - prev.end <= 1 + (len(raw) - len(raw.lstrip(_WS)))
        ):  # a hard-wrapped paragraph: the previous line stops mid-sentence
            prev.end, prev.text = e, text[prev.start : e]
            prev.body = prev.text
            continue
        out.append(line)
    return out


def _is_heading_text(body: str) -> bool:
    """Short, and no sentence punctuation except possibly at its very end."""
    core = body.rstrip("。.:：")
    return 0 < len(core) <= HEADING_MAX and not any(c in core for c in "。；;！？")


def _classify_lines(lines: list[_Line]) -> None:
    """Decide heading / paragraph / skip, and assign levels to headings."""
    stack: list[str] = []  # open marker families, outermost first
    for i, line in enumerate(lines):
        nxt = lines[i + 1] if i + 1 < len(lines) else None
        if line.family is not None:
            if line.family in stack:
                del stack[stack.index(line.family) + 1 :]
            else:
                stack.append(line.family)
            line.level = stack.index(line.family) + 1
            has_children = nxt is not None and (
                nxt.family is None or nxt.family not in stack[: line.level]
            )
            if line.family == "md" or (_is_heading_text(line.body) and has_children):
                line.kind = "heading"
            continue
        # unmarked
        prev = lines[i - 1] if i > 0 else None
        if _DATE_LINE.match(line.text) or (
            len(line.text) <= 60 and (_INTRO.search(line.text) or line.text.endswith(("：", ":")))
        ):
            line.kind = "skip"
        elif (
            _is_heading_text(line.text)
            and not line.text.endswith(("。", "；", ";"))
            and (nxt is None or nxt.family is None)
            and line.text[0] not in _TERMINAL + "，,、》」』"
            and (prev is None or prev.kind == "heading" or prev.text.endswith(tuple(_TERMINAL)))
        ):
            has_para = (
                nxt is not None
                and len(nxt.body) > len(line.text)
                and (len(nxt.text) > HEADING_MAX or nxt.text.endswith(tuple(_TERMINAL)))
                and not _DATE_LINE.match(nxt.text)
            )
            line.kind = "heading" if has_para else "skip"
            if line.kind == "heading":  # an unmarked heading opens a level like a family
                if "plain" in stack:
                    del stack[stack.index("plain") + 1 :]
                else:
                    stack.append("plain")
                line.level = stack.index("plain") + 1


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
    #: 'wording' (its own opening words), 'flow' (an unlabelled section after the
    #: labelled plan part), 'position' (nothing states it: the report's default flow)
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
    body = body.strip(_WS)
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
    for _family, rx in _INLINE_MARKERS:
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
    return 0 < len(first.strip(_WS)) <= LEAD_MAX and len(first) < len(prefix.rstrip(_WS))


def _split_paragraph(
    start: int, text: str, marker: str, role: Role
) -> Iterator[tuple[int, int, str]]:
    """Units of one paragraph: (start, end, marker), absolute offsets."""
    pieces: list[tuple[int, int, str]] = []
    splits = _inline_splits(text)
    if splits:
        first = splits[0][0]
        prefix = text[:first]
        keep_prefix = bool(marker) or _is_lead(prefix) or not prefix.strip(_WS)
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


def _split_clauses(
    start: int, text: str, off: int, end: int, marker: str
) -> Iterator[tuple[int, int, str]]:
    """Split a shortcoming/plan unit at ；-separated listed clauses."""
    cuts = [m.end() for m in _CLAUSE_SPLIT.finditer(text, off, end)]
    bounds = [off] + [c for c in cuts if c < end] + [end]
    pieces = [(a, b) for a, b in pairwise(bounds) if text[a:b].strip(_WS)]
    merged: list[tuple[int, int]] = []
    for a, b in pieces:
        if merged and len(text[a:b].strip(_WS)) < MIN_CLAUSE:
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
    lines = _lines(text, document.excluded)
    _classify_lines(lines)
    body_start = _body_start(lines, year)
    body = [ln for ln in lines if ln.start >= body_start]
    for ln in lines:  # title lines must not open levels: classify the body on its own
        ln.kind, ln.level = ("para", 0) if ln.start >= body_start else ("skip", 0)
    _classify_lines(body)
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
        title = h.body.rstrip("。:：").strip(_WS)
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
    for i, line in enumerate(lines):
        if line.kind != "para":
            continue
        if line.start < body_start:
            continue  # title and preamble: they introduce the report, state no item
        owner = _innermost(sections, line.start, section_starts, by_id)
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
        for s, e, mk in _split_paragraph(start, body_text, marker, base_role):
            s, e = _trim(text, s, e)
            if s >= e:
                continue
            utext = text[s:e]
            unit_body = utext[len(mk) :] if mk and utext.startswith(mk) else utext
            final_role = unit_role_override(utext, base_role, year=year)
            source: RoleSource = "wording" if final_role != base_role else _structural_source(owner)
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


def _body_start(lines: list[_Line], year: int | None) -> int:
    """Where the body begins: title lines and the preamble come before it.

    The body opens at the first marked heading, or at an earlier unmarked heading
    that states a role (``2004年工作回顾``) once a first real paragraph has been
    read (so title lines, which also name years and "情况", are not taken for it).
    Without any heading, only the first line (the title) is not body.
    """
    seen_paragraph = False
    for ln in lines:
        if ln.kind == "heading" and ln.family is not None:
            return ln.start
        if (
            ln.kind == "heading"
            and seen_paragraph
            and "报告" not in ln.text
            and classify_heading(ln.text, year=year) is not None
        ):
            return ln.start
        if ln.kind == "para" and len(ln.text) > HEADING_MAX and ln.text.endswith(tuple(_TERMINAL)):
            seen_paragraph = True
    return lines[1].start if len(lines) > 1 else 0


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
    while s < e and text[s] in _WS + "\n":
        s += 1
    while e > s and text[e - 1] in _WS + "\n":
        e -= 1
    return s, e
