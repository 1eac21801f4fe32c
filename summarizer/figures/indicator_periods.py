"""Which year or range an indicator figure is for.

A year written in the clause wins; otherwise the report's own year ``Y`` for actuals
and ``Y+1`` for targets; in a five-year passage changes, cumulative and held values
cover the range and levels the end year; the base of a change is the year before.

May import: ``summarizer.errors`` and ``summarizer.schema``.
"""

from __future__ import annotations

import re
from typing import Final, Literal

__all__ = ["TO", "Kind", "Measure", "five_year", "in_target_passage", "period_of"]

Measure = Literal["level", "change"]
Kind = Literal["actual", "target"]

#: Words after a change verb that make it a level reached (提高到…).
TO: Final = frozenset(["到", "至", "为"])
_HELD = frozenset(
    [
        "稳定在",
        "保持在",
        "控制在",
        "累计",
        "年均",
        "年平均",
        "每年",
        "共",
        "总计",
        "合计",
        "完成",
        "实现",
    ]
)
_MULTI_YEAR = frozenset(["年均", "年平均", "每年", "累计"])
_YEAR_RANGE_RE = re.compile(r"((?:19|20)\d\d)\s*[-－—–~～至到]\s*((?:19|20)\d\d)年")
_YEAR_RE = re.compile(r"((?:19|20)\d\d)年(?!以来|起|开始|前)")
_BY_YEAR_RE = re.compile(r"(?:到|至)\s*((?:19|20)\d\d)\s*年(?:底|末)?[，,]")
_TARGET_CUE_RE = re.compile(r"(?:预期|主要)目标(?:任务)?(?:是|为)[:：]?")
_FIVE_RE = re.compile(
    r"五年(?!行动|规划|计划|规定|一次)|“?十[一二三四五六七八九]五”?(?:时期|期间|以来|末|规划目标)"
    r"|(?:19|20)\d\d年?\s*(?:到|至|-|—|－)\s*(?:19|20)\d\d年"
)
_ANNUAL_RE = re.compile(r"(?:19|20)\d\d年(?!以来|起)|刚刚过去的|过去一年|今年|去年|全年|本年")


def in_target_passage(before: str) -> bool:
    """Whether the figure stands in a ``主要预期目标是：…`` passage (up to its full stop)."""
    cue = max((m.end() for m in _TARGET_CUE_RE.finditer(before)), default=-1)
    return cue >= 0 and "。" not in before[cue:]


def five_year(before: str, section: str) -> bool:
    """Whether the words before the figure (else the section heading) speak of five years."""
    last_five = max((m.end() for m in _FIVE_RE.finditer(before)), default=-1)
    last_year = max((m.end() for m in _ANNUAL_RE.finditer(before)), default=-1)
    if last_five >= 0 or last_year >= 0:
        return last_five >= last_year  # 2020年到2025年: the range, not its last year
    # a heading of both ("2025年和“十四五”时期工作回顾") reads as the year: the text says more
    return bool(_FIVE_RE.search(section)) and not _ANNUAL_RE.search(section)


def period_of(
    year: int | None,
    *,
    kind: Kind,
    measure: Measure,
    verbs: frozenset[str],
    base: bool,
    clause: str,
    sentence: str,
    five: bool,
    flow: bool = False,
) -> str:
    """The year or range a figure is for (see the module docstring of ``indicators``)."""
    rng = _YEAR_RANGE_RE.search(clause)
    if rng:
        return f"{rng[1]}-{rng[2]}"
    explicit = [int(m[1]) for m in _YEAR_RE.finditer(clause)]
    if explicit:
        return str(explicit[-1])
    by_year = [] if base else [int(m[1]) for m in _BY_YEAR_RE.finditer(sentence)]
    if year is None:
        return str(by_year[-1]) if by_year else ""
    held = flow or (bool(verbs & _HELD) and not (verbs & TO))
    five = five or bool(verbs & _MULTI_YEAR)
    later = [int(m[1]) for m in _YEAR_RE.finditer(sentence) if int(m[1]) > year + 1]
    goals = (by_year or later) if kind == "target" and not base else []
    if goals:
        goal = goals[-1]
        # 到2030年，…突破百亿元 / 2030年全县…，经济总量突破百亿元: that year's goal;
        # 年均增长 on the way there: the years up to it
        if goal > year + 1 and five and (measure == "change" or held):
            return f"{year + 1}-{goal}"
        return str(goal)
    if by_year:
        return str(by_year[-1])
    if kind == "actual":
        if base:
            return str(year - 5 if five else year - 1)
        if five and (measure == "change" or held):
            return f"{year - 4}-{year}"
        return str(year)
    if five:
        if measure == "change" or held:
            return f"{year + 1}-{year + 5}"
        return str(year + 5)
    return str(year + 1)
