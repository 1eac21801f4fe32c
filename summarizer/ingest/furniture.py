"""Page furniture: navigation, metadata lines, captions and trailers around a report.

Web pages and exported documents carry text that belongs to the page, not to
the report: site navigation (``首页 | 政务公开``), breadcrumbs (``您当前的位置:``),
``key: value`` metadata (``发布时间:… 来源:…``), URL-only lines, ``扫一扫…``
prompts, photo credits and a trailer of related links or copyright. Each line
is classified on its own by keyword patterns; :func:`find_furniture` returns
the ranges that :mod:`summarizer.ingest.documents` marks in ``Document.excluded``
(never deleted, so offsets stay those of the text).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

__all__ = ["EXCLUSION_REASONS", "find_exclusions", "find_furniture", "is_furniture_line"]


def _words(spaced: str) -> list[str]:
    return spaced.split()


_SEP_RE = re.compile(r"[\s|｜丨/>＞»·•【】\[\]]+")
_BRACKETS = "【】[]()（）〔〕<>《》:：\"'“”"
#: Navigation / tool words that make up whole lines of page chrome.
_NAV_WORDS = frozenset(
    _words("""
    无障碍 无障碍版 无障碍浏览 无障碍阅读 长者助手 长者模式 关怀版 适老化 适老版 读屏 语音播报
    人人网 开心网 百度空间 和讯 天涯社区 新浪微博 腾讯微博 豆瓣 百度贴吧 微信好友 朋友圈
    简体 繁体 繁體 简体版 繁体版 english 首页 网站首页 返回首页 主页 登录 注册 个人中心
    打印 打印本页 打印此页 打印页面 关闭 关闭窗口 关闭本页 关闭页面 返回 返回顶部 返回列表 顶部
    下载 全屏 收藏 收藏本页 加入收藏 分享 分享到 转发 保存 纠错 我要纠错 搜索 站内搜索
    字号 字体 加大 还原 减小 默认 大 中 小 视力保护色 微信 微博 qq空间 扫一扫 二维码
    上一篇 下一篇 上一页 下一页 上一条 下一条 相关阅读 字号大 字号中 字号小
    """)
)
_SHORT_NAV_WORDS = frozenset({"大", "中", "小", "默认"})
_BREADCRUMB_RE = re.compile(r"^(?:(?:您|你)(?:当前|现在)?的?位置|当前位置|所在位置)\s*[:：]")
_SCAN_RE = re.compile(r"^(?:扫一扫|扫描二维码|用手机扫描|手机扫码).{0,25}$")
_URL_LINE_RE = re.compile(
    r"^(?:来源|原文)?(?:URL|网址|链接)?[:：]?\s*(?:https?://|www\.)\S+$", re.I
)
#: Keys of "key: value" metadata lines printed around an article.
_META_KEYS = (
    "信息来源|文章来源|稿件来源|来源网址|来源URL|来源|发布日期|发布时间|发布机构|发布单位|"
    "发文单位|发文时间|发文日期|发文字号|成文日期|更新时间|更新日期|日期|时间|作者|编辑|"
    "责任编辑|编审|审核|校对|供稿|撰稿|浏览次数|浏览量|访问量|访问次数|阅读次数|阅读量|"
    "点击数|点击量|点击次数|分享到|分享|字体|字号|索引号|主题分类|标题|正文|原文链接|打印"
)
_META_FIELD_RE = re.compile(rf"(?:{_META_KEYS})\s*[:：]", re.I)
_META_VALUE_MAX = 60
_NAME = r"[\u4e00-\u9fff·]{2,4}(?:\s*[、，,]\s*[\u4e00-\u9fff·]{2,4})*"
#: Photo credits: "…记者 李森 摄", "…记者 盛学卿", "摄影：王伟".
_CAPTION_RE = re.compile(
    rf"(?:记者|摄影|通讯员)(?:[:：]?\s+{_NAME}(?:\s*摄)?|[:：]?{_NAME}\s*摄)\s*[）)]?$"
)
_DELIVERY_CAPTION_RE = re.compile(r"^[\u4e00-\u9fff·]{2,5}作政府工作报告。?$")
#: Lines that open a trailer (related links, copyright, licence text) running to the end.
_TRAILER_RE = re.compile(
    r"^(?:相关报道|相关链接|相关新闻|相关阅读|相关文章|相关稿件|延伸阅读|推荐阅读|热点推荐|"
    r"版权所有|Copyright|©|主办单位|承办单位|网站标识码|网站地图|联系我们|"
    r"本作品是|注[:：]\s*中文维基文库|标签云|分享到|上一篇)",
    re.I,
)
_TRAILER_MAX_CHARS = 3000
#: A line of report prose: long, ending a sentence. A trailer opener followed by
#: none of these runs to the end, however long the list of links after it.
_PROSE_LINE_RE = re.compile(r"^[^\n]{60,}[。！？]\s*$", re.M)


def find_furniture(text: str) -> tuple[tuple[int, int], ...]:
    """Find page furniture: navigation, metadata lines, captions, trailers.

    Each furniture line is classified on its own by keyword patterns (nav words
    such as ``打印本页 关闭窗口``, breadcrumbs ``您当前的位置:``, metadata fields
    ``发布时间:… 来源:… 浏览次数:``, URL-only lines, ``扫一扫…`` prompts, photo
    credits ``…记者 李森 摄``); a trailer opener near the end (``相关报道：``,
    ``版权所有``, licence text) excludes everything after it. Ranges cover whole
    lines without their newline; neighbours separated only by whitespace merge.

    Args:
        text: The document text (universal newlines already applied).

    Returns:
        Sorted, non-overlapping ``(start, end)`` ranges.
    """
    ranges: list[tuple[int, int]] = []
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        stripped = line.strip()
        if not stripped:
            continue
        lead = start + (len(line) - len(line.lstrip()))
        trail = lead + len(stripped)
        if (
            len(stripped) <= 80
            and _TRAILER_RE.match(stripped)
            and lead >= len(text) // 2
            and (
                len(text) - lead <= max(_TRAILER_MAX_CHARS, len(text) // 10)
                or not _PROSE_LINE_RE.search(text, lead)
            )
        ):
            ranges.append((lead, len(text.rstrip())))
            break
        if is_furniture_line(stripped):
            ranges.append((lead, trail))
    return _merge(text, ranges)


def is_furniture_line(line: str) -> bool:
    """Whether one line (stripped) is page furniture rather than report text.

    Args:
        line: A single line without its newline.

    Returns:
        True for navigation, metadata, URL-only, scan-prompt and photo-credit lines.
    """
    s = line.strip()
    if not s or len(s) > 160:
        return False
    if _BREADCRUMB_RE.match(s) or _SCAN_RE.match(s) or _URL_LINE_RE.match(s):
        return True
    if _is_nav_line(s):
        return True
    if _is_meta_line(s):
        return True
    if len(s) <= 60 and (_CAPTION_RE.search(s) or _DELIVERY_CAPTION_RE.match(s)):
        return True
    return _is_breadcrumb_path(s)


def _is_meta_line(s: str) -> bool:
    """``信息来源:本网 发布日期:2020-03-30 分享:`` — only ``key: value`` fields."""
    body = s.strip("（(【[）)】] ")
    fields = list(_META_FIELD_RE.finditer(body))
    if not fields or fields[0].start() != 0:
        return False
    ends = [m.start() for m in fields[1:]] + [len(body)]
    for m, end in zip(fields, ends, strict=True):
        value = body[m.end() : end]
        if len(value) > _META_VALUE_MAX or re.search(r"[，。；！？]", value):
            return False
    return True


def _is_nav_line(s: str) -> bool:
    tokens = [t.strip(_BRACKETS).lower() for t in _SEP_RE.split(s)]
    tokens = [t for t in tokens if t]
    if not tokens:
        # Only brackets and separators, e.g. a lone "】" left from a font-size widget.
        return all(ch in _BRACKETS or ch.isspace() for ch in s)
    if not all(t in _NAV_WORDS or _split_nav_token(t) for t in tokens):
        return False
    return not all(t in _SHORT_NAV_WORDS for t in tokens)


def _split_nav_token(token: str) -> bool:
    """A token glued from nav words (``字号：大中小`` -> ``字号`` ``大`` ``中`` ``小``)."""
    parts = [p for p in re.split(r"[:：]", token) if p]
    if len(parts) > 1:
        return all(p in _NAV_WORDS or _split_nav_token(p) for p in parts)
    return len(token) <= 4 and all(ch in _SHORT_NAV_WORDS for ch in token)


def _is_breadcrumb_path(s: str) -> bool:
    """Breadcrumbs and menus: ``首页 > 政务公开 > 公告公示``, ``网站首页 | 政务公开 | 公告公示``.

    Short parts, no sentence punctuation; a ``|`` menu must name a nav word (so a
    table row such as ``| 案件 | 95宗 |`` is never furniture).
    """
    if re.search(r"[，。；！？,;]", s):
        return False
    for separator, needs_nav_word in ((r"[>＞»]", False), (r"[|｜]", True)):
        parts = [p.strip() for p in re.split(rf"\s*{separator}\s*", s)]
        if len(parts) < 3 or not all(len(p) <= 12 for p in parts):
            continue
        if needs_nav_word and (s.startswith(("|", "｜")) or not _NAV_WORDS & set(parts)):
            continue
        return True
    return False


def _merge(text: str, ranges: Iterable[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(ranges):
        if merged and (start <= merged[-1][1] or not text[merged[-1][1] : start].strip()):
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


# --------------------------------------------------------------------------- appendices, tables

#: Why a range is excluded: page chrome, an appendix after the report, a flattened table.
EXCLUSION_REASONS = ("furniture", "appendix", "table")
#: A line that opens an appendix: ``附件1``, ``附表：``, ``附录二``, ``…名词解释``, ``注释``.
_APPENDIX_RE = re.compile(
    r"^[※*＊\s]*(?:附\s*(?:件|表|录)\s*[0-9０-９一二三四五六七八九十]{0,3}\s*(?:[:：].{0,40})?"
    r"|.{0,30}名词(?:解释|注释|释义)|注释|注\s*释)[:：]?[※*＊\s]*$"
)
#: Column headers of a flattened table (one cell per line).
_TABLE_HEADER_RE = re.compile(
    r"^(?:序\s*号?|号|项目名称|项目内容|建设内容|责任单位|牵头单位|牵头领导|责任领导|完成时限|"
    r"单位|名称|指标|指标名称|计量单位|项目投资|总投资|备注)$"
)
CELL_MAX = 12  #: longest line read as one table cell
TABLE_MIN_CELLS = 12  #: fewest cell lines that make a table
TABLE_MIN_CELLS_NO_HEADER = 30  #: fewest cell lines that make a table without column headers
_LONG_RUN_MAX = 2  #: long lines (cell contents) a table may hold in a row


#: A heading of the report (``二、…``, ``（三）…``, ``第二部分``) is never a cell.
_HEADING_LIKE_RE = re.compile(
    r"^(?:[一二三四五六七八九十]{1,3}、|[（(][一二三四五六七八九十]{1,3}[）)]|第.{1,3}部分)"
)


def _is_cell(line: str) -> bool:
    return (
        len(line) <= CELL_MAX
        and not re.search(r"[。；;！？]", line)
        and not _HEADING_LIKE_RE.match(line)
        and not _APPENDIX_RE.match(line)
    )


def _nonblank_lines(text: str) -> list[tuple[int, int, str]]:
    out: list[tuple[int, int, str]] = []
    pos = 0
    for raw in text.split("\n"):
        start, pos = pos, pos + len(raw) + 1
        stripped = raw.strip()
        if stripped:
            lead = start + (len(raw) - len(raw.lstrip()))
            out.append((lead, lead + len(stripped), stripped))
    return out


def find_tables(text: str) -> list[tuple[int, int]]:
    """Flattened tables: runs of one-cell-per-line text (``序号 / 项目名称 / 责任单位``).

    A run is a stretch of lines that are mostly cells (short, no sentence
    punctuation), with at most two longer lines (a cell's contents) in a row.
    It is a table when it holds at least :data:`TABLE_MIN_CELLS` cells and a
    column header among its first lines, or :data:`TABLE_MIN_CELLS_NO_HEADER`
    cells without one. Such a run states no item; it is kept out of the units.

    Args:
        text: the document text.

    Returns:
        ``(start, end)`` of each table, from its first line to its last cell.
    """
    lines = _nonblank_lines(text)
    tables: list[tuple[int, int]] = []
    i = 0
    while i < len(lines):
        if not _is_cell(lines[i][2]):
            i += 1
            continue
        j, last_cell, cells, longs = i, i, 0, 0
        while j < len(lines):
            if _is_cell(lines[j][2]):
                cells, longs, last_cell = cells + 1, 0, j
            else:
                longs += 1
                if longs > _LONG_RUN_MAX:
                    break
            j += 1
        header = any(_TABLE_HEADER_RE.match(ln[2]) for ln in lines[i : min(last_cell + 1, i + 20)])
        if cells >= (TABLE_MIN_CELLS if header else TABLE_MIN_CELLS_NO_HEADER):
            tables.append((lines[i][0], lines[last_cell][1]))
        i = last_cell + 1
    return tables


def find_appendix(text: str) -> tuple[int, int] | None:
    """The appendix after the report (``附件1``, ``名词解释``…) running to the end, if any.

    Only an opener in the second half of the text counts: an appendix follows the report.
    """
    for start, _end, line in _nonblank_lines(text):
        if start >= len(text) // 2 and len(line) <= 40 and _APPENDIX_RE.match(line):
            return (start, len(text.rstrip()))
    return None


def find_exclusions(text: str) -> tuple[tuple[tuple[int, int], ...], tuple[str, ...]]:
    """Everything kept out of the units, with the reason for each range.

    Page furniture (:func:`find_furniture`), an appendix after the report
    (:func:`find_appendix`) and flattened tables (:func:`find_tables`). Ranges
    are sorted and disjoint; where they overlap, the most specific reason wins:
    a table inside an appendix is recorded as a table, the rest of the appendix
    as an appendix.

    Args:
        text: the document text.

    Returns:
        ``(ranges, reasons)``: the ranges, and one of :data:`EXCLUSION_REASONS` per range.
    """
    tagged: list[tuple[int, int, str]] = [(a, b, "furniture") for a, b in find_furniture(text)]
    for a, b in find_tables(text):  # a run of links under 分享到：/标签： is page chrome
        first = text[a:b].split("\n", 1)[0].strip()
        chrome = is_furniture_line(first) or bool(_TRAILER_RE.match(first)) or first == "标签："
        tagged.append((a, b, "furniture" if chrome else "table"))
    appendix = find_appendix(text)
    if appendix is not None:
        tagged.append((*appendix, "appendix"))
    # paint the reasons, the most specific last: a table inside an appendix is a table
    codes = {"furniture": 1, "appendix": 2, "table": 3}
    names = {v: k for k, v in codes.items()}
    paint = bytearray(len(text))
    for rank in (1, 2, 3):
        for a, b, why in tagged:
            if codes[why] == rank:
                paint[a:b] = bytes([rank]) * (b - a)
    merged: list[tuple[int, int, str]] = []
    pos = 0
    while pos < len(paint):
        code = paint[pos]
        end = pos + 1
        while end < len(paint) and paint[end] == code:
            end += 1
        if code:
            merged.append((pos, end, names[code]))
        pos = end
    return tuple((a, b) for a, b, _w in merged), tuple(w for _a, _b, w in merged)
