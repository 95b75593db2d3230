"""Engine factory: one SQLAlchemy engine per database URI, configured for how flowtrack uses each database.

SQLite is the embedded default and the hot path, so it gets the most care:

* WAL journal with ``synchronous=NORMAL``: a commit is a WAL append (no fsync), readers never block the
  writer, and a killed process loses nothing that was committed.
* ``busy_timeout=30000`` and ``BEGIN IMMEDIATE`` for write transactions: several processes writing the same
  file queue for the write lock instead of failing with "database is locked". Read transactions use a plain
  (deferred) ``BEGIN`` so they never wait for writers.
* The driver runs in autocommit mode and the engine's ``begin`` event emits the ``BEGIN`` itself; this is the
  SQLAlchemy recipe that makes SQLite transactions behave as written.

Use :func:`write_engine` for transactions that write, and the plain engine for reads.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError, OperationalError

from flowtrack.exceptions import InvalidArgument, MissingDependency, StoreUnavailable

SQLITE_BUSY_TIMEOUT_MS = 30_000
CONNECT_TIMEOUT_S = 10
WRITE_OPTION = "flowtrack_write"

_DRIVERS: dict[str, str] = {
    "sqlite": "sqlite+pysqlite",
    "sqlite+pysqlite": "sqlite+pysqlite",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgresql+psycopg": "postgresql+psycopg",
    "mysql": "mysql+pymysql",
    "mysql+pymysql": "mysql+pymysql",
    "mariadb": "mysql+pymysql",
    "mariadb+pymysql": "mysql+pymysql",
}
_MISSING_DRIVER: dict[str, tuple[str, str]] = {
    "postgresql": ("psycopg", "postgres"),
    "mysql": ("pymysql", "mysql"),
}
SUPPORTED_SCHEMES: tuple[str, ...] = tuple(_DRIVERS)

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


# -- URIs ----------------------------------------------------------------------------------------------------
def normalize_url(uri: str) -> URL:
    """Parse a tracking URI in any of MLflow's spellings and pin the driver flowtrack uses for it."""
    try:
        url = make_url(uri)
    except ArgumentError as exc:
        raise InvalidArgument(f"not a database URI: {uri!r}", field="tracking_uri") from exc
    driver = _DRIVERS.get(url.drivername)
    if driver is None:
        supported = ", ".join(SUPPORTED_SCHEMES)
        raise InvalidArgument(
            f"unsupported database scheme {url.drivername!r} in {uri!r}; supported: {supported}",
            field="tracking_uri",
        )
    url = url.set(drivername=driver)
    if driver == "mysql+pymysql" and "charset" not in url.query:
        url = url.update_query_dict({"charset": "utf8mb4"})
    if driver.startswith("sqlite"):
        if url.database in (None, "", ":memory:"):
            raise InvalidArgument(
                "in-memory SQLite is not supported; use a file such as sqlite:///flowtrack.db",
                field="tracking_uri",
            )
        # absolute, so a later os.chdir() cannot point new connections at another file
        url = url.set(database=str(Path(str(url.database)).expanduser().absolute()))
    return url


def sqlite_path(url: URL) -> Path:
    return Path(str(url.database))


