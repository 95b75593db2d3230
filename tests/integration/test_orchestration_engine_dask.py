"""The Dask task runner: task runs on a local dask.distributed cluster, with results, logs and states back."""

from __future__ import annotations

import os

import pytest

import flowtrack
from flowtrack.orchestration.entities import FlowRunFilter, StateType
from flowtrack.orchestration.states import State
from flowtrack.orchestration.stores.registry import get_orchestration_store
from flowtrack.orchestration.task_runners.dask import DaskTaskRunner


@flowtrack.task
def square_where(x: int) -> tuple[int, int]:
    flowtrack.get_run_logger().info("squaring %d", x)
    return x * x, os.getpid()


@flowtrack.task
def total(pairs: list[tuple[int, int]]) -> int:
    return sum(value for value, _ in pairs)


@flowtrack.task
def refuses() -> None:
    raise PermissionError("not on this cluster")


def test_a_local_dask_cluster_runs_tasks_in_its_workers() -> None:
    @flowtrack.flow(task_runner=DaskTaskRunner(cluster_kwargs={"n_workers": 1, "threads_per_worker": 2}))
    def on_dask() -> tuple[list[tuple[int, int]], int, State]:
        squares = square_where.map([1, 2, 3])
        summed = total.submit(squares)
        failing = refuses.submit()
        failing.wait()
        return squares.result(), summed.result(), failing.state

    squares, summed, failed = on_dask()
    assert [value for value, _ in squares] == [1, 4, 9]
    assert os.getpid() not in {pid for _, pid in squares}
    assert summed == 14
    assert failed.is_failed()
    with pytest.raises(PermissionError, match="not on this cluster"):
        failed.result()
    store = get_orchestration_store()
    (flow_run,) = store.list_flow_runs(FlowRunFilter(flow_names=("on_dask",)))
    runs = store.list_task_runs(flow_run.id)
    assert len(runs) == 5
    assert sorted(r.state_type for r in runs) == sorted([StateType.COMPLETED] * 4 + [StateType.FAILED])
    assert sorted(log.message for log in store.list_logs(flow_run.id)) == [
        "squaring 1",
        "squaring 2",
        "squaring 3",
    ]
    assert len(store.list_edges(flow_run.id)) == 3
