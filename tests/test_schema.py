"""The JSON Schema files in schemas/ match the pydantic models."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import pytest
from pydantic import ValidationError

from summarizer import errors
from summarizer.errors import ModelCallError
from summarizer.schema import (
    EXPORTED,
    DocumentSummary,
    ModelCallKind,
    RunMetadata,
    Usage,
    ValidationCode,
    ValidationNote,
    write_json_schemas,
)

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"


def test_schema_files_are_in_sync(tmp_path: Path) -> None:
    written = write_json_schemas(tmp_path)
    assert {p.name for p in written} == {f"{n}.schema.json" for n in EXPORTED}
    for path in written:
        committed = SCHEMAS / path.name
        assert committed.is_file(), f"{committed} missing: run `python -m summarizer.schema`"
        assert json.loads(committed.read_text(encoding="utf-8")) == json.loads(
            path.read_text(encoding="utf-8")
        ), f"{committed.name} is stale: run `python -m summarizer.schema`"


def test_schema_rejects_unknown_fields_and_categories() -> None:
    schema = DocumentSummary.model_json_schema()
    item = schema["$defs"]["Item"]
    assert item["additionalProperties"] is False
    assert set(item["properties"]["category"]["enum"]) == {"achievement", "shortcoming", "plan"}


def test_schema_lists_validation_codes_statuses_backends_and_scopes() -> None:
    defs = DocumentSummary.model_json_schema()["$defs"]
    codes = set(defs["ValidationNote"]["properties"]["code"]["enum"])
    assert {"ungrounded_figure", "ungrounded_summary", "fallback_rules"} <= codes
    assert set(get_args(ValidationCode)) == codes
    assert set(defs["Item"]["properties"]["status"]["enum"]) == {"ok", "repaired", "fallback"}
    assert set(defs["CallRecord"]["properties"]["status"]["enum"]) == {"ok", "repaired", "fallback"}
    meta = defs["RunMetadata"]["properties"]
    assert set(meta["backend"]["enum"]) == {"rules", "llm"}
    assert set(meta["model_scope"]["anyOf"][0]["enum"]) == {"all", "judgement"}


def test_an_unknown_validation_code_or_backend_is_refused() -> None:
    with pytest.raises(ValidationError):
        ValidationNote(code="ungrounded", message="m")  # type: ignore[arg-type]
    with pytest.raises(ValidationError):
        RunMetadata(summarizer_version="0", backend="gpt")  # type: ignore[arg-type]


def test_model_call_errors_are_summarizer_errors_with_typed_fields() -> None:
    e = ModelCallError("m", usage=Usage(calls=2), reasons=["r"], kind="truncated", last_raw="{")
    assert isinstance(e, errors.ModelError) and isinstance(e, errors.SummarizerError)
    assert (e.usage.calls, e.reasons, e.kind, e.last_raw) == (2, ["r"], "truncated", "{")
    assert set(get_args(ModelCallKind)) >= {"validation", "truncated", "transport"}
