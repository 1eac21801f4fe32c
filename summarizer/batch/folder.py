"""Batches: many documents in, one output folder out.

For each input the folder gets ``<name>.json`` (the :class:`DocumentSummary`)
and ``<name>.text.txt`` (the plain text every offset refers to); for the run,
``summaries.jsonl``, ``manifest.jsonl`` (one status line per document),
``report.md`` and ``report.html`` (the run's counts, then every document's
summaries; :mod:`summarizer.batch.readable`). One bad document is recorded and
the batch goes on.

Runs resume: the manifest is the record of truth (input SHA-256, run identity
— :mod:`summarizer.batch.identity` —, status; :mod:`summarizer.batch.manifest`),
so a re-run into the same folder redoes only failed, degraded (some units fell
back because the endpoint failed), changed, reconfigured or missing documents. Documents run
``settings.concurrency`` at a time (with the model backend: requests in flight
are held to it, and a few more documents are prepared meanwhile, see
:func:`_local_runner`); outputs do not depend on the order they finish in.

The batch-level files follow the run instead of waiting for its end: as soon as
every document before it has finished, a document's rows are appended to
``items.csv`` / ``items.xlsx`` (:class:`~summarizer.batch.export_stream.ExportStream`)
and its line to ``summaries.jsonl``, all in input order; the last document is
followed only by closing them, the manifest and the report.

Where they run is the engine's business (:mod:`summarizer.batch.engines`): ``local``
threads by default, or ``ray`` (Ray Data, locally or on a cluster). Either way
the skip decision is made here before dispatch, and every output, manifest row
and the report are written here, by the same code.
"""

from __future__ import annotations

import functools
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from ..errors import ConfigError, InputError
from ..ingest.documents import SUPPORTED_SUFFIXES
from ..pipeline import Extractor, open_backend
from ..schema import DocumentSummary, Usage
from ..settings import Settings
from .engines import ENGINES, Runner, WorkItem, WorkResult, ray_runner, summarize_item
from .export_stream import ExportStream
from .identity import changed_parts, identity_parts, run_identity
from .manifest import (
    append_row,
    appending,
    compacted,
    file_sha256,
    manifest_row,
    read_manifest,
    redo_reason,
)
from .readable import write_readable_reports


