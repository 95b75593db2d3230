"""``/api/v1`` orchestration routes: the REST orchestration store's server side (thin: decode, call, encode).

The record format is :mod:`flowtrack.orchestration.stores.rest.wire`'s, shared with the client. Errors keep
the field they name (``{"error_code", "message", "field"}``) so the client raises what the embedded store
raises. Store calls run in the thread pool: a batch may carry thousands of records.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Annotated, Any, ParamSpec, cast

from fastapi import APIRouter, Depends, Path, Query, Request
from pydantic import BaseModel, ConfigDict
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response

from flowtrack.exceptions import FlowtrackError, InvalidArgument
from flowtrack.orchestration.stores.rest import wire
from flowtrack.server.api.mlflow.schemas import NO_NUL_PATTERN
from flowtrack.server.errors import error_response, status_and_code
from flowtrack.server.limits import PayloadTooLarge
from flowtrack.server.responses import empty
from flowtrack.server.services.orchestration import OrchestrationService

router = APIRouter(prefix="/api/v1", tags=["orchestration"])
P = ParamSpec("P")

Limit = Annotated[int, Query(ge=1, le=50_000)]
Offset = Annotated[int, Query(ge=0)]
# ids as the store takes them (1 to 36 characters, no NUL), declared so the schema says so too
RunId = Annotated[str, Path(min_length=1, max_length=36, pattern=NO_NUL_PATTERN)]
JSON_OBJECT_BODY: dict[str, Any] = {
    "requestBody": {"required": True, "content": {"application/json": {"schema": {"type": "object"}}}}
}


async def orchestration_service(request: Request) -> OrchestrationService:
    return cast(OrchestrationService, request.app.state.orchestration)


Orchestration = Annotated[OrchestrationService, Depends(orchestration_service)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Heartbeat(_Body):
    flow_run_ids: list[str]
    now_ms: int


class SetState(_Body):
    state: str
    name: str | None = None
    message: str | None = None
    force: bool = False


def answers(endpoint: Callable[P, Awaitable[Any]]) -> Callable[P, Awaitable[Response]]:
    """Encode the endpoint's result as JSON; a flowtrack error becomes its error JSON, field included."""

    @functools.wraps(endpoint)
    async def call(*args: P.args, **kwargs: P.kwargs) -> Response:
        try:
            result = await endpoint(*args, **kwargs)
        except FlowtrackError as exc:
            status, code = status_and_code(exc)
            response = error_response(status, code, str(exc))
            field = exc.field if isinstance(exc, InvalidArgument) else None
            if field:
                response = Response(
                    wire.encode({"error_code": code, "message": str(exc), "field": field}),
                    status_code=status,
                    media_type="application/json",
                )
            return response
        if result is None:
            return empty()
        return Response(wire.encode(result), media_type="application/json")

    return call


async def _in_pool(function: Callable[..., Any], *args: Any) -> Any:
    return await run_in_threadpool(function, *args)


# -- writes --------------------------------------------------------------------------------------------------
@router.post("/orchestration/batch", openapi_extra=JSON_OBJECT_BODY)
@answers
async def write_batch(request: Request, service: Orchestration) -> None:
    batch = wire.batch_from_json(wire.decode(await _body(request)))
    await _in_pool(service.write, batch)


