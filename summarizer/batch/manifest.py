"""The batch manifest: ``manifest.jsonl``, one status line per document.

The manifest is the record of truth a re-run resumes from. Each row records a
document's output name, status (``ok``, ``degraded`` with the count of units that
fell back and why, or ``failed``), cost, the SHA-256 of its input and the run
identity it ran with (:mod:`summarizer.batch.identity`, with its parts); the
last row per name counts. A document is done when its last row says ``ok``
(or ``degraded``, when degraded outputs are accepted) for the same input hash
and run identity (:func:`redo_reason`; :mod:`summarizer.batch.folder` also
checks the output is there).

Rows are appended as documents finish (:func:`appending`, :func:`append_row`) and
the file is rewritten compacted at the end of a run (:func:`compacted`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO, Any

from .doc_outcome import DocOutcome


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes (the input hash recorded in the manifest)."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def read_manifest(path: Path) -> dict[str, dict[str, Any]]:
    """The last manifest row per document name (unparseable lines, e.g. cut by a kill, skipped)."""
    rows: dict[str, dict[str, Any]] = {}
    if not path.is_file():
        return rows
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict) and isinstance(row.get("name"), str):
            rows.pop(row["name"], None)  # keep first-seen order of the latest rows
            rows[row["name"]] = row
    return rows


def redo_reason(
    row: dict[str, Any] | None, digest: str, identity: str, *, accept_degraded: bool = False
) -> str:
    """Why ``row`` does not prove its document done for this input and run identity ("" if it does).

    Args:
        row: the document's last manifest row, or None if it has none.
        digest: SHA-256 of the input now (empty when it could not be read).
        identity: the run identity of the current settings
            (:func:`summarizer.batch.identity.run_identity`).
        accept_degraded: a ``degraded`` row counts as done.
    """
    if row is None:
        return "new"
    status = row.get("status")
    if status == "degraded" and not accept_degraded:
        return "degraded"
    if status not in ("ok", "degraded"):
        return str(status or "unknown status")
    if not digest or row.get("sha256") != digest:
        return "input changed"
    if row.get("identity") != identity:
        return "configuration changed"
    return ""


def proves_done(
    row: dict[str, Any] | None, digest: str, identity: str, *, accept_degraded: bool = False
) -> bool:
    """True when ``row`` says its document finished for this input hash and run identity."""
    return not redo_reason(row, digest, identity, accept_degraded=accept_degraded)


def manifest_row(
    o: DocOutcome, digest: str, identity: str, parts: dict[str, Any] | None = None
) -> dict[str, object]:
    """The manifest row of a finished document.

    Args:
        o: the document's outcome.
        digest: SHA-256 of its input.
        identity: the run identity it ran with.
        parts: what the identity is made of (recorded, to say later what changed).
    """
    return {
        "source": o.source,
        "name": o.name,
        "status": o.status,
        "error": o.error,
        "tokens": o.usage.prompt_tokens + o.usage.completion_tokens,
        "seconds": round(o.seconds, 3),
        "usage": o.usage.model_dump(),
        "sha256": digest,
        "identity": identity,
        "config": parts or {},
        **(
            {"degraded": o.degraded_units, "degraded_reason": o.degraded_reason}
            if o.status == "degraded"
            else {}
        ),
    }


@contextlib.contextmanager
def appending(path: Path) -> Iterator[IO[str]]:
    """The manifest opened for appending rows, after any line a kill cut short.

    Args:
        path: the manifest file (created if missing).
    """
    with path.open("a", encoding="utf-8") as log:
        tail = path.read_bytes()[-1:]
        if tail and tail != b"\n":
            log.write("\n")  # a line cut by a kill stays a line of its own
        yield log


def append_row(log: IO[str], row: dict[str, Any]) -> None:
    """Append ``row`` to the manifest opened by :func:`appending` and flush it.

    Args:
        log: the open manifest.
        row: the row to record.
    """
    log.write(json.dumps(row, ensure_ascii=False) + "\n")
    log.flush()  # the record survives a kill right after this document


def compacted(rows: dict[str, dict[str, Any]], names: Sequence[str]) -> str:
    """The manifest text with one row per document: other documents first, then ``names`` in order.

    Args:
        rows: the last row per document name.
        names: this run's output names, in input order.
    """
    current = [rows[n] for n in names if n in rows]
    others = [r for n, r in rows.items() if n not in set(names)]
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in others + current)
