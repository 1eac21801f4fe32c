"""Figures: find every quantity in Chinese official text, normalise it, compare it.

A *figure* is a number with its unit or measure word and the qualifiers that
touch it, exactly as written: ``11宗``, ``91%``, ``2000多人次``, ``近9千多份``,
``195.72亿元``, ``三万五千多条``, ``百余场``, ``百分之九十``, ``500人以上``.

How a figure is recognised (one precompiled regex, then per-match checks, so the
cost is linear in the length of the text):

- **Number**: Arabic digits (ASCII or full-width ``１２３``) with an optional
  decimal part; Chinese numerals (``十三万``, ``两``, ``三点五``), converted with
  :mod:`cn2an`; ``百分之N`` (a percentage) and ``N分之M`` (a fraction).
  Thousands separators: an ASCII ``,`` between ASCII digits and a full-width
  ``，`` between full-width digits, only in strict groups of three
  (``1,234`` -> 1234, ``１，２３４`` -> 1234). ``1，234`` (ASCII digits,
  Chinese comma) is two clauses: in Chinese text ``，`` separates clauses.
- **Multiplier**: ``万 亿 千 百`` and compounds (``千万``, ``万亿``) after Arabic
  digits, applied to the value. ``万``/``亿`` written right before the measure
  word stay in :attr:`Figure.unit` (``亿元``, ``万人``), as Chinese statistics
  write units; the value is always absolute (``195.72亿元`` -> 19572000000).
- **Qualifiers** (:data:`QUALIFIERS`): before the number, words that make it
  approximate or bound it (``近 约 逾 超过 不足``...); between number and unit
  ``余``/``多``; after the unit ``以上 以下 左右 以内``. Verbs that merely state
  the value (``达``, ``达到``, ``多达``, ``完成``) are not qualifiers.
- **Unit**: a measure word from :data:`UNITS`, longest match first. A number
  with no unit is not a figure, except percentages, fractions and numbers with
  ``万``/``亿`` (``游客111万``): this alone drops dates and periods (``2019年``,
  ``6月``, ``1-12月``), list markers (``1、``, ``(1)``, ``一是``), document
  numbers (``〔2019〕13号``) and codes (``12345平台``), because ``年 月 日 号 时
  届 级`` are not units.
- **Range**: ``3-5个``/``3至5个`` is one figure; its value is the lower bound and
  its qualifier the connector.

Excluded on top of that (see :func:`_reject`): ordinals and ranks (``第三条``,
``前10名``); identifiers (``PM2.5``, ``G20``); times (``16时38分``, ``16:38``);
``一`` and ``二`` standing alone, which before a measure word are articles or
ordinals in Chinese (``一批``, ``一线``, ``二次供水``; a count of two is written
``两``), except ``一倍``/``一番``; Chinese numerals after ``几 数 若``
(``数十家``); a bare ``百/千/万`` without ``余/多`` (``千家万户``); ``N期`` in
Chinese numerals (a phase); ``两位数``; session numbers (``十五届四次全会``,
``十三次党代会``, ``三次产业``); numbers inside a short quoted phrase or a book
title (``“三项制度”``, ``“24小时自助服务区”``, ``《...十条措施》``); and the named
concepts of :data:`STOPLIST` (``两个维护``, ``三人小组``...).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import cn2an

from ..errors import InputError

__all__ = [
    "QUALIFIERS",
    "STOPLIST",
    "UNITS",
    "Figure",
    "find_figures",
    "normalise_value",
    "parse_figure",
    "values_match",
]


@dataclass(frozen=True, slots=True)
class Figure:
    """A quantity found in the text."""

    text: str  #: exactly as written, qualifiers included: '近9千多份', '98%以上'
    start: int  #: offset into the text passed to find_figures (absolute)
    end: int
    value: float  #: normalised: 万/亿/千/百 applied, Chinese numerals converted; 91% -> 91.0
    unit: str  #: unit or measure word: '人次', '%', '亿元', '' if none
    qualifier: str  #: '近', '约', '余', '多', '以上', '左右', '超过', ... or ''


# fmt: off
#: Measure words and units. Matched longest first; compounds like ``元/吨`` too.
UNITS: tuple[str, ...] = (
    # percentages, ratios, scores
    "%", "％", "‰", "个百分点", "百分点", "倍", "番", "成", "分",
    # money
    "元", "美元", "欧元", "港元",
    # length, area, volume, mass, energy
    "公里", "千米", "米", "厘米", "毫米", "延米", "平方公里", "平方千米", "平方米", "平米",
    "公顷", "亩", "亩次", "立方米", "吨", "吨标准煤", "吨标煤", "千克", "公斤", "斤", "克", "毫克",
    "微克", "微米", "升", "千瓦", "千瓦时", "兆瓦", "千伏", "千伏安", "度", "标箱", "标准箱",
    # time spans (durations, not dates or periods)
    "个工作日", "工作日", "工日", "个月", "天", "小时", "分钟", "秒", "学时", "课时",
    # people and organisations
    "人", "人次", "名", "位", "户", "户次", "家", "家次", "所", "岁", "周岁", "部门",
    # counts of things and events
    "个", "项", "项次", "件", "件次", "宗", "起", "次", "场", "场次", "期", "批", "批次",
    "种", "类", "门", "条", "块", "台", "台套", "辆", "车次", "艘", "艘次", "架", "架次", "套",
    "座", "列", "栋", "幢", "间", "处", "张", "份", "本", "册", "篇", "部", "卷", "株", "棵", "头",
    "只", "匹", "羽", "眼", "根", "片", "节", "盏", "轮", "趟", "例", "剂", "剂次", "针", "款",
    "支", "队", "组", "班次", "农户", "群",
    # places counted (Arabic numerals only: 4县, 59国)
    "县", "省", "国",
    # energy and computing (ASCII; never followed by another letter)
    "GWh", "MWh", "kWh", "TWh", "GW", "MW", "kW", "Eflops", "EFLOPS", "PFlops", "P",
)

#: Measure words that follow Arabic digits only: after a Chinese numeral they
#: usually name a concept (``四类风险``) or a place (``三门峡``).
_ARABIC_ONLY_UNITS = frozenset({"类", "门", "期", "列", "县", "省", "国", "群", "P"})
#: Measure words after which a postposed ``一`` counts (``建提水泵站一座。``).
_COUNTED_ONE_UNITS = frozenset({"座", "处", "所", "个", "台", "辆", "条", "套", "家", "项", "门"})

#: Qualifiers recognised before the number, between number and unit, after the unit.
QUALIFIERS: dict[str, tuple[str, ...]] = {
    "before": ("将近", "接近", "大约", "超过", "不足", "不到", "近", "约", "逾", "超"),
    "inside": ("余", "多"),
    "after": ("以上", "以下", "左右", "以内"),
}

#: Named concepts that contain a number but state no quantity. Matched as
#: substrings; a figure overlapping one is dropped. Most bare-numeral concepts
#: (``十九大``, ``八五普法``, ``三重一大``) carry no measure word and are already
#: no figure; they are listed so the list documents the whole class.
STOPLIST: tuple[str, ...] = (
    # political formulas
    "两个维护", "两个确立", "两个一百年", "两个毫不动摇", "两个结合", "两个务必",
    "四个意识", "四个自信", "四个全面", "四个最严", "四个服从", "三个代表", "三个务必",
    "三个区分开来", "三个转变", "五位一体", "八项规定", "三严三实", "两学一做",
    "三会一课", "三重一大", "一岗双责", "两个责任", "两个覆盖", "十九大", "二十大",
    "十九届", "二十届", "十三五", "十四五", "十五五", "三大攻坚战", "六稳六保", "一带一路",
    # rule-of-law and government-service concepts
    "三项制度", "八五普法", "七五普法", "六五普法", "五个必经程序", "一窗通办", "一窗受理",
    "一门办理", "一次办", "最多跑一次", "一网通办", "一网统管", "一件事", "一村一法律顾问",
    "一村一律师", "多证合一", "一元主导", "三人小组", "一支队伍", "两平台", "六个走遍",
    "四套班子", "五个一", "两个市场", "两种资源", "五项原则", "三条红线", "三条控制线", "四下基层",
    # fixed expressions and place names with a measure word inside
    "城乡二元", "二元结构", "七台河", "五台山", "五台县", "三台县", "五家渠",
)
# fmt: on

_FULLWIDTH = str.maketrans("０１２３４５６７８９．，％", "0123456789.,%")
_SP = r"[ \u00a0\u3000]?"
_ARABIC = (
    r"(?:[0-9]{1,3}(?:,[0-9]{3})+(?![0-9])|[０-９]{1,3}(?:，[０-９]{3})+(?![０-９])|[0-9０-９]+)"
    r"(?:[.．][0-9０-９]+)?"
)
_CN_RUN = (
    r"(?:[零〇一二两三四五六七八九十万亿]|千(?![米瓦克伏])|百(?!分))+"  # 千米 and 百分点 are units
    r"(?:点[零〇一二三四五六七八九]+[万亿]*)?"
)
_MULT = r"万亿|千亿|百亿|千万|百万|亿|万|千(?![米瓦克伏])|百(?!分)"


def _alternation(words: tuple[str, ...]) -> str:
    return "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))


_UNIT = _alternation(UNITS)
_PER = _alternation((*UNITS, "年", "月", "日", "人", "平方米"))
#: Digits split by PDF extraction (``36.5 9亿元``): one ASCII space inside a number
#: that a multiplier or a unit follows; never after a year (``2019 10条``).
_SPLIT_ARABIC = (
    rf"(?!(?:19|20)[0-9]{{2}}\x20)[0-9]{{1,4}}(?:\.[0-9]+)?\x20[0-9]{{1,3}}(?:\.[0-9]+)?"
    rf"(?![0-9.])(?=\x20?(?:{_MULT}|{_UNIT}))"
)
#: An Arabic fraction (``1/3``): not a date (``2019/12/01``) nor a unit (``元/吨``).
_FRACTION = r"(?<![0-9/.])(?P<anum>[0-9]{1,3})/(?P<aden>[0-9]{1,3})(?![0-9/]|\s?[年月日号])"
_FIGURE_RE = re.compile(
    rf"(?P<pre>{_alternation(QUALIFIERS['before'])})?{_SP}"
    rf"(?:(?P<den>百|千|[一二三四五六七八九十]+)分之(?P<fnum>{_CN_RUN}|{_ARABIC})"
    rf"|{_FRACTION}"
    rf"|(?P<ar>{_SPLIT_ARABIC}|{_ARABIC})(?:(?P<dash>[-－—–~～至到])(?P<ar2>{_ARABIC}))?(?:{_SP}(?P<mult>{_MULT}))?"
    rf"|(?P<cn>{_CN_RUN}))"
    rf"(?:{_SP}(?P<q1>余|多)(?P<mult2>万亿|亿|万)?)?"
    rf"(?:{_SP}(?P<unit>(?:{_UNIT})(?:/(?:{_PER}))?))?"
    rf"(?P<post>{_alternation(QUALIFIERS['after'])})?"
)
_BARE_OK_RE = re.compile(r"[0-9０-９一二两三四五六七八九十百千][余多]?[万亿]")
_COLLOQUIAL_RE = re.compile(r"[一二三四五六七八九][万千百][一二三四五六七八九]")
_LEAD_MULT_RE = re.compile(r"(?:万亿|亿|万)$")
_DIGITS = frozenset("0123456789０１２３４５６７８９")
_MULT_VALUES = {"十": 10, "百": 100, "千": 1000, "万": 10_000, "亿": 100_000_000}

#: The char before a prefix that makes it part of another word (节约, 最近, 赶超).
_PREFIX_BLOCKERS = {
    "近": "最附邻靠就逼贴亲接将",
    "约": "节制契集简违预签履条公特邀盟大",
    "超": "赶高",
}
_APPROX_BEFORE_CN = frozenset("几数若")
_ORDINAL_BEFORE = frozenset("第每")
#: Spans whose figures are names: a short quoted phrase (a quoted name is short;
#: longer quotes are sentences), a book or document title, a STOPLIST concept.
_NAMED_RE = re.compile(
    r"[“「『‘\"][^“”「」『』‘’\"\n]{1,12}[”」』’\"]|《[^《》\n]{1,80}》|" + _alternation(STOPLIST)
)
_NAMED_MARGIN = 82
_SESSION_RE = re.compile("会议|全会")
_YEAR_RE = re.compile("(?:19|20)[0-9]{2}")
_NEAR = 12
_HALF_RE = re.compile(r"^(?P<pre>将近|接近|近|超过|超|逾|过)?一半(?P<q>以上|左右|以下)?$")


@lru_cache(maxsize=4096)
def _cn_to_decimal(run: str) -> Decimal | None:
    """Convert a Chinese numeral with cn2an, hiding its quirks; None if not a number."""
    s = run.replace("两", "二").replace("〇", "零")
    if "点" in s and s[-1] in "万亿":  # cn2an rejects 三点五万: apply the multiplier here
        head = s.rstrip("万亿")
        base = _cn_to_decimal(head)
        return None if base is None else base * _mult_value(s[len(head) :])
    if s[0] in "百千万亿":
        s = "一" + s  # cn2an rejects a bare 百/千
    modes = ["strict"]
    if _COLLOQUIAL_RE.fullmatch(s):
        modes.append("normal")  # 三万五 -> 35000 is colloquial, rejected by strict
    for mode in modes:
        try:
            value = cn2an.cn2an(s, mode)
        except (ValueError, KeyError, IndexError, TypeError, AttributeError):
            continue
        try:
            return Decimal(str(value))
        except InvalidOperation:
            return None
    return None


def _arabic_to_decimal(digits: str) -> Decimal | None:
    try:
        return Decimal(digits.translate(_FULLWIDTH).replace(",", "").replace(" ", ""))
    except InvalidOperation:
        return None


def _mult_value(mult: str | None) -> int:
    factor = 1
    for ch in mult or "":
        factor *= _MULT_VALUES[ch]
    return factor


def _number_value(m: re.Match[str]) -> Decimal | None:
    """The value of a regex match, multipliers applied; None if it is no number."""
    if m["aden"]:
        anum, aden = _arabic_to_decimal(m["anum"]), _arabic_to_decimal(m["aden"])
        if anum is None or not aden:
            return None
        return anum / aden
    if m["den"]:
        den = _cn_to_decimal(m["den"])
        fnum = m["fnum"]
        num = _arabic_to_decimal(fnum) if fnum[0] in _DIGITS else _cn_to_decimal(fnum)
        if den is None or num is None or den == 0:
            return None
        return num if den in (100, 1000) else num / den
    base = _arabic_to_decimal(m["ar"]) if m["ar"] else _cn_to_decimal(m["cn"])
    if base is None:
        return None
    return base * _mult_value(m["mult"]) * _mult_value(m["mult2"])


def normalise_value(text: str) -> float | None:
    """Normalise a number written in any of the supported forms.

    Args:
        text: A number, optionally with multiplier, e.g. ``'1.2万'``, ``'三万五千'``,
            ``'百分之九十'``, ``'１，２３４'``.

    Returns:
        The absolute value (percentages as the percent number: 90.0), or None if
        ``text`` does not start with a number.
    """
    m = _FIGURE_RE.match(text.strip())
    if m is None or not (m["ar"] or m["cn"] or m["den"] or m["aden"]):
        return None
    value = _number_value(m)
    return None if value is None else float(value)


def _reject(text: str, m: re.Match[str], fig_start: int, unit: str) -> bool:
    """Context rules: True if the match is not a quantity (see module docstring)."""
    before = text[fig_start - 1] if fig_start > 0 else ""
    word_before = text[max(0, fig_start - 2) : fig_start].strip()[-1:]  # across a PDF space
    if word_before in _ORDINAL_BEFORE or (word_before.isascii() and word_before.isalpha()):
        return True
    if before in " :：-－/." and text[fig_start - 2 : fig_start - 1].isdigit():
        return True  # split by PDF extraction ("1 0条"), a time, a date ("16:38", "03-30 分享")
    if (unit == "分" and before in "时点") or (unit == "秒" and before == "分"):
        return True  # a time: 16时38分, 3点30分
    cn = m["cn"]
    if cn:
        counted = unit in _COUNTED_ONE_UNITS and (
            bool(m["post"]) or text[m.end() : m.end() + 1] in ("。", "；", ";", "，", ",", "")
        )  # a postposed count: 建提水泵站一座。 / 掌握一门以上技能
        if before in _APPROX_BEFORE_CN or (unit in _ARABIC_ONLY_UNITS and not counted):
            return True
        if cn in ("一", "壹") and unit not in ("倍", "番") and not counted:
            return True
        if cn in ("二", "零", "〇") or (cn == "十" and unit == "分"):
            return True
    if unit in ("成", "起") and m["ar"] and _YEAR_RE.fullmatch(m["ar"]) and not m["mult"]:
        return True  # a year, not a count: 2020成为, 2022起
    if before == "前" and unit in ("名", "位"):
        return True  # a rank: 前10名
    after = text[m.end() : m.end() + _NEAR]
    if unit.isascii() and after[:1].isascii() and after[:1].isalpha():
        return True  # part of a code or a word: 5G, 24000Pa
    # ordinals: 三次产业, 十三次党代会, 十五届四次、五次全会
    return unit == "次" and (
        after.startswith(("产业", "党代会", "代表大会"))
        or ("届" in text[max(0, fig_start - _NEAR) : fig_start] and bool(_SESSION_RE.search(after)))
    )


def _build(text: str, m: re.Match[str], *, strict: bool) -> Figure | None:
    """Turn a regex match into a Figure, or None when it is not one."""
    if not (m["ar"] or m["cn"] or m["den"] or m["aden"]):
        return None
    if m["cn"] and m["cn"][0] in "百千万亿" and not m["q1"]:
        return None  # 千家万户, 百万人口: a bare multiplier needs 余/多 to count (百余场)
    unit = m["unit"] or ""
    if m["den"]:
        unit = {"百": "%", "千": "‰"}.get(m["den"], unit)
    start = m.start()
    pre = m["pre"] or ""
    if pre and start > 0 and text[start - 1] in _PREFIX_BLOCKERS.get(pre, ""):
        pre = ""
    if not pre:
        start = next(m.start(g) for g in ("den", "anum", "ar", "cn") if m[g])
    if strict:
        bare_ok = _BARE_OK_RE.search(m.group()) and not text.startswith("级", m.end())
        if not (unit or m["den"] or m["aden"] or bare_ok):
            return None  # no unit: a date, a marker, a code; 17万 still counts
        if _reject(text, m, start, unit):
            return None
    value = _number_value(m)
    if value is None or (unit == "成" and value > 10):
        return None  # 成 is tenths: 八成, never 20成
    if m["unit"]:
        number_end = m.end("mult2") if m["mult2"] else m.end("mult") if m["mult"] else -1
        if m["cn"] and not m["q1"]:
            number_end = m.end("cn")
        if number_end == m.start("unit"):
            lead = _LEAD_MULT_RE.search(text, m.start(), number_end)
            unit = (lead.group() if lead else "") + unit
    unit = unit.replace("％", "%")
    qualifiers = [q for q in (pre, m["dash"], m["q1"], m["post"]) if q]
    end = m.end()
    if unit == "位" and text.startswith("数", end) and not m["post"]:
        unit, end = "位数", end + 1  # 两位数增长: a threshold of digits, not people
    return Figure(text[start:end], start, end, float(value), unit, "+".join(qualifiers))


#: Whole strings up to this long (a summary, an evidence span) have their figures
#: remembered: validation reads the same summary's figures several times.
_MEMO_CHARS = 2000


def find_figures(text: str, start: int = 0, end: int | None = None) -> list[Figure]:
    """Every figure in ``text[start:end]``, in order, with absolute offsets.

    Args:
        text: The whole document text (offsets are into it).
        start: Where the window starts.
        end: Where the window ends (exclusive); None for the end of ``text``.

    Returns:
        The figures, each with ``text == text[f.start:f.end]``.

    Raises:
        InputError: If the window is not inside ``text``.
    """
    if start == 0 and end is None and len(text) <= _MEMO_CHARS:
        return list(_short_figures(text))
    return _find_figures(text, start, end)


@lru_cache(maxsize=2048)
def _short_figures(text: str) -> tuple[Figure, ...]:
    return tuple(_find_figures(text, 0, None))


def _find_figures(text: str, start: int, end: int | None) -> list[Figure]:
    stop = len(text) if end is None else end
    if not 0 <= start <= stop <= len(text):
        raise InputError(
            f"figure window [{start}, {end}) is outside the text (length {len(text)}); "
            "pass offsets into the same text"
        )
    lo, hi = max(0, start - _NAMED_MARGIN), min(len(text), stop + _NAMED_MARGIN)
    named = bytearray(hi - lo)  # 1 where a name is: linear, whatever the nesting
    for n in _NAMED_RE.finditer(text, lo, hi):
        named[n.start() - lo : n.end() - lo] = b"\x01" * (n.end() - n.start())
    figures: list[Figure] = []
    for m in _FIGURE_RE.finditer(text, start, stop):
        fig = _build(text, m, strict=True)
        if fig is not None and named.find(1, fig.start - lo, fig.end - lo) < 0:
            figures.append(fig)
    from .conventions import convention_figures  # it builds on this module

    extra = convention_figures(text, start, stop, figures)
    return [f for f in extra if named.find(1, f.start - lo, f.end - lo) < 0]


def parse_figure(text: str) -> Figure | None:
    """Parse a figure as a model might state it ('95宗', '1.2万人'); None if no number.

    Parsing is lenient: a unit is not required and context rules do not apply.
    When ``text`` holds several numbers, the first one with a unit wins, else the
    first number.

    Args:
        text: A figure string, e.g. ``'近300人次'``, ``'百分之九十'``, ``'1.2万人'``.

    Returns:
        A Figure spanning the whole of ``text`` (``start=0, end=len(text)``), or None.
    """
    half = _HALF_RE.search(text)
    if half is not None:  # 一半以上: fifty per cent
        return Figure(text, 0, len(text), 50.0, "%", half.group("q") or "")
    first: Figure | None = None
    for m in _FIGURE_RE.finditer(text):
        fig = _build(text, m, strict=False)
        if fig is None:
            continue
        if fig.unit:
            first = fig
            break
        first = first or fig
    if first is None:
        return None
    return Figure(text, 0, len(text), first.value, first.unit, first.qualifier)


def values_match(a: float, b: float) -> bool:
    """Whether two normalised values denote the same quantity (relative tolerance).

    The tolerance is 1e-6 relative (plus 1e-9 absolute, for zero). Values in
    different scales do not match: a percentage is normalised to its percent
    number (91% -> 91.0), so 0.94 and 94 are different quantities here, and so are
    12 and 120000 (12万 is normalised to 120000 before it gets here).

    Args:
        a: A normalised value, e.g. ``Figure.value``.
        b: Another normalised value.

    Returns:
        True if they are equal within tolerance; False for NaN or infinities.
    """
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    return math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9)
