"""Which runs are active: a per-context stack (thread and asyncio safe) plus a process-wide open set.

The stack answers "which run does ``log_metric`` go to here"; the open set lets the exit handler end runs
started in any thread.
"""

from __future__ import annotations

import threading
from contextvars import ContextVar

_stack: ContextVar[tuple[str, ...]] = ContextVar("flowtrack_active_runs", default=())
_open_runs: dict[str, None] = {}
_open_lock = threading.Lock()


def active_run_ids() -> tuple[str, ...]:
    return _stack.get()


def current_run_id() -> str | None:
    stack = _stack.get()
    return stack[-1] if stack else None


def push(run_id: str) -> None:
    _stack.set((*_stack.get(), run_id))
    with _open_lock:
        _open_runs[run_id] = None


def pop(run_id: str) -> None:
    _stack.set(tuple(item for item in _stack.get() if item != run_id))
    with _open_lock:
        _open_runs.pop(run_id, None)


def open_runs_newest_first() -> list[str]:
    with _open_lock:
        return list(reversed(_open_runs))
