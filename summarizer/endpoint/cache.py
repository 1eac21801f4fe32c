"""On-disk cache of validated model answers (SQLite in WAL mode).

A key is the SHA-256 of everything that decides an answer, computed by
``summarizer.endpoint.client.LLMClient.cache_key``: model, instructor mode,
temperature, max tokens, the response schema, the full messages (prompt and
chunk text) and any extra material such as the prompt version. A value is the
validated answer as JSON plus the usage it cost. This module does not import
the client (they are independent siblings in the import-linter layers).

Safe for threads (one connection per thread) and for several processes (WAL,
busy timeout); each write is one transaction. A cache must never fail a run:
read and write errors are logged and treated as a miss / a skipped write.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from ..errors import ConfigError
from ..schema import Usage

logger = logging.getLogger(__name__)

__all__ = ["CachedAnswer", "ResponseCache"]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key      TEXT PRIMARY KEY,
    data     TEXT NOT NULL,
    usage    TEXT NOT NULL,
    model    TEXT NOT NULL DEFAULT '',
    created  REAL NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class CachedAnswer:
    """One stored answer.

    Attributes:
        key: its cache key.
        data: the validated answer as JSON.
        usage: what producing it cost originally.
        model: model that produced it.
        created: UNIX time it was stored.
    """

    key: str
    data: str
    usage: Usage
    model: str
    created: float


class ResponseCache:
    """SQLite-backed answer cache; one connection per thread.

    Example::

        with ResponseCache(settings.cache_dir / "responses.sqlite") as cache:
            hit = cache.get(key)
    """

    def __init__(self, path: Path | str, *, busy_timeout: float = 30.0) -> None:
        """Open (creating if needed) the cache database.

        Args:
            path: database file; parent directories are created.
            busy_timeout: seconds to wait for another writer's lock.

        Raises:
            ConfigError: the file cannot be created or is not a usable database.
        """
        self.path = Path(path)
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        self._all: list[sqlite3.Connection] = []
        self._lock = threading.Lock()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = self._conn()
            with conn:
                conn.execute(_SCHEMA)
        except (OSError, sqlite3.Error) as e:
            raise ConfigError(
                f"cannot open the response cache {str(self.path)!r}: {e}; fix the path "
                "(SUMMARIZER_CACHE_DIR) or disable the cache (SUMMARIZER_CACHE=false)"
            ) from e

    def _conn(self) -> sqlite3.Connection:
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None:
            # Each connection is used only by the thread that made it; the flag lets
            # close() release all of them from the owning thread.
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            with self._lock:
                self._all.append(conn)
        return conn

    def get(self, key: str) -> CachedAnswer | None:
        """The stored answer for ``key``, or None (also on a read error)."""
        try:
            row = (
                self._conn()
                .execute("SELECT data, usage, model, created FROM answers WHERE key = ?", (key,))
                .fetchone()
            )
        except sqlite3.Error as e:
            logger.warning("response cache read failed (%s); treating as a miss", e)
            return None
        if row is None:
            return None
        data, usage, model, created = row
        try:
            parsed_usage = Usage.model_validate_json(usage)
        except ValueError:
            parsed_usage = Usage()
        return CachedAnswer(key=key, data=data, usage=parsed_usage, model=model, created=created)

    def put(self, key: str, data: str, usage: Usage | None = None, *, model: str = "") -> None:
        """Store (or replace) the answer for ``key`` in one transaction.

        Args:
            key: from :func:`make_key`.
            data: the validated answer as JSON.
            usage: what it cost.
            model: model that produced it.
        """
        record = (key, data, (usage or Usage()).model_dump_json(), model, time.time())
        try:
            conn = self._conn()
            with conn:
                conn.execute(
                    "INSERT OR REPLACE INTO answers (key, data, usage, model, created) "
                    "VALUES (?, ?, ?, ?, ?)",
                    record,
                )
        except sqlite3.Error as e:
            logger.warning("response cache write failed (%s); answer not cached", e)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __len__(self) -> int:
        return int(self._conn().execute("SELECT COUNT(*) FROM answers").fetchone()[0])

    def clear(self) -> None:
        """Delete every stored answer."""
        conn = self._conn()
        with conn:
            conn.execute("DELETE FROM answers")

    def close(self) -> None:
        """Close every thread's connection (call from the owning thread at the end)."""
        with self._lock:
            conns, self._all = self._all, []
        for conn in conns:
            conn.close()
        self._local = threading.local()

    def __enter__(self) -> ResponseCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ResponseCache({str(self.path)!r})"
