"""A Ray task runner (``pip install 'flowtrack[ray]'``): task runs execute as Ray tasks.

Without an address a flow run starts Ray on this machine (``init_kwargs`` go to ``ray.init``) and shuts it
down at the end; with ``address="auto"`` or ``"ray://head:10001"`` task runs go to that cluster, whose workers
must have flowtrack installed. A Ray already initialized in this process is used as is and left running.
Task runs travel as the process pool's do: cloudpickled, with their hook context, and their records come back
with their final state. Cancelling the flow run gives its task runs up (CANCELLED at once) and calls
``ray.cancel`` on them, which raises KeyboardInterrupt inside a running one.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Self

from flowtrack.exceptions import MissingDependency
from flowtrack.orchestration.futures import TaskFuture
from flowtrack.orchestration.results import pickle_dumps
from flowtrack.orchestration.task_runners.base import TaskRunner
from flowtrack.orchestration.task_runners.processes import report_when_back

if TYPE_CHECKING:
    from flowtrack.orchestration.engine.task_run import TaskRun

__all__ = ["RayTaskRunner"]


class RayTaskRunner(TaskRunner):
    def __init__(self, address: str | None = None, init_kwargs: dict[str, Any] | None = None) -> None:
        self.address = address
        self.init_kwargs = dict(init_kwargs or {})
        self._remote: Any = None
        self._started_ray = False
        self._lock = threading.Lock()  # upstream callbacks may start the first runs from several threads

    def _start(self, run: TaskRun, future: TaskFuture) -> None:
        sent = self._connect().remote(pickle_dumps(run))
        report_when_back(run, sent.future(), future, lambda: _ray_cancel(sent))

    def _connect(self) -> Any:
        with self._lock:
            if self._remote is None:
                self._remote = self._remote_entry()
            return self._remote

    def _remote_entry(self) -> Any:
        try:
            import ray
        except ImportError:
            raise MissingDependency("ray", "ray") from None
        from flowtrack.orchestration.engine.task_run import run_task_in_process

        if not ray.is_initialized():
            local = {"include_dashboard": False}
            options: dict[str, Any] = {"address": self.address} if self.address else local
            ray.init(**(options | self.init_kwargs))
            self._started_ray = True
        # flowtrack's own retries decide about a failed run; a Ray retry would run it twice unrecorded
        return ray.remote(max_retries=0)(run_task_in_process)

    def duplicate(self) -> Self:
        return type(self)(self.address, self.init_kwargs)

    def shutdown(self) -> None:
        with self._lock:
            started, self._started_ray, self._remote = self._started_ray, False, None
        if started:
            import ray

            ray.shutdown()


def _ray_cancel(sent: Any) -> None:
    import ray

    ray.cancel(sent)
