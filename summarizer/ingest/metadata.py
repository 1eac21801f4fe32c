"""Guess a report's title, issuer and reporting year from its text.

Only the text is read (stdlib ``re``; no model). The rules, in order:

Title
    The first title-like line near the top (ends with 报告/总结/汇报, short, no
    sentence punctuation), skipping page furniture. A title split over two lines
    (an issuer line, then a ``关于…报告`` line) is joined. Otherwise a
    ``标题：`` metadata field, and for a government work report whose page has
    no title line, the genre name ``政府工作报告`` (the opening formula
    ``我代表…向大会报告工作`` says what it is).

Issuer
    The title's text before ``关于`` or before its year (``东凤镇``,
    ``罗定市人民政府``); the issuer line of a split title; a ``发文单位：``
    field; for a government work report the government named in
    ``我代表X向大会…``, where a bare ``省/市/县人民政府`` is qualified by the
    place named elsewhere (``在甘肃省十四届人民代表大会``, ``天津市市长``);
    last, an issuer line in the signature. ``None`` when no place is named.
    For a government work report the place of the 人民代表大会 session it was
    delivered at (``2023年2月12日在米易县第十九届人民代表大会第三次会议上``) wins,
    then an aggregator's header title (``保定市满城区2021年政府工作报告``); the
    place must follow a word that ends the text before it, so ``提高唐县…`` is
    never 高唐县.

Year (the year the report is *about*, not the year it was published)
    Ordinary annual reports: the year in the title (``2019年度`` -> 2019), then
    ``现将…2019年…报告如下`` or an opening ``2019年，``, then the signature
    date (January-June -> the previous year).
    Government work reports (政府工作报告) review the past year and plan the
    coming one; their year is **the last year reviewed**, i.e. the year before
    the report was delivered: a ``2024年工作回顾`` heading, ``刚刚过去的2024年``,
    a plan heading ``2025年工作安排`` minus one, the title's year minus one, or
    the delivery date's year minus one (a 2026 report reviews 2025; a report on
    the past five years is about the last of them). A report is never about the
    year it was delivered in: when the session line, a date under the title or
    the header title says it was delivered in D and the year found is missing
    or not before D, the year is D - 1.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarizer.ingest.documents import Document

__all__ = ["DocMeta", "guess_metadata"]

_MIN_YEAR, _MAX_YEAR = 1949, 2100
_HEAD_LINES = 14
_HEAD_CHARS = 3000
_CN_DIGITS = str.maketrans("〇零○０一二三四五六七八九", "0000123456789")
_YEAR = r"(\d{4}|[〇零○一二三四五六七八九]{4})\s*年"
_YEAR_RE = re.compile(_YEAR)
_TITLE_END_RE = re.compile(r"(?:报告|总结|汇报|报告书)$")
_SENTENCE_PUNCT_RE = re.compile(r"[，。；！？,;!?]")
_ORG_SUFFIX = r"(?:人民政府|政府|委员会|办公室|办事处|街道|局|镇|乡|县|市|区|省|厅|委|院|中心)"
_ISSUER_LINE_RE = re.compile(rf"^[\u4e00-\u9fff（）()]{{1,24}}{_ORG_SUFFIX}$")
_SALUTATION_RE = re.compile(r"^(?:各位代表|同志们|.{2,20}[:：]$)")
_FIELD_RE = r"^\s*{key}\s*[:：]\s*(\S[^\n]*?)\s*$"
_GOV_REPORT_RE = re.compile(r"政府工作报告|向(?:大会|全会)(?:作|报告)")
_REPRESENT_RE = re.compile(r"我代表([^，,。\n]{2,30}?)[，,]?\s*向(?:大会|全会)")
_TERM_RE = re.compile(r"第?[一二三四五六七八九十百零〇\d]+届")
_LEVEL_RE = re.compile(r"^(自治区|自治州|自治县|省|市|县|区|州|旗|盟)(?:人民)?政府$")
_PLACE = r"[\u4e00-\u9fff]{1,10}?(?:自治区|自治州|自治县|省|市|县|区|州|旗|盟)"
_PLACE_PATTERNS = (
    re.compile(rf"在\s*({_PLACE})\s*第?[一二三四五六七八九十百\d]+届人民代表大会"),
    re.compile(
        rf"(?:(?<![\u4e00-\u9fff])|(?<=日))({_PLACE})(?:人民政府)?(?:省长|市长|县长|区长|州长|主席)"
    ),
    re.compile(rf"(?:^|年)({_PLACE})(?:人民)?政府工作报告", re.M),
)
_REVIEW_HEADING_RE = re.compile(rf"{_YEAR}(?:和.{{0,12}})?(?:工作|各项工作)?回顾")
#: A review heading with a qualifier before 回顾: ``2021年经济工作回顾``, ``2021年政府工作回顾``.
_QUALIFIED_REVIEW_RE = re.compile(
    rf"^[一二三四五六七八九十\d]*[、.．]?\s*{_YEAR}[^\n，。；]{{1,8}}?回顾$"
)
#: The delivery line: ``——2022年1月27日在安国市第八届人民代表大会第二次会议上``.
_MEETING_DATE_RE = re.compile(
    rf"{_YEAR}\s*(?:\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*月\s*"
    r"(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*日\s*在[^\n。]{0,40}?(?:人民代表大会|代表大会|会议)"
)
_JUST_PAST_RE = re.compile(rf"刚刚过去的\s*{_YEAR}")
_PLAN_RE = re.compile(
    rf"{_YEAR}\s*(?:政府)?(?:的)?(?:主要任务|工作安排|工作任务|工作提出|工作总体要求|工作的总体要求)"
)
_DATE_RE = re.compile(
    rf"{_YEAR}\s*(\d{{1,2}}|[一二三四五六七八九十]{{1,3}})\s*月"
    r"|(\d{4})\s*[-./]\s*(\d{1,2})\s*[-./]\s*\d{1,2}"
)
_REPORT_INTRO_RE = re.compile(rf"现将.{{0,20}}?{_YEAR}")
_OPENING_YEAR_RE = re.compile(rf"^\s*{_YEAR}\s*(?:度)?\s*[，,以]", re.M)


@dataclass(frozen=True, slots=True)
class DocMeta:
    """What a report says about itself; ``None`` where the text does not say."""

    title: str | None
    issuer: str | None
    year: int | None


@dataclass(frozen=True, slots=True)
class _Line:
    text: str
    start: int


def guess_metadata(doc: Document) -> DocMeta:
    """Guess the title, issuer and reporting year of a report.

    Args:
        doc: A loaded document; its furniture ranges are skipped when looking
            for the title.

    Returns:
        The metadata; fields that cannot be found are ``None``. For a
        government work report ``year`` is the last year it reviews (see the
        module docstring).
    """
    text = doc.text
    head = _head_lines(doc)
    gov = _is_gov_work_report(text)
    title, split_issuer = _find_title(head, text, gov=gov)
    issuer = split_issuer or _issuer_from_title(title)
    if issuer is None:
        issuer = _field(text, "发文单位")
    if issuer is None and gov:
        issuer = _issuer_from_formula(text, title)
    if issuer is None:
        issuer = _issuer_from_signature(text)
    year = _gov_report_year(text, title) if gov else _annual_report_year(text, title)
    top = text[:_HEAD_CHARS]
    if gov or _GOV_REPORT_RE.search(top) or _SESSION_RE.search(top):
        issuer, year = _session_metadata(text, issuer, year)
    return DocMeta(title=title, issuer=issuer, year=year)


# ------------------------------------------------------- the session a report was delivered at

#: ``（2023年2月12日在米易县第十九届人民代表大会第三次会议上）``, ``在2月5日召开的保定市满城区
#: 第二届人民代表大会``, ``2019年1月29日保定市徐水区第二届人民代表大会``: the place (and the
#: date, when written) of the 人民代表大会 session. The place must follow a word that ends the
#: text before it (在, 日, 召开的, a bracket, a line start), so that ``提高唐县…`` never
#: reads as 高唐县 and ``米易县`` never as 易县.
_SESSION_RE = re.compile(
    rf"(?:{_YEAR}\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日)?\s*(?:在|日|召开的|[（(—\s]|^)\s*"
    rf"(?P<place>(?![在于召])(?:[\u4e00-\u9fff]{{2,8}}?(?:省|自治区|市|州|盟))?"
    rf"[\u4e00-\u9fff]{{1,8}}?(?:自治县|县|区|市|旗))"
    r"第?[一二三四五六七八九十百零〇\d]+届人民代表大会",
    re.M,
)
#: ``政府工作报告（2021年2月5日）``: the delivery date written under the title.
_DELIVERED_RE = re.compile(
    rf"政\s*府\s*工\s*作\s*报\s*告[\s（(—-]*{_YEAR}\s*\d{{1,2}}\s*月\s*\d{{1,2}}\s*日"
)
#: An aggregator's header title: ``保定市满城区2021年政府工作报告``.
_HEADER_TITLE_RE = re.compile(
    rf"^\s*(?P<place>[\u4e00-\u9fff]{{1,12}}(?:自治县|县|区|市|旗))\s*{_YEAR}\s*"
    r"(?:度)?(?:人民)?政府工作报告\s*$",
    re.M,
)


def _session_metadata(
    text: str, issuer: str | None, year: int | None
) -> tuple[str | None, int | None]:
    """Issuer and year of a government work report from the session line near its top.

    The place of the 人民代表大会 session is the issuer (``高唐县`` ->
    ``高唐县人民政府``), then an aggregator's header title; otherwise the issuer
    found so far stays. A report cannot be about the year it was delivered in:
    when the session's date says it was delivered in year D and the year found
    so far is missing or not before D, the year is D - 1.
    """
    head = text[:_HEAD_CHARS]
    session = _SESSION_RE.search(head)
    place = session["place"] if session else None
    header = _HEADER_TITLE_RE.search(head)
    if place is None and header:
        place = header["place"]
    if place:
        issuer = f"{place}人民政府"
    delivered = _to_year(session.group(1)) if session and session.group(1) else None
    if delivered is None:
        dated = _DELIVERED_RE.search(head)
        delivered = _to_year(dated.group(1)) if dated else None
    if delivered is None and header:
        delivered = _to_year(header.group(2))
    if delivered is not None and (year is None or year >= delivered):
        year = delivered - 1
    return issuer, year


# --------------------------------------------------------------------------- title


def _head_lines(doc: Document) -> list[_Line]:
    """Non-empty, non-furniture lines before the body starts."""
    lines: list[_Line] = []
    pos = 0
    for raw in doc.text[:_HEAD_CHARS].split("\n"):
        start, pos = pos, pos + len(raw) + 1
        stripped = raw.strip()
        if not stripped:
            continue
        lead = start + raw.index(stripped[0])
        if doc.is_excluded(lead, lead + len(stripped)):
            continue
        lines.append(_Line(stripped, lead))
        if len(lines) >= _HEAD_LINES or len(stripped) > 80 or _SALUTATION_RE.match(stripped):
            break
    return lines


def _is_title_line(s: str) -> bool:
    return (
        4 <= len(s) <= 60
        and bool(_TITLE_END_RE.search(s))
        and not _SENTENCE_PUNCT_RE.search(s)
        and not s.startswith(("—", "-", "（", "("))
    )


def _find_title(head: list[_Line], text: str, *, gov: bool) -> tuple[str | None, str | None]:
    """Return ``(title, issuer_line)``; the issuer is set only for a split title."""
    for i, line in enumerate(head):
        s = re.sub(r"\s+", "", line.text)
        if not _is_title_line(s):
            continue
        if s.startswith("关于") and i > 0:
            prev = re.sub(r"\s+", "", head[i - 1].text)
            if _ISSUER_LINE_RE.match(prev):
                return prev + s, prev
        return s, None
    field = _field(text, "标题")
    if field:
        return re.sub(r"\s+", "", field), None
    if gov:
        return "政府工作报告", None
    return None, None


def _field(text: str, key: str) -> str | None:
    """Value of a ``key：value`` metadata line near the top of the text."""
    m = re.search(_FIELD_RE.format(key=key), text[:_HEAD_CHARS], re.M)
    if not m or m.group(1) in {"未知", "无", "-"}:
        return None
    return m.group(1)


# --------------------------------------------------------------------------- issuer


def _issuer_from_title(title: str | None) -> str | None:
    if not title:
        return None
    prefix = title.split("关于", 1)[0] if "关于" in title else ""
    if not prefix:
        m = _YEAR_RE.search(title)
        prefix = title[: m.start()] if m else ""
    prefix = prefix.strip(" ：:、")
    if 2 <= len(prefix) <= 30 and not re.search(r"\d", prefix):
        return prefix
    return None


def _issuer_from_formula(text: str, title: str | None) -> str | None:
    """``我代表容城县第十四届人民政府，向大会报告`` -> ``容城县人民政府``."""
    m = _REPRESENT_RE.search(text)
    if not m:
        return None
    issuer = _TERM_RE.sub("", m.group(1)).strip()
    level = _LEVEL_RE.match(issuer)
    if not level:
        return issuer or None
    place = _find_place(text, title, level.group(1))
    return f"{place}人民政府" if place else None


def _find_place(text: str, title: str | None, level: str) -> str | None:
    """A place name ending in ``level`` (省/市/县...), from the meeting line, a
    leader's title or the report title."""
    sources = [text[:_HEAD_CHARS]]
    if title:
        sources.insert(0, title)
    for pattern in _PLACE_PATTERNS:
        for source in sources:
            for m in pattern.finditer(source):
                place = m.group(1)
                if place.endswith(level) and len(place) > len(level):
                    return place
    return None


