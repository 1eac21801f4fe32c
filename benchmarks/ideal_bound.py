"""How close does a batch get to the ideal bound of a fixed-latency endpoint?

A batch of small synthetic reports (one model call each) runs through the real
pipeline — :func:`summarizer.summarize_folder` with ``backend="llm"`` — against
the scripted loopback server of ``tests/fake_openai.py``, which answers every
unit validly after a fixed latency and may cap how many requests it serves at
once. For each concurrency::

    ideal bound = calls × latency ÷ concurrency        ratio = wall ÷ bound

(calls: requests answered after the latency; a 429 for going over the server's
limit costs no latency and is shown apart.)

A ratio near 1 means the client adds almost nothing to the endpoint's own time;
the targets are ratio ≤ 1.10 at concurrency 16 and ≤ 1.20 at 64 (:data:`TARGETS`).
Also reported: how many processes shared the batch (``--workers``; 0 = auto, as
``summarize_folder``), the CPU seconds the client used (this process and its
workers; the loopback server too with ``--server-thread``; near the wall time
times the CPUs means the run is CPU-bound, not waiting on the endpoint), when the
last document finished,
how long the batch-level outputs took after it, and the most requests the
server saw at once.

Run: ``.venv/bin/python benchmarks/ideal_bound.py [--docs 200] [--latency 0.3]
[--concurrency 1,4,16] [--server-limit 0] [--out PATH]``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import math
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import _common  # benchmarks/ is sys.path[0] when run as a script; it puts tests/ there too
from _lean_endpoint import LeanEndpoint
from fake_openai import FakeOpenAI, auto_units

from summarizer import Settings
from summarizer.batch.folder import summarize_folder
from summarizer.batch.workers import worker_count

#: The issue's targets for wall ÷ bound (200 documents), by concurrency.
TARGETS = {16: 1.10, 64: 1.20}

#: Every unit goes to the model, one call per document: pinned where settings have a
#: model scope (its ``auto`` asks a loopback endpoint, taken for the embedded small
#: model, only about the units whose role the structure leaves open).
_ALL_UNITS: dict[str, Any] = (
    {"model_scope": "all"} if "model_scope" in Settings.model_fields
    else {}
)  # fmt: skip

_PLACES = ("东城", "西城", "朝阳", "海淀", "丰台", "通州", "顺义", "昌平", "大兴", "房山")
_WORK = (
    ("深化行政执法体制改革", "下放行政处罚事权{a}项，培训执法人员{b}人次"),
    ("推进政务服务标准化", "办理政务服务事项{a}件，群众满意率{p}%"),
    ("加强行政复议和应诉", "办结行政复议案件{a}宗，负责人出庭应诉{b}次"),
    ("深化普法宣传教育", "开展法治宣传活动{a}场，覆盖群众{b}万人次"),
)


def make_report(k: int, units: int = 4) -> str:
    """A small 法治政府建设 report, different for each ``k``, with about ``units`` units.

    Two achievements under ``一、`` (numbered points), one shortcoming and one plan;
    ``units`` of 3 drops the plan, more than 4 adds achievements.
    """
    place = _PLACES[k % len(_PLACES)] + f"{k}区"
    n_ach = max(1, units - 2)
    lines = [
        f"{place}2023年法治政府建设情况报告",
        f"2023年，{place}坚持以习近平法治思想为指引，全面推进依法行政，现将有关情况报告如下。",
        "一、2023年法治政府建设主要成效",
        f"（一）{_WORK[k % len(_WORK)][0]}",
    ]
    for j in range(n_ach):
        head, figures = _WORK[(k + j) % len(_WORK)]
        body = figures.format(a=10 + (k * 7 + j) % 90, b=100 + (k * 13 + j) % 900, p=90 + j % 9)
        lines.append(f"{j + 1}.{head}。全年{body}，工作取得明显成效。")
    lines += [
        "二、存在的不足",
        f"基层执法队伍专业化水平不高，{k % 5 + 2}个镇街法制审核人员不足，执法规范化有待加强。",
    ]
    if units >= 4:
        lines += [
            "三、下一步工作计划",
            f"2024年，将组织执法人员培训{k % 7 + 3}期，持续推进行政执法“三项制度”落实落地。",
        ]
    return "\n".join(lines) + "\n"


def write_corpus(folder: Path, docs: int, units: int = 4) -> list[Path]:
    """Write ``docs`` synthetic reports as ``folder/doc_0000.txt``…; return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for k in range(docs):
        p = folder / f"doc_{k:04d}.txt"
        p.write_text(make_report(k, units), encoding="utf-8")
        paths.append(p)
    return paths


