"""summarizer: grounded summaries of official annual reports.

Public API::

    import summarizer
    summary = summarizer.summarize("report.txt")              # -> DocumentSummary
    result = summarizer.summarize_folder(["reports/"], "out") # -> BatchResult

Every item carries its evidence spans (exact offsets into the document's plain
text), its figures (with spans and normalised values) and a validation status.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._version import __version__
from .errors import (
    BudgetExceededError,
    ConfigError,
    DatasetError,
    InputError,
    ModelError,
    SummarizerError,
)
from .schema import DocumentSummary, FigureOut, Item, Span, Usage, ValidationNote
from .settings import Settings

if TYPE_CHECKING:
    from .batch.folder import BatchResult
    from .ingest.documents import Document

__all__ = [
    "BudgetExceededError",
    "ConfigError",
    "DatasetError",
    "DocumentSummary",
    "FigureOut",
    "InputError",
    "Item",
    "ModelError",
    "Settings",
    "Span",
    "SummarizerError",
    "Usage",
    "ValidationNote",
    "__version__",
    "summarize",
    "summarize_folder",
]


def summarize(
    source: str | Path | Document,
    *,
    settings: Settings | None = None,
    doc_id: str | None = None,
    **overrides: Any,
) -> DocumentSummary:
    """Summarise one document.

    Args:
        source: a path (``Path``, or ``str`` naming an existing .txt/.md/.html/.docx/.pdf
            file), the document's text, or a loaded ``Document``.
        settings: how to summarise; default ``Settings.from_env()``.
        doc_id: id for the output (default: the file stem, or ``"text"``).
        **overrides: settings fields to change, e.g. ``backend="rules"``.

    Returns:
        The grounded :class:`DocumentSummary`.

    Raises:
        InputError: the document cannot be read or is empty.
        ConfigError: settings are inconsistent (e.g. no local model available).
    """
    from .pipeline import summarize_document

    base = settings if settings is not None else Settings.from_env()
    return summarize_document(source, settings=base.with_(**overrides), doc_id=doc_id)


def summarize_folder(
    paths: str | Path | list[str | Path],
    out_dir: str | Path,
    *,
    settings: Settings | None = None,
    engine: str = "local",
    ray_address: str | None = None,
    **overrides: Any,
) -> BatchResult:
    """Summarise every document under ``paths`` into ``out_dir``.

    Writes ``<name>.json``, ``<name>.text.txt``, ``summaries.jsonl``,
    ``manifest.jsonl``, ``items.csv``/``items.xlsx``/``items.parquet`` and ``report.md``. A
    document that fails is recorded in the result and the manifest; the batch
    goes on. Re-running into the same folder skips finished documents.

    Args:
        paths: files and folders to summarise.
        out_dir: where the outputs go (created if needed).
        settings: how to summarise; default ``Settings.from_env()``.
        engine: ``local`` (threads in this process) or ``ray`` (Ray Data; needs
            the ``ray`` extra).
        ray_address: the Ray cluster for ``engine="ray"`` (default: a local Ray).
        **overrides: settings fields to change, e.g. ``backend="rules"``.

    Returns:
        The :class:`~summarizer.batch.folder.BatchResult` (totals, failures, usage;
        ``outcomes`` read back from ``out_dir`` on demand).

    Raises:
        ConfigError: an unknown engine or inconsistent settings.
    """
    from .batch.folder import summarize_folder as _run

    base = settings if settings is not None else Settings.from_env()
    many = paths if isinstance(paths, list) else [paths]
    return _run(
        many, out_dir, settings=base.with_(**overrides), engine=engine, ray_address=ray_address
    )
