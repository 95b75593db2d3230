"""The parsed form of MLflow's search language: what ``search.py`` produces and stores consume.

A filter string is a conjunction of comparisons (MLflow's language has AND but no OR); order-by clauses are a
list of keys with a direction.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class EntityKind(enum.StrEnum):
    METRIC = "metrics"
    PARAM = "params"
    TAG = "tags"
    ATTRIBUTE = "attributes"
    DATASET = "datasets"


class Operator(enum.StrEnum):
    EQ = "="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    LIKE = "LIKE"
    ILIKE = "ILIKE"
    IN = "IN"
    NOT_IN = "NOT IN"


# Attribute names a run filter or order-by may use, mapped to their canonical spelling.
RUN_ATTRIBUTES: dict[str, str] = {
    "run_id": "run_id",
    "run_uuid": "run_id",
    "run_name": "run_name",
    "status": "status",
    "start_time": "start_time",
    "end_time": "end_time",
    "user_id": "user_id",
    "experiment_id": "experiment_id",
    "artifact_uri": "artifact_uri",
    "lifecycle_stage": "lifecycle_stage",
}
NUMERIC_RUN_ATTRIBUTES = frozenset({"start_time", "end_time"})

EXPERIMENT_ATTRIBUTES: dict[str, str] = {
    "name": "name",
    "experiment_id": "experiment_id",
    "creation_time": "creation_time",
    "last_update_time": "last_update_time",
    "lifecycle_stage": "lifecycle_stage",
}
NUMERIC_EXPERIMENT_ATTRIBUTES = frozenset({"creation_time", "last_update_time"})

Value = str | float | tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Comparison:
    """``kind.key op value``; ``value`` is a float for metrics and numeric attributes, a tuple for IN."""

    kind: EntityKind
    key: str
    op: Operator
    value: Value


@dataclass(frozen=True, slots=True)
class OrderBy:
    kind: EntityKind
    key: str
    ascending: bool = True


# Attribute names a logged-model filter or order-by may use (MLflow's aliases included), canonical spelling.
LOGGED_MODEL_ATTRIBUTES: dict[str, str] = {
    "model_id": "model_id",
    "name": "name",
    "model_type": "model_type",
    "status": "status",
    "source_run_id": "source_run_id",
    "creation_timestamp_ms": "creation_timestamp_ms",
    "creation_timestamp": "creation_timestamp_ms",
    "creation_time": "creation_timestamp_ms",
    "last_updated_timestamp_ms": "last_updated_timestamp_ms",
    "last_updated_timestamp": "last_updated_timestamp_ms",
    "artifact_location": "artifact_location",
}
NUMERIC_LOGGED_MODEL_ATTRIBUTES = frozenset({"creation_timestamp_ms", "last_updated_timestamp_ms"})
