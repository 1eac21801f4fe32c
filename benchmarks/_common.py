"""Shared helpers of the benchmark scripts: paths, tables, JSON results, the machine.

The scripts run from a checkout (``.venv/bin/python benchmarks/<name>.py``); they
import the package as installed in the venv and the scripted loopback server from
``tests/fake_openai.py`` (put on ``sys.path`` here, nothing is copied or moved).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import platform
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
SEED_DOCS = ROOT / "evals" / "seed" / "docs"
TESTS = ROOT / "tests"

if str(TESTS) not in sys.path:  # `import fake_openai` (the scripted OpenAI-compatible server)
    sys.path.insert(0, str(TESTS))


def default_out(name: str) -> Path:
    """``benchmarks/results/<name>.json``."""
    return RESULTS / f"{name}.json"


def machine() -> dict[str, Any]:
    """What the numbers were measured on (date, CPUs, Python, platform)."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        usable = os.cpu_count() or 0
    return {
        "date": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "cpus": usable,
        "python": platform.python_version(),
        "platform": platform.platform(),
    }


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` as indented UTF-8 JSON, creating the folder."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain-text table, right-aligned numbers, for the terminal (and Markdown-ish)."""
    cells = [[str(h) for h in headers]] + [[_fmt(c) for c in r] for r in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for k, r in enumerate(cells):
        lines.append("| " + " | ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) + " |")
        if k == 0:
            lines.append("|" + "|".join("-" * (w + 1) + ":" for w in widths) + "|")
    return "\n".join(lines)


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def parse_list(raw: str, kind: type = int) -> list[Any]:
    """``"1,4,16"`` -> ``[1, 4, 16]`` (for argparse)."""
    return [kind(x) for x in raw.split(",") if x.strip()]
