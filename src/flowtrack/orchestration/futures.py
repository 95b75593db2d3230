"""Futures of submitted task runs, and the helpers around them: ``wait``, ``as_completed``, ``unmapped``."""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, NamedTuple, TypeVar

from flowtrack.orchestration.states import Pending, State

__all__ = [
    "FutureList",
    "TaskFuture",
    "as_completed",
    "collect_futures",
    "resolve_futures",
    "unmapped",
    "wait",
]

T = TypeVar("T")


class TaskFuture:
    """The eventual final state of one submitted task run.

    Lighter than ``concurrent.futures.Future`` (no Condition per future, which a map over thousands of items
    pays for in allocations and lock hand-overs): a raw lock held until the state arrives, and callbacks.
    """

    __slots__ = ("_callbacks", "_done", "_state", "task_name", "task_run_id")

    def __init__(self, task_run_id: str, task_name: str) -> None:
        self.task_run_id = task_run_id
        self.task_name = task_name
        self._state: State | None = None
        self._done = threading.Lock()
        self._done.acquire()  # released once, by set_state; each waiter passes it on
        self._callbacks: list[Callable[[TaskFuture], None]] | None = []

    @property
    def state(self) -> State:
        """The final state when done, else a Pending placeholder."""
        return self._state if self._state is not None else Pending()

    def done(self) -> bool:
        return self._state is not None

    def wait(self, timeout: float | None = None) -> None:
        """Block until the run is final or ``timeout`` seconds pass."""
        self._wait(timeout)

    def _wait(self, timeout: float | None) -> bool:
        if self._state is not None:
            return True
        if not self._done.acquire(timeout=-1 if timeout is None else max(timeout, 0.0)):
            return False
        self._done.release()
        return True

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> Any:
        """The task's return value; raises its error when it failed, TimeoutError when not done in time."""
        if not self._wait(timeout):
            raise TimeoutError(f"task run {self.task_run_id} is not done after {timeout} s")
        assert self._state is not None
        return self._state.result(raise_on_failure=raise_on_failure)

    def add_done_callback(self, callback: Callable[[TaskFuture], None]) -> None:
        """Call ``callback(self)`` once the state is final (at once when it is already)."""
        with _callbacks_lock:
            if self._callbacks is not None:
                self._callbacks.append(callback)
                return
        callback(self)

    def set_state(self, state: State) -> None:
        with _callbacks_lock:
            if self._callbacks is None:
                return  # already final: the first final state is the run's
            callbacks, self._callbacks = self._callbacks, None
            self._state = state
        self._done.release()
        for callback in callbacks:
            callback(self)

    def __repr__(self) -> str:
        return f"TaskFuture({self.task_name!r}, {self.task_run_id!r}, state={self.state.name})"


_callbacks_lock = threading.Lock()  # shared: held only to swap a list or append to it


class FutureList(list[TaskFuture]):
    """What ``Task.map`` returns: a list of futures that can wait and collect results together."""

    def wait(self, timeout: float | None = None) -> None:
        wait(self, timeout=timeout)

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> list[Any]:
        return [f.result(timeout=timeout, raise_on_failure=raise_on_failure) for f in self]


class DoneAndNotDone(NamedTuple):
    done: set[TaskFuture]
    not_done: set[TaskFuture]


def wait(futures: Iterable[TaskFuture], timeout: float | None = None) -> DoneAndNotDone:
    """Wait until every future is done or ``timeout`` passes; returns the done and the not-done ones."""
    pending = list(futures)
    deadline = None if timeout is None else time.monotonic() + timeout
    for future in pending:
        remaining = None if deadline is None else deadline - time.monotonic()
        if not future._wait(remaining):
            break
    done = {f for f in pending if f.done()}
    return DoneAndNotDone(done, set(pending) - done)


def as_completed(futures: Iterable[TaskFuture], timeout: float | None = None) -> Iterator[TaskFuture]:
    """Yield futures as they finish, the first finished first; TimeoutError when ``timeout`` passes."""
    pending = list(dict.fromkeys(futures))
    arrived: queue.SimpleQueue[TaskFuture] = queue.SimpleQueue()
    for future in pending:
        future.add_done_callback(arrived.put)
    deadline = None if timeout is None else time.monotonic() + timeout
    for left in range(len(pending), 0, -1):
        remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        try:
            yield arrived.get(timeout=remaining)
        except queue.Empty:
            raise TimeoutError(f"{left} of {len(pending)} futures are not done after {timeout} s") from None


@dataclass(frozen=True, slots=True)
class unmapped(Generic[T]):  # noqa: N801 - lower case like the function users know it as
    """Wrap an iterable argument of ``Task.map`` so it is passed whole to every call."""

    value: T


def collect_futures(value: Any, into: list[tuple[TaskFuture, str]], name: str) -> None:
    """Append every future in ``value`` (looking into lists, tuples, sets and dict values) with ``name``."""
    if isinstance(value, TaskFuture):
        into.append((value, name))
    elif isinstance(value, list | tuple | set | frozenset):
        for item in value:
            collect_futures(item, into, name)
    elif isinstance(value, dict):
        for item in value.values():
            collect_futures(item, into, name)


def resolve_futures(value: Any) -> Any:
    """``value`` with every future replaced by its result (the futures must be done and completed)."""
    if isinstance(value, TaskFuture):
        return value.result()
    if isinstance(value, list | tuple | set | frozenset):
        return type(value)(resolve_futures(item) for item in value)
    if isinstance(value, dict):
        return {key: resolve_futures(item) for key, item in value.items()}
    return value


def when_all_done(futures: list[TaskFuture], then: Callable[[], None]) -> None:
    """Call ``then`` once every future is done (at once when there are none), in the finishing thread."""
    if not futures:
        then()
        return
    remaining = [len(futures)]
    lock = threading.Lock()

    def one_done(_: TaskFuture) -> None:
        with lock:
            remaining[0] -= 1
            last = remaining[0] == 0
        if last:
            then()

    for future in futures:
        future.add_done_callback(one_done)
