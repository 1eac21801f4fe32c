"""Bad inputs in an overnight batch: each gets a clear outcome, and the batch goes on.

One folder holds a good seed report next to the files that break batches in
practice: empty, binary, GBK / GB18030 / UTF-16 copies, a ~5 MB file, plain
paragraphs without headings, an HTML page full of scripts and menus, a broken
symbolic link, a directory named like a document, and an ``.exe`` passed by
name. The same folder goes through the library and through the CLI.

What each input produced (the expected outcome asserted below):

==================  =======  ==================================================
input               status   outcome
==================  =======  ==================================================
good.txt            ok       17 achievements, 3 shortcomings, 6 plans
empty.txt           failed   "…: the file is empty …; remove it from the input"
binary.txt          failed   "…: cannot decode the file as text … probably binary"
gbk.txt             ok       same items and offsets as the UTF-8 original
gb18030.txt         ok       same items and offsets as the UTF-8 original
utf16.txt           ok       same items and offsets as the UTF-8 original (BOM)
huge.txt (~5 MB)    ok       thousands of items, well under 60 s
noheadings.txt      ok       items, warning "no headings found"
page.html           ok       the article's items; no script/style/menu text
broken.txt          failed   "…: broken symbolic link … Fix or remove the link."
                             (only when named; inside a folder it is skipped)
x.txt (directory)   —        not a document: skipped, no manifest row
prog.exe            failed   "…: unsupported file type '.exe'. Supported: …"
==================  =======  ==================================================
"""

from __future__ import annotations

import json
import os
import random
import time
from pathlib import Path
from typing import Any

import pytest

import summarizer
from summarizer.cli import main

SEEDS = Path(__file__).resolve().parent.parent / "evals" / "seed" / "docs"
GOOD = SEEDS / "003_47d54a3cabac6803.txt"
GBK_SOURCE = SEEDS / "000_1da8540b38c41ad1.txt"  # 003 has characters GBK cannot encode

HTML = """<!DOCTYPE html><html><head><title>某镇2023年法治政府建设情况报告</title>
<style>body { color: red } .STYLETEXT { display: none }</style>
<script>var leak = "SCRIPTTEXT"; alert("SCRIPTTEXT");</script></head><body>
<nav><ul><li><a href="/">首页</a></li><li><a href="/a">政务公开</a></li>
<li><a href="/b">新闻中心</a></li></ul></nav>
<div class="crumbs">网站首页 | 政务公开 | 公告公示</div>
<article><h1>某镇2023年法治政府建设情况报告</h1>
<p>2023年，我镇深入推进法治政府建设，取得明显成效。现将有关情况报告如下：</p>
<h2>一、主要举措和成效</h2>
<p>一是强化组织领导。全年召开专题会议4次，受理群众信访举报11宗，办结率91%。</p>
<p>二是加强法治宣传。开展普法活动8场，发放宣传资料2000多份。</p>
<h2>二、存在的不足</h2>
<p>执法人员素质参差不齐，依法行政能力有待提升。</p>
<h2>三、下一步工作计划</h2>
<p>继续加强执法队伍建设，提升依法行政水平。</p>
</article>
<script>document.write("SCRIPTTWO")</script><noscript>NOSCRIPTTEXT</noscript>
<footer>版权所有 某镇人民政府 网站标识码 1234</footer></body></html>
"""

NO_HEADINGS = (
    "我镇全年受理行政复议案件12件，办结率100%，行政机关负责人出庭应诉率达到100%。\n\n"
    "执法队伍建设仍存在不足，部分执法人员法治意识不强，执法能力有待提高。\n\n"
    "下一步，我镇将继续开展普法宣传活动30场，推动法治政府建设再上新台阶。\n"
)

#: name -> expected status, for everything that gets a manifest row.
EXPECTED = {
    "good": "ok",
    "empty": "failed",
    "binary": "failed",
    "gbk": "ok",
    "gb18030": "ok",
    "utf16": "ok",
    "huge": "ok",
    "noheadings": "ok",
    "page": "ok",
    "broken": "failed",
    "prog": "failed",
}

#: name -> words the error must contain (besides the file's path).
ERROR_WORDS = {
    "empty": ("empty", "remove it"),
    "binary": ("binary", "convert it"),
    "broken": ("broken symbolic link", "Fix or remove"),
    "prog": ("unsupported file type '.exe'", "Supported:", "convert the file"),
}


@pytest.fixture(scope="module")
def inputs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    """The folder of inputs, and the extra paths named on the command line."""
    root = tmp_path_factory.mktemp("bad")
    folder = root / "reports"
    folder.mkdir()
    text = GOOD.read_text(encoding="utf-8")
    (folder / "good.txt").write_text(text, encoding="utf-8")
    (folder / "empty.txt").write_bytes(b"")
    rng = random.Random(7)
    (folder / "binary.txt").write_bytes(bytes(rng.randrange(256) for _ in range(4096)) + b"\0" * 8)
    gbk_text = GBK_SOURCE.read_text(encoding="utf-8")
    (folder / "gbk.txt").write_bytes(gbk_text.encode("gbk"))
    (folder / "gb18030.txt").write_bytes(text.encode("gb18030"))
    (folder / "utf16.txt").write_bytes(text.encode("utf-16"))  # with a BOM
    repeats = 5_000_000 // len(text.encode("utf-8")) + 1
    (folder / "huge.txt").write_text((text + "\n") * repeats, encoding="utf-8")
    (folder / "noheadings.txt").write_text(NO_HEADINGS, encoding="utf-8")
    (folder / "page.html").write_text(HTML, encoding="utf-8")
    (folder / "x.txt").mkdir()  # a directory that looks like a document
    broken = folder / "broken.txt"
    os.symlink(root / "gone" / "target.txt", broken)
    exe = root / "prog.exe"
    exe.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00")
    return folder, [exe, broken]


