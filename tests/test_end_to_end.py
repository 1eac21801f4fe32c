"""End to end: the whole pipeline on real reports.

* Every unseen government work report (``../shared/extra``) through the rules
  backend: nothing crashes, every offset is exact, no figure is ungrounded.
* One short real section through the embedded local model (slow: starts the
  llama.cpp server), checking the output is valid and grounded.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from summarizer import DocumentSummary, Settings, summarize
from summarizer.extract.validation import ungrounded_figures

ROOT = Path(__file__).resolve().parent.parent
EXTRA = ROOT.parent / "shared" / "extra" / "docs"
SEED = ROOT / "evals" / "seed" / "docs"


def assert_grounded(summary: DocumentSummary, text: str) -> None:
    for item in summary.items():
        for span in item.evidence:
            assert text[span.start : span.end] == span.text
        for f in item.figures:
            assert text[f.start : f.end] == f.text
        assert not ungrounded_figures(item), (item.id, item.summary)


@pytest.mark.skipif(not EXTRA.is_dir(), reason="../shared/extra not present")
@pytest.mark.parametrize(
    "path", sorted(EXTRA.glob("*.txt")) if EXTRA.is_dir() else [], ids=lambda p: p.name[:2]
)
def test_unseen_reports_through_rules_are_grounded(path: Path) -> None:
    summary = summarize(path, backend="rules")
    text = path.read_text(encoding="utf-8")
    assert summary.achievements and summary.plans
    assert summary.year is not None and 1990 <= summary.year <= 2030
    assert_grounded(summary, text)


def _local_model_available() -> str | None:
    if importlib.util.find_spec("llama_cpp") is None:
        return "llama-cpp-python is not installed (pip install 'summarizer[local]')"
    from summarizer.endpoint.localmodel import resolve_model_path
    from summarizer.errors import ConfigError

    try:
        resolve_model_path(Settings.from_env())
    except ConfigError as e:
        return str(e)
    return None


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_local_model_on_a_short_real_section(tmp_path: Path) -> None:
    why = _local_model_available()
    if why:
        pytest.skip(why)
    text = (SEED / "000_1da8540b38c41ad1.txt").read_text(encoding="utf-8")
    start = text.index("  二、存在问题")
    section = text[:start].split("\n")[0] + "\n前言。现报告如下：\n" + text[start:]
    settings = Settings.from_env(backend="llm", base_url="", cache=False)
    # model_scope="all": the model summarises every unit (headings settle every role here)
    summary = summarize(section, settings=settings, model_scope="all")
    assert summary.metadata.backend == "llm" and summary.metadata.usage.calls >= 1
    assert summary.metadata.model_scope == "all"
    assert len(summary.shortcomings) == 4 and len(summary.plans) == 6
    assert_grounded(summary, summary_text(section))
    assert all(it.summary.strip() for it in summary.items())

    # the default for the embedded model: only units under topical headings are judged
    text = (SEED / "002_b2d5c4613177801b.txt").read_text(encoding="utf-8")
    topical = text[: text.index("三、推进行政决策科学化")]
    judged = summarize(topical, settings=settings)
    assert judged.metadata.model_scope == "judgement"
    assert judged.metadata.usage.calls >= 1
    sent = [u for call in judged.metadata.calls for u in call.unit_ids]
    from summarizer.ingest.documents import document_from_text
    from summarizer.structure.sections import parse_outline

    units = parse_outline(document_from_text(topical)).units
    assert sent == [u.id for u in units if u.role_source == "position"] and sent
    assert len(judged.items()) == len(units)  # the judged units keep an item, in a category
    assert_grounded(judged, summary_text(topical))


def summary_text(text: str) -> str:
    from summarizer.ingest.documents import document_from_text

    return document_from_text(text).text
