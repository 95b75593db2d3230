"""Bulk loading of full entities: a constant number of queries per page, whatever its size (no N+1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from flowtrack.tracking.entities import Experiment, Metric, Run
from flowtrack.tracking.stores.sql.convert import (
    assemble_runs,
    decode_value,
    encode_value,
    group_inputs,
    group_latest_metrics,
    group_pairs,
    row_to_experiment,
)
from flowtrack.tracking.stores.sql.tables import (
    KIND_FINITE,
    datasets,
    experiment_tags,
    input_tags,
    inputs,
    latest_metrics,
    metrics,
    params,
    tags,
)

IN_CHUNK = 1000  # ids per IN list: under every database's bound-parameter limit

Row = Mapping[Any, Any]  # also sqlalchemy RowMapping


def _ids_param() -> sa.BindParameter[Any]:
    return sa.bindparam("ids", expanding=True)


# Built once: executing a cached statement skips SQLAlchemy's statement construction entirely.
_LATEST = sa.select(
    latest_metrics.c.run_uuid,
    latest_metrics.c.key,
    latest_metrics.c.step,
    latest_metrics.c.timestamp,
    latest_metrics.c.kind,
    latest_metrics.c.value,
).where(latest_metrics.c.run_uuid.in_(_ids_param()))
_PARAMS_AND_TAGS = sa.union_all(
    sa.select(
        sa.literal(1, sa.Integer).label("is_tag"), params.c.run_uuid, params.c.key, params.c.value
    ).where(params.c.run_uuid.in_(_ids_param())),
    sa.select(sa.literal(2, sa.Integer).label("is_tag"), tags.c.run_uuid, tags.c.key, tags.c.value).where(
        tags.c.run_uuid.in_(_ids_param())
    ),
)
_INPUTS = (
    sa.select(
        inputs.c.run_uuid,
        inputs.c.dataset_uuid,
        datasets.c.name,
        datasets.c.digest,
        datasets.c.source_type,
        datasets.c.source,
        datasets.c.schema,
        datasets.c.profile,
        input_tags.c.key.label("tag_key"),
        input_tags.c.value.label("tag_value"),
    )
    .select_from(
        inputs.join(datasets, datasets.c.dataset_uuid == inputs.c.dataset_uuid).outerjoin(
            input_tags,
            sa.and_(
                input_tags.c.run_uuid == inputs.c.run_uuid, input_tags.c.dataset_uuid == inputs.c.dataset_uuid
            ),
        )
    )
    .where(inputs.c.run_uuid.in_(_ids_param()))
    .order_by(inputs.c.run_uuid, inputs.c.position, input_tags.c.key)
)
_EXPERIMENT_TAGS = sa.select(experiment_tags).where(experiment_tags.c.experiment_id.in_(_ids_param()))


def _rows_for(conn: Connection, stmt: sa.Executable, ids: Sequence[Any]) -> list[Row]:
    rows: list[Row] = []
    for start in range(0, len(ids), IN_CHUNK):
        rows.extend(conn.execute(stmt, {"ids": list(ids[start : start + IN_CHUNK])}).mappings().all())
    return rows


def load_runs(conn: Connection, run_rows: Sequence[Row]) -> list[Run]:
    """Full runs (latest metrics, params, tags, inputs) for rows of the runs table, in their order.

    Three queries per page (per thousand runs), whatever the number of runs.
    """
    if not run_rows:
        return []
    ids = [row["run_uuid"] for row in run_rows]
    latest = _rows_for(conn, _LATEST, ids)
    pairs = _rows_for(conn, _PARAMS_AND_TAGS, ids)
    input_rows = _rows_for(conn, _INPUTS, ids)
    return assemble_runs(
        run_rows,
        group_latest_metrics(latest),
        group_pairs((row for row in pairs if row["is_tag"] == 1), "run_uuid"),
        group_pairs((row for row in pairs if row["is_tag"] == 2), "run_uuid"),
        group_inputs(input_rows),
    )


def load_experiments(conn: Connection, rows: Sequence[Row]) -> list[Experiment]:
    """Experiments with their tags for rows of the experiments table, in their order."""
    ids = [row["experiment_id"] for row in rows]
    tag_rows = _rows_for(conn, _EXPERIMENT_TAGS, ids) if ids else []
    tags_by_id = group_pairs(tag_rows, "experiment_id")
    return [row_to_experiment(row, tags_by_id.get(row["experiment_id"], {})) for row in rows]


_HISTORY_ORDER = (metrics.c.step, metrics.c.timestamp, metrics.c.kind, metrics.c.value)


def metric_history(
    conn: Connection, run_id: str, key: str, after: Sequence[Any] | None, limit: int | None
) -> list[Metric]:
    """Points of one metric ordered by step, timestamp (then value), strictly after the ``after`` position."""
    stmt = sa.select(*_HISTORY_ORDER).where(metrics.c.run_uuid == run_id, metrics.c.key == key)
    if after is not None:
        stmt = stmt.where(sa.tuple_(*_HISTORY_ORDER) > sa.tuple_(*after))
    stmt = stmt.order_by(*_HISTORY_ORDER)
    if limit is not None:
        stmt = stmt.limit(limit)
    result = conn.execute(stmt)
    return [
        Metric(key, value if kind == KIND_FINITE else decode_value(kind, value), timestamp, step)
        for step, timestamp, kind, value in result
    ]


def history_position(metric: Metric) -> list[Any]:
    """The keyset position of a point, for the next page's ``after``."""
    kind, value = encode_value(metric.value)
    return [metric.step, metric.timestamp, kind, value]
