"""A run's latest metrics keep their step and timestamp: in ``RunData.latest_metrics`` (embedded and over
REST, on every database) and in the server's ``runs/get`` / ``runs/search`` JSON, as MLflow sends them."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

import flowtrack as ft
from flowtrack.tracking.entities import Metric, RunData
from tests.fixtures.server import MlflowApi

BASE_TIME = 1_795_697_300_000
# Steps 0..5, logged out of order; the latest point is the one with the greatest step (then timestamp).
POINTS = [(step, BASE_TIME + 1000 * step, 1.0 - step / 10) for step in (3, 0, 5, 1, 4, 2)]
LATEST = Metric("loss", 0.5, BASE_TIME + 5000, 5)


@pytest.fixture
def tracking(tracking_uri: str) -> Iterator[str]:
    ft.set_tracking_uri(tracking_uri)
    yield tracking_uri
    while ft.active_run() is not None:
        ft.end_run()


def test_run_data_keeps_the_latest_point_of_each_metric(tracking: str) -> None:
    client = ft.Client()
    run_id = client.create_run("0").info.run_id
    for step, timestamp, value in POINTS:
        client.log_metric(run_id, "loss", value, timestamp=timestamp, step=step)
    client.log_batch(
        run_id,
        metrics=[Metric("acc", 0.7, BASE_TIME + 9, 2), Metric("acc", 0.9, BASE_TIME + 8, 2)],
    )
    client.log_metric(run_id, "inf", math.inf, timestamp=BASE_TIME + 77, step=7)

    data = client.get_run(run_id).data
    assert data.latest_metrics["loss"] == LATEST
    # same step: the later timestamp wins, whatever its value
    assert data.latest_metrics["acc"] == Metric("acc", 0.7, BASE_TIME + 9, 2)
    assert data.latest_metrics["inf"] == Metric("inf", math.inf, BASE_TIME + 77, 7)
    assert data.metrics == {"loss": 0.5, "acc": 0.7, "inf": math.inf}

    found = client.search_runs(["0"], "metrics.loss < 1")
    assert [run.data.latest_metrics["loss"] for run in found] == [LATEST]


def test_fluent_runs_see_step_and_timestamp(tracking: str) -> None:
    with ft.start_run() as run:
        for step, timestamp, value in POINTS:
            ft.log_metric("loss", value, step=step, timestamp=timestamp)
    stored = ft.get_run(run.info.run_id)
    assert stored.data.latest_metrics == {"loss": LATEST}
    assert stored.data.metrics == {"loss": 0.5}


def test_run_data_without_metrics() -> None:
    data = RunData(params={"a": "1"})
    assert data.latest_metrics == {}
    assert data.metrics == {}


def test_server_json_has_each_latest_metrics_timestamp_and_step(mlflow_api: MlflowApi) -> None:
    experiment_id = mlflow_api.create_experiment()
    run_id = mlflow_api.create_run(experiment_id)["info"]["run_id"]
    for step, timestamp, value in POINTS:
        body = {"run_id": run_id, "key": "loss", "value": value, "timestamp": timestamp, "step": step}
        mlflow_api.ok(mlflow_api.post("runs/log-metric", body))
    expected = [{"key": "loss", "value": 0.5, "timestamp": BASE_TIME + 5000, "step": 5}]

    got = mlflow_api.ok(mlflow_api.get("runs/get", run_id=run_id))["run"]["data"]["metrics"]
    assert got == expected
    searched = mlflow_api.ok(mlflow_api.post("runs/search", {"experiment_ids": [experiment_id]}))
    assert [run["data"]["metrics"] for run in searched["runs"]] == [expected]


def test_rest_store_reads_a_real_mlflow_servers_latest_metrics(mlflow_server: str) -> None:
    """The REST store parses MLflow's own ``runs/get`` JSON into latest points with step and timestamp."""
    client = ft.Client(mlflow_server)
    run_id = client.create_run("0").info.run_id
    for step, timestamp, value in POINTS:
        client.log_metric(run_id, "loss", value, timestamp=timestamp, step=step)
    assert client.get_run(run_id).data.latest_metrics == {"loss": LATEST}
