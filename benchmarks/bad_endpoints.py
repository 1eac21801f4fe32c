"""What a batch costs against an endpoint that is down, refuses, or talks nonsense.

The five seed documents run through ``summarizer run --backend llm`` (a
subprocess, as a user runs it) against the scripted loopback server of
``tests/fake_openai.py`` answering every request with one of:

* ``500``: HTTP 500 (a broken server);
* ``429``: HTTP 429 (a provider that never lets us in), ``429-retry-after`` with
  ``Retry-After: 1``;
* ``garbage``: HTTP 200 whose content is not JSON (a nonsense endpoint);
* ``healthy``: a valid answer for every unit (the same folder again: what a
  re-run after the endpoint recovers redoes).

Reported per endpoint: requests the server received, wall seconds, exit status,
the manifest's statuses, whether a traceback or the API key appeared anywhere.

Run: ``.venv/bin/python benchmarks/bad_endpoints.py [--timeout 700] [--kinds 500,429,garbage]``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import _common  # puts tests/ on sys.path
from fake_openai import FakeOpenAI, Reply, auto_units, malformed, status

KEY = "sk-bench-SECRET-0123456789abcdef"


def _reply(kind: str) -> Reply:
    if kind == "500":
        return status(500, message="internal error")
    if kind == "429":
        return status(429, message="rate limited")
    if kind == "429-retry-after":
        return status(429, retry_after=1, message="rate limited")
    if kind == "garbage":
        return malformed("Sure! Here is what I think about it: the report is great.")
    if kind == "healthy":
        return auto_units()
    raise ValueError(f"unknown endpoint kind {kind!r}")


def run_kind(kind: str, out: Path, *, timeout: float, root: Path) -> dict[str, Any]:
    """One ``summarizer run`` of the seed documents into ``out`` against a ``kind`` endpoint."""
    env = dict(
        os.environ,
        OPENAI_API_KEY=KEY,
        XDG_CACHE_HOME=str(out.parent / "cache"),
        PYTHONPATH=str(root),
    )
    with FakeOpenAI(default=_reply(kind)) as fake:
        cmd = [
            sys.executable, "-m", "summarizer.cli", "run", str(_common.SEED_DOCS), "-o", str(out),
            "--backend", "llm", "--base-url", fake.base_url, "--model", "fake-model",
            "--no-cache",
        ]  # fmt: skip
        t0 = time.perf_counter()
        try:
            proc = subprocess.run(
                cmd, env=env, capture_output=True, text=True, timeout=timeout, cwd=out.parent
            )
            code: int | None = proc.returncode
            stdout, stderr = proc.stdout, proc.stderr
        except subprocess.TimeoutExpired as e:
            code = None
            stdout = (e.stdout or b"").decode() if isinstance(e.stdout, bytes) else (e.stdout or "")
            stderr = (e.stderr or b"").decode() if isinstance(e.stderr, bytes) else (e.stderr or "")
        wall = time.perf_counter() - t0
        requests = len(fake.chat_requests)
    statuses: dict[str, int] = {}
    manifest = out / "manifest.jsonl"
    if manifest.is_file():
        for line in manifest.read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            statuses[row["status"]] = statuses.get(row["status"], 0) + 1
    files = "".join(
        p.read_text(encoding="utf-8", errors="replace") for p in out.rglob("*") if p.is_file()
    )
    last = stderr.strip().splitlines()[-1] if stderr.strip() else ""
    return {
        "endpoint": kind,
        "requests": requests,
        "wall_s": round(wall, 1),
        "exit": code,
        "timed_out": code is None,
        "manifest": statuses,
        "traceback": "Traceback" in stderr or "Traceback" in stdout,
        "key_leaked": KEY in stderr or KEY in stdout or KEY in files,
        "stderr_lines": len(stderr.splitlines()),
        "last_line": last,
    }


def main(argv: list[str] | None = None) -> int:
    """Run every kind (each then followed by a healthy re-run into the same folder)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--kinds", default="500,429,garbage", help="endpoints to try (500,429,garbage)")
    ap.add_argument("--timeout", type=float, default=700.0, help="seconds before a run is cut")
    ap.add_argument("--no-healthy", action="store_true", help="skip the healthy re-runs")
    ap.add_argument("--root", type=Path, default=_common.ROOT, help="the checkout to run")
    ap.add_argument("--out", type=Path, default=_common.default_out("bad_endpoints"))
    args = ap.parse_args(argv)
    runs = []
    with tempfile.TemporaryDirectory(prefix="bench-bad-") as tmp:
        for kind in args.kinds.split(","):
            out = Path(tmp) / kind / "out"
            out.parent.mkdir(parents=True)
            runs.append(run_kind(kind, out, timeout=args.timeout, root=args.root))
            print(json.dumps(runs[-1], ensure_ascii=False), file=sys.stderr, flush=True)
            if not args.no_healthy:
                again = run_kind("healthy", out, timeout=args.timeout, root=args.root)
                again["endpoint"] = f"healthy after {kind}"
                runs.append(again)
                print(json.dumps(again, ensure_ascii=False), file=sys.stderr, flush=True)
    report = {"benchmark": "bad_endpoints", "machine": _common.machine(), "runs": runs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
