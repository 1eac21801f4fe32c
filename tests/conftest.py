"""Shared fixtures. The fake OpenAI server lives in ``tests/fake_openai.py``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # `import fake_openai` from any test

from fake_openai import FakeOpenAI


@pytest.fixture
def fake_openai() -> Iterator[FakeOpenAI]:
    """A started :class:`FakeOpenAI` on 127.0.0.1; stopped after the test."""
    with FakeOpenAI() as server:
        yield server
