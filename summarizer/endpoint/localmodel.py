"""The embedded default model served by llama.cpp.

:class:`LocalServer` runs ``python -m llama_cpp.server`` (llama-cpp-python's
OpenAI-compatible server) on a free loopback port for the life of a ``with``
block; :func:`local_endpoint` wraps it for the pipeline and :func:`serve` runs it
in the foreground for ``summarizer serve``. The GGUF file it loads comes from
:func:`~summarizer.endpoint.modelfiles.resolve_model_path` (assembled from PyPI parts, see
:mod:`summarizer.endpoint.modelfiles`; re-exported here with the registry).

The server constrains output with a grammar built from the JSON schema sent as
``response_format={"type": "json_object", "schema": ...}`` (what instructor's
``Mode.JSON_SCHEMA`` sends), so every answer of the local model parses.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import importlib.util
import logging
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ..errors import ConfigError, ModelError
from ..settings import Settings
from .modelfiles import DEFAULT_MODEL as DEFAULT_MODEL
from .modelfiles import KNOWN_MODELS as KNOWN_MODELS
from .modelfiles import KnownModel as KnownModel
from .modelfiles import assemble_model as assemble_model
from .modelfiles import resolve_model_path as resolve_model_path
from .resolved import ResolvedEndpoint, configured_endpoint, embedded_endpoint

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_MODEL",
    "KNOWN_MODELS",
    "KnownModel",
    "LocalServer",
    "assemble_model",
    "local_endpoint",
    "resolve_model_path",
    "serve",
    "token_counter",
]

HOW_TO_GET_THE_SERVER = (
    "the embedded model server needs llama-cpp-python: `pip install 'summarizer[local]'` "
    "(or `pip install 'llama-cpp-python[server]==0.3.36'`), or set SUMMARIZER_BASE_URL to "
    "an OpenAI-compatible endpoint"
)


@functools.cache
def token_counter(model_path: Path) -> Callable[[str], int]:
    """Exact token counts with the GGUF's own tokenizer (llama.cpp, vocabulary only).

    ``summarizer.endpoint.client.count_tokens`` uses tiktoken encodings, which count about
    2x Qwen's tokens on Chinese text; use this counter to budget chunks for the
    embedded model. Loading reads only the vocabulary (well under a second).

    Args:
        model_path: the GGUF file the server runs.

    Raises:
        ConfigError: llama-cpp-python is not installed.
    """
    if importlib.util.find_spec("llama_cpp") is None:
        raise ConfigError(HOW_TO_GET_THE_SERVER)
    vocab = _vocabulary(str(model_path))
    lock = threading.Lock()

    def count(text: str) -> int:
        with lock:
            return len(vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    return count


@functools.cache
def _vocabulary(model_path: str) -> Any:
    """The GGUF's vocabulary, loaded once per process and closed at exit.

    Closing it explicitly matters: left to the garbage collector at interpreter
    shutdown, llama-cpp-python's finaliser may run after its C bindings are gone
    and print a ``TypeError`` traceback. Loading is silenced: llama.cpp prints a
    context-size warning to stderr that means nothing for a vocabulary.
    """
    import llama_cpp

    with _quiet_stderr():  # llama.cpp warns about the context even for a vocabulary
        vocab = llama_cpp.Llama(model_path=model_path, vocab_only=True, verbose=False)
    atexit.register(vocab.close)
    return vocab


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Send file descriptor 2 (C code's stderr) and ``sys.stderr`` to /dev/null for a moment."""
    sys.stderr.flush()
    saved = os.dup(2)
    python_stderr = sys.stderr
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            sys.stderr = null
            try:
                yield
            finally:
                sys.stderr = python_stderr
                os.dup2(saved, 2)
    finally:
        os.close(saved)


def model_alias(path: Path) -> str:
    """Name the server reports for ``path``: the registry name or the file stem."""
    return path.stem


def require_llama_cpp() -> None:
    """Raise :class:`ConfigError` unless ``llama_cpp.server`` and its web stack import."""
    for mod in ("llama_cpp", "uvicorn", "fastapi", "sse_starlette", "starlette_context"):
        if importlib.util.find_spec(mod) is None:
            raise ConfigError(f"{HOW_TO_GET_THE_SERVER} (missing module {mod!r})")


