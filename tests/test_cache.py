"""Tests for summarizer.endpoint.cache.ResponseCache (SQLite, WAL, threads)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest

from summarizer.endpoint.cache import ResponseCache
from summarizer.errors import ConfigError
from summarizer.schema import Usage


def test_put_get_roundtrip_and_persistence(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "responses.sqlite"
    usage = Usage(prompt_tokens=10, completion_tokens=3, cached_tokens=2, calls=1, seconds=0.5)
    with ResponseCache(path) as cache:
        assert cache.get("k1") is None and "k1" not in cache
        cache.put("k1", '{"summary": "完成植树2000多株"}', usage, model="qwen")
        hit = cache.get("k1")
        assert hit is not None and "k1" in cache
        assert hit.data == '{"summary": "完成植树2000多株"}'
        assert hit.usage == usage and hit.model == "qwen" and hit.created > 0
    with ResponseCache(path) as reopened:  # on disk, not in memory
        again = reopened.get("k1")
        assert again is not None and again.data == hit.data
        assert len(reopened) == 1


def test_put_replaces_and_clear_empties(tmp_path: Path) -> None:
    with ResponseCache(tmp_path / "c.sqlite") as cache:
        cache.put("k", "1")
        cache.put("k", "2")
        hit = cache.get("k")
        assert hit is not None and hit.data == "2" and hit.usage == Usage()
        assert len(cache) == 1
        cache.clear()
        assert len(cache) == 0


def test_wal_mode(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    ResponseCache(path).close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_threads_write_and_read_concurrently(tmp_path: Path) -> None:
    errors: list[BaseException] = []
    with ResponseCache(tmp_path / "c.sqlite") as cache:

        def work(n: int) -> None:
            try:
                for i in range(40):
                    cache.put(f"t{n}-{i}", f'{{"n": {i}}}', Usage(calls=1))
                    hit = cache.get(f"t{n}-{i}")
                    assert hit is not None and hit.data == f'{{"n": {i}}}'
            except BaseException as e:  # surfaced below
                errors.append(e)

        threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert not errors
        assert len(cache) == 160


def test_two_instances_share_one_file(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    with ResponseCache(path) as a, ResponseCache(path) as b:
        a.put("k", "from-a")
        hit = b.get("k")
        assert hit is not None and hit.data == "from-a"


def test_unusable_path_is_a_config_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(ConfigError, match="SUMMARIZER_CACHE"):
        ResponseCache(blocker / "responses.sqlite")


def test_corrupt_database_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ConfigError, match="response cache"):
        ResponseCache(path)
