"""The registry endpoints over HTTP on a real server (SQLite, PostgreSQL, MySQL): MLflow's paths, methods,
JSON fields, statuses and error codes, as the mlflow client sends and reads them (see
/work/shared/mlflow-rest-calls.md, register_model and set_registered_model_alias)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.fixtures.server import MlflowApi, assert_error

NOT_FOUND = "RESOURCE_DOES_NOT_EXIST"
EXISTS = "RESOURCE_ALREADY_EXISTS"
INVALID = "INVALID_PARAMETER_VALUE"
VERSION_FIELDS = [
    "name",
    "version",
    "creation_timestamp",
    "last_updated_timestamp",
    "current_stage",
    "description",
    "source",
    "run_id",
    "status",
    "run_link",
]


@pytest.fixture
def api(mlflow_api: MlflowApi) -> MlflowApi:
    return mlflow_api


@pytest.fixture
def name() -> str:
    return f"model-{uuid.uuid4().hex[:8]}"


def delete(api: MlflowApi, endpoint: str, body: Any, prefix: str = "/api/2.0/mlflow") -> httpx.Response:
    return api.http.request("DELETE", f"{prefix}/{endpoint}", json=body)


def patch(api: MlflowApi, endpoint: str, body: Any) -> httpx.Response:
    return api.http.patch(f"/api/2.0/mlflow/{endpoint}", json=body)


def create_version(api: MlflowApi, name: str, source: str = "s3://bucket/model", **fields: Any) -> Any:
    body = {"name": name, "source": source, **fields}
    return api.ok(api.post("model-versions/create", body))["model_version"]


def test_create_and_get_have_mlflows_shape(api: MlflowApi, name: str) -> None:
    created = api.ok(api.post("registered-models/create", {"name": name}))["registered_model"]
    assert list(created) == ["name", "creation_timestamp", "last_updated_timestamp"]
    assert created["name"] == name

    experiment_id = api.create_experiment()
    run_id = api.create_run(experiment_id)["info"]["run_id"]
    version = create_version(api, name, f"runs:/{run_id}/model", tags=[{"key": "k", "value": "v"}])
    assert list(version)[: len(VERSION_FIELDS)] == VERSION_FIELDS
    assert (version["version"], version["current_stage"], version["status"]) == ("1", "None", "READY")
    assert (version["run_id"], version["tags"]) == (run_id, [{"key": "k", "value": "v"}])

    api.ok(api.post("registered-models/alias", {"name": name, "alias": "champion", "version": "1"}))
    found = api.ok(api.get("registered-models/get", name=name))["registered_model"]
    assert found["aliases"] == [{"alias": "champion", "version": "1"}]
    assert [v["version"] for v in found["latest_versions"]] == ["1"]
    by_alias = api.ok(api.get("registered-models/alias", name=name, alias="champion"))["model_version"]
    assert by_alias["aliases"] == ["champion"]
    uri = api.ok(api.get("model-versions/get-download-uri", name=name, version="1"))["artifact_uri"]
    run = api.ok(api.get("runs/get", run_id=run_id))["run"]
    assert uri == f"{run['info']['artifact_uri']}/model"


def test_every_write_method_and_the_ajax_prefix(api: MlflowApi, name: str) -> None:
    ajax = "/ajax-api/2.0/mlflow"
    api.ok(api.post("registered-models/create", {"name": name, "description": "d"}, prefix=ajax))
    create_version(api, name)
    create_version(api, name)
    updated = api.ok(patch(api, "registered-models/update", {"name": name, "description": "new"}))
    assert updated["registered_model"]["description"] == "new"
    version = api.ok(patch(api, "model-versions/update", {"name": name, "version": "1", "description": "x"}))
    assert version["model_version"]["description"] == "x"
    api.ok(api.post("registered-models/set-tag", {"name": name, "key": "team", "value": "ml"}))
    api.ok(api.post("model-versions/set-tag", {"name": name, "version": "1", "key": "a", "value": "b"}))
    api.ok(delete(api, "model-versions/delete-tag", {"name": name, "version": "1", "key": "a"}))
    moved = api.post(
        "model-versions/transition-stage",
        {"name": name, "version": "2", "stage": "production", "archive_existing_versions": True},
    )
    assert api.ok(moved)["model_version"]["current_stage"] == "Production"
    latest = api.ok(
        api.post("registered-models/get-latest-versions", {"name": name, "stages": ["Production"]})
    )
    assert [v["version"] for v in latest["model_versions"]] == ["2"]
    latest_get = api.ok(api.get("registered-models/get-latest-versions", name=name))
    assert [v["current_stage"] for v in latest_get["model_versions"]] == ["None", "Production"]

    api.ok(api.post("registered-models/alias", {"name": name, "alias": "prod", "version": "2"}))
    api.ok(delete(api, "registered-models/alias", {"name": name, "alias": "prod"}, prefix=ajax))
    api.ok(delete(api, "model-versions/delete", {"name": name, "version": "1"}))
    api.ok(delete(api, "registered-models/delete-tag", {"name": name, "key": "team"}))
    renamed = api.ok(api.post("registered-models/rename", {"name": name, "new_name": f"{name}-2"}))
    assert renamed["registered_model"]["name"] == f"{name}-2"
    api.ok(delete(api, "registered-models/delete", {"name": f"{name}-2"}))
    assert_error(api.get("registered-models/get", name=f"{name}-2"), 404, NOT_FOUND, f"{name}-2")


def test_search_endpoints_filter_and_page(api: MlflowApi, name: str) -> None:
    api.ok(api.post("registered-models/create", {"name": name}))
    for _ in range(3):
        create_version(api, name)
    found = api.ok(api.get("registered-models/search", filter=f"name = '{name}'", max_results="10"))
    assert [m["name"] for m in found["registered_models"]] == [name]
    prompts = api.ok(api.get("registered-models/search", filter="tag.`mlflow.prompt.is_prompt` != 'true'"))
    assert name in [m["name"] for m in prompts["registered_models"]]

    params = {"filter": f"name='{name}'", "max_results": "2", "order_by": ["version_number ASC"]}
    first = api.ok(api.http.get("/api/2.0/mlflow/model-versions/search", params=params))
    assert [v["version"] for v in first["model_versions"]] == ["1", "2"]
    rest = api.ok(
        api.http.get(
            "/api/2.0/mlflow/model-versions/search", params={**params, "page_token": first["next_page_token"]}
        )
    )
    assert [v["version"] for v in rest["model_versions"]] == ["3"]
    assert "next_page_token" not in rest


def test_errors_have_mlflows_codes(api: MlflowApi, name: str) -> None:
    api.ok(api.post("registered-models/create", {"name": name}))
    create_version(api, name)
    assert_error(api.post("registered-models/create", {"name": name}), 400, EXISTS, "already exists")
    assert_error(api.post("registered-models/create", {}), 400, INVALID, "'name'")
    assert_error(api.post("registered-models/create", {"name": ""}), 400, INVALID, "name")
    assert_error(api.get("registered-models/get", name="missing-model"), 404, NOT_FOUND, "missing-model")
    assert_error(api.get("model-versions/get", name=name, version="9"), 404, NOT_FOUND, "version=9")
    assert_error(api.get("model-versions/get", name=name, version="nine"), 400, INVALID, "version")
    assert_error(api.get("registered-models/alias", name=name, alias="nope"), 404, NOT_FOUND, "nope")
    stage = {"name": name, "version": "1", "stage": "Live"}
    assert_error(api.post("model-versions/transition-stage", stage), 400, INVALID, "stage")
    bad_filter = api.get("model-versions/search", filter="name = 'x' OR name = 'y'")
    assert_error(bad_filter, 400, INVALID, "OR")
    missing_run = {"name": name, "source": "runs:/" + "0" * 32 + "/model"}
    assert_error(api.post("model-versions/create", missing_run), 400, INVALID, "no run")
    versions = api.ok(api.get("model-versions/search", filter=f"name = '{name}'"))["model_versions"]
    assert [v["version"] for v in versions] == ["1"]  # the refused create wrote nothing
