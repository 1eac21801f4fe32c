"""summarizer: grounded summaries of official annual reports.

Public API::

    import summarizer
    summary = summarizer.summarize("report.txt")              # -> DocumentSummary
    summary = summarizer.summarize(text="二、2024年工作安排 …")  # the text itself
    result = summarizer.summarize_folder(["reports/"], "out") # -> BatchResult
    panel = summarizer.panel("out")                           # -> PanelResult

    with summarizer.Summarizer(backend="llm") as session:     # one backend, server and
        summaries = [session.summarize(p) for p in paths]     # cache for many calls

Every item carries its evidence spans (exact offsets into the document's plain
text), its figures (with spans and normalised values) and a validation status.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import panel as _panel_package  # loaded first: summarizer.panel below is the function
from ._version import __version__
from .errors import (
    BudgetExceededError,
    ConfigError,
    DatasetError,
    InputError,
    ModelError,
    SummarizerError,
)
from .schema import DocumentSummary, FigureOut, Indicator, Item, Span, Usage, ValidationNote
from .session import Summarizer
from .settings import Settings

if TYPE_CHECKING:
    from .batch.folder import BatchResult
    from .ingest.documents import Document
    from .panel.build import PanelResult

__all__ = [
    "BudgetExceededError",
    "ConfigError",
    "DatasetError",
    "DocumentSummary",
    "FigureOut",
    "Indicator",
    "InputError",
    "Item",
    "ModelError",
    "Settings",
    "Span",
    "Summarizer",
    "SummarizerError",
    "Usage",
    "ValidationNote",
    "__version__",
    "panel",
    "summarize",
    "summarize_folder",
]


def summarize(
    source: str | Path | Document | None = None,
    *,
    text: str | None = None,
    settings: Settings | None = None,
    doc_id: str | None = None,
    **overrides: Any,
) -> DocumentSummary:
    """Summarise one document (a session of one call: see :class:`Summarizer`).

    Args:
        source: a path (``Path``, or ``str`` naming a .txt/.md/.html/.docx/.pdf
            file) or a loaded ``Document``.
        text: the document's text itself, instead of ``source``.
        settings: how to summarise; default ``Settings.from_env()``.
        doc_id: id for the output (default: the file stem, or ``"text"``).
        **overrides: settings fields to change, e.g. ``backend="rules"``.

    Returns:
        The grounded :class:`DocumentSummary`.

    Raises:
        InputError: no such file (a ``str`` that looks like a path but names no
            file is never read as text), an unreadable document, or empty text.
        ConfigError: a bad setting or override, or no local model available.
    """
    with Summarizer(settings, **overrides) as session:
        return session.summarize(source, text=text, doc_id=doc_id)


def summarize_folder(
    paths: str | Path | list[str | Path],
    out_dir: str | Path,
    *,
    settings: Settings | None = None,
    engine: str = "local",
    ray_address: str | None = None,
    accept_degraded: bool = False,
    redo: bool = False,
    **overrides: Any,
) -> BatchResult:
    """Summarise every document under ``paths`` into ``out_dir`` (a session of one call).

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
        accept_degraded: keep documents a previous run left degraded (some units
            fell back because the endpoint failed) instead of redoing them.
        redo: redo every document, finished or not.
        **overrides: settings fields to change, e.g. ``backend="rules"``.

    Returns:
        The :class:`~summarizer.batch.folder.BatchResult` (totals, failures, usage;
        ``outcomes`` read back from ``out_dir`` on demand).

    Raises:
        ConfigError: an unknown engine, a bad setting or override.
    """
    with Summarizer(settings, **overrides) as session:
        return session.summarize_folder(
            paths,
            out_dir,
            engine=engine,
            ray_address=ray_address,
            accept_degraded=accept_degraded,
            redo=redo,
        )


def panel(
    out_dir: str | Path,
    dest: str | Path | None = None,
    *,
    catalogue: str | Path | None = None,
) -> PanelResult:
    """Targets against outcomes across a finished run (see ``summarizer.panel.build``).

    Reads the ``<doc>.json`` outputs of ``summarize_folder`` / ``summarizer run``
    one at a time and writes ``panel.csv``, ``targets_vs_actuals.csv``,
    ``documents.csv`` and ``panel.html`` into ``dest`` (default ``out_dir``).

    Args:
        out_dir: the run's output folder.
        dest: where the panel files go.
        catalogue: a CSV (``file, county, year``) to check issuers and years
            against; default ``index.csv`` beside the source documents, if any.

    Returns:
        The :class:`~summarizer.panel.build.PanelResult` (counts and files).

    Raises:
        InputError: ``out_dir`` is not a folder or the catalogue cannot be read.
    """
    return _panel_package.build_panel(out_dir, dest, catalogue=catalogue)
