"""Reads shaped for the web UI: compact run pages with a total, column discovery, downsampled histories.

MLflow's REST API answers whole runs (every param, metric and tag) and whole metric histories; a table of
100,000 runs or a chart of 1,000,000 points needs less: the visible columns of one page, and a few thousand
points that keep every spike (the minimum and the maximum of each bucket of steps).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from flowtrack.exceptions import RunNotFound
from flowtrack.tracking import system_tags
from flowtrack.tracking.filters import Comparison, OrderBy
from flowtrack.tracking.stores.sql import queries
from flowtrack.tracking.stores.sql.convert import decode_value
from flowtrack.tracking.stores.sql.loaders import IN_CHUNK
from flowtrack.tracking.stores.sql.tables import KIND_FINITE, latest_metrics, metrics, params, runs, tags

Json = dict[str, Any]


@dataclass(frozen=True)
class Columns:
    """The keys an experiment's runs use, each list sorted."""

    params: list[str]
    metrics: list[str]
    tags: list[str]


@dataclass(frozen=True)
class KeySelection:
    """Which keys of each kind a page carries; ``None`` means every key the page's runs have."""

    params: Sequence[str] | None = None
    metrics: Sequence[str] | None = None
    tags: Sequence[str] | None = None


@dataclass(frozen=True)
class Nesting:
    """Which level of the run tree a page shows: the top (``top_level_only``), the children of one run
    (``parent_run_id``), or, with neither, every run flat."""

    top_level_only: bool = False
    parent_run_id: str | None = None


FLAT = Nesting()


@dataclass(frozen=True)
class RunTablePage:
    total: int | None
    rows: list[Json]


@dataclass(frozen=True)
class Group:
    """Runs sharing a param value; ``metric`` is (lowest, mean, highest) of a metric over them, if any."""

    value: str | None
    count: int
    metric: tuple[float, float, float] | None


@dataclass(frozen=True)
class History:
    """One metric history, columnar; ``values`` holds ``None`` for NaN and infinities (a gap in a chart)."""

    run_id: str
    key: str
    total: int
    sampled: bool
    steps: list[int] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)
    values: list[float | None] = field(default_factory=list)


