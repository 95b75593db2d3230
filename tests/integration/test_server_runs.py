"""Runs and run data (``/runs/*``, ``/metrics/get-history``) against a real server on all three databases."""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest

from tests.fixtures.server import MlflowApi, assert_error

NOT_FOUND = "RESOURCE_DOES_NOT_EXIST"
INVALID = "INVALID_PARAMETER_VALUE"
RUN_INFO_FIELDS = [
    "run_uuid",
    "experiment_id",
    "run_name",
    "user_id",
    "status",
    "start_time",
    "artifact_uri",
    "lifecycle_stage",
    "run_id",
]


@pytest.fixture
def api(mlflow_api: MlflowApi) -> MlflowApi:
    return mlflow_api


@pytest.fixture
def experiment_id(api: MlflowApi) -> str:
    return api.create_experiment()


@pytest.fixture
def run_id(api: MlflowApi, experiment_id: str) -> str:
    run_id: str = api.create_run(experiment_id)["info"]["run_id"]
    return run_id


def _get_run(api: MlflowApi, run_id: str) -> dict[str, Any]:
    run: dict[str, Any] = api.ok(api.get("runs/get", run_id=run_id))["run"]
    return run


def test_create_run_as_the_mlflow_client_does(api: MlflowApi, experiment_id: str) -> None:
    tags = [
        {"key": "mlflow.user", "value": "root"},
        {"key": "mlflow.source.name", "value": "train.py"},
        {"key": "mlflow.source.type", "value": "LOCAL"},
    ]
    body = {"experiment_id": experiment_id, "user_id": "root", "start_time": 1795697304396, "tags": tags}
    created = api.ok(api.post("runs/create", body))
    assert list(created) == ["run"]
    run = created["run"]
    assert list(run) == ["info", "data", "inputs"]
    info = run["info"]
    assert list(info) == RUN_INFO_FIELDS
    run_id = info["run_id"]
    assert info["run_uuid"] == run_id
    assert len(run_id) == 32
    assert info["experiment_id"] == experiment_id
    assert (info["user_id"], info["status"], info["start_time"]) == ("root", "RUNNING", 1795697304396)
    assert info["artifact_uri"] == f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"
    assert info["lifecycle_stage"] == "active"
    assert info["run_name"]  # a generated name, as MLflow does
    logged = {tag["key"]: tag["value"] for tag in run["data"]["tags"]}
    assert logged["mlflow.user"] == "root"
    assert logged["mlflow.runName"] == info["run_name"]
    assert run["inputs"] == {}


def test_start_time_as_string_and_run_name(api: MlflowApi, experiment_id: str) -> None:
    body = {"experiment_id": experiment_id, "start_time": "1700000000000", "run_name": "my-run"}
    info = api.ok(api.post("runs/create", body))["run"]["info"]
    assert (info["start_time"], info["run_name"]) == (1700000000000, "my-run")


def test_log_everything_then_get(api: MlflowApi, run_id: str) -> None:
    ids = {"run_uuid": run_id, "run_id": run_id}  # the mlflow client sends both
    assert api.ok(api.post("runs/set-tag", {**ids, "key": "team", "value": "a"})) == {}
    assert api.ok(api.post("runs/log-parameter", {**ids, "key": "alpha", "value": "0.5"})) == {}
    metric = {**ids, "key": "loss", "value": 0.9, "timestamp": 1795697305871, "step": 0}
    assert api.ok(api.post("runs/log-metric", metric)) == {}
    batch = {
        "run_id": run_id,
        "metrics": [
            {"key": "loss", "value": 0.8, "timestamp": 1795697305998, "step": 1, "run_id": run_id},
            {"key": "acc", "value": 0.6, "timestamp": 1795697305998, "step": 1},
        ],
        "params": [{"key": "lr", "value": "0.01"}],
        "tags": [{"key": "stage", "value": "dev"}],
    }
    assert api.ok(api.post("runs/log-batch", batch)) == {}

    run = _get_run(api, run_id)
    assert list(run) == ["info", "data", "inputs", "outputs"]
    data = run["data"]
    assert sorted(data["metrics"], key=lambda m: m["key"]) == [
        {"key": "acc", "value": 0.6, "timestamp": 1795697305998, "step": 1},
        {"key": "loss", "value": 0.8, "timestamp": 1795697305998, "step": 1},
    ]
    assert sorted(data["params"], key=lambda p: p["key"]) == [
        {"key": "alpha", "value": "0.5"},
        {"key": "lr", "value": "0.01"},
    ]
    tags = {tag["key"]: tag["value"] for tag in data["tags"]}
    assert (tags["team"], tags["stage"]) == ("a", "dev")

    assert api.ok(api.post("runs/delete-tag", {"run_id": run_id, "key": "team"})) == {}
    tags = {tag["key"] for tag in _get_run(api, run_id)["data"]["tags"]}
    assert "team" not in tags


