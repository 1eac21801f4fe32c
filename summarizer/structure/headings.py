"""Lines of a document: list markers, headings, paragraphs and levels.

The first stage of :func:`summarizer.structure.sections.parse_outline`, deterministic like
the rest. :func:`scan_lines` reads the text line by line (skipping excluded
ranges, joining hard-wrapped paragraphs) and recognises each line's list marker;
:func:`classify_lines` decides which lines are headings, paragraphs or skipped,
and the level of every heading; :func:`find_body_start` tells where the body
begins after the title lines and the preamble.

* **Marked lines** open with a list marker of one of the families of Chinese
  official writing (``一、``, ``(一)``/``（一）``, ``1、``/``1.``, ``(1)``/``（1）``,
  ``第一，``), a Markdown heading (``#``) or English numbering (``1.``, ``I.``,
  ``A.``). Levels come from the order in which families first appear, the way
  a reader infers them: a family already open closes everything below it.
* A marked line is a **heading** when it is short and has children; it is a
  **unit** when it carries its own text or has nothing under it.
* An **unmarked line** is a heading when it is short, has no sentence
  punctuation and a paragraph follows; otherwise it is a paragraph unit.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from .roles import classify_heading

__all__ = [
    "HEADING_MAX",
    "INLINE_MARKERS",
    "WS",
    "Line",
    "classify_lines",
    "find_body_start",
    "is_heading_text",
    "scan_lines",
]

# --- markers ---------------------------------------------------------------

_CN = "一二三四五六七八九十百零〇"
WS = " \t\u3000\u2002\u2003\u00a0\ufeff"  #: blanks stripped from lines and units

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
INLINE_MARKERS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("shi", re.compile(rf"{_ORDINAL}是")),
    ("yao", re.compile(rf"{_ORDINAL}要(?![求素点])")),  # 一要…二要… (not 要求/要素/要点)
    ("di", re.compile(rf"第{_ORDINAL}[，,、：:]")),
    ("pnum", re.compile(r"[(（](?P<n>\d{1,2})[)）]")),
    ("circled", re.compile(r"(?P<n>[①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳])")),
)
_TERMINAL = '。！？!?；;：:”"）)…'
_INTRO = re.compile(r"(以下|如下|主要(表现|体现)在|具体(如下|是))[^。；]{0,12}[：:。]?$")
_DATE_LINE = re.compile(
    r"^[（(]?[^\d\n]{0,12}[\d〇零一二三四五六七八九十]{2,4}\s*[年.\-/]\s*[\d一二三四五六七八九十]{1,2}\s*[月.\-/]"
    r"\s*[\d一二三四五六七八九十]{1,3}\s*日?[）)]?$"
)

HEADING_MAX = 40  #: longest heading text (after the marker) that can be a heading


# --- lines ------------------------------------------------------------------


@dataclass(slots=True)
class Line:
    """One non-blank line of the document, as the outline parser sees it."""

    start: int  #: first non-blank character
    end: int  #: after the last non-blank character
    text: str
    family: str | None = None
    marker: str = ""
    body: str = ""  #: text after the marker
    kind: Literal["heading", "para", "skip"] = "para"
    level: int = 0


def scan_lines(text: str, excluded: Iterable[tuple[int, int]]) -> list[Line]:
    """Non-blank lines outside excluded ranges, stripped, with absolute offsets.

    A hard-wrapped paragraph (a line that stops mid-sentence, continued by an
    unmarked line) is joined into one line.

    Args:
        text: the document text.
        excluded: ``(start, end)`` ranges to skip (page furniture; overlaps allowed).

    Returns:
        The lines in document order, each with its marker family, marker and body.
    """
    spans = sorted(excluded)
    span_starts = [a for a, _b in spans]
    reach: list[int] = []  # reach[k]: furthest end among spans[: k + 1] (overlaps allowed)
    for _a, b in spans:
        reach.append(max(b, reach[-1]) if reach else b)
    out: list[Line] = []
    pos = 0
    for raw in text.split("\n"):
        lstart, lend = pos, pos + len(raw)
        pos = lend + 1
        stripped_left = raw.lstrip(WS)
        s = lstart + (len(raw) - len(stripped_left))
        e = lstart + len(raw.rstrip(WS))
        k = bisect_right(span_starts, s) - 1  # spans starting at or before the line
        if s >= e or (k >= 0 and e <= reach[k]):  # inside an excluded span
            continue
        line = Line(s, e, text[s:e])
        for family, rx in _LINE_MARKERS:
            m = rx.match(line.text)
            if m:
                line.family, line.marker = family, m.group(0).strip()
                line.body = line.text[m.end() :].lstrip(WS)
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
            and not any(rx.match(line.text) for _f, rx in INLINE_MARKERS)
            and s - prev.end <= 1 + (len(raw) - len(raw.lstrip(WS)))
        ):  # a hard-wrapped paragraph: the previous line stops mid-sentence
            prev.end, prev.text = e, text[prev.start : e]
            prev.body = prev.text
            continue
        out.append(line)
    return out


def is_heading_text(body: str) -> bool:
    """Short, and no sentence punctuation except possibly at its very end.

    Args:
        body: a line's text after its marker.

    Returns:
        True when the text can be a heading.
    """
    core = body.rstrip("。.:：")
    return 0 < len(core) <= HEADING_MAX and not any(c in core for c in "。；;！？")


def classify_lines(lines: list[Line]) -> None:
    """Decide heading / paragraph / skip, and assign levels to headings (in place).

    Args:
        lines: lines from :func:`scan_lines`; their ``kind`` and ``level`` are set.
    """
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
            if line.family == "md" or (is_heading_text(line.body) and has_children):
                line.kind = "heading"
            continue
        # unmarked
        prev = lines[i - 1] if i > 0 else None
        if _DATE_LINE.match(line.text) or (
            len(line.text) <= 60 and (_INTRO.search(line.text) or line.text.endswith(("：", ":")))
        ):
            line.kind = "skip"
        elif (
            is_heading_text(line.text)
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


def find_body_start(lines: list[Line], year: int | None) -> int:
    """Where the body begins: title lines and the preamble come before it.

    The body opens at the first marked heading, or at an earlier unmarked heading
    that states a role (``2004年工作回顾``) once a first real paragraph has been
    read (so title lines, which also name years and "情况", are not taken for it).
    Without any heading, only the first line (the title) is not body.

    Args:
        lines: classified lines (:func:`classify_lines`).
        year: the reporting year, when known.

    Returns:
        The offset where the body starts.
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