@dataclass(frozen=True, slots=True)
class DocOutcome:
    """What happened to one input."""

    source: str
    name: str  #: output file stem
    #: 'ok', 'failed', or 'degraded' (written, but some units fell back because the
    #: endpoint failed: not done, the next run redoes it unless degraded is accepted)
    status: str
    error: str | None = None
    seconds: float = 0.0
    usage: Usage = field(default_factory=Usage)
    counts: dict[str, int] = field(default_factory=dict)
    figures: int = 0
    warnings: tuple[str, ...] = ()
    #: True when a previous run had finished it: reused from disk, no model call,
    #: ``usage`` and ``seconds`` zero (the manifest keeps what it cost then)
    skipped: bool = False
    degraded_units: int = 0  #: units that fell back because the endpoint failed
    degraded_reason: str | None = None
    #: why a previous output was not reused (``changed input``, ``new configuration``,
    #: ``degraded``, ``failed``, ``--redo``...); empty for a first run or a skip
    redo_reason: str = ""

    @property
    def label(self) -> str:
        """Status for people: ``ok``, ``failed``, ``degraded`` or ``skipped (done)``."""
        if self.skipped:
            return "skipped (done)" if self.status == "ok" else f"skipped ({self.status}, accepted)"
        return self.status

    @property
    def written(self) -> bool:
        """True when the document has an output (``ok`` or ``degraded``)."""
        return self.status in ("ok", "degraded")


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Outcomes of a batch, in input order."""

    out_dir: Path
    outcomes: tuple[DocOutcome, ...]
    seconds: float
    identity: str = ""  #: the run identity (:mod:`summarizer.batch.identity`)

    @property
    def failed(self) -> list[DocOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    @property
    def degraded(self) -> list[DocOutcome]:
        """Made by this run, but with units that fell back because the endpoint failed."""
        return [o for o in self.outcomes if o.status == "degraded" and not o.skipped]

    @property
    def accepted_degraded(self) -> list[DocOutcome]:
        """Degraded outputs of a previous run kept as they are (``accept_degraded``)."""
        return [o for o in self.outcomes if o.status == "degraded" and o.skipped]

    def reuse_line(self) -> str:
        """One line: how many outputs were reused, how many redone and why."""
        reasons = self.redo_reasons()
        redone = "; ".join(f"{n} {why}" for why, n in sorted(reasons.items()))
        return (
            f"reused {len(self.skipped)} of {len(self.outcomes)} (same input and run identity)"
            + (f"; redone: {redone}" if redone else "")
        )

    @property
    def skipped(self) -> list[DocOutcome]:
        return [o for o in self.outcomes if o.skipped]

    def redo_reasons(self) -> dict[str, int]:
        """How many documents were (re)done, by why the previous output was not reused."""
        counts: dict[str, int] = {}
        for o in self.outcomes:
            if not o.skipped and o.redo_reason and o.redo_reason != "new":
                counts[o.redo_reason] = counts.get(o.redo_reason, 0) + 1
        return counts

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
                    # a broken link is kept so that it is reported, not silently passed over
                    if (q.is_file() or (q.is_symlink() and not q.exists()))
                    and q.suffix.lower() in SUPPORTED_SUFFIXES
                )
            )
        elif p.exists() or p.is_symlink():
            found.append(p)
        else:
            raise InputError(f"{p}: no such file or folder")
    if not found:
        raise InputError("no documents found; supported suffixes: " + ", ".join(SUPPORTED_SUFFIXES))
    unique: dict[str, Path] = {}  # a file named twice (or inside a named folder) runs once
    for f in found:
        unique.setdefault(os.path.abspath(f), f)
    return list(unique.values())


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


class _LazyBackend:
    """The extractor, opened on first use only (a fully resumed batch starts no model)."""

    def __init__(self, settings: Settings, stack: ExitStack) -> None:
        self._settings = settings
        self._stack = stack
        self._lock = threading.Lock()
        self._extractor: Extractor | None = None

    def get(self) -> Extractor:
        with self._lock:
            if self._extractor is None:
                self._extractor = self._stack.enter_context(open_backend(self._settings))
            return self._extractor


@dataclass(frozen=True, slots=True)
class _Job:
    index: int
    path: Path
    name: str
    sha256: str
    reason: str  #: why it is (re)done


def summarize_folder(
    paths: Sequence[str | Path],
    out_dir: str | Path,
    *,
    settings: Settings,
    on_progress: Progress | None = None,
    engine: str = "local",
    ray_address: str | None = None,
    runner: Runner | None = None,
    extractor: Callable[[], Extractor] | None = None,
    accept_degraded: bool = False,
    redo: bool = False,
) -> BatchResult:
    """Summarise every document under ``paths`` into ``out_dir``, resuming a previous run.

    ``OUT/manifest.jsonl`` is the record of truth: a document whose last row there
    says ``ok`` for the same input hash and run identity
    (:mod:`summarizer.batch.identity`), and whose ``OUT/<name>.json`` exists, is
    skipped (no model call; the backend is opened only when some document needs
    it). Failed, degraded (some units fell back because the endpoint failed),
    changed, reconfigured and missing documents are (re)done,
    ``settings.concurrency`` at a time. Rows are appended as documents finish and
    the manifest is rewritten compacted at the end; ``summaries.jsonl`` and
    ``report.md`` are rebuilt, in input order, from every finished output.

    Args:
        paths: files and/or folders (searched recursively).
        out_dir: the output folder (created if needed).
        settings: how to summarise.
        on_progress: called after each document with (done, total, outcome),
            in completion order.
        engine: ``local`` (threads in this process) or ``ray`` (Ray Data; needs
            the ``ray`` extra). Outputs, manifest and report are the same.
        ray_address: the Ray cluster for ``engine="ray"`` (``auto``,
            ``ray://host:10001``); default: a local Ray instance.
        runner: run the work items with this instead of ``engine`` (tests, other engines).
        extractor: with the local engine, returns the (opened) backend to use — a
            :class:`summarizer.Summarizer` session's; called only when some
            document needs it. Default: the backend of ``settings``, opened for
            this batch and closed after it.
        accept_degraded: keep degraded outputs of a previous run instead of redoing them.
        redo: redo every document, whatever the manifest says.

    Returns:
        The :class:`BatchResult` in input order; failed documents are in it, not raised.

    Raises:
        ConfigError: an unknown engine, or ``ray_address`` without ``engine="ray"``.
    """
    if runner is None:
        runner = _runner_for(engine, ray_address, extractor)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    _remove_stale_temp_files(out)
    inputs = collect_inputs(paths)
    taken: set[str] = set()
    names = [output_name(p, taken) for p in inputs]
    parts = identity_parts(settings)
    identity = run_identity(parts)
    t0 = time.perf_counter()
    manifest = out / "manifest.jsonl"
    previous = read_manifest(manifest)
    rows = dict(previous)
    outcomes: list[DocOutcome | None] = [None] * len(inputs)
    jobs: list[_Job] = []
    done = 0
    for k, (path, name) in enumerate(zip(inputs, names, strict=True)):
        try:
            digest = file_sha256(path)
        except OSError:
            digest = ""  # unreadable: let the loader report it as a failure
        row = previous.get(name)
        reason = "--redo" if redo and row is not None else ""
        reason = reason or redo_reason(row, digest, identity, accept_degraded=accept_degraded)
        if reason == "configuration changed" and row is not None:
            reason += f" ({', '.join(changed_parts(row.get('config'), parts))})"
        skipped = None if reason else _skipped(path, name, row, out)
        if skipped is None:
            jobs.append(_Job(k, path, name, digest, reason or "output missing"))
            continue
        outcomes[k] = skipped
        done += 1
        if on_progress:
            on_progress(done, len(inputs), skipped)
    with _InOrderOutputs(out, outcomes) as batch_files:
        batch_files.advance()  # documents finished in a previous run
        if jobs:
            with appending(manifest) as log:
                work = [WorkItem(job.index, str(job.path), job.name) for job in jobs]
                by_index = {job.index: job for job in jobs}
                for done_work in runner(work, settings):
                    job = by_index[done_work.key]
                    outcome = _store(out, done_work, identity, job.reason)
                    outcomes[job.index] = outcome
                    row = manifest_row(outcome, job.sha256, identity, parts)
                    rows.pop(job.name, None)
                    rows[job.name] = row
                    append_row(log, row)
                    done += 1
                    if on_progress:
                        on_progress(done, len(inputs), outcome)
                    batch_files.advance(job.index, done_work.summary)
        final = tuple(o for o in outcomes if o is not None)
        result = BatchResult(out, final, time.perf_counter() - t0, identity)
        write_atomic(manifest, compacted(rows, names))
    ok_names = (o.name for o in result.outcomes if o.status == "ok")
    write_readable_reports(out, ok_names, render_report(result, settings))
    return result


class _InOrderOutputs:
    """``summaries.jsonl``, ``items.csv`` and ``items.xlsx``, written in input order as
    documents finish: document ``k`` is written once documents ``0..k`` all have an
    outcome. Moved into place when the block ends; on an exception they are dropped
    (earlier versions stay)."""

    def __init__(self, out: Path, outcomes: list[DocOutcome | None]) -> None:
        self._out, self._outcomes = out, outcomes
        self._next = 0
        self._held: dict[int, DocumentSummary] = {}  # finished, waiting for earlier ones
        fd, tmp = tempfile.mkstemp(dir=out, prefix=".summaries.jsonl.", suffix=".tmp")
        self._jsonl_tmp = Path(tmp)
        self._jsonl: IO[str] = os.fdopen(fd, "w", encoding="utf-8")
        try:
            self._exports = ExportStream(out)
        except BaseException:
            self._jsonl.close()
            self._jsonl_tmp.unlink(missing_ok=True)
            raise

    def advance(self, index: int | None = None, summary: DocumentSummary | None = None) -> None:
        """Record that document ``index`` finished with ``summary``; write what is due."""
        if index is not None and summary is not None:
            self._held[index] = summary
        while self._next < len(self._outcomes):
            outcome = self._outcomes[self._next]
            if outcome is None:
                return
            if outcome.written:
                summary = self._held.pop(self._next, None)
                if summary is None:  # finished in a previous run
                    summary = _load_summary(self._out, outcome.name)
                self._jsonl.write(summary.model_dump_json() + "\n")
                self._exports.add(summary)
            self._next += 1

    def __enter__(self) -> _InOrderOutputs:
        return self

    def __exit__(self, et: type[BaseException] | None, *exc: object) -> None:
        self._jsonl.close()
        if et is not None:
            self._exports.abort()
            self._jsonl_tmp.unlink(missing_ok=True)
            return
        try:
            os.replace(self._jsonl_tmp, self._out / "summaries.jsonl")
        except BaseException:
            self._exports.abort()
            raise
        self._exports.close()


def _remove_stale_temp_files(out: Path) -> None:
    """Delete temporary files a killed run left behind (``write_atomic``'s ``.NAME.*.tmp``)."""
    for tmp in out.glob(".*.tmp"):
        if tmp.is_file():
            tmp.unlink(missing_ok=True)


def _skipped(path: Path, name: str, row: dict[str, Any] | None, out: Path) -> DocOutcome | None:
    """A 'skipped' outcome for a document the manifest proves done; None if its output is gone."""
    try:
        summary = _load_summary(out, name)
    except (OSError, ValueError):  # missing or damaged: do it again
        return None
    degraded = summary.metadata.degraded_units
    return DocOutcome(
        source=str(path),
        name=name,
        status="degraded" if degraded and (row or {}).get("status") == "degraded" else "ok",
        degraded_units=degraded,
        degraded_reason=summary.metadata.degraded_reason,
        skipped=True,
        counts=_counts(summary),
        figures=sum(len(it.figures) for it in summary.items()),
        warnings=tuple(summary.metadata.warnings),
    )


def _load_summary(out: Path, name: str) -> DocumentSummary:
    return DocumentSummary.model_validate_json((out / f"{name}.json").read_text(encoding="utf-8"))


def _counts(summary: DocumentSummary) -> dict[str, int]:
    return {
        "achievements": len(summary.achievements),
        "shortcomings": len(summary.shortcomings),
        "plans": len(summary.plans),
    }


def _runner_for(
    engine: str, ray_address: str | None, extractor: Callable[[], Extractor] | None = None
) -> Runner:
    """The runner of a named engine (the local one with the given backend, if any)."""
    if engine not in ENGINES:
        raise ConfigError(f"unknown engine {engine!r}; choose one of {ENGINES}")
    if engine == "ray":
        return ray_runner(ray_address)
    if ray_address:
        raise ConfigError("a Ray address needs the ray engine (--engine ray)")
    return functools.partial(_local_runner, extractor=extractor)


def _local_runner(
    items: Sequence[WorkItem],
    settings: Settings,
    *,
    extractor: Callable[[], Extractor] | None = None,
) -> Iterator[WorkResult]:
    """The local engine: threads sharing one lazily opened backend.

    With the model backend the client holds requests in flight to
    ``settings.concurrency``; ``concurrency // 2`` (at least one) more documents
    are read, parsed and made into requests meanwhile, and finished ones are
    validated and written after their slot is free again, so a freed slot is
    taken at once instead of after the next document's preparation. The rules
    backend runs ``concurrency`` documents at a time. ``extractor``: the backend
    to use (a session's); default: one opened here on first use, closed at the end.
    """
    workers = settings.concurrency
    if settings.backend == "llm":
        workers += max(1, settings.concurrency // 2)
    with ExitStack() as stack:
        get = extractor or _LazyBackend(settings, stack).get  # closed after the pool drained
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(summarize_item, it, settings, get) for it in items]
            for future in as_completed(futures):
                yield future.result()


def _store(out: Path, result: WorkResult, identity: str, reason: str) -> DocOutcome:
    """Write one result's ``<name>.text.txt`` and ``<name>.json``; its outcome."""
    summary, name = result.summary, result.name
    if summary is None or result.text is None:
        error = result.error or "no summary was returned"
        return DocOutcome(result.source, name, "failed", error, result.seconds, redo_reason=reason)
    text_file = out / f"{name}.text.txt"
    write_atomic(text_file, result.text)
    summary.metadata.text_path = text_file.name
    summary.metadata.run_identity = identity
    write_atomic(out / f"{name}.json", summary.model_dump_json(indent=2) + "\n")
    degraded = summary.metadata.degraded_units
    return DocOutcome(
        source=result.source,
        name=name,
        status="degraded" if degraded else "ok",
        degraded_units=degraded,
        degraded_reason=summary.metadata.degraded_reason,
        redo_reason=reason,
        seconds=result.seconds,
        usage=summary.metadata.usage,
        counts=_counts(summary),
        figures=sum(len(it.figures) for it in summary.items()),
        warnings=tuple(summary.metadata.warnings),
    )


def render_report(result: BatchResult, settings: Settings) -> str:
    """The Markdown run report: per document items per category, figures, tokens, time, warnings."""
    lines = [
        "# Summarizer run report",
        "",
        f"Backend: `{settings.backend}`"
        + (f", model `{settings.model}`" if settings.backend == "llm" and settings.model else ""),
        f"Documents: {len(result.outcomes)}, failed: {len(result.failed)}, "
        f"degraded: {len(result.degraded)}, "
        f"skipped (done): {len(result.skipped)}, "
        f"wall time: {result.seconds:.1f} s",
        f"Run identity: `{result.identity}`; {result.reuse_line()}",
        "",
        "| document | status | achievements | shortcomings | plans | figures "
        "| prompt tok | completion tok | calls | seconds |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for o in result.outcomes:
        c = o.counts
        lines.append(
            f"| {o.name} | {o.label} | {c.get('achievements', '')} | {c.get('shortcomings', '')} "
            f"| {c.get('plans', '')} | {o.figures if o.written else ''} "
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
    if result.degraded:
        lines += [
            "## Degraded (redone by the next run)",
            "",
            "Some units of these documents got no usable answer because the endpoint "
            "failed; they fell back to rules. Run the same command again to redo them "
            "(`--accept-degraded` keeps them).",
            "",
        ]
        lines += [
            f"- `{o.name}`: {o.degraded_units} units: {o.degraded_reason}" for o in result.degraded
        ]
        lines.append("")
    if problems:
        lines += ["## Warnings and errors", ""]
        lines += [f"- `{o.name}`: {w}" for o, w in problems]
        lines.append("")
    return "\n".join(lines)
