"""Engines: how a batch's documents are summarised — in local threads or on Ray Data.

:func:`summarizer.batch.summarize_folder` decides what needs work (resume),
hands the work items to a :data:`Runner` and writes every output, the manifest
and the report itself from the :class:`WorkResult` objects the runner yields.
So the engines differ only in *where* :func:`summarize_item` runs:

* ``local`` (in :mod:`summarizer.batch`): ``settings.concurrency`` threads
  sharing one backend.
* ``ray`` (:func:`ray_runner`): a Ray Data pipeline of ``(path, name)`` rows
  mapped by a pool of actors, each opening its own backend once. ``ray`` is
  imported only here and only when this engine is used (``pip install
  'summarizer[ray]'``).

The API key travels to Ray workers inside a :class:`_Secret` (pickled with the
task, never part of a repr, an operator name, an error or a log line).
"""

from __future__ import annotations

import json
import logging
import math
import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError, SummarizerError
from .pipeline import Extractor, as_document, open_backend, summarize_document
from .schema import DocumentSummary
from .settings import Settings

log = logging.getLogger(__name__)

ENGINES: tuple[str, ...] = ("local", "ray")


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One document to summarise: its position in the batch, input path and output name."""

    key: int
    path: str
    name: str


@dataclass(frozen=True, slots=True)
class WorkResult:
    """What summarising one :class:`WorkItem` gave: a summary and its text, or an error."""

    key: int
    name: str
    source: str
    summary: DocumentSummary | None = None
    text: str | None = None  #: the plain text every offset in ``summary`` refers to
    error: str | None = None
    seconds: float = 0.0

    def to_json(self) -> str:
        """A JSON string (how a Ray worker sends it back to the driver)."""
        return json.dumps(
            {
                "key": self.key,
                "name": self.name,
                "source": self.source,
                "summary": None if self.summary is None else self.summary.model_dump_json(),
                "text": self.text,
                "error": self.error,
                "seconds": self.seconds,
            },
            ensure_ascii=False,
        )

    @classmethod
    def from_json(cls, data: str) -> WorkResult:
        """The inverse of :meth:`to_json`."""
        raw = json.loads(data)
        summary = raw.get("summary")
        return cls(
            key=int(raw["key"]),
            name=raw["name"],
            source=raw["source"],
            summary=None if summary is None else DocumentSummary.model_validate_json(summary),
            text=raw.get("text"),
            error=raw.get("error"),
            seconds=float(raw.get("seconds") or 0.0),
        )


#: Summarises work items; yields one result per item, in completion order.
Runner = Callable[[Sequence[WorkItem], Settings], Iterator[WorkResult]]


def summarize_item(
    item: WorkItem, settings: Settings, extractor: Callable[[], Extractor]
) -> WorkResult:
    """Summarise one document; any failure is returned as the result's ``error``, never raised.

    Args:
        item: the document.
        settings: how to summarise.
        extractor: returns the (already opened) backend; called inside the
            failure handling so that a backend that cannot open fails the
            document, not the batch.
    """
    t = time.perf_counter()
    path = Path(item.path)
    try:
        document = as_document(path, doc_id=item.name)
        summary = summarize_document(document, settings=settings, extractor=extractor())
    except SummarizerError as e:
        return WorkResult(item.key, item.name, str(path), error=str(e), seconds=_since(t))
    except Exception as e:  # a bug must not stop the night: record it, go on
        msg = f"internal error ({type(e).__name__}: {e}); please report it"
        return WorkResult(item.key, item.name, str(path), error=msg, seconds=_since(t))
    return WorkResult(
        item.key, item.name, str(path), summary=summary, text=document.text, seconds=_since(t)
    )


def _since(t: float) -> float:
    return time.perf_counter() - t


class _Secret:
    """A string that pickles as itself but never shows in a repr or str."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "***" if self._value else "''"

    __str__ = __repr__

    def __reduce__(self) -> tuple[type[_Secret], tuple[str]]:
        return (_Secret, (self._value,))


