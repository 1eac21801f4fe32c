"""The JSON Schema files in schemas/ match the pydantic models."""

from __future__ import annotations

import json
from pathlib import Path

from summarizer.schema import EXPORTED, DocumentSummary, write_json_schemas

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
