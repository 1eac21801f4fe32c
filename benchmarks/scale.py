"""Does a batch keep constant memory as the shelf grows? ``summarizer run`` on N documents.

A shelf of N documents is made of copies of the panel corpus
(``../shared/panel/docs``, 76 county reports; ``--corpus`` for another folder):
symbolic links named ``cNNNNN_<file>`` to the first N files of the corpus
repeated, so N need not be a multiple of its size. Each size is run with the
rules backend, once per engine (``local`` threads, ``ray`` = a local Ray Data
instance), as ``python -m summarizer.cli -q run SHELF -o OUT --backend rules``
in a child process, and measured from outside:

* ``docs_s``       documents per second of wall time (the whole command, start-up included);
* ``docs_cpu_s``   documents per CPU-second of every process of the run (the
                   fair figure on a shared machine: it does not count the time
                   other users had the cores);
* ``peak_mb``      peak of the summed RSS of the command and every process it
                   started (Ray's GCS, raylet and workers included), sampled
                   every ``--interval`` seconds from ``/proc``;
* ``driver_mb``    peak RSS of the command's own process;
* output sizes of ``items.csv``, ``items*.xlsx``, ``items.parquet``,
  ``summaries.jsonl`` and the whole folder, and the item rows;
* ``parquet_load_s``  seconds ``pandas.read_parquet`` takes on ``items.parquet``
                   (in a fresh process, import excluded).

And once, in this process, ``driver``: the CPU the batch's *driver* spends per
document — reading a result as a Ray worker sends it, writing ``<name>.json`` /
``.text.txt``, the manifest row,
``summaries.jsonl``, the three exports and the report row — by replaying
finished results of the corpus through ``summarize_folder`` with a runner that
does no summarising (``--driver-docs``, default 760; 0 to skip). On a cluster
every output is written by the one driver, so ``1000 / driver_ms_per_doc`` is
the most documents per second a batch can take, whatever the number of nodes.

Run: ``.venv/bin/python benchmarks/scale.py [--docs 100,1000,10000] [--engines local,ray]``
(``--python`` and ``--pythonpath`` run another checkout's code — the "before"
figures; the shelf and the outputs go to a temporary folder, deleted after
each size unless ``--keep``).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import _common  # benchmarks/ is sys.path[0] when run as a script

DEFAULT_CORPUS = _common.ROOT.parent.parent / "shared" / "panel" / "docs"
if not DEFAULT_CORPUS.is_dir():  # a worktree under /work/wt/<name>
    DEFAULT_CORPUS = Path("/work/shared/panel/docs")
DEFAULT_DOCS = (100, 1000, 10_000)
ENGINES = ("local", "ray")
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def make_shelf(corpus: Path, n: int, dest: Path) -> list[Path]:
    """``n`` links in ``dest`` to the files of ``corpus`` in order, repeated as often as needed."""
    files = sorted(p for p in corpus.iterdir() if p.is_file())
    if not files:
        raise SystemExit(f"{corpus}: no files")
    dest.mkdir(parents=True, exist_ok=True)
    made = []
    for k in range(n):
        src = files[k % len(files)]
        link = dest / f"c{k // len(files):05d}_{src.name}"
        link.symlink_to(src.resolve())
        made.append(link)
    return made


def _proc_table() -> dict[int, tuple[int, int, float]]:
    """``pid -> (ppid, rss bytes, cpu seconds)`` of every process we can read."""
    table: dict[int, tuple[int, int, float]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                raw = f.read().decode("utf-8", "replace")
        except OSError:
            continue
        fields = raw[raw.rfind(")") + 2 :].split()  # after "pid (comm) "
        ppid = int(fields[1])
        cpu = (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime
        rss = int(fields[21]) * _PAGE
        table[int(entry)] = (ppid, rss, cpu)
    return table


class TreeMeter:
    """Peak summed RSS and total CPU of a process and all its descendants, sampled."""

    def __init__(self, root: int) -> None:
        self.root = root
        self.peak_total = 0
        self.peak_root = 0
        self.peak_processes = 0
        self._cpu: dict[int, float] = {}

    def sample(self) -> None:
        table = _proc_table()
        children: dict[int, list[int]] = {}
        for pid, (ppid, _, _) in table.items():
            children.setdefault(ppid, []).append(pid)
        tree, todo = [], [self.root]
        while todo:
            pid = todo.pop()
            if pid in table:
                tree.append(pid)
                todo.extend(children.get(pid, ()))
        total = sum(table[p][1] for p in tree)
        self.peak_total = max(self.peak_total, total)
        if self.root in table:
            self.peak_root = max(self.peak_root, table[self.root][1])
        self.peak_processes = max(self.peak_processes, len(tree))
        for p in tree:
            self._cpu[p] = max(self._cpu.get(p, 0.0), table[p][2])

    @property
    def cpu_seconds(self) -> float:
        return sum(self._cpu.values())


def run_batch(
    shelf: Path,
    out: Path,
    engine: str,
    *,
    python: str,
    pythonpath: str | None,
    interval: float,
) -> dict[str, Any]:
    """Run ``summarizer run`` on ``shelf`` into ``out`` in a child process; what was measured."""
    cmd = [python, "-m", "summarizer.cli", "-q", "run", str(shelf), "-o", str(out)]
    cmd += ["--backend", "rules"]
    if engine != "local":
        cmd += ["--engine", engine]
    env = dict(os.environ)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    env.pop("RAY_ADDRESS", None)  # always a local Ray: the figures are this machine's
    t0 = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        # cwd: not the checkout, whose ``summarizer/`` ``-m`` would import before PYTHONPATH's
        child = subprocess.Popen(
            cmd, env=env, cwd=out.parent, stdout=subprocess.DEVNULL, stderr=err
        )
        meter = TreeMeter(child.pid)
        while child.poll() is None:
            meter.sample()
            time.sleep(interval)
        wall = time.perf_counter() - t0
        err.seek(0)
        stderr = err.read().decode("utf-8", "replace")
    if child.returncode not in (0, 1):  # 1: some document failed (recorded, not a crash)
        raise SystemExit(f"{' '.join(cmd)} exited {child.returncode}:\n{stderr[-2000:]}")
    return {
        "wall_s": round(wall, 2),
        "cpu_s": round(meter.cpu_seconds, 2),
        "peak_mb": round(meter.peak_total / 2**20, 1),
        "driver_mb": round(meter.peak_root / 2**20, 1),
        "processes": meter.peak_processes,
        "exit": child.returncode,
    }


def output_sizes(out: Path) -> dict[str, Any]:
    """Sizes (MB) of the batch-level outputs and the whole folder; the item rows."""

    def mb(paths: Sequence[Path]) -> float | None:
        return round(sum(p.stat().st_size for p in paths) / 2**20, 2) if paths else None

    xlsx = sorted(out.glob("items*.xlsx"))
    sizes: dict[str, Any] = {
        "csv_mb": mb([out / "items.csv"] if (out / "items.csv").is_file() else []),
        "xlsx_mb": mb(xlsx),
        "xlsx_files": len(xlsx),
        "parquet_mb": mb([out / "items.parquet"] if (out / "items.parquet").is_file() else []),
        "jsonl_mb": mb([out / "summaries.jsonl"] if (out / "summaries.jsonl").is_file() else []),
        "folder_mb": mb([p for p in out.rglob("*") if p.is_file()]),
    }
    csv_path = out / "items.csv"
    if csv_path.is_file():
        import csv

        with csv_path.open(encoding="utf-8-sig", newline="") as f:
            sizes["rows"] = sum(1 for _ in csv.reader(f)) - 1
    return sizes


_LOAD = """
import sys, time
t = time.perf_counter()
import pandas as pd
t_import = time.perf_counter() - t
t = time.perf_counter()
frame = pd.read_parquet(sys.argv[1])
print(time.perf_counter() - t, len(frame), t_import)
"""


def parquet_load(path: Path, python: str) -> dict[str, Any] | None:
    """Seconds pandas takes to read ``path`` (fresh process, import excluded) and its rows."""
    if not path.is_file():
        return None
    done = subprocess.run(
        [python, "-c", _LOAD, str(path)],
        capture_output=True,
        text=True,
        check=True,
        cwd=path.parent,
    )
    seconds, rows, imported = done.stdout.split()
    return {
        "parquet_load_s": round(float(seconds), 3),
        "parquet_rows": int(rows),
        "pandas_import_s": round(float(imported), 3),
    }


def run(
    docs: Sequence[int],
    engines: Sequence[str] = ENGINES,
    *,
    corpus: Path = DEFAULT_CORPUS,
    python: str = sys.executable,
    pythonpath: str | None = None,
    interval: float = 0.2,
    keep: Path | None = None,
    label: str = "",
    driver_docs: int = 0,
) -> dict[str, Any]:
    """Measure every size with every engine; the report (see the module docstring)."""
    runs: list[dict[str, Any]] = []
    for n in docs:
        for engine in engines:
            work = Path(tempfile.mkdtemp(prefix=f"scale-{n}-{engine}-", dir=keep))
            try:
                shelf, out = work / "shelf", work / "out"
                make_shelf(corpus, n, shelf)
                measured = run_batch(
                    shelf, out, engine, python=python, pythonpath=pythonpath, interval=interval
                )
                row: dict[str, Any] = {"docs": n, "engine": engine, **measured}
                row["docs_s"] = round(n / measured["wall_s"], 2)
                row["docs_cpu_s"] = round(n / measured["cpu_s"], 2) if measured["cpu_s"] else None
                row.update(output_sizes(out))
                row.update(parquet_load(out / "items.parquet", python) or {})
                runs.append(row)
                print(_common.table(list(row), [list(row.values())]), file=sys.stderr, flush=True)
            finally:
                if keep is None:
                    shutil.rmtree(work, ignore_errors=True)
    return {
        "machine": _common.machine(),
        "params": {
            "docs": list(docs),
            "engines": list(engines),
            "corpus": str(corpus),
            "python": python,
            "pythonpath": pythonpath,
            "label": label,
        },
        "runs": runs,
        "growth": _growth(runs),
        "driver": driver_cost(corpus, driver_docs) if driver_docs else None,
    }


def driver_cost(corpus: Path, n: int) -> dict[str, Any]:
    """CPU ms per document of the driver's writing alone (see the module docstring)."""
    from summarizer import Settings
    from summarizer.batch.engines import WorkItem, WorkResult, summarize_item
    from summarizer.batch.folder import summarize_folder
    from summarizer.pipeline import open_backend

    settings = Settings(backend="rules", cache=False)
    files = sorted(p for p in corpus.iterdir() if p.is_file())
    with tempfile.TemporaryDirectory(prefix="scale-driver-") as tmp:
        shelf = Path(tmp) / "shelf"
        make_shelf(corpus, n, shelf)
        with open_backend(settings) as backend:
            done = [  # as a Ray worker sends them to the driver
                summarize_item(WorkItem(k, str(p), p.stem), settings, lambda: backend).to_json()
                for k, p in enumerate(files)
            ]

        def replay(items: Sequence[WorkItem], _: Any) -> Any:
            for it in items:
                r = WorkResult.from_json(done[it.key % len(done)])
                yield dataclasses.replace(r, key=it.key, name=it.name, source=it.path)

        t0 = time.process_time()
        result = summarize_folder([shelf], Path(tmp) / "out", settings=settings, runner=replay)
        cpu = time.process_time() - t0
    return {
        "docs": result.documents,
        "cpu_s": round(cpu, 2),
        "driver_ms_per_doc": round(1000 * cpu / max(1, result.documents), 2),
        "driver_docs_per_s": round(result.documents / cpu, 1) if cpu else None,
    }


