"""Conversions between database rows and tracking entities, metric value encoding, and page tokens."""

from __future__ import annotations

import base64
import binascii
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flowtrack.exceptions import ExperimentNotFound, InvalidArgument
from flowtrack.tracking.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    LifecycleStage,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
)
from flowtrack.tracking.stores.sql.tables import KIND_FINITE, KIND_NAN, KIND_NEG_INF, KIND_POS_INF

Row = Mapping[Any, Any]  # also sqlalchemy RowMapping


# -- metric values -------------------------------------------------------------------------------------------
def encode_value(value: float) -> tuple[int, float]:
    """``(kind, stored value)`` for a metric value; non-finite values store 0.0 and are told apart by kind."""
    if math.isfinite(value):
        return KIND_FINITE, float(value)
    if math.isnan(value):
        return KIND_NAN, 0.0
    return (KIND_POS_INF if value > 0 else KIND_NEG_INF), 0.0


_NON_FINITE = {KIND_NAN: math.nan, KIND_POS_INF: math.inf, KIND_NEG_INF: -math.inf}


def decode_value(kind: int, value: float) -> float:
    return float(value) if kind == KIND_FINITE else _NON_FINITE[kind]


def metric_row(run_id: str, metric: Metric) -> dict[str, Any]:
    kind, value = encode_value(metric.value)
    return {
        "run_uuid": run_id,
        "key": metric.key,
        "step": int(metric.step),
        "timestamp": int(metric.timestamp),
        "kind": kind,
        "value": value,
    }


def row_to_metric(row: Row) -> Metric:
    return Metric(
        key=row["key"],
        value=decode_value(row["kind"], row["value"]),
        timestamp=row["timestamp"],
        step=row["step"],
    )


def metric_order_key(row: Row) -> tuple[int, int, int, float]:
    """The order deciding which point is a run's latest: step, then timestamp, then value (NaN highest)."""
    return (row["step"], row["timestamp"], row["kind"], row["value"])


# -- experiments ---------------------------------------------------------------------------------------------
MAX_EXPERIMENT_KEY = 2**31 - 1  # experiments.experiment_id is a 32-bit integer column


def experiment_key(experiment_id: str) -> int:
    """The experiments row key of an id; ExperimentNotFound for an id no row can have (not an integer, or
    outside the 32-bit column: the databases would fail on it instead of finding nothing)."""
    key = _integer(experiment_id)
    if key is None or not 0 <= key <= MAX_EXPERIMENT_KEY:
        raise ExperimentNotFound(f"no experiment with id {experiment_id!r}")
    return key


def search_experiment_keys(experiment_ids: Sequence[str]) -> list[int]:
    """The row keys of the experiments a search names: InvalidArgument for an id that is not an integer;
    integers no experiment can have are left out (they match nothing)."""
    keys = [_integer(experiment_id) for experiment_id in experiment_ids]
    if any(key is None for key in keys):
        raise InvalidArgument(
            f"experiment ids are integers, got {list(experiment_ids)!r}", field="experiment_ids"
        )
    return [key for key in keys if key is not None and 0 <= key <= MAX_EXPERIMENT_KEY]


def _integer(experiment_id: str) -> int | None:
    try:
        return int(experiment_id)
    except (TypeError, ValueError):
        return None


def row_to_experiment(row: Row, tags: Mapping[str, str]) -> Experiment:
    return Experiment(
        experiment_id=str(row["experiment_id"]),
        name=row["name"],
        artifact_location=row["artifact_location"],
        lifecycle_stage=LifecycleStage(row["lifecycle_stage"]),
        tags=dict(tags),
        creation_time=row["creation_time"],
        last_update_time=row["last_update_time"],
    )


def group_pairs(rows: Iterable[Row], owner: str) -> dict[Any, dict[str, str]]:
    """``{owner: {key: value}}`` from rows with ``owner``, ``key`` and ``value`` columns."""
    grouped: dict[Any, dict[str, str]] = defaultdict(dict)
    for row in rows:
        grouped[row[owner]][row["key"]] = row["value"]
    return grouped


# -- runs ----------------------------------------------------------------------------------------------------
def row_to_run_info(row: Row) -> RunInfo:
    return RunInfo(
        run_id=row["run_uuid"],
        experiment_id=str(row["experiment_id"]),
        run_name=row["name"],
        user_id=row["user_id"],
        status=RunStatus(row["status"]),
        start_time=row["start_time"],
        end_time=row["end_time"],
        artifact_uri=row["artifact_uri"],
        lifecycle_stage=LifecycleStage(row["lifecycle_stage"]),
    )


def group_latest_metrics(rows: Iterable[Row]) -> dict[str, dict[str, Metric]]:
    """``{run_uuid: {key: latest point}}`` from rows of the latest_metrics table."""
    grouped: dict[str, dict[str, Metric]] = defaultdict(dict)
    for row in rows:
        grouped[row["run_uuid"]][row["key"]] = row_to_metric(row)
    return grouped


def group_inputs(rows: Iterable[Row]) -> dict[str, RunInputs]:
    """``RunInputs`` per run from inputs joined with datasets and (outer) input tags, in logging order."""
    grouped: dict[str, dict[str, tuple[Dataset, list[InputTag]]]] = defaultdict(dict)
    for row in rows:
        links = grouped[row["run_uuid"]]
        link = links.get(row["dataset_uuid"])
        if link is None:
            dataset = Dataset(
                name=row["name"],
                digest=row["digest"],
                source_type=row["source_type"],
                source=row["source"],
                schema=row["schema"],
                profile=row["profile"],
            )
            link = links[row["dataset_uuid"]] = (dataset, [])
        if row["tag_key"] is not None:
            link[1].append(InputTag(row["tag_key"], row["tag_value"]))
    return {
        run_id: RunInputs(tuple(DatasetInput(dataset, tuple(tags)) for dataset, tags in links.values()))
        for run_id, links in grouped.items()
    }


def assemble_runs(
    run_rows: Sequence[Row],
    metrics: Mapping[str, dict[str, Metric]],
    params: Mapping[str, dict[str, str]],
    tags: Mapping[str, dict[str, str]],
    inputs: Mapping[str, RunInputs],
) -> list[Run]:
    runs: list[Run] = []
    for row in run_rows:
        run_id = row["run_uuid"]
        data = RunData(
            latest_metrics=dict(metrics.get(run_id, {})),
            params=dict(params.get(run_id, {})),
            tags=dict(tags.get(run_id, {})),
        )
        runs.append(Run(info=row_to_run_info(row), data=data, inputs=inputs.get(run_id, RunInputs())))
    return runs


# -- page tokens ---------------------------------------------------------------------------------------------
def encode_token(payload: Mapping[str, Any]) -> str:
    raw = json.dumps(payload, separators=(",", ":"), allow_nan=False).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_token(token: str | None) -> dict[str, Any] | None:
    """The payload of a token made by :func:`encode_token`; InvalidArgument(field="page_token") otherwise."""
    if token is None or token == "":
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise InvalidArgument(f"invalid page token {token!r}", field="page_token") from exc
    if not isinstance(payload, dict):
        raise InvalidArgument(f"invalid page token {token!r}", field="page_token")
    return payload


def offset_from_token(token: str | None) -> int:
    payload = decode_token(token)
    if payload is None:
        return 0
    offset = payload.get("offset")
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise InvalidArgument(f"invalid page token {token!r}", field="page_token")
    return offset