class _RaySummarizer:
    """A Ray Data actor: opens the backend once, then summarises one row at a time.

    The driver's working directory is entered when it exists on this node, so
    relative input paths and the errors naming them read the same as with the
    local engine.
    """

    def __init__(self, settings: Settings, api_key: _Secret, cwd: str) -> None:
        if os.path.isdir(cwd):
            os.chdir(cwd)
        self._settings = replace(settings, api_key=api_key.reveal())
        self._stack = ExitStack()
        self._extractor: Extractor | None = None

    def _get(self) -> Extractor:
        if self._extractor is None:
            self._extractor = self._stack.enter_context(open_backend(self._settings))
        return self._extractor

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        item = WorkItem(int(row["key"]), str(row["path"]), str(row["name"]))
        return {"result": summarize_item(item, self._settings, self._get).to_json()}

    def __del__(self) -> None:  # stop an embedded server when the actor goes away
        with suppress(Exception):  # best effort at interpreter exit
            self._stack.close()


def ray_runner(address: str | None = None) -> Runner:
    """A :data:`Runner` that summarises on Ray Data.

    Args:
        address: the cluster (``auto``, ``ray://host:10001``, ``host:6379``);
            ``None`` or empty starts a local Ray instance. When Ray is already
            initialised in this process (a test, a notebook) it is used as it
            is and left running.

    The pool has up to ``settings.concurrency`` actors (one CPU each); each
    opens its own backend. Per-minute rate limits are split between them so
    the batch as a whole keeps to them. Ray is started (or joined) only when
    there is work: a fully resumed batch does not touch it.

    Raises:
        ConfigError: Ray is not installed (at once); it cannot be started or
            reached (when the runner starts).
    """
    try:
        import ray
        import ray.data  # Ray Data is an extra of ray: check it is there too
    except ImportError as e:
        raise ConfigError(
            "the ray engine needs Ray Data: pip install 'summarizer[ray]' "
            "(on every node of the cluster)"
        ) from e

    def run(items: Sequence[WorkItem], settings: Settings) -> Iterator[WorkResult]:
        started = False
        if not ray.is_initialized():
            try:
                ray.init(
                    address=address or None,
                    include_dashboard=False,
                    logging_level=logging.WARNING,
                )
            except Exception as e:  # unreachable cluster, version mismatch, no resources…
                where = f"the Ray cluster at {address!r}" if address else "a local Ray instance"
                raise ConfigError(f"could not start or reach {where}: {e}") from e
            started = True
        try:
            yield from _run_on_ray(items, settings)
        finally:
            if started:
                ray.shutdown()

    return run


def _run_on_ray(items: Sequence[WorkItem], settings: Settings) -> Iterator[WorkResult]:
    import ray.data

    if not items:
        return
    actors = max(1, min(settings.concurrency, len(items)))
    worker_settings = replace(
        settings,
        api_key="",
        requests_per_minute=_share(settings.requests_per_minute, actors),
        tokens_per_minute=_share(settings.tokens_per_minute, actors),
    )
    if not log.isEnabledFor(logging.DEBUG):  # Ray Data's per-run INFO lines only with -v
        logging.getLogger("ray.data").setLevel(logging.WARNING)
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the CLI has its own progress line
    context.print_on_execution_start = False
    rows = [{"key": it.key, "path": it.path, "name": it.name} for it in items]
    dataset = ray.data.from_items(rows, override_num_blocks=len(rows))
    actor_class: Any = _RaySummarizer  # a callable class: Ray Data runs it in an actor pool
    mapped = dataset.map(
        actor_class,
        fn_constructor_kwargs={
            "settings": worker_settings,
            "api_key": _Secret(settings.api_key),
            "cwd": os.getcwd(),
        },
        compute=ray.data.ActorPoolStrategy(min_size=1, max_size=actors),
        num_cpus=1,
    )
    log.debug("ray: %d documents on up to %d actors", len(rows), actors)
    for row in mapped.iter_rows():
        yield WorkResult.from_json(row["result"])


def _share(per_minute: int, actors: int) -> int:
    """Each actor's share of a per-minute limit (0 stays 'off')."""
    return 0 if per_minute <= 0 else max(1, math.floor(per_minute / actors))
