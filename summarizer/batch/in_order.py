"""The batch-level files written in input order as documents finish, whatever order they finish in.

:class:`InOrderOutputs` is how :func:`summarizer.batch.folder.summarize_folder`
writes ``summaries.jsonl``, the exports
(:class:`~summarizer.batch.export_stream.ExportStream`), the report's rows
(:class:`~summarizer.batch.report_stream.ReportStream`) and the report a person
reads (:class:`~summarizer.batch.readable.ReadableStream`) without holding the batch:
a document is written as soon as every document before it has finished, then
dropped; only documents that finish before an earlier one wait, and of those at
most :data:`HOLD_SUMMARIES` keep their summary in memory (the others are read
back from their ``<name>.json`` when their turn comes).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import IO

from ..schema import DocumentSummary
from ..settings import Settings
from .doc_outcome import DocOutcome
from .export_stream import ExportStream
from .readable import ReadableStream
from .report_stream import ReportStream
from .run_summary import WRITTEN, RunTally

#: Finished summaries held in memory while an earlier document is still running;
#: past this many, a summary is read back from its ``<name>.json`` when its turn comes.
HOLD_SUMMARIES = 32


class InOrderOutputs:
    """``summaries.jsonl``, the exports (``items.csv``, ``items.xlsx``, ``items.parquet``)
    and the report's rows, written in input order as documents finish: document ``k``
    is written once documents ``0..k`` all have finished. Moved into place when the
    block ends (the report by :meth:`ReportStream.close`, after the manifest); on an
    exception they are dropped (earlier versions stay).

    Nothing is kept per written document but what :attr:`tally` counts (failed
    and degraded outcomes are kept there); a document that finishes before an
    earlier one is held (its outcome, and its summary up to :data:`HOLD_SUMMARIES`
    of them) until its turn."""

    def __init__(
        self,
        out: Path,
        settings: Settings,
        was_skipped: bytearray,
        reuse: Callable[[int], tuple[DocOutcome, DocumentSummary]],
        read_back: Callable[[str], DocumentSummary],
    ) -> None:
        """Open the temporary files.

        Args:
            out: the output folder.
            settings: the run's settings (for the report).
            was_skipped: per input in input order, 1 when a previous run finished it.
            reuse: the outcome and summary of input ``k`` that a previous run finished.
            read_back: a finished document's summary, from its ``<name>.json``.
        """
        self._out, self._was_skipped = out, was_skipped
        self._reuse, self._read_back = reuse, read_back
        self._next = 0
        #: finished, waiting for earlier ones: outcome, and the summary unless too many wait
        #: (and its text when it is written at once: the report need not read it back)
        self._held: dict[int, tuple[DocOutcome, DocumentSummary | None, str | None]] = {}
        self._held_summaries = 0
        #: the run's totals, failed and degraded outcomes (counted in input order)
        self.tally: RunTally = RunTally()
        fd, tmp = tempfile.mkstemp(dir=out, prefix=".summaries.jsonl.", suffix=".tmp")
        self._jsonl_tmp = Path(tmp)
        self._jsonl: IO[str] = os.fdopen(fd, "w", encoding="utf-8")
        try:
            self.report = ReportStream(out, settings)
            #: ``report.md``/``report.html`` a person reads; closed by the caller after
            #: the manifest, with the run's header
            self.readable = ReadableStream(out)
            self._exports = ExportStream(out)
        except BaseException:
            self._jsonl.close()
            self._jsonl_tmp.unlink(missing_ok=True)
            if hasattr(self, "report"):
                self.report.discard()
            if hasattr(self, "readable"):
                self.readable.discard()
            raise

    def finished(
        self,
        index: int,
        outcome: DocOutcome,
        summary: DocumentSummary | None,
        text: str | None = None,
    ) -> None:
        """Record that document ``index`` finished (``text``: its plain text, if at hand);
        write what is due."""
        due = index == self._next  # written at once: never read back
        keep = summary if due or self._held_summaries < HOLD_SUMMARIES else None
        self._held_summaries += keep is not None
        self._held[index] = (outcome, keep, text if due else None)
        self.advance()

    def advance(self) -> None:
        """Write every document whose turn has come."""
        while self._next < len(self._was_skipped):
            k = self._next
            summary: DocumentSummary | None
            text: str | None = None
            if self._was_skipped[k]:  # finished in a previous run
                outcome, summary = self._reuse(k)
            elif k in self._held:
                outcome, summary, text = self._held.pop(k)
                if summary is not None:
                    self._held_summaries -= 1
                elif outcome.status in WRITTEN:  # was not held: read it back
                    summary = self._read_back(outcome.name)
            else:
                return
            if outcome.status in WRITTEN and summary is not None:  # ok or degraded
                self._jsonl.write(summary.model_dump_json() + "\n")
                self._exports.add(summary)
                self.readable.add(summary, outcome.name, text)
            self.tally.add(outcome)
            self.report.add(outcome)
            self._next += 1

    def __enter__(self) -> InOrderOutputs:
        return self

    def __exit__(self, et: type[BaseException] | None, *exc: object) -> None:
        self._jsonl.close()
        if et is not None:
            self._exports.abort()
            self._jsonl_tmp.unlink(missing_ok=True)
            self.report.discard()
            self.readable.discard()
            return
        try:
            os.replace(self._jsonl_tmp, self._out / "summaries.jsonl")
        except BaseException:
            self._exports.abort()
            self.report.discard()
            self.readable.discard()
            raise
        try:
            self._exports.close()
        except BaseException:
            self.report.discard()
            self.readable.discard()
            raise
