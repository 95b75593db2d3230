"""Concurrent writers against one tracking server: nothing lost, nothing duplicated.

Eight processes (``multiprocessing``, spawn context) start together behind a barrier and each logs 1,000
metric points through flowtrack's own client (``flowtrack.Client`` with the server URL as tracking URI), in 10
``log_batch`` calls of 100 points. Then every point is read back with ``get_metric_history``. Runs on a server
on SQLite and on PostgreSQL.

The writers do not retry (``FLOWTRACK_HTTP_MAX_RETRIES=0``): each batch is sent exactly once, so a refused or
failed request shows up as a failure here instead of being hidden by the client's retries, and a duplicated
point can only come from the server.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import time
import traceback
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.databases import _database, _Servers
from tests.fixtures.server import MlflowApi, RunningServer, running_server

CONCURRENCY_BACKENDS = ("sqlite", "postgresql")
WORKERS = 8
BATCHES = 10
BATCH_SIZE = 100
POINTS = BATCHES * BATCH_SIZE
BASE_TIMESTAMP = 1_700_000_000_000
JOIN_TIMEOUT_S = 120


def point_value(worker: int, step: int) -> float:
    """A value unique to (worker, step), exact in binary floating point."""
    return worker * 10_000 + step + 0.25


def write_points(
    url: str, run_id: str, key: str, worker: int, barrier: Any, results: Any, same_points: bool
) -> None:
    """One writer process: wait for the others, then send 10 batches of 100 points (no retries)."""
    os.environ["FLOWTRACK_HTTP_MAX_RETRIES"] = "0"
    try:
        import flowtrack
        from flowtrack.entities import Metric

        client = flowtrack.Client(url)
        source = 0 if same_points else worker
        batches = [
            [
                Metric(key, point_value(source, step), BASE_TIMESTAMP + step, step)
                for step in range(batch * BATCH_SIZE, (batch + 1) * BATCH_SIZE)
            ]
            for batch in range(BATCHES)
        ]
        barrier.wait(timeout=60)
        started = time.perf_counter()
        for metrics in batches:
            client.log_batch(run_id, metrics=metrics)
        results.put((worker, None, time.perf_counter() - started))
    except Exception:  # noqa: BLE001 - reported to the parent, which fails the test with it
        results.put((worker, traceback.format_exc(), 0.0))


@pytest.fixture(scope="module", params=CONCURRENCY_BACKENDS)
def server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, database_servers: _Servers
) -> Iterator[RunningServer]:
    """One flowtrack server (default options: one worker process) on SQLite or PostgreSQL."""
    folder = tmp_path_factory.mktemp(f"concurrency-{request.param}")
    databases = _database(request.param, folder, database_servers, empty=False)
    uri = next(databases)
    try:
        with running_server(
            uri, folder / "artifacts", env={"FLOWTRACK_HOME": str(folder / "home")}
        ) as running:
            yield running
    finally:
        next(databases, None)


@pytest.fixture(scope="module")
def api(server: RunningServer) -> Iterator[MlflowApi]:
    client = MlflowApi(server.url)
    yield client
    client.close()


def run_writers(server: RunningServer, targets: list[tuple[str, str]], *, same_points: bool = False) -> None:
    """Start one process per (run_id, key) target, all released at once; fail on any writer's error."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(len(targets))
    results = context.Queue()
    processes = [
        context.Process(
            target=write_points,
            args=(server.url, run_id, key, worker, barrier, results, same_points),
            name=f"writer-{worker}",
        )
        for worker, (run_id, key) in enumerate(targets)
    ]
    for process in processes:
        process.start()
    reports: dict[int, tuple[str | None, float]] = {}
    deadline = time.monotonic() + JOIN_TIMEOUT_S
    try:
        while len(reports) < len(processes) and time.monotonic() < deadline:
            try:
                worker, error, seconds = results.get(timeout=1)
            except queue.Empty:
                if all(process.exitcode is not None for process in processes) and results.empty():
                    break
                continue
            reports[worker] = (error, seconds)
    finally:
        for process in processes:
            process.join(timeout=10)
            if process.is_alive():
                process.kill()
                process.join(timeout=10)
    missing = [worker for worker in range(len(processes)) if worker not in reports]
    errors = {worker: error for worker, (error, _) in reports.items() if error}
    assert not missing, f"writers {missing} never reported (exit codes {[p.exitcode for p in processes]})"
    assert not errors, "\n".join(f"writer {worker}:\n{error}" for worker, error in errors.items()) + (
        f"\nserver log:\n{server.stderr()[-6000:]}"
    )


