"""SqlTrackingStore logged models (MLflow 3) on every database: create, finalize, tags, params, delete,
search, run outputs and model metrics."""

from __future__ import annotations

import dataclasses
import math
import re

import pytest

from flowtrack.exceptions import (
    ExperimentNotActive,
    ExperimentNotFound,
    InvalidArgument,
    LoggedModelNotFound,
    NotFound,
    ParamOverwriteError,
    RunNotActive,
    RunNotFound,
)
from flowtrack.tracking import search
from flowtrack.tracking.entities import LifecycleStage, LoggedModelOutput, Param, RunOutputs, RunTag, ViewType
from flowtrack.tracking.logged_models import (
    DatasetFilter,
    LoggedModel,
    LoggedModelMetric,
    LoggedModelStatus,
)
from flowtrack.tracking.stores.sql.store import SqlTrackingStore

MODEL_ID = re.compile(r"m-[0-9a-f]{32}")


def create(
    store: SqlTrackingStore,
    experiment_id: str,
    name: str | None = "model",
    run_id: str | None = None,
    tags: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
    model_type: str | None = None,
) -> LoggedModel:
    return store.create_logged_model(
        experiment_id,
        name,
        run_id,
        [RunTag(k, v) for k, v in (tags or {}).items()],
        [Param(k, v) for k, v in (params or {}).items()],
        model_type,
    )


def find(
    store: SqlTrackingStore,
    experiment_ids: list[str],
    filter_string: str | None = None,
    order_by: list[dict[str, object] | str] | None = None,
    datasets: list[DatasetFilter] | None = None,
    max_results: int = 100,
    page_token: str | None = None,
) -> list[str]:
    found = store.search_logged_models(
        experiment_ids,
        search.parse_logged_model_filter(filter_string),
        datasets or [],
        search.parse_logged_model_order_by(order_by),
        max_results,
        page_token,
    )
    return [model.name for model in found]


@pytest.fixture
def experiment_id(store: SqlTrackingStore) -> str:
    return store.create_experiment("models", None, [])


@pytest.fixture
def run_id(store: SqlTrackingStore, experiment_id: str) -> str:
    return store.create_run(experiment_id, "ana", 1000, "trainer", []).info.run_id


# -- create and get ------------------------------------------------------------------------------------------
def test_create_logged_model(store: SqlTrackingStore, experiment_id: str, run_id: str) -> None:
    location = store.get_experiment(experiment_id).artifact_location
    model = create(store, experiment_id, "model", run_id, {"mlflow.user": "ana", "b": "2"}, {"alpha": "0.5"})
    assert MODEL_ID.fullmatch(model.model_id)
    assert model.experiment_id == experiment_id
    assert model.name == "model"
    assert model.artifact_location == f"{location}/models/{model.model_id}/artifacts"
    assert model.artifact_uri == model.artifact_location
    assert model.model_uri == f"models:/{model.model_id}"
    assert model.status is LoggedModelStatus.PENDING
    assert model.creation_timestamp_ms == model.last_updated_timestamp_ms > 0
    assert model.source_run_id == run_id
    assert model.model_type is None
    assert model.lifecycle_stage is LifecycleStage.ACTIVE
    assert model.tags == {"b": "2", "mlflow.user": "ana"}
    assert model.params == {"alpha": "0.5"}
    assert model.metrics == ()
    assert store.get_logged_model(model.model_id) == model


def test_create_without_name_or_run(store: SqlTrackingStore, experiment_id: str) -> None:
    model = create(store, experiment_id, None, model_type="sklearn")
    assert model.name  # generated, as MLflow does
    assert model.source_run_id is None
    assert store.get_logged_model(model.model_id).model_type == "sklearn"
    assert create(store, experiment_id).model_id != model.model_id


def test_create_rejects_missing_or_deleted_parents(store: SqlTrackingStore, experiment_id: str) -> None:
    with pytest.raises(ExperimentNotFound):
        create(store, "12345")
    with pytest.raises(RunNotFound):
        create(store, experiment_id, run_id="0" * 32)
    store.delete_experiment(experiment_id)
    with pytest.raises(ExperimentNotActive):
        create(store, experiment_id)
    store.restore_experiment(experiment_id)
    assert find(store, [experiment_id]) == []  # nothing was written by the failed calls