def _growth(runs: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Per engine: peak RSS at the largest size ÷ peak at the smallest (1 = constant)."""
    ratios: dict[str, float] = {}
    for engine in {r["engine"] for r in runs}:
        mine = sorted((r for r in runs if r["engine"] == engine), key=lambda r: r["docs"])
        if len(mine) > 1 and mine[0]["peak_mb"]:
            ratios[engine] = round(mine[-1]["peak_mb"] / mine[0]["peak_mb"], 3)
    return ratios


COLUMNS = (
    "docs", "engine", "wall_s", "docs_s", "cpu_s", "docs_cpu_s", "peak_mb", "driver_mb",
    "rows", "csv_mb", "xlsx_mb", "xlsx_files", "parquet_mb", "parquet_load_s",
)  # fmt: skip


def render(report: dict[str, Any]) -> str:
    """The table of runs and the peak-RSS growth per engine."""
    rows = [[r.get(c, "") if r.get(c) is not None else "" for c in COLUMNS] for r in report["runs"]]
    lines = [_common.table(COLUMNS, rows)]
    for engine, ratio in sorted(report["growth"].items()):
        lines.append(f"{engine}: peak RSS at the largest size = {ratio}× the smallest")
    if report.get("driver"):
        d = report["driver"]
        lines.append(
            f"driver alone: {d['driver_ms_per_doc']} ms CPU per document "
            f"({d['driver_docs_per_s']} documents/s at most for one driver; {d['docs']} replayed)"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--docs", type=_common.parse_list, default=list(DEFAULT_DOCS))
    ap.add_argument("--engines", type=lambda s: _common.parse_list(s, str), default=list(ENGINES))
    ap.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    ap.add_argument("--python", default=sys.executable, help="interpreter of the run")
    ap.add_argument("--pythonpath", default=None, help="PYTHONPATH of the run (another checkout)")
    ap.add_argument("--interval", type=float, default=0.2, help="seconds between RSS samples")
    ap.add_argument("--keep", type=Path, default=None, help="keep shelves and outputs here")
    ap.add_argument("--label", default="", help="recorded in the JSON (e.g. 'before')")
    ap.add_argument("--driver-docs", type=int, default=760, help="driver cost on N docs; 0: skip")
    ap.add_argument("--out", type=Path, default=_common.default_out("scale"))
    args = ap.parse_args(argv)
    for engine in args.engines:
        if engine not in ENGINES:
            ap.error(f"unknown engine {engine!r}; choose from {ENGINES}")
    report = run(
        args.docs,
        args.engines,
        corpus=args.corpus,
        python=args.python,
        pythonpath=args.pythonpath,
        interval=args.interval,
        keep=args.keep,
        label=args.label,
        driver_docs=args.driver_docs,
    )
    _common.write_json(args.out, report)
    print(render(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
