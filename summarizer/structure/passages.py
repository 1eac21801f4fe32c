"""Passages found by what they say, not by a heading.

Government work reports (and many annual reports) put whole parts of their
argument in plain paragraphs with no heading of their own. This module reads
those paragraphs by their wording, deterministically:

* **Problems passage** (:func:`find_problem_passages`): an admission formula
  (``在肯定成绩的同时，我们也清醒地看到…存在…问题和不足``) opens it inside a
  review; the enumeration inside it (``一是…二是…``, ``…主要是：…；…；…``, or
  marked paragraphs that follow) carries the shortcomings; a closing sentence
  (``对此，我们将…``, ``我们一定…``) or a heading ends it. The sentence that
  only introduces the list and the closing sentence are segments of role
  ``other``: kept as units, never items.
* **Paragraph formulas** (:func:`paragraph_segments`): thanks
  (``我代表…向…表示衷心的感谢``), lessons (``我们深刻体会到``), scene-setting
  (``今年是…之年``), a closing call (``让我们…``), a bare greeting
  (``各位代表！``) and a list lead-in (``重点抓好十个方面工作。``) state no item
  (``other``); a paragraph that turns from the past year to the new one
  (``过去一年，…；新的一年，我们要…``) is cut where its time reference turns.

Each segment is ``(start, end, role)`` in absolute offsets; the outline parser
(:mod:`summarizer.structure.sections`) splits the segments into units.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .headings import INLINE_MARKERS, WS, Line
from .roles import Role

__all__ = ["Segment", "find_problem_passages", "paragraph_segments"]


@dataclass(frozen=True, slots=True)
class Segment:
    """A stretch of one paragraph with the role its wording gives it."""

    start: int  #: absolute offset
    end: int  #: absolute offset (exclusive)
    role: Role
    #: why: 'problems' (inside a problems passage), 'problems-intro',
    #: 'problems-close', 'thanks', 'lessons', 'scene', 'call', 'greeting',
    #: 'lead-in', 'past', 'future', '' (the section's role, nothing said)
    reason: str = ""


# --- problems passages -------------------------------------------------------

#: An admission verb: 清醒地看到 / 也要认识到 / 同时也应看到 / 清楚地意识到.
_ADMISSION = re.compile(
    r"(清醒|清楚|深刻)[地的]?(看到|认识到|意识到)|(也|还|同时)(要|应当?|必须|需要)?(看到|认识到|意识到)"
    r"|在(肯定|总结|看到)(成绩|成就)[^。！？]{0,8}的同时|(肯定|看到)成绩的同时"
    r"|(也|还|我们)深知|(前进|发展)的?道路上[^。！？]{0,12}(还|仍)"
)
RHETORIC_MAX = 30  #: longest rhetorical lead (安不忘危、稳不忘忧。) before the admission
#: What the admission is about.
_PROBLEM_NOUN = re.compile(r"问题|不足|困难|差距|矛盾|挑战|短板|弱项|薄弱|隐患|缺点")
#: A sentence that closes a problems passage: 对此，我们将… / 我们一定…
_CLOSING = re.compile(
    r"(对此|对这些|对于这些|对上述|针对这些|针对上述|我们(一定|将|要|必须|会|决心|定将|坚决))"
)
_SENTENCE_END = "。！？!?"
_INTRO_END = "。！？!?：:"


def _first_sentence_end(text: str, stops: str) -> int:
    """Index after the first sentence terminator in ``stops`` (len(text) when none)."""
    for i, c in enumerate(text):
        if c in stops:
            return i + 1
    return len(text)


def _admission_end(text: str) -> int | None:
    """End (relative) of the sentence admitting problems, if the paragraph opens with one.

    The admission is the first sentence, after a greeting (``各位代表！``) and at
    most one short rhetorical lead (``安不忘危、稳不忘忧。``).
    """
    greeting = _GREETING_PREFIX.match(text)
    pos = greeting.end() if greeting else 0
    for k in range(2):
        end = pos + _first_sentence_end(text[pos:], _INTRO_END)
        sentence = text[pos:end]
        m = _ADMISSION.search(sentence)
        if m is not None and _PROBLEM_NOUN.search(sentence, m.start()) is not None:
            return end
        if k == 0 and len(sentence) > RHETORIC_MAX:
            return None
        pos = end
    return None


def is_problems_opening(text: str) -> bool:
    """Whether a paragraph opens a problems passage: its first sentence admits problems.

    Args:
        text: the paragraph (a line's text).

    Returns:
        True for ``我们也清醒地看到，…还存在不少困难和问题`` and the like.
    """
    return _admission_end(text) is not None


def _closing_at(text: str, begin: int) -> int | None:
    """Offset (relative) of the first sentence from ``begin`` on that closes the passage."""
    pos = begin
    while pos < len(text):
        lead = pos
        while lead < len(text) and text[lead] in WS:
            lead += 1
        if _CLOSING.match(text, lead):
            return lead
        nxt = _first_sentence_end(text[pos:], _SENTENCE_END)
        pos += nxt
    return None


def _opens_with_marker(line: Line) -> bool:
    if line.family is not None and line.family != "md":
        return True
    return any(rx.match(line.text) for _f, rx in INLINE_MARKERS)


def _problem_segments(line: Line, *, opening: bool) -> tuple[list[Segment], bool]:
    """Segments of one paragraph of a problems passage, and whether the passage closed."""
    text, base = line.text, line.start
    segments: list[Segment] = []
    body_from = 0
    if opening:
        intro_end = _admission_end(text) or _first_sentence_end(text, _INTRO_END)
        rest = text[intro_end:].strip(WS)
        if rest and not _CLOSING.match(rest):
            segments.append(Segment(base, base + intro_end, "other", "problems-intro"))
            body_from = intro_end
    close = _closing_at(text, body_from)
    body_to = len(text) if close is None else close
    if text[body_from:body_to].strip(WS):
        segments.append(Segment(base + body_from, base + body_to, "shortcoming", "problems"))
    if close is not None:
        segments.append(Segment(base + close, base + len(text), "other", "problems-close"))
    if not segments:  # nothing but an intro: keep it whole as the passage's one item
        segments.append(Segment(base, base + len(text), "shortcoming", "problems"))
    return segments, close is not None


def find_problem_passages(lines: list[Line], review: list[bool]) -> dict[int, list[Segment]]:
    """Problems passages without their own heading, as segments per line index.

    A passage opens at a paragraph (or a list-introducing line) whose first
    sentence admits problems (:func:`is_problems_opening`), inside a part the
    structure reads as review (``review[i]``). It continues over the following
    paragraphs that open with a list marker (``一是``, ``（一）``, ``1、``…) and
    ends at a closing sentence (``对此，我们将…``), a heading, or an unmarked
    paragraph; a paragraph right after it that opens with ``对此``/``对这些问题``
    is its closing.

    Args:
        lines: the classified lines of the body.
        review: per line, whether the line lies in a review (achievement) part.

    Returns:
        ``{line index: segments}`` for every line the passages cover.
    """
    out: dict[int, list[Segment]] = {}
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.kind == "heading" or not review[i] or not is_problems_opening(line.text):
            i += 1
            continue
        segments, closed = _problem_segments(line, opening=True)
        if line.kind == "skip":  # a list-introducing line: it is the intro, never an item
            segments = [Segment(line.start, line.end, "other", "problems-intro")]
        out[i] = segments
        j = i + 1
        # marked paragraphs after it are its list when it announces one (…主要是：) or
        # when they go on with an inline enumeration (三是…); a （二）… paragraph after
        # a complete passage is the review going on
        announces = line.kind == "skip" or line.text.rstrip(WS).endswith(("：", ":"))
        while not closed and j < len(lines):
            nxt = lines[j]
            inline = any(rx.match(nxt.text) for _f, rx in INLINE_MARKERS)
            if nxt.kind != "para" or not (inline or (announces and _opens_with_marker(nxt))):
                break
            out[j], closed = _problem_segments(nxt, opening=False)
            j += 1
        if j < len(lines) and lines[j].kind == "para" and not closed:
            m = re.match(r"(对此|对这些|对于这些|对上述|针对这些|针对上述)", lines[j].text)
            if m:
                out[j] = [Segment(lines[j].start, lines[j].end, "other", "problems-close")]
                j += 1
        i = j
    return out


# --- paragraph formulas ------------------------------------------------------

_GREETING = re.compile(r"^(各位代表|同志们|各位委员)[！!，,]?$")
_GREETING_PREFIX = re.compile(r"^(各位代表|同志们|各位委员)[！!，,]\s*")
#: Thanks: 我代表…向…表示衷心的感谢 / 致以崇高的敬意.
_THANKS = re.compile(r"我(谨)?代表[^。！？!?]{0,60}?向[^。]{0,400}?(感谢|敬意|问候)")
#: The sentence that leads to the thanks: 这些成绩的取得 / 成绩来之不易 / 我代表…
_THANKS_LEAD = re.compile(
    r"(成绩|成就|成果)[^。！？!?]{0,12}(来之不易|不易|的取得|取得的)|(这些|这一|上述)[^。！？!?]{0,6}(成绩|成就)"
    r"|我(谨)?代表"
)
CONTENT_MIN = 120  #: shortest text before a closing formula read as content without a figure
#: Lessons drawn: 我们深刻体会到 / 最深切的体会是 / 启示我们.
_LESSONS = re.compile(r"^[^。！？]{0,30}(深刻体会到|深切体会到|体会是|体会到|启示我们|深刻认识到)")
#: Scene-setting: 今年是…之年 / “十五五”时期是…关键时期 / 当前，世界…
_SCENE = re.compile(
    r"^(今年|明年|新的一年|[“\"]?十[一二三四五六七]五[”\"]?时期|未来五年|今后五年)"
    r"[^。！？；]{0,80}?(是|为)[^。！？；]{0,80}?(之年|一年|关键期|关键时期|重要时期|时期|节点|起步期|攻坚期)"
    r"|^当前[，,](世界|国际|全球|国内外|外部)"
)
#: Scene-setting that goes on to state the year's requirements or tasks is content.
_STATES_TASKS = re.compile(
    r"(总体要求|基本思路|总体思路|主要任务|主要目标|预期目标|总的要求)(是|为)"
)
#: A closing call: 让我们…
_CALL = re.compile(r"(^|[。！？!?；，,]\s*)让我们")
#: A list lead-in: 重点抓好十个方面工作。 / 着力抓好以下几个方面：
_LEAD_IN = re.compile(
    r"(抓好|做好|突出|推进|开展|把握|落实)(好)?((以下|下列|如下)[几一二三四五六七八九十两\d]*"
    r"|[几一二三四五六七八九十两\d]+)个?方面(的)?(重点)?(工作|任务)?[。：:]?$"
)
_PAST = re.compile(r"(过去(的)?一年|一年来|去年|过去五年|五年来)[，,]")
_FUTURE = re.compile(r"(在新的一年|新的一年|今年|明年|下一步|今后)[，,里中]")

LEAD_IN_MAX = 160  #: longest paragraph read as a list lead-in


def _clauses(text: str) -> list[tuple[int, int]]:
    """Relative ``(start, end)`` of the sentences and ``；`` clauses of a paragraph."""
    out: list[tuple[int, int]] = []
    a = 0
    for i, c in enumerate(text):
        if c in "。！？!?；;":
            out.append((a, i + 1))
            a = i + 1
    if text[a:].strip(WS):
        out.append((a, len(text)))
    return out


def _tail_formula(text: str) -> tuple[int, str] | None:
    """Where a formula that closes a paragraph begins (relative), and which one.

    Thanks begin at the sentence that leads to them (``这些成绩的取得…``,
    ``成绩来之不易``, ``我代表…``); a closing call at the sentence with ``让我们``;
    a list lead-in is the last sentence (``重点抓好十个方面工作。``).
    """
    sentences = _clauses_by_sentence(text)
    if _THANKS.search(text):
        for a, b in sentences:
            if _THANKS_LEAD.search(text, a, b):
                return a, "thanks"
    for a, b in sentences:
        if _CALL.search(text[a:b]):
            return a, "call"
    if sentences:
        a, b = sentences[-1]
        if b - a <= LEAD_IN_MAX and _LEAD_IN.search(text[a:b].strip(WS)):
            return a, "lead-in"
    return None


def _is_content(head: str) -> bool:
    """Whether the text before a closing formula states something of its own.

    Rhetoric (``五年攻坚克难、拼搏奋进，…越走越宽广！``) does not; a figure or a
    long stretch of text does.
    """
    core = _GREETING_PREFIX.sub("", head.strip(WS)).strip(WS)
    return len(core) > CONTENT_MIN or bool(re.search(r"[0-9０-９%％]", core))


def _clauses_by_sentence(text: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    a = 0
    for i, c in enumerate(text):
        if c in "。！？!?":
            out.append((a, i + 1))
            a = i + 1
    if text[a:].strip(WS):
        out.append((a, len(text)))
    return out


def formula_reason(text: str) -> str | None:
    """The formula a whole paragraph is, when it states no item; None otherwise.

    A paragraph that opens with content and closes with thanks, a call or a
    lead-in is not a formula as a whole (:func:`paragraph_segments` cuts it).

    Args:
        text: the paragraph.

    Returns:
        'greeting', 'thanks', 'lessons', 'scene', 'call' or 'lead-in', or None.
    """
    body = text.strip(WS)
    if _GREETING.match(body):
        return "greeting"
    core = _GREETING_PREFIX.sub("", body)
    if _LESSONS.match(core):
        return "lessons"
    if _SCENE.match(core) and not _STATES_TASKS.search(core):
        return "scene"
    tail = _tail_formula(body)
    if tail is not None and not _is_content(body[: tail[0]]):
        return tail[1]
    return None


def paragraph_segments(start: int, text: str, role: Role) -> list[Segment]:
    """The segments of one paragraph outside problems passages.

    A formula paragraph (:func:`formula_reason`) is one ``other`` segment. In a
    plan part, a paragraph whose sentences turn from the past year
    (``过去一年，…``) to the new one (``新的一年，我们要…``) is cut at each turn:
    the past stretch is an achievement, the new one a plan. Otherwise the whole
    paragraph keeps the section's role.

    Args:
        start: the paragraph's absolute offset.
        text: the paragraph.
        role: the role its section gives it.

    Returns:
        The segments, in order, covering the paragraph.
    """
    reason = formula_reason(text)
    if reason is not None:
        return [Segment(start, start + len(text), "other", reason)]
    tail = _tail_formula(text)
    if tail is not None:  # content, then thanks / a call / a lead-in
        cut, why = tail
        return [
            *paragraph_segments(start, text[:cut], role),
            Segment(start + cut, start + len(text), "other", why),
        ]
    if role != "plan" or not _PAST.search(text):
        return [Segment(start, start + len(text), role)]
    segments: list[Segment] = []
    current: Role = role
    current_reason = ""
    seg_start = 0
    for a, b in _clauses(text):
        clause = _GREETING_PREFIX.sub("", text[a:b].strip(WS))
        turn: tuple[Role, str] | None = None
        if not clause:
            turn = ("other", "greeting")
        elif formula_reason(clause) == "lead-in":
            turn = ("other", "lead-in")
        elif _PAST.match(clause):
            turn = ("achievement", "past")
        elif _FUTURE.match(clause):
            turn = ("plan", "future")
        if turn is not None and turn[0] != current:
            if a > seg_start:
                segments.append(Segment(start + seg_start, start + a, current, current_reason))
            current, current_reason, seg_start = turn[0], turn[1], a
    segments.append(Segment(start + seg_start, start + len(text), current, current_reason))
    return segments
