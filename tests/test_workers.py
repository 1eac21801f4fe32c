"""Worker processes: the same outputs as one process, shared slots, a dead worker reported."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeOpenAI
from outputs import per_document_outputs

from summarizer import Settings, Summarizer, summarize_folder
from summarizer.batch import threads, workers
from summarizer.batch.engines import WorkItem
from summarizer.batch.folder import summarize_folder as run_folder
from summarizer.pipeline import rules_extract

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from ideal_bound import loopback_server  # noqa: E402  (a fake endpoint in a child process)

SEED_DOCS = ROOT / "evals" / "seed" / "docs"


def _copies(folder: Path, n: int) -> Path:
    """``n`` documents: the seed reports, copied under new names."""
    folder.mkdir()
    seeds = sorted(SEED_DOCS.glob("*.txt"))
    for k in range(n):
        src = seeds[k % len(seeds)]
        (folder / f"r{k:03d}_{src.name}").write_text(src.read_text(encoding="utf-8"), "utf-8")
    return folder


def _batch_files(out: Path) -> tuple[list[dict[str, Any]], str]:
    """``summaries.jsonl`` (timings dropped) and ``items.csv``."""
    lines = []
    for line in (out / "summaries.jsonl").read_text(encoding="utf-8").splitlines():
        data = json.loads(line)
        data["metadata"].pop("timings", None)
        lines.append(data)
    return lines, (out / "items.csv").read_text(encoding="utf-8")


def test_outputs_do_not_depend_on_the_number_of_processes(tmp_path: Path) -> None:
    docs = _copies(tmp_path / "docs", 12)
    base = Settings(backend="rules", cache=False, cache_dir=tmp_path / "c", concurrency=2)
    one = summarize_folder([docs], tmp_path / "one", settings=base.with_(workers=1))
    two = summarize_folder([docs], tmp_path / "two", settings=base.with_(workers=2))
    assert not one.failed and not two.failed and two.documents == 12
    assert per_document_outputs(tmp_path / "one") == per_document_outputs(tmp_path / "two")
    assert _batch_files(tmp_path / "one") == _batch_files(tmp_path / "two")
    assert not multiprocessing.active_children()  # every worker has exited
    assert workers.can_fork()  # and no thread is left behind: the next batch may fork too


def test_processes_share_the_requests_in_flight(tmp_path: Path) -> None:
    """Two workers against one endpoint: never more requests at once than ``concurrency``.

    The endpoint runs in a child process, as a real one would: a server's threads
    here would keep the batch in this process (workers start by fork)."""
    docs = _copies(tmp_path / "docs", 10)
    with loopback_server(0.05) as endpoint:
        settings = Settings(
            backend="llm", base_url=endpoint.base_url, model="fake", cache=False,
            cache_dir=tmp_path / "c", chunk_units=50, max_retries=0, concurrency=3, workers=2,
            model_scope="all",
        )  # fmt: skip
        assert workers.worker_count(settings, 10) == 2
        result = summarize_folder([docs], tmp_path / "out", settings=settings)
        assert not result.failed and result.documents == 10
    assert result.usage.calls == endpoint.requests >= 10
    assert 2 <= endpoint.max_in_flight <= 3
    assert not multiprocessing.active_children()


def test_a_process_with_other_threads_keeps_its_batch(tmp_path: Path) -> None:
    """A fork would copy locks those threads hold: no workers then, and the batch still runs."""
    settings = Settings(backend="rules", cache=False, cache_dir=tmp_path / "c", workers=2)
    assert workers.worker_count(settings, 100) == 2
    with FakeOpenAI():  # its server thread runs here
        assert not workers.can_fork()
        assert workers.worker_count(settings, 100) == 1
        result = summarize_folder([_copies(tmp_path / "docs", 3)], tmp_path / "o",
                                  settings=settings)  # fmt: skip
    assert not result.failed and result.documents == 3


def test_a_worker_that_dies_fails_its_documents_and_a_rerun_redoes_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    docs = _copies(tmp_path / "docs", 8)
    real = threads.summarize_item

    def deadly(item: WorkItem, *args: Any) -> Any:  # runs in a worker (forked with the patch)
        if item.name.startswith("r005"):
            os.kill(os.getpid(), signal.SIGKILL)
        return real(item, *args)

    monkeypatch.setattr(threads, "summarize_item", deadly)
    settings = Settings(backend="rules", cache=False, cache_dir=tmp_path / "c", concurrency=1)
    out = tmp_path / "out"
    first = summarize_folder([docs], out, settings=settings.with_(workers=2))
    assert first.documents == 8  # every document has an outcome
    failed = {o.name: o.error or "" for o in first.failed}
    assert any(name.startswith("r005") for name in failed)
    assert all("killed by signal 9" in why and "run the same command again" in why
               for why in failed.values())  # fmt: skip
    assert len(failed) < 8  # the other worker finished its documents
    assert not multiprocessing.active_children()

    monkeypatch.setattr(threads, "summarize_item", real)
    second = summarize_folder([docs], out, settings=settings.with_(workers=2))
    assert not second.failed
    assert second.skipped_count == 8 - len(failed)  # only the failed ones are redone


def test_leaving_early_stops_the_workers(tmp_path: Path) -> None:
    docs = _copies(tmp_path / "docs", 6)
    items = [WorkItem(k, str(p), p.stem) for k, p in enumerate(sorted(docs.glob("*.txt")))]
    settings = Settings(backend="rules", cache=False, cache_dir=tmp_path / "c", concurrency=1)
    results = workers.run_in_processes(items, settings, 2)
    first = next(results)
    assert first.error is None and first.summary is not None
    results.close()  # as when the batch stops on an error or Ctrl-C
    assert not multiprocessing.active_children()


@pytest.mark.parametrize(
    ("changes", "documents", "expected"),
    [
        ({"backend": "rules"}, 200, min(workers.available_cpus(), workers.MAX_AUTO_WORKERS)),
        ({"backend": "rules"}, workers.DOCS_PER_WORKER - 1, 1),  # too few to share
        ({"backend": "llm"}, 200, 1),  # the embedded model uses every core itself
        # an endpoint: one process per 32 requests in flight
        ({"backend": "llm", "base_url": "http://h/v1", "concurrency": 16}, 200, 1),
        ({"backend": "llm", "base_url": "http://h/v1", "concurrency": 64}, 200,
         min(workers.available_cpus(), 2)),
        ({"backend": "rules", "workers": 3}, 200, 3),
        ({"backend": "rules", "workers": 3}, 2, 2),  # never more than documents
        ({"backend": "llm", "base_url": "http://h/v1", "workers": 8, "concurrency": 2}, 50, 2),
    ],
)
def test_how_many_workers(changes: dict[str, Any], documents: int, expected: int) -> None:
    settings = Settings(cache=False).with_(**changes)
    assert workers.worker_count(settings, documents) == expected


def test_a_callers_own_backend_keeps_the_batch_in_this_process() -> None:
    settings = Settings(backend="rules", cache=False)
    assert workers.worker_count(settings, 500, own_backend=True) == 1


def test_slots_and_rate_limits_are_split_between_workers() -> None:
    settings = Settings(
        backend="llm", base_url="http://h/v1", model="m", cache=False, concurrency=7,
        requests_per_minute=600, tokens_per_minute=0,
    )  # fmt: skip
    shares = [workers.worker_settings(settings, 3, k) for k in range(3)]
    assert sorted(s.concurrency for s in shares) == [2, 2, 3]
    assert sum(s.concurrency for s in shares) == 7
    assert {s.requests_per_minute for s in shares} == {200}
    assert {s.tokens_per_minute for s in shares} == {0}


def test_a_session_shares_a_batch_among_processes_unless_its_backend_is_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []
    real = workers.worker_count

    def spy(settings: Settings, documents: int, *, own_backend: bool = False) -> int:
        seen.append(own_backend)
        return real(settings, documents, own_backend=own_backend)

    monkeypatch.setattr("summarizer.batch.folder.worker_count", spy)
    docs = _copies(tmp_path / "docs", 2)
    with Summarizer(backend="rules", cache=False, cache_dir=tmp_path / "c") as session:
        session.summarize_folder(docs, tmp_path / "a")
    given = Summarizer(backend="rules", cache=False, cache_dir=tmp_path / "c",
                       extractor=rules_extract)  # fmt: skip
    with given as session:
        session.summarize_folder(docs, tmp_path / "b")
    assert seen == [False, True]


def test_the_progress_line_does_not_keep_a_batch_in_one_process(tmp_path: Path) -> None:
    """On a terminal the progress line is refreshed by a thread; it writes only under its
    reporter's lock, held across forks, so workers still start while it runs."""
    import io

    from summarizer.batch.progress import ProgressReporter

    stream = io.StringIO()
    docs = _copies(tmp_path / "docs", 6)
    settings = Settings(backend="rules", cache=False, cache_dir=tmp_path / "c", workers=2)
    with ProgressReporter(stream=stream, tty=True, tick=0.001) as progress:
        assert any(t.name == "progress" for t in threading.enumerate())
        assert workers.can_fork()
        assert workers.worker_count(settings, 6) == 2
        result = run_folder([docs], tmp_path / "o", settings=settings, on_progress=progress)
    assert not result.failed and result.documents == 6
    assert "6/6" in stream.getvalue()
