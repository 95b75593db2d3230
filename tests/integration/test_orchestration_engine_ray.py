"""The Ray task runner: task runs on a local Ray, with results, logs, states and tracked metrics back.

Ray starts once for the module (it is one per process and slow to start); every flow's runner finds it
running, uses it and leaves it running.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import ray

import flowtrack
from flowtrack.exceptions import MissingDependency
from flowtrack.lineage import flow, task
from flowtrack.orchestration.entities import FlowRunFilter, StateType
from flowtrack.orchestration.states import State
from flowtrack.orchestration.stores.registry import get_orchestration_store
from flowtrack.orchestration.task_runners.ray import RayTaskRunner
from tests.fixtures.remote_runners import Outcome, assert_it_all_came_back, squares_total_and_a_failure, total


@pytest.fixture(scope="module", autouse=True)
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def run_script(script: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """A flow in a process of its own (Ray allows one driver per process); it must succeed."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done


@task
def square_logged(x: int) -> int:
    flowtrack.log_metric("square", x * x, step=x)
    return x * x


@task
def dies() -> None:
    os._exit(3)  # the worker process dies without a word


@flow(task_runner=RayTaskRunner())
def on_ray() -> Outcome:
    return squares_total_and_a_failure()


@flow(task_runner=RayTaskRunner())
def logged_on_ray(n: int) -> int:
    return sum(square_logged.map(range(n)).result())


def test_tasks_run_in_ray_workers_and_their_states_and_logs_come_back() -> None:
    assert_it_all_came_back("on_ray", on_ray())
    assert ray.is_initialized()  # the runner did not start this Ray, so it left it running


def test_tasks_on_ray_log_metrics_to_the_flow_run(db_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWTRACK_TRACKING_URI", db_uri)
    monkeypatch.delenv("FLOWTRACK_API_URL", raising=False)
    flowtrack.set_tracking_uri(db_uri)
    assert logged_on_ray(3) == 5
    (flow_run,) = get_orchestration_store().list_flow_runs(FlowRunFilter(flow_names=("logged_on_ray",)))
    assert flow_run.tracking_run_id is not None
    history = flowtrack.Client().get_metric_history(flow_run.tracking_run_id, "square")
    assert sorted((point.step, point.value) for point in history) == [(0, 0.0), (1, 1.0), (2, 4.0)]


def test_a_task_run_whose_ray_worker_dies_is_crashed_and_the_flow_goes_on() -> None:
    @flow(task_runner=RayTaskRunner())
    def loses_a_worker() -> tuple[State, int]:
        lost = dies.submit()
        lost.wait()
        return lost.state, total.submit([(2, 0)]).result()

    lost, after = loses_a_worker()
    assert lost.type is StateType.CRASHED
    assert after == 2
    (flow_run,) = get_orchestration_store().list_flow_runs(FlowRunFilter(flow_names=("loses_a_worker",)))
    states = sorted(r.state_type for r in get_orchestration_store().list_task_runs(flow_run.id))
    assert states == sorted([StateType.CRASHED, StateType.COMPLETED])


def test_a_flow_in_another_process_joins_this_ray_by_address_and_leaves_it_running(tmp_path: Path) -> None:
    address = ray.get_runtime_context().gcs_address
    script = f"""
        import os
        import ray
        import flowtrack
        from flowtrack.orchestration.task_runners.ray import RayTaskRunner

        @flowtrack.task
        def where() -> int:
            return os.getpid()

        @flowtrack.flow(task_runner=RayTaskRunner(address={address!r}))
        def joins() -> tuple[int, str]:
            return where.submit().result(), ray.get_runtime_context().gcs_address

        pid, joined = joins()
        print(pid != os.getpid(), joined == {address!r}, ray.is_initialized())
    """
    done = run_script(script, tmp_path)
    assert done.stdout.split() == ["True", "True", "False"]
    assert ray.get_runtime_context().gcs_address == address

    @flow(task_runner=RayTaskRunner())
    def still_served() -> int:
        summed: int = total.submit([(3, 0)]).result()
        return summed

    assert still_served() == 3


def test_without_ray_installed_the_task_run_crashes_naming_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail as if it were not installed

    @flow(task_runner=RayTaskRunner())
    def needs_ray() -> State:
        future = total.submit([(1, 0)])
        future.wait()
        return future.state

    state = needs_ray()
    assert state.type is StateType.CRASHED
    with pytest.raises(MissingDependency, match=r"pip install 'flowtrack\[ray\]'") as error:
        state.result()
    assert (error.value.package, error.value.extra) == ("ray", "ray")


def test_without_a_running_ray_each_flow_run_starts_its_own_and_shuts_it_down(tmp_path: Path) -> None:
    """In a fresh process (this one's Ray is up): init_kwargs reach ray.init; tasks from __main__ run."""
    script = """
        import os
        import ray
        import flowtrack
        from flowtrack.orchestration.task_runners.ray import RayTaskRunner

        @flowtrack.task
        def where() -> int:
            return os.getpid()

        small = {"num_cpus": 1, "include_dashboard": False, "log_to_driver": False}

        @flowtrack.flow(task_runner=RayTaskRunner(init_kwargs=small))
        def on_own_ray() -> tuple[int, float]:
            return where.submit().result(), ray.cluster_resources()["CPU"]

        pid, cpus = on_own_ray()
        print(pid != os.getpid(), cpus, ray.is_initialized())
    """
    started = time.monotonic()
    done = run_script(script, tmp_path)
    assert done.stdout.split() == ["True", "1.0", "False"], (done.stdout, time.monotonic() - started)


def test_prints_of_a_log_prints_task_on_ray_are_stored_as_its_info_logs() -> None:
    # defined here, the task travels by value: its decoration never runs in the Ray worker
    @task(log_prints=True)
    def shouts(x: int) -> int:
        print("shouted", x)
        return x

    @flow(task_runner=RayTaskRunner())
    def prints_on_ray() -> list[int]:
        return shouts.map([1, 2]).result()

    assert prints_on_ray() == [1, 2]
    store = get_orchestration_store()
    (flow_run,) = store.list_flow_runs(FlowRunFilter(flow_names=("prints_on_ray",)))
    by_task = {run.id: run.name for run in store.list_task_runs(flow_run.id)}
    logs = store.list_logs(flow_run.id)
    assert sorted((by_task[log.task_run_id or ""], log.message, log.level) for log in logs) == [
        ("shouts-0", "shouted 1", logging.INFO),
        ("shouts-1", "shouted 2", logging.INFO),
    ]