def test_update_delete_restore(api: MlflowApi, run_id: str) -> None:
    body = {"run_uuid": run_id, "status": "FINISHED", "end_time": 1795697325305, "run_id": run_id}
    updated = api.ok(api.post("runs/update", body))
    assert list(updated) == ["run_info"]
    info = updated["run_info"]
    assert list(info) == [*RUN_INFO_FIELDS[:6], "end_time", *RUN_INFO_FIELDS[6:]]
    assert (info["status"], info["end_time"]) == ("FINISHED", 1795697325305)
    renamed = api.ok(api.post("runs/update", {"run_id": run_id, "run_name": "renamed", "status": 4}))
    assert (renamed["run_info"]["run_name"], renamed["run_info"]["status"]) == ("renamed", "FAILED")

    assert api.ok(api.post("runs/delete", {"run_id": run_id})) == {}
    assert _get_run(api, run_id)["info"]["lifecycle_stage"] == "deleted"
    refused = api.post("runs/log-metric", {"run_id": run_id, "key": "m", "value": 1, "timestamp": 1})
    assert_error(refused, 400, INVALID, "deleted")  # MLflow's code for a run that is not active
    assert api.ok(api.post("runs/restore", {"run_id": run_id})) == {}
    assert _get_run(api, run_id)["info"]["lifecycle_stage"] == "active"


def test_non_finite_metrics_round_trip(api: MlflowApi, run_id: str) -> None:
    values = {"nan": "NaN", "pos": "Infinity", "neg": "-Infinity"}
    metrics = [{"key": key, "value": value, "timestamp": 5, "step": 1} for key, value in values.items()]
    api.ok(api.post("runs/log-batch", {"run_id": run_id, "metrics": metrics}))
    api.ok(api.post("runs/log-metric", {"run_id": run_id, "key": "one", "value": "Infinity", "timestamp": 1}))
    latest = {m["key"]: m["value"] for m in _get_run(api, run_id)["data"]["metrics"]}
    assert latest == {**values, "one": "Infinity"}
    for key, value in values.items():
        history = api.ok(api.get("metrics/get-history", run_id=run_id, metric_key=key))
        assert history == {"metrics": [{"key": key, "value": value, "timestamp": 5, "step": 1}]}
        assert math.isnan(float(value)) if key == "nan" else math.isinf(float(value))


def test_metric_history_pages_as_the_mlflow_client_asks(api: MlflowApi, run_id: str) -> None:
    for chunk in range(3):
        metrics = [
            {"key": "big", "value": float(step), "timestamp": 7, "step": step}
            for step in range(chunk * 1000, (chunk + 1) * 1000)
        ]
        api.ok(api.post("runs/log-batch", {"run_id": run_id, "metrics": metrics}))
    ids = {"run_uuid": run_id, "run_id": run_id}
    first = api.ok(api.get("metrics/get-history", metric_key="big", max_results="2500", **ids))
    assert [point["step"] for point in first["metrics"]] == list(range(2500))
    assert first["metrics"][0] == {"key": "big", "value": 0.0, "timestamp": 7, "step": 0}
    token = first["next_page_token"]
    rest = api.ok(
        api.get("metrics/get-history", metric_key="big", max_results="2500", page_token=token, **ids)
    )
    assert [point["step"] for point in rest["metrics"]] == list(range(2500, 3000))
    assert "next_page_token" not in rest
    everything = api.ok(api.get("metrics/get-history", run_id=run_id, metric_key="big"))
    assert len(everything["metrics"]) == 3000
    assert api.ok(api.get("metrics/get-history", run_id=run_id, metric_key="never logged")) == {}


