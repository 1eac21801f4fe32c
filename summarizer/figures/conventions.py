"""Figures by convention: quantities that are not a number followed by a unit.

:func:`summarizer.figures.numbers.find_figures` finds ``number + unit``; the
reports also state quantities in shapes of their own, which the gold
guidelines count as figures (``GUIDELINES.md``, 政府工作报告 section):

- **rankings**: ``居全国第2位``, ``中部地区第1``, ``全国第一``, ``前10位``,
  ``国内前三``, ``全国50强`` — a rank needs a scope or a ranking verb before it
  (``第三条``, ``第一批``, ``第二次`` stay ordinals);
- **thresholds and bare magnitudes**: ``百亿级``, ``千万千瓦级``, ``五百亿级``,
  ``超千万``, ``近百万``, ``超亿元``, ``百万吨``, ``万亩`` — a magnitude word with
  ``级``, a unit, or an approximating qualifier; not idioms (``千家万户``,
  ``千方百计``, ``百万人口``);
- **ratios**: ``35.8:35.4:28.8`` (three parts or more; two with a ``比`` before
  them), and the bare value of a ratio (``收入比值由3.27缩小至2.93``);
- **lists sharing one unit**: ``分别提高11.1、11.2个百分点`` -> ``11.1`` too;
- **ranges with the unit repeated**: ``6%—7%`` is one figure;
- **durations and magnitudes that are not dates**: ``9.6年`` (a decimal is
  never a year), ``受教育年限达11年``, ``7.1级地震``;
- **halves**: ``一半以上``, ``近一半``.

Every figure keeps the exact text; its value is what
:func:`~summarizer.figures.numbers.parse_figure` reads from that text where it
reads one (so a figure and its gold compare alike), else the magnitude itself.
"""

from __future__ import annotations

import re

from .numbers import _UNIT, Figure, _cn_to_decimal, parse_figure

__all__ = ["convention_figures"]

_CN_DIGIT = "一二三四五六七八九十两"
_RANK_NUMBER = rf"(?:[0-9]{{1,3}}|[{_CN_DIGIT}]{{1,3}})"
#: Words that make ``第N``/``前N`` a rank: a scope or a ranking verb.
_RANK_SCOPE = re.compile(
    r"(居|列|排名|排位|排|跃居|跃升|进入|保持|稳居|升至|上升到|位居|位列|跻身|"
    r"全国|全省|全市|全区|全州|全县|世界|全球|国内|地区|同类|中部|西部|东部|东北|省内|市内)"
)
_RANK_RE = re.compile(
    rf"(?P<kind>第|前)(?P<n>{_RANK_NUMBER})(?P<unit>位|名|强)?|(?<![0-9])(?P<top>[0-9]{{1,3}})强"
)
#: After a bare ``第N``/``前N``: the end of the clause, or a tier (``第一梯队``).
_RANK_AFTER = re.compile(r"$|[，,。；;、！!？?）)”\s]|梯队|方阵")
_MAGNITUDE = rf"[{_CN_DIGIT}]?[十百千]?(?:万|亿)+|[{_CN_DIGIT}]?[百千](?![万亿])"
#: Units after which a bare magnitude is an idiom more often than a count.
_IDIOM_UNITS = frozenset(
    {"人", "名", "位", "家", "户", "次", "个", "条", "分", "年", "天", "种", "群", "国", "省", "县"}
)
_THRESHOLD_RE = re.compile(
    rf"(?P<pre>超过|超|近|逾|上)?(?P<m>{_MAGNITUDE})"
    rf"(?P<unit>(?:{_UNIT})?级|{_UNIT})?(?P<post>以上|左右|以下)?"
)
_NUMERAL_BEFORE = set("0123456789０１２３４５６７８９零〇一二三四五六七八九十百千万亿两几数若余多")
_RATIO_RE = re.compile(
    r"(?<![0-9.:：∶])[0-9]+(?:\.[0-9]+)?(?:[:：∶][0-9]+(?:\.[0-9]+)?)+(?![0-9:：∶])"
)
_RATIO_CLAUSE = re.compile(r"比值|之比|比为|比由|比例为|系数|收入比|结构比|产业比")
_BARE_DECIMAL = re.compile(r"(?<![0-9.])[0-9]+\.[0-9]+(?![0-9.%％])")
_LIST_NUMBER = re.compile(r"(?<![0-9.])[0-9]+(?:\.[0-9]+)?$")
_RANGE_DASH = "-－—–~～至到"
_NOT_DATE_RE = re.compile(
    r"(?<![0-9.])(?P<n>[0-9]+\.[0-9]+)(?P<unit>年|级)(?P<post>左右|以上|以内)?"
    r"|年限[^，。；,;]{0,6}?(?<![0-9.])(?P<yn>[0-9]{1,2}(?:\.[0-9]+)?)(?P<yunit>年)(?P<ypost>左右|以上)?"
    r"|(?<![0-9.A-Za-z])(?P<qn>[0-9]+(?:\.[0-9]+)?)(?P<qunit>级)(?=地震|以上|及以上|大风|阵风|台风)"
)
_HALF_RE = re.compile(r"(?P<pre>将近|接近|近|超过|超|逾|过)?一半(?P<post>以上|左右|以下)?")
_CLAUSE_STOPS = "，,。；;：:！？!?\n"


