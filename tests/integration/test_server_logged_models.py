"""MLflow 3 logged models (``/logged-models/*``, ``/runs/outputs``) against a real server on all databases.

Requests are the ones the mlflow 3.17 client sends (see /work/shared/mlflow-rest-calls.md, log_model_sklearn
and register_model); responses must have MLflow's shape: same fields, same order, same error codes.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.fixtures.server import MlflowApi, assert_error

NOT_FOUND = "RESOURCE_DOES_NOT_EXIST"
INVALID = "INVALID_PARAMETER_VALUE"
INFO_FIELDS = [
    "model_id",
    "experiment_id",
    "name",
    "creation_timestamp_ms",
    "last_updated_timestamp_ms",
    "artifact_uri",
    "status",
    "model_type",
    "source_run_id",
    "tags",
]
CLIENT_TAGS = [
    {"key": "mlflow.user", "value": "root"},
    {"key": "mlflow.source.name", "value": "proto_capture.py"},
    {"key": "mlflow.source.type", "value": "LOCAL"},
]
MISSING_MODEL = "m-" + "0" * 32


@pytest.fixture
def api(mlflow_api: MlflowApi) -> MlflowApi:
    return mlflow_api


@pytest.fixture
def experiment_id(api: MlflowApi) -> str:
    return api.create_experiment()


@pytest.fixture
def run_id(api: MlflowApi, experiment_id: str) -> str:
    run_id: str = api.create_run(experiment_id, tags=CLIENT_TAGS)["info"]["run_id"]
    api.ok(api.post("runs/log-parameter", {"run_id": run_id, "key": "alpha", "value": "0.5"}))
    return run_id


def create_model(api: MlflowApi, experiment_id: str, run_id: str, name: str = "model") -> dict[str, Any]:
    body = {
        "experiment_id": experiment_id,
        "name": name,
        "source_run_id": run_id,
        "params": [{"key": "alpha", "value": "0.5"}],
        "tags": CLIENT_TAGS,
    }
    model: dict[str, Any] = api.ok(api.post("logged-models", body))["model"]
    return model


def get_model(api: MlflowApi, model_id: str, **params: Any) -> dict[str, Any]:
    model: dict[str, Any] = api.ok(api.get(f"logged-models/{model_id}", **params))["model"]
    return model


def test_log_model_as_the_mlflow_client_does(api: MlflowApi, experiment_id: str, run_id: str) -> None:
    created = create_model(api, experiment_id, run_id)
    assert list(created) == ["info", "data"]
    info = created["info"]
    assert list(info) == INFO_FIELDS
    model_id = info["model_id"]
    assert re.fullmatch(r"m-[0-9a-f]{32}", model_id)
    assert info["experiment_id"] == experiment_id
    assert info["name"] == "model"
    assert info["creation_timestamp_ms"] == info["last_updated_timestamp_ms"]
    assert isinstance(info["creation_timestamp_ms"], int)
    assert info["artifact_uri"] == f"mlflow-artifacts:/{experiment_id}/models/{model_id}/artifacts"
    assert (info["status"], info["model_type"], info["source_run_id"]) == ("LOGGED_MODEL_PENDING", "", run_id)
    assert info["tags"] == sorted(CLIENT_TAGS, key=lambda tag: tag["key"])
    assert created["data"] == {"params": [{"key": "alpha", "value": "0.5"}]}

    outputs = {"run_id": run_id, "models": [{"model_id": model_id, "step": 0}]}
    assert api.ok(api.post("runs/outputs", outputs)) == {}
    run = api.ok(api.get("runs/get", run_uuid=run_id, run_id=run_id))["run"]
    assert run["outputs"] == {"model_outputs": [{"model_id": model_id, "step": 0}]}
    found = api.ok(api.post("runs/search", {"experiment_ids": [experiment_id]}))["runs"]
    assert found[0]["outputs"] == {"model_outputs": [{"model_id": model_id, "step": 0}]}

    point = {"key": "loss", "value": 0.9, "timestamp": 1795697305871, "step": 0, "model_id": model_id}
    assert api.ok(api.post("runs/log-batch", {"run_id": run_id, "metrics": [point]})) == {}
    fetched = get_model(api, model_id)
    assert fetched["info"] == info
    assert fetched["data"] == {
        "params": [{"key": "alpha", "value": "0.5"}],
        "metrics": [{**point, "run_id": run_id}],
    }
    history = api.ok(api.get("metrics/get-history", run_id=run_id, metric_key="loss"))
    assert history == {"metrics": [{key: point[key] for key in ("key", "value", "timestamp", "step")}]}

    finalized = api.ok(
        api.http.patch(
            f"/api/2.0/mlflow/logged-models/{model_id}",
            json={"model_id": model_id, "status": "LOGGED_MODEL_READY"},
        )
    )["model"]
    assert finalized["info"]["status"] == "LOGGED_MODEL_READY"
    assert finalized["info"]["last_updated_timestamp_ms"] >= info["creation_timestamp_ms"]
    assert finalized["data"]["metrics"] == [{**point, "run_id": run_id}]
    assert get_model(api, model_id) == finalized

    # registering a version tags the model; runs:/<run>/model URIs are resolved through a search
    versions = '[{"name": "flowtrack-proto-model", "version": 1}]'
    tags_body = {"tags": [{"key": "mlflow.modelVersions", "value": versions}]}
    assert api.ok(api.http.patch(f"/api/2.0/mlflow/logged-models/{model_id}/tags", json=tags_body)) == {}
    search = {"experiment_ids": [experiment_id], "filter": "name = 'model'"}
    models = api.ok(api.post("logged-models/search", search))
    assert list(models) == ["models"]
    (model,) = models["models"]
    assert model["info"]["tags"][0] == {"key": "mlflow.modelVersions", "value": versions}
    assert model["info"]["last_updated_timestamp_ms"] == finalized["info"]["last_updated_timestamp_ms"]
    assert model["data"] == finalized["data"]


def test_finalize_status_spellings(api: MlflowApi, experiment_id: str, run_id: str) -> None:
    model_id = create_model(api, experiment_id, run_id)["info"]["model_id"]
    path = f"/api/2.0/mlflow/logged-models/{model_id}"
    for status, expected in ((2, "LOGGED_MODEL_READY"), ("FAILED", "LOGGED_MODEL_UPLOAD_FAILED")):
        answer = api.ok(api.http.patch(path, json={"model_id": model_id, "status": status}))
        assert answer["model"]["info"]["status"] == expected
    assert_error(api.http.patch(path, json={"status": "DONE"}), 400, INVALID, "status")
    assert_error(api.http.patch(path, json={}), 400, INVALID, "status")


def test_tags_params_and_delete(api: MlflowApi, experiment_id: str, run_id: str) -> None:
    model_id = create_model(api, experiment_id, run_id)["info"]["model_id"]
    base = f"/api/2.0/mlflow/logged-models/{model_id}"
    assert api.ok(api.http.patch(f"{base}/tags", json={"tags": [{"key": "a/b", "value": "1"}]})) == {}
    params = {"model_id": model_id, "params": [{"key": "depth", "value": "3"}]}
    assert api.ok(api.post(f"logged-models/{model_id}/params", params)) == {}
    fetched = get_model(api, model_id)
    assert {"key": "a/b", "value": "1"} in fetched["info"]["tags"]
    assert fetched["data"]["params"] == [{"key": "alpha", "value": "0.5"}, {"key": "depth", "value": "3"}]
    changed = {"model_id": model_id, "params": [{"key": "depth", "value": "4"}]}
    assert_error(api.post(f"logged-models/{model_id}/params", changed), 400, INVALID, "depth")

    assert api.ok(api.http.delete(f"{base}/tags/a/b")) == {}
    assert {"key": "a/b", "value": "1"} not in get_model(api, model_id)["info"]["tags"]
    assert_error(api.http.delete(f"{base}/tags/a/b"), 404, NOT_FOUND, "a/b")

    assert api.ok(api.http.request("DELETE", base, json={"model_id": model_id})) == {}
    assert_error(api.get(f"logged-models/{model_id}"), 404, NOT_FOUND, model_id)
    deleted = get_model(api, model_id, allow_deleted="true")
    assert deleted["info"]["model_id"] == model_id
    assert api.ok(api.post("logged-models/search", {"experiment_ids": [experiment_id]})) == {}


def test_search_pages_filters_and_orders(api: MlflowApi, experiment_id: str, run_id: str) -> None:
    ids = [create_model(api, experiment_id, run_id, f"m{index}")["info"]["model_id"] for index in range(3)]
    for index, model_id in enumerate(ids):
        point = {"key": "acc", "value": index / 10, "timestamp": 1, "step": 0, "model_id": model_id}
        api.ok(api.post("runs/log-batch", {"run_id": run_id, "metrics": [point]}))
    body = {
        "experiment_ids": [experiment_id],
        "max_results": 2,
        "order_by": [{"field_name": "metrics.acc", "ascending": False}],
    }
    first = api.ok(api.post("logged-models/search", body))
    assert [model["info"]["name"] for model in first["models"]] == ["m2", "m1"]
    second = api.ok(api.post("logged-models/search", {**body, "page_token": first["next_page_token"]}))
    assert [model["info"]["name"] for model in second["models"]] == ["m0"]
    assert "next_page_token" not in second
    filtered = {"experiment_ids": [experiment_id], "filter": "metrics.acc > 0.05 AND status = 'PENDING'"}
    found = api.ok(api.post("logged-models/search", filtered, prefix="/ajax-api/2.0/mlflow"))
    assert sorted(model["info"]["name"] for model in found["models"]) == ["m1", "m2"]
    bad = {"experiment_ids": [experiment_id], "filter": "params.x < 3"}
    assert_error(api.post("logged-models/search", bad), 400, INVALID, "params.x")
    bad_order = {"experiment_ids": [experiment_id], "order_by": [{"field_name": "tags.x"}]}
    assert_error(api.post("logged-models/search", bad_order), 400, INVALID, "tags")


def test_errors(api: MlflowApi, experiment_id: str, run_id: str) -> None:
    assert_error(api.post("logged-models", {"name": "m"}), 400, INVALID, "experiment_id")
    assert_error(api.post("logged-models", {"experiment_id": "987654"}), 404, NOT_FOUND)
    bad_name = {"experiment_id": experiment_id, "name": "a/b"}
    assert_error(api.post("logged-models", bad_name), 400, INVALID, "a/b")
    no_run = {"experiment_id": experiment_id, "source_run_id": "0" * 32}
    assert_error(api.post("logged-models", no_run), 404, NOT_FOUND)
    assert_error(api.get(f"logged-models/{MISSING_MODEL}"), 404, NOT_FOUND, MISSING_MODEL)
    assert_error(api.get("logged-models/not-a-model-id"), 404, NOT_FOUND)
    outputs = {"run_id": run_id, "models": [{"model_id": MISSING_MODEL, "step": 0}]}
    assert_error(api.post("runs/outputs", outputs), 404, NOT_FOUND, MISSING_MODEL)
    # a point for an unknown model is refused before anything is written to the run
    point = {"key": "lost", "value": 1.0, "timestamp": 1, "step": 0, "model_id": MISSING_MODEL}
    assert_error(api.post("runs/log-batch", {"run_id": run_id, "metrics": [point]}), 404, NOT_FOUND)
    single = {"run_id": run_id, "key": "lost", "value": 1.0, "timestamp": 1, "model_id": MISSING_MODEL}
    assert_error(api.post("runs/log-metric", single), 404, NOT_FOUND)
    assert api.ok(api.get("metrics/get-history", run_id=run_id, metric_key="lost")) == {}


def test_log_metric_links_a_model(api: MlflowApi, experiment_id: str, run_id: str) -> None:
    model_id = create_model(api, experiment_id, run_id)["info"]["model_id"]
    body = {
        "run_id": run_id,
        "key": "rmse",
        "value": "NaN",
        "timestamp": 3,
        "step": 2,
        "model_id": model_id,
        "dataset_name": "eval",
        "dataset_digest": "abc",
    }
    assert api.ok(api.post("runs/log-metric", body)) == {}
    assert get_model(api, model_id)["data"]["metrics"] == [
        {
            "key": "rmse",
            "value": "NaN",
            "timestamp": 3,
            "step": 2,
            "dataset_name": "eval",
            "dataset_digest": "abc",
            "model_id": model_id,
            "run_id": run_id,
        }
    ]


def test_model_artifacts_through_the_proxy(api: MlflowApi, experiment_id: str, run_id: str) -> None:
    model_id = create_model(api, experiment_id, run_id)["info"]["model_id"]
    proxy = f"/api/2.0/mlflow-artifacts/artifacts/{experiment_id}/models/{model_id}/artifacts"
    assert api.http.put(f"{proxy}/MLmodel", content=b"flavors: {}\n").status_code == 200
    assert api.http.put(f"{proxy}/sub/model.pkl", content=b"123").status_code == 200
    assert api.http.get(f"{proxy}/MLmodel").content == b"flavors: {}\n"
    listing = api.ok(api.get(f"logged-models/{model_id}/artifacts/directories"))
    assert listing == {
        "root_uri": f"mlflow-artifacts:/{experiment_id}/models/{model_id}/artifacts",
        "files": [
            {"path": "MLmodel", "is_dir": False, "file_size": 12},
            {"path": "sub", "is_dir": True},
        ],
    }
    nested = api.ok(api.get(f"logged-models/{model_id}/artifacts/directories", artifact_directory_path="sub"))
    assert nested["files"] == [{"path": "sub/model.pkl", "is_dir": False, "file_size": 3}]
