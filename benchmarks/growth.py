"""Does the deterministic pipeline grow linearly with document length?

A seed report (``evals/seed/docs/004_…txt`` by default) is made 1×, 2×, 5×,
10×, 20× and 50× as long — its title once, its body repeated — and each stage
is timed (best of several runs) and its peak memory taken with ``tracemalloc``
(a separate run, as tracing slows the code down):

* ``load``       ``documents.load_document`` on a temporary ``.txt`` file (decoding,
                 furniture detection);
* ``metadata``   ``metadata.guess_metadata``;
* ``sections``   ``sections.parse_outline`` (headings, section tree, units);
* ``figures``    ``numbers.find_figures`` over the whole text;
* ``validation`` ``validation.ungrounded_figures`` over every rules item;
* ``pipeline``   the whole rules backend, ``pipeline.summarize_document`` from the file.

For each stage, ``growth = time(N×) ÷ (N · time(1×))`` at the largest N: 1 means
linear; a stage is flagged superlinear above ``--flag`` (default 1.5).

Run: ``.venv/bin/python benchmarks/growth.py [--sizes 1,2,5,10,20,50] [--seed PATH] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import _common  # benchmarks/ is sys.path[0] when run as a script

from summarizer import Settings
from summarizer.extract.rules import rules_items
from summarizer.extract.validation import ungrounded_figures
from summarizer.figures.numbers import find_figures
from summarizer.ingest.documents import Document, load_document
from summarizer.ingest.metadata import guess_metadata
from summarizer.pipeline import summarize_document
from summarizer.structure.sections import parse_outline

STAGES = ("load", "metadata", "sections", "figures", "validation", "pipeline")
DEFAULT_SEED = _common.SEED_DOCS / "004_4416c96a57e07bad.txt"
FLAG = 1.5  #: growth above this is reported as superlinear


def scaled_text(seed: str, n: int) -> str:
    """The seed's first line (its title) once, then the rest of it ``n`` times."""
    title, _, body = seed.partition("\n")
    body = body if body.endswith("\n") else body + "\n"
    return title + "\n" + body * n


def best_time(fn: Callable[[], object], *, budget: float = 0.3, max_runs: int = 15) -> float:
    """Best wall time of ``fn`` over repeated runs (at least 1, up to ``budget`` seconds)."""
    best = float("inf")
    spent = 0.0
    for _ in range(max_runs):
        t = time.perf_counter()
        fn()
        dt = time.perf_counter() - t
        best, spent = min(best, dt), spent + dt
        if spent >= budget:
            break
    return best


def peak_mb(fn: Callable[[], object]) -> float:
    """Peak memory ``fn`` allocates (MB, tracemalloc), beyond what is live before it."""
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return (peak - base) / 1e6


def stage_functions(path: Path) -> dict[str, Callable[[], object]]:
    """One zero-argument callable per stage for the document at ``path``.

    Inputs of a stage (the document, its outline, its rules items) are prepared
    here, outside the timed call.
    """
    document: Document = load_document(path)
    meta = guess_metadata(document)
    outline = parse_outline(document, year=meta.year)
    items = rules_items(outline)
    rules = Settings(backend="rules", cache=False)
    return {
        "load": lambda: load_document(path),
        "metadata": lambda: guess_metadata(document),
        "sections": lambda: parse_outline(document, year=meta.year),
        "figures": lambda: find_figures(document.text),
        "validation": lambda: [ungrounded_figures(it) for it in items],
        "pipeline": lambda: summarize_document(path, settings=rules),
    }


def run(
    *,
    sizes: list[int] | None = None,
    seed: Path = DEFAULT_SEED,
    budget: float = 0.3,
    memory: bool = True,
) -> dict[str, Any]:
    """Time every stage at every size; a JSON-able report."""
    sizes = sorted(sizes or [1, 2, 5, 10, 20, 50])
    seed_text = seed.read_text(encoding="utf-8")
    measured: dict[str, list[dict[str, float]]] = {s: [] for s in STAGES}
    docs: list[dict[str, int]] = []
    with tempfile.TemporaryDirectory(prefix="bench-growth-") as tmp:
        for n in sizes:
            path = Path(tmp) / f"seed_x{n}.txt"
            path.write_text(scaled_text(seed_text, n), encoding="utf-8")
            fns = stage_functions(path)
            document = load_document(path)
            outline = parse_outline(document, year=guess_metadata(document).year)
            docs.append(
                {
                    "size": n,
                    "chars": len(document.text),
                    "sections": len(outline.sections),
                    "units": len(outline.units),
                }
            )
            for stage in STAGES:
                seconds = best_time(fns[stage], budget=budget)
                mb = peak_mb(fns[stage]) if memory else float("nan")
                measured[stage].append({"size": n, "seconds": seconds, "mb": mb})
    stages: dict[str, Any] = {}
    for stage, rows in measured.items():
        first, last = rows[0], rows[-1]
        scale = last["size"] / first["size"]
        for r in rows:  # time per copy of the seed, relative to the smallest size
            r["per_copy_ratio"] = r["seconds"] / ((r["size"] / first["size"]) * first["seconds"])
        growth = last["seconds"] / (scale * first["seconds"]) if scale > 1 else 1.0
        stages[stage] = {"rows": rows, "growth": growth, "superlinear": growth > FLAG}
    return {
        "benchmark": "growth",
        "machine": _common.machine(),
        "params": {"seed": seed.name, "sizes": sizes, "flag": FLAG},
        "documents": docs,
        "stages": stages,
    }


def render(report: dict[str, Any]) -> str:
    """One table per stage (seconds and MB per size), then the growth ratios."""
    out = [f"growth of the deterministic stages; seed {report['params']['seed']}"]
    out.append(
        _common.table(
            ["size", "chars", "sections", "units"],
            [[d["size"], d["chars"], d["sections"], d["units"]] for d in report["documents"]],
        )
    )
    for stage, data in report["stages"].items():
        out.append(f"\n{stage}")
        out.append(
            _common.table(
                ["size", "ms", "MB peak", "t / (N·t1)"],
                [
                    [r["size"], f"{r['seconds'] * 1000:.2f}", r["mb"], r["per_copy_ratio"]]
                    for r in data["rows"]
                ],
            )
        )
    big = report["params"]["sizes"][-1]
    out.append(f"\ngrowth = time({big}x) / ({big} * time(1x)); flagged above {FLAG}")
    out.append(
        _common.table(
            ["stage", "growth", "verdict"],
            [
                [s, d["growth"], "SUPERLINEAR" if d["superlinear"] else "linear"]
                for s, d in report["stages"].items()
            ],
        )
    )
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; exit status 0 (the table is informative, not a gate)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])  # fmt: skip
    ap.add_argument("--sizes", type=_common.parse_list, default=[1, 2, 5, 10, 20, 50],
                    help="comma-separated multiples of the seed (1,2,5,10,20,50)")  # fmt: skip
    ap.add_argument("--seed", type=Path, default=DEFAULT_SEED, help="the seed report (.txt)")
    ap.add_argument("--budget", type=float, default=0.3,
                    help="seconds of repeats per measurement, best kept (0.3)")  # fmt: skip
    ap.add_argument("--no-memory", action="store_true", help="skip the tracemalloc runs")
    ap.add_argument("--out", type=Path, default=_common.default_out("growth"),
                    help="JSON results (benchmarks/results/growth.json)")  # fmt: skip
    args = ap.parse_args(argv)
    report = run(sizes=args.sizes, seed=args.seed, budget=args.budget, memory=not args.no_memory)
    print(render(report))
    _common.write_json(args.out, report)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
