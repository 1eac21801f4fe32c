"""``report.md`` written as documents finish, without holding the batch's outcomes.

The run report (what :mod:`summarizer.batch.folder` writes at the end of a batch)
has a header with the batch's totals, one table row per document in input order,
a totals row and the warnings and errors. :class:`ReportStream` takes the
outcomes one at a time in input order, writes their table rows and their
warning and error lines to temporary files beside the report and keeps only the
totals; :meth:`ReportStream.close` writes the report atomically — header, rows
copied from the temporary file, totals, warnings then errors — and deletes the
temporary files. So its memory does not grow with the batch.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import IO, Protocol

from ..schema import Usage
from ..settings import Settings

REPORT_NAME = "report.md"


class ReportOutcome(Protocol):
    """What the report reads of a document's outcome (``batch.folder.DocOutcome``)."""

    @property
    def name(self) -> str: ...
    @property
    def status(self) -> str: ...
    @property
    def label(self) -> str: ...
    @property
    def error(self) -> str | None: ...
    @property
    def seconds(self) -> float: ...
    @property
    def usage(self) -> Usage: ...
    @property
    def counts(self) -> dict[str, int]: ...
    @property
    def figures(self) -> int: ...
    @property
    def warnings(self) -> tuple[str, ...]: ...
    @property
    def skipped(self) -> bool: ...


class ReportStream:
    """``out_dir/report.md``, one document's row at a time (see the module docstring).

    Args:
        out_dir: the output folder.
        settings: the run's settings (the backend and model named in the header).
    """

    def __init__(self, out_dir: Path, settings: Settings) -> None:
        self.out = Path(out_dir)
        self._settings = settings
        self.documents = self.failed = self.skipped = 0
        self.usage = Usage()
        self._files: list[tuple[Path, IO[str]]] = []
        self._rows = self._temp("rows")
        self._warnings = self._temp("warnings")
        self._errors = self._temp("errors")

    def _temp(self, what: str) -> IO[str]:
        fd, tmp = tempfile.mkstemp(dir=self.out, prefix=f".{REPORT_NAME}.{what}.", suffix=".tmp")
        f = os.fdopen(fd, "w+", encoding="utf-8")
        self._files.append((Path(tmp), f))
        return f

    def add(self, o: ReportOutcome) -> None:
        """Record one document's outcome (documents in input order)."""
        c = o.counts
        self._rows.write(
            f"| {o.name} | {o.label} | {c.get('achievements', '')} | {c.get('shortcomings', '')} "
            f"| {c.get('plans', '')} | {o.figures if o.status == 'ok' else ''} "
            f"| {o.usage.prompt_tokens} | {o.usage.completion_tokens} | {o.usage.calls} "
            f"| {o.seconds:.2f} |\n"
        )
        for w in o.warnings:
            self._warnings.write(f"- `{o.name}`: {w}\n")
        if o.status != "ok":
            self._errors.write(f"- `{o.name}`: FAILED: {o.error}\n")
            self.failed += 1
        self.documents += 1
        self.skipped += int(o.skipped)
        self.usage = self.usage + o.usage

    def close(self, seconds: float) -> Path:
        """Write ``report.md`` (``seconds``: the run's wall time) and drop the temporary files."""
        s = self._settings
        u = self.usage
        head = [
            "# Summarizer run report",
            "",
            f"Backend: `{s.backend}`"
            + (f", model `{s.model}`" if s.backend == "llm" and s.model else ""),
            f"Documents: {self.documents}, failed: {self.failed}, "
            f"skipped (done): {self.skipped}, "
            f"wall time: {seconds:.1f} s",
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


def _copy(src: IO[str], dst: IO[str]) -> None:
    src.flush()
    src.seek(0)
    shutil.copyfileobj(src, dst)