# -- SQLite connections --------------------------------------------------------------------------------------
def sqlite_connect(path: str | os.PathLike[str]) -> sqlite3.Connection:
    """A driver connection in autocommit mode with flowtrack's pragmas; the caller emits BEGIN/COMMIT.

    Used by the engine's pool and by the store's direct hot path, so both see identical settings.
    """
    conn = sqlite3.connect(
        os.fspath(path),
        timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        conn.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(conn)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
    except BaseException:
        conn.close()
        raise
    return conn


def _use_wal(conn: sqlite3.Connection) -> None:
    """Switch a (new) database file to WAL, retrying while other processes race to do the same.

    Switching needs an exclusive lock, and SQLite reports "database is locked" at once, without waiting, when
    two connections would otherwise deadlock on it; so wait and retry here, up to the busy timeout.
    """
    deadline = time.monotonic() + SQLITE_BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            mode = conn.execute("PRAGMA journal_mode").fetchone()
            if mode is None or str(mode[0]).lower() != "wal":
                conn.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            busy = "locked" in str(exc) or "busy" in str(exc)
            if not busy or time.monotonic() > deadline:
                raise
            time.sleep(random.uniform(0.005, 0.05))


def _on_sqlite_begin(conn: sa.Connection) -> None:
    immediate = conn.get_execution_options().get(WRITE_OPTION, False)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _sqlite_engine(url: URL) -> Engine:
    path = sqlite_path(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(
        url,
        creator=lambda: sqlite_connect(path),
        pool_size=8,
        max_overflow=32,
        pool_timeout=SQLITE_BUSY_TIMEOUT_MS / 1000,
    )
    event.listen(engine, "begin", _on_sqlite_begin)
    return engine


# -- server databases ----------------------------------------------------------------------------------------
def _server_engine(url: URL) -> Engine:
    backend = url.get_backend_name()
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    options: dict[str, Any] = {"pool_pre_ping": True, "pool_size": 5, "max_overflow": 10}
    if backend == "mysql":
        # READ COMMITTED avoids InnoDB gap-lock deadlocks between concurrent upserts;
        # recycle connections before the server's wait_timeout closes them
        options.update(isolation_level="READ COMMITTED", pool_recycle=3600)
    try:
        return sa.create_engine(url, connect_args=connect_args, **options)
    except (ImportError, NoSuchModuleError) as exc:
        package, extra = _MISSING_DRIVER.get(backend, (url.get_driver_name(), backend))
        raise MissingDependency(package, extra) from exc


def _probe(engine: Engine) -> None:
    """Connect once so an unreachable database fails here, with a message that says what to check."""
    try:
        with engine.connect():
            pass
    except DBAPIError as exc:
        engine.dispose()
        raise StoreUnavailable(unavailable_message(engine.url, exc)) from exc


def unavailable_message(url: URL, exc: BaseException, action: str = "open") -> str:
    """Why the database at ``url`` failed (``action``: open or use it) and what to check."""
    shown = url.render_as_string(hide_password=True)
    text = str(getattr(exc, "orig", None) or exc).strip()
    detail = text.splitlines()[0] if text else type(exc).__name__
    if url.get_backend_name() == "sqlite":
        hint = "check that the folder exists, is writable, and the file is an SQLite database"
    else:
        hint = (
            f"check that the {url.get_backend_name()} server is running and reachable at "
            f"{url.host or 'localhost'}:{url.port or 'default port'}, that the user and password are right, "
            f"and that the database {url.database!r} exists"
        )
    return f"cannot {action} the tracking database {shown}: {detail}; {hint}"


# -- public API ----------------------------------------------------------------------------------------------
def get_engine(uri: str) -> Engine:
    """The engine for ``uri``, created on first use and shared afterwards (thread-safe)."""
    engine = _engines.get(uri)
    if engine is not None:
        return engine
    url = normalize_url(uri)
    created = _sqlite_engine(url) if url.get_backend_name() == "sqlite" else _server_engine(url)
    _probe(created)  # outside the lock: an unreachable server must not stall other URIs
    with _lock:
        engine = _engines.setdefault(uri, created)
    if engine is not created:  # another thread won the race
        created.dispose()
    return engine


def write_engine(engine: Engine) -> Engine:
    """A view of ``engine`` whose transactions take the write lock up front (``BEGIN IMMEDIATE`` on SQLite).

    On other databases it behaves like ``engine``.
    """
    return engine.execution_options(**{WRITE_OPTION: True})


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads; a database that cannot be used raises StoreUnavailable saying what to check."""
    try:
        with engine.connect() as conn:
            yield conn
    except OperationalError as exc:
        raise StoreUnavailable(unavailable_message(engine.url, exc, "use")) from exc


@contextmanager
def writing(writer: Engine) -> Iterator[Connection]:
    """A write transaction of a :func:`write_engine`, committed on success; errors as :func:`reading`."""
    try:
        with writer.begin() as conn:
            yield conn
    except OperationalError as exc:
        raise StoreUnavailable(unavailable_message(writer.url, exc, "use")) from exc


def dispose_engine(uri: str) -> None:
    """Close the pooled connections of ``uri`` and forget its engine (tests drop databases afterwards)."""
    with _lock:
        engine = _engines.pop(uri, None)
    if engine is not None:
        engine.dispose()


def _after_fork_in_child() -> None:
    # connections must not be shared with the parent process; let the child open its own
    global _lock
    _lock = threading.Lock()
    for engine in list(_engines.values()):
        engine.dispose(close=False)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_after_fork_in_child)
