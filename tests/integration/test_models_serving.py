"""The scoring server (``flowtrack models serve`` in a subprocess): the four JSON forms and CSV give the
model's predictions; bad input gets a 400 naming the problem, never a 500."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pandas as pd
import pytest

import flowtrack as ft
from tests.fixtures.server import RunningServer, free_port

FRAME = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [1, 0, 4]})


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, Any]]:
    from sklearn.linear_model import LinearRegression

    model = LinearRegression().fit(FRAME, FRAME["a"] * 2 + FRAME["b"])
    path = tmp_path_factory.mktemp("served") / "model"
    ft.sklearn.save_model(model, path, input_example=FRAME)
    with scoring_server(str(path)) as client:
        yield client, model


@contextlib.contextmanager
def scoring_server(model_uri: str, env: dict[str, str] | None = None) -> Iterator[httpx.Client]:
    """``flowtrack models serve -m model_uri`` on a free port, until /ping answers; an HTTP client for it."""
    port = free_port()
    command = [sys.executable, "-m", "flowtrack", "models", "serve", "-m", model_uri, "--port", str(port)]
    process = subprocess.Popen(
        command, env={**os.environ, **(env or {})}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode() if process.stdout else ""
                pytest.fail(f"model server exited with {process.returncode}:\n{output}")
            with contextlib.suppress(httpx.TransportError):
                if client.get("/ping").status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail("model server did not answer /ping within 60 s")
            time.sleep(0.1)
        yield client
    finally:
        client.close()
        process.terminate()
        process.wait(timeout=10)


def _expected(model: Any) -> list[float]:
    return [pytest.approx(value) for value in model.predict(FRAME).tolist()]


def test_ping_and_health(served: tuple[httpx.Client, Any]) -> None:
    client, _ = served
    assert client.get("/ping").status_code == 200
    assert client.get("/health").json()["status"] == "ok"


@pytest.mark.parametrize(
    "body",
    [
        {"dataframe_split": {"columns": ["a", "b"], "data": [[1.0, 1], [2.0, 0], [3.0, 4]]}},
        {"dataframe_records": [{"a": 1.0, "b": 1}, {"a": 2.0, "b": 0}, {"a": 3.0, "b": 4}]},
        {"instances": [{"a": 1.0, "b": 1}, {"a": 2.0, "b": 0}, {"a": 3.0, "b": 4}]},
        {"instances": [[1.0, 1], [2.0, 0], [3.0, 4]]},
        {"inputs": {"a": [1.0, 2.0, 3.0], "b": [1, 0, 4]}},
        {"inputs": [[1.0, 1], [2.0, 0], [3.0, 4]], "params": {}},
    ],
    ids=["split", "records", "instances-records", "instances-rows", "inputs-columns", "inputs-rows"],
)
def test_json_forms(served: tuple[httpx.Client, Any], body: dict[str, Any]) -> None:
    client, model = served
    response = client.post("/invocations", json=body)
    assert response.status_code == 200, response.text
    assert response.json() == {"predictions": _expected(model)}


def test_inputs_with_one_value_per_column(served: tuple[httpx.Client, Any]) -> None:
    client, model = served
    response = client.post("/invocations", json={"inputs": {"a": 2.0, "b": 0}})
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == [pytest.approx(model.predict(FRAME.iloc[[1]])[0])]


def test_csv(served: tuple[httpx.Client, Any]) -> None:
    client, model = served
    response = client.post(
        "/invocations", content=FRAME.to_csv(index=False), headers={"content-type": "text/csv"}
    )
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == _expected(model)


@pytest.mark.parametrize(
    ("content", "content_type", "fragment"),
    [
        (b"{not json", "application/json", "not valid JSON"),
        (b"[1, 2]", "application/json", "must be an object"),
        (b'{"dataframe_columns": {}}', "application/json", "exactly one of"),
        (b'{"instances": [], "inputs": []}', "application/json", "exactly one of"),
        (b'{"dataframe_split": {"columns": ["a"]}}', "application/json", "needs a 'data' list"),
        (b'{"dataframe_records": [1, 2]}', "application/json", "list of objects"),
        (b'{"dataframe_records": [{"a": 1.0}]}', "application/json", "missing required column(s) ['b']"),
        (
            b'{"dataframe_records": [{"a": "x", "b": 1}]}',
            "application/json",
            "column 'a': expected type double",
        ),
        (b'{"instances": [[1.0, 2, 3]]}', "application/json", "must have 2 values"),
        (b'{"inputs": [[1.0, 1]], "params": 3}', "application/json", "'params' must be an object"),
        (b'{"inputs": {"a": [1.0, 2.0], "b": [1]}}', "application/json", "columns differ in length: [1, 2]"),
        (b"a,b\n1.0,x\n", "text/csv", "column 'b': expected type long"),
        (b"\xff\xfe", "text/csv", "CSV body cannot be read"),
    ],
)
def test_bad_input_is_a_400_naming_the_problem(
    served: tuple[httpx.Client, Any], content: bytes, content_type: str, fragment: str
) -> None:
    client, _ = served
    response = client.post("/invocations", content=content, headers={"content-type": content_type})
    assert response.status_code == 400, response.text
    assert response.json()["error_code"] == "BAD_REQUEST"
    assert fragment in response.json()["message"]


def test_unsupported_content_type_is_415(served: tuple[httpx.Client, Any]) -> None:
    client, _ = served
    response = client.post(
        "/invocations", content=b"a=1", headers={"content-type": "application/x-www-form-urlencoded"}
    )
    assert response.status_code == 415
    assert "text/csv" in response.json()["message"]


class _Fragile(ft.pyfunc.PythonModel):
    def predict(self, context: Any, model_input: Any, params: dict[str, Any] | None = None) -> Any:
        if (model_input["x"] < 0).any():
            raise ValueError("x must not be negative")
        return np.sqrt(model_input["x"].to_numpy())


def test_a_model_failing_on_its_input_is_a_400_not_a_500(tmp_path: Path) -> None:
    ft.pyfunc.save_model(tmp_path / "m", python_model=_Fragile())
    with scoring_server(str(tmp_path / "m")) as client:
        ok = client.post("/invocations", json={"dataframe_records": [{"x": 4.0}]})
        bad = client.post("/invocations", json={"dataframe_records": [{"x": -1.0}]})
    assert ok.json() == {"predictions": [2.0]}
    assert bad.status_code == 400
    assert "x must not be negative" in bad.json()["message"]


def test_serves_a_registered_model_by_alias_through_a_tracking_server(
    module_sqlite_server: RunningServer,
) -> None:
    """``flowtrack models serve -m models:/name@production`` with the tracking URI pointing at a server."""
    from sklearn.tree import DecisionTreeRegressor

    model = DecisionTreeRegressor(max_depth=2).fit(FRAME, FRAME["a"] - FRAME["b"])
    ft.set_tracking_uri(module_sqlite_server.url)
    with ft.start_run():
        info = ft.sklearn.log_model(model, name="tree", registered_model_name="served-tree")
    ft.Client().set_registered_model_alias("served-tree", "production", str(info.registered_model_version))
    env = {"FLOWTRACK_TRACKING_URI": module_sqlite_server.url}
    with scoring_server("models:/served-tree@production", env) as client:
        response = client.post("/invocations", json={"dataframe_split": FRAME.to_dict(orient="split")})
    assert response.status_code == 200, response.text
    assert response.json()["predictions"] == model.predict(FRAME).tolist()


def test_an_unknown_model_fails_before_serving(module_sqlite_server: RunningServer) -> None:
    env = {**os.environ, "FLOWTRACK_TRACKING_URI": module_sqlite_server.url}
    command = [
        sys.executable,
        "-m",
        "flowtrack",
        "models",
        "serve",
        "-m",
        "models:/no-such-model@x",
        "-p",
        "1",
    ]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "cannot load model models:/no-such-model@x" in done.stdout + done.stderr


def test_serves_a_tensor_model_from_inputs_rows(tmp_path: Path) -> None:
    """A PyTorch model with a tensor signature takes ``inputs``/``instances`` rows; a wrong width is a 400."""
    import torch

    torch.manual_seed(0)
    net = torch.nn.Linear(3, 1)
    rows = [[0.5, -1.0, 2.0], [1.0, 0.0, 0.25]]
    ft.pytorch.save_model(net, tmp_path / "net", input_example=np.asarray(rows, dtype=np.float32))
    expected = net(torch.tensor(rows)).detach().numpy().tolist()
    with scoring_server(str(tmp_path / "net")) as client:
        by_inputs = client.post("/invocations", json={"inputs": rows})
        by_instances = client.post("/invocations", json={"instances": rows})
        too_wide = client.post("/invocations", json={"inputs": [[1.0, 2.0, 3.0, 4.0]]})
    for response in (by_inputs, by_instances):
        assert response.status_code == 200, response.text
        assert np.allclose(response.json()["predictions"], expected)
    assert too_wide.status_code == 400
    assert "expected shape [-1, 3], got [1, 4]" in too_wide.json()["message"]
