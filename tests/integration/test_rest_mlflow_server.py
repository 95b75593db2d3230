"""flowtrack's client against a real MLflow tracking server, when one is given (MLflow is never a dependency).

The ``mlflow_server`` fixture (tests/fixtures/mlflow.py) starts a real ``mlflow server`` from mlflow's own
virtualenv. Names are unique per test, so the server is shared by the whole session.
"""

from __future__ import annotations

import math
import uuid
from pathlib import Path

import pytest

import flowtrack as ft
from flowtrack.exceptions import (
    ExperimentAlreadyExists,
    NotFound,
    ParamOverwriteError,
    RunNotActive,
    RunNotFound,
)
from flowtrack.tracking.entities import Metric


@pytest.fixture
def experiment_id(mlflow_server: str) -> str:
    ft.set_tracking_uri(mlflow_server)
    return ft.set_experiment(f"flowtrack-{uuid.uuid4().hex[:12]}").experiment_id


def test_the_seed_calls_and_search(experiment_id: str, tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    for index, rmse in enumerate([0.3, 0.1, 0.7]):
        with ft.start_run(run_name=f"run-{index}") as run:
            ft.set_tag("developer", "ana")
            ft.log_param("max_depth", index)
            ft.log_metric("rmse", rmse, step=3)
            ft.log_metric("nan", math.nan)
            ft.log_artifact(str(notes), artifact_path="docs")
    stored = ft.get_run(run.info.run_id)
    assert stored.info.status == "FINISHED"
    assert stored.data.params == {"max_depth": "2"}
    assert math.isnan(stored.data.metrics["nan"])
    client = ft.Client()
    assert [info.path for info in client.list_artifacts(run.info.run_id, "docs")] == ["docs/notes.txt"]
    local = Path(client.download_artifacts(run.info.run_id, "docs/notes.txt", tmp_path / "out"))
    assert local.read_text() == "hello"
    best = client.search_runs([experiment_id], "metrics.rmse < 0.5", order_by=["metrics.rmse ASC"])
    assert [found.info.run_name for found in best] == ["run-1", "run-0"]
    named = ft.search_experiments(
        filter_string=f"attributes.name = '{ft.get_experiment(experiment_id).name}'"
    )
    assert [experiment.experiment_id for experiment in named] == [experiment_id]


def test_errors_and_paging(experiment_id: str) -> None:
    client = ft.Client()
    name = client.get_experiment(experiment_id).name
    with pytest.raises(ExperimentAlreadyExists):
        client.create_experiment(name)
    with pytest.raises(RunNotFound):
        client.get_run("f" * 32)
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "lr", 0.1)
    with pytest.raises(ParamOverwriteError):
        client.log_param(run_id, "lr", 0.2)
    with pytest.raises(NotFound):
        client.delete_tag(run_id, "never-set")
    for start in range(0, 26_000, 1000):
        client.log_batch(run_id, metrics=[Metric("big", float(s), 1, s) for s in range(start, start + 1000)])
    history = client.get_metric_history(run_id, "big")
    assert [point.step for point in history] == list(range(26_000))
    client.delete_run(run_id)
    with pytest.raises(RunNotActive):
        client.log_metric(run_id, "m", 1.0)
