"""Run identity: a re-run redoes what another configuration made, and skips the rest."""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from fake_openai import FakeOpenAI, auto_units

from summarizer import Settings, Summarizer
from summarizer.batch import identity as identity_mod
from summarizer.batch.engines import WorkItem, WorkResult, summarize_item
from summarizer.batch.folder import summarize_folder
from summarizer.endpoint import modelfiles
from summarizer.pipeline import rules_extract

ROOT = Path(__file__).resolve().parent.parent
SEED_DOCS = ROOT / "evals" / "seed" / "docs"


def _rules(tmp_path: Path) -> Settings:
    return Settings(backend="rules", cache=False, cache_dir=tmp_path / "cache")


class _Spy:
    """The rules backend, recording every document it is called for."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def __call__(self, document: Any, outline: Any) -> Any:
        self.seen.append(document.doc_id)
        return rules_extract(document, outline)


def _folder(out: Path, settings: Settings, spy: _Spy, **kw: Any) -> Any:
    with Summarizer(settings, extractor=spy) as session:
        return session.summarize_folder([SEED_DOCS], out, **kw)


def test_a_new_package_version_redoes_everything(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    spy = _Spy()
    seen = spy.seen
    out = tmp_path / "out"
    _folder(out, _rules(tmp_path), spy)
    assert len(seen) == 5
    again = _folder(out, _rules(tmp_path), spy)
    assert len(seen) == 5 and len(again.skipped) == 5
    monkeypatch.setattr(identity_mod, "__version__", "99.0.0")
    third = _folder(out, _rules(tmp_path), spy)
    assert len(seen) == 10 and not third.skipped
    assert third.redo_reasons() == {"configuration changed (version)": 5}
    assert "redone: 5 configuration changed (version)" in (out / "report.md").read_text("utf-8")
    fourth = _folder(out, _rules(tmp_path), spy, redo=True)
    assert len(seen) == 15 and fourth.redo_reasons() == {"--redo": 5}


def test_temperature_and_prompt_changes_redo_every_document_unchanged_skips_all(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    with FakeOpenAI(default=auto_units()) as fake:
        settings = Settings(
            backend="llm", base_url=fake.base_url, model="fake-model", cache=False,
            cache_dir=tmp_path / "cache", chunk_units=8,
        )  # fmt: skip
        first = summarize_folder([SEED_DOCS], out, settings=settings)
        assert [o.status for o in first.outcomes] == ["ok"] * 5
        sent = len(fake.chat_requests)
        assert sent > 0

        unchanged = summarize_folder([SEED_DOCS], out, settings=settings)
        assert len(fake.chat_requests) == sent, "an unchanged re-run called the model"
        assert len(unchanged.skipped) == 5 and unchanged.usage.calls == 0

        warmer = summarize_folder([SEED_DOCS], out, settings=settings.with_(temperature=0.7))
        assert not warmer.skipped and len(fake.chat_requests) > sent
        assert warmer.redo_reasons() == {"configuration changed (temperature)": 5}
        sent = len(fake.chat_requests)

        prompts = tmp_path / "prompts"
        shutil.copytree(Path(str(identity_mod.PROMPTS)), prompts)
        system = prompts / "system.zh.txt"
        system.write_text(system.read_text("utf-8") + "\n请简洁。\n", encoding="utf-8")
        monkeypatch.setattr(identity_mod, "PROMPTS", prompts)
        edited = summarize_folder([SEED_DOCS], out, settings=settings.with_(temperature=0.7))
        assert not edited.skipped and len(fake.chat_requests) > sent
        assert edited.redo_reasons() == {"configuration changed (prompts)": 5}


def _rules_runner(tmp_path: Path, calls: list[int]) -> Any:
    """A runner that summarises with rules whatever the settings (no model is started)."""

    def runner(items: Sequence[WorkItem], _settings: Settings) -> Iterator[WorkResult]:
        calls.append(len(items))
        rules = _rules(tmp_path)
        for it in items:
            yield summarize_item(it, rules, lambda: rules_extract)

    return runner


def test_another_embedded_model_file_redoes_everything_and_its_digest_is_cached(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = tmp_path / "a.gguf", tmp_path / "b.gguf"
    a.write_bytes(b"GGUF" + b"\0" * 1000)
    b.write_bytes(b"GGUF" + b"\1" * 1000)
    hashed: list[Path] = []
    real_hash = modelfiles._sha256_file

    def counting_hash(path: Path) -> str:
        hashed.append(path)
        return real_hash(path)

    monkeypatch.setattr(modelfiles, "_sha256_file", counting_hash)
    embedded = Settings(backend="llm", local_model=str(a), cache_dir=tmp_path / "cache")
    calls: list[int] = []
    out = tmp_path / "out"
    runner = _rules_runner(tmp_path, calls)
    summarize_folder([SEED_DOCS], out, settings=embedded, runner=runner)
    same = summarize_folder([SEED_DOCS], out, settings=embedded, runner=runner)
    assert len(same.skipped) == 5 and calls == [5]  # nothing to run: the runner is not called
    assert hashed == [a.resolve()], "the model file was hashed again"
    other = summarize_folder(
        [SEED_DOCS], out, settings=embedded.with_(local_model=str(b)), runner=runner
    )
    assert calls == [5, 5] and other.redo_reasons() == {"configuration changed (model)": 5}
    parts = identity_mod.identity_parts(embedded)
    assert parts["model"] == f"gguf:sha256:{real_hash(a)}"
    b.write_bytes(b"GGUF" + b"\2" * 2000)  # the file changed in place: hashed anew
    assert identity_mod.identity_parts(embedded.with_(local_model=str(b)))["model"].endswith(
        real_hash(b)
    )


def test_identity_covers_the_resolved_configuration(tmp_path: Path) -> None:
    base = Settings(backend="llm", base_url="http://h/v1", model="m", cache_dir=tmp_path)
    ident = identity_mod.run_identity(identity_mod.identity_parts(base))
    assert ident == identity_mod.run_identity(identity_mod.identity_parts(base))
    for change in (
        {"model": "m2"},
        {"base_url": "http://other/v1"},
        {"model_scope": "judgement"},
        {"temperature": 0.3},
        {"max_output_tokens": 512},
        {"chunk_units": 3},
    ):
        other = identity_mod.run_identity(identity_mod.identity_parts(base.with_(**change)))
        assert other != ident, change
    # what does not change an output does not change the identity
    for same in ({"concurrency": 8}, {"timeout": 30.0}, {"api_key": "sk-x"}, {"cache": False}):
        assert identity_mod.run_identity(identity_mod.identity_parts(base.with_(**same))) == ident
