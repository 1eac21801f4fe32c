"""What a batch run did, counted as documents finish: the totals its report and last line say.

:class:`RunTally` takes every document's outcome once, in input order (from
:class:`~summarizer.batch.in_order.InOrderOutputs`), and keeps counts — documents,
reused, this run's model use, how many were (re)done and why — plus the few
outcomes the report and the CLI name one by one: the failed and the degraded
ones (small: a batch that fails or degrades widely stops being one the user
keeps re-running). So it does not grow with the number of documents that
finish well. :func:`reuse_line` is the one line on reuse that the report and
``summarizer run`` print.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ..schema import Usage
from .doc_outcome import DocOutcome

#: statuses of a document that has an output (``<name>.json``, rows in the exports)
WRITTEN = ("ok", "degraded")


@dataclass(slots=True)
class RunTally:
    """The totals of a run, one outcome at a time (see the module docstring)."""

    documents: int = 0  #: outcomes added
    skipped: int = 0  #: finished by a previous run and reused (accepted degraded ones too)
    usage: Usage = field(default_factory=Usage)  #: this run's model use (reused: none)
    failed: list[DocOutcome] = field(default_factory=list)  #: in input order
    degraded: list[DocOutcome] = field(default_factory=list)  #: made degraded by this run
    #: degraded outputs of a previous run kept as they are (``accept_degraded``)
    accepted_degraded: list[DocOutcome] = field(default_factory=list)
    #: documents (re)done, by why the previous output was not reused ("new" not counted)
    redone: dict[str, int] = field(default_factory=dict)

    def add(self, o: DocOutcome) -> None:
        """Count one document's outcome."""
        self.documents += 1
        self.usage = self.usage + o.usage
        if o.skipped:
            self.skipped += 1
            if o.status == "degraded":
                self.accepted_degraded.append(o)
            return
        if o.status == "failed":
            self.failed.append(o)
        elif o.status == "degraded":
            self.degraded.append(o)
        if o.redo_reason and o.redo_reason != "new":
            self.redone[o.redo_reason] = self.redone.get(o.redo_reason, 0) + 1


def reuse_line(skipped: int, documents: int, redone: Mapping[str, int]) -> str:
    """One line: how many outputs were reused, how many redone and why."""
    why = "; ".join(f"{n} {reason}" for reason, n in sorted(redone.items()))
    return f"reused {skipped} of {documents} (same input and run identity)" + (
        f"; redone: {why}" if why else ""
    )
