"""The rules backend: no model, the baseline every model must beat.

Section role -> category, unit -> item, summary = the unit's point compressed
from its own text (:mod:`.summaries`), figures from the number finder.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..schema import Category, Item, ValidationNote, ValidationStatus
from ..structure.sections import Outline, Unit
from .grounding import build_item
from .summaries import compress

MIN_LEAD = 6  #: a lead shorter than this is not a useful summary; use the first sentence


def rule_summary(unit: Unit, limit: int = 80) -> str:
    """The unit's point compressed from its own text (:func:`.summaries.compress`).

    When nothing is left to compress: the unit's lead clause, or its first
    sentence when the lead is too short.
    """
    compressed = compress(unit.text)
    if compressed:
        return compressed
    lead = unit.lead
    if len(lead) >= MIN_LEAD:
        return lead
    body = unit.text[len(unit.marker) :].strip() if unit.marker else unit.text.strip()
    for stop in "。！？!?；;":
        cut = body.find(stop)
        if cut > 0:
            body = body[:cut]
    return body[:limit] or unit.text[:limit]


def rule_category(unit: Unit) -> Category | None:
    """The category a unit's role maps to, or None for units that state no item."""
    return unit.role if unit.role != "other" else None


def item_id(unit: Unit) -> str:
    """The id of the item built from ``unit`` (stable across backends)."""
    return f"i{unit.id[1:]}"


def rule_item(
    unit: Unit,
    text: str,
    *,
    status: ValidationStatus = "ok",
    notes: Sequence[ValidationNote] = (),
) -> Item | None:
    """The rules item of one unit (None when the unit states no item)."""
    category = rule_category(unit)
    if category is None:
        return None
    return build_item(
        item_id(unit),
        text=text,
        units=[unit],
        category=category,
        summary=rule_summary(unit),
        status=status,
        notes=notes,
    )


def rules_items(outline: Outline, units: Iterable[Unit] | None = None) -> list[Item]:
    """One item per unit whose role is a category, in document order."""
    chosen = outline.units if units is None else units
    return [it for u in chosen if (it := rule_item(u, outline.text)) is not None]
