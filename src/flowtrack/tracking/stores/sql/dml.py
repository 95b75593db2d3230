"""Write statements that differ per database: insert-or-ignore, upserts, and the latest-metric rule.

Each function takes an open connection inside a write transaction; the caller has already checked that the run
exists and is active.
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from flowtrack.db.dml import dialect_insert
from flowtrack.tracking.stores.sql.convert import metric_order_key
from flowtrack.tracking.stores.sql.tables import latest_metrics, runs

T = TypeVar("T")
CHUNK_ROWS = 500  # values per IN list: well under every driver's bound-parameter limit
_LATEST_VALUES = ("step", "timestamp", "kind", "value")

Rows = Sequence[Mapping[Any, Any]]


def chunks(rows: Sequence[T], size: int = CHUNK_ROWS) -> Iterator[Sequence[T]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def insert(conn: Connection, table: sa.Table, rows: Rows) -> None:
    """Insert rows (all with the same columns)."""
    execute_many(conn, "insert", table, rows)


def insert_ignore(conn: Connection, table: sa.Table, rows: Rows) -> None:
    """Insert rows, skipping any whose primary key exists already."""
    execute_many(conn, "ignore", table, rows)


def upsert(conn: Connection, table: sa.Table, keys: Sequence[str], rows: Rows, update: Sequence[str]) -> None:
    """Insert rows, or overwrite the ``update`` columns of the row with the same ``keys``."""
    execute_many(conn, "upsert", table, rows, keys=tuple(keys), update=tuple(update))


def execute_many(
    conn: Connection,
    kind: str,
    table: sa.Table,
    rows: Rows,
    *,
    keys: tuple[str, ...] = (),
    update: tuple[str, ...] = (),
) -> None:
    """Run an INSERT variant for many rows as one driver ``executemany``.

    SQLite steps one prepared statement, psycopg pipelines, PyMySQL sends multi-row INSERTs; SQLAlchemy's
    per-row parameter processing (half the time of a 1,000-metric batch) is skipped.
    """
    if not rows:
        return
    columns = tuple(rows[0])
    sql, order = _driver_sql(kind, table, conn.dialect, columns, keys=keys, update=update)
    if order is None:
        conn.exec_driver_sql(sql, [dict(row) for row in rows])
    else:
        conn.exec_driver_sql(sql, [tuple(row[name] for name in order) for row in rows])


@functools.lru_cache(maxsize=256)
def _driver_sql(
    kind: str,
    table: sa.Table,
    dialect: Dialect,
    columns: tuple[str, ...],
    *,
    keys: tuple[str, ...],
    update: tuple[str, ...],
) -> tuple[str, tuple[str, ...] | None]:
    """The statement compiled for the driver, and the parameter order if the driver's style is positional."""
    stmt = dialect_insert(table, dialect.name)
    if kind == "insert":
        pass
    elif kind == "latest":
        stmt = latest_upsert_statement(dialect.name)
    elif kind == "ignore":
        stmt = stmt.prefix_with("IGNORE") if dialect.name == "mysql" else stmt.on_conflict_do_nothing()
    elif dialect.name == "mysql":
        stmt = stmt.on_duplicate_key_update({name: stmt.inserted[name] for name in update})
    else:
        stmt = stmt.on_conflict_do_update(
            index_elements=list(keys), set_={name: stmt.excluded[name] for name in update}
        )
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    return str(compiled), order


def latest_per_key(rows: Rows) -> list[Mapping[Any, Any]]:
    """The latest point of each key among ``rows`` (greatest step, then timestamp, then value)."""
    best: dict[str, Mapping[Any, Any]] = {}
    for row in rows:
        current = best.get(row["key"])
        if current is None or metric_order_key(row) > metric_order_key(current):
            best[row["key"]] = row
    return list(best.values())


def latest_upsert_statement(dialect: str) -> Any:
    """SQLite/PostgreSQL: one statement that replaces the stored latest point only by a later one."""
    stmt = dialect_insert(latest_metrics, dialect)
    new = sa.tuple_(*(stmt.excluded[name] for name in _LATEST_VALUES))
    old = sa.tuple_(*(latest_metrics.c[name] for name in _LATEST_VALUES))
    return stmt.on_conflict_do_update(
        index_elements=["run_uuid", "key"],
        set_={name: stmt.excluded[name] for name in _LATEST_VALUES},
        where=new > old,
    )


def update_latest_metrics(conn: Connection, run_id: str, rows: Rows) -> None:
    """Fold logged points of one run into ``latest_metrics``."""
    candidates = latest_per_key(rows)
    if not candidates:
        return
    if conn.dialect.name != "mysql":
        execute_many(conn, "latest", latest_metrics, candidates)
        return
    # MySQL evaluates ON DUPLICATE KEY UPDATE assignments left to right, so a condition over several columns
    # cannot be written there; the caller holds the run row lock, so read, compare, then write the winners.
    stored = _stored_latest(conn, run_id, [row["key"] for row in candidates])
    winners = [
        row for row in candidates if row["key"] not in stored or metric_order_key(row) > stored[row["key"]]
    ]
    if winners:
        upsert(conn, latest_metrics, ("run_uuid", "key"), winners, _LATEST_VALUES)


def _stored_latest(
    conn: Connection, run_id: str, keys: Sequence[str]
) -> dict[str, tuple[int, int, int, float]]:
    stored: dict[str, tuple[int, int, int, float]] = {}
    for chunk in chunks(keys):
        stmt = sa.select(latest_metrics).where(
            latest_metrics.c.run_uuid == run_id, latest_metrics.c.key.in_(list(chunk))
        )
        for row in conn.execute(stmt.with_for_update()).mappings():
            stored[row["key"]] = metric_order_key(row)
    return stored


def lock_run(conn: Connection, run_id: str) -> str | None:
    """The run's lifecycle stage, locking its row until commit on PostgreSQL/MySQL; None if there is no run.

    The lock serializes writers of one run, which keeps read-compare-write sequences (param checks, the MySQL
    latest-metric update) race-free. SQLite write transactions are serialized already by BEGIN IMMEDIATE.
    """
    stmt = sa.select(runs.c.lifecycle_stage).where(runs.c.run_uuid == run_id)
    if conn.dialect.name != "sqlite":
        stmt = stmt.with_for_update()
    stage = conn.execute(stmt).scalar()
    return None if stage is None else str(stage)
