"""The embedded hot path: ``log_metric``, ``log_param`` and ``set_tag`` on SQLite straight on the driver.

SQLAlchemy's per-execute overhead is several times the cost of the SQLite work itself, so these three calls
use one ``sqlite3`` connection per thread (same pragmas as the engine's pool, see ``flowtrack.db.engine``)
and SQL compiled once from the Core statements. Each call is one transaction::

    BEGIN IMMEDIATE
    INSERT ... SELECT :values WHERE EXISTS (active run) ON CONFLICT DO NOTHING  -- 0 rows: inactive (or dup)
    INSERT INTO latest_metrics ... ON CONFLICT DO UPDATE ... WHERE later         -- metrics only
    COMMIT

A method returns False when nothing was written because the run is missing or not active (or, for params, the
key exists); the store then works out which error to raise. Nothing else is ever written in that case.
"""

from __future__ import annotations

import math
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import URL

from flowtrack.db.engine import sqlite_connect, sqlite_path, unavailable_message
from flowtrack.exceptions import StoreUnavailable
from flowtrack.tracking.entities import LifecycleStage, Metric, Param, RunTag
from flowtrack.tracking.stores.sql.convert import metric_row
from flowtrack.tracking.stores.sql.dml import latest_upsert_statement
from flowtrack.tracking.stores.sql.tables import metrics, params, runs, tags

_DIALECT = sqlite.dialect(paramstyle="named")
# Connections inherited through fork() belong to the parent: never use or close them in the child.
_inherited: list[object] = []


def _active_run() -> sa.Exists:
    return sa.exists(
        sa.select(1).where(
            runs.c.run_uuid == sa.bindparam("run_uuid"),
            runs.c.lifecycle_stage == sa.literal_column(f"'{LifecycleStage.ACTIVE.value}'"),
        )
    )


def _insert_if_active(table: sa.Table, columns: tuple[str, ...], *, on_conflict: str = "nothing") -> str:
    binds: list[Any] = [sa.bindparam(name) for name in columns]
    values = sa.select(*binds).where(_active_run())
    stmt = sqlite.insert(table).from_select(list(columns), values)
    if on_conflict == "nothing":
        stmt = stmt.on_conflict_do_nothing()
    else:
        stmt = stmt.on_conflict_do_update(
            index_elements=["run_uuid", "key"], set_={"value": stmt.excluded.value}
        )
    return _compile(stmt)


def _compile(stmt: sa.ClauseElement) -> str:
    return str(stmt.compile(dialect=_DIALECT))


_METRIC_COLUMNS = ("run_uuid", "key", "step", "timestamp", "kind", "value")
INSERT_METRIC = _insert_if_active(metrics, _METRIC_COLUMNS)
UPSERT_LATEST = _compile(latest_upsert_statement("sqlite"))
INSERT_PARAM = _insert_if_active(params, ("run_uuid", "key", "value"))
UPSERT_TAG = _insert_if_active(tags, ("run_uuid", "key", "value"), on_conflict="update")
RUN_EXISTS = "SELECT 1 FROM runs WHERE run_uuid = ?"
# The value is decoded in SQL (9e999 is +inf to SQLite; NaN comes back as NULL, SQLite has no NaN). The key is
# not selected: it is the same on every row, and 100k copies of it cost more than the rest of the row.
HISTORY = (
    "SELECT CASE kind WHEN 0 THEN value WHEN 1 THEN 9e999 WHEN -1 THEN -9e999 END, timestamp, step "
    "FROM metrics WHERE run_uuid = ? AND key = ? {after}"
    "ORDER BY step, timestamp, kind, metrics.value LIMIT ?"
)
HISTORY_FIRST = HISTORY.format(after="")
HISTORY_AFTER = HISTORY.format(after="AND (step, timestamp, kind, metrics.value) > (?, ?, ?, ?) ")


class SqliteFastPath:
    """Per-thread driver connections to one SQLite file, for the single-value logging calls."""

    def __init__(self, url: URL) -> None:
        self._url = url
        self._path = sqlite_path(url)
        self._local = threading.local()
        self._all: weakref.WeakSet[_Holder] = weakref.WeakSet()
        self._lock = threading.Lock()

    def _connection(self) -> sqlite3.Connection:
        holder: _Holder | None = getattr(self._local, "holder", None)
        if holder is None or holder.pid != os.getpid():
            if holder is not None:
                _inherited.append(holder)
            holder = _Holder(sqlite_connect(self._path))
            self._local.holder = holder
            with self._lock:
                self._all.add(holder)
        return holder.conn

    def _write(self, sql: str, values: Mapping[str, Any], follow_up: str | None = None) -> bool:
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")  # waits up to the busy timeout for other writers
        except sqlite3.OperationalError as exc:
            raise self._unavailable(exc) from exc
        try:
            written = conn.execute(sql, values).rowcount > 0
            if written and follow_up is not None:
                conn.execute(follow_up, values)
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):
                raise self._unavailable(exc) from exc
            raise
        return written

    def _unavailable(self, exc: sqlite3.OperationalError) -> StoreUnavailable:
        return StoreUnavailable(unavailable_message(self._url, exc, "use"))

    def log_metric(self, run_id: str, metric: Metric) -> bool:
        """False when nothing was written: the run is not active, or this exact point was logged before."""
        return self._write(INSERT_METRIC, metric_row(run_id, metric), UPSERT_LATEST)

    def log_param(self, run_id: str, param: Param) -> bool:
        """False when nothing was written: the run is not active, or the key has a value already."""
        return self._write(INSERT_PARAM, {"run_uuid": run_id, "key": param.key, "value": param.value})

    def set_tag(self, run_id: str, tag: RunTag) -> bool:
        """False when the run is not active."""
        return self._write(UPSERT_TAG, {"run_uuid": run_id, "key": tag.key, "value": tag.value})

    def metric_history(
        self, run_id: str, key: str, after: Sequence[Any] | None, limit: int | None
    ) -> list[Metric] | None:
        """Points of one metric in history order after the ``after`` position; None if the run is missing."""
        bounds = (-1 if limit is None else limit,)
        try:
            conn = self._connection()
            if conn.execute(RUN_EXISTS, (run_id,)).fetchone() is None:
                return None
            if after is None:
                cursor = conn.execute(HISTORY_FIRST, (run_id, key, *bounds))
            else:
                cursor = conn.execute(HISTORY_AFTER, (run_id, key, *after, *bounds))
            points = [Metric(key, value, timestamp, step) for value, timestamp, step in cursor]
        except sqlite3.OperationalError as exc:
            raise self._unavailable(exc) from exc
        if any(point.value is None for point in points):
            points = [_with_nan(point) for point in points]
        return points

    def close(self) -> None:
        with self._lock:
            holders = list(self._all)
            self._all = weakref.WeakSet()
        for holder in holders:
            if holder.pid == os.getpid():
                holder.conn.close()
            else:
                _inherited.append(holder)
        self._local = threading.local()


def _with_nan(point: Metric) -> Metric:
    if point.value is not None:
        return point
    return Metric(point.key, math.nan, point.timestamp, point.step)


class _Holder:
    """A thread's connection and the process that opened it (a forked child must open its own)."""

    __slots__ = ("__weakref__", "conn", "pid")

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.pid = os.getpid()

    def __del__(self, getpid: Callable[[], int] = os.getpid) -> None:
        # getpid is bound at definition time: at interpreter exit the os module may already be torn down.
        if self.pid == getpid():
            self.conn.close()
