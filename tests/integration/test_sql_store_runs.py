"""SqlTrackingStore runs on every database: lifecycle, params, metrics, tags, batches, inputs, errors."""

from __future__ import annotations

import math
import re
from collections.abc import Callable

import pytest

from flowtrack.exceptions import (
    ExperimentNotActive,
    ExperimentNotFound,
    InvalidArgument,
    NotFound,
    ParamOverwriteError,
    RunNotActive,
    RunNotFound,
)
from flowtrack.tracking.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LifecycleStage,
    Metric,
    Param,
    RunStatus,
    RunTag,
)
from flowtrack.tracking.stores.sql.store import SqlTrackingStore

RUN_NAME = "mlflow.runName"


def new_run(store: SqlTrackingStore, experiment_id: str = "0", name: str = "run", start: int = 1000) -> str:
    return store.create_run(experiment_id, "ana", start, name, []).info.run_id


def history(store: SqlTrackingStore, run_id: str, key: str) -> list[tuple[int, int, float]]:
    return [(m.step, m.timestamp, m.value) for m in store.get_metric_history(run_id, key, None, None)]


def same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


# -- runs ----------------------------------------------------------------------------------------------------
def test_create_run(store: SqlTrackingStore) -> None:
    experiment_id = store.create_experiment("runs", None, [])
    location = store.get_experiment(experiment_id).artifact_location
    run = store.create_run(experiment_id, "ana", 1234, "my-run", [RunTag("team", "ml")])
    assert re.fullmatch(r"[0-9a-f]{32}", run.info.run_id)
    assert run.info.experiment_id == experiment_id
    assert run.info.run_name == "my-run"
    assert run.info.user_id == "ana"
    assert run.info.status is RunStatus.RUNNING
    assert run.info.start_time == 1234
    assert run.info.end_time is None
    assert run.info.artifact_uri == f"{location}/{run.info.run_id}/artifacts"
    assert run.info.lifecycle_stage is LifecycleStage.ACTIVE
    assert run.data.tags == {"team": "ml", RUN_NAME: "my-run"}
    assert store.get_run(run.info.run_id) == run


def test_create_run_without_name_gets_one(store: SqlTrackingStore) -> None:
    named_by_tag = store.create_run("0", "u", 1, "", [RunTag(RUN_NAME, "from-tag")])
    assert named_by_tag.info.run_name == "from-tag"
    generated = store.create_run("0", "u", 1, "", [])
    assert generated.info.run_name
    assert generated.data.tags[RUN_NAME] == generated.info.run_name


def test_create_run_in_missing_or_deleted_experiment(store: SqlTrackingStore) -> None:
    with pytest.raises(ExperimentNotFound):
        store.create_run("424242", "u", 1, "r", [])
    with pytest.raises(ExperimentNotFound):
        store.create_run("nope", "u", 1, "r", [])
    experiment_id = store.create_experiment("gone", None, [])
    store.delete_experiment(experiment_id)
    with pytest.raises(ExperimentNotActive):
        store.create_run(experiment_id, "u", 1, "r", [])


def test_get_missing_run(store: SqlTrackingStore) -> None:
    with pytest.raises(RunNotFound):
        store.get_run("0" * 32)


def test_update_run_info_changes_only_given_fields(store: SqlTrackingStore) -> None:
    run_id = new_run(store, name="before")
    info = store.update_run_info(run_id, RunStatus.FINISHED, None, None)
    assert (info.status, info.end_time, info.run_name) == (RunStatus.FINISHED, None, "before")
    info = store.update_run_info(run_id, None, 5000, None)
    assert (info.status, info.end_time, info.run_name) == (RunStatus.FINISHED, 5000, "before")
    info = store.update_run_info(run_id, None, None, "after")
    assert (info.status, info.end_time, info.run_name) == (RunStatus.FINISHED, 5000, "after")
    assert store.get_run(run_id).data.tags[RUN_NAME] == "after"
    assert store.get_run(run_id).info == info
    with pytest.raises(RunNotFound):
        store.update_run_info("f" * 32, RunStatus.FAILED, None, None)
    store.delete_run(run_id)
    with pytest.raises(RunNotActive):
        store.update_run_info(run_id, RunStatus.FAILED, None, None)


def test_delete_and_restore_run(store: SqlTrackingStore) -> None:
    run_id = new_run(store)
    store.delete_run(run_id)
    assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.DELETED
    store.restore_run(run_id)
    assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.ACTIVE
    for call in (store.delete_run, store.restore_run):
        with pytest.raises(RunNotFound):
            call("e" * 32)


# -- errors on missing / deleted runs write nothing ----------------------------------------------------------
DATASET = Dataset(name="train", digest="abc123", source_type="local", source="/data/train.csv")

