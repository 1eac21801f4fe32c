"""Headings -> section tree -> units (the smallest enumerated points).

(Contract; implementation in progress.)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Role = Literal["achievement", "shortcoming", "plan", "other"]


@dataclass(frozen=True, slots=True)
class Section:
    """A heading and the text it governs."""

    id: str  #: 's1', 's2', ... in document order
    title: str  #: heading text without its marker
    marker: str  #: '一、', '(一)', '1、', '#', ...
    level: int  #: 1 = top
    start: int  #: heading start
    end: int  #: end of the section's text (exclusive)
    parent: str | None
    role: Role
    path: tuple[str, ...]  #: titles from the top section down to this one


@dataclass(frozen=True, slots=True)
class Unit:
    """The smallest enumerated point: what an item is built from."""

    id: str  #: 'u1', 'u2', ... in document order
    start: int
    end: int
    text: str  #: document.text[start:end]
    section: str | None  #: id of the innermost section holding it
    path: tuple[str, ...]  #: section titles, top down
    role: Role  #: role inherited from its section
    marker: str  #: '一是', '1、', '(1)', '' for a plain paragraph
    lead: str  #: the unit's lead clause (heading-like first sentence)


@dataclass(frozen=True, slots=True)
class Outline:
    """The deterministic structure of one document."""

    text: str
    sections: tuple[Section, ...]
    units: tuple[Unit, ...]

    def unit(self, unit_id: str) -> Unit | None:
        return next((u for u in self.units if u.id == unit_id), None)
