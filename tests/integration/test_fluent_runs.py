"""The fluent API end to end on every database, embedded and through a server: the seed's calls, run
lifecycle, nesting and resuming."""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import Path

import pytest

import flowtrack as ft
from flowtrack.exceptions import (
    InvalidArgument,
    ParamOverwriteError,
    RunAlreadyActive,
    RunNotFound,
)


@pytest.fixture
def tracking(tracking_uri: str) -> Iterator[str]:
    ft.set_tracking_uri(tracking_uri)
    yield tracking_uri
    while ft.active_run() is not None:
        ft.end_run()


def test_seed_calls_record_everything(tracking: str, tmp_path: Path) -> None:
    preprocessor = tmp_path / "preprocessor.pkl"
    preprocessor.write_bytes(b"pickled")
    experiment = ft.set_experiment("taxi-duration")
    with ft.start_run(run_name="rf") as run:
        ft.set_tag("developer", "ana")
        ft.log_param("max_depth", 10)
        ft.log_metric("rmse", 5.2, step=3)
        ft.log_artifact(str(preprocessor), artifact_path="preprocessor")
    stored = ft.get_run(run.info.run_id)
    assert stored.info.experiment_id == experiment.experiment_id
    assert stored.info.run_name == "rf"
    assert stored.info.status == "FINISHED"
    assert stored.info.end_time is not None
    assert stored.info.end_time >= stored.info.start_time
    assert stored.data.params == {"max_depth": "10"}
    assert stored.data.metrics == {"rmse": 5.2}
    assert stored.data.tags["developer"] == "ana"
    assert stored.data.tags["mlflow.runName"] == "rf"
    history = ft.Client().get_metric_history(run.info.run_id, "rmse")
    assert [(m.step, m.value) for m in history] == [(3, 5.2)]
    listed = {info.path for info in ft.Client().list_artifacts(run.info.run_id, "preprocessor")}
    assert listed == {"preprocessor/preprocessor.pkl"}


def test_set_experiment_reuses_existing_experiment(tracking: str) -> None:
    first = ft.set_experiment("reused")
    second = ft.set_experiment("reused")
    assert first.experiment_id == second.experiment_id
    assert ft.get_experiment_by_name("reused") == second


def test_exception_in_block_fails_run_and_propagates(tracking: str) -> None:
    def fail_inside_run() -> str:
        with ft.start_run() as run:
            ft.log_param("a", 1)
            _ = 1 / 0
        return run.info.run_id

    with pytest.raises(ZeroDivisionError):
        fail_inside_run()
    run = ft.last_active_run()
    assert run is not None
    assert ft.get_run(run.info.run_id).info.status == "FAILED"
    assert ft.active_run() is None


def test_keyboard_interrupt_kills_run(tracking: str) -> None:
    with pytest.raises(KeyboardInterrupt), ft.start_run() as run:
        raise KeyboardInterrupt
    assert ft.get_run(run.info.run_id).info.status == "KILLED"


def test_nested_runs_point_at_parent(tracking: str) -> None:
    with ft.start_run(run_name="parent") as parent:
        with ft.start_run(run_name="child", nested=True) as child:
            assert ft.active_run() is not None
            assert ft.active_run().info.run_id == child.info.run_id  # type: ignore[union-attr]
        assert ft.active_run().info.run_id == parent.info.run_id  # type: ignore[union-attr]
    stored_child = ft.get_run(child.info.run_id)
    assert stored_child.data.tags["mlflow.parentRunId"] == parent.info.run_id
    assert "mlflow.parentRunId" not in ft.get_run(parent.info.run_id).data.tags


def test_a_child_run_goes_to_its_parents_experiment_unless_one_was_chosen(tracking: str) -> None:
    elsewhere = ft.create_experiment("elsewhere")
    with ft.start_run(experiment_id=elsewhere), ft.start_run(nested=True) as child:
        pass
    assert ft.get_run(child.info.run_id).info.experiment_id == elsewhere
    chosen = ft.set_experiment("chosen").experiment_id
    with ft.start_run(experiment_id=elsewhere), ft.start_run(nested=True) as child:
        pass
    assert ft.get_run(child.info.run_id).info.experiment_id == chosen


