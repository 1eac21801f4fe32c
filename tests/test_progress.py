"""summarizer.batch.progress: plain lines off a terminal, a live line on one, nothing when quiet."""

from __future__ import annotations

import io
import logging
import threading
import time
from dataclasses import dataclass, field

from summarizer.batch.progress import ProgressReporter, fit, format_duration
from summarizer.schema import Usage


class FakeTTY(io.StringIO):
    def isatty(self) -> bool:
        return True


@dataclass(frozen=True)
class Out:
    name: str
    status: str = "ok"
    error: str | None = None
    seconds: float = 3.2
    usage: Usage = field(default_factory=Usage)
    counts: dict[str, int] = field(
        default_factory=lambda: {"achievements": 24, "shortcomings": 4, "plans": 6}
    )
    figures: int = 59
    skipped: bool = False


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


USAGE = Usage(prompt_tokens=1234, completion_tokens=567, calls=12)


def test_plain_lines_when_not_a_tty() -> None:
    stream = io.StringIO()
    assert not stream.isatty()
    with ProgressReporter(stream) as p:
        assert not p.tty
        p(1, 3, Out("a", usage=USAGE))
        p(2, 3, Out("b", status="failed", error="not a readable PDF", seconds=0.1))
        p(3, 3, Out("c", skipped=True))  # batch.DocOutcome: status 'ok', skipped=True
    lines = stream.getvalue().splitlines()
    assert lines[:3] == [
        "[1/3] a: 24 achievements, 4 shortcomings, 6 plans, 59 figures, "
        "1234+567 tokens, 12 calls (3.2 s)",
        "[2/3] b: FAILED: not a readable PDF (0.1 s)",
        "[3/3] c: skipped (already done)",
    ]
    assert lines[3].startswith("done: 3 documents (1 ok, 1 failed, 1 skipped), 1234+567 tokens")
    assert len(lines) == 4 and "\r" not in stream.getvalue()


def test_rules_backend_lines_have_no_token_part() -> None:
    stream = io.StringIO()
    ProgressReporter(stream)(1, 1, Out("a"))
    assert stream.getvalue() == (
        "[1/1] a: 24 achievements, 4 shortcomings, 6 plans, 59 figures (3.2 s)\n"
    )


def test_live_line_on_a_tty_with_eta() -> None:
    stream, clock = FakeTTY(), Clock()
    p = ProgressReporter(stream, clock=clock, tick=0)
    assert p.tty
    with p:
        clock.now += 10
        p(1, 4, Out("a", usage=USAGE))
        clock.now += 10
        p(2, 4, Out("b", status="failed", error="boom"))
    text = stream.getvalue()
    assert "\r" in text
    # after 2 documents in 20 s, 2 left: ETA 20 s
    assert "[2/4] 1 failed | elapsed 20.0 s | ETA 20.0 s | 1234+567 tokens" in text
    assert "[1/4] 0 failed | elapsed 10.0 s | ETA 30.0 s" in text
    # the failure keeps its own line; the summary ends the output
    assert "\n[2/4] b: FAILED: boom (3.2 s)\n" in text.replace("\r", "\n")
    assert text.endswith(
        "done: 2 documents (1 ok, 1 failed), 1234+567 tokens, 12 calls, 20.0 s elapsed\n"
    )
    # no plain per-document line for successes
    assert "a: 24 achievements" not in text


def test_eta_ignores_skipped_documents() -> None:
    clock = Clock()
    p = ProgressReporter(FakeTTY(), clock=clock, tick=0).start()
    p(1, 4, Out("old", status="skipped", counts={}, figures=0))
    assert p.eta() is None
    clock.now += 30
    p(2, 4, Out("a"))
    assert p.eta() == 60.0  # 30 s per processed document, 2 left


def test_quiet_prints_nothing() -> None:
    for stream in (io.StringIO(), FakeTTY()):
        with ProgressReporter(stream, quiet=True) as p:
            p(1, 2, Out("a"))
            p(2, 2, Out("b", status="failed", error="x"))
        assert stream.getvalue() == ""


def test_live_line_never_wraps_and_clears_what_it_overwrites() -> None:
    import os

    stream = FakeTTY()
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = "40"
    try:
        p = ProgressReporter(stream, tick=0)
        p(1, 2, Out("很长的中文文件名" * 5))
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old
    drawn = stream.getvalue().split("\r")[-1]
    assert fit(drawn, 100)[1] <= 39


def test_fit_counts_cjk_as_two_columns() -> None:
    assert fit("ab报告", 4) == ("ab报", 4)
    assert fit("ab", 10) == ("ab", 2)


def test_format_duration() -> None:
    assert format_duration(3.24) == "3.2 s"
    assert format_duration(75) == "1:15"
    assert format_duration(3725) == "1:02:05"


def test_thread_safe_counts() -> None:
    stream = io.StringIO()
    p = ProgressReporter(stream)

    def worker(k: int) -> None:
        for j in range(50):
            p(k * 50 + j + 1, 400, Out(f"d{k}-{j}", usage=Usage(prompt_tokens=1, calls=1)))

    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    p.close()
    lines = stream.getvalue().splitlines()
    assert len(lines) == 401  # every line whole, plus the summary
    assert lines[-1].startswith("done: 400 documents (400 ok, 0 failed), 400+0 tokens, 400 calls")


def test_ticker_refreshes_and_stops() -> None:
    stream = FakeTTY()
    with ProgressReporter(stream, tick=0.01):
        time.sleep(0.1)
    text = stream.getvalue()
    assert text.count("\r[0/?]") >= 2
    assert text.rsplit("\r", 1)[1].startswith("done: 0 documents (0 ok, 0 failed)")
    assert text.endswith(" elapsed\n")


def test_logs_do_not_run_into_the_live_line() -> None:
    stream = FakeTTY()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        with ProgressReporter(stream, tick=0) as p:
            p(1, 2, Out("a"))
            logging.getLogger("summarizer.test").warning("careful")
        assert not handler.filters
    finally:
        root.removeHandler(handler)
    text = stream.getvalue()
    before = text[: text.index("careful")]
    assert before.endswith("\r")  # line blanked and cursor back at column 0


def test_error_in_batch_skips_summary() -> None:
    stream = io.StringIO()
    try:
        with ProgressReporter(stream):
            raise RuntimeError("x")
    except RuntimeError:
        pass
    assert stream.getvalue() == ""
