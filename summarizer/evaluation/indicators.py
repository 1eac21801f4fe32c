"""Grade indicator tags on predicted figures against the gold's ``indicators``.

A predicted tag is a figure of any predicted item carrying ``indicator``; a gold
entry is one element of a gold item's ``indicators``. They match one to one
when their spans overlap (the figure finder and the annotator may differ on a
leading ``翻`` or ``超``) and ``measure`` and ``kind`` agree; overlapping pairs
with the largest overlap are taken first. On the matches, ``name`` and
``period`` are compared exactly. The headline score keeps the gold entries whose
name has a canonical key (``figures/indicators.yaml``) and the predicted tags
with a canonical key, and needs the keys to agree too.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ..figures.indicators import canonical_key
from ..schema import Item
from .dataset import GoldIndicator, GoldItem
from .report import IndicatorScores, Scores

__all__ = ["IndicatorPair", "evaluate_indicators", "match_indicators"]


@dataclass(frozen=True, slots=True)
class _Tag:
    start: int
    end: int
    name: str
    canonical: str | None
    measure: str
    kind: str
    period: str


@dataclass(frozen=True, slots=True)
class IndicatorPair:
    """A gold entry (index into the gold list) matched to a predicted tag."""

    gold: int
    pred: int
    overlap: int


def _predicted(pred: Sequence[Item]) -> list[_Tag]:
    seen: dict[tuple[int, int], _Tag] = {}
    for item in pred:
        for f in item.figures:
            ind = f.indicator
            if ind is not None and (f.start, f.end) not in seen:
                seen[(f.start, f.end)] = _Tag(
                    f.start, f.end, ind.name, ind.canonical, ind.measure, ind.kind, ind.period
                )
    return sorted(seen.values(), key=lambda t: (t.start, t.end))


def _gold(gold: Sequence[GoldItem]) -> list[GoldIndicator]:
    return [g for item in gold for g in item.indicators]


def match_indicators(
    gold: Sequence[GoldIndicator], pred: Sequence[_Tag], *, headline: bool = False
) -> list[IndicatorPair]:
    """One-to-one matches: overlapping spans, same measure and kind (and key, for headline)."""
    candidates: list[IndicatorPair] = []
    for gi, g in enumerate(gold):
        key = canonical_key(g.indicator) if headline else None
        if headline and key is None:
            continue
        for pi, p in enumerate(pred):
            ov = min(g.end, p.end) - max(g.start, p.start)
            if ov <= 0 or g.measure != p.measure or g.kind != p.kind:
                continue
            if headline and p.canonical != key:
                continue
            candidates.append(IndicatorPair(gi, pi, ov))
    candidates.sort(key=lambda c: (-c.overlap, c.gold, c.pred))
    used_g: set[int] = set()
    used_p: set[int] = set()
    pairs = []
    for c in candidates:
        if c.gold in used_g or c.pred in used_p:
            continue
        used_g.add(c.gold)
        used_p.add(c.pred)
        pairs.append(c)
    return sorted(pairs, key=lambda c: c.gold)


def evaluate_indicators(gold: Sequence[GoldItem], pred: Sequence[Item]) -> IndicatorScores | None:
    """Indicator scores of one document; None when its gold tags no indicator."""
    gold_tags = _gold(gold)
    if not gold_tags:
        return None
    tags = _predicted(pred)
    pairs = match_indicators(gold_tags, tags)
    heads = match_indicators(gold_tags, tags, headline=True)
    n_gold_head = sum(1 for g in gold_tags if canonical_key(g.indicator) is not None)
    n_pred_head = sum(1 for t in tags if t.canonical is not None)
    return IndicatorScores.of(
        Scores.of(len(pairs), len(tags), len(gold_tags)),
        Scores.of(len(heads), n_pred_head, n_gold_head),
        sum(1 for p in pairs if gold_tags[p.gold].indicator == tags[p.pred].name),
        sum(1 for p in pairs if gold_tags[p.gold].period == tags[p.pred].period),
    )
