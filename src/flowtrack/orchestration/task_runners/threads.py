"""The default task runner: a thread pool in the flow's process; contextvars follow each task run.

Ready task runs wait in one queue that up to ``max_workers`` threads drain. Waking a thread per task run
(as a plain executor does) costs a GIL hand-over each time, which dominates the cost of small tasks; here a
thread is woken only when fewer than ``max_workers`` are draining.
"""

from __future__ import annotations

import concurrent.futures
import contextvars
import os
import threading
from collections import deque
from typing import TYPE_CHECKING, Self

from flowtrack.exceptions import InvalidArgument
from flowtrack.orchestration.futures import TaskFuture
from flowtrack.orchestration.task_runners.base import TaskRunner, crashed

if TYPE_CHECKING:
    from flowtrack.orchestration.engine.task_run import TaskRun

__all__ = ["ThreadPoolTaskRunner"]


class ThreadPoolTaskRunner(TaskRunner):
    """Runs task runs on up to ``max_workers`` threads (default: CPU count + 4, at most 32)."""

    def __init__(self, max_workers: int | None = None) -> None:
        if max_workers is not None and max_workers < 1:
            raise InvalidArgument("max_workers must be >= 1", field="max_workers")
        self.max_workers = max_workers or min(32, (os.cpu_count() or 1) + 4)
        self._pool: concurrent.futures.ThreadPoolExecutor | None = None
        self._ready: deque[tuple[TaskRun, TaskFuture]] = deque()
        self._lock = threading.Lock()
        self._draining = 0

    def _start(self, run: TaskRun, future: TaskFuture) -> None:
        with self._lock:
            self._ready.append((run, future))
            if self._draining >= self.max_workers:
                return
            self._draining += 1
            if self._pool is None:
                self._pool = concurrent.futures.ThreadPoolExecutor(self.max_workers, "flowtrack-task")
            pool = self._pool
        pool.submit(self._drain)

    def _drain(self) -> None:
        from flowtrack.orchestration.engine.task_run import run_task_in_worker

        while True:
            with self._lock:
                if not self._ready:
                    self._draining -= 1
                    return
                run, future = self._ready.popleft()
            # the submitter's contextvars (flow run, tracked run, ...) as they were at submit time
            context = run.submit_context or contextvars.copy_context()
            try:
                state = context.run(run_task_in_worker, run)
            except BaseException as exc:  # noqa: BLE001 - the engine turns failures into states; this is a bug
                state = crashed(run, exc)
            future.set_state(state)

    def duplicate(self) -> Self:
        return type(self)(self.max_workers)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
