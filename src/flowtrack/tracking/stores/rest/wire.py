"""MLflow's REST JSON to and from tracking entities.

The JSON is protobuf's JSON mapping: non-finite doubles are the strings ``"NaN"``, ``"Infinity"`` and
``"-Infinity"``; int64 values may arrive as strings; fields left at their default may be missing. Readers
accept all of that; writers produce what the mlflow client sends.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import Any

from flowtrack.tracking.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    LifecycleStage,
    LoggedModelOutput,
    Metric,
    Param,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunOutputs,
    RunStatus,
    RunTag,
)
from flowtrack.tracking.mlflow_json import dataset_to_json, float_to_json, metric_to_json

__all__ = [
    "decode",
    "encode",
    "experiment_from_json",
    "float_to_json",
    "key_values",
    "metric_to_json",
    "metrics_from_json",
    "run_from_json",
    "run_info_from_json",
]

JsonObject = dict[str, Any]
_RUN_NAME_TAG = "mlflow.runName"

_orjson: Any
try:  # orjson is several times faster on large metric histories; the standard library is the fallback
    import orjson as _orjson
except ImportError:  # pragma: no cover - orjson comes with the server's dependencies
    _orjson = None


def encode(payload: JsonObject) -> bytes:
    """Compact JSON; every float in ``payload`` must be finite already (see :func:`float_to_json`)."""
    return json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()


def decode(content: bytes) -> JsonObject:
    """A JSON object; bare ``NaN``/``Infinity`` tokens (not JSON, but some servers emit them) are accepted."""
    if _orjson is not None:
        try:
            parsed: Any = _orjson.loads(content)
        except _orjson.JSONDecodeError:
            parsed = json.loads(content)
    else:
        parsed = json.loads(content) if content else {}
    if not isinstance(parsed, dict):
        raise ValueError(f"expected a JSON object, got {type(parsed).__name__}")
    return parsed


def _float(value: Any) -> float:
    """A double from JSON: a number, or one of protobuf's strings ("NaN", "Infinity", "-Infinity")."""
    return value if type(value) is float else float(value)


def key_values(items: Iterable[RunTag | Param | InputTag]) -> list[JsonObject]:
    return [{"key": item.key, "value": item.value} for item in items]


def _pairs(items: Sequence[JsonObject] | None) -> dict[str, str]:
    return {str(item["key"]): str(item.get("value", "")) for item in items or ()}


def _optional_int(value: Any) -> int | None:
    return None if value is None or value == "" else int(value)


# -- experiments ---------------------------------------------------------------------------------------------
def experiment_from_json(data: JsonObject) -> Experiment:
    return Experiment(
        experiment_id=str(data["experiment_id"]),
        name=str(data.get("name", "")),
        artifact_location=str(data.get("artifact_location", "")),
        lifecycle_stage=LifecycleStage(data.get("lifecycle_stage", LifecycleStage.ACTIVE.value)),
        tags=_pairs(data.get("tags")),
        creation_time=_optional_int(data.get("creation_time")),
        last_update_time=_optional_int(data.get("last_update_time")),
    )


# -- metrics -------------------------------------------------------------------------------------------------
def metrics_from_json(items: Sequence[JsonObject] | None) -> list[Metric]:
    """Metric points; the common shape (every field present, numbers as numbers) takes the fast path."""
    if not items:
        return []
    try:
        return [
            Metric(item["key"], item["value"], item["timestamp"], item["step"])
            if type(item["value"]) is float and type(item["timestamp"]) is int and type(item["step"]) is int
            else _metric(item)
            for item in items
        ]
    except KeyError:
        return [_metric(item) for item in items]


def _metric(item: JsonObject) -> Metric:
    return Metric(item["key"], _float(item["value"]), int(item.get("timestamp", 0)), int(item.get("step", 0)))


# -- runs ----------------------------------------------------------------------------------------------------
def run_info_from_json(data: JsonObject, tags: dict[str, str] | None = None) -> RunInfo:
    end_time = _optional_int(data.get("end_time"))
    return RunInfo(
        run_id=str(data.get("run_id") or data["run_uuid"]),
        experiment_id=str(data["experiment_id"]),
        run_name=str(data.get("run_name") or (tags or {}).get(_RUN_NAME_TAG, "")),
        user_id=str(data.get("user_id", "")),
        status=RunStatus(data.get("status", RunStatus.RUNNING.value)),
        start_time=int(data.get("start_time", 0)),
        end_time=end_time,
        artifact_uri=str(data.get("artifact_uri", "")),
        lifecycle_stage=LifecycleStage(data.get("lifecycle_stage", LifecycleStage.ACTIVE.value)),
    )


def run_from_json(data: JsonObject) -> Run:
    payload = data.get("data") or {}
    tags = _pairs(payload.get("tags"))
    latest = {str(item["key"]): _metric(item) for item in payload.get("metrics") or ()}
    return Run(
        info=run_info_from_json(data["info"], tags),
        data=RunData(latest_metrics=latest, params=_pairs(payload.get("params")), tags=tags),
        inputs=_inputs_from_json(data.get("inputs") or {}),
        outputs=outputs_from_json(data.get("outputs") or {}),
    )


# -- dataset inputs ------------------------------------------------------------------------------------------
def dataset_inputs_to_json(inputs: Sequence[DatasetInput]) -> list[JsonObject]:
    return [{"tags": key_values(item.tags), "dataset": dataset_to_json(item.dataset)} for item in inputs]


def _inputs_from_json(data: JsonObject) -> RunInputs:
    found = []
    for item in data.get("dataset_inputs") or ():
        dataset = item["dataset"]
        found.append(
            DatasetInput(
                dataset=Dataset(
                    name=str(dataset.get("name", "")),
                    digest=str(dataset.get("digest", "")),
                    source_type=str(dataset.get("source_type", "")),
                    source=str(dataset.get("source", "")),
                    schema=dataset.get("schema"),
                    profile=dataset.get("profile"),
                ),
                tags=tuple(InputTag(key, value) for key, value in _pairs(item.get("tags")).items()),
            )
        )
    return RunInputs(tuple(found))


# -- outputs (MLflow 3 logged models) ------------------------------------------------------------------------
def outputs_from_json(data: JsonObject) -> RunOutputs:
    found = data.get("model_outputs") or ()
    return RunOutputs(
        tuple(LoggedModelOutput(str(item["model_id"]), int(item.get("step", 0))) for item in found)
    )
