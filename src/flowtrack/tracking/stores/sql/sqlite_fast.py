"""The embedded hot path: the store's frequent calls on SQLite straight on the driver.

SQLAlchemy's per-execute overhead is several times the cost of the SQLite work itself, so on SQLite these
calls use one ``sqlite3`` connection per thread (same pragmas as the engine's pool, see
``flowtrack.db.engine``) and SQL compiled once from the Core statements: ``log_metric``, ``log_param``,
``set_tag``, ``log_batch``, ``create_run``, ``update_run_info``, ``get_run``, ``search_runs`` and
``get_metric_history``. Everything else stays on the general path, which works on every database.

Writes are one ``BEGIN IMMEDIATE`` ... ``COMMIT`` each; reads of several statements run in one (deferred)
read transaction, so they see one snapshot. The single-value calls take a shortcut::

    BEGIN IMMEDIATE
    INSERT ... SELECT :values WHERE EXISTS (active run) ON CONFLICT DO NOTHING  -- 0 rows: inactive (or dup)
    INSERT INTO latest_metrics ... ON CONFLICT DO UPDATE ... WHERE later         -- metrics only
    COMMIT

and return False when nothing was written because the run is missing or not active (or, for params, the key
exists); the store then works out which error to raise. Nothing else is ever written in that case. The other
calls check first and raise the store's errors themselves (:mod:`.sqlite_writes`, :mod:`.sqlite_reads`).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import sqlite
from sqlalchemy.engine import URL

from flowtrack.db.engine import sqlite_connect, sqlite_path, unavailable_message
from flowtrack.exceptions import StoreUnavailable
from flowtrack.tracking.entities import LifecycleStage, Metric, Param, Run, RunTag
from flowtrack.tracking.stores.sql import sqlite_reads, sqlite_writes
from flowtrack.tracking.stores.sql.convert import metric_row
from flowtrack.tracking.stores.sql.dml import latest_upsert_statement
from flowtrack.tracking.stores.sql.tables import metrics, params, runs, tags

_DIALECT = sqlite.dialect(paramstyle="named")
# Page cache of each fast-path connection (SQLite's default is 2 MiB): a 100k-point history is about 7 MiB,
# and re-reading it from the OS page cache costs more than the SQL. Pages are only allocated as they are read.
CACHE_SIZE_KIB = 32 * 1024
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


class SqliteFastPath:
    """Per-thread driver connections to one SQLite file, for the store's frequent calls."""

    def __init__(self, url: URL) -> None:
        self._url = url
        self._path = sqlite_path(url)
        self._local = threading.local()
        self._all: weakref.WeakSet[_Holder] = weakref.WeakSet()
        self._lock = threading.Lock()
        try:
            self.loads_runs = sqlite_reads.supports_json(self._connection())
        except sqlite3.OperationalError as exc:
            raise self._unavailable(exc) from exc

    def _connection(self) -> sqlite3.Connection:
        holder: _Holder | None = getattr(self._local, "holder", None)
        if holder is None or holder.pid != os.getpid():
            if holder is not None:
                _inherited.append(holder)
            conn = sqlite_connect(self._path)
            conn.execute(f"PRAGMA cache_size=-{CACHE_SIZE_KIB}")
            holder = _Holder(conn)
            self._local.holder = holder
            with self._lock:
                self._all.add(holder)
        return holder.conn

    @contextmanager
    def _transaction(self, begin: str) -> Iterator[sqlite3.Connection]:
        """One transaction on this thread's connection: committed, or rolled back on any error."""
        try:
            conn = self._connection()
            conn.execute(begin)  # BEGIN IMMEDIATE waits up to the busy timeout for other writers
        except sqlite3.OperationalError as exc:
            raise self._unavailable(exc) from exc
        try:
            yield conn
            conn.execute("COMMIT")
        except BaseException as exc:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            if isinstance(exc, sqlite3.OperationalError):
                raise self._unavailable(exc) from exc
            raise

    def _write(self, sql: str, values: Mapping[str, Any], follow_up: str | None = None) -> bool:
        # The same steps as _transaction, spelled out: this is the per-call hot path of log_metric, log_param
        # and set_tag, and the generator-based context manager costs more than the statements' Python side.
        try:
            conn = self._connection()
            conn.execute("BEGIN IMMEDIATE")
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

    # -- single values: False when nothing was written -------------------------------------------------------
    def log_metric(self, run_id: str, metric: Metric) -> bool:
        """False when nothing was written: the run is not active, or this exact point was logged before."""
        return self._write(INSERT_METRIC, metric_row(run_id, metric), UPSERT_LATEST)

    def log_param(self, run_id: str, param: Param) -> bool:
        """False when nothing was written: the run is not active, or the key has a value already."""
        return self._write(INSERT_PARAM, {"run_uuid": run_id, "key": param.key, "value": param.value})

    def set_tag(self, run_id: str, tag: RunTag) -> bool:
        """False when the run is not active."""
        return self._write(UPSERT_TAG, {"run_uuid": run_id, "key": tag.key, "value": tag.value})

    # -- run writes: raise the store's errors ----------------------------------------------------------------
    def log_batch(
        self,
        run_id: str,
        points: Sequence[Metric],
        param_values: Mapping[str, str],
        tag_values: Mapping[str, str],
    ) -> None:
        rows = sqlite_writes.metric_rows(run_id, points)
        with self._transaction("BEGIN IMMEDIATE") as conn:
            sqlite_writes.log_batch(conn, run_id, rows, param_values, tag_values)

    def create_run(
        self,
        experiment_id: str,
        experiment_key: int,
        run_id: str,
        name: str,
        user_id: str,
        start_time: int,
        tag_values: Mapping[str, str],
    ) -> dict[str, Any]:
        with self._transaction("BEGIN IMMEDIATE") as conn:
            return sqlite_writes.create_run(
                conn, experiment_id, experiment_key, run_id, name, user_id, start_time, tag_values
            )

    def update_run_info(self, run_id: str, changes: Mapping[str, Any]) -> dict[str, Any]:
        with self._transaction("BEGIN IMMEDIATE") as conn:
            return sqlite_writes.update_run_info(conn, run_id, changes)

    # -- reads -----------------------------------------------------------------------------------------------
    def get_run(self, run_id: str) -> Run | None:
        with self._transaction("BEGIN") as conn:
            return sqlite_reads.get_run(conn, run_id)

    def search_runs(
        self, stmt: sa.Select[Any], values: Mapping[str, Any], max_results: int
    ) -> tuple[list[Run], bool]:
        """One page of runs, and whether there are more (``values`` ask for one row beyond the page)."""
        with self._transaction("BEGIN") as conn:
            rows = sqlite_reads.search_page(conn, stmt, values)
            page = sqlite_reads.load_runs(conn, rows[:max_results])
        return page, len(rows) > max_results

    def metric_history(
        self, run_id: str, key: str, after: Sequence[Any] | None, limit: int | None
    ) -> list[Metric] | None:
        """Points of one metric in history order after the ``after`` position; None if the run is missing."""
        with self._transaction("BEGIN") as conn:
            return sqlite_reads.metric_history(conn, run_id, key, after, limit)

    def read(self, sql: str, values: Sequence[Any]) -> list[Any]:
        """The rows of one read-only statement (``?`` placeholders), in a transaction of its own."""
        with self._transaction("BEGIN") as conn:
            return conn.execute(sql, values).fetchall()

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