def _windows(
    text: str, lo: int, hi: int, trigger: re.Pattern[str], back: int, ahead: int
) -> list[tuple[int, int]]:
    """Merged stretches of ``text[lo:hi]`` around each match of ``trigger``.

    The finders below scan only there: a text with no trigger costs one search.
    """
    out: list[tuple[int, int]] = []
    for m in trigger.finditer(text, lo, hi):
        a, b = max(lo, m.start() - back), min(hi, m.end() + ahead)
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _scan(rx: re.Pattern[str], text: str, windows: list[tuple[int, int]]) -> list[re.Match[str]]:
    return [m for a, b in windows for m in rx.finditer(text, a, b)]


_RANK_TRIGGER = re.compile(r"[第前强]")
_THRESHOLD_TRIGGER = re.compile(r"[百千万亿]+")
_RATIO_TRIGGER = re.compile(r"[:：∶]")
_NOT_DATE_TRIGGER = re.compile(r"[年级半]")


def _clause_before(text: str, pos: int, width: int = 10) -> str:
    """Up to ``width`` characters before ``pos``, cut at the last clause boundary."""
    window = text[max(0, pos - width) : pos]
    cut = max(window.rfind(c) for c in _CLAUSE_STOPS)
    return window[cut + 1 :]


_CLAUSE_WINDOW = 80  #: how far a clause is looked for around a number


def _clause_of(text: str, pos: int) -> str:
    """The clause around ``pos``, within :data:`_CLAUSE_WINDOW` characters either side."""
    lo = max(0, pos - _CLAUSE_WINDOW)
    hi = min(len(text), pos + _CLAUSE_WINDOW)
    a = max(text.rfind(c, lo, pos) for c in "。；;\n") + 1
    ends = [e for c in "。；;\n" if (e := text.find(c, pos, hi)) >= 0]
    return text[max(a, lo) : min(ends) if ends else hi]


def _figure(text: str, start: int, end: int, fallback: float, unit: str, qual: str) -> Figure:
    parsed = parse_figure(text[start:end])
    value = parsed.value if parsed is not None else fallback
    return Figure(text[start:end], start, end, value, parsed.unit if parsed else unit, qual)


def _number(token: str) -> float | None:
    if token.isascii():
        try:
            return float(token)
        except ValueError:
            return None
    value = _cn_to_decimal(token)
    return None if value is None else float(value)


def _ranks(text: str, lo: int, hi: int) -> list[Figure]:
    out: list[Figure] = []
    for m in _scan(_RANK_RE, text, _windows(text, lo, hi, _RANK_TRIGGER, 3, 6)):
        before = _clause_before(text, m.start())
        if not _RANK_SCOPE.search(before):
            continue
        token = m["top"] or m["n"]
        if not m["top"] and not m["unit"] and not _RANK_AFTER.match(text, m.end()):
            continue  # 第一批, 第二次: an ordinal of the next word
        if m["unit"] == "强" and not token.isascii():
            continue  # 百强县: a named list
        value = _number(token)
        if value is not None:
            out.append(_figure(text, m.start(), m.end(), value, m["unit"] or "", ""))
    return out


def _thresholds(text: str, lo: int, hi: int) -> list[Figure]:
    out: list[Figure] = []
    for m in _scan(_THRESHOLD_RE, text, _windows(text, lo, hi, _THRESHOLD_TRIGGER, 4, 10)):
        mag, unit, pre = m["m"], m["unit"] or "", m["pre"] or ""
        start = m.start("m") if not pre else m.start()
        if start > 0 and text[start - 1] in _NUMERAL_BEFORE:
            continue  # inside a longer number, or 数百万 (approximate)
        big = "万" in mag or "亿" in mag
        end = m.end()
        if unit in _IDIOM_UNITS and pre:  # 近百万群众: the magnitude alone is the figure
            unit, end = "", m.end("m")
        if unit.endswith("级"):
            ok = True
        elif unit:
            ok = big and unit not in _IDIOM_UNITS
        else:
            ok = bool(pre) and pre != "上" and big
        if not ok or (pre == "上" and not unit):
            continue
        if pre == "上":  # 上百亿级: the verb 上 is no qualifier
            start = m.start("m")
        value = _cn_to_decimal(mag)
        if value is None:
            continue
        post = m["post"] if end == m.end() else ""
        qual = "+".join(q for q in (pre if start == m.start() else "", post or "") if q)
        out.append(_figure(text, start, end, float(value), unit, qual))
    return out


