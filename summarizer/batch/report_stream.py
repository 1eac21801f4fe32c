"""``report.md`` written as documents finish, without holding the batch's outcomes.

The run report (what :mod:`summarizer.batch.folder` writes at the end of a batch)
has a header with the batch's totals and run identity, one table row per
document in input order, a totals row, the degraded documents and the warnings
and errors. :class:`ReportStream` takes the
outcomes one at a time in input order and writes their table rows and their
warning and error lines to temporary files beside the report; the totals are
the run's :class:`~summarizer.batch.run_summary.RunTally`.
:meth:`ReportStream.close` writes the report atomically — header, rows copied
from the temporary file, totals, degraded documents, warnings then errors — and
deletes the temporary files. So its memory does not grow with the batch.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Any

from ..settings import Settings
from .doc_outcome import DocOutcome
from .run_summary import WRITTEN, RunTally, reuse_line

REPORT_NAME = "report.md"


class ReportStream:
    """``out_dir/report.md``, one document's row at a time (see the module docstring).

    Args:
        out_dir: the output folder.
        settings: the run's settings (the backend and model named in the header).
    """

    def __init__(self, out_dir: Path, settings: Settings) -> None:
        self.out = Path(out_dir)
        self._settings = settings
        self._files: list[tuple[Path, IO[str]]] = []
        self._rows = self._temp("rows")
        self._warnings = self._temp("warnings")
        self._errors = self._temp("errors")

    def _temp(self, what: str) -> IO[str]:
        fd, tmp = tempfile.mkstemp(dir=self.out, prefix=f".{REPORT_NAME}.{what}.", suffix=".tmp")
        f = os.fdopen(fd, "w+", encoding="utf-8")
        self._files.append((Path(tmp), f))
        return f

    def add(self, o: DocOutcome) -> None:
        """Record one document's outcome (documents in input order)."""
        c = o.counts
        self._rows.write(
            f"| {o.name} | {o.label} | {c.get('achievements', '')} | {c.get('shortcomings', '')} "
            f"| {c.get('plans', '')} | {o.figures if o.status in WRITTEN else ''} "
            f"| {o.usage.prompt_tokens} | {o.usage.completion_tokens} | {o.usage.calls} "
            f"| {o.seconds:.2f} |\n"
        )
        for w in o.warnings:
            self._warnings.write(f"- `{o.name}`: {w}\n")
        if o.status == "failed":  # degraded ones have their own section
            self._errors.write(f"- `{o.name}`: FAILED: {o.error}\n")

    def close(self, seconds: float, tally: RunTally, identity: str) -> Path:
        """Write ``report.md`` and drop the temporary files.

        Args:
            seconds: the run's wall time.
            tally: the run's totals (every outcome given to :meth:`add` counted).
            identity: the run identity (:mod:`summarizer.batch.identity`).
        """
        s = self._settings
        u = tally.usage
        head = [
            "# Summarizer run report",
            "",
            f"Backend: `{s.backend}`"
            + (f", model `{s.model}`" if s.backend == "llm" and s.model else ""),
            f"Documents: {tally.documents}, failed: {len(tally.failed)}, "
            f"degraded: {len(tally.degraded)}, "
            f"skipped (done): {tally.skipped}, "
            f"wall time: {seconds:.1f} s",
            f"Run identity: `{identity}`; "
            + reuse_line(tally.skipped, tally.documents, tally.redone),
            "",
            "| document | status | achievements | shortcomings | plans | figures "
            "| prompt tok | completion tok | calls | seconds |",
            "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        total = (
            f"| **total** | | | | | | {u.prompt_tokens} | {u.completion_tokens} | {u.calls} "
            f"| {seconds:.2f} |\n"
        )
        path = self.out / REPORT_NAME
        fd, tmp = tempfile.mkstemp(dir=self.out, prefix=f".{REPORT_NAME}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write("\n".join(head) + "\n")
                _copy(self._rows, f)
                f.write(total)
                if tally.degraded:
                    f.write(_degraded_section(tally.degraded))
                if self._warnings.tell() or self._errors.tell():
                    f.write("\n## Warnings and errors\n\n")
                    _copy(self._warnings, f)
                    _copy(self._errors, f)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        finally:
            self.discard()
        return path

    def discard(self) -> None:
        """Close and delete the temporary files (the report is not written)."""
        for tmp, f in self._files:
            f.close()
            tmp.unlink(missing_ok=True)
        self._files = []


def _degraded_section(degraded: list[Any]) -> str:
    """The report's section on documents this run made degraded (``DocOutcome``s)."""
    lines = [
        "",
        "## Degraded (redone by the next run)",
        "",
        "Some units of these documents got no usable answer because the endpoint "
        "failed; they fell back to rules. Run the same command again to redo them "
        "(`--accept-degraded` keeps them).",
        "",
    ]
    lines += [f"- `{o.name}`: {o.degraded_units} units: {o.degraded_reason}" for o in degraded]
    return "\n".join(lines) + "\n"


def _copy(src: IO[str], dst: IO[str]) -> None:
    src.flush()
    src.seek(0)
    shutil.copyfileobj(src, dst)
