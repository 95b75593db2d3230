"""Run writes on SQLite straight on the driver: ``log_batch``, ``create_run`` and ``update_run_info``.

Each function runs inside the caller's ``BEGIN IMMEDIATE`` transaction (see :mod:`.sqlite_fast`), which
serializes writers, so reading and then writing is race-free. A function raises before its first write when it
can; when a check needs the write first (params: insert, and look at the stored values only when some key was
there already), the caller's rollback undoes it. Either way a rejected call leaves nothing behind, as on the
general path (:mod:`.writes`), whose errors and rules these functions share.

The SQL is compiled once from the Core tables, with positional parameters in column order, so each call is a
handful of ``execute``/``executemany`` calls on prepared statements with tuples.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.sql.compiler import SQLCompiler

from flowtrack.tracking.entities import Metric
from flowtrack.tracking.stores.sql import writes
from flowtrack.tracking.stores.sql.convert import encode_value
from flowtrack.tracking.stores.sql.dml import latest_upsert_statement
from flowtrack.tracking.stores.sql.tables import KIND_FINITE, experiments, metrics, params, runs, tags

QMARK = sqlite.dialect(paramstyle="qmark")
MetricRow = tuple[str, str, int, int, int, float]  # the metrics / latest_metrics columns, in table order


def compile_positional(stmt: sa.ClauseElement, order: Sequence[str]) -> str:
    """``stmt`` as SQLite SQL whose ``?`` parameters are ``order`` (checked: a schema change fails loudly)."""
    compiled = cast(SQLCompiler, stmt.compile(dialect=QMARK, column_keys=list(order)))
    if tuple(compiled.positiontup or ()) != tuple(order):
        raise RuntimeError(f"expected parameters {tuple(order)} in {compiled}, got {compiled.positiontup}")
    return str(compiled)


def _bind(name: str) -> sa.BindParameter[Any]:
    return sa.bindparam(name)


def _upsert(table: sa.Table, keys: list[str], update: Iterable[str]) -> sa.ClauseElement:
    stmt = sqlite.insert(table)
    return stmt.on_conflict_do_update(
        index_elements=keys, set_={name: stmt.excluded[name] for name in update}
    )


RUN_COLUMNS: tuple[str, ...] = tuple(column.name for column in runs.columns)
METRIC_COLUMNS: tuple[str, ...] = tuple(column.name for column in metrics.columns)
_PAIR_COLUMNS = ("run_uuid", "key", "value")

RUN_ROW = compile_positional(sa.select(runs).where(runs.c.run_uuid == _bind("run_uuid")), ["run_uuid"])
RUN_STAGE = compile_positional(
    sa.select(runs.c.lifecycle_stage).where(runs.c.run_uuid == _bind("run_uuid")), ["run_uuid"]
)
EXPERIMENT = compile_positional(
    sa.select(experiments.c.lifecycle_stage, experiments.c.artifact_location).where(
        experiments.c.experiment_id == _bind("experiment_id")
    ),
    ["experiment_id"],
)
INSERT_RUN = compile_positional(sa.insert(runs), RUN_COLUMNS)
UPDATE_RUN = compile_positional(
    sa.update(runs)
    .where(runs.c.run_uuid == _bind("run_id"))
    .values(status=_bind("status"), end_time=_bind("end_time"), name=_bind("name")),
    ["name", "status", "end_time", "run_id"],  # SET follows the table's column order
)
RENAME_RUN = compile_positional(
    sa.update(runs).where(runs.c.run_uuid == _bind("run_id")).values(name=_bind("name")), ["name", "run_id"]
)
INSERT_TAGS = compile_positional(sa.insert(tags), _PAIR_COLUMNS)
UPSERT_TAGS = compile_positional(_upsert(tags, ["run_uuid", "key"], ["value"]), _PAIR_COLUMNS)
INSERT_PARAMS = compile_positional(sqlite.insert(params).on_conflict_do_nothing(), _PAIR_COLUMNS)
STORED_PARAMS = compile_positional(
    sa.select(params.c.key, params.c.value).where(params.c.run_uuid == _bind("run_uuid")), ["run_uuid"]
)
INSERT_METRICS = compile_positional(sqlite.insert(metrics).on_conflict_do_nothing(), METRIC_COLUMNS)
UPSERT_LATEST = compile_positional(latest_upsert_statement("sqlite"), METRIC_COLUMNS)
_STAGE = RUN_COLUMNS.index("lifecycle_stage")


# -- rows ----------------------------------------------------------------------------------------------------
def metric_rows(run_id: str, points: Sequence[Metric]) -> list[MetricRow]:
    """``metrics`` rows of ``points`` (see :func:`.convert.metric_row`), as tuples in column order."""
    isfinite = math.isfinite
    rows: list[MetricRow] = []
    append = rows.append
    for point in points:
        value = point.value
        if isfinite(value):
            append((run_id, point.key, int(point.step), int(point.timestamp), KIND_FINITE, float(value)))
        else:
            kind, stored = encode_value(value)
            append((run_id, point.key, int(point.step), int(point.timestamp), kind, stored))
    return rows


def latest_rows(rows: Sequence[MetricRow]) -> list[MetricRow]:
    """The latest row of each key: rows of one run and key compare as (step, timestamp, kind, value)."""
    best: dict[str, MetricRow] = {}
    for row in rows:
        current = best.get(row[1])
        if current is None or row > current:
            best[row[1]] = row
    return list(best.values())


# -- writes --------------------------------------------------------------------------------------------------
def log_batch(
    conn: sqlite3.Connection,
    run_id: str,
    rows: Sequence[MetricRow],
    param_values: Mapping[str, str],
    tag_values: Mapping[str, str],
) -> None:
    """``log_batch`` with values already checked and converted by the caller."""
    check_run(conn, run_id)
    if param_values:
        _insert_params(conn, run_id, param_values)
    if tag_values:
        conn.executemany(UPSERT_TAGS, [(run_id, key, value) for key, value in tag_values.items()])
        if writes.RUN_NAME_TAG in tag_values:
            conn.execute(RENAME_RUN, (tag_values[writes.RUN_NAME_TAG], run_id))
    if rows:
        conn.executemany(INSERT_METRICS, rows)  # the very same point twice is kept once
        conn.executemany(UPSERT_LATEST, latest_rows(rows))


def check_run(conn: sqlite3.Connection, run_id: str) -> None:
    """RunNotFound, or RunNotActive when the run is deleted."""
    found = conn.execute(RUN_STAGE, (run_id,)).fetchone()
    writes.check_run_stage(run_id, None if found is None else found[0])


def _insert_params(conn: sqlite3.Connection, run_id: str, values: Mapping[str, str]) -> None:
    """Insert new params; ParamOverwriteError (the caller rolls back) if a stored key holds another value."""
    new = [(run_id, key, value) for key, value in values.items()]
    if conn.executemany(INSERT_PARAMS, new).rowcount == len(new):
        return  # every key was new: the common case costs one statement
    stored = dict(conn.execute(STORED_PARAMS, (run_id,)).fetchall())
    for key in sorted(values):
        old = stored.get(key)
        if old is not None and old != values[key]:
            raise writes.param_conflict(run_id, key, old, values[key])


def create_run(
    conn: sqlite3.Connection,
    experiment_id: str,
    experiment_key: int,
    run_id: str,
    name: str,
    user_id: str,
    start_time: int,
    tag_values: Mapping[str, str],
) -> dict[str, Any]:
    """Insert a run and its tags into an active experiment; the new runs row."""
    found = conn.execute(EXPERIMENT, (experiment_key,)).fetchone()
    writes.check_experiment_stage(experiment_id, None if found is None else found[0], "create a run in")
    row = writes.new_run_row(run_id, experiment_key, found[1], name, user_id, start_time)
    conn.execute(INSERT_RUN, tuple(row[column] for column in RUN_COLUMNS))
    conn.executemany(INSERT_TAGS, [(run_id, key, value) for key, value in tag_values.items()])
    return row


def update_run_info(conn: sqlite3.Connection, run_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    """Apply ``changes`` (see :func:`.writes.run_info_changes`); the updated runs row."""
    found = conn.execute(RUN_ROW, (run_id,)).fetchone()
    writes.check_run_stage(run_id, None if found is None else found[_STAGE])
    row = dict(zip(RUN_COLUMNS, found, strict=True))
    if not changes:
        return row
    row.update(changes)
    conn.execute(UPDATE_RUN, (row["name"], row["status"], row["end_time"], run_id))
    if "name" in changes:
        conn.execute(UPSERT_TAGS, (run_id, writes.RUN_NAME_TAG, changes["name"]))
    return row