def _rows(out: Path) -> dict[str, dict[str, Any]]:
    rows = [json.loads(line) for line in (out / "manifest.jsonl").read_text("utf-8").splitlines()]
    by_name = {r["name"]: r for r in rows}
    assert len(by_name) == len(rows)
    return by_name


def _items(summary: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (
            cat,
            it["summary"],
            [(e["start"], e["end"], e["text"]) for e in it["evidence"]],
            [(f["text"], f["start"], f["end"]) for f in it["figures"]],
        )
        for cat in ("achievements", "shortcomings", "plans")
        for it in summary[cat]
    ]


def _check_outputs(out: Path, folder: Path) -> None:
    rows = _rows(out)
    assert {n: r["status"] for n, r in rows.items()} == EXPECTED
    report = (out / "report.md").read_text("utf-8")
    for name, words in ERROR_WORDS.items():
        error = rows[name]["error"]
        assert name in error  # names the file
        for word in words:  # and says what is wrong / what to do
            assert word in error, (name, error)
        assert f"`{name}`: FAILED: {error}" in report
        assert not (out / f"{name}.json").exists()
    for name, status in EXPECTED.items():
        if status == "ok":
            assert rows[name]["error"] is None
            assert (out / f"{name}.text.txt").is_file()
            assert f"| {name} | ok |" in report
    ok = [n for n, s in EXPECTED.items() if s == "ok"]
    lines = (out / "summaries.jsonl").read_text("utf-8").splitlines()
    assert sorted(json.loads(line)["doc_id"] for line in lines) == sorted(ok)
    summaries = {n: json.loads((out / f"{n}.json").read_text("utf-8")) for n in ok}
    for name, s in summaries.items():
        text = (out / f"{name}.text.txt").read_text("utf-8")
        items = s["achievements"] + s["shortcomings"] + s["plans"]
        assert items, name
        for it in items:  # every offset points into the saved text
            for e in it["evidence"]:
                assert text[e["start"] : e["end"]] == e["text"]

    good = _items(summaries["good"])
    assert len(good) == 26
    assert _items(summaries["gb18030"]) == good
    assert _items(summaries["utf16"]) == good
    utf8_of_gbk = summarizer.summarize(GBK_SOURCE, backend="rules").model_dump(mode="json")
    assert _items(summaries["gbk"]) == _items(utf8_of_gbk)
    assert len(summaries["huge"]["achievements"]) > 1000

    assert any("no headings found" in w for w in summaries["noheadings"]["metadata"]["warnings"])
    assert "no headings found" in report

    page = summaries["page"]
    dumped = json.dumps(page, ensure_ascii=False)
    for junk in ("SCRIPT", "STYLETEXT", "alert", "color: red", "新闻中心", "版权所有"):
        assert junk not in dumped
    assert [it["summary"][:6] for it in page["achievements"]] == [
        "强化组织领导",
        "加强法治宣传",
    ]  # markers dropped
    assert len(page["shortcomings"]) == 1 and len(page["plans"]) == 1
    assert "x" not in rows  # a directory is not a document
    assert folder.is_dir()


def test_library_batch_records_every_bad_input_and_goes_on(
    inputs: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    folder, named = inputs
    out = tmp_path / "out"
    t0 = time.perf_counter()
    result = summarizer.summarize_folder([folder, *named], out, backend="rules")
    seconds = time.perf_counter() - t0
    assert seconds < 60  # the 5 MB file included (about 2 s on 2 cores)
    huge = next(o for o in result.outcomes if o.name == "huge")
    assert huge.status == "ok" and huge.seconds < 60
    assert {o.name for o in result.failed} == {n for n, s in EXPECTED.items() if s == "failed"}
    _check_outputs(out, folder)


def test_cli_batch_exits_1_and_writes_the_good_outputs(
    inputs: tuple[Path, list[Path]], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder, named = inputs
    out = tmp_path / "out"
    code = main(["run", str(folder), *map(str, named), "-o", str(out), "--backend", "rules"])
    assert code == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    _check_outputs(out, folder)
    for row in _rows(out).values():  # every failure is also told on stderr, verbatim
        if row["status"] == "failed":
            assert row["error"] in err
    assert "4 failed" in err


def test_broken_link_inside_a_folder_is_recorded(
    inputs: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    folder, _ = inputs
    out = tmp_path / "out"
    summarizer.summarize_folder([folder], out, backend="rules")
    assert _rows(out)["broken"]["status"] == "failed"
