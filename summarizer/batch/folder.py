"""Batches: many documents in, one output folder out.

For each input the folder gets ``<name>.json`` (the :class:`DocumentSummary`)
and ``<name>.text.txt`` (the plain text every offset refers to); for the run,
``summaries.jsonl``, ``manifest.jsonl`` (one status line per document) and
``report.md``. One bad document is recorded and the batch goes on.

Runs resume: the manifest is the record of truth (input SHA-256, run identity
— :mod:`summarizer.batch.identity` —, status; :mod:`summarizer.batch.manifest`),
so a re-run into the same folder redoes only failed, degraded (some units fell
back because the endpoint failed), changed, reconfigured or missing documents. Documents run
``settings.concurrency`` at a time (with the model backend: requests in flight
are held to it, and a few more documents are prepared meanwhile, see
:func:`_local_runner`); outputs do not depend on the order they finish in.

The batch-level files follow the run instead of waiting for its end: as soon as
every document before it has finished, a document's rows are appended to
``items.csv`` / ``items.xlsx`` / ``items.parquet``
(:class:`~summarizer.batch.export_stream.ExportStream`), its line to
``summaries.jsonl`` and its row to the report
(:class:`~summarizer.batch.report_stream.ReportStream`), all in input order; the
last document is followed only by closing them, the manifest and the report.

Memory does not grow with the batch: the engines keep a bounded number of
documents in flight, a finished document is written and dropped (a few that
finish before an earlier one wait, see :data:`HOLD_SUMMARIES`), and the
:class:`BatchResult` keeps totals, failures and degraded documents
(:mod:`summarizer.batch.run_summary`); per document only its output name, input
path and a skipped flag stay until the end (~200 bytes).

Where they run is the engine's business (:mod:`summarizer.batch.engines`): ``local``
by default (threads, in this process or in worker processes sharing the batch
among CPUs: :mod:`summarizer.batch.workers`), or ``ray`` (Ray Data, locally or on
a cluster). Either way
the skip decision is made here before dispatch, and every output, manifest row
and the report are written here, by the same code.
"""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, InputError
from ..ingest.documents import SUPPORTED_SUFFIXES
from ..pipeline import Extractor
from ..schema import DocumentSummary
from ..settings import Settings
from .engines import ENGINES, Runner, WorkItem, WorkResult, ray_runner
from .identity import changed_parts, identity_parts, run_identity
from .in_order import InOrderOutputs
from .manifest import (
    append_row,
    appending,
    compacted,
    file_sha256,
    manifest_row,
    read_manifest,
    redo_reason,
)
from .outcomes import REUSED, BatchResult, DocOutcome, outcome_of
from .outcomes import load_summary as _load_summary  # a module global: tests count its reads
from .threads import from_list, run_threads
from .workers import run_in_processes, worker_count

log = logging.getLogger(__name__)

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
        The :class:`BatchResult` (totals; failed documents are in it, not raised).

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
    del taken
    parts = identity_parts(settings)
    identity = run_identity(parts)
    t0 = time.perf_counter()
    manifest = out / "manifest.jsonl"
    previous = read_manifest(manifest)
    was_skipped = bytearray(len(inputs))
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
        if skipped is None:  # the same few reasons for many documents: one string each
            jobs.append(_Job(k, path, name, digest, sys.intern(reason or "output missing")))
            continue
        was_skipped[k] = REUSED.index(skipped.status)
        done += 1
        if on_progress:
            on_progress(done, len(inputs), skipped)
    del previous  # the manifest is read again to compact it at the end
    sources = tuple(str(p) for p in inputs)
    del inputs

    def reuse(k: int) -> tuple[DocOutcome, DocumentSummary]:  # finished by a previous run
        summary = _load_summary(out, names[k])
        status = REUSED[was_skipped[k]]
        return outcome_of(sources[k], names[k], summary, skipped=True, status=status), summary

    def read_back(name: str) -> DocumentSummary:
        return _load_summary(out, name)

    with InOrderOutputs(out, settings, was_skipped, reuse, read_back) as batch_files:
        batch_files.advance()  # documents finished in a previous run
        if jobs:
            with appending(manifest) as log:
                work = [WorkItem(job.index, str(job.path), job.name) for job in jobs]
                pending = {job.index: (job.sha256, job.reason) for job in jobs}
                del jobs
                for done_work in runner(work, settings):
                    digest, reason = pending.pop(done_work.key)
                    outcome = _store(out, done_work, identity, reason)
                    append_row(log, manifest_row(outcome, digest, identity, parts))
                    done += 1
                    if on_progress:
                        on_progress(done, len(names), outcome)
                    batch_files.finished(done_work.key, outcome, done_work.summary,
                                         done_work.text)  # fmt: skip
                    del done_work, outcome
        seconds = time.perf_counter() - t0
        tally = batch_files.tally
        result = BatchResult(
            out,
            seconds,
            documents=tally.documents,
            failed=tuple(tally.failed),
            skipped_count=tally.skipped,
            usage=tally.usage,
            names=tuple(names),
            sources=sources,
            was_skipped=bytes(was_skipped),
            identity=identity,
            degraded=tuple(tally.degraded),
            accepted_degraded=tuple(tally.accepted_degraded),
            redone=tuple(tally.redone.items()),
        )
        write_atomic(manifest, compacted(read_manifest(manifest), names))
    try:
        counts = batch_files.report.close(seconds, tally, identity)
    except BaseException:
        batch_files.readable.discard()
        raise
    batch_files.readable.close(counts)
    return result


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
    degraded = summary.metadata.degraded_units and (row or {}).get("status") == "degraded"
    return outcome_of(str(path), name, summary, skipped=True, status=REUSED[1 + bool(degraded)])


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
    """The local engine: threads in this process, or worker processes each with threads.

    :func:`~summarizer.batch.workers.worker_count` decides how many processes
    (``settings.workers``; auto: one per CPU for a batch big enough, one with the
    embedded model or a caller's own backend). In each, documents run with
    :func:`~summarizer.batch.threads.run_threads`. ``extractor``: the backend to
    use (a session's; this process only); default: one opened on first use,
    closed at the end.
    """
    workers = worker_count(settings, len(items), own_backend=extractor is not None)
    if workers > 1:
        log.debug("%d documents in %d worker processes", len(items), workers)
        yield from run_in_processes(items, settings, workers)
    else:
        yield from run_threads(from_list(items), settings, extractor=extractor)


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
    return outcome_of(
        result.source,
        name,
        summary,
        seconds=result.seconds,
        usage=summary.metadata.usage,
        reason=reason,
    )