WRITES: dict[str, Callable[[SqlTrackingStore, str], None]] = {
    "log_metric": lambda s, r: s.log_metric(r, Metric("m", 1.0, 10, 0)),
    "log_param": lambda s, r: s.log_param(r, Param("p", "v")),
    "set_tag": lambda s, r: s.set_tag(r, RunTag("t", "v")),
    "set_run_name_tag": lambda s, r: s.set_tag(r, RunTag(RUN_NAME, "renamed")),
    "log_batch": lambda s, r: s.log_batch(
        r, [Metric("m", 1.0, 10, 0)], [Param("p", "v")], [RunTag("t", "v")]
    ),
    "log_inputs": lambda s, r: s.log_inputs(r, [DatasetInput(DATASET)]),
    "delete_tag": lambda s, r: s.delete_tag(r, RUN_NAME),
}


@pytest.mark.parametrize("write", WRITES)
def test_writes_to_missing_run_raise_run_not_found(store: SqlTrackingStore, write: str) -> None:
    with pytest.raises(RunNotFound):
        WRITES[write](store, "a" * 32)


@pytest.mark.parametrize("write", WRITES)
def test_writes_to_deleted_run_raise_and_write_nothing(store: SqlTrackingStore, write: str) -> None:
    run_id = new_run(store, name="quiet")
    before = store.get_run(run_id)
    store.delete_run(run_id)
    with pytest.raises(RunNotActive):
        WRITES[write](store, run_id)
    store.restore_run(run_id)
    after = store.get_run(run_id)
    assert after.data == before.data
    assert after.inputs == before.inputs
    assert after.info.run_name == "quiet"
    assert store.get_metric_history(run_id, "m", None, None) == []


def test_deleting_the_experiment_blocks_logging(store: SqlTrackingStore) -> None:
    experiment_id = store.create_experiment("blocked", None, [])
    run_id = new_run(store, experiment_id)
    store.delete_experiment(experiment_id)
    with pytest.raises(RunNotActive):
        store.log_metric(run_id, Metric("m", 1.0, 1, 0))


# -- params --------------------------------------------------------------------------------------------------
def test_params_are_immutable(store: SqlTrackingStore) -> None:
    run_id = new_run(store)
    store.log_param(run_id, Param("lr", "0.1"))
    store.log_param(run_id, Param("lr", "0.1"))  # same value again: no-op
    with pytest.raises(ParamOverwriteError) as error:
        store.log_param(run_id, Param("lr", "0.2"))
    message = str(error.value)
    assert "lr" in message
    assert "0.1" in message
    assert "0.2" in message
    assert store.get_run(run_id).data.params == {"lr": "0.1"}


def test_param_conflict_in_batch_writes_nothing(store: SqlTrackingStore) -> None:
    run_id = new_run(store)
    store.log_param(run_id, Param("depth", "3"))
    before = store.get_run(run_id).data
    with pytest.raises(ParamOverwriteError, match="depth"):
        store.log_batch(
            run_id,
            [Metric("loss", 0.5, 1, 0)],
            [Param("fresh", "yes"), Param("depth", "4")],
            [RunTag("new-tag", "x")],
        )
    assert store.get_run(run_id).data == before
    assert store.get_metric_history(run_id, "loss", None, None) == []


def test_duplicate_params_within_a_batch(store: SqlTrackingStore) -> None:
    run_id = new_run(store)
    with pytest.raises(ParamOverwriteError, match="k"):
        store.log_batch(run_id, [Metric("m", 1.0, 1, 0)], [Param("k", "1"), Param("k", "2")], [])
    assert store.get_run(run_id).data.params == {}
    assert store.get_run(run_id).data.metrics == {}
    store.log_batch(run_id, [], [Param("k", "1"), Param("k", "1")], [])
    store.log_batch(run_id, [], [Param("k", "1"), Param("other", "2")], [])
    assert store.get_run(run_id).data.params == {"k": "1", "other": "2"}


def test_keys_compare_exactly(store: SqlTrackingStore) -> None:
    run_id = new_run(store)
    store.log_batch(run_id, [], [Param("lr", "a"), Param("LR", "b"), Param("lr ", "c")], [])
    assert store.get_run(run_id).data.params == {"lr": "a", "LR": "b", "lr ": "c"}


def test_long_and_unicode_values_round_trip(store: SqlTrackingStore) -> None:
    run_id = new_run(store)
    key = "k" * 250
    param_value = "é" * 6000
    tag_value = "字" * 8000
    store.log_param(run_id, Param(key, param_value))
    store.set_tag(run_id, RunTag(key, tag_value))
    store.log_metric(run_id, Metric(key, 1.5, 1, 0))
    store.log_batch(run_id, [], [Param("p" * 250, "v" * 6000)], [RunTag("t" * 250, "🙂" * 8000)])
    data = store.get_run(run_id).data
    assert data.params == {key: param_value, "p" * 250: "v" * 6000}
    assert data.tags[key] == tag_value
    assert data.tags["t" * 250] == "🙂" * 8000
    assert data.metrics == {key: 1.5}


