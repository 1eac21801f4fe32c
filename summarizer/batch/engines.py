"""Engines: how a batch's documents are summarised — locally or on Ray Data.

:func:`summarizer.batch.folder.summarize_folder` decides what needs work (resume),
hands the work items to a :data:`Runner` and writes every output, the manifest
and the report itself from the :class:`WorkResult` objects the runner yields.
So the engines differ only in *where* :func:`summarize_item` runs:

* ``local`` (in :mod:`summarizer.batch.folder`): ``settings.concurrency`` threads
  sharing one backend (:mod:`summarizer.batch.threads`), in this process or in
  each of several worker processes (:mod:`summarizer.batch.workers`).
* ``ray`` (:func:`ray_runner`): a Ray Data pipeline of ``(path, name)`` rows
  mapped by a pool of actors, each opening its own backend once. ``ray`` is
  imported only here and only when this engine is used (``pip install
  'summarizer[ray]'``).

The API key travels to Ray workers inside the settings (a ``SecretStr``: pickled
with the task, never part of a repr, an operator name, an error or a log line).

Joining a cluster is bounded: ``settings.ray_connect_timeout`` seconds
(``SUMMARIZER_RAY_CONNECT_TIMEOUT``, default 30) for the address to answer and
``ray.init`` to return, else a
:class:`~summarizer.errors.ConfigError` naming the address. Ray's own chatter
follows the ``summarizer`` logger's level (the CLI's ``-q``/``-v``): none with
``-q`` (or a library caller's default WARNING), Ray's warnings at the CLI's
default level, Ray's INFO lines with ``-v``.
"""

from __future__ import annotations

import inspect
import json
import logging
import math
import os
import re
import socket
import threading
import time
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ConfigError, SummarizerError
from ..pipeline import Extractor, as_document, open_backend, summarize_document
from ..schema import DocumentSummary
from ..settings import Settings, env_name

log = logging.getLogger(__name__)

ENGINES: tuple[str, ...] = ("local", "ray")

#: Most blocks a batch is cut into on Ray Data (see :func:`_run_on_ray`).
MAX_BLOCKS = 4096

#: The variable that sets ``settings.ray_connect_timeout`` (named in error messages).
CONNECT_TIMEOUT_ENV = env_name("ray_connect_timeout")


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


class LazyBackend:
    """The extractor, opened on first use only (a fully resumed batch starts no model);
    closed with ``stack``. Thread-safe: one per process, shared by its threads."""

    def __init__(self, settings: Settings, stack: ExitStack) -> None:
        self._settings = settings
        self._stack = stack
        self._lock = threading.Lock()
        self._extractor: Extractor | None = None

    def get(self) -> Extractor:
        with self._lock:
            if self._extractor is None:
                self._extractor = self._stack.enter_context(open_backend(self._settings))
            return self._extractor


def share_limits(settings: Settings, parts: int) -> Settings:
    """``settings`` with its per-minute rate limits split between ``parts`` processes or
    actors, so that together they keep to them (0 stays 'off')."""
    return settings.with_(
        requests_per_minute=_share(settings.requests_per_minute, parts),
        tokens_per_minute=_share(settings.tokens_per_minute, parts),
    )


class _RaySummarizer:
    """A Ray Data actor: opens the backend once, then summarises one row at a time.

    The driver's working directory is entered when it exists on this node, so
    relative input paths and the errors naming them read the same as with the
    local engine.
    """

    def __init__(self, settings: Settings, cwd: str) -> None:
        if os.path.isdir(cwd):
            os.chdir(cwd)
        self._settings = settings
        self._stack = ExitStack()
        self._backend = LazyBackend(settings, self._stack)

    def __call__(self, row: dict[str, Any]) -> dict[str, Any]:
        item = WorkItem(int(row["key"]), str(row["path"]), str(row["name"]))
        return {"result": summarize_item(item, self._settings, self._backend.get).to_json()}

    def __del__(self) -> None:  # stop an embedded server when the actor goes away
        with suppress(Exception):  # best effort at interpreter exit
            self._stack.close()


