"""The server as a whole: meta routes, prefixes, error edge, start-up time and keep-alive latency."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from flowtrack import __version__
from tests.fixtures.server import MlflowApi, assert_error, free_port, running_server

SERVER_INFO = {
    "store_type": "SqlStore",
    "workspaces_enabled": False,
    "trace_archival_enabled": False,
    "multipart_uploads_enabled": False,
    "multipart_downloads_enabled": False,
    "presigned_upload_run_id_supported": False,
    "presigned_upload_model_id_supported": False,
    "features_enabled": {"gateway": False},
}
POST_ENDPOINTS = [
    "experiments/create",
    "experiments/search",
    "experiments/update",
    "experiments/delete",
    "experiments/restore",
    "experiments/set-experiment-tag",
    "experiments/delete-experiment-tag",
    "runs/create",
    "runs/update",
    "runs/delete",
    "runs/restore",
    "runs/search",
    "runs/log-metric",
    "runs/log-parameter",
    "runs/set-tag",
    "runs/delete-tag",
    "runs/log-batch",
    "runs/log-inputs",
]
JUNK_BODIES = [
    b"",
    b"null",
    b"[]",
    b"{",
    b'"text"',
    b"12",
    b"\xff\xfe",
    b'{"experiment_id": {"a": 1}, "run_id": 5, "name": null}',
    b'{"run_id": "x", "metrics": [null], "params": [1], "tags": [{}], "datasets": [{"dataset": 1}]}',
    b'{"experiment_ids": [[1]], "max_results": -1, "view_type": 99, "run_view_type": {}}',
    b'{"run_id": "x", "key": "k", "value": 1e999, "timestamp": 1e30, "step": "NaN"}',
    b'{"experiment_id": "0", "key": "k", "value": "v", "new_name": "", "status": 99, "end_time": "soon"}',
]


@pytest.fixture
def api(sqlite_api: MlflowApi) -> MlflowApi:
    return sqlite_api


def test_health_version_home_and_docs(api: MlflowApi) -> None:
    health = api.http.get("/health")
    assert (health.status_code, health.text) == (200, "OK")
    assert api.http.get("/version").text == __version__
    home = api.http.get("/")
    assert home.headers["content-type"].startswith("text/html")
    assert '<div id="root">' in home.text  # the web UI, built by the install (tests/e2e/test_ui_*.py)
    assert api.http.get("/docs").status_code == 200
    paths = api.ok(api.http.get("/openapi.json"))["paths"]
    assert "/api/2.0/mlflow/runs/log-batch" in paths
    assert "/api/2.0/mlflow-artifacts/artifacts/{path}" in paths


def test_server_info(api: MlflowApi) -> None:
    assert api.ok(api.http.get("/api/3.0/mlflow/server-info")) == SERVER_INFO


def test_ajax_api_prefix_serves_the_same_handlers(api: MlflowApi) -> None:
    created = api.ok(api.post("experiments/create", {"name": "via-ajax"}, prefix="/ajax-api/2.0/mlflow"))
    got = api.ok(api.get("experiments/get", experiment_id=created["experiment_id"]))
    assert got["experiment"]["name"] == "via-ajax"
    listed = api.http.get("/ajax-api/2.0/mlflow-artifacts/artifacts", params={"path": "nothing"})
    assert api.ok(listed) == {}


def test_bodies_are_json_whatever_the_content_type(api: MlflowApi) -> None:
    for headers in (
        {"content-type": "application/x-www-form-urlencoded"},
        {"content-type": "text/plain"},
        {},
    ):
        response = api.http.post(
            "/api/2.0/mlflow/experiments/search", content=b'{"max_results": 1}', headers=headers
        )
        assert response.status_code == 200, (headers, response.text)


def test_unknown_endpoint_and_method(api: MlflowApi) -> None:
    assert_error(api.post("runs/fly", {}), 404, "ENDPOINT_NOT_FOUND", "/api/2.0/mlflow/runs/fly")
    assert_error(api.get("runs/create"), 405, "BAD_REQUEST")


def test_logged_model_search_is_empty(api: MlflowApi) -> None:
    # the mlflow client searches logged models before listing a run's artifacts below the root
    assert api.ok(api.post("logged-models/search", {"experiment_ids": ["0"]})) == {}


@pytest.mark.parametrize("endpoint", POST_ENDPOINTS)
def test_junk_never_gets_a_500(api: MlflowApi, endpoint: str) -> None:
    for body in JUNK_BODIES:  # some happen to be valid (a search with no criteria): only a 500 is wrong
        response = api.http.post(f"/api/2.0/mlflow/{endpoint}", content=body)
        assert response.status_code < 500, (body, response.status_code, response.text)
        if response.status_code != 200:
            assert set(response.json()) == {"error_code", "message"}


def test_junk_query_parameters_never_get_a_500(api: MlflowApi) -> None:
    for endpoint, params in [
        ("experiments/get", {"experiment_id": "x" * 5000}),
        ("experiments/search", {"max_results": "9" * 30, "view_type": "?"}),
        ("runs/get", {}),
        ("metrics/get-history", {"run_id": "r", "metric_key": "m", "max_results": "-5"}),
        ("metrics/get-history", {"run_id": "r", "metric_key": "m", "page_token": "%%%"}),
        ("artifacts/list", {"run_id": "r", "path": "\x00"}),
    ]:
        response = api.get(endpoint, **params)
        assert 400 <= response.status_code < 500, (endpoint, response.text)


# -- start-up and latency ------------------------------------------------------------------------------------
def test_cold_start_on_a_new_database(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'fresh' / 'flowtrack.db'}"
    with running_server(uri, tmp_path / "artifacts", env={"FLOWTRACK_HOME": str(tmp_path)}) as server:
        print(f"\ncold start to the first 200 on /health: {server.startup_seconds:.2f} s")
        assert server.startup_seconds < 10  # about 1 s here; MLflow's server takes about 19 s
        assert MlflowApi(server.url).ok(MlflowApi(server.url).get("experiments/get", experiment_id="0"))


def test_flowtrack_ui_runs_the_same_server_and_says_what_to_do_next(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'flowtrack.db'}"
    env = {"FLOWTRACK_HOME": str(tmp_path)}
    with running_server(uri, tmp_path / "artifacts", env=env, command_name=["ui"]) as server:
        assert MlflowApi(server.url).ok(MlflowApi(server.url).http.get("/api/3.0/mlflow/server-info"))
        printed = " ".join(server.stdout().split())
    assert f"flowtrack config set tracking_uri={server.url}" in printed
    assert f"export MLFLOW_TRACKING_URI={server.url}" in printed


def test_a_configured_server_url_is_not_used_as_the_backend(tmp_path: Path) -> None:
    """After `flowtrack config set tracking_uri=http://…`, `server start` serves the home database."""
    env = {"FLOWTRACK_HOME": str(tmp_path), "FLOWTRACK_TRACKING_URI": "http://127.0.0.1:9"}
    port = free_port()
    command = [sys.executable, "-m", "flowtrack", "server", "start", "--port", str(port)]
    process = subprocess.Popen(
        command, env={**os.environ, **env}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", process)
        assert (tmp_path / "flowtrack.db").exists()
    finally:
        process.terminate()
        process.wait(timeout=10)


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while True:
        try:
            httpx.get(f"{url}/health")
            return
        except httpx.TransportError:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.05)


def _median_ms(client: httpx.Client, path: str, count: int = 50) -> float:
    timings = []
    for _ in range(count):
        started = time.perf_counter()
        response = client.get(path)
        timings.append(time.perf_counter() - started)
        assert response.status_code == 200
    return statistics.median(timings) * 1000


def test_keep_alive_latency_with_two_workers(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'flowtrack.db'}"
    args = ["--workers", "2"]
    with running_server(uri, tmp_path / "artifacts", args, env={"FLOWTRACK_HOME": str(tmp_path)}) as server:
        with httpx.Client(base_url=server.url) as client:  # one keep-alive connection
            health = _median_ms(client, "/health")
            experiment = _median_ms(client, "/api/2.0/mlflow/experiments/get?experiment_id=0")
        print(
            f"\n--workers 2, keep-alive medians: /health {health:.2f} ms, experiments/get {experiment:.2f} ms"
        )
        assert health < 10
        assert experiment < 10


_ASYNCIO_WORKERS = """
import sys
from uvicorn.supervisors import Multiprocess
from flowtrack.server import runner
from flowtrack.server.config import ServerConfig

