"""Helpers shared by tests that compare batch output folders."""

from __future__ import annotations

import json
from pathlib import Path


def per_document_outputs(out: Path) -> dict[str, str]:
    """``<name>.json`` (timings dropped, keys sorted) and ``<name>.text.txt``, by file name."""
    found = {}
    for p in sorted(out.glob("*.json")) + sorted(out.glob("*.text.txt")):
        text = p.read_text(encoding="utf-8")
        if p.suffix == ".json":
            data = json.loads(text)
            data["metadata"].pop("timings", None)
            text = json.dumps(data, sort_keys=True, ensure_ascii=False)
        found[p.name] = text
    return found
