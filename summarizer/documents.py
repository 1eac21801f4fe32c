"""Load documents into plain text with excluded ranges.

Offsets everywhere in summarizer refer to ``Document.text``: for text files the
file decoded with universal newlines (``\\r\\n`` -> ``\\n``), for other formats the
extracted text (saved beside the output so every offset can be checked).
Page furniture is marked in ``Document.excluded``, never deleted.

Text files are decoded as strict UTF-8 first (a UTF-8 byte-order mark is
dropped, so offsets refer to the text without it); anything else is identified
by ``charset-normalizer`` (GB18030/GBK, UTF-16 with a BOM, ...). HTML goes
through ``trafilatura`` with a plain-parser fallback, ``.docx`` through
python-docx and ``.pdf`` through pypdf's text layer.
"""

from __future__ import annotations

import logging
import os
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from summarizer.errors import InputError

if TYPE_CHECKING:
    from docx.table import Table

logger = logging.getLogger(__name__)

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")

_TEXT_SUFFIXES = frozenset({".txt", ".md"})
_HTML_SUFFIXES = frozenset({".html", ".htm"})
_UTF8_BOM = b"\xef\xbb\xbf"
#: Control characters that never occur in real text (tab, newlines and form feed excluded).
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")


@dataclass(frozen=True, slots=True)
class Document:
    """A loaded document: plain text plus what is known about where it came from."""

    doc_id: str
    text: str
    source_path: str | None = None
    format: str = "txt"
    encoding: str | None = None
    #: Sorted, non-overlapping (start, end) ranges of page furniture.
    excluded: tuple[tuple[int, int], ...] = field(default=())

    def is_excluded(self, start: int, end: int) -> bool:
        """True when [start, end) lies entirely inside an excluded range."""
        return any(s <= start and end <= e for s, e in self.excluded)


# --------------------------------------------------------------------------- public API


def load_document(path: str | Path, *, doc_id: str | None = None) -> Document:
    """Read a file (.txt/.md/.html/.docx/.pdf) into a :class:`Document`.

    Args:
        path: The file to read. The suffix (case-insensitive) selects the reader.
        doc_id: Identifier for the document; defaults to the file stem.

    Returns:
        The document, its text with universal newlines and its furniture marked.

    Raises:
        InputError: the file is missing, unreadable, binary, empty or of an unknown format.
    """
    p = Path(path)
    suffix = _check_path(p)
    raw = _read_bytes(p)
    encoding: str | None = None
    if suffix in _TEXT_SUFFIXES:
        text, encoding = decode_bytes(raw, source=str(p))
    elif suffix in _HTML_SUFFIXES:
        html, encoding = decode_bytes(raw, source=str(p))
        text = html_to_text(html)
    elif suffix == ".docx":
        text = _docx_text(p)
    else:
        text = _pdf_text(p)
    return _make_document(
        text,
        doc_id=doc_id if doc_id is not None else p.stem,
        source_path=str(p),
        fmt=suffix.lstrip("."),
        encoding=encoding,
        source=str(p),
    )


def document_from_text(text: str, *, doc_id: str = "text") -> Document:
    """Wrap a string as a :class:`Document` (universal newlines applied, furniture marked).

    A leading byte-order mark (``\\ufeff``) is dropped, as when loading a file.

    Args:
        text: The document text.
        doc_id: Identifier for the document.

    Returns:
        The document, with ``format="txt"`` and no encoding.

    Raises:
        InputError: the text is empty or whitespace only.
    """
    return _make_document(
        text, doc_id=doc_id, source_path=None, fmt="txt", encoding=None, source=f"text {doc_id!r}"
    )