config = ServerConfig(sys.argv[1], None, sys.argv[2], port=int(sys.argv[3]), workers=2)
settings = runner.uvicorn_config(config, log_level="warning")
settings.loop = "asyncio"  # uvloop sets TCP_NODELAY by itself; the plain asyncio loop shows the bug
Multiprocess(settings, sockets=[settings.bind_socket()]).run()
"""


def test_tcp_nodelay_on_the_asyncio_loop_with_workers(tmp_path: Path) -> None:
    """Without NoDelayHttpProtocol this setup answers a keep-alive request in ~44 ms (uvicorn #3149)."""
    port = free_port()
    uri = f"sqlite:///{tmp_path / 'flowtrack.db'}"
    command = [sys.executable, "-c", textwrap.dedent(_ASYNCIO_WORKERS), uri, str(tmp_path / "a"), str(port)]
    process = subprocess.Popen(command, stderr=subprocess.PIPE)
    try:
        _wait_until_up(f"http://127.0.0.1:{port}", process)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            latency = _median_ms(client, "/api/2.0/mlflow/experiments/get?experiment_id=0")
        print(f"\nasyncio loop, 2 workers, keep-alive experiments/get: {latency:.2f} ms (median)")
        assert latency < 10
    finally:
        process.terminate()
        process.wait(timeout=10)


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_oversized_json_body_is_413(api: MlflowApi, streamed: bool) -> None:
    body = b'{"name": "' + b"x" * (17 * 2**20) + b'"}'
    content = (body[i : i + 2**16] for i in range(0, len(body), 2**16)) if streamed else body
    response = api.http.post("/api/2.0/mlflow/experiments/create", content=content)
    assert_error(response, 413, "RESOURCE_LIMIT_EXCEEDED")
    assert api.http.get("/health").status_code == 200
