"""Run data: ``/runs/log-*``, ``/runs/set-tag``, ``/runs/delete-tag`` and ``/metrics/get-history``."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from flowtrack.server.api.mlflow import schemas, serialize
from flowtrack.server.api.mlflow.schemas import Int64, Text
from flowtrack.server.dependencies import LoggedModels, Tracking
from flowtrack.server.offload import store_call
from flowtrack.server.responses import OrjsonResponse, empty
from flowtrack.tracking.entities import Dataset, DatasetInput, InputTag, Metric, Param, RunTag
from flowtrack.tracking.logged_models import LoggedModelMetric

router = APIRouter(tags=["run data"])


@router.post("/runs/log-metric")
@store_call
def log_metric(body: schemas.LogMetric, service: Tracking, models: LoggedModels) -> Response:
    run_id = body.run_id or body.run_uuid
    if body.model_id:  # MLflow 3: the point also measures a logged model
        models.check_models([body.model_id])
    service.log_metric(run_id, body.key, body.value, body.timestamp, body.step)
    if body.model_id:
        point = LoggedModelMetric(
            body.key, body.value, body.timestamp, body.step, run_id or "", body.model_id,
            body.dataset_name, body.dataset_digest,
        )  # fmt: skip
        models.link_metrics(run_id, [point])
    return empty()


@router.post("/runs/log-parameter")
@store_call
def log_param(body: schemas.LogParam, service: Tracking) -> Response:
    service.log_param(body.run_id or body.run_uuid, body.key, body.value)
    return empty()


@router.post("/runs/set-tag")
@store_call
def set_tag(body: schemas.SetTag, service: Tracking) -> Response:
    service.set_tag(body.run_id or body.run_uuid, body.key, body.value)
    return empty()


@router.post("/runs/delete-tag")
@store_call
def delete_tag(body: schemas.DeleteTag, service: Tracking) -> Response:
    service.delete_tag(body.run_id or body.run_uuid, body.key)
    return empty()


@router.post("/runs/log-batch")
@store_call
def log_batch(body: schemas.LogBatch, service: Tracking, models: LoggedModels) -> Response:
    run_id = body.run_id or body.run_uuid
    linked = [m for m in body.metrics if m.get("model_id")]  # MLflow 3: points that measure a logged model
    if linked:
        models.check_models([m["model_id"] for m in linked])
    service.log_batch(
        run_id,
        [Metric(m["key"], m["value"], m["timestamp"], m.get("step", 0)) for m in body.metrics],
        [Param(p["key"], p["value"]) for p in body.params],
        [RunTag(t["key"], t["value"]) for t in body.tags],
    )
    if linked:
        models.link_metrics(run_id, [_model_metric(run_id or "", m) for m in linked])
    return empty()


def _model_metric(run_id: str, item: schemas.MetricIn) -> LoggedModelMetric:
    return LoggedModelMetric(
        item["key"],
        item["value"],
        item["timestamp"],
        item.get("step", 0),
        run_id,
        item["model_id"],
        item.get("dataset_name"),
        item.get("dataset_digest"),
    )


def _dataset_input(item: schemas.DatasetInputIn) -> DatasetInput:
    described = item.dataset
    dataset = Dataset(
        described.name,
        described.digest,
        described.source_type,
        described.source,
        described.schema_,
        described.profile,
    )
    return DatasetInput(dataset, tuple(InputTag(tag["key"], tag["value"]) for tag in item.tags))


@router.post("/runs/log-inputs")
@store_call
def log_inputs(body: schemas.LogInputs, service: Tracking) -> Response:
    service.log_inputs(body.run_id or body.run_uuid, [_dataset_input(item) for item in body.datasets])
    return empty()


@router.get("/metrics/get-history")
@store_call
def get_metric_history(
    service: Tracking,
    metric_key: Text,
    run_id: Text | None = None,
    run_uuid: Text | None = None,
    max_results: Int64 | None = None,
    page_token: Text | None = None,
) -> Response:
    found = service.get_metric_history(run_id or run_uuid, metric_key, max_results, page_token)
    return OrjsonResponse(serialize.page("metrics", serialize.metrics(found), found.token))