def history(api: MlflowApi, run_id: str, key: str) -> list[tuple[int, float, int]]:
    """Every point of the metric as (step, value, timestamp), read page by page like the mlflow client."""
    points: list[tuple[int, float, int]] = []
    token = None
    for _ in range(100):
        params: dict[str, Any] = {"run_id": run_id, "metric_key": key, "max_results": 300}
        if token:
            params["page_token"] = token
        page = api.ok(api.get("metrics/get-history", **params))
        points.extend(
            (int(m.get("step", 0)), float(m["value"]), int(m["timestamp"])) for m in page["metrics"]
        )
        token = page.get("next_page_token")
        if not token:
            return points
    pytest.fail(f"get-history of {key} never stopped paging")


def expected_points(worker: int) -> list[tuple[int, float, int]]:
    return [(step, point_value(worker, step), BASE_TIMESTAMP + step) for step in range(POINTS)]


def assert_exact(
    found: list[tuple[int, float, int]], expected: list[tuple[int, float, int]], what: str
) -> None:
    duplicated = len(found) - len(set(found))
    lost = sorted(set(expected) - set(found))
    foreign = sorted(set(found) - set(expected))
    assert (duplicated, lost[:5], foreign[:5]) == (0, [], []), (
        f"{what}: {len(found)} points read back for {len(expected)} written; {duplicated} duplicated, "
        f"{len(lost)} lost (first {lost[:5]}), {len(foreign)} unexpected (first {foreign[:5]})"
    )
    assert found == sorted(found), f"{what}: get-history is not in step order"


def new_experiment(api: MlflowApi) -> str:
    return api.create_experiment(f"concurrency-{uuid.uuid4().hex[:12]}")


def test_eight_writers_each_into_its_own_run(server: RunningServer, api: MlflowApi) -> None:
    experiment_id = new_experiment(api)
    run_ids = [
        api.create_run(experiment_id, run_name=f"w{worker}")["info"]["run_id"] for worker in range(WORKERS)
    ]
    run_writers(server, [(run_id, "loss") for run_id in run_ids])
    for worker, run_id in enumerate(run_ids):
        assert_exact(history(api, run_id, "loss"), expected_points(worker), f"run of writer {worker}")
        run = api.ok(api.get("runs/get", run_id=run_id))["run"]
        latest = {m["key"]: (m["value"], m.get("step", 0)) for m in run["data"]["metrics"]}
        assert latest == {"loss": (point_value(worker, POINTS - 1), POINTS - 1)}


def test_eight_writers_into_one_shared_run(server: RunningServer, api: MlflowApi) -> None:
    experiment_id = new_experiment(api)
    run_id = api.create_run(experiment_id, run_name="shared")["info"]["run_id"]
    keys = [f"metric_{worker}" for worker in range(WORKERS)]
    run_writers(server, [(run_id, key) for key in keys])
    for worker, key in enumerate(keys):
        assert_exact(history(api, run_id, key), expected_points(worker), f"key {key}")
    run = api.ok(api.get("runs/get", run_id=run_id))["run"]
    latest = {m["key"]: (m["value"], m.get("step", 0)) for m in run["data"]["metrics"]}
    assert latest == {key: (point_value(worker, POINTS - 1), POINTS - 1) for worker, key in enumerate(keys)}


def test_eight_writers_resending_the_same_points(server: RunningServer, api: MlflowApi) -> None:
    """All eight send the same 1,000 points to one run and key, as retries after a lost response would:
    every request succeeds and each point is stored once (MLflow ignores a metric point it already has)."""
    experiment_id = new_experiment(api)
    run_id = api.create_run(experiment_id, run_name="resent")["info"]["run_id"]
    run_writers(server, [(run_id, "loss")] * WORKERS, same_points=True)
    assert_exact(history(api, run_id, "loss"), expected_points(0), "resent points")
