"""A Dask task runner (``pip install 'flowtrack[dask]'``): task runs on a ``dask.distributed`` cluster.

Without an address each flow run starts a temporary local cluster (worker processes on this machine) and
closes it at the end; with ``address="tcp://scheduler:8786"`` task runs go to that cluster's workers, which
must have flowtrack installed. Task runs travel as the process pool's do: cloudpickled, with their hook
context, and their records come back with their final state.

Cancelling the flow run gives its task runs up (CANCELLED at once) and cancels their Dask futures; Dask does
not interrupt a function already running in a worker, so on an external cluster such a body runs on to its
end (a temporary local cluster is closed with the flow run).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Self

from flowtrack.exceptions import MissingDependency
from flowtrack.orchestration.futures import TaskFuture
from flowtrack.orchestration.results import pickle_dumps
from flowtrack.orchestration.task_runners.base import TaskRunner
from flowtrack.orchestration.task_runners.processes import report_when_back

if TYPE_CHECKING:
    from flowtrack.orchestration.engine.task_run import TaskRun

__all__ = ["DaskTaskRunner"]


class DaskTaskRunner(TaskRunner):
    def __init__(
        self,
        address: str | None = None,
        cluster_kwargs: dict[str, Any] | None = None,
        client_kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.address = address
        self.cluster_kwargs = dict(cluster_kwargs or {})
        self.client_kwargs = dict(client_kwargs or {})
        self._client: Any = None
        self._cluster: Any = None

    def _start(self, run: TaskRun, future: TaskFuture) -> None:
        from flowtrack.orchestration.engine.task_run import run_task_in_process

        sent = self._connect().submit(run_task_in_process, pickle_dumps(run), pure=False)
        report_when_back(run, sent, future, sent.cancel)

    def _connect(self) -> Any:
        if self._client is not None:
            return self._client
        try:
            from distributed import Client, LocalCluster
        except ImportError:
            raise MissingDependency("distributed", "dask") from None
        if self.address is not None:
            self._client = Client(self.address, **self.client_kwargs)  # type: ignore[no-untyped-call]
        else:
            options = {"dashboard_address": None, "n_workers": 2, "threads_per_worker": 1}
            self._cluster = LocalCluster(**(options | self.cluster_kwargs))  # type: ignore[no-untyped-call]
            self._client = Client(self._cluster, **self.client_kwargs)  # type: ignore[no-untyped-call]
        return self._client

    def duplicate(self) -> Self:
        return type(self)(self.address, self.cluster_kwargs, self.client_kwargs)

    def shutdown(self) -> None:
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
