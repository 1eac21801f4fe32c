"""Headless Chromium for tests of self-contained pages (eval report, report.html, panel.html)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest


def chromium() -> str | None:
    """The Chromium binary on PATH (Debian's ``chromium``), or None."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


#: Marks a test that needs the browser: skipped, with the way to install it, where it is missing.
needs_chromium = pytest.mark.skipif(
    chromium() is None, reason="chromium not installed (apt-get install -y chromium)"
)


def browser_command(tmp_path: Path, *extra: str) -> list[str]:
    """Headless Chromium with a fresh profile and no background network (closed here)."""
    binary = chromium()
    if binary is None:
        pytest.skip("chromium not installed (apt-get install -y chromium)")
    return [
        binary,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        *extra,
        f"--user-data-dir={tmp_path / 'profile'}",
    ]


def dump_dom(command: list[str], page: Path) -> str:
    """The page's DOM after its scripts ran (``--dump-dom``)."""
    return subprocess.run(
        [*command, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    ).stdout


def screenshot(command: list[str], page: Path, shot: Path, size: str) -> bytes:
    """A PNG of the page at ``size`` (``WIDTHxHEIGHT``) written to ``shot``; its bytes."""
    width, height = size.split("x")
    subprocess.run(
        [*command, f"--screenshot={shot}", f"--window-size={width},{height}", page.as_uri()],
        capture_output=True,
        timeout=120,
        check=True,
    )
    return shot.read_bytes()
