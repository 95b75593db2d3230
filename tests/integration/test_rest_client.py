"""The REST tracking store against a scripted local HTTP server: retries, errors, credentials, wire format.

The server is a real ``http.server`` on a local socket answering from a script and recording every request,
so these tests exercise httpx, keep-alive and the retry loop for real, with no mocks.
"""

from __future__ import annotations

import json
import math
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from flowtrack.exceptions import (
    ExperimentAlreadyExists,
    ExperimentNotActive,
    ExperimentNotFound,
    FlowtrackError,
    InvalidArgument,
    NotFound,
    ParamOverwriteError,
    RunNotActive,
    RunNotFound,
    StoreUnavailable,
)
from flowtrack.tracking import search
from flowtrack.tracking.entities import Metric, Param, RunTag, ViewType
from flowtrack.tracking.stores import registry
from flowtrack.tracking.stores.rest.store import RestTrackingStore

Reply = tuple[int, Any, dict[str, str]]

EXPERIMENT = {"experiment_id": "1", "name": "e", "artifact_location": "mlflow-artifacts:/1"}
RUN = {
    "info": {
        "run_uuid": "a" * 32,
        "run_id": "a" * 32,
        "experiment_id": "1",
        "run_name": "r",
        "user_id": "u",
        "status": "RUNNING",
        "start_time": 5,
        "artifact_uri": "mlflow-artifacts:/1/aaa/artifacts",
        "lifecycle_stage": "active",
    },
    "data": {"tags": [{"key": "mlflow.runName", "value": "r"}]},
}


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Scripted:
    """Answers each request with the next scripted reply (the last one repeats), recording what came in."""

    url: str = ""
    replies: deque[Reply] = field(default_factory=deque)
    requests: list[Recorded] = field(default_factory=list)

    def reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> Scripted:
        self.replies.append((status, {} if body is None else body, headers or {}))
        return self

    def next_reply(self) -> Reply:
        return self.replies.popleft() if len(self.replies) > 1 else self.replies[0]


def _handler(script: Scripted) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as a real server

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            headers = {key.lower(): value for key, value in self.headers.items()}
            script.requests.append(Recorded(self.command, parts.path, parse_qs(parts.query), headers, body))
            status, payload, extra = script.next_reply()
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            for name, value in {"Content-Type": "application/json", **extra}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = do_PUT = do_DELETE = _answer  # noqa: N815 - http.server's names

    return Handler


@pytest.fixture
def scripted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Scripted]:
    monkeypatch.setenv("FLOWTRACK_HTTP_BACKOFF_FACTOR", "0.01")
    for name in ("FLOWTRACK_TRACKING_TOKEN", "MLFLOW_TRACKING_TOKEN", "MLFLOW_TRACKING_USERNAME"):
        monkeypatch.delenv(name, raising=False)
    script = Scripted()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(script))
    script.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
    thread.start()
    yield script
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _close_stores() -> Iterator[None]:
    yield
    while _opened:
        _opened.pop().close()


_opened: list[RestTrackingStore] = []


def _store(url: str) -> RestTrackingStore:
    store = RestTrackingStore(url)
    _opened.append(store)
    return store


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- retries -------------------------------------------------------------------------------------------------
def test_503_twice_then_200_is_retried(scripted: Scripted) -> None:
    scripted.reply(503, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "busy"}).reply(503)
    scripted.reply(200, {"experiment": EXPERIMENT})
    experiment = _store(scripted.url).get_experiment("1")
    assert experiment.name == "e"
    assert [request.path for request in scripted.requests] == ["/api/2.0/mlflow/experiments/get"] * 3


@pytest.mark.parametrize("status", [502, 504, 429])
def test_idempotent_writes_are_retried(scripted: Scripted, status: int) -> None:
    scripted.reply(status, b"gateway trouble", {"Content-Type": "text/plain"}).reply(200)
    _store(scripted.url).log_metric("a" * 32, Metric("loss", 0.5, 10, 1))
    assert len(scripted.requests) == 2
    assert scripted.requests[0].body == scripted.requests[1].body


