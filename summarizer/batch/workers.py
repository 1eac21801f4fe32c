"""Worker processes: a batch's documents shared among processes, one per CPU.

A Python process runs its threads one at a time (the GIL), and a document's own
work — reading it, its outline and figures, validating answers, and each
request's CPU in the HTTP client — holds it: against a fast endpoint at high
concurrency, one process is busy on one core while the others idle. With
``workers`` processes each summarises the documents the batch process sends it,
with its own threads (:func:`~summarizer.batch.threads.run_threads`) and its own
backend, opened once; results come back to the batch process, which writes
every output, the manifest and the report as with one process, so outputs do
not depend on the number of workers. Each worker has a pipe each way of its
own (no lock shared between processes: a worker killed in the middle of a
message spoils nothing but its own pipe), and is sent a document for each it
finishes, so a faster one gets more.

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
import multiprocessing
import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import suppress
from multiprocessing.connection import wait
from typing import Any

from ..settings import Settings
from .engines import WorkItem, WorkResult, share_limits
from .forking import only_fork_safe_threads
from .threads import NOT_YET, NotYet, run_threads, take_ahead

log = logging.getLogger(__name__)

#: Most processes ``workers=0`` (auto) starts.
MAX_AUTO_WORKERS = 4
#: Documents each worker should have at least for auto to start another: below
#: it, a process's start (~0.1 s, and its own backend) costs more than it gives.
DOCS_PER_WORKER = 16
#: With a model endpoint, requests in flight each worker should have for auto to start
#: another: below it one process keeps up (its threads mostly wait on the endpoint),
#: and a second only adds its own CPU (measured: 200 documents against a 300 ms
#: endpoint, 1.11 × the ideal bound with one process at concurrency 16, 1.12 with
#: two; at 64, two are faster).
REQUESTS_PER_WORKER = 32
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
    documents (with a model endpoint, also one per :data:`REQUESTS_PER_WORKER`
    requests in flight) — but one when the embedded local model does the work (its server
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
    if not settings.workers and settings.backend == "llm":
        wanted = min(wanted, settings.concurrency // REQUESTS_PER_WORKER)
    if min(wanted, cap) <= 1:
        return 1
    if not can_fork():
        log.info("other threads are running in this process, so its batch is not shared "
                 "among processes (they start by fork)")  # fmt: skip
        return 1
    return min(wanted, cap)


def worker_settings(settings: Settings, workers: int, index: int) -> Settings:
    """Worker ``index``'s share of ``settings``: its slots and rate limits."""
    return share_limits(settings, workers).with_(
        concurrency=_part(settings.concurrency, workers, index)
    )


