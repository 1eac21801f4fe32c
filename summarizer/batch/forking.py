"""Threads a fork may run past, so a batch can start its worker processes by ``fork``.

Forking a process copies its memory but only the thread that forks: a lock
another thread held at that moment stays held in the child for ever. So worker
processes start only when every other thread is one its owner declared
fork-safe here (:func:`mark_fork_safe`): a thread that touches nothing but
its owner's lock, which the owner holds across every fork
(:func:`hold_across_forks`), e.g. the progress line's refresher, which writes to
stderr only under its reporter's lock.
"""

from __future__ import annotations

import os
import threading
import weakref
from typing import Protocol

__all__ = ["ForkHold", "hold_across_forks", "mark_fork_safe", "only_fork_safe_threads"]


class _Lock(Protocol):
    def acquire(self, blocking: bool = ..., timeout: float = ...) -> bool: ...
    def release(self) -> None: ...


class ForkHold:
    """A lock held across forks while this object lives (see :func:`hold_across_forks`)."""

    def __init__(self, lock: _Lock) -> None:
        self.lock = lock


_SAFE: weakref.WeakSet[threading.Thread] = weakref.WeakSet()
_HELD: weakref.WeakSet[ForkHold] = weakref.WeakSet()
_ACQUIRED: list[ForkHold] = []  # held by the forking thread, from before a fork to after it


def mark_fork_safe(thread: threading.Thread) -> None:
    """Declare ``thread`` safe to fork past (its owner holds its lock across forks)."""
    _SAFE.add(thread)


def hold_across_forks(lock: _Lock) -> ForkHold:
    """Hold ``lock`` while this process forks (released in parent and child after), as
    long as the returned object is kept: a fork waits for a thread holding the lock
    to let it go, so the child never starts with it held."""
    hold = ForkHold(lock)
    _HELD.add(hold)
    return hold


def only_fork_safe_threads() -> bool:
    """Whether every thread but this one is safe to fork past."""
    me = threading.current_thread()
    return all(t is me or t in _SAFE for t in threading.enumerate())


def _before() -> None:
    _ACQUIRED[:] = list(_HELD)
    for hold in _ACQUIRED:
        hold.lock.acquire()


def _after() -> None:
    for hold in reversed(_ACQUIRED):
        hold.lock.release()
    _ACQUIRED.clear()


if hasattr(os, "register_at_fork"):  # not on Windows (no fork there anyway)
    os.register_at_fork(before=_before, after_in_parent=_after, after_in_child=_after)
