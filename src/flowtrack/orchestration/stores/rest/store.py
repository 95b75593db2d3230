"""``RestOrchestrationStore``: the orchestration store as a client of ``flowtrack server`` (``/api/v1``).

One keep-alive connection pool per server (:mod:`flowtrack._internal.http`, with its retries). A batch is one
request. Retries are safe for every call: batches upsert runs by id and ignore states and edges already
stored (a repeated batch can at worst repeat log lines), heartbeats and reads change nothing twice, and a
state proposal or delete repeated after a lost answer fails the rules or finds nothing, which is reported.

Routes (all JSON):

- ``POST /api/v1/orchestration/batch`` a :class:`WriteBatch`; ``POST /api/v1/orchestration/heartbeat``
- ``GET /api/v1/flows``; ``GET /api/v1/flows/summaries`` (each flow with its newest run and run count)
- ``POST /api/v1/flow_runs/filter``; ``GET|DELETE /api/v1/flow_runs/{id}``
- ``POST /api/v1/flow_runs/{id}/set_state``; ``GET /api/v1/flow_runs/{id}/task_runs|edges|logs``
- ``GET /api/v1/task_runs/{id}``; ``GET /api/v1/states?run_id=...``
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from flowtrack._internal.http import HttpSession, Retry, parse_endpoint, quote_path
from flowtrack.exceptions import (
    AlreadyExists,
    FlowtrackError,
    InvalidArgument,
    NotFound,
    StoreUnavailable,
)
from flowtrack.orchestration.entities import (
    FlowRecord,
    FlowRunFilter,
    FlowRunRecord,
    FlowSummary,
    LogRecord,
    StateRecord,
    StateType,
    TaskEdge,
    TaskRunRecord,
    WriteBatch,
)
from flowtrack.orchestration.stores.base import OrchestrationStore
from flowtrack.orchestration.stores.rest import wire

API_PREFIX = "/api/v1/"
_JSON_HEADERS = {"Content-Type": "application/json"}


class RestOrchestrationStore(OrchestrationStore):
    """The store behind ``http(s)://[user:password@]host[:port][/prefix]``."""

    def __init__(self, uri: str) -> None:
        self.uri = uri
        endpoint = parse_endpoint(uri, field="api_url")
        hint = (
            "Is the server running? Start one with `flowtrack server start`, or check the API URL "
            f"({endpoint.display}: `flowtrack config set api_url=...` / FLOWTRACK_API_URL)"
        )
        self.session = HttpSession(endpoint, service="flowtrack server", hint=hint)

    def close(self) -> None:
        self.session.close()

    def _call(
        self,
        method: str,
        path: str,
        payload: Any = None,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
    ) -> Any:
        if payload is not None:
            body = wire.encode(payload)
        headers = None if body is None else _JSON_HEADERS
        url = API_PREFIX + path
        response = self.session.send(
            method, url, params=params, body=body, headers=headers, retry=Retry.IDEMPOTENT
        )
        where = f"{method} {self.session.endpoint.display}{url}"
        if not response.is_success:
            raise _error(response, where)
        return wire.decode(response.content, f"answer of {where}")

    # -- writes ----------------------------------------------------------------------------------------------
    def write(self, batch: WriteBatch) -> None:
        if not batch:
            return
        body = wire.encode(wire.batch_to_json(batch))
        if len(body) <= wire.MAX_BATCH_BYTES or _records(batch) <= 1:
            self._call("POST", "orchestration/batch", body=body)
            return
        for half in wire.split(batch):  # rare: huge log lines; each half is its own transaction
            self.write(half)

    def heartbeat(self, flow_run_ids: Sequence[str], now_ms: int) -> None:
        if flow_run_ids:
            self._call(
                "POST", "orchestration/heartbeat", {"flow_run_ids": list(flow_run_ids), "now_ms": now_ms}
            )

    def set_flow_run_state(
        self, flow_run_id: str, state: StateType, name: str, message: str | None, *, force: bool = False
    ) -> FlowRunRecord:
        state_value = state.value if isinstance(state, StateType) else state
        payload = {"state": state_value, "name": name, "message": message, "force": force}
        found = self._call("POST", f"flow_runs/{_id(flow_run_id)}/set_state", payload)
        return wire.from_json(FlowRunRecord, found["flow_run"], "flow_run")

    def delete_flow_run(self, flow_run_id: str) -> None:
        self._call("DELETE", f"flow_runs/{_id(flow_run_id)}")

    # -- reads -----------------------------------------------------------------------------------------------
    def list_flows(self, limit: int = 100, offset: int = 0) -> list[FlowRecord]:
        found = self._call("GET", "flows", params=_page(limit, offset))
        return [wire.from_json(FlowRecord, item, "flows[]") for item in found["flows"]]

    def list_flow_summaries(self, limit: int = 100, offset: int = 0) -> list[FlowSummary]:
        found = self._call("GET", "flows/summaries", params=_page(limit, offset))
        return [wire.summary_from_json(item, "flows[]") for item in found["flows"]]

    def list_flow_runs(
        self, flow_run_filter: FlowRunFilter, limit: int = 100, offset: int = 0
    ) -> list[FlowRunRecord]:
        payload = {"filter": wire.filter_to_json(flow_run_filter), "limit": limit, "offset": offset}
        found = self._call("POST", "flow_runs/filter", payload)
        return [wire.from_json(FlowRunRecord, item, "flow_runs[]") for item in found["flow_runs"]]

    def get_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        found = self._call("GET", f"flow_runs/{_id(flow_run_id)}")
        return wire.from_json(FlowRunRecord, found["flow_run"], "flow_run")

    def list_task_runs(self, flow_run_id: str, limit: int = 10_000, offset: int = 0) -> list[TaskRunRecord]:
        found = self._call("GET", f"flow_runs/{_id(flow_run_id)}/task_runs", params=_page(limit, offset))
        return [wire.from_json(TaskRunRecord, item, "task_runs[]") for item in found["task_runs"]]

    def get_task_run(self, task_run_id: str) -> TaskRunRecord:
        found = self._call("GET", f"task_runs/{_id(task_run_id, 'task_run_id')}")
        return wire.from_json(TaskRunRecord, found["task_run"], "task_run")

    def list_states(self, run_id: str) -> list[StateRecord]:
        found = self._call("GET", "states", params={"run_id": _id(run_id, "run_id")})
        return [wire.from_json(StateRecord, item, "states[]") for item in found["states"]]

    def list_edges(self, flow_run_id: str) -> list[TaskEdge]:
        found = self._call("GET", f"flow_runs/{_id(flow_run_id)}/edges")
        return [wire.from_json(TaskEdge, item, "edges[]") for item in found["edges"]]

    def list_logs(
        self, flow_run_id: str, task_run_id: str | None = None, limit: int = 1000, offset: int = 0
    ) -> list[LogRecord]:
        params = _page(limit, offset)
        if task_run_id is not None:
            params["task_run_id"] = _id(task_run_id, "task_run_id")
        found = self._call("GET", f"flow_runs/{_id(flow_run_id)}/logs", params=params)
        return [wire.from_json(LogRecord, item, "logs[]") for item in found["logs"]]


