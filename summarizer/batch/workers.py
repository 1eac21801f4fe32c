"""Worker processes: a batch's documents shared among processes, one per CPU.

A Python process runs its threads one at a time (the GIL), and a document's own
work — reading it, its outline and figures, validating answers, and each
request's CPU in the HTTP client — holds it: against a fast endpoint at high
concurrency, one process is busy on one core while the others idle. With
``workers`` processes each takes documents from a shared queue and summarises
them with its own threads (:func:`~summarizer.batch.threads.run_threads`) and its
own backend, opened once; results come back to the batch process, which writes
every output, the manifest and the report as with one process, so outputs do
not depend on the number of workers.

Shared out between the processes: ``concurrency`` (requests in flight: the
endpoint sees no more than one process would send) and the per-minute rate
limits. Each process has its own circuit breaker: against an endpoint that is
down, each stops after ``breaker_failures`` failures.

:func:`worker_count` decides how many (``settings.workers``; 0 = auto). A worker
that dies (killed, out of memory) fails the documents it was working on, with a
message saying so; the others go on, and a re-run redoes what failed.
"""

from __future__ import annotations

import logging
import math
import multiprocessing
import os
import queue
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import suppress
from typing import Any

from ..settings import Settings
from .engines import WorkItem, WorkResult
from .threads import NOT_YET, NotYet, run_threads, take_ahead

log = logging.getLogger(__name__)

#: Most processes ``workers=0`` (auto) starts.
MAX_AUTO_WORKERS = 4
#: Documents each worker should have at least for auto to start another: below
#: it, a process's start (~0.1 s, and its own backend) costs more than it gives.
DOCS_PER_WORKER = 16
#: Seconds the batch process waits for a result before checking its workers are alive.
_POLL = 0.5


def available_cpus() -> int:
    """CPUs this process may run on (its affinity, not the machine's count)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not on Linux
        return os.cpu_count() or 1


def worker_count(settings: Settings, documents: int, *, own_backend: bool = False) -> int:
    """How many processes summarise ``documents`` documents (1: the batch process alone).

    ``settings.workers`` when set (at most one per document, and with the model
    backend at most ``concurrency``: each needs a request slot). Auto (0): one per
    CPU up to :data:`MAX_AUTO_WORKERS` and one per :data:`DOCS_PER_WORKER`
    documents — but one when the embedded local model does the work (its server
    uses every core; a process per CPU would only compete with it) or when the
    caller passes its own backend (``own_backend``: a session's, which lives in
    this process). Always one where workers cannot start (:func:`can_fork`: a
    process running other threads, such as a notebook's, or a platform without
    ``fork``).
    """
    cap = documents
    if settings.backend == "llm":
        cap = min(cap, settings.concurrency)
    if own_backend or (settings.backend == "llm" and not settings.base_url):
        return 1
    wanted = settings.workers or min(
        available_cpus(), MAX_AUTO_WORKERS, documents // DOCS_PER_WORKER
    )
    if min(wanted, cap) <= 1:
        return 1
    if not can_fork():
        log.info("other threads are running in this process, so its batch is not shared "
                 "among processes (they start by fork)")  # fmt: skip
        return 1
    return min(wanted, cap)


def worker_settings(settings: Settings, workers: int, index: int) -> Settings:
    """Worker ``index``'s share of ``settings``: its slots and rate limits."""
    return settings.with_(
        concurrency=_part(settings.concurrency, workers, index),
        requests_per_minute=_share(settings.requests_per_minute, workers),
        tokens_per_minute=_share(settings.tokens_per_minute, workers),
    )