async def _body(request: Request) -> bytes:
    """The request body, refused (413) once it passes the limit instead of being held whole in memory."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > wire.MAX_BATCH_BYTES:
            raise PayloadTooLarge(
                f"the request body is larger than the limit of {wire.MAX_BATCH_BYTES} bytes"
            )
        chunks.append(chunk)
    return b"".join(chunks)


@router.post("/orchestration/heartbeat")
@answers
async def heartbeat(body: Heartbeat, service: Orchestration) -> None:
    await _in_pool(service.heartbeat, body.flow_run_ids, body.now_ms)


@router.post("/flow_runs/{flow_run_id}/set_state")
@answers
async def set_state(flow_run_id: RunId, body: SetState, service: Orchestration) -> dict[str, Any]:
    run = await _in_pool(
        service.set_flow_run_state, flow_run_id, body.state, body.name, body.message, body.force
    )
    return {"flow_run": wire.to_json(run)}


@router.delete("/flow_runs/{flow_run_id}")
@answers
async def delete_flow_run(flow_run_id: RunId, service: Orchestration) -> None:
    await _in_pool(service.delete_flow_run, flow_run_id)


# -- reads ---------------------------------------------------------------------------------------------------
@router.get("/flows")
@answers
async def list_flows(service: Orchestration, limit: Limit = 100, offset: Offset = 0) -> dict[str, Any]:
    flows = await _in_pool(service.list_flows, limit, offset)
    return {"flows": [wire.to_json(flow) for flow in flows]}


@router.get("/flows/summaries")
@answers
async def list_flow_summaries(
    service: Orchestration, limit: Limit = 100, offset: Offset = 0
) -> dict[str, Any]:
    """Flows by name, each with its newest run (or null) and its run count."""
    summaries = await _in_pool(service.list_flow_summaries, limit, offset)
    return {"flows": [wire.summary_to_json(summary) for summary in summaries]}


@router.post("/flow_runs/filter", openapi_extra=JSON_OBJECT_BODY)
@answers
async def filter_flow_runs(request: Request, service: Orchestration) -> dict[str, Any]:
    body = wire.decode(await _body(request))
    if not isinstance(body, dict):
        raise InvalidArgument("the request body must be an object", field="body")
    run_filter = wire.filter_from_json(body.get("filter", {}))
    runs = await _in_pool(service.list_flow_runs, run_filter, body.get("limit", 100), body.get("offset", 0))
    return {"flow_runs": [wire.to_json(run) for run in runs]}


@router.get("/flow_runs/{flow_run_id}")
@answers
async def get_flow_run(flow_run_id: RunId, service: Orchestration) -> dict[str, Any]:
    return {"flow_run": wire.to_json(await _in_pool(service.get_flow_run, flow_run_id))}


@router.get("/flow_runs/{flow_run_id}/task_runs")
@answers
async def list_task_runs(
    flow_run_id: RunId, service: Orchestration, limit: Limit = 10_000, offset: Offset = 0
) -> dict[str, Any]:
    task_runs = await _in_pool(service.list_task_runs, flow_run_id, limit, offset)
    return {"task_runs": [wire.to_json(task) for task in task_runs]}


@router.get("/flow_runs/{flow_run_id}/edges")
@answers
async def list_edges(flow_run_id: RunId, service: Orchestration) -> dict[str, Any]:
    edges = await _in_pool(service.list_edges, flow_run_id)
    return {"edges": [wire.to_json(edge) for edge in edges]}


@router.get("/flow_runs/{flow_run_id}/logs")
@answers
async def list_logs(
    flow_run_id: RunId,
    service: Orchestration,
    task_run_id: str | None = None,
    limit: Limit = 1000,
    offset: Offset = 0,
) -> dict[str, Any]:
    logs = await _in_pool(service.list_logs, flow_run_id, task_run_id, limit, offset)
    return {"logs": [wire.to_json(log) for log in logs]}


@router.get("/task_runs/{task_run_id}")
@answers
async def get_task_run(task_run_id: RunId, service: Orchestration) -> dict[str, Any]:
    return {"task_run": wire.to_json(await _in_pool(service.get_task_run, task_run_id))}


@router.get("/states")
@answers
async def list_states(
    run_id: Annotated[str, Query(min_length=1, max_length=36, pattern=NO_NUL_PATTERN)], service: Orchestration
) -> dict[str, Any]:
    states = await _in_pool(service.list_states, run_id)
    return {"states": [wire.to_json(state) for state in states]}