@dataclass
class RunResult:
    """One batch at one concurrency."""

    concurrency: int
    docs: int
    failed: int
    fallback_docs: int  #: documents whose model call gave up (rules used), e.g. after 429s
    calls: int  #: HTTP attempts the client metered (answers plus 429-rejected attempts)
    answered: int  #: requests the server answered after the latency (the bound counts these)
    rejected: int  #: requests the server answered 429 at once (over ``--server-limit``)
    max_in_flight: int
    latency: float
    wall_s: float
    bound_s: float
    ratio: float | None
    cpu_s: float  #: CPU seconds of the client: this process and its worker processes
    #: (+ the loopback server's with --server-thread)
    workers: int  #: processes the batch was shared among (settings.workers; 0 = auto)
    last_doc_s: float  #: when the last document finished, from the start
    finalize_s: float  #: batch outputs after the last document (manifest, jsonl, csv, xlsx, report)
    waves_bound_s: float  #: ceil(calls / concurrency) × latency: one call per slot at a time
    first_request_s: float  #: when the endpoint saw the first request, from the start
    turnaround_ms: float  #: median time a slot waits between an answer and its next request
    turnaround_p90_ms: float


@dataclass
class ServerStats:
    """What the loopback server saw (filled when it stops)."""

    base_url: str = ""
    requests: int = 0
    rejected: int = 0
    max_in_flight: int = 0
    arrivals: list[float] = field(default_factory=list)  #: monotonic time of each request (lean)


def _lean(latency: float, server_limit: int, over_limit: str) -> LeanEndpoint:
    return LeanEndpoint(latency, max_concurrent=server_limit, over_limit=over_limit)


def _fake(latency: float, server_limit: int, over_limit: str) -> FakeOpenAI:
    return FakeOpenAI(
        model="fake",
        default=auto_units(seconds=latency),
        max_concurrent=server_limit,
        over_limit=over_limit,
        tcp_nodelay=True,  # as a production server; else ~40 ms of Nagle/delayed-ACK per reply
    )


#: The fake endpoints: ``lean`` (asyncio, little CPU: the default) and ``threaded``
#: (``tests/fake_openai.py``'s server, a thread per connection).
SERVERS = ("lean", "threaded")


@contextlib.contextmanager
def loopback_server(
    latency: float,
    server_limit: int = 0,
    over_limit: str = "429",
    *,
    process: bool = True,
    server: str = "lean",
) -> Iterator[ServerStats]:
    """A started fake endpoint; its stats are filled in when the block ends.

    With ``process`` (the default) it runs in a child Python process, as a real
    endpoint would: its request handling then does not compete with the client for
    this process's GIL. Otherwise it runs in threads of this process. ``server``
    is one of :data:`SERVERS`.
    """
    if server not in SERVERS:
        raise ValueError(f"server must be one of {SERVERS}, not {server!r}")
    stats = ServerStats()
    if not process:
        with _endpoint(server, latency, server_limit, over_limit) as (base_url, report):
            stats.base_url = base_url
            yield stats
        stats.requests, stats.rejected, stats.max_in_flight, stats.arrivals = report()
        return
    args = [sys.executable, __file__, "--serve", str(latency), str(server_limit), over_limit,
            server]  # fmt: skip
    with subprocess.Popen(args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True) as child:
        assert child.stdin is not None and child.stdout is not None
        try:
            stats.base_url = child.stdout.readline().strip()
            if not stats.base_url:
                raise RuntimeError("the loopback server process did not start")
            yield stats
        finally:
            child.stdin.close()  # tells it to stop and report
            report = child.stdout.readline()
            child.wait(timeout=30)
        data = json.loads(report)
        stats.requests, stats.rejected = data["requests"], data["rejected"]
        stats.max_in_flight = data["max_in_flight"]
        stats.arrivals = data["arrivals"]


@contextlib.contextmanager
def _endpoint(
    server: str, latency: float, server_limit: int, over_limit: str
) -> Iterator[tuple[str, Any]]:
    """``(base_url, report)`` of a started endpoint; ``report()`` gives (requests,
    rejected, max in flight) once the block has ended."""
    if server == "lean":
        with _lean(latency, server_limit, over_limit) as lean:
            yield lean.base_url, lambda: (lean.requests, lean.rejected, lean.max_in_flight,
                                          lean.arrivals)  # fmt: skip
        return
    with _fake(latency, server_limit, over_limit) as fake:
        yield fake.base_url, lambda: (len(fake.chat_requests), fake.rejected, fake.max_in_flight,
                                      [r.at for r in fake.chat_requests])  # fmt: skip


