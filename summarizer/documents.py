"""Load documents into plain text with excluded ranges.

Offsets everywhere in summarizer refer to ``Document.text``: for text files the
file decoded with universal newlines (``\\r\\n`` -> ``\\n``), for other formats the
extracted text (saved beside the output so every offset can be checked).
Page furniture is marked in ``Document.excluded``, never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

SUPPORTED_SUFFIXES = (".txt", ".md", ".html", ".htm", ".docx", ".pdf")


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


def load_document(path: str | Path, *, doc_id: str | None = None) -> Document:
    """Read a file (.txt/.md/.html/.docx/.pdf) into a :class:`Document`.

    Raises:
        InputError: the file is missing, unreadable, binary, empty or of an unknown format.
    """
    raise NotImplementedError


def document_from_text(text: str, *, doc_id: str = "text") -> Document:
    """Wrap a string as a :class:`Document` (universal newlines applied, furniture marked)."""
    raise NotImplementedError
