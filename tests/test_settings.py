"""Settings check themselves: typed fields drive env parsing and validation."""

from __future__ import annotations

import pickle
from pathlib import Path

import pytest

from summarizer import ConfigError, Settings

KEY = "sk-SETTINGS-0123456789abcdef"


@pytest.mark.parametrize(
    ("changes", "named"),
    [
        ({"reasks": -5}, "reasks"),
        ({"chunk_units": -3}, "chunk_units"),
        ({"temperature": "hot"}, "temperature"),
        ({"concurrency": 0}, "concurrency"),
        ({"timeout": 0}, "timeout"),
        ({"backend": "gpt"}, "backend"),
        ({"ray_connect_timeout": float("inf")}, "ray_connect_timeout"),
    ],
)
def test_bad_values_are_config_errors_naming_the_field(
    changes: dict[str, object], named: str
) -> None:
    with pytest.raises(ConfigError, match=named):
        Settings(**changes)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=named):
        Settings(backend="rules").with_(**changes)


def test_a_misspelt_key_is_a_config_error_with_a_suggestion() -> None:
    with pytest.raises(ConfigError, match=r"unknown setting 'reask'.*'reasks'"):
        Settings(backend="rules").with_(reask=2)
    with pytest.raises(ConfigError, match="unknown setting"):
        Settings.from_env({}, chunk_unit=3)


def test_environment_values_are_parsed_by_type_and_named_when_bad() -> None:
    s = Settings.from_env(
        {
            "SUMMARIZER_CACHE": "off",
            "SUMMARIZER_CHUNK_UNITS": "8",
            "SUMMARIZER_TEMPERATURE": "0.5",
            "SUMMARIZER_CACHE_DIR": "/tmp/x",
            "SUMMARIZER_RAY_CONNECT_TIMEOUT": "7",
            "OPENAI_BASE_URL": "http://h/v1",
            "SUMMARIZER_MODEL": "",  # empty counts as unset
        }
    )
    assert (s.cache, s.chunk_units, s.temperature, s.cache_dir) == (False, 8, 0.5, Path("/tmp/x"))
    assert (s.ray_connect_timeout, s.base_url, s.model) == (7.0, "http://h/v1", "")
    with pytest.raises(ConfigError, match="SUMMARIZER_REASKS='-1'"):
        Settings.from_env({"SUMMARIZER_REASKS": "-1"})
    with pytest.raises(ConfigError, match="SUMMARIZER_CACHE='maybe'"):
        Settings.from_env({"SUMMARIZER_CACHE": "maybe"})
    # an override wins over the environment and is named as a setting
    assert Settings.from_env({"SUMMARIZER_REASKS": "-1"}, reasks=2).reasks == 2


def test_the_key_is_secret_everywhere_but_where_it_is_read() -> None:
    s = Settings.from_env({"OPENAI_API_KEY": KEY})
    for shown in (repr(s), str(s), s.model_dump_json(), repr(s.with_(reasks=0))):
        assert KEY not in shown
    assert s.api_key.get_secret_value() == KEY
    assert pickle.loads(pickle.dumps(s)).api_key.get_secret_value() == KEY
    with pytest.raises(ConfigError) as bad:
        Settings(api_key=KEY, temperature=-1)
    assert KEY not in str(bad.value)


def test_settings_are_frozen_and_hashable() -> None:
    s = Settings(backend="rules")
    with pytest.raises(Exception):  # noqa: B017 - pydantic's frozen-instance error
        s.reasks = 3  # type: ignore[misc]
    assert hash(s) == hash(Settings(backend="rules", cache_dir=s.cache_dir))
    assert s.with_(reasks=None) == s


def test_the_cli_names_a_bad_variable_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from summarizer.cli import main

    monkeypatch.setenv("SUMMARIZER_REASKS", "-1")
    doc = tmp_path / "a.txt"
    doc.write_text("一、工作回顾\n全年新建口袋公园4个。\n", encoding="utf-8")
    assert main(["-q", "run", str(doc), "-o", str(tmp_path / "o"), "--backend", "rules"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("error: SUMMARIZER_REASKS='-1' is not valid")