def _serve(latency: float, server_limit: int, over_limit: str, server: str) -> None:
    """Child-process side of :func:`loopback_server`: serve until stdin closes."""
    with _endpoint(server, latency, server_limit, over_limit) as (base_url, report):
        print(base_url, flush=True)
        sys.stdin.read()
    requests, rejected, peak, arrivals = report()
    print(json.dumps({"requests": requests, "rejected": rejected, "max_in_flight": peak,
                      "arrivals": arrivals}), flush=True)  # fmt: skip


def _turnaround(arrivals: list[float], slots: int, latency: float) -> dict[str, float]:
    """Median and 90th percentile (ms) of how long after an answer its slot's next request
    came: request ``k`` reuses the slot of request ``k - slots``, answered ``latency`` later."""
    gaps = sorted(
        arrivals[k] - arrivals[k - slots] - latency for k in range(slots, len(arrivals))
    )
    if not gaps:
        return {"turnaround_ms": 0.0, "turnaround_p90_ms": 0.0}
    return {
        "turnaround_ms": 1000 * gaps[len(gaps) // 2],
        "turnaround_p90_ms": 1000 * gaps[int(0.9 * (len(gaps) - 1))],
    }


def _children_cpu() -> float:
    """CPU seconds of this process's children that have ended (its worker processes)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_once(
    inputs: Path,
    *,
    concurrency: int,
    latency: float,
    server_limit: int = 0,
    over_limit: str = "429",
    server_process: bool = True,
    workers: int = 0,
    server: str = "lean",
) -> RunResult:
    """Summarise the folder ``inputs`` once through a fresh loopback server."""
    docs = len(list(inputs.glob("*.txt")))
    with loopback_server(
        latency, server_limit, over_limit, process=server_process, server=server
    ) as fake, tempfile.TemporaryDirectory(prefix="bench-out-") as out:  # fmt: skip
        settings = Settings(
            backend="llm",
            base_url=fake.base_url,
            model="fake",
            cache=False,
            chunk_units=10_000,  # one call per document
            chunk_tokens=1_000_000,
            reasks=0,
            concurrency=concurrency,
            timeout=60.0,
            workers=workers,
            **_ALL_UNITS,
        )
        last = [0.0]
        warned = [0]  # documents that fell back (the outputs go with the folder)
        t0 = time.perf_counter()
        m0 = time.monotonic()  # the endpoint's clock (another process: monotonic is system-wide)
        c0 = time.process_time() + _children_cpu()

        def progress(_done: int, _total: int, outcome: Any) -> None:
            last[0] = time.perf_counter() - t0
            warned[0] += bool(outcome.warnings)

        result = summarize_folder([inputs], out, settings=settings, on_progress=progress)
        wall = time.perf_counter() - t0
        cpu = time.process_time() + _children_cpu() - c0  # workers are joined; the server is not
        used = max(1, worker_count(settings, docs))
    answered = fake.requests - fake.rejected
    bound = answered * latency / concurrency
    return RunResult(
        concurrency=concurrency,
        docs=docs,
        failed=len(result.failed),
        fallback_docs=warned[0],
        calls=result.usage.calls,
        answered=answered,
        rejected=fake.rejected,
        max_in_flight=fake.max_in_flight,
        latency=latency,
        wall_s=wall,
        bound_s=bound,
        ratio=wall / bound if bound > 0 else None,
        cpu_s=cpu,
        workers=used,
        last_doc_s=last[0],
        finalize_s=wall - last[0],
        waves_bound_s=math.ceil(answered / concurrency) * latency,
        first_request_s=min(fake.arrivals, default=m0) - m0,
        **_turnaround(sorted(fake.arrivals), concurrency, latency),
    )


def run(
    *,
    docs: int = 200,
    latency: float = 0.3,
    concurrencies: list[int] | None = None,
    units: int = 4,
    server_limit: int = 0,
    over_limit: str = "429",
    warmup: bool = True,
    server_process: bool = True,
    workers: int = 0,
    server: str = "lean",
) -> dict[str, Any]:
    """The benchmark: a corpus of ``docs`` reports at each concurrency; a JSON-able report."""
    concurrencies = concurrencies or [1, 4, 16]
    with tempfile.TemporaryDirectory(prefix="bench-docs-") as tmp:
        corpus = Path(tmp) / "docs"
        write_corpus(corpus, docs, units)
        if warmup:  # imports, tokenizer, pydantic schemas: paid once per process, not per batch
            warm = Path(tmp) / "warm"
            write_corpus(warm, 2, units)
            run_once(warm, concurrency=2, latency=0.0, server_process=server_process,
                     server=server)  # fmt: skip
        runs = [
            run_once(
                corpus,
                concurrency=c,
                latency=latency,
                server_limit=server_limit,
                over_limit=over_limit,
                server_process=server_process,
                workers=workers,
                server=server,
            )
            for c in concurrencies
        ]
    return {
        "benchmark": "ideal_bound",
        "machine": _common.machine(),
        "params": {
            "docs": docs,
            "latency": latency,
            "units_per_doc": units,
            "server_limit": server_limit,
            "over_limit": over_limit,
            "server": server,
            "server_in": "process" if server_process else "thread",
            "workers": workers,
            "target_ratios": TARGETS,
        },
        "runs": [asdict(r) for r in runs],
    }


def render(report: dict[str, Any]) -> str:
    """The report's runs as a table."""
    headers = ["concurrency", "workers", "docs", "calls", "wall s", "bound s", "ratio",
               "waves bound s", "cpu s", "first request s", "turnaround ms (p90)",
               "last doc s", "finalize s", "max in flight", "429s",
               "fallbacks"]  # fmt: skip
    keys = ["concurrency", "workers", "docs", "answered", "wall_s", "bound_s", "ratio",
            "waves_bound_s", "cpu_s", "first_request_s", "turnaround",
            "last_doc_s", "finalize_s", "max_in_flight", "rejected",
            "fallback_docs"]  # fmt: skip
    shown = [{**r, "turnaround": f"{r['turnaround_ms']:.1f} ({r['turnaround_p90_ms']:.1f})"}
             for r in report["runs"]]  # fmt: skip
    rows = [["n/a" if r[k] is None else r[k] for k in keys] for r in shown]
    p = report["params"]
    head = (
        f"ideal bound: {p['docs']} docs x ~{p['units_per_doc']} units, latency "
        f"{p['latency'] * 1000:.0f} ms, server limit {p['server_limit'] or 'none'} "
        f"({p['server']} server in a {p['server_in']}); "
        f"{report['machine']['cpus']} CPUs"
    )
    return head + "\n" + _common.table(headers, rows)


def main(argv: list[str] | None = None) -> int:
    """CLI entry point; exit status 0 (the table is informative, not a gate)."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 1)[1])  # fmt: skip
    ap.add_argument("--docs", type=int, default=200, help="documents in the batch (200)")
    ap.add_argument("--units", type=int, default=4, help="units per document (4)")
    ap.add_argument("--latency", type=float, default=0.3, help="seconds per answer (0.3)")
    ap.add_argument("--concurrency", type=_common.parse_list, default=[1, 4, 16],
                    help="comma-separated concurrencies (1,4,16)")  # fmt: skip
    ap.add_argument("--server-limit", type=int, default=0,
                    help="most requests the server answers at once (0: no limit)")  # fmt: skip
    ap.add_argument("--over-limit", choices=("429", "queue"), default="429",
                    help="over the server limit: answer 429 or queue (429)")  # fmt: skip
    ap.add_argument("--workers", type=int, default=0,
                    help="processes to share the batch among (0: auto, as summarize_folder)")
    ap.add_argument("--server", choices=SERVERS, default="lean",
                    help="the fake endpoint: lean (asyncio; default) or threaded (the tests' "
                    "server, a thread per connection, ~1 ms of CPU per request)")
    ap.add_argument("-v", "--verbose", action="store_true", help="show retry/fallback logs")
    ap.add_argument("--no-warmup", action="store_true", help="skip the 2-document warm-up run")
    ap.add_argument("--server-thread", action="store_true",
                    help="run the fake server in this process's threads (it then competes "
                    "with the client for the GIL), not in a child process")  # fmt: skip
    ap.add_argument("--out", type=Path, default=_common.default_out("ideal_bound"),
                    help="JSON results (benchmarks/results/ideal_bound.json)")  # fmt: skip
    args = ap.parse_args(argv)
    quiet = {"summarizer": logging.ERROR, "instructor": logging.CRITICAL}
    saved = {name: logging.getLogger(name).level for name in quiet}
    if not args.verbose:  # retries and fallbacks are counted in the table, not logged per call
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)
    try:
        report = run(
            docs=args.docs,
            latency=args.latency,
            concurrencies=args.concurrency,
            units=args.units,
            server_limit=args.server_limit,
            over_limit=args.over_limit,
            warmup=not args.no_warmup,
            server_process=not args.server_thread,
            workers=args.workers,
            server=args.server,
        )
    finally:
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
    print(render(report))
    for r in report["runs"]:
        target = TARGETS.get(r["concurrency"])
        if target is not None and r["ratio"] is not None and math.isfinite(r["ratio"]):
            verdict = "meets" if r["ratio"] <= target else "misses"
            print(f"ratio at concurrency {r['concurrency']}: {r['ratio']:.3f} "
                  f"({verdict} the target <= {target})")  # fmt: skip
    _common.write_json(args.out, report)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve"]:  # the child of loopback_server()
        _serve(float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5])
        raise SystemExit(0)
    raise SystemExit(main())