def _part(total: int, parts: int, index: int) -> int:
    """Part ``index`` of ``total`` cut into ``parts`` near-equal whole parts (at least 1)."""
    return max(1, total // parts + (index < total % parts))


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
    levels = (logging.getLogger().level, logging.getLogger("summarizer").getEffectiveLevel())
    # one pipe each way per worker: a worker killed while writing can spoil only its own
    inboxes: list[Any] = []
    outboxes: list[Any] = []
    procs: list[Any] = []
    todo = iter(items)
    given: list[dict[int, WorkItem]] = [{} for _ in range(workers)]  # sent, not yet done
    closed = [False] * workers

    def give(k: int) -> None:  # one more document for worker k, or "no more"
        if closed[k]:
            return
        item = next(todo, None)
        if item is None:
            closed[k] = True
        else:
            given[k][item.key] = item
        with suppress(OSError):  # a worker that died: seen when its outbox ends
            inboxes[k].send(item)

    running: set[int] = set()
    finished = False
    try:
        for k in range(workers):
            inbox_r, inbox_w = ctx.Pipe(duplex=False)
            outbox_r, outbox_w = ctx.Pipe(duplex=False)
            inboxes.append(inbox_w)
            outboxes.append(outbox_r)
            for _ in range(take_ahead(shares[k], shared=True)):
                give(k)
            p = ctx.Process(
                target=_worker,
                args=(k, shares[k], inbox_r, outbox_w, levels, os.getcwd()),
                name=f"summarizer-worker-{k}",
                daemon=True,
            )
            procs.append(p)
            p.start()
            running.add(k)
            # the worker's ends live in the worker only: its outbox ends when it does,
            # and no worker forked later holds them
            inbox_r.close()
            outbox_w.close()
        while running:
            ready = wait([outboxes[k] for k in running])
            for k in [j for j in sorted(running) if outboxes[j] in ready]:
                message = _receive(outboxes[k])
                if message is None:  # it ended, or died (maybe in the middle of a message)
                    procs[k].join(timeout=5.0)
                    running.discard(k)
                    yield from _lost(given[k], k, procs[k].exitcode)
                elif message[0] == "done":
                    result = WorkResult.from_json(message[1])
                    given[k].pop(result.key, None)
                    give(k)
                    yield result
                elif message[0] == "log":
                    record = message[1]
                    logging.getLogger(record.name).handle(record)
        for item in todo:  # every worker gone before these were given out
            yield WorkResult(item.key, item.name, item.path, error=_NOT_RUN)
        finished = True
    finally:
        _stop(procs, [*inboxes, *outboxes], wait=finished)


def _receive(conn: Any) -> tuple[Any, ...] | None:
    """The next message from a worker; None when it has ended (or died mid-message)."""
    try:
        message: tuple[Any, ...] = conn.recv()
    except (EOFError, OSError, pickle.UnpicklingError, ValueError):
        return None
    return message


_NOT_RUN = "not summarised: every worker process stopped first; run the same command again"


def _lost(given: dict[int, WorkItem], worker: int, code: int | None) -> Iterator[WorkResult]:
    """Error results for the documents worker ``worker`` was given and never finished."""
    if not given:
        return
    if code is None:
        how = "stopped answering"
    elif code < 0:
        how = f"was killed by signal {-code}"
    else:
        how = f"exited with status {code}"
    log.warning("worker process %d %s", worker, how)
    for item in list(given.values()):
        msg = f"the worker process summarising it {how}; run the same command again to redo it"
        yield WorkResult(item.key, item.name, item.path, error=msg)
    given.clear()


def _stop(procs: list[Any], pipes: list[Any], *, wait: bool) -> None:
    """Let finished workers exit (``wait``), else stop them at once; close the pipes."""
    if wait:
        for p in procs:
            with suppress(Exception):
                p.join(timeout=5.0)
    for p in procs:
        with suppress(Exception):
            if p.is_alive():
                p.terminate()
                p.join(timeout=5.0)
    for conn in pipes:
        conn.close()


#: Where worker processes may start by fork: Linux. (macOS has fork, but its system
#: frameworks are not fork-safe, which is why Python starts processes there by spawn.)
_FORK_PLATFORM = sys.platform.startswith("linux")


def can_fork() -> bool:
    """Whether worker processes can start here: by ``fork`` (fast: nothing is imported or
    pickled again), which is safe only while this process runs no other thread — a
    fork copies locks another thread may hold — but those declared fork-safe
    (:mod:`summarizer.batch.forking`: the progress line's refresher). Other start
    methods re-run the caller's ``__main__`` in every worker, which a script
    without an ``if __name__ == "__main__"`` guard does not survive: they are not
    used, and workers start only on Linux."""
    return _FORK_PLATFORM and only_fork_safe_threads()


def _context() -> Any:  # a multiprocessing context (its stubs lack Process)
    return multiprocessing.get_context("fork")


class _ToBatch(logging.Handler):
    """Sends a worker's log records to the batch process, which handles them as its own."""

    def __init__(self, send: Callable[[tuple[Any, ...]], None]) -> None:
        super().__init__()
        self._send = send

    def emit(self, record: logging.LogRecord) -> None:
        try:
            record.msg, record.args = record.getMessage(), None  # picklable, formatted once
            if record.exc_info:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
            self._send(("log", record))
        except Exception:  # a log line must never stop a worker
            self.handleError(record)


def _worker(
    index: int,
    settings: Settings,
    inbox: Any,
    outbox: Any,
    levels: tuple[int, int],
    cwd: str,
) -> None:
    """One worker process: summarise what comes to ``inbox`` until told there is no more."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the batch process's to handle
    if os.path.isdir(cwd):  # relative paths read as in the batch process
        os.chdir(cwd)
    lock = threading.Lock()  # the worker's threads and its log lines share the outbox

    def send(message: tuple[Any, ...]) -> None:
        with lock:
            outbox.send(message)

    root = logging.getLogger()
    for h in list(root.handlers):
        root.removeHandler(h)
    root.addHandler(_ToBatch(send))
    root.setLevel(levels[0])
    logging.getLogger("summarizer").setLevel(levels[1])
    parent = os.getppid()

    def take(block: bool) -> WorkItem | NotYet | None:
        while not inbox.poll(_POLL if block else 0):
            if not block:
                return NOT_YET
            if os.getppid() != parent:  # the batch process is gone: so is the batch
                return None
        item: WorkItem | None = inbox.recv()
        return item

    for result in run_threads(take, settings, shared=True):
        send(("done", result.to_json()))
