"""Section roles: achievement / shortcoming / plan / other.

A role comes from the words of a heading (``工作回顾``, ``存在问题``, ``下一步``…),
from a year it names (a year after the reporting year reads as a plan), and
otherwise from position (see :func:`summarizer.structure.sections.parse_outline`: an
unlabelled section inherits its parent's role, and an unlabelled top section
after a plan section is a plan). A unit inside a section may say its role
outright (``今后，…``, ``下一步，…``, ``但也要看到…不足``); :func:`unit_role_override`
reads only such explicit openings.
"""

from __future__ import annotations

import re
from typing import Literal

Role = Literal["achievement", "shortcoming", "plan", "other"]

#: Heading keywords per role. Where several match, the earliest in the heading wins,
#: so "问题整改情况" (rectification done) reads as achievement and
#: "存在的不足、原因和问题整改情况" as shortcoming.
HEADING_KEYWORDS: dict[Role, tuple[str, ...]] = {
    "achievement": (
        "整改情况",
        "整改落实",
        "工作回顾",
        "回顾",
        "主要举措",
        "举措和成效",
        "主要成效",
        "工作成效",
        "主要做法",
        "工作开展情况",
        "完成情况",
        "进展情况",
        "主要工作",
        "取得的成绩",
        "成绩",
        "工作情况",
        "基本情况",
        "履行",
        "Achievements",
        "Progress",
        "Review",
    ),
    "shortcoming": (
        "存在的问题",
        "存在问题",
        "主要问题",
        "问题和不足",
        "困难和问题",
        "不足",
        "差距",
        "短板",
        "薄弱",
        "原因",
        "挑战",
        "Problems",
        "Shortcomings",
        "Challenges",
        "Weaknesses",
    ),
    "plan": (
        "下一步",
        "今后",
        "工作展望",
        "展望",
        "工作安排",
        "初步安排",
        "主要安排",
        "工作计划",
        "工作打算",
        "工作思路",
        "发展思路",
        "总体要求",
        "主要任务",
        "目标任务",
        "预期目标",
        "主要目标",
        "重点任务",
        "奋斗目标",
        "工作建议",
        "Plans",
        "Next steps",
        "Outlook",
        "Priorities",
    ),
}

_YEAR = re.compile(r"(?<!\d)(19|20)\d{2}(?=\s*年)")
_FUTURE_OPENERS = re.compile(r"^(今后|下一步|下步|明年|新的一年|未来|展望)")
_SHORTFALL_OPENERS = re.compile(r"^(但|然而|存在的(主要)?问题|(主要)?问题(是|有)[：:])")
#: Admissions that open a paragraph of a review ("在总结成绩的同时，我们也清醒地认识到…").
_SHORTFALL_PHRASES = re.compile(
    r"(清醒地?(看到|认识到)|也(要|应当?|必须)?(看到|认识到)|不足之处|(困难|问题)和(问题|挑战|不足)|差距和不足)"
)
_CLOSINGS = re.compile(r"^(总之|总而言之|特此报告|以上报告)")


def classify_heading(title: str, *, year: int | None = None) -> Role | None:
    """The role a heading states, or None when it does not say.

    Args:
        title: heading text without its marker.
        year: reporting year; a heading naming a later year is a plan
            (``2025年推进法治政府建设的初步安排``), one naming that year with
            ``回顾``/``工作`` is not thereby a plan.
    """
    best: tuple[int, Role] | None = None
    for role, words in HEADING_KEYWORDS.items():
        for w in words:
            at = title.find(w)
            if at >= 0 and (best is None or at < best[0]):
                best = (at, role)
    if best is not None and best[1] != "achievement":
        return best[1]
    if year is not None:
        years = [int(m.group(0)) for m in _YEAR.finditer(title)]
        if any(y > year for y in years) and "回顾" not in title:
            return "plan"
    return best[1] if best else None


def unit_role_override(text: str, role: Role, *, year: int | None = None) -> Role:
    """A unit's role: its section's, unless its opening says otherwise outright.

    Only explicit openings count: ``今后…``/``下一步…``/``<next year>年，…将`` mark a
    plan; ``但…``/``我们也清醒地看到…`` a shortcoming inside a review; ``总之…``
    a closing formula (``other``).
    """
    head = text.lstrip()[:40]
    if _CLOSINGS.match(head):
        return "other"
    if role != "plan" and _FUTURE_OPENERS.match(head):
        return "plan"
    if role != "plan" and year is not None:
        m = re.match(r"^(\d{4})年[，,]", head)
        if m and int(m.group(1)) > year and "将" in text[:80]:
            return "plan"
    first = re.split(r"[。！？!?]", head, maxsplit=1)[0]
    if role == "achievement" and (
        _SHORTFALL_OPENERS.match(head) or _SHORTFALL_PHRASES.search(first)
    ):
        return "shortcoming"
    return role