def test_runs_started_inside_a_flows_tasks_show_under_the_flows_run(tracking: str) -> None:
    @ft.task
    def train(name: str) -> str:
        with ft.start_run(run_name=name, nested=True) as run:
            ft.log_metric("score", len(name))
            return run.info.run_id

    @ft.flow(experiment="tuning")
    def tune(names: list[str]) -> tuple[str, list[str]]:
        active = ft.active_run()
        assert active is not None
        return active.info.run_id, [future.result() for future in train.map(names)]

    flow_run_id, child_ids = tune(["a", "bb"])
    tuning = ft.get_experiment_by_name("tuning")
    assert tuning is not None
    for child_id in child_ids:
        child = ft.get_run(child_id)
        assert child.info.experiment_id == tuning.experiment_id
        assert child.data.tags["mlflow.parentRunId"] == flow_run_id


def test_second_run_without_nested_is_refused(tracking: str) -> None:
    with ft.start_run() as run:
        with pytest.raises(RunAlreadyActive, match=run.info.run_id):
            ft.start_run()
        assert ft.active_run().info.run_id == run.info.run_id  # type: ignore[union-attr]


def test_resume_run_by_id_appends_history(tracking: str) -> None:
    with ft.start_run() as run:
        ft.log_metric("loss", 1.0, step=0)
    with ft.start_run(run_id=run.info.run_id) as resumed:
        assert resumed.info.status == "RUNNING"
        ft.log_metric("loss", 0.5, step=1)
    history = ft.Client().get_metric_history(run.info.run_id, "loss")
    assert [(m.step, m.value) for m in history] == [(0, 1.0), (1, 0.5)]
    assert ft.get_run(run.info.run_id).info.status == "FINISHED"


def test_logging_without_a_run_starts_one(tracking: str) -> None:
    ft.log_metric("auto", 1.5)
    active = ft.active_run()
    assert active is not None
    ft.end_run()
    assert ft.last_active_run() is not None
    assert ft.last_active_run().data.metrics == {"auto": 1.5}  # type: ignore[union-attr]


def test_batches_and_description(tracking: str) -> None:
    params = {f"p{i}": i for i in range(150)}
    with ft.start_run(description="trying things", tags={"team": "core"}) as run:
        ft.log_params(params)
        ft.log_metrics({"a": 1.0, "b": 2.0}, step=4)
        ft.set_tags({"x": "1", "y": 2})
        ft.delete_tag("x")
    data = ft.get_run(run.info.run_id).data
    assert data.params == {key: str(value) for key, value in params.items()}
    assert data.metrics == {"a": 1.0, "b": 2.0}
    assert data.tags["y"] == "2"
    assert "x" not in data.tags
    assert data.tags["team"] == "core"
    assert data.tags["mlflow.note.content"] == "trying things"


def test_non_finite_metrics_round_trip(tracking: str) -> None:
    with ft.start_run() as run:
        ft.log_metric("nan", math.nan)
        ft.log_metric("pinf", math.inf)
        ft.log_metric("ninf", -math.inf)
    metrics = ft.get_run(run.info.run_id).data.metrics
    assert math.isnan(metrics["nan"])
    assert metrics["pinf"] == math.inf
    assert metrics["ninf"] == -math.inf


def test_bad_input_names_the_field_and_writes_nothing(tracking: str) -> None:
    with ft.start_run() as run:
        ft.log_param("lr", 0.1)
        with pytest.raises(InvalidArgument) as bad_metric:
            ft.log_metric("rmse", "abc")  # type: ignore[arg-type]
        assert bad_metric.value.field == "metrics.rmse.value"
        with pytest.raises(InvalidArgument) as empty_key:
            ft.log_param("", 1)
        assert empty_key.value.field == "param.key"
        with pytest.raises(InvalidArgument) as long_key:
            ft.set_tag("k" * 251, "v")
        assert long_key.value.field == "tag.key"
        with pytest.raises(ParamOverwriteError, match="lr"):
            ft.log_params({"new": 1, "lr": 0.2})
    data = ft.get_run(run.info.run_id).data
    assert data.params == {"lr": "0.1"}
    assert "rmse" not in data.metrics


def test_unknown_run_is_reported(tracking: str) -> None:
    with pytest.raises(RunNotFound):
        ft.log_metric("x", 1.0, run_id="0" * 32)
    with pytest.raises(RunNotFound):
        ft.get_run("f" * 32)
