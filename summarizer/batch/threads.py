"""The local engine's threads: documents summarised ``settings.concurrency`` at a time.

:func:`run_threads` is the loop every local run uses — in the batch process, or in
each worker process of :mod:`summarizer.batch.workers` — over work items it takes
one at a time from a source (a list, or a queue shared with other processes).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack

from ..pipeline import Extractor
from ..settings import Settings
from .engines import LazyBackend, WorkItem, WorkResult, summarize_item


class NotYet:
    """What a non-blocking :data:`Take` gives while no item is ready yet (:data:`NOT_YET`)."""


NOT_YET = NotYet()

#: ``take(block)`` gives the next work item; None when there are no more; with
#: ``block=False`` it may give :data:`NOT_YET` instead of waiting for one.
Take = Callable[[bool], "WorkItem | NotYet | None"]


def run_threads(
    take: Take,
    settings: Settings,
    *,
    extractor: Callable[[], Extractor] | None = None,
    shared: bool = False,
) -> Iterator[WorkResult]:
    """Summarise the items ``take`` gives with threads; yield results as they finish.

    With the model backend the client holds requests in flight to
    ``settings.concurrency``; ``concurrency // 2`` (at least one) more documents
    are read, parsed and made into requests meanwhile, and finished ones are
    validated and written after their slot is free again, so a freed slot is
    taken at once instead of after the next document's preparation. The rules
    backend runs ``concurrency`` documents at a time.

    Items are taken as earlier ones finish, at most twice the workers ahead, and
    a result is dropped once yielded: what this holds does not grow with the
    batch. ``take`` is asked without blocking while documents are running, so a
    queue shared with other processes never holds back a finished result.

    Args:
        take: the item source (see :data:`Take`).
        settings: how to summarise.
        extractor: the backend to use (a session's); default: one opened here on
            first use, closed when the items are done.
        shared: other processes take from the same source: take only what a
            thread is free to start, so no process holds documents another
            could be running.
    """
    workers = thread_count(settings)
    window = take_ahead(settings, shared=shared)
    with ExitStack() as stack:
        get = extractor or LazyBackend(settings, stack).get  # closed after the pool drained
        with ThreadPoolExecutor(max_workers=workers) as pool:
            running: set[Future[WorkResult]] = set()
            more = True
            while True:
                while more and len(running) < window:
                    item = take(not running)
                    if isinstance(item, NotYet):
                        break
                    if item is None:
                        more = False
                        break
                    running.add(pool.submit(summarize_item, item, settings, get))
                if not running:
                    return
                finished, running = wait(running, return_when=FIRST_COMPLETED)
                for future in finished:
                    yield future.result()
                del finished  # a finished document is not kept alive here


def thread_count(settings: Settings) -> int:
    """Threads of one run: ``concurrency``, and with the model backend half as many
    more, preparing documents while the others' requests are in flight."""
    extra = max(1, settings.concurrency // 2) if settings.backend == "llm" else 0
    return settings.concurrency + extra


def take_ahead(settings: Settings, *, shared: bool = False) -> int:
    """Most items a run holds taken and not yet handed over (the memory it holds).

    Twice its threads; with ``shared`` (other processes serve the same batch)
    only what its threads are free to start and two more, so no process holds
    documents another could be running.
    """
    threads = thread_count(settings)
    return threads + 2 if shared else 2 * threads


def from_list(items: Iterable[WorkItem]) -> Take:
    """A :data:`Take` over items in hand (never blocks)."""
    it = iter(items)
    return lambda _block: next(it, None)
