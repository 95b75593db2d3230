"""The default task runner: a thread pool in the flow's process; contextvars follow each task run."""

from __future__ import annotations

import concurrent.futures
import contextvars
import os
from typing import TYPE_CHECKING, Self

from flowtrack.exceptions import InvalidArgument
from flowtrack.orchestration.states import State
from flowtrack.orchestration.task_runners.base import TaskRunner

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

    def _start(self, run: TaskRun) -> concurrent.futures.Future[State]:
        from flowtrack.orchestration.engine.task_run import run_task_in_worker

        if self._pool is None:
            self._pool = concurrent.futures.ThreadPoolExecutor(self.max_workers, "flowtrack-task")
        context = contextvars.copy_context()  # the flow run context and any caller context travel along
        return self._pool.submit(context.run, run_task_in_worker, run)

    def duplicate(self) -> Self:
        return type(self)(self.max_workers)

    def shutdown(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True)
            self._pool = None
