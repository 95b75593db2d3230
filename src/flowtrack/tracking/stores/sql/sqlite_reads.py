"""Run reads on SQLite straight on the driver: full runs (``get_run``, ``search_runs``) and metric histories.

A page of runs costs two queries plus one for dataset inputs, whatever its size. The run ids travel as one
JSON array (``json_each``), so there is no IN list to chunk, and each row carries the run's position in the
page, a small integer, instead of its 32-character id:

* params and tags come back as one JSON document built by SQLite: ``[[position, {params}, {tags}], ...]``;
  one ``json.loads`` turns it into dicts several times faster than Python could group rows. Both are strings,
  so JSON carries them exactly.
* latest metrics come back as rows, ``(position, key, kind, value, timestamp, step)``: SQLite writes floats
  into JSON with 15 significant digits, which would round values.

The search query itself is built and cached by :mod:`.queries`; its compiled form is cached here, and each
call only expands the list parameters (``IN``) before handing SQL and values to the driver.

Everything here needs SQLite's JSON functions (built in since 3.38, and in nearly every build before);
:func:`supports_json` tells, and the store uses its general path without them.
"""

from __future__ import annotations

import functools
import gc
import json
import math
import sqlite3
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import partial
from itertools import starmap
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.compiler import SQLCompiler

from flowtrack.tracking.entities import (
    LifecycleStage,
    Metric,
    Run,
    RunData,
    RunInfo,
    RunInputs,
    RunStatus,
)
from flowtrack.tracking.stores.sql.convert import decode_value, group_inputs
from flowtrack.tracking.stores.sql.sqlite_writes import QMARK, RUN_COLUMNS, RUN_ROW, compile_positional
from flowtrack.tracking.stores.sql.tables import (
    KIND_FINITE,
    datasets,
    input_tags,
    inputs,
    latest_metrics,
    params,
    runs,
    tags,
)

Row = Sequence[Any]

_page = sa.func.json_each(sa.bindparam("ids")).table_valued("key", "value").alias("page")
_position, _page_run = _page.c["key"], _page.c["value"]


def _json_object(table: sa.Table) -> sa.ScalarSelect[Any]:
    return (
        sa.select(sa.func.json_group_object(table.c.key, table.c.value))
        .where(table.c.run_uuid == _page_run)
        .scalar_subquery()
    )


PARAMS_AND_TAGS = compile_positional(
    sa.select(
        sa.func.json_group_array(sa.func.json_array(_position, _json_object(params), _json_object(tags)))
    ).select_from(_page),
    ["ids"],
)
LATEST = compile_positional(
    sa.select(
        _position,
        latest_metrics.c.key,
        latest_metrics.c.kind,
        latest_metrics.c.value,
        latest_metrics.c.timestamp,
        latest_metrics.c.step,
    ).select_from(_page.join(latest_metrics, latest_metrics.c.run_uuid == _page_run)),
    ["ids"],
)
INPUT_COLUMNS = ("dataset_uuid", "name", "digest", "source_type", "source", "schema", "profile")
INPUTS = compile_positional(
    sa.select(
        _position,
        inputs.c.dataset_uuid,
        *(datasets.c[name] for name in INPUT_COLUMNS[1:]),
        input_tags.c.key,
        input_tags.c.value,
    )
    .select_from(
        _page.join(inputs, inputs.c.run_uuid == _page_run)
        .join(datasets, datasets.c.dataset_uuid == inputs.c.dataset_uuid)
        .outerjoin(
            input_tags,
            sa.and_(
                input_tags.c.run_uuid == inputs.c.run_uuid, input_tags.c.dataset_uuid == inputs.c.dataset_uuid
            ),
        )
    )
    .order_by(_position, inputs.c.position, input_tags.c.key),
    ["ids"],
)
RUN_EXISTS = compile_positional(
    sa.select(runs.c.run_uuid).where(runs.c.run_uuid == sa.bindparam("run_uuid")), ["run_uuid"]
)
# The value is decoded in SQL (9e999 is +inf to SQLite; NaN comes back as NULL, SQLite has no NaN). The key is
# not selected: it is the same on every row, and 100k copies of it cost more than the rest of the row.
HISTORY = (
    "SELECT CASE kind WHEN 0 THEN value WHEN 1 THEN 9e999 WHEN -1 THEN -9e999 END, timestamp, step "
    "FROM metrics WHERE run_uuid = ? AND key = ? {after}"
    "ORDER BY step, timestamp, kind, metrics.value LIMIT ?"
)
HISTORY_FIRST = HISTORY.format(after="")
HISTORY_AFTER = HISTORY.format(after="AND (step, timestamp, kind, metrics.value) > (?, ?, ?, ?) ")

