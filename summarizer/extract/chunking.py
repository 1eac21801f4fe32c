"""Units -> token-budgeted chunks for the model.

A chunk holds consecutive units, grouped under their section path with the
section's structural hint, and never splits a unit. Chunks close when the next
unit would pass the prompt-token budget or the per-call unit cap (which bounds
how much a small local model must write in one answer). Only units are sent:
no page furniture, no preamble, no repeated document text. A unit's text is
cut at ``max_unit_chars`` in the prompt (its evidence in the output is whole).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ..structure.sections import Unit

TokenCounter = Callable[[str], int]


@dataclass(frozen=True, slots=True)
class PromptUnit:
    """A unit as the model sees it."""

    id: str
    text: str  #: possibly shortened for the prompt


@dataclass(frozen=True, slots=True)
class Group:
    """Consecutive units of one section."""

    path: tuple[str, ...]
    hint: str  #: the section's role, as a hint
    units: tuple[PromptUnit, ...]


@dataclass(frozen=True, slots=True)
class Chunk:
    """What one model call sees."""

    index: int
    groups: tuple[Group, ...]
    tokens: int  #: estimated prompt tokens of the unit text

    @property
    def unit_ids(self) -> tuple[str, ...]:
        return tuple(u.id for g in self.groups for u in g.units)


def prompt_text(unit: Unit, max_chars: int) -> str:
    """The unit's text for the prompt: whitespace folded, cut at ``max_chars``."""
    text = " ".join(unit.text.split())
    return text if len(text) <= max_chars else text[: max_chars - 1] + "…"


def make_chunks(
    units: Sequence[Unit],
    *,
    count_tokens: TokenCounter,
    budget: int,
    max_units: int = 8,
    max_unit_chars: int = 360,
) -> list[Chunk]:
    """Pack units in order into chunks under ``budget`` prompt tokens.

    Args:
        units: units to send, in document order.
        count_tokens: token counter for the target model.
        budget: prompt tokens of unit text per chunk (a single larger unit gets its own chunk).
        max_units: most units in one chunk.
        max_unit_chars: longest unit text shown to the model.
    """
    chunks: list[Chunk] = []
    current: list[tuple[Unit, PromptUnit]] = []
    used = 0

    def close() -> None:
        nonlocal current, used
        if current:
            chunks.append(Chunk(len(chunks), _group(current), used))
        current, used = [], 0

    for unit in units:
        pu = PromptUnit(unit.id, prompt_text(unit, max_unit_chars))
        cost = count_tokens(pu.text) + 4
        if current and (used + cost > budget or len(current) >= max_units):
            close()
        current.append((unit, pu))
        used += cost
    close()
    return chunks


def _group(pairs: list[tuple[Unit, PromptUnit]]) -> tuple[Group, ...]:
    groups: list[Group] = []
    for unit, pu in pairs:
        if groups and groups[-1].path == unit.path and groups[-1].hint == unit.role:
            last = groups[-1]
            groups[-1] = Group(last.path, last.hint, (*last.units, pu))
        else:
            groups.append(Group(unit.path, unit.role, (pu,)))
    return tuple(groups)