class UiReads:
    """The UI's queries on one tracking database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._dialect = engine.dialect.name

    # -- columns ---------------------------------------------------------------------------------------------
    def columns(self, experiment_keys: Sequence[int]) -> Columns:
        found: dict[str, list[str]] = {}
        with self._engine.connect() as conn:
            for name, table in (("params", params), ("metrics", latest_metrics), ("tags", tags)):
                stmt = (
                    sa.select(table.c.key)
                    .distinct()
                    .select_from(table.join(runs, runs.c.run_uuid == table.c.run_uuid))
                    .where(runs.c.experiment_id.in_(list(experiment_keys)))
                )
                found[name] = sorted(str(key) for key in conn.execute(stmt).scalars())
        return Columns(found["params"], found["metrics"], found["tags"])

    # -- the runs table --------------------------------------------------------------------------------------
    def run_table(
        self,
        experiment_keys: Sequence[int],
        stages: Sequence[str],
        filters: Sequence[Comparison],
        order_by: Sequence[OrderBy],
        offset: int,
        limit: int,
        keys: KeySelection,
        *,
        count: bool,
        nesting: Nesting = FLAT,
    ) -> RunTablePage:
        """One page and (with ``count``) the total; rows of a nested page carry ``child_count``.

        Three or four queries whatever the page size: the page, the total, the page's keys, and the
        children counts of a nested page.
        """
        stmt, values = queries.run_search(
            self._dialect,
            experiment_ids=experiment_keys,
            stages=stages,
            filters=filters,
            order_by=order_by,
            limit=limit,
            offset=offset,
        )
        if nesting.top_level_only:
            stmt = stmt.where(_top_level(stages))
        if nesting.parent_run_id is not None:
            stmt = stmt.where(_child_of(sa.bindparam("parent_run_id")))
            values = {**values, "parent_run_id": nesting.parent_run_id}
        nested = nesting.top_level_only or nesting.parent_run_id is not None
        with self._engine.connect() as conn:
            rows = conn.execute(stmt, values).mappings().all()
            total = None
            if count:
                counted = sa.select(sa.func.count()).select_from(
                    stmt.order_by(None).limit(None).offset(None).subquery()
                )
                total = int(conn.execute(counted, values).scalar_one())
            ids = [str(row["run_uuid"]) for row in rows]
            data = _run_data(conn, ids, keys)
            children = _child_counts(conn, ids, experiment_keys, stages) if nested else None
        page = [_row(row, data.get(str(row["run_uuid"]), {})) for row in rows]
        if children is not None:
            for row in page:
                row["child_count"] = children.get((row["run_id"], int(row["experiment_id"])), 0)
        return RunTablePage(total, page)

    def groups(
        self,
        experiment_keys: Sequence[int],
        stages: Sequence[str],
        filters: Sequence[Comparison],
        param: str,
        metric: str | None,
        limit: int,
    ) -> list[Group]:
        """The matching runs per value of ``param`` (``None``: runs without it), largest groups first, with
        the lowest, mean and highest finite value of ``metric`` in each group when one is named."""
        stmt, values = queries.run_search(
            self._dialect,
            experiment_ids=experiment_keys,
            stages=stages,
            filters=filters,
            order_by=(),
            limit=0,
            offset=0,
        )
        matching = stmt.order_by(None).limit(None).offset(None).with_only_columns(runs.c.run_uuid).subquery()
        on_param = sa.and_(params.c.run_uuid == matching.c.run_uuid, params.c.key == param)
        source = matching.outerjoin(params, on_param)
        scores = latest_metrics.c.value
        if metric is not None:
            on_metric = sa.and_(
                latest_metrics.c.run_uuid == matching.c.run_uuid,
                latest_metrics.c.key == metric,
                latest_metrics.c.kind == KIND_FINITE,
            )
            source = source.outerjoin(latest_metrics, on_metric)
        aggregates = [sa.func.min(scores), sa.func.avg(scores), sa.func.max(scores)] if metric else []
        grouped = (
            sa.select(params.c.value, sa.func.count(), *aggregates)
            .select_from(source)
            .group_by(params.c.value)
            .order_by(sa.func.count().desc(), params.c.value)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [_group(row) for row in conn.execute(grouped, values)]

    # -- metric histories ------------------------------------------------------------------------------------
    def histories(self, run_ids: Sequence[str], keys: Sequence[str], max_points: int) -> list[History]:
        """Every (run, key) pair's history, at most about ``max_points`` points each; missing runs raise."""
        with self._engine.connect() as conn:
            known = set(
                conn.execute(sa.select(runs.c.run_uuid).where(runs.c.run_uuid.in_(list(run_ids)))).scalars()
            )
            missing = [run_id for run_id in run_ids if run_id not in known]
            if missing:
                raise RunNotFound(f"no run with id {missing[0]!r}")
            return [self._history(conn, run_id, key, max_points) for run_id in run_ids for key in keys]

    def _history(self, conn: Connection, run_id: str, key: str, max_points: int) -> History:
        # Index seeks and a scan of at most max_points rows: a million points cost nothing before sampling.
        where = sa.and_(metrics.c.run_uuid == run_id, metrics.c.key == key)
        position = sa.select(metrics.c.step, metrics.c.timestamp).where(where).limit(1)
        first = conn.execute(position.order_by(metrics.c.step, metrics.c.timestamp)).first()
        if first is None:
            return History(run_id, key, 0, sampled=False)
        capped = sa.select(sa.literal(1)).where(where).limit(max_points + 1).subquery()
        if conn.execute(sa.select(sa.func.count()).select_from(capped)).scalar_one() <= max_points:
            rows = conn.execute(
                sa.select(metrics.c.step, metrics.c.timestamp, metrics.c.kind, metrics.c.value)
                .where(where)
                .order_by(metrics.c.step, metrics.c.timestamp, metrics.c.kind, metrics.c.value)
            ).all()
            return _columnar(run_id, key, len(rows), sampled=False, rows=rows)
        last = conn.execute(position.order_by(metrics.c.step.desc(), metrics.c.timestamp.desc())).one()
        # Bucket along the steps, or along time when every point has the same step.
        by_step = last.step > first.step
        x_low, x_high = (first.step, last.step) if by_step else (first.timestamp, last.timestamp)
        buckets = max(1, max_points // 2)
        width = max(1, math.ceil((int(x_high) - int(x_low) + 1) / buckets))
        if self._dialect == "sqlite":
            total, points = _sqlite_sampled(
                conn, run_id, key, by_step, int(first.step), int(x_low), int(x_high), width
            )
            return _columnar(run_id, key, total, sampled=True, rows=points)
        total = conn.execute(sa.select(sa.func.count()).where(where)).scalar_one()
        mysql = self._dialect in ("mysql", "mariadb")
        sql = _SAMPLED_SQL.format(
            x="step" if by_step else "timestamp",
            divide="DIV" if mysql else "/",
            key="`key`" if mysql else '"key"',
        )
        rows = conn.execute(
            sa.text(sql),
            {"run": run_id, "key": key, "low": int(x_low), "width": width, "finite": KIND_FINITE},
        ).all()
        return _columnar(run_id, key, int(total), sampled=True, rows=rows)


# The lowest and the highest finite point of each bucket, in step order. Non-finite points are left out of a
# sampled history: at that density a gap would be invisible anyway.
_SAMPLED_SQL = """
SELECT step, timestamp, kind, value FROM (
  SELECT step, timestamp, kind, value,
    ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY value ASC, step ASC, timestamp ASC) AS low_rank,
    ROW_NUMBER() OVER (PARTITION BY bucket ORDER BY value DESC, step ASC, timestamp ASC) AS high_rank
  FROM (
    SELECT step, timestamp, kind, value, ({x} - :low) {divide} :width AS bucket
    FROM metrics WHERE run_uuid = :run AND {key} = :key AND kind = :finite
  ) AS bucketed
) AS ranked
WHERE low_rank = 1 OR high_rank = 1
ORDER BY step, timestamp, value
"""


# SQLite: one range seek per bucket along the primary key (run, key, step, timestamp), and its bare-column
# rule (the other columns come from the row holding the min or max): no sort of the whole history, which makes
# a million points several times faster than the window query above. Each subquery answers
# "<points in the bucket> <step> <timestamp> <value or null>" (null: no finite point in the bucket).
_SQLITE_EXTREME = """(SELECT count(*) || ' ' || step || ' ' || timestamp || ' ' ||
     CASE WHEN {f}(CASE WHEN kind = 0 THEN value END) IS NULL THEN 'null'
     ELSE printf('%!.17g', {f}(CASE WHEN kind = 0 THEN value END)) END
   FROM metrics WHERE run_uuid = :run AND key = :key AND {{range}})"""
_SQLITE_SAMPLED = f"""
WITH RECURSIVE buckets(low) AS (
  SELECT :low UNION ALL SELECT low + :width FROM buckets WHERE low + :width <= :high
)
SELECT {_SQLITE_EXTREME.format(f="min")}, {_SQLITE_EXTREME.format(f="max")} FROM buckets
"""
_STEP_RANGE = "step >= buckets.low AND step < buckets.low + :width"
_TIME_RANGE = "step = :step AND timestamp >= buckets.low AND timestamp < buckets.low + :width"
Point = tuple[int, int, int, float]


def _sqlite_sampled(
    conn: Connection, run_id: str, key: str, by_step: bool, step: int, low: int, high: int, width: int
) -> tuple[int, list[Point]]:
    """The total number of points, and the lowest and highest finite point of each bucket."""
    sql = _SQLITE_SAMPLED.format(range=_STEP_RANGE if by_step else _TIME_RANGE)
    bound = {"run": run_id, "key": key, "low": low, "high": high, "width": width, "step": step}
    total = 0
    points: list[Point] = []
    for lowest, highest in conn.execute(sa.text(sql), bound):
        if lowest is None:  # an empty bucket: its step and timestamp are NULL, and so is the text
            continue
        count, *_ = lowest.split(" ", 1)
        total += int(count)
        points.extend(sorted({point for point in (_point(lowest), _point(highest)) if point is not None}))
    return total, points


def _point(text: str) -> Point | None:
    _, step, timestamp, value = text.split(" ")
    return None if value == "null" else (int(step), int(timestamp), KIND_FINITE, float(value))


def _group(row: Sequence[Any]) -> Group:
    value, count, *scores = row
    stats = (
        None if not scores or scores[0] is None else (float(scores[0]), float(scores[1]), float(scores[2]))
    )
    return Group(None if value is None else str(value), int(count), stats)


def _columnar(run_id: str, key: str, total: int, *, sampled: bool, rows: Sequence[Any]) -> History:
    history = History(run_id, key, total, sampled)
    for step, timestamp, kind, value in rows:
        history.steps.append(int(step))
        history.timestamps.append(int(timestamp))
        number = decode_value(int(kind), float(value))
        history.values.append(number if math.isfinite(number) else None)
    return history


def _row(row: Mapping[Any, Any], data: Mapping[str, Json]) -> Json:
    return {
        "run_id": row["run_uuid"],
        "run_name": row["name"],
        "experiment_id": str(row["experiment_id"]),
        "user_id": row["user_id"],
        "status": row["status"],
        "start_time": row["start_time"],
        "end_time": row["end_time"],
        "lifecycle_stage": row["lifecycle_stage"],
        "params": data.get("params", {}),
        "metrics": data.get("metrics", {}),
        "tags": data.get("tags", {}),
    }


def _child_of(parent_id: Any) -> sa.ColumnElement[bool]:
    """The run is tagged as a child of ``parent_id`` (a column or a bound value)."""
    tag = tags.alias("parent_tag")
    return sa.exists(
        sa.select(1).where(
            tag.c.run_uuid == runs.c.run_uuid,
            tag.c.key == system_tags.PARENT_RUN_ID,
            tag.c.value == parent_id,
        )
    )


def _top_level(stages: Sequence[str]) -> sa.ColumnElement[bool]:
    """No parent among the runs of the run's experiment in this lifecycle view.

    A child whose parent is elsewhere (another experiment, deleted, never logged) stays reachable: it shows
    at the top, as MLflow's table shows it, instead of vanishing under a parent the table cannot show.
    """
    tag = tags.alias("parent_tag")
    parent = runs.alias("parent_run")
    return ~sa.exists(
        sa.select(1)
        .select_from(tag.join(parent, parent.c.run_uuid == tag.c.value))
        .where(
            tag.c.run_uuid == runs.c.run_uuid,
            tag.c.key == system_tags.PARENT_RUN_ID,
            parent.c.experiment_id == runs.c.experiment_id,
            parent.c.lifecycle_stage.in_(list(stages)),
        )
    )


def _child_counts(
    conn: Connection, run_ids: list[str], experiment_keys: Sequence[int], stages: Sequence[str]
) -> dict[tuple[str, int], int]:
    """``{(parent id, experiment): children}`` of the runs of one page, in one query per IN chunk."""
    counts: dict[tuple[str, int], int] = {}
    tag = tags.alias("parent_tag")
    for start in range(0, len(run_ids), IN_CHUNK):
        stmt = (
            sa.select(tag.c.value, runs.c.experiment_id, sa.func.count())
            .select_from(runs.join(tag, tag.c.run_uuid == runs.c.run_uuid))
            .where(
                tag.c.key == system_tags.PARENT_RUN_ID,
                tag.c.value.in_(run_ids[start : start + IN_CHUNK]),
                runs.c.experiment_id.in_(list(experiment_keys)),
                runs.c.lifecycle_stage.in_(list(stages)),
            )
            .group_by(tag.c.value, runs.c.experiment_id)
        )
        for parent_id, experiment, found in conn.execute(stmt):
            counts[(str(parent_id), int(experiment))] = int(found)
    return counts


def _run_data(conn: Connection, run_ids: list[str], keys: KeySelection) -> dict[str, dict[str, Json]]:
    """``{run_id: {"params": {...}, "metrics": {...}, "tags": {...}}}`` for the selected keys."""
    data: dict[str, dict[str, Json]] = {}
    for start in range(0, len(run_ids), IN_CHUNK):
        chunk = run_ids[start : start + IN_CHUNK]
        for name, table, selected in (
            ("params", params, keys.params),
            ("tags", tags, keys.tags),
            ("metrics", latest_metrics, keys.metrics),
        ):
            if selected is not None and not selected:
                continue
            is_metric = table is latest_metrics
            columns = [table.c.run_uuid, table.c.key, table.c.value]
            if is_metric:
                columns.append(table.c.kind)
            stmt = sa.select(*columns).where(table.c.run_uuid.in_(chunk))
            if selected is not None:
                stmt = stmt.where(table.c.key.in_(list(selected)))
            for row in conn.execute(stmt):
                value: Any = _metric_json(int(row[3]), float(row[2])) if is_metric else row[2]
                data.setdefault(str(row[0]), {}).setdefault(name, {})[str(row[1])] = value
    return data


def _metric_json(kind: int, value: float) -> float | str:
    number = decode_value(kind, value)
    if math.isnan(number):
        return "NaN"
    if math.isinf(number):
        return "Infinity" if number > 0 else "-Infinity"
    return number