def test_search_runs(api: MlflowApi, experiment_id: str) -> None:
    run_ids = []
    for index in range(3):
        run_id = api.create_run(experiment_id)["info"]["run_id"]
        metric = {"run_id": run_id, "key": "loss", "value": 1.0 - index / 10, "timestamp": 1}
        api.ok(api.post("runs/log-metric", metric))
        api.ok(api.post("runs/log-parameter", {"run_id": run_id, "key": "alpha", "value": "0.5"}))
        run_ids.append(run_id)
    body = {
        "experiment_ids": [experiment_id],
        "run_view_type": "ACTIVE_ONLY",
        "filter": "metrics.loss < 1 and params.alpha = '0.5'",
        "max_results": 1,
        "order_by": ["metrics.loss ASC"],
    }
    first = api.ok(api.post("runs/search", body))
    assert [run["info"]["run_id"] for run in first["runs"]] == [run_ids[2]]
    assert list(first["runs"][0]) == ["info", "data", "inputs", "outputs"]
    second = api.ok(api.post("runs/search", {**body, "page_token": first["next_page_token"]}))
    assert [run["info"]["run_id"] for run in second["runs"]] == [run_ids[1]]
    assert "next_page_token" not in second

    api.ok(api.post("runs/delete", {"run_id": run_ids[0]}))
    deleted = api.ok(
        api.post("runs/search", {"experiment_ids": [experiment_id], "run_view_type": "DELETED_ONLY"})
    )
    assert [run["info"]["run_id"] for run in deleted["runs"]] == [run_ids[0]]
    none = {"experiment_ids": [experiment_id], "filter": "params.alpha = 'nope'"}
    assert api.ok(api.post("runs/search", none)) == {}


def test_log_inputs(api: MlflowApi, run_id: str) -> None:
    dataset = {
        "name": "train",
        "digest": "5edc214a",
        "source_type": "code",
        "source": '{"uri": "x"}',
        "schema": '{"features": []}',
        "profile": '{"num_rows": 10}',
    }
    inputs = [{"tags": [{"key": "mlflow.data.context", "value": "training"}], "dataset": dataset}]
    assert api.ok(api.post("runs/log-inputs", {"run_id": run_id, "datasets": inputs})) == {}
    assert _get_run(api, run_id)["inputs"] == {"dataset_inputs": inputs}


# -- errors --------------------------------------------------------------------------------------------------
def test_unknown_run_is_404_everywhere(api: MlflowApi) -> None:
    missing = uuid.uuid4().hex
    assert_error(api.get("runs/get", run_id=missing), 404, NOT_FOUND)
    assert_error(
        api.post("runs/log-metric", {"run_id": missing, "key": "m", "value": 1, "timestamp": 1}),
        404,
        NOT_FOUND,
    )
    assert_error(
        api.post("runs/log-parameter", {"run_id": missing, "key": "p", "value": "1"}), 404, NOT_FOUND
    )
    assert_error(api.post("runs/set-tag", {"run_id": missing, "key": "t", "value": "1"}), 404, NOT_FOUND)
    assert_error(
        api.post("runs/log-batch", {"run_id": missing, "params": [{"key": "p", "value": "1"}]}),
        404,
        NOT_FOUND,
    )
    assert_error(api.post("runs/update", {"run_id": missing, "status": "FINISHED"}), 404, NOT_FOUND)
    assert_error(api.post("runs/delete", {"run_id": missing}), 404, NOT_FOUND)
    assert_error(api.get("metrics/get-history", run_id=missing, metric_key="m"), 404, NOT_FOUND)
    assert_error(api.post("runs/create", {"experiment_id": "987654"}), 404, NOT_FOUND)


def test_param_overwrite_is_invalid_parameter_value(api: MlflowApi, run_id: str) -> None:
    api.ok(api.post("runs/log-parameter", {"run_id": run_id, "key": "p", "value": "1"}))
    api.ok(api.post("runs/log-parameter", {"run_id": run_id, "key": "p", "value": "1"}))  # same value: fine
    changed = api.post("runs/log-parameter", {"run_id": run_id, "key": "p", "value": "2"})
    assert_error(changed, 400, INVALID, "'p'")
    in_batch = api.post("runs/log-batch", {"run_id": run_id, "params": [{"key": "p", "value": "3"}]})
    assert_error(in_batch, 400, INVALID, "'p'")


def test_rejected_batch_writes_nothing(api: MlflowApi, run_id: str) -> None:
    batch = {
        "run_id": run_id,
        "metrics": [{"key": "fine", "value": 1, "timestamp": 1}],
        "params": [{"key": "bad key!", "value": "1"}],
    }
    assert_error(api.post("runs/log-batch", batch), 400, INVALID, "bad key!")
    assert "metrics" not in _get_run(api, run_id)["data"]


