"""Load documents into plain text with excluded ranges.

Offsets everywhere in summarizer refer to ``Document.text``: for text files the
file decoded with universal newlines (``\\r\\n`` -> ``\\n``), for other formats the
extracted text (saved beside the output so every offset can be checked).
Page furniture (:mod:`summarizer.ingest.furniture`) is marked in ``Document.excluded``, never
deleted.

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
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from summarizer.errors import InputError

from .furniture import find_exclusions
from .furniture import find_furniture as find_furniture
from .furniture import is_furniture_line as is_furniture_line

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
    #: Why each range of ``excluded`` is excluded ('furniture', 'appendix', 'table');
    #: empty when not known (every range then counts as furniture).
    excluded_reasons: tuple[str, ...] = field(default=())

    def exclusion_reason(self, k: int) -> str:
        """The reason the ``k``-th excluded range is excluded."""
        return self.excluded_reasons[k] if k < len(self.excluded_reasons) else "furniture"

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
    excluded, reasons = find_exclusions(text)
    return Document(
        doc_id=doc_id,
        text=text,
        source_path=source_path,
        format=fmt,
        encoding=encoding,
        excluded=excluded,
        excluded_reasons=reasons,
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
