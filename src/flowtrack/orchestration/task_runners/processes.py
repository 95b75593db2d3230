"""A process pool task runner for CPU-bound tasks.

Task runs travel to worker processes with cloudpickle (so tasks defined in ``__main__`` or notebooks work).
A worker collects the run's records (states, logs) and sends them back with the final state; the flow's
recorder stores them. Workers are started with ``spawn`` so no lock held by another thread is inherited.

A run whose flow run is cancelled is given up at once (CANCELLED, and nobody waits for it); its worker
process cannot be interrupted from here, so the pool's workers are terminated when the flow run ends.
"""

from __future__ import annotations

import concurrent.futures
import multiprocessing
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, Self

from flowtrack.exceptions import InvalidArgument
from flowtrack.orchestration.errors import FlowRunCancelled
from flowtrack.orchestration.futures import TaskFuture
from flowtrack.orchestration.interrupts import forget_canceller, on_cancel
from flowtrack.orchestration.results import pickle_dumps, pickle_loads
from flowtrack.orchestration.states import Cancelled
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
        self._gave_up = False

    def _start(self, run: TaskRun, future: TaskFuture) -> None:
        from flowtrack.orchestration.engine.task_run import run_task_in_process

        if self._pool is None:
            context = multiprocessing.get_context("spawn")
            self._pool = concurrent.futures.ProcessPoolExecutor(self.max_workers, mp_context=context)
        sent = self._pool.submit(run_task_in_process, pickle_dumps(run))
        report_when_back(run, sent, future, lambda: self._give_up(sent))

    def _give_up(self, sent: concurrent.futures.Future[bytes]) -> None:
        if not sent.cancel():  # already running in a worker: that worker is terminated at shutdown
            self._gave_up = True

    def duplicate(self) -> Self:
        return type(self)(self.max_workers)

    def shutdown(self) -> None:
        pool, self._pool = self._pool, None
        if pool is None:
            return
        if self._gave_up:
            # a worker still running a given-up run would keep shutdown (and the flow) waiting; no public
            # way to stop it before Python 3.14 (terminate_workers)
            for process in list(pool._processes.values()):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=self._gave_up)


class _RemoteFuture(Protocol):
    """What a process pool's and a Dask client's futures share."""

    def result(self) -> Any: ...

    def add_done_callback(self, fn: Callable[[Any], None], /) -> None: ...


def report_when_back(
    run: TaskRun, sent: _RemoteFuture, future: TaskFuture, cancel_remote: Callable[[], None] | None = None
) -> None:
    """When a run sent elsewhere is back: its records go to the flow's recorder, its state to ``future``.

    Cancelling its flow run gives the run up: CANCELLED at once, ``cancel_remote`` asks its executor to drop
    it, and whatever comes back later is ignored.
    """
    recorder = run.recorder
    settled = threading.Lock()  # taken once: by the answer or by giving up, whichever comes first

    def give_up() -> None:
        if settled.acquire(blocking=False):
            future.set_state(run.tracker.set(Cancelled(FlowRunCancelled())))
            if cancel_remote is not None:
                cancel_remote()

    key = on_cancel(run.scope, give_up) if run.scope else None

    def arrived(done: _RemoteFuture) -> None:
        if key is not None:
            forget_canceller(key)
        if not settled.acquire(blocking=False):
            return
        try:
            state, batch = pickle_loads(done.result())
        except BaseException as exc:  # noqa: BLE001 - the worker died or the pool broke: the run crashed
            future.set_state(crashed(run, exc))
            return
        if recorder is not None:
            recorder.merge(batch)
        future.set_state(state)

    sent.add_done_callback(arrived)