_STATUS = {status.value: status for status in RunStatus}
_STAGE = {stage.value: stage for stage in LifecycleStage}
_NO_INPUTS = RunInputs()
(_ID, _EXPERIMENT, _NAME, _USER, _STATUS_AT, _START, _END, _STAGE_AT, _URI) = (
    RUN_COLUMNS.index(name)
    for name in (
        "run_uuid",
        "experiment_id",
        "name",
        "user_id",
        "status",
        "start_time",
        "end_time",
        "lifecycle_stage",
        "artifact_uri",
    )
)


def supports_json(conn: sqlite3.Connection) -> bool:
    """Whether this SQLite has the JSON functions the loaders use."""
    try:
        conn.execute("SELECT json_group_object(key, value) FROM json_each('[1]')").fetchone()
    except sqlite3.OperationalError:
        return False
    return True


# -- runs ----------------------------------------------------------------------------------------------------
def run_info(row: Row) -> RunInfo:
    """RunInfo of a runs row (columns in table order)."""
    status, stage = row[_STATUS_AT], row[_STAGE_AT]
    return RunInfo(
        run_id=row[_ID],
        experiment_id=str(row[_EXPERIMENT]),
        run_name=row[_NAME],
        user_id=row[_USER],
        status=_STATUS.get(status) or RunStatus(status),
        start_time=row[_START],
        end_time=row[_END],
        artifact_uri=row[_URI],
        lifecycle_stage=_STAGE.get(stage) or LifecycleStage(stage),
    )


def get_run(conn: sqlite3.Connection, run_id: str) -> Run | None:
    row = conn.execute(RUN_ROW, (run_id,)).fetchone()
    return None if row is None else load_runs(conn, [row])[0]


def load_runs(conn: sqlite3.Connection, run_rows: Sequence[Row]) -> list[Run]:
    """Full runs (latest metrics, params, tags, inputs) for runs rows, in their order."""
    if not run_rows:
        return []
    page = (json.dumps([row[_ID] for row in run_rows]),)
    count = len(run_rows)
    metrics: list[dict[str, Metric]] = [{} for _ in range(count)]
    for position, key, kind, value, timestamp, step in conn.execute(LATEST, page):
        number = value if kind == KIND_FINITE else decode_value(kind, value)
        metrics[position][key] = Metric(key, number, timestamp, step)
    params_of: list[dict[str, str]] = [{} for _ in range(count)]
    tags_of: list[dict[str, str]] = [{} for _ in range(count)]
    for position, run_params, run_tags in json.loads(conn.execute(PARAMS_AND_TAGS, page).fetchone()[0]):
        params_of[position] = run_params
        tags_of[position] = run_tags
    found = _inputs(conn, page, run_rows)
    return [
        Run(
            info=run_info(row),
            data=RunData(latest_metrics=metrics[index], params=params_of[index], tags=tags_of[index]),
            inputs=found.get(row[_ID], _NO_INPUTS),
        )
        for index, row in enumerate(run_rows)
    ]


def _inputs(conn: sqlite3.Connection, page: tuple[str], run_rows: Sequence[Row]) -> dict[str, RunInputs]:
    rows = conn.execute(INPUTS, page).fetchall()
    if not rows:
        return {}
    columns = ("run_uuid", *INPUT_COLUMNS, "tag_key", "tag_value")
    return group_inputs(dict(zip(columns, (run_rows[row[0]][_ID], *row[1:]), strict=True)) for row in rows)


@functools.lru_cache(maxsize=512)
def _compiled(stmt: sa.Select[Any]) -> SQLCompiler:
    # keyed by identity: queries.run_search returns the same statement object for the same shape
    return stmt.compile(dialect=QMARK)


def search_page(conn: sqlite3.Connection, stmt: sa.Select[Any], values: Mapping[str, Any]) -> list[Row]:
    """Rows of the runs table for a statement and values from :func:`.queries.run_search`."""
    expanded = _compiled(stmt).construct_expanded_state(dict(values))
    return conn.execute(expanded.statement, expanded.positional_parameters).fetchall()


# -- metric history ------------------------------------------------------------------------------------------
def metric_history(
    conn: sqlite3.Connection, run_id: str, key: str, after: Sequence[Any] | None, limit: int | None
) -> list[Metric] | None:
    """Points of one metric in history order after the ``after`` position; None if the run is missing."""
    if conn.execute(RUN_EXISTS, (run_id,)).fetchone() is None:
        return None
    bounds = (-1 if limit is None else limit,)
    if after is None:
        cursor = conn.execute(HISTORY_FIRST, (run_id, key, *bounds))
    else:
        cursor = conn.execute(HISTORY_AFTER, (run_id, key, *after, *bounds))
    with gc_paused():
        # starmap calls Metric from C for each row: faster than a comprehension unpacking each tuple
        points = list(starmap(partial(Metric, key), cursor))
    if any(point.value is None for point in points):
        for point in points:
            if point.value is None:
                point.value = math.nan
    return points


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many objects that form no cycles.

    Every new Metric is tracked by the collector, and 100,000 of them set off collections that walk all live
    objects again and again: a fifth of the time of a long history read. Collection resumes afterwards.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