def _issuer_from_signature(text: str) -> str | None:
    """An issuer line among the last few non-empty lines (the signature)."""
    tail = [ln.strip() for ln in text.rstrip().split("\n")[-6:] if ln.strip()]
    for line in reversed(tail):
        if _ISSUER_LINE_RE.match(line):
            return line
    return None


# --------------------------------------------------------------------------- year


def _is_gov_work_report(text: str) -> bool:
    head = text[:_HEAD_CHARS]
    return "各位代表" in head and bool(_GOV_REPORT_RE.search(head))


def _to_year(token: str) -> int | None:
    digits = token.translate(_CN_DIGITS)
    if not digits.isdigit():
        return None
    year = int(digits)
    return year if _MIN_YEAR <= year <= _MAX_YEAR else None


def _first_year(pattern: re.Pattern[str], text: str) -> int | None:
    for m in pattern.finditer(text):
        year = _to_year(m.group(1))
        if year is not None:
            return year
    return None


def _review_heading_year(text: str) -> int | None:
    """The year a review heading names: ``2024年工作回顾``, ``一、2021年经济工作回顾``."""
    for line in text.split("\n"):
        s = line.strip()
        if len(s) <= 40:
            m = _REVIEW_HEADING_RE.search(s) or _QUALIFIED_REVIEW_RE.match(s)
            if m and (year := _to_year(m.group(1))) is not None:
                return year
    return None


