"""Loading and validating eval datasets (summarizer.evaluation.dataset)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from summarizer.errors import DatasetError
from summarizer.evaluation import load_dataset

ROOT = Path(__file__).resolve().parent.parent
TEXT = "报告\n一、工作成效\n1、办理案件95宗。\n2、培训2000多人次。\n二、存在问题\n人员不足。\n"


def _item(category: str, quote: str, figures: list[str] | None = None) -> dict[str, Any]:
    start = TEXT.index(quote)
    return {
        "category": category,
        "start": start,
        "end": start + len(quote),
        "quote": quote,
        "figures": figures or [],
    }


def _good_items() -> list[dict[str, Any]]:
    return [
        _item("achievement", "1、办理案件95宗。", ["95宗"]),
        _item("achievement", "2、培训2000多人次。", ["2000多人次"]),
        _item("shortcoming", "人员不足。"),
    ]


def make_dataset(
    root: Path,
    items: list[dict[str, Any]] | None = None,
    *,
    text: str = TEXT,
    name: str = "d1",
    gold_extra: dict[str, Any] | None = None,
    newline: str = "\n",
) -> Path:
    (root / "docs").mkdir(parents=True, exist_ok=True)
    (root / "gold").mkdir(exist_ok=True)
    (root / "docs" / f"{name}.txt").write_bytes(text.replace("\n", newline).encode("utf-8"))
    gold = {"doc": f"{name}.txt", "title": "报告", "issuer": "某镇", "year": 2020}
    gold["items"] = _good_items() if items is None else items
    gold.update(gold_extra or {})
    (root / "gold" / f"{name}.json").write_text(json.dumps(gold, ensure_ascii=False), "utf-8")
    return root


def test_seed_dataset_loads_from_yaml_and_directory() -> None:
    ds = load_dataset(ROOT / "evals" / "seed.yaml")
    assert ds.name == "seed"
    assert ds.description
    assert len(ds.cases) == 5
    for case in ds.cases:
        assert case.doc_id == case.doc_path.stem == case.gold_path.stem
        assert case.gold.items
        for item in case.gold.items:
            assert case.text[item.start : item.end] == item.quote
    same = load_dataset(ROOT / "evals" / "seed")
    assert same.name == "seed"
    assert same.doc_ids == ds.doc_ids
    assert ds.case(ds.doc_ids[0]).gold.issuer


def test_yaml_paths_are_relative_to_the_yaml(tmp_path: Path) -> None:
    make_dataset(tmp_path / "data" / "mini")
    cfg = tmp_path / "data" / "mini.yaml"
    cfg.write_text("name: mini\ndescription: tiny\ndocs: mini/docs\ngold: mini/gold\n", "utf-8")
    ds = load_dataset(cfg)
    assert (ds.name, ds.description, ds.doc_ids) == ("mini", "tiny", ["d1"])
    assert [i.figures for i in ds.cases[0].gold.items][:2] == [["95宗"], ["2000多人次"]]


def test_crlf_documents_use_universal_newline_offsets(tmp_path: Path) -> None:
    ds = load_dataset(make_dataset(tmp_path, newline="\r\n"))
    assert "\r" not in ds.cases[0].text
    assert len(ds.cases[0].gold.items) == 3


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("name: x\ndocs: d\n", "gold: Field required"),
        ("name: x\ndocs: d\ngold: g\nextra: 1\n", "extra: Extra inputs are not permitted"),
        ("- a\n- b\n", "must be a mapping"),
        ("name: [unclosed\n", "cannot read the dataset config"),
        ("name: x\ndocs: nowhere\ngold: nowhere\n", "docs folder"),
    ],
)
def test_bad_config(tmp_path: Path, content: str, message: str) -> None:
    cfg = tmp_path / "bad.yaml"
    cfg.write_text(content, "utf-8")
    with pytest.raises(DatasetError, match=message) as e:
        load_dataset(cfg)
    assert str(cfg) in str(e.value)


def test_missing_dataset(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="no such dataset"):
        load_dataset(tmp_path / "nope.yaml")
    with pytest.raises(DatasetError, match="needs docs/ and gold/"):
        load_dataset(tmp_path)


def _expect(tmp_path: Path, items: list[dict[str, Any]], *fragments: str, **kw: Any) -> str:
    make_dataset(tmp_path, items, **kw)
    with pytest.raises(DatasetError) as e:
        load_dataset(tmp_path)
    msg = str(e.value)
    assert str(tmp_path / "gold" / "d1.json") in msg
    for f in fragments:
        assert f in msg, msg
    return msg


def test_bad_offsets(tmp_path: Path) -> None:
    items = _good_items()
    items[1]["start"] += 1
    items[1]["end"] += 1
    _expect(tmp_path, items, "item 1 (achievement", "quote does not match the document text")


def test_quote_edited(tmp_path: Path) -> None:
    items = _good_items()
    items[0]["quote"] = items[0]["quote"].replace("95", "96")
    _expect(tmp_path, items, "item 0", "quote does not match", "'1、办理案件95宗。'")


def test_offsets_past_the_end_and_reversed(tmp_path: Path) -> None:
    items = _good_items()
    items[2]["end"] = len(TEXT) + 5
    items[0]["end"] = items[0]["start"]
    msg = _expect(tmp_path, items, "item 2", "past the end of the document", "item 0")
    assert "end must be greater than start" in msg


def test_bad_category(tmp_path: Path) -> None:
    items = _good_items()
    items[2]["category"] = "problem"
    _expect(tmp_path, items, "item 2: category:", "'achievement', 'shortcoming' or 'plan'")


def test_unknown_field_in_item(tmp_path: Path) -> None:
    items = _good_items()
    items[1]["note"] = "x"
    _expect(tmp_path, items, "item 1: note: Extra inputs are not permitted")


def test_overlapping_items(tmp_path: Path) -> None:
    items = _good_items()
    whole = "1、办理案件95宗。\n2、培训"
    items.insert(1, _item("achievement", whole))
    _expect(tmp_path, items, "item 2 (achievement", "overlaps item 1")


def test_items_out_of_order(tmp_path: Path) -> None:
    items = _good_items()
    items[0], items[1] = items[1], items[0]
    _expect(tmp_path, items, "item 1", "out of document order")


def test_figure_not_in_quote(tmp_path: Path) -> None:
    items = _good_items()
    items[0]["figures"] = ["95件"]
    _expect(tmp_path, items, "item 0", "figure '95件' is not written in the quote")


def test_several_problems_are_listed_together(tmp_path: Path) -> None:
    items = _good_items()
    items[0]["start"] += 1
    items[2]["quote"] = "x"
    msg = _expect(tmp_path, items, "item 0", "item 2")
    assert len(msg.splitlines()) == 2


def test_gold_doc_must_name_its_document(tmp_path: Path) -> None:
    _expect(tmp_path, _good_items(), "'doc' is 'other.txt'", gold_extra={"doc": "other.txt"})


def test_invalid_json_and_missing_document(tmp_path: Path) -> None:
    make_dataset(tmp_path)
    (tmp_path / "gold" / "d1.json").write_text("{not json", "utf-8")
    with pytest.raises(DatasetError, match="cannot read the gold file"):
        load_dataset(tmp_path)
    make_dataset(tmp_path)
    (tmp_path / "docs" / "d1.txt").unlink()
    with pytest.raises(DatasetError, match=r"document .*d1\.txt does not exist"):
        load_dataset(tmp_path)


def test_document_without_gold_and_empty_gold_folder(tmp_path: Path) -> None:
    make_dataset(tmp_path)
    (tmp_path / "docs" / "d2.txt").write_text("另一份报告", "utf-8")
    with pytest.raises(DatasetError, match="documents without a gold file: d2"):
        load_dataset(tmp_path)
    empty = tmp_path / "empty"
    (empty / "docs").mkdir(parents=True)
    (empty / "gold").mkdir()
    with pytest.raises(DatasetError, match=r"no gold \.json files"):
        load_dataset(empty)


def test_unreadable_document(tmp_path: Path) -> None:
    make_dataset(tmp_path)
    (tmp_path / "docs" / "d1.txt").write_bytes(b"\x00\x01\x02\xff" * 10)
    with pytest.raises(DatasetError, match=r"d1\.txt.*(cannot load|cannot read)"):
        load_dataset(tmp_path)