def test_creating_is_not_retried_after_the_server_may_have_acted(scripted: Scripted) -> None:
    scripted.reply(503, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "database is locked"})
    with pytest.raises(StoreUnavailable, match="database is locked"):
        _store(scripted.url).create_experiment("new", None, [])
    with pytest.raises(StoreUnavailable):
        _store(scripted.url).create_run("1", "u", 1, "r", [])
    assert len(scripted.requests) == 2


def test_creating_is_retried_when_rate_limited(scripted: Scripted) -> None:
    scripted.reply(429, {"error_code": "REQUEST_LIMIT_EXCEEDED"}, {"Retry-After": "0"})
    scripted.reply(200, {"experiment_id": "7"})
    assert _store(scripted.url).create_experiment("new", None, []) == "7"
    assert len(scripted.requests) == 2


def test_retries_stop_after_the_configured_count(scripted: Scripted, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWTRACK_HTTP_MAX_RETRIES", "2")
    scripted.reply(503, {"error_code": "TEMPORARILY_UNAVAILABLE", "message": "still busy"})
    with pytest.raises(StoreUnavailable, match="still busy"):
        _store(scripted.url).get_run("a" * 32)
    assert len(scripted.requests) == 3


def test_server_errors_are_not_retried(scripted: Scripted) -> None:
    scripted.reply(500, {"error_code": "INTERNAL_ERROR", "message": "Internal error: KeyError"})
    with pytest.raises(FlowtrackError, match="KeyError"):
        _store(scripted.url).get_run("a" * 32)
    assert len(scripted.requests) == 1


def test_unreachable_server_names_the_url_and_what_to_check(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FLOWTRACK_HTTP_BACKOFF_FACTOR", raising=False)
    monkeypatch.delenv("FLOWTRACK_HTTP_MAX_RETRIES", raising=False)
    url = f"http://127.0.0.1:{_free_port()}"
    started = time.monotonic()
    with pytest.raises(StoreUnavailable) as error:
        _store(url).get_experiment("0")
    elapsed = time.monotonic() - started
    message = str(error.value)
    assert url in message
    assert "connection refused" in message
    assert "flowtrack server start" in message
    assert "6 attempts" in message  # the defaults: 5 retries, ~3 s in all
    assert 1.0 < elapsed < 8.0


def test_unreachable_server_error_hides_the_password() -> None:
    url = f"http://ana:s3cret@127.0.0.1:{_free_port()}"
    store = _store(url)
    store.session.retry = type(store.session.retry)(max_retries=0)
    with pytest.raises(StoreUnavailable) as error:
        store.get_experiment("0")
    assert "s3cret" not in str(error.value)
    assert "127.0.0.1" in str(error.value)


# -- credentials ---------------------------------------------------------------------------------------------
def test_bearer_token_from_the_environment(scripted: Scripted, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_TOKEN", "tok-123")
    scripted.reply(200, {"experiment": EXPERIMENT})
    _store(scripted.url).get_experiment("1")
    assert scripted.requests[0].headers["authorization"] == "Bearer tok-123"


def test_basic_auth_from_the_uri(scripted: Scripted, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWTRACK_TRACKING_TOKEN", "ignored-when-the-uri-has-credentials")
    scripted.reply(200, {"experiment": EXPERIMENT})
    _store(scripted.url.replace("http://", "http://ana:p%40ss@")).get_experiment("1")
    assert scripted.requests[0].headers["authorization"] == "Basic YW5hOnBAc3M="  # ana:p@ss


def test_basic_auth_from_mlflow_variables(scripted: Scripted, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ana")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "pw")
    scripted.reply(200, {"experiment": EXPERIMENT})
    _store(scripted.url).get_experiment("1")
    assert scripted.requests[0].headers["authorization"] == "Basic YW5hOnB3"


def test_a_path_prefix_is_kept(scripted: Scripted) -> None:
    scripted.reply(200, {"experiment": EXPERIMENT})
    _store(scripted.url + "/mlflow/").get_experiment("1")
    assert scripted.requests[0].path == "/mlflow/api/2.0/mlflow/experiments/get"


# -- wire format ---------------------------------------------------------------------------------------------
def test_requests_look_like_the_mlflow_clients(scripted: Scripted) -> None:
    scripted.reply(200)
    store = _store(scripted.url)
    run_id = "a" * 32
    store.log_metric(run_id, Metric("loss", math.nan, 1795697305871, 3))
    store.log_param(run_id, Param("alpha", "0.5"))
    store.set_tag(run_id, RunTag("team", "a"))
    store.log_batch(run_id, [Metric("m", math.inf, 1, 0), Metric("n", -math.inf, 1, 1)], [], [])
    bodies = [request.json() for request in scripted.requests]
    assert bodies[0] == {
        "run_id": run_id,
        "run_uuid": run_id,
        "key": "loss",
        "value": "NaN",
        "timestamp": 1795697305871,
        "step": 3,
    }
    assert bodies[1] == {"run_id": run_id, "run_uuid": run_id, "key": "alpha", "value": "0.5"}
    assert bodies[2] == {"run_id": run_id, "run_uuid": run_id, "key": "team", "value": "a"}
    assert [metric["value"] for metric in bodies[3]["metrics"]] == ["Infinity", "-Infinity"]
    assert all(request.headers["content-type"] == "application/json" for request in scripted.requests)


def test_search_sends_canonical_filters_and_reads_pages(scripted: Scripted) -> None:
    scripted.reply(200, {"runs": [RUN], "next_page_token": "tok"})
    page = _store(scripted.url).search_runs(
        ["1", "2"],
        search.parse_run_filter("metrics.rmse < 7 and run_name = 'x'"),
        search.parse_run_order_by(["metrics.rmse ASC"]),
        ViewType.ALL,
        5,
        "previous",
    )
    assert page.token == "tok"
    assert page[0].info.run_name == "r"
    assert scripted.requests[0].json() == {
        "experiment_ids": ["1", "2"],
        "filter": "metrics.`rmse` < 7 AND attribute.`run_name` = 'x'",
        "order_by": ["metrics.`rmse` ASC"],
        "run_view_type": "ALL",
        "max_results": 5,
        "page_token": "previous",
    }


def test_whole_history_is_paged_with_mlflows_page_size(scripted: Scripted) -> None:
    first = [{"key": "m", "value": "NaN", "timestamp": "7", "step": "0"}]
    second = [{"key": "m", "value": "Infinity", "timestamp": 8, "step": 1}, {"key": "m", "value": 2}]
    scripted.reply(200, {"metrics": first, "next_page_token": "p2"}).reply(200, {"metrics": second})
    history = _store(scripted.url).get_metric_history("a" * 32, "m", None, None)
    assert history.token is None
    assert [(m.step, m.timestamp) for m in history] == [(0, 7), (1, 8), (0, 0)]
    assert math.isnan(history[0].value)
    assert [m.value for m in history[1:]] == [math.inf, 2.0]
    queries = [request.query for request in scripted.requests]
    assert [query["max_results"] for query in queries] == [["25000"], ["25000"]]
    assert "page_token" not in queries[0]
    assert queries[1]["page_token"] == ["p2"]
    assert queries[0]["run_id"] == queries[0]["run_uuid"] == ["a" * 32]


def test_responses_that_are_not_json_are_reported(scripted: Scripted) -> None:
    scripted.reply(200, b"<html>welcome to nginx</html>", {"Content-Type": "text/html"})
    with pytest.raises(FlowtrackError, match="MLflow-compatible"):
        _store(scripted.url).get_run("a" * 32)


# -- errors --------------------------------------------------------------------------------------------------
def _error(code: str, message: str) -> dict[str, str]:
    return {"error_code": code, "message": message}


_MISSING, _INVALID = "RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE"
ERROR_CASES = [
    ("get_run", 404, _error(_MISSING, "Run with id=x not found"), RunNotFound),
    ("get_experiment", 404, _error(_MISSING, "no experiment with id '9'"), ExperimentNotFound),
    ("create_run", 404, _error(_MISSING, "no experiment with id '9'"), ExperimentNotFound),
    ("delete_tag", 404, _error(_MISSING, "No tag with name: t in run with id x"), NotFound),
    ("delete_tag", 404, _error(_MISSING, "Run with id=x not found"), RunNotFound),
    ("create_experiment", 400, _error("RESOURCE_ALREADY_EXISTS", "exists"), ExperimentAlreadyExists),
    ("log_param", 400, _error(_INVALID, "Changing param values is not allowed."), ParamOverwriteError),
    ("log_metric", 400, _error(_INVALID, "The run x must be in the 'active' state."), RunNotActive),
    ("log_metric", 400, _error(_INVALID, "run x is deleted; restore it first"), RunNotActive),
    ("create_run", 400, _error(_INVALID, "experiment 1 is deleted; restore it"), ExperimentNotActive),
    ("log_metric", 400, _error(_INVALID, "Invalid value 'x' for parameter 'value'"), InvalidArgument),
    ("get_run", 401, b"Unauthorized", FlowtrackError),
]


def _invoke(store: RestTrackingStore, method: str) -> None:
    run_id = "a" * 32
    calls = {
        "get_run": lambda: store.get_run(run_id),
        "get_experiment": lambda: store.get_experiment("9"),
        "create_run": lambda: store.create_run("9", "u", 1, "r", []),
        "delete_tag": lambda: store.delete_tag(run_id, "t"),
        "create_experiment": lambda: store.create_experiment("e", None, []),
        "log_param": lambda: store.log_param(run_id, Param("p", "2")),
        "log_metric": lambda: store.log_metric(run_id, Metric("m", 1.0, 1, 0)),
    }
    calls[method]()


@pytest.mark.parametrize(("method", "status", "body", "expected"), ERROR_CASES)
def test_errors_map_to_the_exception_tree(
    scripted: Scripted, method: str, status: int, body: Any, expected: type[Exception]
) -> None:
    scripted.reply(status, body)
    with pytest.raises(expected) as error:
        _invoke(_store(scripted.url), method)
    message = body["message"] if isinstance(body, dict) else body.decode()
    assert message in str(error.value)
    if expected is NotFound:
        assert not isinstance(error.value, RunNotFound)


def test_a_missing_experiment_name_is_none(scripted: Scripted) -> None:
    scripted.reply(404, _error("RESOURCE_DOES_NOT_EXIST", "Could not find experiment with name 'x'"))
    assert _store(scripted.url).get_experiment_by_name("x") is None
    assert scripted.requests[0].query == {"experiment_name": ["x"]}


def test_search_errors_name_the_filter(scripted: Scripted) -> None:
    scripted.reply(400, _error("INVALID_PARAMETER_VALUE", "Invalid clause(s) in filter string: 'x'"))
    with pytest.raises(InvalidArgument) as error:
        _store(scripted.url).search_experiments(ViewType.ACTIVE_ONLY, 10, [], [], None)
    assert error.value.field == "filter"


# -- wiring --------------------------------------------------------------------------------------------------
def test_http_uris_get_a_cached_rest_store() -> None:
    store = registry.get_tracking_store("http://127.0.0.1:1", "/tmp/unused")
    try:
        assert isinstance(store, RestTrackingStore)
        assert registry.get_tracking_store("http://127.0.0.1:1", "/tmp/unused") is store
    finally:
        registry.clear_cache()


def test_importing_flowtrack_leaves_httpx_unimported() -> None:
    code = (
        "import sys, flowtrack as ft\n"
        "ft.set_tracking_uri('http://127.0.0.1:1')\n"
        "client = ft.Client()\n"
        "print('httpx' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