def _part(total: int, parts: int, index: int) -> int:
    """Part ``index`` of ``total`` cut into ``parts`` near-equal whole parts (at least 1)."""
    return max(1, total // parts + (index < total % parts))


def _share(per_minute: int, parts: int) -> int:
    """Each worker's share of a per-minute limit (0 stays 'off')."""
    return 0 if per_minute <= 0 else max(1, math.floor(per_minute / parts))


def run_in_processes(
    items: Sequence[WorkItem], settings: Settings, workers: int
) -> Iterator[WorkResult]:
    """Summarise ``items`` in ``workers`` processes; yield results in completion order.

    Each worker has its own inbox: it is given what its threads can start
    (:func:`~summarizer.batch.threads.take_ahead`), then one document for each
    it finishes, so a faster worker gets more and none holds documents another
    could run. Every item gives exactly one result: the documents a worker was
    given and did not finish when it died get an error result saying so.
    Leaving the iteration early (an exception, Ctrl-C in the batch process)
    stops the workers.
    """
    if not items:
        return
    ctx = _context()
    shares = [worker_settings(settings, workers, k) for k in range(workers)]
    inboxes: list[Any] = [ctx.Queue() for _ in range(workers)]
    results: Any = ctx.Queue()
    levels = (logging.getLogger().level, logging.getLogger("summarizer").getEffectiveLevel())
    procs = [
        ctx.Process(
            target=_worker,
            args=(k, shares[k], inboxes[k], results, levels, os.getcwd()),
            name=f"summarizer-worker-{k}",
            daemon=True,
        )
        for k in range(workers)
    ]
    todo = iter(items)
    given: list[dict[int, WorkItem]] = [{} for _ in range(workers)]  # sent, not yet done
    closed = [False] * workers

    def give(k: int) -> None:  # one more document for worker k, or "no more"
        if closed[k]:
            return
        item = next(todo, None)
        if item is None:
            closed[k] = True
            inboxes[k].put(None)
        else:
            given[k][item.key] = item
            inboxes[k].put(item)

    running = set(range(workers))
    finished = False
    try:
        for k, p in enumerate(procs):
            for _ in range(take_ahead(shares[k], shared=True)):
                give(k)
            p.start()
        while running:
            try:
                message = results.get(timeout=_POLL)
            except queue.Empty:
                for k in sorted(running):
                    code = procs[k].exitcode
                    if code is not None:  # gone without saying it was done
                        running.discard(k)
                        yield from _lost(given[k], k, code)
                continue
            kind, k = message[0], message[1]
            if kind == "done":
                result = WorkResult.from_json(message[2])
                given[k].pop(result.key, None)
                give(k)
                yield result
            elif kind == "log":
                record = message[2]
                logging.getLogger(record.name).handle(record)
            elif kind == "exit":
                running.discard(k)
                yield from _lost(given[k], k, 0)  # nothing, unless it skipped some
        for item in todo:  # every worker gone before these were given out
            yield WorkResult(item.key, item.name, item.path, error=_NOT_RUN)
        finished = True
    finally:
        _stop(procs, [*inboxes, results], wait=finished)


_NOT_RUN = "not summarised: every worker process stopped first; run the same command again"


def _lost(given: dict[int, WorkItem], worker: int, code: int) -> Iterator[WorkResult]:
    """Error results for the documents worker ``worker`` was given and never finished."""
    if not given:
        return
    how = f"was killed by signal {-code}" if code < 0 else f"exited with status {code}"
    log.warning("worker process %d %s", worker, how)
    for item in list(given.values()):
        msg = f"the worker process summarising it {how}; run the same command again to redo it"
        yield WorkResult(item.key, item.name, item.path, error=msg)
    given.clear()


def _stop(procs: list[Any], queues: list[Any], *, wait: bool) -> None:
    """Let finished workers exit (``wait``), else stop them at once; release the queues."""
    if wait:
        for p in procs:
            with suppress(Exception):
                p.join(timeout=5.0)
    for p in procs:
        with suppress(Exception):
            if p.is_alive():
                p.terminate()
                p.join(timeout=5.0)
    for q in queues:
        if not wait:
            q.cancel_join_thread()  # never wait for items no worker will read
        q.close()
        q.join_thread()  # its feeder thread gone: the next batch may fork again


def can_fork() -> bool:
    """Whether worker processes can start here: by ``fork`` (fast: nothing is imported or
    pickled again), which is safe only while this process runs no other thread — a
    fork copies locks another thread may hold. Other start methods re-run the
    caller's ``__main__`` in every worker, which a script without an
    ``if __name__ == "__main__"`` guard does not survive: they are not used."""
    return "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1


def _context() -> Any:  # a multiprocessing context (its stubs lack Process)
    return multiprocessing.get_context("fork")


class _ToBatch(logging.Handler):
    """Sends a worker's log records to the batch process, which handles them as its own."""

    def __init__(self, results: Any) -> None:
        super().__init__()
        self._results = results

    def emit(self, record: logging.LogRecord) -> None:
        try:
            record.msg, record.args = record.getMessage(), None  # picklable, formatted once
            if record.exc_info:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            self._results.put(("log", -1, record))
        except Exception:  # a log line must never stop a worker
            self.handleError(record)


def _worker(
    index: int,
    settings: Settings,
    inbox: Any,
    results: Any,
    levels: tuple[int, int],
    cwd: str,
) -> None:
    """One worker process: summarise what comes to ``inbox`` until told there is no more."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the batch process's to handle
    if os.path.isdir(cwd):  # relative paths read as in the batch process
        os.chdir(cwd)
    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(_ToBatch(results))
    root.setLevel(levels[0])
    logging.getLogger("summarizer").setLevel(levels[1])

    parent = os.getppid()

    def take(block: bool) -> WorkItem | NotYet | None:
        while True:
            try:
                item: WorkItem | None = inbox.get(timeout=_POLL) if block else inbox.get_nowait()
            except queue.Empty:
                if not block:
                    return NOT_YET
                if os.getppid() != parent:  # the batch process is gone: so is the batch
                    return None
                continue
            return item

    for result in run_threads(take, settings, shared=True):
        results.put(("done", index, result.to_json()))
    results.put(("exit", index))