def _ratios(text: str, lo: int, hi: int) -> list[Figure]:
    out: list[Figure] = []
    for m in _scan(_RATIO_RE, text, _windows(text, lo, hi, _RATIO_TRIGGER, 40, 40)):
        parts = re.split(r"[:：∶]", m.group())
        two_with_ratio = (
            len(parts) == 2 and "." in m.group() and "比" in _clause_before(text, m.start(), 16)
        )
        if len(parts) >= 3 or two_with_ratio:
            out.append(Figure(m.group(), m.start(), m.end(), float(parts[0]), "", ""))
    near_ratio = _windows(text, lo, hi, _RATIO_CLAUSE, _CLAUSE_WINDOW, _CLAUSE_WINDOW)
    for m in _scan(_BARE_DECIMAL, text, near_ratio):
        if _RATIO_CLAUSE.search(_clause_of(text, m.start())) and not re.match(
            rf"\s?(?:万|亿|{_UNIT})", text[m.end() : m.end() + 8]
        ):
            out.append(Figure(m.group(), m.start(), m.end(), float(m.group()), "", ""))
    return out


def _not_dates(text: str, lo: int, hi: int) -> list[Figure]:
    out: list[Figure] = []
    near = _windows(text, lo, hi, _NOT_DATE_TRIGGER, 16, 6)
    for m in _scan(_NOT_DATE_RE, text, near):
        for n, u in (("n", "unit"), ("yn", "yunit"), ("qn", "qunit")):
            if m[n]:
                start = m.start(n)
                out.append(_figure(text, start, m.end(), float(m[n]), m[u], ""))
    for m in _scan(_HALF_RE, text, near):
        said = m["pre"] or m["post"] or text[max(0, m.start() - 1) : m.start()] in ("占", "达")
        if said:
            qual = "+".join(q for q in (m["pre"], m["post"]) if q)
            out.append(Figure(m.group(), m.start(), m.end(), 50.0, "%", qual))
    return out


def _shared_units(text: str, found: list[Figure]) -> list[Figure]:
    """``11.1、11.2个百分点``: the numbers listed before a figure share its unit."""
    out: list[Figure] = []
    for f in found:
        if not f.unit or not f.text[:1].isdigit():
            continue
        pos = f.start
        while pos > 0 and text[pos - 1] == "、":
            m = _LIST_NUMBER.search(text, max(0, pos - 16), pos - 1)
            if m is None:
                break
            out.append(Figure(m.group(), m.start(), m.end(), float(m.group()), "", ""))
            pos = m.start()
    return out


def _ranges(text: str, found: list[Figure]) -> tuple[list[Figure], set[int]]:
    """``6%—7%``: two figures of one unit joined by a dash are one range."""
    merged: list[Figure] = []
    used: set[int] = set()
    for k in range(len(found) - 1):
        a, b = found[k], found[k + 1]
        if (
            k not in used
            and a.unit
            and a.unit == b.unit
            and b.start == a.end + 1
            and text[a.end] in _RANGE_DASH
            and not a.qualifier
        ):
            qual = "+".join(q for q in (text[a.end], b.qualifier) if q)
            merged.append(Figure(text[a.start : b.end], a.start, b.end, a.value, a.unit, qual))
            used.update((k, k + 1))
    return merged, used


def convention_figures(text: str, lo: int, hi: int, found: list[Figure]) -> list[Figure]:
    """``found`` (number + unit figures of ``text[lo:hi]``) with the conventional ones added.

    Args:
        text: the whole text (offsets are absolute).
        lo: where the window starts.
        hi: where it ends (exclusive).
        found: the figures the number finder found there, in order.

    Returns:
        All figures in order, none overlapping another: ranges replace the two
        figures they join; a conventional figure overlapping a found one is dropped.
    """
    window = text[lo:hi]
    if any(c in window for c in _RANGE_DASH):
        ranges, used = _ranges(text, found)
        base = [f for k, f in enumerate(found) if k not in used] + ranges
    else:
        base = list(found)
    extra = (
        _ranks(text, lo, hi)
        + _thresholds(text, lo, hi)
        + _ratios(text, lo, hi)
        + _not_dates(text, lo, hi)
        + (_shared_units(text, found) if "、" in window else [])
    )
    if not extra:
        return sorted(base, key=lambda f: f.start) if len(base) != len(found) else base
    taken = bytearray(hi - lo + 1)  # 1 where a figure is: linear, however many figures
    for f in base:
        taken[f.start - lo : f.end - lo] = b"\x01" * (f.end - f.start)
    out = list(base)
    for f in sorted(extra, key=lambda f: (f.start, -(f.end - f.start))):
        if f.end > hi or f.start < lo or taken.find(1, f.start - lo, f.end - lo) >= 0:
            continue
        out.append(f)
        taken[f.start - lo : f.end - lo] = b"\x01" * (f.end - f.start)
    return sorted(out, key=lambda f: f.start)
