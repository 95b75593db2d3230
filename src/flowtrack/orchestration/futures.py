"""Futures of submitted task runs, and the helpers around them: ``wait``, ``as_completed``, ``unmapped``."""

from __future__ import annotations

import concurrent.futures
import threading
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
    """The eventual final state of one submitted task run."""

    __slots__ = ("_future", "task_name", "task_run_id")

    def __init__(self, task_run_id: str, task_name: str) -> None:
        self.task_run_id = task_run_id
        self.task_name = task_name
        self._future: concurrent.futures.Future[State] = concurrent.futures.Future()

    @property
    def state(self) -> State:
        """The final state when done, else a Pending placeholder."""
        if self._future.done():
            return self._future.result()
        return Pending()

    def done(self) -> bool:
        return self._future.done()

    def wait(self, timeout: float | None = None) -> None:
        """Block until the run is final or ``timeout`` seconds pass."""
        concurrent.futures.wait([self._future], timeout=timeout)

    def result(self, timeout: float | None = None, raise_on_failure: bool = True) -> Any:
        """The task's return value; raises its error when it failed, TimeoutError when not done in time."""
        return self._future.result(timeout=timeout).result(raise_on_failure=raise_on_failure)

    def add_done_callback(self, callback: Callable[[TaskFuture], None]) -> None:
        self._future.add_done_callback(lambda _: callback(self))

    def set_state(self, state: State) -> None:
        self._future.set_result(state)

    def __repr__(self) -> str:
        return f"TaskFuture({self.task_name!r}, {self.task_run_id!r}, state={self.state.name})"


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
    by_inner = {f._future: f for f in futures}
    done, not_done = concurrent.futures.wait(by_inner, timeout=timeout)
    return DoneAndNotDone({by_inner[f] for f in done}, {by_inner[f] for f in not_done})


def as_completed(futures: Iterable[TaskFuture], timeout: float | None = None) -> Iterator[TaskFuture]:
    """Yield futures as they finish, the first finished first."""
    by_inner = {f._future: f for f in futures}
    for inner in concurrent.futures.as_completed(by_inner, timeout=timeout):
        yield by_inner[inner]


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