def test_create_with_conflicting_params_writes_nothing(store: SqlTrackingStore, experiment_id: str) -> None:
    with pytest.raises(ParamOverwriteError):
        store.create_logged_model(experiment_id, "m", None, [], [Param("a", "1"), Param("a", "2")], None)
    assert find(store, [experiment_id]) == []


def test_get_unknown_model(store: SqlTrackingStore) -> None:
    with pytest.raises(LoggedModelNotFound, match="m-0"):
        store.get_logged_model("m-" + "0" * 32)


# -- finalize, tags, params, delete --------------------------------------------------------------------------
def test_finalize(store: SqlTrackingStore, experiment_id: str) -> None:
    model = create(store, experiment_id)
    ready = store.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    assert ready.status is LoggedModelStatus.READY
    assert ready.last_updated_timestamp_ms >= model.creation_timestamp_ms
    assert ready.creation_timestamp_ms == model.creation_timestamp_ms
    assert store.get_logged_model(model.model_id) == ready
    failed = store.finalize_logged_model(model.model_id, LoggedModelStatus.FAILED)
    assert failed.status is LoggedModelStatus.FAILED
    with pytest.raises(LoggedModelNotFound):
        store.finalize_logged_model("m-" + "1" * 32, LoggedModelStatus.READY)


def test_tags(store: SqlTrackingStore, experiment_id: str) -> None:
    model = create(store, experiment_id, tags={"a": "1"})
    store.set_logged_model_tags(model.model_id, [RunTag("a", "2"), RunTag("b", "x"), RunTag("b", "y")])
    assert store.get_logged_model(model.model_id).tags == {"a": "2", "b": "y"}
    store.delete_logged_model_tag(model.model_id, "a")
    assert store.get_logged_model(model.model_id).tags == {"b": "y"}
    with pytest.raises(NotFound, match="No tag with key 'a'"):
        store.delete_logged_model_tag(model.model_id, "a")
    with pytest.raises(LoggedModelNotFound):
        store.set_logged_model_tags("m-" + "2" * 32, [RunTag("a", "1")])


def test_params_are_immutable(store: SqlTrackingStore, experiment_id: str) -> None:
    model = create(store, experiment_id, params={"a": "1"})
    store.log_logged_model_params(model.model_id, [Param("a", "1"), Param("b", "2")])  # same value: no-op
    assert store.get_logged_model(model.model_id).params == {"a": "1", "b": "2"}
    with pytest.raises(ParamOverwriteError, match="'a'"):
        store.log_logged_model_params(model.model_id, [Param("c", "3"), Param("a", "9")])
    assert store.get_logged_model(model.model_id).params == {"a": "1", "b": "2"}  # all or nothing


def test_delete(store: SqlTrackingStore, experiment_id: str) -> None:
    model = create(store, experiment_id)
    store.delete_logged_model(model.model_id)
    with pytest.raises(LoggedModelNotFound):
        store.get_logged_model(model.model_id)
    deleted = store.get_logged_model(model.model_id, allow_deleted=True)
    assert deleted.lifecycle_stage is LifecycleStage.DELETED
    assert deleted.last_updated_timestamp_ms >= model.last_updated_timestamp_ms
    assert find(store, [experiment_id]) == []


def test_header_is_the_active_model_without_its_tags_params_and_metrics(
    store: SqlTrackingStore, experiment_id: str, run_id: str
) -> None:
    model = create(store, experiment_id, run_id=run_id, tags={"a": "1"}, params={"p": "2"})
    ready = store.finalize_logged_model(model.model_id, LoggedModelStatus.READY)
    header = store.get_logged_model_header(model.model_id)
    assert header == dataclasses.replace(ready, tags={}, params={}, metrics=())
    assert (header.artifact_location, header.source_run_id) == (ready.artifact_location, run_id)
    store.delete_logged_model(model.model_id)
    with pytest.raises(LoggedModelNotFound):
        store.get_logged_model_header(model.model_id)
    with pytest.raises(LoggedModelNotFound, match="m-3"):
        store.get_logged_model_header("m-" + "3" * 32)


