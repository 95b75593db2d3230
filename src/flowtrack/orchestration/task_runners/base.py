"""The task runner contract: start a task run once its upstream runs are done, and report its final state."""

from __future__ import annotations

import abc
from typing import TYPE_CHECKING, Self

from flowtrack.orchestration.futures import TaskFuture, when_all_done
from flowtrack.orchestration.states import Crashed, State

if TYPE_CHECKING:
    from flowtrack.orchestration.engine.task_run import TaskRun

__all__ = ["TaskRunner", "crashed"]


class TaskRunner(abc.ABC):
    """Each flow run uses its own copy (``duplicate``), shut down when the flow run ends."""

    def submit(self, run: TaskRun) -> TaskFuture:
        future = TaskFuture(run.id, run.name)
        upstream = [f for f, _ in run.upstream]
        when_all_done(upstream, lambda: self._start_and_report(run, future))
        return future

    def _start_and_report(self, run: TaskRun, future: TaskFuture) -> None:
        if run.upstream_error() is not None:  # it will not run: record that here, without a worker
            from flowtrack.orchestration.engine.task_run import run_task_in_worker

            future.set_state(run_task_in_worker(run))
            return
        try:
            self._start(run, future)
        except Exception as exc:  # noqa: BLE001 - e.g. a pool shut down: the run crashed, the flow goes on
            future.set_state(crashed(run, exc))

    @abc.abstractmethod
    def _start(self, run: TaskRun, future: TaskFuture) -> None:
        """Start ``run`` (its upstream runs are done); its final state goes to ``future.set_state``."""

    @abc.abstractmethod
    def duplicate(self) -> Self:
        """A fresh, unstarted runner with the same settings."""

    @abc.abstractmethod
    def shutdown(self) -> None:
        """Wait for running task runs and release workers."""


def crashed(run: TaskRun, error: BaseException) -> State:
    """The final state of a run whose worker failed (a killed process, a broken pool), recorded."""
    return run.tracker.set(Crashed(error))