# -- tags ----------------------------------------------------------------------------------------------------
def test_tags_overwrite_and_delete(store: SqlTrackingStore) -> None:
    run_id = new_run(store, name="tagged")
    store.set_tag(run_id, RunTag("k", "1"))
    store.set_tag(run_id, RunTag("k", "2"))
    store.log_batch(run_id, [], [], [RunTag("b", "1"), RunTag("b", "2")])
    assert store.get_run(run_id).data.tags == {RUN_NAME: "tagged", "k": "2", "b": "2"}
    store.delete_tag(run_id, "k")
    assert "k" not in store.get_run(run_id).data.tags
    with pytest.raises(NotFound):
        store.delete_tag(run_id, "k")


def test_run_name_tag_renames_the_run(store: SqlTrackingStore) -> None:
    run_id = new_run(store, name="first")
    store.set_tag(run_id, RunTag(RUN_NAME, "second"))
    assert store.get_run(run_id).info.run_name == "second"
    store.log_batch(run_id, [], [], [RunTag(RUN_NAME, "third")])
    run = store.get_run(run_id)
    assert run.info.run_name == "third"
    assert run.data.tags[RUN_NAME] == "third"


# -- metrics -------------------------------------------------------------------------------------------------
def test_metric_history_is_ordered_by_step_then_timestamp(store: SqlTrackingStore) -> None:
    run_id = new_run(store)
    for step, timestamp, value in [(2, 10, 0.2), (0, 30, 0.0), (1, 20, 0.1), (1, 5, 0.15), (0, 30, -1.0)]:
        store.log_metric(run_id, Metric("loss", value, timestamp, step))
    assert history(store, run_id, "loss") == [
        (0, 30, -1.0),
        (0, 30, 0.0),
        (1, 5, 0.15),
        (1, 20, 0.1),
        (2, 10, 0.2),
    ]
    assert store.get_metric_history(run_id, "unknown", None, None) == []
    with pytest.raises(RunNotFound):
        store.get_metric_history("b" * 32, "loss", None, None)


def test_latest_metric_rule(store: SqlTrackingStore) -> None:
    run_id = new_run(store)

    def latest() -> float:
        return store.get_run(run_id).data.metrics["m"]

    store.log_metric(run_id, Metric("m", 1.0, 100, 5))
    store.log_metric(run_id, Metric("m", 2.0, 999, 4))  # older step: not the latest despite newer timestamp
    assert latest() == 1.0
    store.log_metric(run_id, Metric("m", 3.0, 50, 5))  # same step, older timestamp
    assert latest() == 1.0
    store.log_metric(run_id, Metric("m", 0.5, 101, 5))  # same step, newer timestamp
    assert latest() == 0.5
    store.log_metric(run_id, Metric("m", 0.7, 101, 5))  # full tie: the greater value wins
    store.log_metric(run_id, Metric("m", 0.6, 101, 5))
    assert latest() == 0.7
    store.log_batch(run_id, [Metric("m", 9.0, 1, 6), Metric("m", 8.0, 2, 6), Metric("m", 7.0, 0, 3)], [], [])
    assert latest() == 8.0


def test_same_point_twice_is_stored_once(store: SqlTrackingStore) -> None:
    run_id = new_run(store)
    store.log_metric(run_id, Metric("m", 1.0, 10, 1))
    store.log_metric(run_id, Metric("m", 1.0, 10, 1))
    store.log_batch(run_id, [Metric("m", 1.0, 10, 1), Metric("m", 1.0, 10, 1)], [], [])
    assert history(store, run_id, "m") == [(1, 10, 1.0)]


@pytest.mark.parametrize("batch", [False, True], ids=["log_metric", "log_batch"])
def test_nan_and_infinities_round_trip(store: SqlTrackingStore, batch: bool) -> None:
    run_id = new_run(store)
    values = {
        "nan": math.nan,
        "pinf": math.inf,
        "ninf": -math.inf,
        "zero": 0.0,
        "tiny": 5e-324,
        "big": 1.7e308,
    }
    metrics = [Metric(key, value, 7, 3) for key, value in values.items()]
    if batch:
        store.log_batch(run_id, metrics, [], [])
    else:
        for metric in metrics:
            store.log_metric(run_id, metric)
    stored = store.get_run(run_id).data.metrics
    assert stored.keys() == values.keys()
    for key, value in values.items():
        assert same(stored[key], value), key
        (point,) = store.get_metric_history(run_id, key, None, None)
        assert same(point.value, value), key
        assert (point.step, point.timestamp) == (3, 7), key


