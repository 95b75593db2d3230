"""A process pool task runner for CPU-bound tasks.

Task runs travel to worker processes with cloudpickle (so tasks defined in ``__main__`` or notebooks work).
A worker collects the run's records (states, logs) and sends them back with the final state; the flow's
recorder stores them. Workers are started with ``spawn`` so no lock held by another thread is inherited.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, Self

from flowtrack.exceptions import InvalidArgument
from flowtrack.orchestration.futures import TaskFuture
from flowtrack.orchestration.results import pickle_dumps, pickle_loads
from flowtrack.orchestration.task_runners.base import TaskRunner, crashed

if TYPE_CHECKING:
    from flowtrack.orchestration.engine.task_run import TaskRun

__all__ = ["ProcessPoolTaskRunner"]


class ProcessPoolTaskRunner(TaskRunner):
    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and max_workers < 1:
            raise InvalidArgument("max_workers must be >= 1", field="max_workers")
        self.max_workers = max_workers
        self._pool: concurrent.futures.ProcessPoolExecutor | None = None

    def _start(self, run: TaskRun, future: TaskFuture) -> None:
        from flowtrack.orchestration.engine.task_run import run_task_in_process

        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = concurrent.futures.ProcessPoolExecutor(self.max_workers, mp_context=context)
        report_when_back(run, self._pool.submit(run_task_in_process, pickle_dumps(run)), future)

    def duplicate(self) -> Self:
        return type(self)(self.max_workers)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None


class _RemoteFuture(Protocol):
    """What a process pool's and a Dask client's futures share."""

    def result(self) -> Any: ...

    def add_done_callback(self, fn: Callable[[Any], None], /) -> None: ...


def report_when_back(run: TaskRun, sent: _RemoteFuture, future: TaskFuture) -> None:
    """When a run sent elsewhere is back: its records go to the flow's recorder, its state to ``future``."""
    recorder = run.recorder

    def arrived(done: _RemoteFuture) -> None:
        try:
            state, batch = pickle_loads(done.result())
        except BaseException as exc:  # noqa: BLE001 - the worker died or the pool broke: the run crashed
            future.set_state(crashed(run, exc))
            return
        if recorder is not None:
            recorder.merge(batch)
        future.set_state(state)

    sent.add_done_callback(arrived)
