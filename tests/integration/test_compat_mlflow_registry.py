"""The real ``mlflow`` client (3.17, own virtualenv) using flowtrack's model registry through its server.

One script per database (SQLite, PostgreSQL) logs a scikit-learn model with ``mlflow.sklearn.log_model``,
registers it twice with ``mlflow.register_model``, sets and reads aliases, moves versions between stages,
searches, and loads ``models:/<name>@<alias>`` back to predict. It prints what the client got back as one
JSON summary; each test checks one section of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.fixtures.databases import _Servers
from tests.fixtures.mlflow import run_mlflow_summary, summary_section
from tests.fixtures.server import RunningServer, server_on_own_database

COMPAT_BACKENDS = ("sqlite", "postgresql")
SCRIPT_TIMEOUT_S = 300
SUMMARY_MARKER = "REGISTRY-SUMMARY:"

SCRIPT = r"""
import json, traceback

import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.linear_model import LinearRegression

client = MlflowClient()
summary = {}
NAME = "compat-model"
X = np.array([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0], [4.0, 3.0]])
y = X @ np.array([2.0, -1.0]) + 0.5


def section(function):
    try:
        summary[function.__name__] = function()
    except Exception:
        summary[function.__name__] = {"error": traceback.format_exc()}
    return function


def version_view(version):
    return {
        "name": version.name,
        "version": str(version.version),
        "current_stage": version.current_stage,
        "status": version.status,
        "run_id": version.run_id,
        "source": version.source,
        "aliases": sorted(version.aliases),
        "tags": dict(version.tags),
    }


state = {}


@section
def register():
    mlflow.set_experiment("registry-compat")
    with mlflow.start_run() as run:
        model = LinearRegression().fit(X, y)
        info = mlflow.sklearn.log_model(model, name="model", input_example=X[:2])
    state["run_id"] = run.info.run_id
    first = mlflow.register_model(f"runs:/{run.info.run_id}/model", NAME)
    second = mlflow.register_model(info.model_uri, NAME, tags={"via": "model uri"})
    return {
        "run_id": run.info.run_id,
        "model_id": info.model_id,
        "first": version_view(first),
        "second": version_view(second),
        "expected": [float(v) for v in model.predict(X)],
    }


@section
def aliases():
    client.set_registered_model_alias(NAME, "champion", "1")
    client.set_registered_model_alias(NAME, "challenger", "2")
    before = version_view(client.get_model_version_by_alias(NAME, "champion"))
    client.set_registered_model_alias(NAME, "champion", "2")
    after = version_view(client.get_model_version_by_alias(NAME, "champion"))
    client.delete_registered_model_alias(NAME, "challenger")
    model = client.get_registered_model(NAME)
    return {"before": before, "after": after, "aliases": dict(model.aliases)}


@section
def stages():
    client.transition_model_version_stage(NAME, "1", "Production")
    moved = client.transition_model_version_stage(NAME, "2", "Production", archive_existing_versions=True)
    latest = client.get_latest_versions(NAME, stages=["Production", "Archived"])
    everything = client.get_latest_versions(NAME)
    return {
        "moved": version_view(moved),
        "latest": [version_view(v) for v in latest],
        "all_stages": sorted((v.version, v.current_stage) for v in everything),
        "version_1": client.get_model_version(NAME, "1").current_stage,
    }


@section
def search():
    client.create_registered_model("other-model", tags={"team": "ml"})
    models = client.search_registered_models()
    by_tag = client.search_registered_models(filter_string="tags.team = 'ml'")
    liked = client.search_registered_models(filter_string="name LIKE 'compat%'")
    versions = client.search_model_versions(f"name = '{NAME}'")
    by_run = client.search_model_versions(f"run_id = '{state['run_id']}'")
    ordered = client.search_model_versions(f"name = '{NAME}'", order_by=["version_number ASC"])
    return {
        "models": [m.name for m in models],
        "by_tag": [m.name for m in by_tag],
        "liked": [m.name for m in liked],
        "versions": [str(v.version) for v in versions],
        "by_run": sorted(str(v.version) for v in by_run),
        "ordered": [str(v.version) for v in ordered],
    }


