"""Items from units: evidence and figures come from the source by construction.

Both backends build items here. A model only chooses which units an item
cites, its category and its wording; the spans and figure values are read off
the cited units, so every item is grounded before any validation runs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..figures.numbers import Figure, find_figures
from ..schema import (
    CallRecord,
    Category,
    FigureOut,
    Item,
    Span,
    Usage,
    ValidationNote,
    ValidationStatus,
)
from ..settings import Backend, ResolvedScope
from ..structure.sections import Unit


def figure_out(f: Figure) -> FigureOut:
    """The output form of a figure found in the source."""
    return FigureOut(
        text=f.text, value=f.value, unit=f.unit, qualifier=f.qualifier, start=f.start, end=f.end
    )


def unit_figures(text: str, units: Sequence[Unit]) -> list[Figure]:
    """Every figure the regex finds in the given units, in document order."""
    found: list[Figure] = []
    for u in sorted(units, key=lambda u: u.start):
        found.extend(find_figures(text, u.start, u.end))
    return found


def build_item(
    item_id: str,
    *,
    text: str,
    units: Sequence[Unit],
    category: Category,
    summary: str,
    figures: Sequence[Figure] | None = None,
    topic: str | None = None,
    status: ValidationStatus = "ok",
    notes: Sequence[ValidationNote] = (),
) -> Item:
    """An item citing ``units``: evidence spans are the units' exact spans.

    Args:
        item_id: id unique within the document.
        text: the document's plain text (offsets refer to it).
        units: the cited units (at least one).
        category: achievement, shortcoming or plan.
        summary: one sentence.
        figures: figures to report; default: every figure in the units.
        topic: optional topic label.
        status: validation status.
        notes: validation notes to attach.
    """
    ordered = sorted(units, key=lambda u: u.start)
    evidence = [Span(start=u.start, end=u.end, text=text[u.start : u.end]) for u in ordered]
    figs = unit_figures(text, ordered) if figures is None else list(figures)
    return Item(
        id=item_id,
        category=category,
        summary=summary,
        topic=topic,
        evidence=evidence,
        figures=[figure_out(f) for f in figs],
        section_path=list(ordered[0].path),
        unit_ids=[u.id for u in ordered],
        status=status,
        validation=list(notes),
    )


@dataclass(frozen=True, slots=True)
class ExtractResult:
    """What a backend returns for one document."""

    items: list[Item]
    backend: Backend = "rules"  #: which backend produced the items
    usage: Usage = field(default_factory=Usage)
    model: str | None = None
    prompt_version: str | None = None
    warnings: list[str] = field(default_factory=list)
    #: what the backend left out or removed, with reasons (never silently)
    removed: list[ValidationNote] = field(default_factory=list)
    estimated_tokens: int | None = None
    calls: list[CallRecord] = field(default_factory=list)
    model_scope: ResolvedScope | None = None  #: what the model was asked