def _cpu_count() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not Linux
        return max(1, os.cpu_count() or 1)


def _free_port(host: str) -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


#: Runs in the child before exec'ing the server: asks Linux to SIGTERM the server
#: when this process dies (even by SIGKILL), so no orphan keeps the port and RAM.
_LAUNCHER = """
import ctypes, os, signal, sys
try:
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
except Exception:
    pass
if os.getppid() != int(sys.argv[1]):
    sys.exit("parent exited before the model server started")
os.execv(sys.executable, [sys.executable, "-m", "llama_cpp.server", *sys.argv[2:]])
"""

_LIVE: set[LocalServer] = set()
_LIVE_LOCK = threading.Lock()


@atexit.register
def _stop_all() -> None:  # pragma: no cover - runs at interpreter exit
    with _LIVE_LOCK:
        servers = list(_LIVE)
    for server in servers:
        server.stop()


class LocalServer:
    """``python -m llama_cpp.server`` on a free loopback port, as a context manager.

    Example::

        with local_endpoint(settings) as endpoint:  # starts a LocalServer
            client = LLMClient(settings, endpoint=endpoint)

    On Linux the server gets SIGTERM when the process that started it dies, even
    by SIGKILL (``PR_SET_PDEATHSIG``); the kernel ties this to the starting
    *thread*, so start it from a thread that outlives the ``with`` block (the main
    thread, as the pipeline does).

    Attributes:
        base_url: ``http://127.0.0.1:<port>/v1`` once started.
        model: model name the server answers to (``--model_alias``).
    """

    def __init__(
        self,
        model_path: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        n_ctx: int = 4096,
        n_threads: int = 0,
        alias: str = "",
        startup_timeout: float = 180.0,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        """Prepare (not start) a server.

        Args:
            model_path: GGUF file to load.
            host: interface to bind; keep it on loopback.
            port: TCP port; 0 picks a free one.
            n_ctx: context window in tokens (prompt + completion).
            n_threads: CPU threads; 0 means all available cores.
            alias: model name to report; defaults to the file stem.
            startup_timeout: seconds to wait for ``/v1/models`` to answer.
            extra_args: further ``llama_cpp.server`` flags.
        """
        self.model_path = Path(model_path)
        self.host = host
        self.port = port
        self.n_ctx = n_ctx
        self.n_threads = n_threads or _cpu_count()
        self.model = alias or model_alias(self.model_path)
        self.startup_timeout = startup_timeout
        self.extra_args = extra_args
        self.base_url = ""
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_path: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings, **options: Any) -> LocalServer:
        """A server for the model :func:`resolve_model_path` picks (``options``: see init)."""
        return cls(resolve_model_path(settings), **options)

    def command(self) -> list[str]:
        """The server command line (on Linux behind a launcher that ties it to us)."""
        args = [
            "--model", str(self.model_path),
            "--model_alias", self.model,
            "--host", self.host,
            "--port", str(self.port),
            "--n_ctx", str(self.n_ctx),
            "--n_threads", str(self.n_threads),
            "--n_threads_batch", str(self.n_threads),
            *self.extra_args,
        ]  # fmt: skip
        if sys.platform.startswith("linux"):
            return [sys.executable, "-c", _LAUNCHER, str(os.getpid()), *args]
        return [sys.executable, "-m", "llama_cpp.server", *args]

    @property
    def running(self) -> bool:
        """True while the server process is alive."""
        return self._proc is not None and self._proc.poll() is None

    def start(self) -> LocalServer:
        """Start the process and wait until ``/v1/models`` answers.

        Raises:
            ConfigError: llama-cpp-python is not installed or the model is missing.
            ModelError: the server exited or did not answer within ``startup_timeout``.
        """
        if self.running:
            return self
        require_llama_cpp()
        if not self.model_path.is_file():
            raise ConfigError(f"local model {str(self.model_path)!r} does not exist")
        if not self.port:
            self.port = _free_port(self.host)
        self.base_url = f"http://{self.host}:{self.port}/v1"
        fd, log_name = tempfile.mkstemp(prefix="summarizer-llama-", suffix=".log")
        self._log_path = Path(log_name)
        logger.info("starting local model server: %s", " ".join(self.command()))
        with os.fdopen(fd, "wb") as log:
            self._proc = subprocess.Popen(
                self.command(), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        with _LIVE_LOCK:
            _LIVE.add(self)
        try:
            self._wait_ready()
        except BaseException:
            self.stop()
            raise
        logger.info("local model server ready at %s (model %s)", self.base_url, self.model)
        return self

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout
        # stdlib on purpose: no proxy (loopback) and no dependency on an httpx flavour
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        while True:
            if self._proc is not None and self._proc.poll() is not None:
                raise ModelError(
                    f"local model server exited with code {self._proc.returncode} "
                    f"during startup:\n{self.log_tail()}"
                )
            try:
                with opener.open(f"{self.base_url}/models", timeout=2.0) as response:
                    if response.status == 200:
                        return
            except (OSError, urllib.error.URLError):
                pass
            if time.monotonic() > deadline:
                raise ModelError(
                    f"local model server did not answer on {self.base_url} within "
                    f"{self.startup_timeout:.0f} s:\n{self.log_tail()}"
                )
            time.sleep(0.25)

    def log_tail(self, lines: int = 25) -> str:
        """Last lines of the server's stdout/stderr."""
        if self._log_path is None:
            return ""
        try:
            text = self._log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def wait(self) -> int:
        """Block until the server exits; its return code."""
        if self._proc is None:
            return 0
        return self._proc.wait()

    def stop(self, grace: float = 10.0) -> None:
        """Terminate the server (kill after ``grace`` seconds); safe to call twice."""
        proc, self._proc = self._proc, None
        with _LIVE_LOCK:
            _LIVE.discard(self)
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=grace)
        if self._log_path is not None:
            self._log_path.unlink(missing_ok=True)
            self._log_path = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


