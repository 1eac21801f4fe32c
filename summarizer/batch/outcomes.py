"""What happened to a batch's documents and to the batch: :class:`DocOutcome`, :class:`BatchResult`.

A :class:`DocOutcome` is made when a document finishes (or is reused from a
previous run) and dropped once it is written
(:class:`~summarizer.batch.in_order.InOrderOutputs`); a :class:`BatchResult` keeps
the run's totals (:mod:`summarizer.batch.run_summary`), its failed and degraded
outcomes and per document only its name, input path and a reused flag, and reads
every outcome back from the output folder when asked (:attr:`BatchResult.outcomes`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..schema import DocumentSummary, Usage
from .doc_outcome import DocOutcome
from .manifest import read_manifest
from .run_summary import reuse_line


@dataclass(frozen=True, slots=True)
class BatchResult:
    """What a batch did: totals, failed and degraded documents, not every document's outcome.

    Nothing per document is held but its output name and input path (so a batch
    of any size returns in constant memory); :attr:`outcomes` reads every
    document's outcome back from the output folder when asked.
    """

    out_dir: Path
    seconds: float
    documents: int = 0  #: inputs of this run, done or not
    #: the documents that failed, in input order
    failed: tuple[DocOutcome, ...] = ()
    skipped_count: int = 0  #: finished by a previous run and reused
    usage: Usage = field(default_factory=Usage)  #: this run's model use (skipped: none)
    names: tuple[str, ...] = ()  #: output names, in input order
    sources: tuple[str, ...] = ()  #: input paths, in input order
    #: per input, 0 when run now, 1 when a previous run's output was reused,
    #: 2 when that output was degraded and kept (``accept_degraded``)
    was_skipped: bytes = b""
    identity: str = ""  #: the run identity (:mod:`summarizer.batch.identity`)
    #: made by this run, but with units that fell back because the endpoint failed
    degraded: tuple[DocOutcome, ...] = ()
    #: degraded outputs of a previous run kept as they are (``accept_degraded``)
    accepted_degraded: tuple[DocOutcome, ...] = ()
    #: documents (re)done, by why the previous output was not reused
    redone: tuple[tuple[str, int], ...] = ()

    def redo_reasons(self) -> dict[str, int]:
        """How many documents were (re)done, by why the previous output was not reused."""
        return dict(self.redone)

    def reuse_line(self) -> str:
        """One line: how many outputs were reused, how many redone and why."""
        return reuse_line(self.skipped_count, self.documents, self.redo_reasons())

    @property
    def outcomes(self) -> tuple[DocOutcome, ...]:
        """Every document's outcome in input order, read back from ``out_dir``.

        Costs a read of the manifest and of every ``<name>.json`` (so ``out_dir``
        must still be there): for tests and small batches; for a shelf of many
        thousand documents read ``manifest.jsonl``, or count with ``on_progress``.
        """
        rows = read_manifest(self.out_dir / "manifest.jsonl")
        failed = {o.name: o for o in self.failed}
        found: list[DocOutcome] = []
        for k, (name, source) in enumerate(zip(self.names, self.sources, strict=True)):
            if name in failed:
                found.append(failed[name])
                continue
            summary = load_summary(self.out_dir, name)
            skipped = bool(self.was_skipped[k])
            row = rows.get(name, {})
            found.append(
                outcome_of(
                    source,
                    name,
                    summary,
                    skipped=skipped,
                    status=REUSED[self.was_skipped[k]],
                    seconds=0.0 if skipped else float(row.get("seconds") or 0.0),
                    usage=Usage() if skipped else Usage.model_validate(row.get("usage") or {}),
                )
            )
        return tuple(found)

    @property
    def skipped(self) -> list[DocOutcome]:
        """Outcomes of the documents a previous run had finished (read back: :attr:`outcomes`)."""
        return [o for o in self.outcomes if o.skipped]


#: the status of a reused output by its ``was_skipped`` flag (0: made now, by its summary)
REUSED: tuple[str | None, ...] = (None, "ok", "degraded")


def load_summary(out: Path, name: str) -> DocumentSummary:
    """The summary a batch wrote to ``out/<name>.json``."""
    return DocumentSummary.model_validate_json((out / f"{name}.json").read_text(encoding="utf-8"))


def _counts(summary: DocumentSummary) -> dict[str, int]:
    return {
        "achievements": len(summary.achievements),
        "shortcomings": len(summary.shortcomings),
        "plans": len(summary.plans),
    }


def outcome_of(
    source: str,
    name: str,
    summary: DocumentSummary,
    *,
    skipped: bool = False,
    status: str | None = None,
    seconds: float = 0.0,
    usage: Usage | None = None,
    reason: str = "",
) -> DocOutcome:
    """The outcome of a document summarised now, or (``skipped``) by a previous run.

    ``status``: default ``degraded`` when some units fell back because the endpoint
    failed, else ``ok`` (a reused output: what its manifest row said).
    """
    degraded = summary.metadata.degraded_units
    return DocOutcome(
        source=source,
        name=name,
        status=status or ("degraded" if degraded else "ok"),
        degraded_units=degraded,
        degraded_reason=summary.metadata.degraded_reason,
        redo_reason=reason,
        skipped=skipped,
        seconds=seconds,
        usage=usage if usage is not None else Usage(),
        counts=_counts(summary),
        figures=sum(len(it.figures) for it in summary.items()),
        warnings=tuple(summary.metadata.warnings),
    )
