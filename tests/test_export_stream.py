"""ExportStream writes what write_exports writes, a document at a time."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from summarizer import Settings, summarize_folder
from summarizer.batch.export_stream import ExportStream
from summarizer.batch.exports import write_exports
from summarizer.schema import DocumentSummary

ROOT = Path(__file__).resolve().parent.parent
SEED_DOCS = ROOT / "evals" / "seed" / "docs"
TRICKY = (
    "某区2023年法治政府建设情况报告\n一、主要成效\n"
    '1.=HYPERLINK("x")完成30项，\x01控制。\n二、存在不足\n-问题2个。\n'
)


@pytest.fixture(scope="module")
def summaries(tmp_path_factory: pytest.TempPathFactory) -> list[DocumentSummary]:
    tmp = tmp_path_factory.mktemp("stream")
    docs = tmp / "docs"
    docs.mkdir()
    for p in sorted(SEED_DOCS.glob("*.txt"))[:3]:
        (docs / p.name).write_bytes(p.read_bytes())
    (docs / "zz_tricky.txt").write_text(TRICKY, encoding="utf-8")
    out = tmp / "out"
    settings = Settings(backend="rules", cache=False, cache_dir=tmp / "c")
    summarize_folder([docs], out, settings=settings)
    return [
        DocumentSummary.model_validate_json(p.read_text(encoding="utf-8"))
        for p in sorted(out.glob("*.json"))
    ]


def _parts(xlsx: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(xlsx) as z:  # docProps hold the creation time
        return {n: z.read(n) for n in z.namelist() if not n.startswith("docProps/")}


@pytest.mark.parametrize("count", [0, 1, 4])
def test_stream_matches_write_exports(
    summaries: list[DocumentSummary], tmp_path: Path, count: int
) -> None:
    chosen = summaries[:count]
    whole, streamed = tmp_path / "whole", tmp_path / "streamed"
    write_exports(chosen, whole)
    with ExportStream(streamed) as stream:
        for s in chosen:
            stream.add(s)
    assert (streamed / "items.csv").read_bytes() == (whole / "items.csv").read_bytes()
    assert _parts(streamed / "items.xlsx") == _parts(whole / "items.xlsx")
    names = ["items.csv", "items.parquet", "items.xlsx"]
    assert sorted(p.name for p in streamed.iterdir()) == names


def test_an_aborted_stream_leaves_the_previous_exports(
    summaries: list[DocumentSummary], tmp_path: Path
) -> None:
    write_exports(summaries[:1], tmp_path)
    before = (tmp_path / "items.csv").read_bytes()
    with pytest.raises(RuntimeError), ExportStream(tmp_path) as stream:
        stream.add(summaries[1])
        raise RuntimeError("killed")
    assert (tmp_path / "items.csv").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["items.csv", "items.xlsx"]  # no temps
