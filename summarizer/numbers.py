"""Figures: find every quantity in Chinese official text, normalise it, compare it.

(Contract; implementation in progress.)
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Figure:
    """A quantity found in the text."""

    text: str  #: exactly as written, qualifiers included: '近9千多份', '98%以上'
    start: int  #: offset into the text passed to find_figures (absolute)
    end: int
    value: float  #: normalised: 万/亿/千/百 applied, Chinese numerals converted; 91% -> 91.0
    unit: str  #: unit or measure word: '人次', '%', '亿元', '' if none
    qualifier: str  #: '近', '约', '余', '多', '以上', '左右', '超过', ... or ''


def find_figures(text: str, start: int = 0, end: int | None = None) -> list[Figure]:
    """Every figure in ``text[start:end]``, in order, with absolute offsets."""
    raise NotImplementedError


def parse_figure(text: str) -> Figure | None:
    """Parse a figure as a model might state it ('95宗', '1.2万人'); None if no number."""
    raise NotImplementedError


def values_match(a: float, b: float) -> bool:
    """Whether two normalised values denote the same quantity (relative tolerance)."""
    raise NotImplementedError
