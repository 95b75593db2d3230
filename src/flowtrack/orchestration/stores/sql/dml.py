"""Multi-row inserts, insert-or-ignore and upserts, compiled once per statement shape for the driver."""

from __future__ import annotations

import functools
import operator
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Dialect

from flowtrack.db.dml import dialect_insert

T = TypeVar("T")
CHUNK_ROWS = 500  # values per IN list: well under every driver's bound-parameter limit

Rows = Sequence[Mapping[str, Any]]


def chunks(items: Sequence[T], size: int = CHUNK_ROWS) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def insert(conn: Connection, table: sa.Table, rows: Rows) -> None:
    _execute_many(conn, "insert", table, rows)


def insert_ignore(conn: Connection, table: sa.Table, rows: Rows) -> None:
    """Insert rows, skipping any that would duplicate a primary or unique key."""
    _execute_many(conn, "ignore", table, rows)


def upsert(conn: Connection, table: sa.Table, rows: Rows, keep: Sequence[str] = ()) -> None:
    """Insert rows, or overwrite every column except the primary key and ``keep`` of the existing row."""
    _execute_many(conn, "upsert", table, rows, keep=tuple(keep))


def _execute_many(
    conn: Connection, kind: str, table: sa.Table, rows: Rows, keep: tuple[str, ...] = ()
) -> None:
    """One driver ``executemany`` (SQLite steps one statement, psycopg pipelines, PyMySQL batches rows)."""
    if not rows:
        return
    columns = tuple(rows[0])
    sql, order = _driver_sql(kind, table, conn.dialect, columns, keep)
    if order is None:
        conn.exec_driver_sql(sql, [dict(row) for row in rows])
    elif len(order) == 1:
        conn.exec_driver_sql(sql, [(row[order[0]],) for row in rows])
    else:
        values = operator.itemgetter(*order)  # C-speed tuples: 8,000 rows per batch are common
        conn.exec_driver_sql(sql, [values(row) for row in rows])


@functools.lru_cache(maxsize=64)
def _driver_sql(
    kind: str, table: sa.Table, dialect: Dialect, columns: tuple[str, ...], keep: tuple[str, ...]
) -> tuple[str, tuple[str, ...] | None]:
    stmt = dialect_insert(table, dialect.name)
    keys = [column.name for column in table.primary_key.columns]
    update = [name for name in columns if name not in keys and name not in keep]
    if kind == "ignore":
        stmt = stmt.prefix_with("IGNORE") if dialect.name == "mysql" else stmt.on_conflict_do_nothing()
    elif kind == "upsert" and dialect.name == "mysql":
        stmt = stmt.on_duplicate_key_update({name: stmt.inserted[name] for name in update})
    elif kind == "upsert":
        stmt = stmt.on_conflict_do_update(
            index_elements=keys, set_={name: stmt.excluded[name] for name in update}
        )
    compiled = stmt.compile(dialect=dialect, column_keys=list(columns))
    order = tuple(compiled.positiontup or ()) if compiled.positional else None
    return str(compiled), order