@contextlib.contextmanager
def local_endpoint(settings: Settings, **server_options: Any) -> Iterator[ResolvedEndpoint]:
    """The resolved endpoint of ``settings``, starting the embedded server if needed.

    With ``settings.base_url`` set this starts nothing and yields
    :func:`~summarizer.endpoint.resolved.configured_endpoint`. Otherwise it resolves
    the local model, runs a :class:`LocalServer` for the duration of the block and
    yields its endpoint (URL, model alias, the GGUF's own token counter, no key) —
    the one place the embedded server's URL is handed out.

    Args:
        settings: current settings.
        **server_options: passed to :class:`LocalServer` (e.g. ``n_ctx``).

    Raises:
        ConfigError: no model installed, llama-cpp-python missing, or a configured
            URL without a model name.
    """
    if settings.base_url:
        yield configured_endpoint(settings)
        return
    path = resolve_model_path(settings)
    count = token_counter(path)  # before the server starts: fails fast without llama_cpp
    with LocalServer(path, **server_options) as server:
        yield embedded_endpoint(
            settings, url=server.base_url, model=server.model, count=count,
            tokenizer=f"gguf:{path.name}",
        )  # fmt: skip


def serve(settings: Settings, *, host: str = "127.0.0.1", port: int = 8080) -> int:
    """Run the embedded server in the foreground until interrupted (``summarizer serve``).

    Args:
        settings: uses ``local_model`` and ``cache_dir``.
        host: interface to bind.
        port: TCP port.

    Returns:
        The server's exit code (0 after Ctrl-C).
    """
    server = LocalServer(resolve_model_path(settings), host=host, port=port)
    if threading.current_thread() is threading.main_thread():  # `kill` stops it cleanly too
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with server:
        print(
            f"serving {server.model} at {server.base_url} (Ctrl-C to stop)\n"
            f"  SUMMARIZER_BASE_URL={server.base_url} SUMMARIZER_MODEL={server.model}",
            file=sys.stderr,
            flush=True,
        )
        try:
            return server.wait()
        except KeyboardInterrupt:
            return 0