# -- run outputs and model metrics ---------------------------------------------------------------------------
def test_log_outputs(store: SqlTrackingStore, experiment_id: str, run_id: str) -> None:
    first, second = create(store, experiment_id, "a", run_id), create(store, experiment_id, "b", run_id)
    assert store.get_run(run_id).outputs == RunOutputs()
    store.log_outputs(run_id, [LoggedModelOutput(second.model_id, 3), LoggedModelOutput(first.model_id, 0)])
    store.log_outputs(run_id, [LoggedModelOutput(first.model_id, 0)])  # logged once
    expected = RunOutputs((LoggedModelOutput(first.model_id, 0), LoggedModelOutput(second.model_id, 3)))
    assert store.get_run(run_id).outputs == expected
    other = store.create_run(experiment_id, "ana", 2000, "other", []).info.run_id
    found = {
        run.info.run_id: run.outputs
        for run in store.search_runs([experiment_id], [], [], ViewType.ALL, 10, None)
    }
    assert found == {run_id: expected, other: RunOutputs()}


def test_log_outputs_errors(store: SqlTrackingStore, experiment_id: str, run_id: str) -> None:
    model = create(store, experiment_id)
    with pytest.raises(LoggedModelNotFound):
        store.log_outputs(run_id, [LoggedModelOutput(model.model_id), LoggedModelOutput("m-" + "3" * 32)])
    assert store.get_run(run_id).outputs == RunOutputs()
    with pytest.raises(RunNotFound):
        store.log_outputs("0" * 32, [LoggedModelOutput(model.model_id)])
    store.delete_run(run_id)
    with pytest.raises(RunNotActive):
        store.log_outputs(run_id, [LoggedModelOutput(model.model_id)])


def test_model_metrics(store: SqlTrackingStore, experiment_id: str, run_id: str) -> None:
    model = create(store, experiment_id, run_id=run_id)
    points = [
        LoggedModelMetric("loss", 0.5, 10, 1, run_id, model.model_id),
        LoggedModelMetric("acc", math.nan, 11, 0, run_id, model.model_id, "eval", "d1"),
        LoggedModelMetric("loss", 0.9, 5, 0, run_id, model.model_id),
    ]
    store.log_logged_model_metrics(run_id, points)
    store.log_logged_model_metrics(run_id, [LoggedModelMetric("loss", 0.4, 10, 1, run_id, model.model_id)])
    metrics = store.get_logged_model(model.model_id).metrics
    assert [(m.key, m.step, m.timestamp, m.value, m.run_id) for m in metrics if m.key == "loss"] == [
        ("loss", 0, 5, 0.9, run_id),
        ("loss", 1, 10, 0.4, run_id),  # the same point again: the last value wins
    ]
    history = store.get_metric_history(run_id, "loss", None, None)  # the run has the points too
    assert [(m.step, m.timestamp, m.value) for m in history] == [(0, 5, 0.9), (1, 10, 0.4), (1, 10, 0.5)]
    (acc,) = (m for m in metrics if m.key == "acc")
    assert math.isnan(acc.value)
    assert (acc.dataset_name, acc.dataset_digest, acc.model_id) == ("eval", "d1", model.model_id)
    with pytest.raises(LoggedModelNotFound):
        store.log_logged_model_metrics(run_id, [LoggedModelMetric("x", 1.0, 0, 0, run_id, "m-" + "4" * 32)])


# -- search --------------------------------------------------------------------------------------------------
@pytest.fixture
def three_models(store: SqlTrackingStore, experiment_id: str, run_id: str) -> dict[str, LoggedModel]:
    other_run = store.create_run(experiment_id, "ana", 2000, "other", []).info.run_id
    models = {
        "alpha": create(store, experiment_id, "alpha", run_id, {"team": "a"}, {"depth": "3"}, "sklearn"),
        "beta": create(store, experiment_id, "beta", run_id, {"team": "b"}, {"depth": "5"}),
        "Gamma": create(store, experiment_id, "Gamma", other_run, {"team": "a"}),
    }
    store.finalize_logged_model(models["alpha"].model_id, LoggedModelStatus.READY)
    store.finalize_logged_model(models["Gamma"].model_id, LoggedModelStatus.READY)
    metric = [
        LoggedModelMetric("acc", 0.9, 1, 0, run_id, models["alpha"].model_id, "eval"),
        LoggedModelMetric("acc", 0.7, 2, 0, run_id, models["alpha"].model_id, "train"),  # the latest
        LoggedModelMetric("acc", 0.8, 1, 0, run_id, models["beta"].model_id, "eval"),
    ]
    store.log_logged_model_metrics(run_id, metric)
    return models


