"""``/api/v1`` reads the web UI needs and MLflow's REST API lacks.

- ``POST /api/v1/runs/table``: one page of an experiment's runs with only the chosen columns, and the total;
  ``top_level_only`` / ``parent_run_id`` page through the run tree, each row then carrying ``child_count``.
- ``POST /api/v1/runs/groups``: how many matching runs have each value of a param (and a metric's range).
- ``GET /api/v1/experiments/columns``: the param, metric and tag keys an experiment's runs use.
- ``POST /api/v1/metrics/histories``: many runs' histories in one request, each downsampled to
  ``max_points`` (the lowest and highest point of each bucket of steps, so spikes stay visible).
- ``GET /api/v1/metrics/history``: the same for one run and one key.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.responses import Response

from flowtrack.server.api.mlflow.schemas import EnumValue, Text
from flowtrack.server.responses import OrjsonResponse
from flowtrack.server.services.ui_reads import DEFAULT_HISTORY_POINTS, UiReadService
from flowtrack.tracking.stores.sql.ui_reads import KeySelection, Nesting

router = APIRouter(prefix="/api/v1", tags=["ui"])


async def ui_read_service(request: Request) -> UiReadService:
    return cast(UiReadService, request.app.state.ui_reads)


UiReads = Annotated[UiReadService, Depends(ui_read_service)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RunTableRequest(_Body):
    experiment_ids: list[Text]
    filter: Text | None = None
    order_by: list[Text] = Field(default_factory=list)
    view_type: EnumValue = "ACTIVE_ONLY"
    offset: int = 0
    limit: int = 100
    params: list[Text] | None = None
    metrics: list[Text] | None = None
    tags: list[Text] | None = None
    count: bool = True
    top_level_only: bool = False
    parent_run_id: Text | None = None


class GroupsRequest(_Body):
    experiment_ids: list[Text]
    param: Text
    metric: Text | None = None
    filter: Text | None = None
    view_type: EnumValue = "ACTIVE_ONLY"
    limit: int = 100


class HistoriesRequest(_Body):
    run_ids: list[Text]
    keys: list[Text]
    max_points: int = DEFAULT_HISTORY_POINTS


@router.post("/runs/table")
def run_table(body: RunTableRequest, service: UiReads) -> Response:
    keys = KeySelection(body.params, body.metrics, body.tags)
    return OrjsonResponse(
        service.run_table(
            body.experiment_ids,
            body.filter,
            body.order_by,
            body.view_type,
            body.offset,
            body.limit,
            keys,
            count=body.count,
            nesting=Nesting(body.top_level_only, body.parent_run_id),
        )
    )


@router.post("/runs/groups")
def run_groups(body: GroupsRequest, service: UiReads) -> Response:
    return OrjsonResponse(
        service.groups(body.experiment_ids, body.filter, body.view_type, body.param, body.metric, body.limit)
    )


@router.get("/experiments/columns")
def experiment_columns(service: UiReads, experiment_id: Annotated[list[Text], Query()]) -> Response:
    return OrjsonResponse(service.columns(experiment_id))


@router.post("/metrics/histories")
def metric_histories(body: HistoriesRequest, service: UiReads) -> Response:
    return OrjsonResponse(service.histories(body.run_ids, body.keys, body.max_points))


@router.get("/metrics/history")
def metric_history(
    service: UiReads, run_id: Text, key: Text, max_points: int = DEFAULT_HISTORY_POINTS
) -> Response:
    found = service.histories([run_id], [key], max_points)["histories"][0]
    return OrjsonResponse(found)