def ray_runner(address: str | None = None, *, connect_timeout: float | None = None) -> Runner:
    """A :data:`Runner` that summarises on Ray Data.

    Args:
        address: the cluster (``auto``, ``ray://host:10001``, ``host:6379``);
            ``None`` or empty starts a local Ray instance. When Ray is already
            initialised in this process (a test, a notebook) it is used as it
            is and left running.
        connect_timeout: most seconds to wait for ``address`` to answer and for
            Ray to connect; default ``settings.ray_connect_timeout`` of the run.

    The pool has up to ``settings.concurrency`` actors (one CPU each); each
    opens its own backend. Per-minute rate limits are split between them so
    the batch as a whole keeps to them. Ray is started (or joined) only when
    there is work: a fully resumed batch does not touch it.

    Raises:
        ConfigError: Ray is not installed, or the timeout is not a positive
            number (at once); Ray cannot be started, or the cluster does not
            answer within the timeout (when the runner starts).
        SummarizerError: the Ray job failed while running (results already
            yielded stay valid: the batch resumes from them).
    """
    try:
        import ray
        import ray.data  # Ray Data is an extra of ray: check it is there too
    except ImportError as e:
        raise ConfigError(
            "the ray engine needs Ray Data: pip install 'summarizer[ray]' "
            "(on every node of the cluster)"
        ) from e
    if connect_timeout is not None:
        _check_timeout(connect_timeout)

    def run(items: Sequence[WorkItem], settings: Settings) -> Iterator[WorkResult]:
        started = False
        if not ray.is_initialized():
            _connect(address, connect_timeout or settings.ray_connect_timeout)
            started = True
        try:
            yield from _run_on_ray(items, settings, restarts=_joins_a_cluster(address))
        finally:
            if started:
                ray.shutdown()

    return run


def _check_timeout(value: float) -> None:
    """Raise :class:`ConfigError` unless ``value`` is a positive, finite number of seconds."""
    if not value > 0 or math.isinf(value):
        raise ConfigError(
            f"connect_timeout={value!r} is not valid: expected a positive number of seconds "
            f"(or set {CONNECT_TIMEOUT_ENV})"
        )


def _joins_a_cluster(address: str | None) -> bool:
    """Whether ``ray.init`` connects to an existing cluster rather than starting a local Ray."""
    return bool(address or os.environ.get("RAY_ADDRESS"))


def _quiet() -> bool:
    """Whether the user asked for errors only (``-q``; a library caller's default WARNING)."""
    return logging.getLogger("summarizer").getEffectiveLevel() >= logging.WARNING


def _debug() -> bool:
    return logging.getLogger("summarizer").isEnabledFor(logging.DEBUG)


def _ray_logging_level() -> int:
    """The level of the ``ray`` logger: Ray's INFO lines with ``-v``, else its errors only.

    Ray's warnings at start-up are about Ray (token authentication of a
    throw-away local instance, signal handlers), not about the batch.
    """
    return logging.INFO if _debug() else logging.ERROR


def _connect(address: str | None, timeout: float) -> None:
    """Start a local Ray (no ``address``) or join the cluster at ``address``, within ``timeout``.

    A cluster address is first checked to answer at all (a TCP connection to
    its host and port), so a wrong address fails at once with a clear message;
    then ``ray.init`` runs in a helper thread for at most what is left of
    ``timeout`` (Ray retries an unreachable cluster for many minutes on its own).

    Raises:
        ConfigError: naming the address and what to check.
    """
    import ray

    options: dict[str, Any] = {
        "address": address or None,
        "include_dashboard": False,
        "logging_level": _ray_logging_level(),
        "log_to_driver": not _quiet(),  # the workers' own stdout/stderr lines
    }
    if not _joins_a_cluster(address):
        try:
            ray.init(**options)
        except Exception as e:  # no resources, a broken install…
            raise ConfigError(f"could not start a local Ray instance: {_one_line(e)}") from e
        return
    if not address or address == "auto":  # what ray.init will use; named in the errors
        address = os.environ.get("RAY_ADDRESS") or address or "auto"

    deadline = time.monotonic() + timeout
    hint = (
        f"check the address (`ray status` on the head node; Ray Client listens on port "
        f"10001, the GCS on 6379), that the cluster is up and that no firewall is in the "
        f"way; {CONNECT_TIMEOUT_ENV} sets how long to wait (now {timeout:g} s)"
    )
    endpoint = _host_port(address)
    if endpoint is not None:
        host, port = endpoint
        try:
            with socket.create_connection((host, port), timeout=timeout):
                pass
        except OSError as e:
            reason = "no answer" if isinstance(e, TimeoutError) else (e.strerror or str(e))
            raise ConfigError(
                f"cannot reach the Ray cluster at {address!r}: nothing answers at "
                f"{host}:{port} ({reason}); {hint}"
            ) from e

    outcome: dict[str, BaseException | None] = {}
    gave_up = threading.Event()

    def init() -> None:
        try:
            ray.init(**options)
        except BaseException as e:  # reported to the waiting thread
            outcome["error"] = e
        else:
            outcome["error"] = None
            if gave_up.is_set():  # connected after all, too late: leave nothing behind
                with suppress(Exception):
                    ray.shutdown()

    helper = threading.Thread(target=init, name="summarizer-ray-connect", daemon=True)
    helper.start()
    helper.join(max(0.0, deadline - time.monotonic()))
    if "error" not in outcome:
        gave_up.set()
        raise ConfigError(
            f"timed out after {timeout:g} s connecting to the Ray cluster at {address!r}; {hint}"
        )
    error = outcome["error"]
    if error is not None:
        raise ConfigError(
            f"could not connect to the Ray cluster at {address!r}: {_one_line(error)}"
        ) from error


