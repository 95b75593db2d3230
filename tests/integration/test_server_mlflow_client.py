"""The real, unchanged ``mlflow`` client against a flowtrack server, in its own interpreter.

mlflow is not a dependency of flowtrack, so the script runs in the interpreter of the ``mlflow_python``
fixture (tests/fixtures/mlflow.py).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

from tests.fixtures.server import RunningServer

SCRIPT = r"""
import hashlib, math, os, sys, tempfile
import mlflow
from mlflow import MlflowClient
from mlflow.entities import Metric

mlflow.set_experiment("client-test")
work = tempfile.mkdtemp()
with mlflow.start_run(run_name="r1") as run:
    mlflow.set_tag("team", "a")
    mlflow.log_param("alpha", 0.5)
    mlflow.log_metric("loss", 0.9, step=0)
    mlflow.log_metrics({"loss": 0.8, "acc": 0.6}, step=1)
    mlflow.log_metric("nan", float("nan"))
    mlflow.log_metric("inf", float("-inf"))
    big = os.path.join(work, "big.bin")
    with open(big, "wb") as handle:
        handle.write(os.urandom(3 * 2**20))
    mlflow.log_artifact(big, artifact_path="data")
    mlflow.log_dict({"a": 1}, "config.json")
    MlflowClient().log_batch(run.info.run_id, metrics=[Metric("big", float(i), 0, i) for i in range(1000)])
run_id = run.info.run_id
client = MlflowClient()
got = client.get_run(run_id)
assert got.info.status == "FINISHED", got.info
assert got.data.params == {"alpha": "0.5"}, got.data.params
assert got.data.metrics["loss"] == 0.8 and math.isnan(got.data.metrics["nan"]), got.data.metrics
assert got.data.metrics["inf"] == float("-inf")
assert got.data.tags["team"] == "a"
assert [m.value for m in client.get_metric_history(run_id, "loss")] == [0.9, 0.8]
assert len(client.get_metric_history(run_id, "big")) == 1000
assert sorted(f.path for f in client.list_artifacts(run_id)) == ["config.json", "data"]
assert [f.path for f in client.list_artifacts(run_id, "data")] == ["data/big.bin"]
local = mlflow.artifacts.download_artifacts(run_id=run_id, artifact_path="data/big.bin", dst_path=work)
with open(big, "rb") as a, open(local, "rb") as b:
    assert hashlib.sha256(a.read()).digest() == hashlib.sha256(b.read()).digest()
query = "metrics.loss < 1 and params.alpha = '0.5'"
found = mlflow.search_runs(filter_string=query, order_by=["metrics.loss ASC"])
assert list(found["run_id"]) == [run_id], found
experiment = client.get_experiment_by_name("client-test")
client.set_experiment_tag(experiment.experiment_id, "k", "v")
client.rename_experiment(experiment.experiment_id, "client-test-renamed")
assert client.get_experiment(experiment.experiment_id).tags == {"k": "v"}
try:
    client.log_param(run_id, "alpha", 2)
    raise SystemExit("param overwrite was accepted")
except mlflow.exceptions.MlflowException as exc:
    assert exc.error_code == "INVALID_PARAMETER_VALUE", exc.error_code
try:
    client.get_run("0" * 32)
    raise SystemExit("unknown run was found")
except mlflow.exceptions.MlflowException as exc:
    assert exc.error_code == "RESOURCE_DOES_NOT_EXIST", exc.error_code
client.delete_run(run_id)
client.restore_run(run_id)
print("MLFLOW CLIENT OK")
"""


def test_unchanged_mlflow_client_logs_to_flowtrack(
    module_sqlite_server: RunningServer, tmp_path: Path, mlflow_python: str
) -> None:
    python = mlflow_python
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": module_sqlite_server.url,
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "GIT_PYTHON_REFRESH": "quiet",
    }
    done = subprocess.run(
        [python, "-c", SCRIPT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr + module_sqlite_server.stderr()
    assert "MLFLOW CLIENT OK" in done.stdout


LOGGED_MODEL_SCRIPT = r"""
import re
import mlflow
import numpy as np
from mlflow import MlflowClient
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression

X, y = load_iris(return_X_y=True)
model = LogisticRegression(max_iter=500).fit(X, y)
expected = model.predict(X)
accuracy = model.score(X, y)
mlflow.set_experiment("logged-models")
with mlflow.start_run() as run:
    mlflow.log_param("C", 1.0)
    mlflow.log_metric("accuracy", accuracy)
    info = mlflow.sklearn.log_model(model, name="model", input_example=X[:5])
run_id, experiment_id = run.info.run_id, run.info.experiment_id
client = MlflowClient()

assert re.fullmatch(r"m-[0-9a-f]{32}", info.model_id), info.model_id
assert info.model_uri == f"models:/{info.model_id}", info.model_uri
assert info.run_id == run_id, info.run_id
assert info.artifact_path == f"mlflow-artifacts:/{experiment_id}/models/{info.model_id}/artifacts", info
assert info.flavors["sklearn"]["sklearn_version"], info.flavors

logged = mlflow.get_logged_model(info.model_id)
assert logged.status == "READY", logged.status
assert (logged.name, logged.experiment_id, logged.source_run_id) == ("model", experiment_id, run_id), logged
assert logged.artifact_location == info.artifact_path, logged.artifact_location
assert logged.params == {"C": "1.0"}, logged.params
assert [(m.key, m.value, m.run_id, m.model_id) for m in logged.metrics] == [
    ("accuracy", accuracy, run_id, info.model_id)
], logged.metrics
assert logged.tags["mlflow.source.type"] == "LOCAL", logged.tags
assert logged.creation_timestamp <= logged.last_updated_timestamp, logged

found = mlflow.search_logged_models(experiment_ids=[experiment_id], output_format="list")
assert [m.model_id for m in found] == [info.model_id], found
named = mlflow.search_logged_models(
    experiment_ids=[experiment_id], filter_string="name = 'model' AND status = 'READY'", output_format="list"
)
assert [m.model_id for m in named] == [info.model_id], named
none = mlflow.search_logged_models(experiment_ids=[experiment_id], filter_string="name = 'other'")
assert len(none) == 0, none
frame = mlflow.search_logged_models(experiment_ids=[experiment_id])
assert list(frame["model_id"]) == [info.model_id], frame

outputs = client.get_run(run_id).outputs
assert [(o.model_id, o.step) for o in outputs.model_outputs] == [(info.model_id, 0)], outputs

by_model = mlflow.pyfunc.load_model(info.model_uri)
assert np.array_equal(by_model.predict(X), expected)
by_run = mlflow.pyfunc.load_model(f"runs:/{run_id}/model")
assert np.array_equal(by_run.predict(X), expected)
native = mlflow.sklearn.load_model(info.model_uri)
assert type(native).__name__ == "LogisticRegression" and np.array_equal(native.predict(X), expected)

client.set_logged_model_tags(info.model_id, {"stage": "candidate"})
assert client.get_logged_model(info.model_id).tags["stage"] == "candidate"
client.delete_logged_model_tag(info.model_id, "stage")
assert "stage" not in client.get_logged_model(info.model_id).tags
print("LOGGED MODELS OK")
"""


def test_mlflow_sklearn_log_model_and_load_it_back(
    module_sqlite_server: RunningServer, tmp_path: Path, mlflow_python: str
) -> None:
    env = {
        **os.environ,
        "MLFLOW_TRACKING_URI": module_sqlite_server.url,
        "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0",
        "GIT_PYTHON_REFRESH": "quiet",
    }
    done = subprocess.run(
        [mlflow_python, "-c", LOGGED_MODEL_SCRIPT],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr + module_sqlite_server.stderr()
    assert "LOGGED MODELS OK" in done.stdout
    artifacts = module_sqlite_server.artifacts
    files = {path.name for path in artifacts.glob("*/models/m-*/artifacts/*")}
    assert {"MLmodel", "requirements.txt", "input_example.json"} <= files, files