def test_nan_is_the_greatest_value_for_the_latest_rule(store: SqlTrackingStore) -> None:
    run_id = new_run(store)
    store.log_batch(
        run_id, [Metric("m", math.inf, 1, 1), Metric("m", math.nan, 1, 1), Metric("m", 5.0, 1, 1)], [], []
    )
    assert math.isnan(store.get_run(run_id).data.metrics["m"])
    assert [m.value for m in store.get_metric_history(run_id, "m", None, None)][:2] == [5.0, math.inf]


def test_log_batch_of_many_metrics(store: SqlTrackingStore) -> None:
    run_id = new_run(store)
    metrics = [Metric(f"m{i % 10}", float(i), 1000 + i, i // 10) for i in range(1200)]
    store.log_batch(run_id, metrics, [Param(f"p{i}", str(i)) for i in range(600)], [RunTag("t", "v")])
    run = store.get_run(run_id)
    assert run.data.metrics == {f"m{k}": float(1190 + k) for k in range(10)}
    assert len(run.data.params) == 600
    assert [m.value for m in store.get_metric_history(run_id, "m3", None, None)] == [
        float(i) for i in range(3, 1200, 10)
    ]


def test_metric_history_pages(store: SqlTrackingStore) -> None:
    run_id = new_run(store)
    points = [Metric("loss", float(i % 7), 100 + (i % 3), i // 2) for i in range(25)]
    points.append(Metric("loss", math.nan, 100, 3))
    store.log_batch(run_id, points, [], [])
    everything = store.get_metric_history(run_id, "loss", None, None)
    assert everything.token is None
    assert len(everything) == 26
    seen = []
    token = None
    while True:
        page = store.get_metric_history(run_id, "loss", 4, token)
        assert len(page) <= 4
        seen += page
        token = page.token
        if token is None:
            break
    assert len(seen) == 26
    assert [(m.step, m.timestamp) for m in seen] == [(m.step, m.timestamp) for m in everything]
    assert all(same(a.value, b.value) for a, b in zip(seen, everything, strict=True))
    exact = store.get_metric_history(run_id, "loss", 26, None)
    assert len(exact) == 26
    assert exact.token is None


def test_metric_history_rejects_bad_arguments(store: SqlTrackingStore) -> None:
    run_id = new_run(store)
    for token in (
        "garbage!",
        "eyJ4IjogMX0",
        "eyJhZnRlciI6IFsxXX0",
    ):  # not base64 JSON; {"x": 1}; {"after": [1]}
        with pytest.raises(InvalidArgument) as error:
            store.get_metric_history(run_id, "m", 10, token)
        assert error.value.field == "page_token"
    for bad in (0, -5):
        with pytest.raises(InvalidArgument) as error:
            store.get_metric_history(run_id, "m", bad, None)
        assert error.value.field == "max_results"


# -- inputs --------------------------------------------------------------------------------------------------
def training_input(digest: str = "abc123", context: str = "training") -> DatasetInput:
    dataset = Dataset(
        name="train",
        digest=digest,
        source_type="local",
        source="/data/train.csv",
        schema='{"mlflow_colspec": []}',
        profile='{"num_rows": 10}',
    )
    return DatasetInput(dataset, (InputTag("mlflow.data.context", context),))


def test_log_inputs(store: SqlTrackingStore) -> None:
    run_id = new_run(store)
    evaluation = DatasetInput(Dataset(name="eval", digest="e1", source_type="s3", source="s3://b/e.parquet"))
    store.log_inputs(run_id, [training_input(), evaluation])
    store.log_inputs(run_id, [training_input()])  # linked once only
    inputs = store.get_run(run_id).inputs.dataset_inputs
    assert [item.dataset.name for item in inputs] == ["train", "eval"]
    assert inputs[0] == training_input()
    assert inputs[1].tags == ()
    assert inputs[1].dataset.schema is None
    store.log_inputs(run_id, [])


def test_datasets_are_shared_within_an_experiment(store: SqlTrackingStore) -> None:
    first, second = new_run(store, name="a"), new_run(store, name="b")
    store.log_inputs(first, [training_input()])
    store.log_inputs(second, [training_input(context="eval"), training_input(digest="other")])
    second_inputs = store.get_run(second).inputs.dataset_inputs
    assert [(i.dataset.digest, i.tags[0].value) for i in second_inputs] == [
        ("abc123", "eval"),
        ("other", "training"),
    ]
    assert store.get_run(first).inputs.dataset_inputs == (training_input(),)
