"""What happened to one document of a batch: :class:`DocOutcome`.

At the bottom of the batch package so that everything that reads an outcome —
the manifest, the progress line, the run's tally and report, the in-order
outputs — reads this one class (:mod:`summarizer.batch.outcomes` builds them).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..schema import Usage

__all__ = ["DocOutcome"]


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
    #: ``degraded``, ``failed``, ``--redo``...); empty for a first run or a skip, and
    #: in outcomes read back (:attr:`BatchResult.outcomes`; counts: ``redo_reasons``)
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
