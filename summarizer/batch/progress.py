"""Batch progress on stderr: a live status line on a terminal, plain lines elsewhere.

:class:`ProgressReporter` is the ``on_progress(done, total, outcome)`` callback
that :func:`summarizer.batch.folder.summarize_folder` calls after each document.

* On a TTY it keeps one self-updating line (``\\r``): documents done/total,
  failures, tokens so far (prompt+completion), elapsed time and an ETA from the
  mean wall time per finished document. Failed documents also get a permanent
  line above it, so their reason stays on screen. While it is open (``with``)
  a background tick refreshes the elapsed time once a second.
* Elsewhere (a pipe, a CI log) it prints one plain line per document, e.g.
  ``[2/5] name: 24 achievements, 4 shortcomings, 6 plans, 59 figures,
  1234+567 tokens, 12 calls (3.2 s)``.
* Quiet prints nothing.

:meth:`ProgressReporter.close` prints a final summary line. Calls may come from
several threads; output is serialised by a lock. Standard library only.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import time
import unicodedata
from collections.abc import Callable
from types import TracebackType
from typing import TextIO

from ..schema import Usage
from .doc_outcome import DocOutcome
from .forking import ForkHold, hold_across_forks, mark_fork_safe


def format_duration(seconds: float) -> str:
    """``3.24 -> '3.2 s'``, ``75 -> '1:15'``, ``3725 -> '1:02:05'``."""
    if seconds < 59.95:
        return f"{max(0.0, seconds):.1f} s"
    s = max(0, round(seconds))
    h, rest = divmod(s, 3600)
    m, s = divmod(rest, 60)
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def fit(text: str, columns: int) -> tuple[str, int]:
    """``text`` cut to ``columns`` terminal cells (CJK characters take two), and its width."""
    used = 0
    for k, ch in enumerate(text):
        w = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if used + w > columns:
            return text[:k], used
        used += w
    return text, used


def is_skipped(outcome: DocOutcome) -> bool:
    """Whether ``outcome`` was skipped as already done (``skipped=True`` or status 'skipped')."""
    return outcome.status == "skipped" or bool(getattr(outcome, "skipped", False))


def describe(outcome: DocOutcome) -> str:
    """One document's result, as in the plain-line output (without the ``[k/n]`` prefix)."""
    if is_skipped(outcome):
        return f"{outcome.name}: skipped (already done)"
    if outcome.status not in ("ok", "degraded"):
        return f"{outcome.name}: FAILED: {outcome.error} ({outcome.seconds:.1f} s)"
    c = outcome.counts
    detail = (
        f"{c.get('achievements', 0)} achievements, {c.get('shortcomings', 0)} shortcomings, "
        f"{c.get('plans', 0)} plans, {outcome.figures} figures"
    )
    u = outcome.usage
    if u.calls or u.cache_hits:
        detail += f", {u.prompt_tokens}+{u.completion_tokens} tokens, {u.calls} calls"
    if outcome.status == "degraded":
        units = getattr(outcome, "degraded_units", 0)
        detail = f"DEGRADED ({units} units fell back: the endpoint failed), {detail}"
    return f"{outcome.name}: {detail} ({outcome.seconds:.1f} s)"


