"""The Dask task runner: task runs on a local dask.distributed cluster, with results, logs and states back."""

from __future__ import annotations

import logging
import threading
import time

import flowtrack
from flowtrack.orchestration.client import OrchestrationClient
from flowtrack.orchestration.entities import FlowRunFilter, StateType
from flowtrack.orchestration.stores.registry import get_orchestration_store
from flowtrack.orchestration.task_runners.dask import DaskTaskRunner
from tests.fixtures.remote_runners import Outcome, assert_it_all_came_back, squares_total_and_a_failure


def test_a_local_dask_cluster_runs_tasks_in_its_workers() -> None:
    @flowtrack.flow(task_runner=DaskTaskRunner(cluster_kwargs={"n_workers": 1, "threads_per_worker": 2}))
    def on_dask() -> Outcome:
        return squares_total_and_a_failure()

    assert_it_all_came_back("on_dask", on_dask())


@flowtrack.task
def measured(x: int) -> int:
    flowtrack.get_run_logger().info("measuring %d", x)
    flowtrack.log_metric("measured", float(x * 10), step=x)
    return x * 10


def test_a_cluster_given_by_its_scheduler_address_runs_tasks_and_is_left_running() -> None:
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=2, dashboard_address=None) as cluster:  # type: ignore[no-untyped-call]
        address = cluster.scheduler_address

        @flowtrack.flow(task_runner=DaskTaskRunner(address=address))
        def on_cluster() -> list[int]:
            flowtrack.get_run_logger().info("sending to %s", address)
            return measured.map([1, 2, 3]).result()

        assert on_cluster() == [10, 20, 30]
        store = get_orchestration_store()
        (flow_run,) = store.list_flow_runs(FlowRunFilter(flow_names=("on_cluster",)))
        assert flow_run.state_type is StateType.COMPLETED
        task_runs = store.list_task_runs(flow_run.id)
        assert [run.state_type for run in task_runs] == [StateType.COMPLETED] * 3
        assert sorted(log.message for log in store.list_logs(flow_run.id)) == [
            "measuring 1",
            "measuring 2",
            "measuring 3",
            f"sending to {address}",
        ]
        assert {log.task_run_id for log in store.list_logs(flow_run.id) if "measuring" in log.message} == {
            run.id for run in task_runs
        }
        assert flow_run.tracking_run_id is not None
        history = flowtrack.Client().get_metric_history(flow_run.tracking_run_id, "measured")
        assert sorted((m.step, m.value) for m in history) == [(1, 10.0), (2, 20.0), (3, 30.0)]
        # the runner closed only its own client: the cluster and its worker are still there
        assert cluster.status.name == "running"
        with Client(address) as check:  # type: ignore[no-untyped-call]
            assert len(check.scheduler_info()["workers"]) == 1
            assert check.submit(sum, [1, 2]).result() == 3


def test_prints_of_a_log_prints_task_on_a_cluster_by_address_are_stored_as_its_info_logs() -> None:
    from distributed import LocalCluster

    # defined here, the task travels by value: its decoration never runs in the cluster's worker process
    @flowtrack.task(log_prints=True)
    def shouts(x: int) -> int:
        print("shouted", x)
        return x

    with LocalCluster(n_workers=1, threads_per_worker=2, dashboard_address=None) as cluster:  # type: ignore[no-untyped-call]

        @flowtrack.flow(task_runner=DaskTaskRunner(address=cluster.scheduler_address))
        def prints_on_cluster() -> list[int]:
            return shouts.map([1, 2]).result()

        assert prints_on_cluster() == [1, 2]
    store = get_orchestration_store()
    (flow_run,) = store.list_flow_runs(FlowRunFilter(flow_names=("prints_on_cluster",)))
    by_task = {run.id: run.name for run in store.list_task_runs(flow_run.id)}
    logs = store.list_logs(flow_run.id)
    assert sorted((by_task[log.task_run_id or ""], log.message, log.level) for log in logs) == [
        ("shouts-0", "shouted 1", logging.INFO),
        ("shouts-1", "shouted 2", logging.INFO),
    ]


@flowtrack.task
def lingers(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_cancelled_flow_gives_its_dask_task_runs_up() -> None:
    @flowtrack.flow(task_runner=DaskTaskRunner(cluster_kwargs={"n_workers": 1, "threads_per_worker": 1}))
    def on_dask_cancelled() -> None:
        lingers.submit(60).result()

    outcome: list[BaseException] = []

    def run() -> None:
        try:
            on_dask_cancelled()
        except BaseException as exc:  # noqa: BLE001 - the cancellation is what the test checks
            outcome.append(exc)

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    client = OrchestrationClient()
    deadline = time.monotonic() + 60
    while not (runs := client.read_flow_runs(flow_name="on_dask_cancelled", state="running")):
        assert time.monotonic() < deadline, "the flow run never showed up RUNNING"
        time.sleep(0.05)
    while not client.read_task_runs(runs[0].id):
        assert time.monotonic() < deadline, "the task run was never submitted"
        time.sleep(0.05)
    asked = time.monotonic()
    client.cancel_flow_run(runs[0].id)
    worker.join(30)
    assert not worker.is_alive()
    assert time.monotonic() - asked < 15  # not the 60 s the task body would take
    assert [type(exc).__name__ for exc in outcome] == ["FlowRunCancelled"]
    assert client.read_flow_run(runs[0].id).state_type is StateType.CANCELLED
    assert [run.state_type for run in client.read_task_runs(runs[0].id)] == [StateType.CANCELLED]