def normalize_newlines(text: str) -> str:
    """Apply universal newlines: ``\\r\\n`` and lone ``\\r`` become ``\\n``, nothing else."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_bytes(raw: bytes, *, source: str = "input") -> tuple[str, str]:
    """Decode a text file: strict UTF-8 first, else ``charset-normalizer``'s best guess.

    A UTF-8 BOM is dropped (reported as ``utf-8-sig``); newlines are untouched.

    Args:
        raw: The file content.
        source: Name used in error messages.

    Returns:
        ``(text, encoding_name)``.

    Raises:
        InputError: the bytes are binary (NUL or control bytes) or no encoding fits.
    """
    try:
        text = raw.decode("utf-8")
        encoding = "utf-8-sig" if raw.startswith(_UTF8_BOM) else "utf-8"
    except UnicodeDecodeError as e:
        detected, encoding = _detect_and_decode(raw)
        if detected is None:
            raise InputError(
                f"{source}: cannot decode the file as text (not UTF-8, and no other encoding "
                "fits). It is probably binary; convert it to UTF-8 text, .docx or .pdf."
            ) from e
        text = detected
    if "\x00" in text:  # UTF-8 with NULs: UTF-16 without a BOM, or binary
        detected, det_encoding = _detect_and_decode(raw)
        if detected is not None and "\x00" not in detected:
            text, encoding = detected, det_encoding
    text = text.removeprefix("\ufeff")
    if _looks_binary(text):
        raise InputError(
            f"{source}: the file looks binary (it contains NUL or control bytes), not text. "
            "Pass a text, HTML, .docx or .pdf file."
        )
    return text, encoding


def html_to_text(html: str) -> str:
    """Main text of an HTML page, one paragraph per line (trafilatura, else a plain parse).

    Args:
        html: The page source.

    Returns:
        The text; may be empty when the page has none.
    """
    extracted: str | None = None
    try:
        import trafilatura
    except ImportError as e:  # pragma: no cover - depends on the environment
        logger.warning("trafilatura unavailable (%s); using the plain HTML text fallback", e)
    else:
        try:
            extracted = trafilatura.extract(
                html, include_comments=False, include_tables=True, favor_recall=True
            )
        except Exception as e:  # trafilatura raises many kinds on odd markup
            logger.warning("trafilatura failed (%s); using the plain HTML text fallback", e)
    if extracted and extracted.strip():
        return extracted
    return _plain_html_text(html)


# --------------------------------------------------------------------------- furniture


def _words(spaced: str) -> list[str]:
    return spaced.split()


_SEP_RE = re.compile(r"[\s|｜丨/>＞»·•【】\[\]]+")
_BRACKETS = "【】[]()（）〔〕<>《》:：\"'“”"
#: Navigation / tool words that make up whole lines of page chrome.
_NAV_WORDS = frozenset(
    _words("""
    无障碍 无障碍版 无障碍浏览 无障碍阅读 长者助手 长者模式 关怀版 适老化 适老版 读屏 语音播报
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
    r"本作品是|注[:：]\s*中文维基文库)",
    re.I,
)
_TRAILER_MAX_CHARS = 3000


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
            and len(text) - lead <= max(_TRAILER_MAX_CHARS, len(text) // 10)
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


# --------------------------------------------------------------------------- helpers


def _make_document(
    text: str, *, doc_id: str, source_path: str | None, fmt: str, encoding: str | None, source: str
) -> Document:
    text = normalize_newlines(text.removeprefix("\ufeff"))
    if not text.strip():
        raise InputError(
            f"{source}: no text to summarize (empty or whitespace only). "
            "Check the file; a scanned PDF needs OCR first."
        )
    return Document(
        doc_id=doc_id,
        text=text,
        source_path=source_path,
        format=fmt,
        encoding=encoding,
        excluded=find_furniture(text),
    )


def _check_path(p: Path) -> str:
    try:
        is_dir = p.is_dir()
        exists = is_dir or p.exists()
    except OSError as e:
        raise InputError(f"{p}: cannot access the path ({e.strerror or e}).") from e
    if not exists:
        if p.is_symlink():
            raise InputError(
                f"{p}: broken symbolic link (its target {os.readlink(p)!r} does not exist). "
                "Fix or remove the link."
            )
        raise InputError(f"{p}: file not found. Check the path (relative to {Path.cwd()}).")
    if is_dir:
        raise InputError(
            f"{p}: is a directory, not a file. Pass one document, or use the batch command "
            "for a folder."
        )
    suffix = p.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise InputError(
            f"{p}: unsupported file type {p.suffix or '(no suffix)'!r}. "
            f"Supported: {', '.join(SUPPORTED_SUFFIXES)}; convert the file or rename it."
        )
    return suffix


def _read_bytes(p: Path) -> bytes:
    try:
        raw = p.read_bytes()
    except PermissionError as e:
        raise InputError(
            f"{p}: permission denied. Make the file readable (e.g. chmod +r) and retry."
        ) from e
    except OSError as e:
        raise InputError(f"{p}: cannot read the file ({e.strerror or e}).") from e
    if not raw.strip():
        raise InputError(
            f"{p}: the file is empty (or whitespace only); nothing to summarize. "
            "Check the export that produced it, or remove it from the input."
        )
    return raw


def _detect_and_decode(raw: bytes) -> tuple[str | None, str]:
    from charset_normalizer import from_bytes

    best = from_bytes(raw).best()
    if best is None:
        return None, ""
    return str(best), best.encoding.replace("_", "-")


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    controls = len(_CONTROL_RE.findall(text[:20000]))
    return controls > max(3, len(text[:20000]) // 200)


_BLOCK_TAGS = (
    *("p", "div", "br", "li", "tr", "table", "section", "article", "header", "footer", "nav"),
    *("h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "dd", "dt", "title", "figcaption"),
)


def _plain_html_text(html: str) -> str:
    """Visible text of a page, block elements on their own lines; no scripts or styles."""
    import lxml.html

    try:  # lxml rejects str input that carries an XML encoding declaration
        root = lxml.html.fromstring(re.sub(r"^\s*<\?xml[^>]*>", "", html))
    except (ValueError, lxml.etree.LxmlError) as e:
        logger.warning("could not parse the HTML (%s)", e)
        return ""
    for node in root.xpath("//script|//style|//noscript|//template|//head|//svg|//iframe"):
        node.drop_tree()
    for node in root.iter():  # source line breaks are spaces in HTML; blocks make lines
        if node.tag != "pre":
            node.text = node.text and re.sub(r"\s+", " ", node.text)
        node.tail = node.tail and re.sub(r"\s+", " ", node.tail)
    for node in root.iter(*_BLOCK_TAGS):
        node.text = "\n" + (node.text or "")
        node.tail = "\n" + (node.tail or "")
    for cell in root.iter("td", "th"):
        cell.tail = "\t" + (cell.tail or "")
    lines = (re.sub(r"[ \t\u3000\xa0]+", " ", ln).strip() for ln in root.text_content().split("\n"))
    return "\n".join(ln for ln in lines if ln)


def _docx_text(p: Path) -> str:
    try:
        import docx
        from docx.table import Table

        document = docx.Document(str(p))
    except Exception as e:  # python-docx raises zipfile, KeyError, lxml and package errors
        raise InputError(
            f"{p}: not a readable .docx ({type(e).__name__}: {e}). Old .doc files must be "
            "saved as .docx first."
        ) from e
    lines: list[str] = []
    for block in document.iter_inner_content():
        if isinstance(block, Table):
            lines.extend(_table_lines(block))
        else:
            lines.append(block.text)
    return "\n".join(lines)


def _table_lines(table: Table) -> list[str]:
    lines: list[str] = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:  # merged cells repeat
                continue
            seen.add(id(cell._tc))
            cells.append(cell.text.replace("\n", " ").strip())
        if any(cells):
            lines.append("\t".join(cells))
    return lines


def _pdf_text(p: Path) -> str:
    try:
        from pypdf import PdfReader

        reader = PdfReader(str(p))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(f"{p}: the PDF is password-protected; decrypt it first.")
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    except Exception as e:  # pypdf raises PdfReadError, ValueError, KeyError on damaged files
        raise InputError(f"{p}: not a readable PDF ({type(e).__name__}: {e}).") from e
    text = "\n".join(pages)
    if not text.strip():
        raise InputError(
            f"{p}: the PDF has no text layer (scanned images?); it needs OCR first, "
            "e.g. `ocrmypdf in.pdf out.pdf`."
        )
    return text