@section
def load_by_alias():
    loaded = mlflow.pyfunc.load_model(f"models:/{NAME}@champion")
    by_version = mlflow.pyfunc.load_model(f"models:/{NAME}/1")
    by_stage = mlflow.pyfunc.load_model(f"models:/{NAME}/Production")
    return {
        "alias": [float(v) for v in loaded.predict(X)],
        "version": [float(v) for v in by_version.predict(X)],
        "stage": [float(v) for v in by_stage.predict(X)],
        "download_uri": client.get_model_version_download_uri(NAME, "2"),
    }


@section
def lifecycle():
    client.update_registered_model("other-model", description="described")
    client.rename_registered_model("other-model", "renamed-model")
    renamed = client.get_registered_model("renamed-model")
    client.delete_registered_model("renamed-model")
    try:
        client.get_registered_model("renamed-model")
        missing = None
    except mlflow.exceptions.MlflowException as exc:
        missing = exc.error_code
    return {"description": renamed.description, "missing": missing}


print("REGISTRY-SUMMARY:" + json.dumps(summary))
"""


@pytest.fixture(scope="module", params=COMPAT_BACKENDS)
def compat_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory, database_servers: _Servers
) -> Iterator[RunningServer]:
    """A flowtrack server on a database of its own (SQLite or PostgreSQL), for this module."""
    folder = tmp_path_factory.mktemp(f"registry-compat-{request.param}")
    with server_on_own_database(request.param, folder, database_servers) as server:
        yield server


@pytest.fixture(scope="module")
def summary(
    compat_server: RunningServer, mlflow_python: str, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Any]:
    """What the mlflow client got back, section by section (the script runs once per database)."""
    cwd = tmp_path_factory.mktemp("registry-compat-script")
    return run_mlflow_summary(
        mlflow_python, SCRIPT, compat_server.url, cwd, SUMMARY_MARKER, SCRIPT_TIMEOUT_S, compat_server.stderr
    )


section = summary_section


def test_register_model(summary: dict[str, Any]) -> None:
    result = section(summary, "register")
    first, second = result["first"], result["second"]
    assert (first["name"], first["version"], first["status"]) == ("compat-model", "1", "READY")
    assert (second["version"], second["tags"]) == ("2", {"via": "model uri"})
    assert first["run_id"] == second["run_id"] == result["run_id"]
    assert first["current_stage"] == "None"
    assert second["source"] == f"models:/{result['model_id']}"


def test_aliases(summary: dict[str, Any]) -> None:
    result = section(summary, "aliases")
    assert (result["before"]["version"], result["after"]["version"]) == ("1", "2")
    assert result["after"]["aliases"] == ["challenger", "champion"]
    assert result["aliases"] == {"champion": "2"}


def test_stages_and_latest_versions(summary: dict[str, Any]) -> None:
    result = section(summary, "stages")
    assert result["moved"]["current_stage"] == "Production"
    assert [(v["version"], v["current_stage"]) for v in result["latest"]] == [
        ("2", "Production"),
        ("1", "Archived"),
    ]
    assert result["all_stages"] == [["1", "Archived"], ["2", "Production"]]
    assert result["version_1"] == "Archived"


def test_search(summary: dict[str, Any]) -> None:
    result = section(summary, "search")
    assert result["models"] == ["compat-model", "other-model"]
    assert result["by_tag"] == ["other-model"]
    assert result["liked"] == ["compat-model"]
    assert sorted(result["versions"]) == ["1", "2"]
    assert result["by_run"] == ["1", "2"]
    assert result["ordered"] == ["1", "2"]


def test_load_by_alias_version_and_stage_predicts(summary: dict[str, Any]) -> None:
    expected = section(summary, "register")["expected"]
    result = section(summary, "load_by_alias")
    for key in ("alias", "version", "stage"):
        assert result[key] == pytest.approx(expected), key
    assert "/models/" in result["download_uri"]


def test_rename_update_delete(summary: dict[str, Any]) -> None:
    result = section(summary, "lifecycle")
    assert result == {"description": "described", "missing": "RESOURCE_DOES_NOT_EXIST"}
