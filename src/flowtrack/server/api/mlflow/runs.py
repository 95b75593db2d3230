"""``/runs/*`` for whole runs: create, get, update, delete, restore, search."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from flowtrack.server.api.mlflow import schemas, serialize
from flowtrack.server.api.mlflow.schemas import Text
from flowtrack.server.dependencies import Tracking
from flowtrack.server.offload import store_call
from flowtrack.server.responses import OrjsonResponse, empty
from flowtrack.tracking.entities import RunTag

router = APIRouter(prefix="/runs", tags=["runs"])


@router.post("/create")
@store_call
def create_run(body: schemas.CreateRun, service: Tracking) -> Response:
    tags = [RunTag(tag["key"], tag["value"]) for tag in body.tags]
    run = service.create_run(body.experiment_id, body.user_id, body.start_time, body.run_name, tags)
    return OrjsonResponse({"run": serialize.run(run, outputs=False)})


@router.get("/get")
@store_call
def get_run(service: Tracking, run_id: Text | None = None, run_uuid: Text | None = None) -> Response:
    return OrjsonResponse({"run": serialize.run(service.get_run(run_id or run_uuid))})


@router.post("/update")
@store_call
def update_run(body: schemas.UpdateRun, service: Tracking) -> Response:
    info = service.update_run(body.run_id or body.run_uuid, body.status, body.end_time, body.run_name)
    return OrjsonResponse({"run_info": serialize.run_info(info)})


@router.post("/delete")
@store_call
def delete_run(body: schemas.RunMessage, service: Tracking) -> Response:
    service.delete_run(body.run_id or body.run_uuid)
    return empty()


@router.post("/restore")
@store_call
def restore_run(body: schemas.RunMessage, service: Tracking) -> Response:
    service.restore_run(body.run_id or body.run_uuid)
    return empty()


@router.post("/search")
@store_call
def search_runs(body: schemas.SearchRuns, service: Tracking) -> Response:
    found = service.search_runs(
        body.experiment_ids, body.filter, body.run_view_type, body.max_results, body.order_by, body.page_token
    )
    runs = [serialize.run(run) for run in found]
    return OrjsonResponse(serialize.page("runs", runs, found.token))
