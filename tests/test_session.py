"""The session: one backend (server, cache) for many calls; paths and text kept apart."""

from __future__ import annotations

import importlib.util
import logging
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeOpenAI, answer
from test_llm_backend import TEXT, good, settings_for

import summarizer
from summarizer import ConfigError, InputError, Settings, Summarizer
from summarizer.extract.grounding import ExtractResult
from summarizer.extract.llm import LLMBackend
from summarizer.ingest.documents import document_from_text
from summarizer.pipeline import rules_extract

ONE_LINE = "全年完成植树2000多株，绿化率达到91%。"


def _rules(tmp_path: Path) -> Settings:
    return Settings(backend="rules", cache=False, cache_dir=tmp_path / "cache")


# -- paths and text --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "missing", ["reports/no_such_report.txt", "no_such_report.pdf", "a/b/c", "./报告.docx"]
)
def test_a_string_that_looks_like_a_path_but_names_no_file_is_an_input_error(
    missing: str, tmp_path: Path
) -> None:
    with pytest.raises(InputError, match="no such file"):
        summarizer.summarize(missing, settings=_rules(tmp_path))
    with Summarizer(_rules(tmp_path)) as session, pytest.raises(InputError, match="text="):
        session.summarize(missing)


def test_text_goes_through_text_summarize_text_or_a_document(tmp_path: Path) -> None:
    looks_like_a_path = "reports/no_such_report.txt"
    with Summarizer(_rules(tmp_path)) as session:
        by_keyword = session.summarize(text=TEXT)
        by_method = session.summarize_text(TEXT, doc_id="t")
        by_document = session.summarize(document_from_text(TEXT, doc_id="d"))
        as_text = session.summarize_text(looks_like_a_path)  # text= is never read as a path
        with pytest.raises(InputError, match="either"):
            session.summarize(TEXT, text=TEXT)
        with pytest.raises(InputError, match="either"):
            session.summarize()
        with pytest.raises(InputError, match="empty"):
            session.summarize_text("  \n")
    assert by_keyword.doc_id == "text" and by_method.doc_id == "t" and by_document.doc_id == "d"
    assert by_keyword.items() and [i.id for i in by_method.items()] == [
        i.id for i in by_keyword.items()
    ]
    assert as_text.doc_id == "text" and as_text.source_path is None
    # a one-line string that is neither a file name nor a path is still read as text
    assert summarizer.summarize(ONE_LINE, settings=_rules(tmp_path)).doc_id == "text"


def test_a_string_naming_a_file_is_read_as_that_file(tmp_path: Path) -> None:
    path = tmp_path / "report.txt"
    path.write_text(TEXT, encoding="utf-8")
    s = summarizer.summarize(str(path), settings=_rules(tmp_path))
    assert s.doc_id == "report" and s.source_path == str(path)


# -- one backend per session ------------------------------------------------------------------


def test_one_session_opens_one_backend_and_closes_it(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    fake_openai.enqueue(answer(good()))
    settings = settings_for(fake_openai, tmp_path, cache=True)
    with Summarizer(settings) as session:
        assert not session.opened  # nothing opened before a document needs it
        first = session.summarize_text(TEXT)
        backend = session.extractor()
        assert isinstance(backend, LLMBackend) and backend.client is not None
        second = session.summarize_text(TEXT)  # the same backend, and its cache
        assert session.extractor() is backend and session.opened
    assert len(fake_openai.chat_requests) == 1
    assert second.metadata.usage.cache_hits == 1 and second.metadata.usage.calls == 0
    assert first.metadata.backend == "llm" and first.metadata.model == "fake-model"
    assert backend.client is None and backend.endpoint is None  # closed on exit
    with pytest.raises(ConfigError, match="closed"):
        session.summarize_text(TEXT)


def test_a_backend_is_injected_through_the_session(tmp_path: Path) -> None:
    seen: list[str] = []

    def spy(document: Any, outline: Any) -> ExtractResult:
        seen.append(document.doc_id)
        return rules_extract(document, outline)

    src = tmp_path / "in"
    src.mkdir()
    for name in ("a", "b"):
        (src / f"{name}.txt").write_text(TEXT, encoding="utf-8")
    with Summarizer(_rules(tmp_path), extractor=spy) as session:
        one = session.summarize_text(TEXT, doc_id="one")
        batch = session.summarize_folder(src, tmp_path / "out")
    assert sorted(seen) == ["a", "b", "one"] and not batch.failed
    assert one.metadata.backend == "rules"


def test_overrides_are_checked_and_misspelt_ones_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"unknown setting 'reask'.*'reasks'"):
        Summarizer(_rules(tmp_path), reask=2)
    with pytest.raises(ConfigError, match="reasks"):
        summarizer.summarize(text=TEXT, settings=_rules(tmp_path), reasks=-5)
    assert Summarizer(_rules(tmp_path), concurrency=3).settings.concurrency == 3


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_many_calls_in_one_session_start_one_embedded_server(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'summarizer[local]')")
    settings = Settings.from_env(backend="llm", base_url="", cache_dir=tmp_path / "c")
    caplog.set_level(logging.INFO, logger="summarizer")
    try:
        with Summarizer(settings) as session:
            summaries = [session.summarize_text(TEXT) for _ in range(3)]
    except ConfigError as e:
        pytest.skip(f"no local model: {e}")
    starts = [r for r in caplog.records if r.getMessage().startswith("local model server: ")]
    assert len(starts) == 1
    meta = summaries[-1].metadata  # what ran: the embedded model's name, its default scope
    assert meta.backend == "llm" and meta.model and meta.model_scope == "judgement"