def _meeting_year(text: str) -> int | None:
    """The year of the session the report was delivered at, from its own delivery line.

    ``——2022年1月27日在安国市第八届人民代表大会第二次会议上`` -> 2022. Read before
    any other date of the page: an aggregator's header (``时间：2023-01-24``) is not
    the report's date.
    """
    return _first_year(_MEETING_DATE_RE, text[:_HEAD_CHARS])


def _gov_report_year(text: str, title: str | None) -> int | None:
    """The last year a government work report reviews."""
    year = _review_heading_year(text)
    if year is not None:
        return year
    delivered_at = _meeting_year(text)
    if delivered_at is not None:
        return delivered_at - 1
    year = _first_year(_JUST_PAST_RE, text)
    if year is not None:
        return year
    year = _first_year(_PLAN_RE, text)
    if year is not None:
        return year - 1
    for source in (title or "", _field(text, "标题") or ""):
        year = _first_year(_YEAR_RE, source)
        if year is not None:
            return year - 1
    delivered = _date_year(text[:600])
    return delivered[0] - 1 if delivered else None


def _annual_report_year(text: str, title: str | None) -> int | None:
    """The year an ordinary annual report is about."""
    for source in (title or "", _field(text, "标题") or ""):
        year = _first_year(_YEAR_RE, source)
        if year is not None:
            return year
    for pattern in (_REPORT_INTRO_RE, _OPENING_YEAR_RE):
        year = _first_year(pattern, text[:_HEAD_CHARS])
        if year is not None:
            return year
    signed = _date_year(text[-300:], last=True)
    if signed:
        year, month = signed
        return year - 1 if month and month <= 6 else year
    return None


def _date_year(text: str, *, last: bool = False) -> tuple[int, int | None] | None:
    """``(year, month)`` of the first (or last) date in ``text``."""
    found: list[tuple[int, int | None]] = []
    for m in _DATE_RE.finditer(text):
        year_token, month_token = (
            (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        )
        year = _to_year(year_token)
        if year is not None:
            found.append((year, _to_month(month_token)))
    if not found:
        return None
    return found[-1] if last else found[0]


def _to_month(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    values = {"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
    if token == "十":
        return 10
    if token.startswith("十"):
        return 10 + values.get(token[1:], 0)
    return values.get(token)
