"""Run data writes on the general path (every database): params, tags, metrics and dataset inputs.

Each function runs inside the caller's write transaction after the run was checked (and, on PostgreSQL/MySQL,
locked). Anything that may be rejected is checked before the first write, so a rejected batch writes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from flowtrack.exceptions import (
    ExperimentNotActive,
    ExperimentNotFound,
    ParamOverwriteError,
    RunNotActive,
    RunNotFound,
)
from flowtrack.tracking import system_tags
from flowtrack.tracking.entities import DatasetInput, LifecycleStage, Metric, Param, RunStatus, RunTag
from flowtrack.tracking.stores.sql import dml
from flowtrack.tracking.stores.sql.convert import metric_row
from flowtrack.tracking.stores.sql.tables import datasets, input_tags, inputs, metrics, params, runs, tags

RUN_NAME_TAG = system_tags.RUN_NAME

DatasetIds = dict[tuple[str, str], str]
ACTIVE = LifecycleStage.ACTIVE.value


# -- errors and rows shared by the general path and the SQLite fast path -------------------------------------
def check_run_stage(run_id: str, stage: str | None, *, active: bool = True) -> None:
    """Raise RunNotFound when ``stage`` is None, or RunNotActive when ``active`` and the run is deleted."""
    if stage is None:
        raise RunNotFound(f"no run with id {run_id!r}")
    if active and stage != ACTIVE:
        raise RunNotActive(f"run {run_id} is deleted; restore it before changing it")


def check_experiment_stage(experiment_id: str, stage: str | None, action: str) -> None:
    """Raise ExperimentNotFound when ``stage`` is None, or ExperimentNotActive when it is deleted."""
    if stage is None:
        raise ExperimentNotFound(f"no experiment with id {experiment_id!r}")
    if stage != ACTIVE:
        raise ExperimentNotActive(
            f"cannot {action} experiment {experiment_id}: it is deleted; restore it first"
        )


def new_run_row(
    run_id: str, experiment_key: int, location: str, name: str, user_id: str, start_time: int
) -> dict[str, Any]:
    """The runs row of a new run in the experiment whose artifact location is ``location``."""
    return {
        "run_uuid": run_id,
        "experiment_id": experiment_key,
        "name": name,
        "user_id": user_id or "",
        "status": RunStatus.RUNNING.value,
        "start_time": int(start_time),
        "end_time": None,
        "deleted_time": None,
        "lifecycle_stage": ACTIVE,
        "artifact_uri": f"{location.rstrip('/')}/{run_id}/artifacts",
    }


def run_info_changes(status: RunStatus | None, end_time: int | None, run_name: str | None) -> dict[str, Any]:
    """The runs columns that ``update_run_info`` changes (an empty ``run_name`` keeps the name)."""
    values: dict[str, Any] = {}
    if status is not None:
        values["status"] = RunStatus(status).value
    if end_time is not None:
        values["end_time"] = int(end_time)
    if run_name:
        values["name"] = run_name
    return values


def param_conflict(run_id: str, key: str, old: str, new: str) -> ParamOverwriteError:
    return ParamOverwriteError(
        f"param {key!r} of run {run_id} already has the value {old!r}; it cannot change to {new!r} "
        "(params are immutable: log a new key, or use a tag or a metric for values that change)",
        field="params",
    )


def tag_dict(items: Sequence[RunTag]) -> dict[str, str]:
    """Tags by key; when a key repeats, the last value wins."""
    return {tag.key: tag.value for tag in items}


def param_dict(run_id: str, items: Sequence[Param]) -> dict[str, str]:
    """Params by key; the same key twice must carry the same value."""
    values: dict[str, str] = {}
    for param in items:
        old = values.setdefault(param.key, param.value)
        if old != param.value:
            raise param_conflict(run_id, param.key, old, param.value)
    return values


def write_params(conn: Connection, run_id: str, values: Mapping[str, str]) -> None:
    """Insert new params; raise ParamOverwriteError (before writing any) if a key holds another value."""
    if not values:
        return
    stored: dict[str, str] = {}
    for chunk in dml.chunks(list(values)):
        stmt = sa.select(params.c.key, params.c.value).where(
            params.c.run_uuid == run_id, params.c.key.in_(list(chunk))
        )
        stored.update(conn.execute(stmt).all())
    for key, old in stored.items():
        if old != values[key]:
            raise param_conflict(run_id, key, old, values[key])
    new = [{"run_uuid": run_id, "key": k, "value": v} for k, v in values.items() if k not in stored]
    dml.insert(conn, params, new)


def write_tags(conn: Connection, run_id: str, values: Mapping[str, str]) -> None:
    """Set tags; ``mlflow.runName`` also renames the run."""
    if not values:
        return
    rows = [{"run_uuid": run_id, "key": k, "value": v} for k, v in values.items()]
    dml.upsert(conn, tags, ("run_uuid", "key"), rows, ["value"])
    if RUN_NAME_TAG in values:
        conn.execute(sa.update(runs).where(runs.c.run_uuid == run_id).values(name=values[RUN_NAME_TAG]))


def write_metrics(conn: Connection, run_id: str, points: Sequence[Metric]) -> None:
    """Append points to the history (the very same point twice is kept once) and fold them into the latest."""
    if not points:
        return
    rows = [metric_row(run_id, metric) for metric in points]
    dml.insert_ignore(conn, metrics, rows)
    dml.update_latest_metrics(conn, run_id, rows)


def dataset_ids(conn: Connection, experiment_key: int, items: Sequence[DatasetInput]) -> DatasetIds:
    """Ids of the datasets by (name, digest), created in the experiment when missing."""
    wanted = {(item.dataset.name, item.dataset.digest): item.dataset for item in items}
    found = _find_datasets(conn, experiment_key, list(wanted))
    new_rows = [
        {
            "dataset_uuid": uuid.uuid4().hex,
            "experiment_id": experiment_key,
            "name": ds.name,
            "digest": ds.digest,
            "source_type": ds.source_type,
            "source": ds.source,
            "schema": ds.schema,
            "profile": ds.profile,
        }
        for identity, ds in wanted.items()
        if identity not in found
    ]
    if new_rows:
        dml.insert_ignore(conn, datasets, new_rows)  # a concurrent writer may have added some meanwhile
        found = _find_datasets(conn, experiment_key, list(wanted))
    return found


def _find_datasets(conn: Connection, experiment_key: int, identities: list[tuple[str, str]]) -> DatasetIds:
    names = sorted({name for name, _ in identities})
    wanted = set(identities)
    found: DatasetIds = {}
    for chunk in dml.chunks(names):
        stmt = sa.select(datasets.c.name, datasets.c.digest, datasets.c.dataset_uuid).where(
            datasets.c.experiment_id == experiment_key, datasets.c.name.in_(list(chunk))
        )
        found.update({(n, d): ds_id for n, d, ds_id in conn.execute(stmt) if (n, d) in wanted})
    return found


def link_inputs(conn: Connection, run_id: str, items: Sequence[DatasetInput], ids: DatasetIds) -> None:
    """Link datasets to the run in logging order, with their input tags; a linked dataset is skipped."""
    stmt = sa.select(inputs.c.dataset_uuid, inputs.c.position).where(inputs.c.run_uuid == run_id)
    linked = dict(conn.execute(stmt).all())
    position = max(linked.values(), default=-1) + 1
    link_rows: list[dict[str, Any]] = []
    tag_rows: list[dict[str, Any]] = []
    for item in items:
        dataset_id = ids[(item.dataset.name, item.dataset.digest)]
        if dataset_id in linked:
            continue
        linked[dataset_id] = position
        link_rows.append({"run_uuid": run_id, "dataset_uuid": dataset_id, "position": position})
        position += 1
        tag_rows += [
            {"run_uuid": run_id, "dataset_uuid": dataset_id, "key": tag.key, "value": tag.value}
            for tag in {tag.key: tag for tag in item.tags}.values()
        ]
    dml.insert(conn, inputs, link_rows)
    dml.insert(conn, input_tags, tag_rows)
