"""Tests for summarizer.endpoint.localmodel and summarizer.endpoint.modelfiles.

Model assembly, server lifecycle, and one real run (slow).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Literal

import pytest
from pydantic import BaseModel

from summarizer.endpoint import localmodel, modelfiles
from summarizer.endpoint.client import LLMClient, count_tokens
from summarizer.endpoint.localmodel import (
    KNOWN_MODELS,
    KnownModel,
    LocalServer,
    assemble_model,
    local_endpoint,
    resolve_model_path,
    token_counter,
)
from summarizer.errors import ConfigError, ModelError
from summarizer.settings import Settings


class _FakeDist:
    """Stands in for importlib.metadata.Distribution of a part package."""

    def __init__(self, root: Path, rel: str) -> None:
        self.root, self.rel = root, rel
        self.files = [f"{rel.split('/')[0]}/__init__.py", rel]

    def locate_file(self, f: str) -> Path:
        return self.root / f


def _fake_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, blobs: dict[int, bytes]
) -> KnownModel:
    """Install fake part packages (numbered as given) and return their registry entry."""
    dists: dict[str, _FakeDist] = {}
    for n, blob in blobs.items():
        pkg = f"fake_part{n}"
        rel = f"{pkg}/data/part{n:02d}.bin"
        (tmp_path / "site" / pkg / "data").mkdir(parents=True)
        (tmp_path / "site" / rel).write_bytes(blob)
        dists[f"fake-part{n}"] = _FakeDist(tmp_path / "site", rel)

    def distribution(name: str) -> _FakeDist:
        if name not in dists:
            raise modelfiles.metadata.PackageNotFoundError(name)
        return dists[name]

    monkeypatch.setattr(modelfiles.metadata, "distribution", distribution)
    whole = b"".join(blobs[n] for n in sorted(blobs))
    return KnownModel(
        name="fake-model-q4",
        packages=tuple(reversed(list(dists))),  # order of packages must not matter
        size=len(whole),
        sha256=hashlib.sha256(whole).hexdigest(),
    )


def test_assemble_concatenates_parts_in_numeric_order(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _fake_parts(tmp_path, monkeypatch, {2: b"BB", 10: b"CCC", 1: b"A"})
    out = assemble_model(model, tmp_path / "models")
    assert out == tmp_path / "models" / "fake-model-q4.gguf"
    assert out.read_bytes() == b"ABBCCC"  # part02 before part10
    assert (tmp_path / "models" / "fake-model-q4.gguf.sha256").read_text().strip() == model.sha256
    assert sorted(p.name for p in out.parent.iterdir()) == [out.name, out.name + ".sha256"]


def test_assembled_model_is_reused_without_reading_parts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _fake_parts(tmp_path, monkeypatch, {1: b"x" * 10, 2: b"y" * 5})
    first = assemble_model(model, tmp_path / "models")
    mtime = first.stat().st_mtime_ns

    def no_parts(_m: KnownModel) -> None:
        raise AssertionError("parts were read again")

    monkeypatch.setattr(modelfiles, "_installed_parts", no_parts)
    again = assemble_model(model, tmp_path / "models")
    assert again == first and again.stat().st_mtime_ns == mtime


def test_wrong_hash_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _fake_parts(tmp_path, monkeypatch, {1: b"abc"})
    bad = KnownModel(model.name, model.packages, model.size, "0" * 64)
    with pytest.raises(ConfigError, match="SHA-256"):
        assemble_model(bad, tmp_path / "models")
    assert list((tmp_path / "models").iterdir()) == []


def test_wrong_total_size_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    model = _fake_parts(tmp_path, monkeypatch, {1: b"abc"})
    with pytest.raises(ConfigError, match="expected 99"):
        assemble_model(KnownModel(model.name, model.packages, 99, model.sha256), tmp_path / "m")


def test_missing_part_package_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = _fake_parts(tmp_path, monkeypatch, {1: b"abc"})
    incomplete = KnownModel(model.name, (*model.packages, "fake-part9"), 3, model.sha256)
    with pytest.raises(ConfigError, match=r"fake-part9.*summarizer\[local\]"):
        assemble_model(incomplete, tmp_path / "models")


def test_resolve_prefers_an_explicit_path(tmp_path: Path) -> None:
    gguf = tmp_path / "my.gguf"
    gguf.write_bytes(b"GGUF")
    assert resolve_model_path(Settings(local_model=str(gguf), cache_dir=tmp_path)) == gguf
    with pytest.raises(ConfigError, match="does not exist"):
        resolve_model_path(Settings(local_model=str(tmp_path / "nope.gguf"), cache_dir=tmp_path))


def test_resolve_without_any_model_explains_how_to_get_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(modelfiles, "_is_installed", lambda _name: False)
    with pytest.raises(ConfigError) as info:
        resolve_model_path(Settings(cache_dir=tmp_path))
    assert "pip install 'summarizer[local]'" in str(info.value)
    assert "SUMMARIZER_LOCAL_MODEL" in str(info.value)


def test_registry_is_consistent() -> None:
    names = [m.name for m in KNOWN_MODELS]
    assert len(set(names)) == len(names) and localmodel.DEFAULT_MODEL in names
    for m in KNOWN_MODELS:
        assert len(m.sha256) == 64 and m.size > 0 and m.packages


# -- server lifecycle, with stand-in commands (no llama.cpp needed) ---------------------------


def _server(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, argv: list[str], **kw: Any
) -> LocalServer:
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    monkeypatch.setattr(localmodel, "require_llama_cpp", lambda: None)
    server = LocalServer(model, **kw)
    monkeypatch.setattr(server, "command", lambda: [sys.executable, *argv])
    return server


def test_server_ready_when_models_answers_and_stops(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = tmp_path / "site"
    (site / "v1").mkdir(parents=True)
    (site / "v1" / "models").write_text('{"data": []}')
    port = localmodel._free_port("127.0.0.1")
    argv = ["-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)]
    server = _server(tmp_path, monkeypatch, argv, port=port, startup_timeout=20)
    with server:
        assert server.running
        assert server.base_url == f"http://127.0.0.1:{port}/v1" and server.model == "m"
    assert not server.running
    server.stop()  # idempotent


def test_server_that_exits_reports_its_output(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    argv = ["-c", "import sys; print('failed to load model: boom', file=sys.stderr); sys.exit(3)"]
    server = _server(tmp_path, monkeypatch, argv, startup_timeout=20)
    with pytest.raises(ModelError, match=r"(?s)code 3.*boom"):
        server.start()
    assert not server.running


def test_server_that_never_answers_times_out_and_is_killed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server = _server(tmp_path, monkeypatch, ["-c", "import time; time.sleep(60)"],
                     startup_timeout=0.5)  # fmt: skip
    with pytest.raises(ModelError, match="did not answer"):
        server.start()
    assert not server.running


def test_missing_llama_cpp_is_a_config_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = importlib.util.find_spec
    monkeypatch.setattr(
        localmodel.importlib.util, "find_spec",
        lambda name, *a: None if name == "llama_cpp" else real(name, *a),
    )  # fmt: skip
    model = tmp_path / "m.gguf"
    model.write_bytes(b"GGUF")
    with pytest.raises(ConfigError, match=r"summarizer\[local\]"):
        LocalServer(model).start()


def test_local_endpoint_passes_through_a_configured_url() -> None:
    settings = Settings(backend="llm", base_url="http://127.0.0.1:9/v1", model="m")
    with local_endpoint(settings) as live:
        assert (live.url, live.model, live.embedded) == ("http://127.0.0.1:9/v1", "m", False)
        assert live.local and live.scope == "all"
        with pytest.raises(dataclasses.FrozenInstanceError):
            live.url = "http://elsewhere/v1"  # type: ignore[misc]
    with (
        pytest.raises(ConfigError, match="SUMMARIZER_MODEL"),
        local_endpoint(settings.with_(model="")),
    ):
        pass


# -- the real thing ---------------------------------------------------------------------------


class Verdict(BaseModel):
    category: Literal["achievement", "shortcoming", "plan", "none"]
    year: int
    summary: str


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_real_local_model_answers_a_schema_constrained_request() -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'summarizer[local]')")
    small = KNOWN_MODELS[0]
    chosen = os.environ.get("SUMMARIZER_LOCAL_MODEL") or small.name
    settings = Settings(backend="llm", local_model=chosen, max_output_tokens=160, timeout=600)
    try:
        resolve_model_path(settings)
    except ConfigError as e:
        pytest.skip(f"no local model: {e}")
    messages = [
        {"role": "system", "content": "判断段落类别（achievement/shortcoming/plan/none），"
                                      "给出年份和一句话概括。只输出JSON。"},
        {"role": "user", "content": "2019年，我镇完成植树2000多株，绿化率达到91%。"},
    ]  # fmt: skip
    with local_endpoint(settings) as live:
        assert live.url.startswith("http://127.0.0.1:") and live.embedded
        assert live.scope == "judgement" and live.api_key.get_secret_value() == ""
        with LLMClient(settings, endpoint=live) as client:
            verdict, usage = client.structured(messages, Verdict, max_reasks=1)
    assert isinstance(verdict, Verdict)
    assert verdict.category in {"achievement", "shortcoming", "plan", "none"}
    assert usage.calls >= 1 and usage.prompt_tokens > 0 and usage.completion_tokens > 0


@pytest.mark.slow
def test_exact_token_counter_of_the_local_model() -> None:
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'summarizer[local]')")
    try:
        path = resolve_model_path(Settings(local_model=KNOWN_MODELS[0].name))
    except ConfigError as e:
        pytest.skip(f"no local model: {e}")
    count = token_counter(path)
    text = "2019年，我镇完成植树2000多株，绿化率达到91%。"
    assert 0 < count(text) < count_tokens(text, "qwen") and count("") == 0


@pytest.mark.slow
def test_token_counter_counts_and_exits_cleanly() -> None:
    # Loading the vocabulary printed a llama.cpp context warning on stderr (the
    # only line a `summarizer -q run` printed), and llama-cpp-python's finaliser
    # could print a TypeError traceback at exit.
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (pip install 'summarizer[local]')")
    settings = Settings(backend="llm", local_model=KNOWN_MODELS[0].name)
    try:
        path = resolve_model_path(settings)
    except ConfigError as e:
        pytest.skip(f"no local model: {e}")
    code = (
        "import sys; from pathlib import Path\n"
        "from summarizer.endpoint.localmodel import token_counter\n"
        "count = token_counter(Path(sys.argv[1]))\n"
        "assert count is not None and 0 < count('依法行政工作取得新成效') < 12\n"
        "assert token_counter(Path(sys.argv[1]))('abc') > 0\n"
    )
    r = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""  # no llama.cpp warning on loading, no finaliser traceback at exit