class ProgressReporter:
    """The ``on_progress`` callback for :func:`summarize_folder`, writing to a stream.

    Args:
        stream: where to write; ``sys.stderr`` by default (looked up when writing).
        quiet: print nothing at all.
        tty: force live-line (True) or plain-line (False) output; by default
            ``stream.isatty()``.
        clock: a monotonic clock in seconds (for tests).
        tick: seconds between refreshes of the live line while open; 0 disables.

    Use it as a context manager so the live line is finished and the summary
    printed even when the batch raises::

        with ProgressReporter(quiet=quiet) as progress:
            result = summarize_folder(paths, out, settings=s, on_progress=progress)
    """

    def __init__(
        self,
        stream: TextIO | None = None,
        *,
        quiet: bool = False,
        tty: bool | None = None,
        clock: Callable[[], float] = time.monotonic,
        tick: float = 1.0,
    ) -> None:
        self._stream = stream
        self.quiet = quiet
        self._clock = clock
        self._tick = tick
        self.tty = self._isatty() if tty is None else tty
        self._lock = threading.RLock()
        self._t0 = clock()
        self._done = 0
        self._total: int | None = None
        self._finished = 0  #: documents seen by this reporter
        self._processed = 0  #: finished and not skipped: what the ETA is based on
        self._failed = 0
        self._degraded = 0
        self._skipped = 0
        self._usage = Usage()
        self._last = ""
        self._shown = 0  #: length of the live line on screen (0: none)
        self._closed = False
        self._stop = threading.Event()
        self._ticker: threading.Thread | None = None
        self._fork_hold: ForkHold | None = None
        self._hooked: list[logging.Handler] = []

    # -- the callback -------------------------------------------------------

    def __call__(self, done: int, total: int, outcome: DocOutcome) -> None:
        """Record one finished document and show it."""
        with self._lock:
            self._done = max(self._done, done)
            self._total = total
            self._finished += 1
            self._usage = self._usage + outcome.usage
            skipped = is_skipped(outcome)
            if skipped:
                self._skipped += 1
            else:
                self._processed += 1
                if outcome.status == "degraded":
                    self._degraded += 1
                elif outcome.status != "ok":
                    self._failed += 1
            self._last = outcome.name
            if self.quiet:
                return
            line = f"[{done}/{total}] {describe(outcome)}"
            if not self.tty:
                self._write(line + "\n")
                return
            if outcome.status != "ok" and not skipped:
                self._write(self._clear() + line + "\n")
                self._shown = 0
            self._redraw()

    # -- lifecycle ----------------------------------------------------------

    def start(self) -> ProgressReporter:
        """Reset the clock and, on a TTY, start refreshing the live line.

        On a TTY it also makes log handlers writing to the same stream clear the
        live line before each record, so log lines do not run into it.
        """
        with self._lock:
            self._t0 = self._clock()
        if self.tty and not self.quiet:
            for handler in logging.getLogger().handlers:
                if getattr(handler, "stream", None) is self.stream and handler not in self._hooked:
                    handler.addFilter(self._before_log)
                    self._hooked.append(handler)
        if self.tty and not self.quiet and self._tick > 0 and self._ticker is None:
            self._ticker = threading.Thread(target=self._run_ticker, name="progress", daemon=True)
            # it writes only under self._lock, held across forks: worker processes may
            # still start by fork while it runs (summarizer.batch.workers)
            self._fork_hold = hold_across_forks(self._lock)
            mark_fork_safe(self._ticker)
            self._ticker.start()
        return self

    def close(self, *, summary: bool = True) -> None:
        """Stop refreshing, finish the live line and print the summary line (once).

        Args:
            summary: print the summary line; False only clears the live line
                (used when the batch raised, so its error is not buried).
        """
        self._stop.set()
        for handler in self._hooked:
            handler.removeFilter(self._before_log)
        self._hooked.clear()
        if self._ticker is not None:
            self._ticker.join(timeout=2)
            self._ticker = None
            self._fork_hold = None  # nothing left to hold across forks
        with self._lock:
            if self._closed:
                return
            self._closed = True
            if self.quiet:
                return
            end = self.summary_line() + "\n" if summary else ""
            if end or self._shown:
                self._write(self._clear() + end)
            self._shown = 0

    def __enter__(self) -> ProgressReporter:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close(summary=exc_type is None)

    # -- text ---------------------------------------------------------------

    def elapsed(self) -> float:
        """Seconds since the reporter started."""
        return self._clock() - self._t0

    def eta(self) -> float | None:
        """Seconds left: mean wall time per processed document times those left."""
        with self._lock:
            if self._total is None or not self._processed:
                return None
            left = max(0, self._total - self._done)
            return self.elapsed() / self._processed * left

    def status_line(self) -> str:
        """The live line: done/total, failed, tokens, elapsed and ETA."""
        with self._lock:
            total = "?" if self._total is None else str(self._total)
            eta = self.eta()
            u = self._usage
            parts = [
                f"[{self._done}/{total}] {self._failed} failed",
                f"elapsed {format_duration(self.elapsed())}",
                f"ETA {'?' if eta is None else format_duration(eta)}",
                f"{u.prompt_tokens}+{u.completion_tokens} tokens",
            ]
            if self._skipped:
                parts[0] += f", {self._skipped} skipped"
            if self._last:
                parts.append(f"last: {self._last}")
            return " | ".join(parts)

    def summary_line(self) -> str:
        """The final line: documents, failures, skips, tokens, calls and wall time."""
        with self._lock:
            u = self._usage
            ok = self._finished - self._failed - self._skipped - self._degraded
            skipped = f", {self._skipped} skipped" if self._skipped else ""
            degraded = f", {self._degraded} degraded" if self._degraded else ""
            return (
                f"done: {self._finished} documents ({ok} ok, {self._failed} failed{degraded}"
                f"{skipped}), "
                f"{u.prompt_tokens}+{u.completion_tokens} tokens, {u.calls} calls, "
                f"{format_duration(self.elapsed())} elapsed"
            )

    # -- output -------------------------------------------------------------

    @property
    def stream(self) -> TextIO:
        """The stream written to (``sys.stderr`` at the time of writing by default)."""
        return self._stream if self._stream is not None else sys.stderr

    def _isatty(self) -> bool:
        try:
            return bool(self.stream.isatty())
        except (AttributeError, ValueError):  # closed or not a real stream
            return False

    def _width(self) -> int:
        """Terminal columns: $COLUMNS, else the stream's terminal, else 80."""
        env = os.environ.get("COLUMNS", "")
        if env.isdigit() and int(env) > 0:
            return int(env)
        try:
            columns = os.get_terminal_size(self.stream.fileno()).columns
        except (AttributeError, OSError, ValueError):  # io.UnsupportedOperation is an OSError
            return 80
        return columns if columns > 0 else 80  # a pty without a window size reports 0

    def _clear(self) -> str:
        """Text that blanks the live line and returns the cursor to its start."""
        return "\r" + " " * self._shown + "\r" if self._shown else ""

    def _redraw(self) -> None:
        line, width = fit(self.status_line(), max(10, self._width() - 1))  # never wrap
        pad = " " * max(0, self._shown - width)
        self._write("\r" + line + pad)
        self._shown = width

    def _before_log(self, record: logging.LogRecord) -> bool:
        """Log filter: blank the live line so the record starts on a clean line."""
        with self._lock:
            if self._shown:
                self._write(self._clear())
                self._shown = 0
        return True

    def _run_ticker(self) -> None:
        while not self._stop.wait(self._tick):
            with self._lock:
                if self._closed:
                    return
                self._redraw()

    def _write(self, text: str) -> None:
        try:
            self.stream.write(text)
            self.stream.flush()
        except (OSError, ValueError):  # a closed pipe must not stop the batch
            pass
