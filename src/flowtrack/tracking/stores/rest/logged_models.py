"""MLflow 3 logged models over MLflow's REST API: ``/logged-models/*`` and ``/runs/outputs``.

:class:`RestLoggedModels` is a mixin of :class:`~flowtrack.tracking.stores.rest.store.RestTrackingStore` and
makes the calls the mlflow 3 client makes (paths, fields, status names), so it works against ``flowtrack
server`` and an MLflow server alike. Model metrics travel the way MLflow sends them: ``runs/log-batch``
points that carry a ``model_id``.

Retries: reads, finalize, set-tags, log-params (the same value again is a no-op), ``runs/outputs`` and the
metric links (an identical point is stored once) are retried; create and the two deletes only when the
request provably never reached the server.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from flowtrack._internal.http import Retry
from flowtrack.tracking import search
from flowtrack.tracking.entities import LifecycleStage, LoggedModelOutput, PagedList, Param, RunTag
from flowtrack.tracking.filters import Comparison
from flowtrack.tracking.logged_models import (
    DatasetFilter,
    LoggedModel,
    LoggedModelMetric,
    LoggedModelOrderBy,
    LoggedModelStatus,
)
from flowtrack.tracking.stores.rest import wire
from flowtrack.tracking.stores.rest.errors import Subject

if TYPE_CHECKING:
    from flowtrack.tracking.stores.rest.store import Call

MAX_METRICS_PER_CALL = 1000  # what a server takes in one log-batch


class RestLoggedModels:
    """The logged-model part of the REST tracking store (a mixin: see the module docstring)."""

    if TYPE_CHECKING:  # provided by RestTrackingStore

        def _call(
            self,
            call: Call,
            payload: Mapping[str, Any] | None = None,
            params: Mapping[str, str] | None = None,
        ) -> wire.JsonObject: ...

    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None,
        source_run_id: str | None,
        tags: Sequence[RunTag],
        params: Sequence[Param],
        model_type: str | None,
    ) -> LoggedModel:
        payload: dict[str, Any] = {"experiment_id": experiment_id}
        if name:
            payload["name"] = name
        if model_type is not None:
            payload["model_type"] = model_type
        if source_run_id:
            payload["source_run_id"] = source_run_id
        if params:
            payload["params"] = wire.key_values(params)
        if tags:
            payload["tags"] = wire.key_values(tags)
        call = _endpoint("POST", "logged-models", Subject.EXPERIMENT, Retry.UNSENT)  # fails on its experiment
        return logged_model_from_json(self._call(call, payload)["model"])

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        params = {"allow_deleted": "true"} if allow_deleted else None
        found = self._call(_model_endpoint("GET", _model_path(model_id)), params=params)
        return logged_model_from_json(found["model"])

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        payload = {"model_id": model_id, "status": LoggedModelStatus(status).value}
        found = self._call(_model_endpoint("PATCH", _model_path(model_id)), payload)
        return logged_model_from_json(found["model"])

    def set_logged_model_tags(self, model_id: str, tags: Sequence[RunTag]) -> None:
        payload = {"model_id": model_id, "tags": wire.key_values(tags)}
        self._call(_model_endpoint("PATCH", f"{_model_path(model_id)}/tags"), payload)

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        path = f"{_model_path(model_id)}/tags/{quote(key, safe='')}"
        self._call(_model_endpoint("DELETE", path, Retry.UNSENT))

    def log_logged_model_params(self, model_id: str, params: Sequence[Param]) -> None:
        payload = {"model_id": model_id, "params": wire.key_values(params)}
        self._call(_model_endpoint("POST", f"{_model_path(model_id)}/params"), payload)

    def delete_logged_model(self, model_id: str) -> None:
        call = _model_endpoint("DELETE", _model_path(model_id), Retry.UNSENT)
        self._call(call, {"model_id": model_id})

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filters: Sequence[Comparison],
        datasets: Sequence[DatasetFilter],
        order_by: Sequence[LoggedModelOrderBy],
        max_results: int,
        page_token: str | None,
    ) -> PagedList[LoggedModel]:
        if not experiment_ids:
            return PagedList([], None)
        payload: dict[str, Any] = {"experiment_ids": list(experiment_ids), "max_results": max_results}
        if filters:
            payload["filter"] = search.format_filter(filters)
        if datasets:
            payload["datasets"] = [_drop_none(dataclasses.asdict(item)) for item in datasets]
        if order_by:
            payload["order_by"] = [_order_to_json(clause) for clause in order_by]
        if page_token:
            payload["page_token"] = page_token
        found = self._call(_model_endpoint("POST", "logged-models/search"), payload)
        models = [logged_model_from_json(item) for item in found.get("models") or ()]
        return PagedList(models, found.get("next_page_token") or None)

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        payload = {"run_id": run_id, "models": [{"model_id": m.model_id, "step": m.step} for m in models]}
        self._call(_endpoint("POST", "runs/outputs", Subject.RUN), payload)

    def log_logged_model_metrics(self, run_id: str, metrics: Sequence[LoggedModelMetric]) -> None:
        call = _endpoint("POST", "runs/log-batch", Subject.RUN)
        for start in range(0, len(metrics), MAX_METRICS_PER_CALL):
            points = [_metric_to_json(point) for point in metrics[start : start + MAX_METRICS_PER_CALL]]
            self._call(call, {"run_id": run_id, "metrics": points})


def _endpoint(method: str, path: str, subject: Subject, retry: Retry = Retry.IDEMPOTENT) -> Call:
    from flowtrack.tracking.stores.rest.store import Call  # the store imports this module first

    return Call(method, path, subject, retry)


def _model_endpoint(method: str, path: str, retry: Retry = Retry.IDEMPOTENT) -> Call:
    return _endpoint(method, path, Subject.LOGGED_MODEL, retry)


# -- JSON ----------------------------------------------------------------------------------------------------
def _model_path(model_id: str) -> str:
    return f"logged-models/{quote(model_id, safe='')}"


def _drop_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def _order_to_json(clause: LoggedModelOrderBy) -> dict[str, Any]:
    return _drop_none(
        {
            "field_name": clause.field_name,
            "ascending": clause.ascending,
            "dataset_name": clause.dataset_name,
            "dataset_digest": clause.dataset_digest,
        }
    )


def _metric_to_json(point: LoggedModelMetric) -> dict[str, Any]:
    return _drop_none(
        {
            "key": point.key,
            "value": wire.float_to_json(point.value),
            "timestamp": point.timestamp,
            "step": point.step,
            "model_id": point.model_id,
            "dataset_name": point.dataset_name,
            "dataset_digest": point.dataset_digest,
        }
    )


def _pairs(items: Sequence[wire.JsonObject] | None) -> dict[str, str]:
    return {str(item["key"]): str(item.get("value", "")) for item in items or ()}


def _status(value: Any) -> LoggedModelStatus:
    """A status as a server writes it; an unknown or unspecified one reads as PENDING."""
    try:
        return LoggedModelStatus.parse(value)
    except (ValueError, TypeError):
        return LoggedModelStatus.PENDING


def logged_model_from_json(data: wire.JsonObject) -> LoggedModel:
    """A ``LoggedModel`` message (``{"info": {...}, "data": {...}}``) as MLflow's REST API writes it."""
    info = data.get("info") or {}
    payload = data.get("data") or {}
    model_id = str(info["model_id"])
    metrics = tuple(
        LoggedModelMetric(
            key=str(item["key"]),
            value=float(item["value"]) if item.get("value") is not None else float("nan"),
            timestamp=int(item.get("timestamp", 0)),
            step=int(item.get("step", 0)),
            run_id=str(item.get("run_id", "")),
            model_id=str(item.get("model_id") or model_id),
            dataset_name=item.get("dataset_name"),
            dataset_digest=item.get("dataset_digest"),
        )
        for item in payload.get("metrics") or ()
    )
    return LoggedModel(
        model_id=model_id,
        experiment_id=str(info.get("experiment_id", "")),
        name=str(info.get("name", "")),
        artifact_location=str(info.get("artifact_uri", "")),
        creation_timestamp_ms=int(info.get("creation_timestamp_ms", 0)),
        last_updated_timestamp_ms=int(info.get("last_updated_timestamp_ms", 0)),
        status=_status(info.get("status", LoggedModelStatus.PENDING.value)),
        model_type=info.get("model_type") or None,
        source_run_id=info.get("source_run_id") or None,
        status_message=info.get("status_message") or None,
        lifecycle_stage=LifecycleStage.ACTIVE,
        tags=_pairs(info.get("tags")),
        params=_pairs(payload.get("params")),
        metrics=metrics,
    )