_ADDRESS = re.compile(r"^(?:ray://)?\[?([^\s/\[\]]+?)\]?:(\d{1,5})/?$")


def _host_port(address: str) -> tuple[str, int] | None:
    """``(host, port)`` of ``ray://host:port`` or ``host:port``; None for ``auto`` and the like."""
    found = _ADDRESS.match(address.strip())
    if found is None:
        return None
    port = int(found.group(2))
    return (found.group(1), port) if 0 < port < 65536 else None


def _one_line(error: BaseException, limit: int = 400) -> str:
    """An exception's message on one line (Ray's can span many), cut to ``limit`` characters."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _run_on_ray(
    items: Sequence[WorkItem], settings: Settings, *, restarts: bool = False
) -> Iterator[WorkResult]:
    """Map ``items`` over a pool of :class:`_RaySummarizer` actors.

    With ``restarts`` (a cluster, where a node may go away) a dead actor is
    recreated and its document retried, as Ray Data does by default; on a
    local Ray an actor that dies is a crash like any other: the run stops
    (what finished is saved; run again to resume) instead of retrying the
    same document forever.

    Raises:
        SummarizerError: the Ray job failed (a lost node, an actor that died,
            versions that differ between nodes), as one line.
    """
    import ray.data

    if not items:
        return
    actors = max(1, min(settings.concurrency, len(items)))
    worker_settings = share_limits(settings, actors)
    # Ray Data's per-run INFO lines only with -v, its warnings not with -q
    level = logging.INFO if _debug() else logging.ERROR if _quiet() else logging.WARNING
    logging.getLogger("ray.data").setLevel(level)
    # ... and never its notice that progress bars are off: we turned them off
    logging.getLogger("ray.data._internal.progress").setLevel(max(level, logging.ERROR))
    context = ray.data.DataContext.get_current()
    context.enable_progress_bars = False  # the CLI has its own progress line
    context.print_on_execution_start = False
    rows = [{"key": it.key, "path": it.path, "name": it.name} for it in items]
    # a block per document (each result streams back as it finishes, idle actors take the
    # next one) up to MAX_BLOCKS; beyond, several per block: Ray Data keeps ~7 KB of
    # bookkeeping per block on the driver for the whole run (70 MB at 10,000 blocks)
    dataset = ray.data.from_items(rows, override_num_blocks=min(len(rows), MAX_BLOCKS))
    actor_class: Any = _RaySummarizer  # a callable class: Ray Data runs it in an actor pool
    remote_args = {} if restarts else _no_restarts(dataset.map)
    with warnings.catch_warnings():  # max_restarts is one of Ray's deprecated **ray_remote_args
        warnings.simplefilter("ignore", DeprecationWarning)
        mapped = dataset.map(
            actor_class,
            fn_constructor_kwargs={
                "settings": worker_settings,
                "cwd": os.getcwd(),
            },
            compute=ray.data.ActorPoolStrategy(min_size=1, max_size=actors),
            num_cpus=1,
            **remote_args,
        )
    log.debug("ray: %d documents on up to %d actors", len(rows), actors)
    try:
        for row in mapped.iter_rows():
            yield WorkResult.from_json(row["result"])
    except Exception as e:  # a lost node, a crashed actor, versions that differ between nodes…
        log.debug("the Ray job failed", exc_info=True)
        raise SummarizerError(
            f"the Ray job failed: {_one_line(e)} — the documents finished before it are saved; "
            "run the same command again to resume (every node needs the same Python, "
            "summarizer and ray versions)"
        ) from e


def _no_restarts(map_method: Callable[..., Any]) -> dict[str, Any]:
    """``{"max_restarts": 0}`` when ``Dataset.map`` still takes actor options as ``**kwargs``.

    Besides not retrying a crashing document forever, this keeps the driver
    quiet: Ray logs an error-level line to stderr for every restartable actor
    whose constructor arguments are in the object store (Ray Data's always are).
    """
    params = inspect.signature(map_method).parameters.values()
    takes_kwargs = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params)
    return {"max_restarts": 0} if takes_kwargs else {}


def _share(per_minute: int, actors: int) -> int:
    """Each actor's share of a per-minute limit (0 stays 'off')."""
    return 0 if per_minute <= 0 else max(1, math.floor(per_minute / actors))
