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