def test_search_filters(
    store: SqlTrackingStore, experiment_id: str, run_id: str, three_models: dict[str, LoggedModel]
) -> None:
    by_name = ["name ASC"]
    assert find(store, [experiment_id], "name = 'alpha'") == ["alpha"]
    assert find(store, [experiment_id], "name LIKE '%a'", by_name) == ["Gamma", "alpha", "beta"]
    assert find(store, [experiment_id], "name LIKE 'g%'") == []  # case-sensitive
    assert find(store, [experiment_id], "name ILIKE 'g%'", by_name) == ["Gamma"]
    assert find(store, [experiment_id], "status = 'READY'", by_name) == ["Gamma", "alpha"]
    assert find(store, [experiment_id], "status = 'LOGGED_MODEL_PENDING'") == ["beta"]
    assert find(store, [experiment_id], f"source_run_id = '{run_id}'", by_name) == ["alpha", "beta"]
    assert find(store, [experiment_id], "model_type = 'sklearn'") == ["alpha"]
    assert find(store, [experiment_id], "tags.team = 'a'", by_name) == ["Gamma", "alpha"]
    assert find(store, [experiment_id], "params.depth IN ('5', '7')") == ["beta"]
    assert find(store, [experiment_id], "params.depth != '5'") == ["alpha"]  # lacking the key never matches
    assert find(store, [experiment_id], "metrics.acc >= 0.8", by_name) == ["alpha", "beta"]
    assert find(store, [experiment_id], "metrics.acc < 0.75") == ["alpha"]
    assert find(store, [experiment_id], "metrics.acc > 0.75", by_name, [DatasetFilter("train")]) == []
    assert find(store, [experiment_id], "metrics.acc > 0.5", by_name, [DatasetFilter("train")]) == ["alpha"]
    assert find(store, [experiment_id], None, by_name, [DatasetFilter("eval")]) == ["alpha", "beta"]
    assert find(store, [experiment_id], None, by_name, [DatasetFilter("eval", "nope")]) == []
    assert find(store, [experiment_id], "creation_timestamp > 0 AND name != 'beta'", by_name) == [
        "Gamma",
        "alpha",
    ]
    assert find(store, ["0"]) == []
    assert find(store, []) == []


def test_search_order_and_pages(
    store: SqlTrackingStore, experiment_id: str, three_models: dict[str, LoggedModel]
) -> None:
    assert find(store, [experiment_id], order_by=["name DESC"]) == ["beta", "alpha", "Gamma"]
    # by the latest point of the metric (alpha's is 0.7), models without it last in both directions
    descending = [{"field_name": "metrics.acc", "ascending": False}]
    assert find(store, [experiment_id], order_by=descending) == ["beta", "alpha", "Gamma"]
    assert find(store, [experiment_id], order_by=["metrics.acc"]) == ["alpha", "beta", "Gamma"]
    on_eval = [{"field_name": "metrics.acc", "ascending": False, "dataset_name": "eval"}]
    assert find(store, [experiment_id], order_by=on_eval) == ["alpha", "beta", "Gamma"]
    # default: newest first, then model id
    models = sorted(three_models.values(), key=lambda m: (-m.creation_timestamp_ms, m.model_id))
    assert find(store, [experiment_id]) == [model.name for model in models]
    first = store.search_logged_models(
        [experiment_id], [], [], search.parse_logged_model_order_by(["name"]), 2, None
    )
    assert [model.name for model in first] == ["Gamma", "alpha"]
    assert first.token is not None
    assert find(store, [experiment_id], order_by=["name"], max_results=2, page_token=first.token) == ["beta"]
    with pytest.raises(InvalidArgument):
        find(store, [experiment_id], order_by=["params.depth"])
    with pytest.raises(InvalidArgument):
        find(store, ["not-a-number"])
