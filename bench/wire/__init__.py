"""A stand-in for the mlflow client that sends the same HTTP requests and does nothing else.

bench/server.py drives each server with the real mlflow client, but that client spends seconds of its own
turning 100,000 history points into protobuf messages, and tens of milliseconds building every log_batch. That
time is the same for every server and hides how fast the server is. This module sends the requests the mlflow
3.x client sends for the same calls (``../shared/mlflow-rest-calls.md``: same paths, methods, bodies and
25,000-point history pages) over one keep-alive connection with the standard library, and parses the answers
with ``json``, so what it measures is the server.

It implements only what ``bench/server_workloads.py`` calls: ``import wire as mlflow`` then
``set_tracking_uri``, ``set_experiment``, ``start_run``, ``log_metric``, ``end_run`` and ``MlflowClient``.
"""

from __future__ import annotations

import http.client
import json
import time
import urllib.parse
import uuid
from collections.abc import Sequence
from typing import Any

from wire.entities import Metric, Param, Run, RunInfo

__version__ = "stdlib-http"
API = "/api/2.0/mlflow"
HISTORY_PAGE = 25_000  # the mlflow client's page size for get-history
SEARCH_PAGE = 1_000

_state: dict[str, Any] = {"uri": None, "experiment_id": None, "run_id": None}


STALE_CONNECTION = (BrokenPipeError, ConnectionResetError, http.client.RemoteDisconnected)


class WireError(RuntimeError):
    pass


class _Connection:
    def __init__(self, uri: str) -> None:
        parsed = urllib.parse.urlsplit(uri)
        self.http = http.client.HTTPConnection(parsed.hostname or "127.0.0.1", parsed.port or 80)

    def call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        if method == "GET" and body:
            path = f"{path}?{urllib.parse.urlencode(body)}"
            body = None
        payload = None if body is None else json.dumps(body)
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        try:
            status, data = self._send(method, f"{API}/{path}", payload, headers)
        except STALE_CONNECTION:
            # a server may close an idle keep-alive connection; requests (the mlflow client's HTTP library)
            # reconnects and resends in that case, and so does this
            self.http.close()
            status, data = self._send(method, f"{API}/{path}", payload, headers)
        if status != 200:
            raise WireError(f"{method} {path} -> {status}: {data[:300]!r}")
        return json.loads(data) if data else {}

    def _send(
        self, method: str, path: str, payload: str | None, headers: dict[str, str]
    ) -> tuple[int, bytes]:
        self.http.request(method, path, body=payload, headers=headers)
        response = self.http.getresponse()
        return response.status, response.read()


class MlflowClient:
    def __init__(self, tracking_uri: str | None = None) -> None:
        self._conn = _Connection(tracking_uri or _state["uri"])

    def create_experiment(self, name: str) -> str:
        return str(self._conn.call("POST", "experiments/create", {"name": name})["experiment_id"])

    def create_run(self, experiment_id: str, tags: dict[str, str] | None = None) -> Run:
        body: dict[str, Any] = {"experiment_id": experiment_id, "start_time": _now_ms()}
        body["tags"] = [{"key": key, "value": value} for key, value in (tags or {}).items()]
        return Run.from_json(self._conn.call("POST", "runs/create", body)["run"])

    def get_run(self, run_id: str) -> Run:
        found = self._conn.call("GET", "runs/get", {"run_uuid": run_id, "run_id": run_id})
        return Run.from_json(found["run"])

    def log_batch(self, run_id: str, metrics: Sequence[Metric] = (), params: Sequence[Param] = ()) -> None:
        body: dict[str, Any] = {"run_id": run_id}
        if metrics:
            body["metrics"] = [metric._asdict() for metric in metrics]
        if params:
            body["params"] = [param._asdict() for param in params]
        self._conn.call("POST", "runs/log-batch", body)

    def log_metric(self, run_id: str, key: str, value: float, step: int) -> None:
        body = {"run_uuid": run_id, "run_id": run_id, "key": key, "value": value}
        self._conn.call("POST", "runs/log-metric", {**body, "timestamp": _now_ms(), "step": step})

    def set_terminated(self, run_id: str, status: str = "FINISHED") -> None:
        body = {"run_uuid": run_id, "run_id": run_id, "status": status, "end_time": _now_ms()}
        self._conn.call("POST", "runs/update", body)

    def get_metric_history(self, run_id: str, key: str) -> list[Metric]:
        query = {"run_uuid": run_id, "metric_key": key, "run_id": run_id, "max_results": HISTORY_PAGE}
        points: list[Metric] = []
        while True:
            page = self._conn.call("GET", "metrics/get-history", query)
            points.extend(
                Metric(key, item["value"], item["timestamp"], item.get("step", 0))
                for item in page.get("metrics", [])
            )
            if not page.get("next_page_token"):
                return points
            query = {**query, "page_token": page["next_page_token"]}

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str = "",
        order_by: Sequence[str] = (),
        max_results: int = SEARCH_PAGE,
    ) -> list[Run]:
        found: list[Run] = []
        token = None
        while len(found) < max_results:
            body: dict[str, Any] = {
                "experiment_ids": list(experiment_ids),
                "filter": filter_string,
                "run_view_type": "ACTIVE_ONLY",
                "max_results": min(SEARCH_PAGE, max_results - len(found)),
                "order_by": list(order_by),
            }
            if token:
                body["page_token"] = token
            page = self._conn.call("POST", "runs/search", body)
            found.extend(Run.from_json(run) for run in page.get("runs", []))
            token = page.get("next_page_token")
            if not token:
                break
        return found


# -- the fluent calls of T1 in bench/server_workloads.py ----------------------------------------------------
def set_tracking_uri(uri: str) -> None:
    _state["uri"] = uri
    _state["client"] = MlflowClient(uri)


def set_experiment(experiment_id: str) -> None:
    _state["experiment_id"] = experiment_id


def start_run() -> Run:
    run = _state["client"].create_run(_state["experiment_id"], {"mlflow.runName": uuid.uuid4().hex[:8]})
    _state["run_id"] = run.info.run_id
    return Run(RunInfo(run.info.run_id, run.info.status), run.data)


def log_metric(key: str, value: float, step: int = 0) -> None:
    _state["client"].log_metric(_state["run_id"], key, value, step)


def end_run() -> None:
    _state["client"].set_terminated(_state["run_id"])
    _state["run_id"] = None


def _now_ms() -> int:
    return int(time.time() * 1000)
