"""Models cross between the two tools through a flowtrack server, with the real mlflow client.

mlflow → flowtrack: a scikit-learn model that mlflow logs (its default skops format) and registers loads
through ``flowtrack.pyfunc.load_model`` by id, run, version and alias. flowtrack → mlflow: a sklearn model
flowtrack logs loads through ``mlflow.pyfunc.load_model`` and ``mlflow.sklearn.load_model``.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import pandas as pd

import flowtrack as ft
from tests.fixtures.mlflow import mlflow_client_env
from tests.fixtures.server import RunningServer

MLFLOW_LOGS = r"""
import json, sys
import mlflow, pandas as pd
from sklearn.linear_model import LogisticRegression

frame = pd.read_csv(sys.argv[1])
target = (frame["a"] + frame["b"] > 5).astype(int)
model = LogisticRegression().fit(frame, target)
mlflow.set_experiment("from-mlflow")
with mlflow.start_run() as run:
    mlflow.log_param("C", 1.0)
    info = mlflow.sklearn.log_model(model, name="clf", input_example=frame.head(3),
                                    registered_model_name="mlflow-clf")
mlflow.MlflowClient().set_registered_model_alias("mlflow-clf", "champion", 1)
print(json.dumps({"model_uri": info.model_uri, "run_id": run.info.run_id,
                  "expected": model.predict(frame).tolist()}))
"""

MLFLOW_LOADS = r"""
import json, sys
import mlflow, pandas as pd

frame = pd.read_csv(sys.argv[1])
out = {}
for uri in sys.argv[2:]:
    out[uri] = mlflow.pyfunc.load_model(uri).predict(frame).tolist()
out["native"] = mlflow.sklearn.load_model(sys.argv[2]).predict(frame).tolist()
print(json.dumps(out))
"""


def _frame(tmp_path: Path) -> tuple[pd.DataFrame, Path]:
    rng = np.random.default_rng(11)
    frame = pd.DataFrame({"a": rng.uniform(0, 5, 30).round(3), "b": rng.integers(0, 6, 30)})
    path = tmp_path / "frame.csv"
    frame.to_csv(path, index=False)
    return frame, path


def _run_mlflow(python: str, server: RunningServer, cwd: Path, script: str, *args: str) -> dict[str, object]:
    env = mlflow_client_env(server.url, MLFLOW_ALLOW_PICKLE_DESERIALIZATION="true")
    done = subprocess.run(
        [python, "-c", script, *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr + server.stderr()
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_mlflow_logged_model_loads_in_flowtrack(
    module_sqlite_server: RunningServer, tmp_path: Path, mlflow_python: str
) -> None:
    frame, csv = _frame(tmp_path)
    logged = _run_mlflow(mlflow_python, module_sqlite_server, tmp_path, MLFLOW_LOGS, str(csv))

    ft.set_tracking_uri(module_sqlite_server.url)
    for uri in (str(logged["model_uri"]), f"runs:/{logged['run_id']}/clf", "models:/mlflow-clf@champion",
                "models:/mlflow-clf/1"):  # fmt: skip
        model = ft.pyfunc.load_model(uri)
        assert model.predict(frame).tolist() == logged["expected"], uri
    assert ft.sklearn.load_model(str(logged["model_uri"])).predict(frame).tolist() == logged["expected"]
    assert ft.pyfunc.load_model(str(logged["model_uri"])).metadata.flavors["sklearn"][
        "serialization_format"
    ] == ("skops")


def test_flowtrack_logged_model_loads_in_mlflow(
    module_sqlite_server: RunningServer, tmp_path: Path, mlflow_python: str
) -> None:
    from sklearn.ensemble import RandomForestClassifier

    frame, csv = _frame(tmp_path)
    model = RandomForestClassifier(n_estimators=4, random_state=0).fit(frame, frame["b"] > 2)
    ft.set_tracking_uri(module_sqlite_server.url)
    ft.set_experiment("from-flowtrack")
    with ft.start_run() as run:
        info = ft.sklearn.log_model(model, name="forest", input_example=frame.head(2))
    ft.register_model(info.model_uri, "flowtrack-forest")
    ft.Client().set_registered_model_alias("flowtrack-forest", "production", 1)

    uris = [info.model_uri, f"runs:/{run.info.run_id}/forest", "models:/flowtrack-forest@production"]
    loaded = _run_mlflow(mlflow_python, module_sqlite_server, tmp_path, MLFLOW_LOADS, str(csv), *uris)
    expected = model.predict(frame).tolist()
    for uri in [*uris, "native"]:
        assert loaded[uri] == expected, uri


def test_flowtrack_loads_from_a_real_mlflow_server(
    mlflow_server: str, tmp_path: Path, mlflow_python: str
) -> None:
    """mlflow logs to its own server; flowtrack, pointed at that server, loads the model by every form."""
    frame, csv = _frame(tmp_path)
    env = mlflow_client_env(mlflow_server)
    done = subprocess.run(
        [mlflow_python, "-c", MLFLOW_LOGS, str(csv)], cwd=tmp_path, env=env, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    logged = json.loads(done.stdout.strip().splitlines()[-1])

    ft.set_tracking_uri(mlflow_server)
    for uri in (logged["model_uri"], f"runs:/{logged['run_id']}/clf", "models:/mlflow-clf@champion"):
        assert ft.pyfunc.load_model(uri).predict(frame).tolist() == logged["expected"], uri