@pytest.mark.parametrize(
    ("endpoint", "body", "fragment"),
    [
        ("runs/log-metric", {"key": "m", "value": 1, "timestamp": 1}, "run_id"),
        ("runs/log-metric", {"key": "m", "value": 1}, "'timestamp'"),
        ("runs/log-metric", {"key": "m", "value": "high", "timestamp": 1}, "'value'"),
        ("runs/log-metric", {"key": "m", "value": 1, "timestamp": 1, "step": 1.5}, "'step'"),
        ("runs/log-metric", {"key": "m", "value": 1, "timestamp": 2**70}, "'timestamp'"),
        ("runs/log-metric", {"key": "k" * 251, "value": 1, "timestamp": 1}, "250"),
        ("runs/log-metric", {"key": "../escape", "value": 1, "timestamp": 1}, "key"),
        ("runs/log-parameter", {"key": "p"}, "'value'"),
        ("runs/log-parameter", {"key": "p", "value": "v" * 6001}, "6000"),
        ("runs/set-tag", {"key": "t", "value": "v" * 8001}, "8000"),
        ("runs/set-tag", {"key": "t", "value": {"nested": 1}}, "'value'"),
        ("runs/delete-tag", {"key": "never-set"}, ""),
        ("runs/log-batch", {"metrics": {"key": "m"}}, "'metrics'"),
        ("runs/log-batch", {"metrics": [{"key": "m", "value": 1, "timestamp": 1}] * 1001}, "1000"),
        ("runs/log-batch", {"params": [{"key": f"p{i}", "value": "1"} for i in range(101)]}, "100"),
        ("runs/update", {"status": "SLEEPING"}, "status"),
        ("runs/log-inputs", {"datasets": [{"dataset": {"name": "d"}}]}, "digest"),
    ],
)
def test_bad_run_data_is_a_4xx_naming_the_field(
    api: MlflowApi, run_id: str, endpoint: str, body: dict[str, Any], fragment: str
) -> None:
    response = api.post(endpoint, {"run_id": run_id, **body} if "run_id" not in fragment else body)
    expected = (404, NOT_FOUND) if endpoint == "runs/delete-tag" else (400, INVALID)
    assert_error(response, *expected, fragment)


@pytest.mark.parametrize(
    "body",
    [
        {"experiment_ids": ["1"], "filter": "metrics.loss <"},
        {"experiment_ids": ["1"], "filter": "metrics.loss < 'one'"},
        {"experiment_ids": ["1"], "filter": "foo.bar = 'x'"},
        {"experiment_ids": ["1"], "order_by": ["metrics.loss UP"]},
        {"experiment_ids": ["1"], "run_view_type": "NONE"},
        {"experiment_ids": ["1"], "max_results": 50001},
        {"experiment_ids": "1"},
        {"experiment_ids": ["abc"]},
    ],
)
def test_bad_search_is_400(api: MlflowApi, body: dict[str, Any]) -> None:
    assert_error(api.post("runs/search", body), 400, INVALID)


def test_nul_characters_are_refused_on_every_database(
    api: MlflowApi, experiment_id: str, run_id: str
) -> None:
    """PostgreSQL cannot store NUL; every database refuses it alike, with a 400 naming the field."""
    nul = "a\x00b"
    dataset = {"name": nul, "digest": "d", "source_type": "s", "source": "x"}
    posts = [
        ("experiments/create", {"name": nul}),
        ("experiments/create", {"name": "fine", "artifact_location": nul}),
        ("experiments/set-experiment-tag", {"experiment_id": experiment_id, "key": "k", "value": nul}),
        ("experiments/search", {"filter": f"name = '{nul}'"}),
        ("runs/create", {"experiment_id": experiment_id, "run_name": nul}),
        ("runs/create", {"experiment_id": experiment_id, "user_id": nul}),
        ("runs/update", {"run_id": run_id, "run_name": nul}),
        ("runs/set-tag", {"run_id": run_id, "key": "t", "value": nul}),
        ("runs/log-parameter", {"run_id": run_id, "key": "p", "value": nul}),
        ("runs/log-batch", {"run_id": run_id, "tags": [{"key": "t", "value": nul}]}),
        ("runs/log-inputs", {"run_id": run_id, "datasets": [{"dataset": dataset}]}),
        ("runs/search", {"experiment_ids": [experiment_id], "filter": f"params.p = '{nul}'"}),
    ]
    for endpoint, body in posts:
        assert_error(api.post(endpoint, body), 400, INVALID, "NUL")
    gets = [
        ("runs/get", {"run_id": nul}),
        ("experiments/get-by-name", {"experiment_name": nul}),
        ("metrics/get-history", {"run_id": run_id, "metric_key": nul}),
    ]
    for endpoint, params in gets:
        assert_error(api.get(endpoint, **params), 400, INVALID, "NUL")
