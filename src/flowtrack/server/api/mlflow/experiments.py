"""``/experiments/*``: create, get, get-by-name, search, update (rename), delete, restore, tags."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from flowtrack.server.api.mlflow import schemas, serialize
from flowtrack.server.api.mlflow.schemas import Int64, Text
from flowtrack.server.dependencies import Tracking
from flowtrack.server.offload import store_call
from flowtrack.server.responses import OrjsonResponse, empty
from flowtrack.tracking.entities import Experiment, PagedList, RunTag

router = APIRouter(prefix="/experiments", tags=["experiments"])


@router.post("/create")
@store_call
def create_experiment(body: schemas.CreateExperiment, service: Tracking) -> Response:
    tags = [RunTag(tag["key"], tag["value"]) for tag in body.tags]
    experiment_id = service.create_experiment(body.name, body.artifact_location, tags)
    return OrjsonResponse({"experiment_id": experiment_id})


@router.get("/get")
@store_call
def get_experiment(experiment_id: Text, service: Tracking) -> Response:
    return OrjsonResponse({"experiment": serialize.experiment(service.get_experiment(experiment_id))})


@router.get("/get-by-name")
@store_call
def get_experiment_by_name(experiment_name: Text, service: Tracking) -> Response:
    found = service.get_experiment_by_name(experiment_name)
    return OrjsonResponse({"experiment": serialize.experiment(found)})


def _search_page(found: PagedList[Experiment]) -> Response:
    items = [serialize.experiment(experiment) for experiment in found]
    return OrjsonResponse(serialize.page("experiments", items, found.token))


@router.post("/search")
@store_call
def search_experiments(body: schemas.SearchExperiments, service: Tracking) -> Response:
    found = service.search_experiments(
        body.view_type, body.max_results, body.filter, body.order_by, body.page_token
    )
    return _search_page(found)


@router.get("/search")
@store_call
def search_experiments_get(
    service: Tracking,
    max_results: Int64 = 1000,
    page_token: Text | None = None,
    filter: Text | None = None,
    order_by: Annotated[list[Text] | None, Query()] = None,
    view_type: Text = "ACTIVE_ONLY",
) -> Response:
    found = service.search_experiments(view_type, max_results, filter, order_by or [], page_token)
    return _search_page(found)


@router.post("/update")
@store_call
def update_experiment(body: schemas.UpdateExperiment, service: Tracking) -> Response:
    service.rename_experiment(body.experiment_id, body.new_name)
    return empty()


@router.post("/delete")
@store_call
def delete_experiment(body: schemas.ExperimentRef, service: Tracking) -> Response:
    service.delete_experiment(body.experiment_id)
    return empty()


@router.post("/restore")
@store_call
def restore_experiment(body: schemas.ExperimentRef, service: Tracking) -> Response:
    service.restore_experiment(body.experiment_id)
    return empty()


@router.post("/set-experiment-tag")
@store_call
def set_experiment_tag(body: schemas.SetExperimentTag, service: Tracking) -> Response:
    service.set_experiment_tag(body.experiment_id, body.key, body.value)
    return empty()


@router.post("/delete-experiment-tag")
@store_call
def delete_experiment_tag(body: schemas.DeleteExperimentTag, service: Tracking) -> Response:
    service.delete_experiment_tag(body.experiment_id, body.key)
    return empty()
