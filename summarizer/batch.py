"""Batches: many documents in, one output folder out.

For each input the folder gets ``<name>.json`` (the :class:`DocumentSummary`)
and ``<name>.text.txt`` (the plain text every offset refers to); for the run,
``summaries.jsonl``, ``manifest.jsonl`` (one status line per document) and
``report.md``. One bad document is recorded and the batch goes on.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .documents import SUPPORTED_SUFFIXES
from .errors import InputError, SummarizerError
from .pipeline import as_document, open_backend, summarize_document
from .schema import DocumentSummary, Usage
from .settings import Settings


@dataclass(frozen=True, slots=True)
class DocOutcome:
    """What happened to one input."""

    source: str
    name: str  #: output file stem
    status: str  #: 'ok' or 'failed'
    error: str | None = None
    seconds: float = 0.0
    usage: Usage = field(default_factory=Usage)
    counts: dict[str, int] = field(default_factory=dict)
    figures: int = 0
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Outcomes of a batch, in input order."""

    out_dir: Path
    outcomes: tuple[DocOutcome, ...]
    seconds: float

    @property
    def failed(self) -> list[DocOutcome]:
        return [o for o in self.outcomes if o.status != "ok"]

    @property
    def usage(self) -> Usage:
        total = Usage()
        for o in self.outcomes:
            total = total + o.usage
        return total


Progress = Callable[[int, int, DocOutcome], None]


def collect_inputs(paths: Iterable[str | Path]) -> list[Path]:
    """Files to summarise: given files as they are, folders searched for supported suffixes.

    Raises:
        InputError: a path does not exist, or nothing to summarise was found.
    """
    found: list[Path] = []
    for raw in paths:
        p = Path(raw)
        if p.is_dir():
            found.extend(
                sorted(
                    q
                    for q in p.rglob("*")
                    if q.is_file() and q.suffix.lower() in SUPPORTED_SUFFIXES
                )
            )
        elif p.exists() or p.is_symlink():
            found.append(p)
        else:
            raise InputError(f"{p}: no such file or folder")
    if not found:
        raise InputError("no documents found; supported suffixes: " + ", ".join(SUPPORTED_SUFFIXES))
    return found


_UNSAFE = re.compile(r"[^\w.\-\u4e00-\u9fff]+")


def output_name(path: Path, taken: set[str]) -> str:
    """A file stem for ``path`` that stays inside the output folder and is unique."""
    stem = _UNSAFE.sub("_", path.stem).strip("._") or "document"
    name, k = stem[:120], 2
    while name in taken:
        name = f"{stem[:115]}-{k}"
        k += 1
    taken.add(name)
    return name


def write_atomic(path: Path, data: str) -> None:
    """Write ``data`` to ``path`` so readers never see a half-written file."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def summarize_folder(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    *,
    settings: Settings,
    on_progress: Progress | None = None,
) -> BatchResult:
    """Summarise every document under ``paths`` into ``out_dir``.

    Args:
        paths: files and/or folders (searched recursively).
        out_dir: the output folder (created if needed).
        settings: how to summarise.
        on_progress: called after each document with (done, total, outcome).

    Returns:
        The :class:`BatchResult`; failed documents are in it, not raised.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    inputs = collect_inputs(paths)
    taken: set[str] = set()
    names = [output_name(p, taken) for p in inputs]
    outcomes: list[DocOutcome] = []
    summaries: list[DocumentSummary] = []
    t0 = time.perf_counter()
    manifest = out / "manifest.jsonl"
    manifest.write_text("", encoding="utf-8")
    with open_backend(settings) as extractor:
        for k, (path, name) in enumerate(zip(inputs, names, strict=True), 1):
            outcome, summary = _one(path, name, out, settings, extractor)
            outcomes.append(outcome)
            if summary is not None:
                summaries.append(summary)
            with manifest.open("a", encoding="utf-8") as f:
                f.write(json.dumps(_manifest_row(outcome), ensure_ascii=False) + "\n")
            if on_progress:
                on_progress(k, len(inputs), outcome)
    result = BatchResult(out, tuple(outcomes), time.perf_counter() - t0)
    write_atomic(
        out / "summaries.jsonl",
        "".join(s.model_dump_json() + "\n" for s in summaries),
    )
    write_atomic(out / "report.md", render_report(result, settings))
    return result


def _one(
    path: Path, name: str, out: Path, settings: Settings, extractor: object
) -> tuple[DocOutcome, DocumentSummary | None]:
    t = time.perf_counter()
    try:
        document = as_document(path, doc_id=name)
        summary = summarize_document(document, settings=settings, extractor=extractor)  # type: ignore[arg-type]
    except SummarizerError as e:
        return DocOutcome(str(path), name, "failed", str(e), time.perf_counter() - t), None
    except Exception as e:  # a bug must not stop the night: record it, go on
        msg = f"internal error ({type(e).__name__}: {e}); please report it"
        return DocOutcome(str(path), name, "failed", msg, time.perf_counter() - t), None
    text_file = out / f"{name}.text.txt"
    write_atomic(text_file, document.text)
    summary.metadata.text_path = text_file.name
    write_atomic(out / f"{name}.json", summary.model_dump_json(indent=2) + "\n")
    counts = {
        "achievements": len(summary.achievements),
        "shortcomings": len(summary.shortcomings),
        "plans": len(summary.plans),
    }
    return (
        DocOutcome(
            source=str(path),
            name=name,
            status="ok",
            seconds=time.perf_counter() - t,
            usage=summary.metadata.usage,
            counts=counts,
            figures=sum(len(it.figures) for it in summary.items()),
            warnings=tuple(summary.metadata.warnings),
        ),
        summary,
    )


def _manifest_row(o: DocOutcome) -> dict[str, object]:
    return {
        "source": o.source,
        "name": o.name,
        "status": o.status,
        "error": o.error,
        "seconds": round(o.seconds, 3),
        "usage": o.usage.model_dump(),
    }


def render_report(result: BatchResult, settings: Settings) -> str:
    """The Markdown run report: per document items per category, figures, tokens, time, warnings."""
    lines = [
        "# Summarizer run report",
        "",
        f"Backend: `{settings.backend}`"
        + (f", model `{settings.model}`" if settings.backend == "llm" and settings.model else ""),
        f"Documents: {len(result.outcomes)}, failed: {len(result.failed)}, "
        f"wall time: {result.seconds:.1f} s",
        "",
        "| document | status | achievements | shortcomings | plans | figures "
        "| prompt tok | completion tok | calls | seconds |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for o in result.outcomes:
        c = o.counts
        lines.append(
            f"| {o.name} | {o.status} | {c.get('achievements', '')} | {c.get('shortcomings', '')} "
            f"| {c.get('plans', '')} | {o.figures if o.status == 'ok' else ''} "
            f"| {o.usage.prompt_tokens} | {o.usage.completion_tokens} | {o.usage.calls} "
            f"| {o.seconds:.2f} |"
        )
    u = result.usage
    lines += [
        f"| **total** | | | | | | {u.prompt_tokens} | {u.completion_tokens} | {u.calls} "
        f"| {result.seconds:.2f} |",
        "",
    ]
    problems = [(o, w) for o in result.outcomes for w in o.warnings] + [
        (o, f"FAILED: {o.error}") for o in result.failed
    ]
    if problems:
        lines += ["## Warnings and errors", ""]
        lines += [f"- `{o.name}`: {w}" for o, w in problems]
        lines.append("")
    return "\n".join(lines)
