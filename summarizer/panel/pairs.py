"""Targets set in one report against the outcomes stated in the next.

A *target* row (``kind=target``) of report year ``Y`` for period ``Y+1`` is
paired with the *actual* row (``kind=actual``) of the same issuer key,
canonical indicator and measure whose period is ``Y+1``, taken from a report
about ``Y+1``. Only single-year periods pair (five-year ranges do not). When a
report states the same indicator twice, its first statement is used (the
target passage and the review's opening come first).

Whether the target was met respects its qualifier:

- ``以内 以下 不超过 不高于`` (and a canonical indicator listed as an upper bound,
  e.g. unemployment rate, CPI) -> ``actual <= target``;
- ``左右`` -> within 5% of the target counts as met (``actual >= 0.95 * target``,
  or ``<= 1.05 * target`` for an upper bound);
- ``以上 超过``, or none -> ``actual >= target``.

Values of different unit classes (``%`` against ``亿元``) are not compared
(``met`` is empty).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .collect import PanelRow

__all__ = ["UPPER_BOUND_CANONICAL", "Pair", "is_met", "pair_targets"]

#: Headline indicators whose targets are ceilings (lower is better).
UPPER_BOUND_CANONICAL = frozenset({"unemployment_rate", "cpi", "energy_intensity"})
_UPPER = ("以内", "以下", "不超过", "不高于")
_NEAR = 0.05
_RATE = frozenset({"%", "‰", "个百分点", "百分点"})


@dataclass(frozen=True, slots=True)
class Pair:
    """One target with the outcome reported for it."""

    issuer: str
    canonical: str
    measure: str
    period: str
    target: PanelRow
    actual: PanelRow
    met: bool | None


def _unit_class(unit: str) -> str:
    return "rate" if unit in _RATE else unit[-1:]


def is_met(target: PanelRow, actual: PanelRow, *, upper_bound: bool = False) -> bool | None:
    """Whether ``actual`` meets ``target`` given the target's qualifier; None if incomparable."""
    if _unit_class(target.unit) != _unit_class(actual.unit):
        return None
    q = target.qualifier
    ceiling = upper_bound or any(w in q for w in _UPPER)
    near = "左右" in q
    t, a = target.value, actual.value
    if ceiling:
        return a <= (t + abs(t) * _NEAR if near else t)
    return a >= (t - abs(t) * _NEAR if near else t)


def pair_targets(rows: Iterable[tuple[str, PanelRow]]) -> list[Pair]:
    """Pair targets with actuals; ``rows`` are ``(issuer_key, row)`` in document order."""
    targets: dict[tuple[str, str, str, str], PanelRow] = {}
    actuals: dict[tuple[str, str, str, str], PanelRow] = {}
    for key, row in rows:
        if row.canonical is None or not row.period.isdigit() or row.report_year is None:
            continue
        k = (key, row.canonical, row.measure, row.period)
        year = int(row.period)
        if row.kind == "target" and year == row.report_year + 1:
            targets.setdefault(k, row)
        elif row.kind == "actual" and year == row.report_year:
            actuals.setdefault(k, row)
    pairs = []
    for k in sorted(targets.keys() & actuals.keys()):
        target, actual = targets[k], actuals[k]
        met = is_met(target, actual, upper_bound=k[1] in UPPER_BOUND_CANONICAL)
        pairs.append(Pair(k[0], k[1], k[2], k[3], target, actual, met))
    return pairs
