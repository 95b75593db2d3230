"""Tracking entities as MLflow's REST JSON, for both sides of the wire: the server's answers and the REST
store's requests.

MLflow's JSON is protobuf's JSON mapping: a non-finite double is the string ``"NaN"``, ``"Infinity"`` or
``"-Infinity"``.
"""

from __future__ import annotations

import math
from typing import Any

from flowtrack.tracking.entities import Dataset, Metric

JsonObject = dict[str, Any]


def float_to_json(value: float) -> float | str:
    if value - value == 0.0:  # false for inf and nan, and cheaper than math.isfinite on the hot path
        return value
    if math.isnan(value):
        return "NaN"
    return "Infinity" if value > 0 else "-Infinity"


def metric_to_json(metric: Metric) -> JsonObject:
    return {
        "key": metric.key,
        "value": float_to_json(metric.value),
        "timestamp": metric.timestamp,
        "step": metric.step,
    }


def dataset_to_json(dataset: Dataset) -> JsonObject:
    payload: JsonObject = {
        "name": dataset.name,
        "digest": dataset.digest,
        "source_type": dataset.source_type,
        "source": dataset.source,
    }
    if dataset.schema is not None:
        payload["schema"] = dataset.schema
    if dataset.profile is not None:
        payload["profile"] = dataset.profile
    return payload
