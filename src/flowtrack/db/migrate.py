"""Schema migrations: Alembic, driven from code (no alembic.ini).

:func:`ensure_schema` runs every time a store opens a database, so its common case — the database is already
at the newest revision — costs one ``SELECT`` on ``alembic_version`` and never imports Alembic. The newest
revision is read from the revision files themselves (a few small text files, parsed once per process). A new
SQLite database skips Alembic too: it gets the newest schema from :mod:`flowtrack.db.sqlite_baseline`.

Upgrades take a database-wide lock first, so several processes opening a new database at the same moment
migrate it once: ``BEGIN IMMEDIATE`` on SQLite (DDL is transactional there), a transaction-scoped advisory
lock on PostgreSQL, ``GET_LOCK`` on MySQL/MariaDB. After taking the lock the revision is read again, and a
process that lost the race finds the work done.
"""

from __future__ import annotations

import functools
import re
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import DBAPIError

from flowtrack.db import sqlite_baseline
from flowtrack.db.engine import get_engine, unavailable_message, write_engine
from flowtrack.exceptions import StoreUnavailable

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
VERSION_TABLE = "alembic_version"
_PG_LOCK_KEY = 0x666C6F77  # "flow"
_MYSQL_LOCK_NAME = "flowtrack_migrate"
_MYSQL_LOCK_TIMEOUT_S = 600

_REVISION_RE = re.compile(r"^revision\s*(?::[^=]*)?=\s*['\"]([^'\"]+)['\"]", re.MULTILINE)
_DOWN_RE = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)
_QUOTED_RE = re.compile(r"['\"]([^'\"]+)['\"]")

_at_head: weakref.WeakSet[Engine] = weakref.WeakSet()
_at_head_lock = threading.Lock()
# Alembic keeps the running migration in module globals (alembic.op, alembic.context): one upgrade at a time
# per process; the database lock serializes processes.
_upgrade_lock = threading.Lock()


@dataclass(frozen=True, slots=True)
class Revisions:
    known: frozenset[str]
    heads: frozenset[str]


@functools.cache
def revisions() -> Revisions:
    """Every revision id in ``migrations/versions`` and the heads, read from the files without Alembic."""
    known: set[str] = set()
    parents: set[str] = set()
    for path in (MIGRATIONS_DIR / "versions").glob("*.py"):
        text = path.read_text(encoding="utf-8")
        if (match := _REVISION_RE.search(text)) is None:
            continue
        known.add(match.group(1))
        if (down := _DOWN_RE.search(text)) is not None:
            parents.update(_QUOTED_RE.findall(down.group(1)))
    return Revisions(frozenset(known), frozenset(known - parents))


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic ``Config`` for flowtrack's migrations; ``connection`` is used instead of opening one."""
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def current_revisions(connection: Connection) -> frozenset[str] | None:
    """The revisions recorded in the database, or None when it has no version table yet."""
    if not sa.inspect(connection).has_table(VERSION_TABLE):
        return None
    rows = connection.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").all()
    return frozenset(str(row[0]) for row in rows)


def ensure_schema(engine: Engine) -> None:
    """Bring the database to the newest schema; one cheap query (once per engine) when it is there already."""
    if engine in _at_head:
        return
    if _read_versions_fast(engine) != revisions().heads:
        _upgrade(engine)
    with _at_head_lock:
        _at_head.add(engine)


def upgrade(uri: str) -> None:
    """Migrate the database at ``uri`` to the newest revision (creating every table in a new database)."""
    engine = get_engine(uri)
    _upgrade(engine)
    with _at_head_lock:
        _at_head.add(engine)


def _read_versions_fast(engine: Engine) -> frozenset[str] | None:
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql(f"SELECT version_num FROM {VERSION_TABLE}").all()
    except DBAPIError:
        return None  # no version table yet (or a problem the upgrade path reports precisely)
    return frozenset(str(row[0]) for row in rows)


def replay_migrations(engine: Engine) -> None:
    """Migrate with Alembic step by step, even where the SQLite baseline script would do."""
    _upgrade(engine, baseline_allowed=False)


def _upgrade(engine: Engine, baseline_allowed: bool = True) -> None:
    target = revisions()
    try:
        with _upgrade_lock, _migration_lock(engine) as conn:
            found = current_revisions(conn)
            if found == target.heads:
                return
            if found is not None and not found <= target.known:
                raise StoreUnavailable(_foreign_schema_message(engine, found))
            if found is None and baseline_allowed and sqlite_baseline.apply(conn, target.heads):
                return
            from alembic import command

            command.upgrade(alembic_config(conn), "heads")
    except DBAPIError as exc:
        raise StoreUnavailable(unavailable_message(engine.url, exc)) from exc


def _foreign_schema_message(engine: Engine, found: frozenset[str]) -> str:
    shown = engine.url.render_as_string(hide_password=True)
    return (
        f"the database {shown} records schema revision(s) {sorted(found)} that this version of flowtrack "
        "does not know: it was migrated by a newer flowtrack, or it belongs to another application (an "
        "MLflow database, for instance). Upgrade flowtrack, or point it at a database of its own."
    )


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection holding the database-wide migration lock; commits on success."""
    backend = engine.url.get_backend_name()
    with write_engine(engine).connect() as conn:
        if backend == "postgresql":
            conn.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
        elif backend == "mysql":
            got = conn.execute(
                sa.text("SELECT GET_LOCK(:name, :timeout)"),
                {"name": _MYSQL_LOCK_NAME, "timeout": _MYSQL_LOCK_TIMEOUT_S},
            ).scalar()
            if got != 1:
                raise StoreUnavailable(
                    "timed out waiting for another process to finish migrating the database"
                )
        else:
            conn.begin()  # BEGIN IMMEDIATE: the SQLite write lock, held until commit
        try:
            yield conn
            conn.commit()
        finally:
            if backend == "mysql":
                conn.execute(sa.text("SELECT RELEASE_LOCK(:name)"), {"name": _MYSQL_LOCK_NAME})
                conn.commit()
