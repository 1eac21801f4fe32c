"""Nothing secret leaks, nothing is written outside the output folder.

* The API key (from ``OPENAI_API_KEY`` or ``--api-key``) appears in no file the
  run writes, in no output on stdout/stderr, in no log record (message,
  arguments or traceback) and in no error text, even when the endpoint echoes
  the ``Authorization`` header back in its error body and ``-v`` debug logging
  is on.
* Output names derived from input names stay inside the output folder and do
  not collide.
* Document text in the eval HTML page is escaped: covered by
  ``tests/test_eval_html.py::test_render_html_escapes_and_marks_spans`` (a
  ``<script>alert(1)</script>`` in the text is shown as ``&lt;script&gt;…``),
  not repeated here.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, answer, echo_auth
from test_llm_backend import TEXT, good, settings_for

import summarizer
from summarizer.batch.folder import output_name
from summarizer.cli import main

KEY = "sk-LEAKCHECK-0123456789abcdef"
#: The key and the fragments providers print when they "mask" it.
NEEDLES = (KEY, KEY[-8:], KEY[:12], "LEAKCHECK")


def _leaks(text: str) -> list[str]:
    return [n for n in NEEDLES if n in text]


def _files(root: Path) -> dict[Path, bytes]:
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


@pytest.mark.parametrize("via", ["env", "flag"])
def test_api_key_is_never_written_logged_or_printed(
    via: str,
    fake_openai: FakeOpenAI,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capfd: pytest.CaptureFixture[str],
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name in ("a", "b", "c"):
        (folder / f"{name}.txt").write_text(TEXT, encoding="utf-8")
    (folder / "empty.txt").write_text("", encoding="utf-8")  # a failed document too
    out = tmp_path / "out"
    for var in ("SUMMARIZER_API_KEY", "OPENAI_BASE_URL", "SUMMARIZER_BASE_URL"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("SUMMARIZER_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv("SUMMARIZER_CHUNK_UNITS", "8")
    monkeypatch.setenv("SUMMARIZER_MAX_RETRIES", "0")
    monkeypatch.setenv("SUMMARIZER_REASKS", "0")
    monkeypatch.setenv("SUMMARIZER_TIMEOUT", "5")
    args = ["-v", "run", str(folder), "-o", str(out), "--backend", "llm"]
    args += ["--base-url", fake_openai.base_url, "--model", "fake-model"]
    if via == "env":
        monkeypatch.setenv("OPENAI_API_KEY", KEY)
    else:
        monkeypatch.delenv("OPENAI_API_KEY", raising=False)
        args += ["--api-key", KEY]
    # One leaky 401 (the server quotes the key back), then good answers.
    fake_openai.enqueue(echo_auth(401), answer(good()), answer(good()))
    caplog.set_level(logging.DEBUG)

    code = main(args)

    assert code == 1  # empty.txt failed; the others were written
    # The test means something: the key went out, and came back in an error body.
    auth = [r.headers.get("authorization") for r in fake_openai.chat_requests]
    assert auth and all(a == f"Bearer {KEY}" for a in auth)
    assert len(auth) >= 2  # the 401, then at least one answer (identical docs may hit the cache)
    rows = [json.loads(x) for x in (out / "manifest.jsonl").read_text("utf-8").splitlines()]
    # the 401 made its document degraded (the endpoint failed), not done
    assert sorted(r["status"] for r in rows) == ["degraded", "failed", "ok", "ok"]
    records = caplog.records
    assert any("401" in r.getMessage() for r in records)  # the failing call was logged
    assert any(r.levelno == logging.DEBUG for r in records)  # -v was on

    captured = capfd.readouterr()
    assert "401" in captured.err or any("401" in r.getMessage() for r in records)
    assert _leaks(captured.out) == [] and _leaks(captured.err) == []
    formatter = logging.Formatter("%(name)s %(message)s")
    for record in records:
        shown = formatter.format(record)  # message, arguments and any traceback
        assert _leaks(shown) == [], record.name
        assert _leaks(repr(record.args)) == []
    written = _files(tmp_path)
    assert out / "report.md" in written and out / "manifest.jsonl" in written
    assert any(p.is_relative_to(tmp_path / "cache") for p in written)  # the response cache
    for path, data in written.items():
        for needle in NEEDLES:
            for encoded in (needle.encode("utf-8"), needle.encode("utf-16-le")):
                assert encoded not in data, (path, needle)
    for row in rows:  # error texts of failed documents
        assert _leaks(json.dumps(row, ensure_ascii=False)) == []


def test_settings_repr_and_library_errors_hide_the_key(
    fake_openai: FakeOpenAI, tmp_path: Path
) -> None:
    settings = settings_for(fake_openai, tmp_path, api_key=KEY, max_retries=0, reasks=0)
    assert _leaks(repr(settings)) == [] and _leaks(str(settings)) == []
    fake_openai.enqueue(echo_auth(401), echo_auth(403))
    summary = summarizer.summarize(TEXT, settings=settings)
    assert len(fake_openai.chat_requests) == 1
    assert all(it.status == "fallback" for it in summary.items())
    assert _leaks(summary.model_dump_json()) == []


# --------------------------------------------------------------------------- output names

ODD_NAMES = [
    "..evil.txt",
    "..\\..\\evil.txt",  # backslashes are ordinary characters on POSIX
    "..%2F..%2Fevil.txt",
    "...txt",
    " .txt",
    "-rf.txt",
    "a b.txt",
    "a_b.txt",
    "a\nb.txt",
    "报告 (1).txt",
    "报告 (1).md",  # same stem, other suffix
    "x" * 240 + ".txt",
]


@pytest.mark.parametrize(
    "name",
    ["../../evil.txt", "..", ".", "/etc/passwd", "a/../../b.txt", "~/.ssh/id.txt", *ODD_NAMES],
)
def test_output_name_is_a_safe_single_component(name: str) -> None:
    taken: set[str] = set()
    stem = output_name(Path(name), taken)
    assert stem and "/" not in stem and "\\" not in stem and "\n" not in stem
    assert not stem.startswith(".")  # neither "..", nor a hidden file
    out = Path("/srv/out")
    for suffix in (".json", ".text.txt"):
        target = (out / f"{stem}{suffix}").resolve()
        assert target.parent == out, target
    assert len(f"{stem}.text.txt".encode()) <= 255  # a valid file name on common filesystems
    assert output_name(Path(name), taken) != stem  # a second one never collides


def test_batch_over_odd_names_writes_only_inside_out(tmp_path: Path) -> None:
    root = tmp_path / "in"
    nested = root / "deep" / "er"
    nested.mkdir(parents=True)
    for name in ODD_NAMES:
        (nested / name).write_text(TEXT, encoding="utf-8")
    (root / "a b.txt").write_text(TEXT, encoding="utf-8")  # collides with nested/a b.txt
    out = tmp_path / "run" / "out"
    before = set(_files(tmp_path))

    result = summarizer.summarize_folder([root], out, backend="rules")

    assert not result.failed, [o.error for o in result.failed]
    names = [o.name for o in result.outcomes]
    assert len(names) == len(ODD_NAMES) + 1 == len(set(names))  # no collisions
    new = set(_files(tmp_path)) - before
    resolved_out = out.resolve()
    for path in new:
        assert path.resolve().is_relative_to(resolved_out), path
        assert path.resolve().parent == resolved_out, path  # no sub-folders either
    for name in names:
        assert (out / f"{name}.json").is_file() and (out / f"{name}.text.txt").is_file()
