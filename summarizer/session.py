"""The session: one backend (and embedded server, and response cache) for many documents.

:class:`Summarizer` is to :func:`summarizer.summarize` what ``httpx.Client`` is to
``httpx.get``: the top-level functions open a session for one call; a session
opened once serves every call made in it. With the embedded default that is
one llama.cpp server start instead of one per document::

    with summarizer.Summarizer(backend="llm") as session:
        for path in paths:
            summary = session.summarize(path)
        result = session.summarize_folder(["more/"], "out")

The backend is opened on first use (a session that only resumes finished
batches starts nothing) and closed, with the server and the cache, when the
``with`` block ends (or by :meth:`Summarizer.close`).
"""

from __future__ import annotations

import threading
from contextlib import ExitStack
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from .errors import ConfigError
from .settings import Settings

if TYPE_CHECKING:
    from .batch.folder import BatchResult, Progress
    from .ingest.documents import Document
    from .pipeline import Extractor
    from .schema import DocumentSummary

__all__ = ["Summarizer"]


class Summarizer:
    """A summarising session that owns its backend, embedded server and response cache.

    Args:
        settings: how to summarise; default ``Settings.from_env()``.
        extractor: an opened backend to use instead of the one ``settings`` name
            (a test double, another model stack); the session does not close it.
        **overrides: settings fields to change, e.g. ``backend="rules"``.

    Raises:
        ConfigError: a bad value or an unknown field in ``overrides``.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        extractor: Extractor | None = None,
        **overrides: Any,
    ) -> None:
        base = settings if settings is not None else Settings.from_env()
        self.settings = base.with_(**overrides)
        self._stack = ExitStack()
        self._lock = threading.Lock()
        self._extractor = extractor
        self._given = extractor is not None
        self._used = False
        self._closed = False

    # -- the backend ---------------------------------------------------------------

    @property
    def opened(self) -> bool:
        """Whether a document has needed the backend yet (it is opened on first use)."""
        return self._used

    def extractor(self) -> Extractor:
        """The session's backend, opened on first call (thread-safe).

        Raises:
            ConfigError: the session is closed, or the backend cannot be opened
                (no model installed, a URL without a model name…).
        """
        with self._lock:
            if self._closed:
                raise ConfigError("this Summarizer session is closed; open a new one")
            if self._extractor is None:
                from .pipeline import open_backend

                self._extractor = self._stack.enter_context(open_backend(self.settings))
            self._used = True
            return self._extractor

    def close(self) -> None:
        """Close the backend, the embedded server and the response cache (safe to repeat)."""
        with self._lock:
            self._closed = True
            self._stack.close()

    def __enter__(self) -> Summarizer:
        return self

    def __exit__(
        self, et: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("open" if self._used else "idle")
        return f"Summarizer(backend={self.settings.backend!r}, {state})"

    # -- documents -----------------------------------------------------------------

    def summarize(
        self,
        source: str | Path | Document | None = None,
        *,
        text: str | None = None,
        doc_id: str | None = None,
    ) -> DocumentSummary:
        """Summarise one document: a file, a loaded ``Document``, or ``text=``.

        Args:
            source: a path (``Path``, or a ``str`` naming a .txt/.md/.html/.docx/.pdf
                file) or a ``Document``.
            text: the document's text itself (instead of ``source``).
            doc_id: id for the output (default: the file stem, or ``"text"``).

        Raises:
            InputError: no such file, an unreadable file, empty text, or both or
                neither of ``source`` and ``text``.
            ConfigError: the backend cannot be opened.
        """
        from .errors import InputError
        from .pipeline import as_document, summarize_document, text_document

        if text is not None and source is None:
            document = text_document(text, doc_id=doc_id)
        elif source is not None and text is None:
            document = as_document(source, doc_id=doc_id)
        else:
            raise InputError("give either a source (a path or a Document) or text=…, not both")
        return summarize_document(document, settings=self.settings, extractor=self.extractor())

    def summarize_text(self, text: str, *, doc_id: str | None = None) -> DocumentSummary:
        """Summarise ``text`` itself (never read as a path); see :meth:`summarize`."""
        return self.summarize(text=text, doc_id=doc_id)

    def summarize_folder(
        self,
        paths: str | Path | list[str | Path],
        out_dir: str | Path,
        *,
        engine: str = "local",
        ray_address: str | None = None,
        on_progress: Progress | None = None,
        accept_degraded: bool = False,
        redo: bool = False,
    ) -> BatchResult:
        """Summarise every document under ``paths`` into ``out_dir`` (see
        :func:`summarizer.summarize_folder`), with this session's backend.

        The session's backend is used when it is worth keeping in this process: the
        embedded model (its server starts once per session) or a backend given to
        the session. Otherwise the batch opens its own — one per worker process
        when its documents are shared among processes (``settings.workers``) — and
        with ``engine="ray"`` every Ray actor opens its own.
        """
        from .batch.folder import summarize_folder

        embedded = self.settings.backend == "llm" and not self.settings.base_url
        many = paths if isinstance(paths, list) else [paths]
        return summarize_folder(
            many,
            out_dir,
            settings=self.settings,
            on_progress=on_progress,
            engine=engine,
            ray_address=ray_address,
            extractor=self.extractor if (self._given or embedded) else None,
            accept_degraded=accept_degraded,
            redo=redo,
        )
