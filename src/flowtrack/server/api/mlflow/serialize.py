"""Entities → MLflow's JSON (what ``message_to_json`` makes of MLflow's protos).

Like proto JSON, empty lists and None fields are left out; int64 values stay numbers. Non-finite metric
values become the strings ``"NaN"``, ``"Infinity"`` and ``"-Infinity"``, which is how proto3 JSON spells them
and what the mlflow client parses back into floats.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from flowtrack.artifacts.base import FileInfo
from flowtrack.tracking.entities import (
    DatasetInput,
    Experiment,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
)
from flowtrack.tracking.logged_models import LoggedModel, LoggedModelMetric
from flowtrack.tracking.mlflow_json import dataset_to_json, float_to_json, metric_to_json

Json = dict[str, Any]
DEFAULT_WORKSPACE = "default"


def key_values(pairs: Mapping[str, str]) -> list[Json]:
    return [{"key": key, "value": value} for key, value in pairs.items()]


def _put_list(target: Json, name: str, items: list[Json]) -> Json:
    if items:
        target[name] = items
    return target


def experiment(entity: Experiment) -> Json:
    result: Json = {
        "experiment_id": entity.experiment_id,
        "name": entity.name,
        "artifact_location": entity.artifact_location,
        "lifecycle_stage": entity.lifecycle_stage.value,
    }
    if entity.last_update_time is not None:
        result["last_update_time"] = entity.last_update_time
    if entity.creation_time is not None:
        result["creation_time"] = entity.creation_time
    _put_list(result, "tags", key_values(entity.tags))
    result["workspace"] = DEFAULT_WORKSPACE
    return result


def run_info(info: RunInfo) -> Json:
    result: Json = {
        "run_uuid": info.run_id,
        "experiment_id": info.experiment_id,
        "run_name": info.run_name,
        "user_id": info.user_id,
        "status": info.status.value,
        "start_time": info.start_time,
    }
    if info.end_time is not None:
        result["end_time"] = info.end_time
    result["artifact_uri"] = info.artifact_uri
    result["lifecycle_stage"] = info.lifecycle_stage.value
    result["run_id"] = info.run_id
    return result


def run_data(data: RunData) -> Json:
    """Each metric's latest point (key, value, timestamp and step, as MLflow sends them), params, tags."""
    result: Json = {}
    _put_list(result, "metrics", [metric_to_json(point) for point in data.latest_metrics.values()])
    _put_list(result, "params", key_values(data.params))
    return _put_list(result, "tags", key_values(data.tags))


def dataset_input(entity: DatasetInput) -> Json:
    result: Json = {}
    _put_list(result, "tags", [{"key": tag.key, "value": tag.value} for tag in entity.tags])
    result["dataset"] = dataset_to_json(entity.dataset)
    return result


def run_inputs(inputs: RunInputs) -> Json:
    return _put_list({}, "dataset_inputs", [dataset_input(item) for item in inputs.dataset_inputs])


def run(entity: Run, *, outputs: bool = True) -> Json:
    """A full run; ``outputs`` adds MLflow 3's outputs field (the logged models the run produced)."""
    result: Json = {
        "info": run_info(entity.info),
        "data": run_data(entity.data),
        "inputs": run_inputs(entity.inputs),
    }
    if outputs:
        result["outputs"] = run_outputs(entity.outputs)
    return result


def run_outputs(outputs: RunOutputs) -> Json:
    """``{"model_outputs": [{"model_id": ..., "step": ...}]}``, or ``{}`` when the run logged no model."""
    items = [{"model_id": item.model_id, "step": item.step} for item in outputs.model_outputs]
    return _put_list({}, "model_outputs", items)


def metrics(entities: Iterable[Metric]) -> list[Json]:
    return [metric_to_json(entity) for entity in entities]


def file_info(entity: FileInfo) -> Json:
    result: Json = {"path": entity.path, "is_dir": entity.is_dir}
    if entity.file_size is not None:
        result["file_size"] = entity.file_size
    return result


def page(name: str, items: list[Json], token: str | None) -> Json:
    """A search or history page: ``{name: items, "next_page_token": token}``, each left out when empty."""
    result = _put_list({}, name, items)
    if token:
        result["next_page_token"] = token
    return result


# -- logged models (MLflow 3) --------------------------------------------------------------------------------
def logged_model_metric(point: LoggedModelMetric) -> Json:
    result: Json = {
        "key": point.key,
        "value": float_to_json(point.value),
        "timestamp": point.timestamp,
        "step": point.step,
    }
    if point.dataset_name is not None:
        result["dataset_name"] = point.dataset_name
    if point.dataset_digest is not None:
        result["dataset_digest"] = point.dataset_digest
    result["model_id"] = point.model_id
    result["run_id"] = point.run_id
    return result


def logged_model(entity: LoggedModel) -> Json:
    """``{"info": {...}, "data": {"params": [...], "metrics": [...]}}`` as MLflow's server writes it.

    ``model_type`` is always there (``""`` when unset), as MLflow's server sends it; tags and params are
    sorted by key.
    """
    info: Json = {
        "model_id": entity.model_id,
        "experiment_id": entity.experiment_id,
        "name": entity.name,
        "creation_timestamp_ms": entity.creation_timestamp_ms,
        "last_updated_timestamp_ms": entity.last_updated_timestamp_ms,
        "artifact_uri": entity.artifact_location,
        "status": entity.status.value,
        "model_type": entity.model_type or "",
    }
    if entity.source_run_id:
        info["source_run_id"] = entity.source_run_id
    if entity.status_message:
        info["status_message"] = entity.status_message
    _put_list(info, "tags", key_values(dict(sorted(entity.tags.items()))))
    data: Json = {}
    _put_list(data, "params", key_values(dict(sorted(entity.params.items()))))
    _put_list(data, "metrics", [logged_model_metric(point) for point in entity.metrics])
    return {"info": info, "data": data}
