"""The tracking link: a flow run is a tracked run, on every database.

Each test points tracking (and so orchestration) at a database of its own; flows log from their body and from
tasks on threads and on worker processes, and the test reads both sides back.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

import flowtrack
from flowtrack.lineage import FLOW_RUN_ID_TAG, flow, task
from flowtrack.orchestration.client import OrchestrationClient
from flowtrack.orchestration.entities import FlowRunFilter, FlowRunRecord, StateType
from flowtrack.orchestration.stores.registry import get_orchestration_store
from flowtrack.orchestration.task_runners.dask import DaskTaskRunner
from flowtrack.orchestration.task_runners.processes import ProcessPoolTaskRunner
from flowtrack.tracking.entities import Run, RunStatus


@pytest.fixture(autouse=True)
def tracking_db(db_uri: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FLOWTRACK_TRACKING_URI", db_uri)
    monkeypatch.delenv("FLOWTRACK_API_URL", raising=False)
    flowtrack.set_tracking_uri(db_uri)
    return db_uri


@task
def square(x: int) -> int:
    flowtrack.log_metric("square", x * x, step=x)
    return x * x


@flow(experiment="lineage-tests")
def inner(scale: float) -> float:
    flowtrack.log_metric("scale", scale)
    return scale * 2


@flow
def outer(n: int = 3, label: str = "base") -> int:
    total = sum(square.map(range(n)).result())
    flowtrack.log_metric("total", total)
    inner(0.5)
    return total


@flow
def plain_child() -> None:
    flowtrack.log_metric("child", 1.0)


@flow
def plain_parent() -> None:
    plain_child()


@flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
def in_processes(n: int) -> int:
    return sum(square.map(range(n)).result())


@flow(task_runner=DaskTaskRunner(cluster_kwargs={"n_workers": 1, "threads_per_worker": 2}))
def on_dask(n: int) -> int:
    return sum(square.map(range(n)).result())


@flow
def broken(reason: str) -> None:
    flowtrack.log_metric("before", 1.0)
    raise RuntimeError(reason)


@task
def nap() -> None:
    time.sleep(0.1)


@flow
def long_flow() -> None:
    for _ in range(600):
        nap()


def flow_runs(name: str) -> list[FlowRunRecord]:
    return get_orchestration_store().list_flow_runs(FlowRunFilter(flow_names=(name,)))


def tracked(flow_run: FlowRunRecord) -> Run:
    assert flow_run.tracking_run_id is not None
    return flowtrack.get_run(flow_run.tracking_run_id)


def test_a_flow_run_is_a_tracked_run_with_its_params_and_metrics() -> None:
    assert outer(4) == 14
    [flow_run] = flow_runs("outer")
    run = tracked(flow_run)
    assert run.info.status == RunStatus.FINISHED
    assert run.data.params == {"n": "4", "label": "base"}
    assert run.data.tags[FLOW_RUN_ID_TAG] == flow_run.id  # each points at the other
    assert run.data.metrics == {"square": 9.0, "total": 14.0}  # tasks on the thread pool log to it too
    experiment = flowtrack.get_experiment(run.info.experiment_id)
    assert experiment.name == "outer"  # by default, an experiment named after the flow
    history = flowtrack.Client().get_metric_history(run.info.run_id, "square")
    assert sorted(point.step for point in history) == [0, 1, 2, 3]


def test_a_subflow_gets_a_nested_run_in_its_own_experiment() -> None:
    outer(2)
    [parent] = flow_runs("outer")
    [child] = flow_runs("inner")
    assert child.parent_flow_run_id == parent.id
    child_run = tracked(child)
    assert child_run.data.tags["mlflow.parentRunId"] == parent.tracking_run_id
    assert child_run.data.tags[FLOW_RUN_ID_TAG] == child.id
    assert child_run.data.metrics == {"scale": 0.5}
    assert child_run.data.params == {"scale": "0.5"}
    assert flowtrack.get_experiment(child_run.info.experiment_id).name == "lineage-tests"
    assert "scale" not in tracked(parent).data.metrics


def test_a_subflow_without_an_experiment_of_its_own_nests_in_its_parents() -> None:
    plain_parent()
    [parent] = flow_runs("plain_parent")
    [child] = flow_runs("plain_child")
    parent_run, child_run = tracked(parent), tracked(child)
    assert child_run.info.experiment_id == parent_run.info.experiment_id
    assert flowtrack.get_experiment(parent_run.info.experiment_id).name == "plain_parent"
    assert child_run.data.tags["mlflow.parentRunId"] == parent_run.info.run_id
    assert child_run.data.metrics == {"child": 1.0}
    assert flowtrack.get_experiment_by_name("plain_child") is None


def test_tasks_on_worker_processes_log_to_the_flow_run() -> None:
    assert in_processes(3) == 5
    [flow_run] = flow_runs("in_processes")
    run = tracked(flow_run)
    assert run.data.metrics == {"square": 4.0}
    history = flowtrack.Client().get_metric_history(run.info.run_id, "square")
    assert sorted(point.value for point in history) == [0.0, 1.0, 4.0]


def test_tasks_on_dask_workers_log_to_the_flow_run() -> None:
    assert on_dask(3) == 5
    [flow_run] = flow_runs("on_dask")
    run = tracked(flow_run)
    history = flowtrack.Client().get_metric_history(run.info.run_id, "square")
    assert sorted(point.value for point in history) == [0.0, 1.0, 4.0]


def test_a_failed_flow_leaves_a_failed_run() -> None:
    state: Any = broken("bad data", return_state=True)
    assert state.type is StateType.FAILED
    [flow_run] = flow_runs("broken")
    assert flow_run.state_type is StateType.FAILED
    run = tracked(flow_run)
    assert run.info.status == RunStatus.FAILED
    assert run.data.metrics == {"before": 1.0}
    with pytest.raises(RuntimeError, match="again"):
        broken("again")
    assert {tracked(r).info.status for r in flow_runs("broken")} == {RunStatus.FAILED}


def test_a_flow_called_in_an_active_run_joins_it_and_leaves_it_open() -> None:
    with flowtrack.start_run(run_name="by hand") as active:
        outer(2)
        flowtrack.log_metric("after", 1.0)
    [flow_run] = flow_runs("outer")
    assert flow_run.tracking_run_id == active.info.run_id
    run = flowtrack.get_run(active.info.run_id)
    assert run.data.metrics == {"square": 1.0, "total": 1.0, "after": 1.0}
    assert run.data.tags[FLOW_RUN_ID_TAG] == flow_run.id
    assert run.info.status == RunStatus.FINISHED  # ended by the with block, not by the flow
    [child] = flow_runs("inner")
    assert tracked(child).data.tags["mlflow.parentRunId"] == active.info.run_id


def test_no_run_stays_active_after_a_flow() -> None:
    outer(1)
    assert flowtrack.active_run() is None


def test_set_tracking_uri_steers_where_flow_runs_are_recorded(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("FLOWTRACK_TRACKING_URI")
    elsewhere = f"sqlite:///{tmp_path / 'elsewhere.db'}"
    flowtrack.set_tracking_uri(elsewhere)
    outer(1)
    [flow_run] = OrchestrationClient(elsewhere).read_flow_runs(flow_name="outer")
    assert flowtrack.Client(elsewhere).get_run(str(flow_run.tracking_run_id)).data.params["n"] == "1"


def test_a_flow_cancelled_from_outside_leaves_a_killed_run() -> None:
    ended: list[BaseException | None] = []

    def run() -> None:
        try:
            long_flow()
            ended.append(None)
        except BaseException as exc:  # noqa: BLE001 - the cancellation itself is what the test checks
            ended.append(exc)

    worker = threading.Thread(target=run)
    worker.start()
    client = OrchestrationClient()
    deadline = time.monotonic() + 30
    while not (running := client.read_flow_runs(flow_name="long_flow", state="running")):
        assert time.monotonic() < deadline, "the flow never showed up RUNNING"
        time.sleep(0.05)
    assert client.cancel_flow_run(running[0].id, "enough").state_type is StateType.CANCELLING
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert len(ended) == 1
    assert type(ended[0]).__name__ == "FlowRunCancelled"
    cancelled = client.read_flow_run(running[0].id)
    assert cancelled.state_type is StateType.CANCELLED
    assert tracked(cancelled).info.status == RunStatus.KILLED
