"""A new SQLite database gets the newest schema from one script instead of replaying every migration.

Replaying the migrations imports Alembic and runs each step, about 0.2 s: most of a new user's first cold
start (a one-task flow is budgeted at 0.5 s in all). The script is rendered from the migrations themselves
(``scripts/render-sqlite-baseline`` rewrites it) and records the revisions it stands for; it is used
only on a database with no tables, and only while those revisions are the newest. A test checks that it
yields exactly the schema the migrations yield.
"""

from __future__ import annotations

import functools
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import Connection

SCRIPT = Path(__file__).with_name("sqlite_baseline.sql")
_HEADS_PREFIX = "-- revisions: "
_SEPARATOR = ";\n\n"


@dataclass(frozen=True, slots=True)
class Baseline:
    heads: frozenset[str]
    statements: tuple[str, ...]


@functools.cache
def baseline() -> Baseline:
    text = SCRIPT.read_text(encoding="utf-8")
    header, _, body = text.partition("\n")
    heads = frozenset(header.removeprefix(_HEADS_PREFIX).split(","))
    statements = tuple(part for part in body.split(_SEPARATOR) if part)
    return Baseline(heads, statements)


def apply(conn: Connection, heads: frozenset[str]) -> bool:
    """Create the schema on an empty SQLite database when the script stands for ``heads``; False otherwise."""
    if conn.dialect.name != "sqlite" or baseline().heads != heads or _has_tables(conn):
        return False
    for statement in baseline().statements:
        conn.exec_driver_sql(statement)
    return True


def schema_of(conn: Connection) -> list[str]:
    """The statements that recreate this SQLite database's schema and revision, in creation order."""
    rows = conn.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY rowid"
    ).all()
    versions = conn.exec_driver_sql("SELECT version_num FROM alembic_version ORDER BY version_num").all()
    inserts = [f"INSERT INTO alembic_version (version_num) VALUES ('{row[0]}')" for row in versions]
    return [str(row[0]) for row in rows] + inserts


def render() -> str:
    """The script for the newest revisions, taken from a database the migrations just created."""
    from flowtrack.db import migrate
    from flowtrack.db.engine import dispose_engine, get_engine

    with tempfile.TemporaryDirectory() as folder:
        uri = f"sqlite:///{Path(folder) / 'baseline.db'}"
        try:
            engine = get_engine(uri)
            migrate.replay_migrations(engine)
            with engine.connect() as conn:
                statements = schema_of(conn)
        finally:
            dispose_engine(uri)
    heads = ",".join(sorted(migrate.revisions().heads))
    return f"{_HEADS_PREFIX}{heads}\n" + "".join(statement + _SEPARATOR for statement in statements)


def _has_tables(conn: Connection) -> bool:
    found = conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' LIMIT 1").first()
    return found is not None