def _records(batch: WriteBatch) -> int:
    return sum(len(getattr(batch, name)) for name in wire.BATCH_FIELDS)


def _id(value: Any, field: str = "flow_run_id") -> str:
    """An id for a URL path: the server checks its form; here only that it is a non-empty string."""
    if not isinstance(value, str) or not value or value in (".", ".."):
        raise InvalidArgument(f"{field} must be a non-empty string, got {value!r}", field=field)
    return quote_path(value).replace("/", "%2F")


def _page(limit: Any, offset: Any) -> dict[str, str]:
    return {"limit": str(limit), "offset": str(offset)}


def _error(response: httpx.Response, where: str) -> FlowtrackError:
    try:
        payload = wire.decode(response.content)
    except InvalidArgument:
        payload = None
    if not isinstance(payload, dict):
        text = response.text.strip()[:500] or response.reason_phrase
        return FlowtrackError(f"the flowtrack server failed {where} (HTTP {response.status_code}): {text}")
    code, message = payload.get("error_code"), str(payload.get("message") or "")
    field = payload.get("field")
    if code == "RESOURCE_DOES_NOT_EXIST":
        return NotFound(message)
    if code == "RESOURCE_ALREADY_EXISTS":
        return AlreadyExists(message)
    if code == "INVALID_PARAMETER_VALUE" or response.status_code == 400:
        return InvalidArgument(message, field=str(field) if field else None)
    if response.status_code == 503:
        return StoreUnavailable(f"the flowtrack server's database is unavailable ({where}): {message}")
    if code == "ENDPOINT_NOT_FOUND":
        return FlowtrackError(
            f"{where} does not exist (HTTP 404): is the API URL the base URL of a flowtrack server? {message}"
        )
    return FlowtrackError(f"the flowtrack server failed {where} (HTTP {response.status_code}): {message}")
