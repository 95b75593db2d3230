"""Schema and concurrency of the SQL store on every database: migrations, first open, many writers."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from flowtrack.db import dispose_engine, ensure_schema, get_engine, sqlite_baseline, upgrade
from flowtrack.db.migrate import alembic_config, replay_migrations, revisions
from flowtrack.exceptions import StoreUnavailable
from flowtrack.orchestration.stores.sql.tables import metadata as orchestration_metadata
from flowtrack.registry.stores.sql.tables import metadata as registry_metadata
from flowtrack.tracking.entities import Metric, Param, RunTag, ViewType
from flowtrack.tracking.stores.sql.store import SqlTrackingStore
from flowtrack.tracking.stores.sql.tables import metadata

REPO = Path(__file__).resolve().parents[2]


def run_python(source: str, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(source), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def start_python(source: str, *args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(source), *args],
        cwd=cwd,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def fresh_engine(uri: str) -> sa.Engine:
    """A new engine for ``uri`` (so per-engine caches such as "schema checked" start empty)."""
    dispose_engine(uri)
    return get_engine(uri)


# -- migrations ----------------------------------------------------------------------------------------------
def test_schema_matches_the_tables_metadata(db_uri: str) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    upgrade(db_uri)
    ensure_schema(get_engine(db_uri))
    with get_engine(db_uri).connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, [metadata, registry_metadata, orchestration_metadata]) == []


def test_revisions_are_read_like_alembic_reads_them() -> None:
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(alembic_config())
    assert revisions().heads == frozenset(scripts.get_heads())
    assert revisions().known == frozenset(script.revision for script in scripts.walk_revisions())


def test_the_sqlite_baseline_is_the_schema_the_migrations_make(tmp_path: Path) -> None:
    replayed, created = (
        fresh_engine(f"sqlite:///{tmp_path / 'replayed.db'}"),
        fresh_engine(f"sqlite:///{tmp_path / 'created.db'}"),
    )
    replay_migrations(replayed)
    ensure_schema(created)
    with replayed.connect() as from_migrations, created.connect() as from_baseline:
        expected = sqlite_baseline.schema_of(from_migrations)
        assert sqlite_baseline.schema_of(from_baseline) == expected
    hint = "stale: run scripts/render-sqlite-baseline"
    assert list(sqlite_baseline.baseline().statements) == expected, hint
    assert sqlite_baseline.baseline().heads == revisions().heads, hint


def test_a_new_sqlite_database_is_created_without_alembic(tmp_path: Path, artifact_root: str) -> None:
    uri = f"sqlite:///{tmp_path / 'new.db'}"
    result = run_python(
        """
        import sys
        from flowtrack.tracking.stores.sql.store import SqlTrackingStore
        store = SqlTrackingStore(sys.argv[1], sys.argv[2])
        print(store.get_experiment("0").name)
        print(sorted(name for name in sys.modules if name.split(".")[0] == "alembic"))
        """,
        uri,
        artifact_root,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("\n")[:2] == ["Default", "[]"]
    with fresh_engine(uri).connect() as conn:
        versions = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalars().all()
    assert versions == sorted(revisions().heads)


def test_a_sqlite_file_with_other_tables_is_migrated_step_by_step(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'shared.db'}"
    with fresh_engine(uri).begin() as conn:
        conn.exec_driver_sql("CREATE TABLE notes (body TEXT)")
        conn.exec_driver_sql("INSERT INTO notes VALUES ('kept')")
    with sa.create_engine(uri).connect() as conn:
        assert sqlite_baseline.apply(conn, revisions().heads) is False
    ensure_schema(fresh_engine(uri))
    with get_engine(uri).connect() as conn:
        assert conn.exec_driver_sql("SELECT body FROM notes").scalars().all() == ["kept"]
        tables = set(sa.inspect(conn).get_table_names())
    assert {"experiments", "runs", "flow_runs", "registered_models"} <= tables


@pytest.fixture
def statements(db_uri: str) -> Iterator[list[str]]:
    SqlTrackingStore(db_uri, "/tmp/unused")  # the database exists and is at the newest schema
    engine = fresh_engine(db_uri)
    executed: list[str] = []

    def record(conn: sa.Connection, cursor: object, statement: str, *args: object) -> None:
        if statement not in ("BEGIN", "COMMIT", "ROLLBACK"):  # SQLite's explicit transaction control
            executed.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield executed
    event.remove(engine, "before_cursor_execute", record)


def test_ensure_schema_costs_one_query_when_current(db_uri: str, statements: list[str]) -> None:
    engine = get_engine(db_uri)
    ensure_schema(engine)
    assert statements == ["SELECT version_num FROM alembic_version"]
    ensure_schema(engine)
    assert len(statements) == 1  # remembered per engine


def test_opening_a_current_database_does_not_import_alembic(db_uri: str, artifact_root: str) -> None:
    SqlTrackingStore(db_uri, artifact_root)
    result = run_python(
        """
        import sys
        from flowtrack.tracking.stores.sql.store import SqlTrackingStore
        store = SqlTrackingStore(sys.argv[1], sys.argv[2])
        store.get_experiment("0")
        print(sorted(name for name in sys.modules if name.split(".")[0] == "alembic"))
        """,
        db_uri,
        artifact_root,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_foreign_schema_revision_is_refused(db_uri: str, artifact_root: str) -> None:
    SqlTrackingStore(db_uri, artifact_root)
    with get_engine(db_uri).begin() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = 'deadbeef'"))
    fresh_engine(db_uri)  # the schema is checked once per engine
    with pytest.raises(StoreUnavailable, match="deadbeef"):
        SqlTrackingStore(db_uri, artifact_root)
    with pytest.raises(StoreUnavailable, match="newer flowtrack"):
        ensure_schema(get_engine(db_uri))


def open_and_log(uri: str, root: str, name: str) -> None:
    store = SqlTrackingStore(uri, root)
    run = store.create_run(store.create_experiment(name, None, []), "u", 0, name, [])
    store.log_metric(run.info.run_id, Metric("m", 1.0, 0, 0))


def write_points(uri: str, root: str, run_id: str, worker: str) -> None:
    store = SqlTrackingStore(uri, root)
    n = int(worker)
    for i in range(200):
        store.log_metric(run_id, Metric("loss", float(n * 1000 + i), i, n * 1000 + i))
        if i % 50 == 0:
            store.log_param(run_id, Param(f"w{n}-{i}", str(i)))
            store.set_tag(run_id, RunTag(f"w{n}", str(i)))
            store.log_batch(run_id, [Metric(f"batch{n}", float(i), i, i)], [], [])


WORKER = """
    import sys
    from tests.integration import test_sql_store_schema as module
    print("ready", flush=True)
    sys.stdin.readline()
    getattr(module, sys.argv[1])(*sys.argv[2:])
    print("ok")
"""


def run_together(function: Callable[..., None], argv: list[list[str]], *, processes: bool) -> None:
    """Run ``function`` once per argument list, all released at the same moment, in processes or threads."""
    if processes:
        workers = [start_python(WORKER, function.__name__, *args, cwd=REPO) for args in argv]
        for worker in workers:
            assert worker.stdout is not None
            assert worker.stdout.readline().strip() == "ready", worker.communicate()[1]
        for worker in workers:
            assert worker.stdin is not None
            worker.stdin.write("go\n")
            worker.stdin.flush()
        for worker in workers:
            out, err = worker.communicate(timeout=180)
            assert worker.returncode == 0, err
            assert out.strip() == "ok"
        return
    barrier = threading.Barrier(len(argv))
    errors: list[BaseException] = []

    def work(args: list[str]) -> None:
        barrier.wait()
        try:
            function(*args)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(args,)) for args in argv]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)
    assert not errors, errors


def is_sqlite(uri: str) -> bool:
    return uri.startswith("sqlite")


def test_concurrent_first_open_creates_the_schema_once(empty_db_uri: str, artifact_root: str) -> None:
    # SQLite: separate processes racing on one new file; servers: threads, each with its own connections
    argv = [[empty_db_uri, artifact_root, f"p{i}"] for i in range(4)]
    run_together(open_and_log, argv, processes=is_sqlite(empty_db_uri))
    store = SqlTrackingStore(empty_db_uri, artifact_root)
    experiments = store.search_experiments(ViewType.ALL, 100, [], [], None)
    assert sorted(e.name for e in experiments) == ["Default", "p0", "p1", "p2", "p3"]
    with get_engine(empty_db_uri).connect() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all()
    assert versions == sorted(revisions().heads)


# -- concurrency and durability ------------------------------------------------------------------------------
def test_concurrent_writers_lose_nothing(db_uri: str, artifact_root: str) -> None:
    # SQLite: 4 processes x 200 log_metric on one file; servers: 4 threads contending for the same run row
    store = SqlTrackingStore(db_uri, artifact_root)
    run_id = store.create_run("0", "u", 0, "shared", []).info.run_id
    run_together(
        write_points, [[db_uri, artifact_root, run_id, str(n)] for n in range(4)], processes=is_sqlite(db_uri)
    )
    points = store.get_metric_history(run_id, "loss", None, None)
    expected_steps = sorted(w * 1000 + i for w in range(4) for i in range(200))
    assert sorted(point.step for point in points) == expected_steps
    run = store.get_run(run_id)
    assert run.data.metrics["loss"] == 3199.0
    assert run.data.metrics["batch2"] == 150.0
    assert len(run.data.params) == 16
    assert run.data.tags["w3"] == "150"


def test_threads_share_one_store(db_uri: str, artifact_root: str) -> None:
    store = SqlTrackingStore(db_uri, artifact_root)
    run_id = store.create_run("0", "u", 0, "threads", []).info.run_id
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def work(n: int) -> None:
        barrier.wait()
        try:
            for i in range(50):
                store.log_metric(run_id, Metric("m", float(i), n, i))
                store.log_batch(run_id, [Metric(f"t{n}", float(i), 0, i)], [Param(f"p{n}-{i}", "v")], [])
                store.get_run(run_id)
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert len(store.get_metric_history(run_id, "m", None, None)) == 200
    run = store.get_run(run_id)
    assert len(run.data.params) == 200
    assert run.data.metrics == {"m": 49.0, "t0": 49.0, "t1": 49.0, "t2": 49.0, "t3": 49.0}


KILLED = """
    import os, sys, time
    from flowtrack.tracking.entities import Metric
    from flowtrack.tracking.stores.sql.store import SqlTrackingStore
    store = SqlTrackingStore(sys.argv[1], sys.argv[2])
    for step in range(100):
        store.log_metric(sys.argv[3], Metric("m", step * 0.5, 1, step))
    print("logged", flush=True)
    time.sleep(60)
"""


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_logged_metrics_survive_sigkill_on_sqlite(tmp_path: Path) -> None:
    db_uri, artifact_root = f"sqlite:///{tmp_path / 'killed.db'}", str(tmp_path / "artifacts")
    store = SqlTrackingStore(db_uri, artifact_root)
    run_id = store.create_run("0", "u", 0, "killed", []).info.run_id
    worker = start_python(KILLED, db_uri, artifact_root, run_id)
    assert worker.stdout is not None
    assert worker.stdout.readline().strip() == "logged"
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait(timeout=30)
    assert len(store.get_metric_history(run_id, "m", None, None)) == 100
    assert store.get_run(run_id).data.metrics == {"m": 49.5}


def test_sqlite_writer_waits_for_a_long_transaction(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'busy.db'}"
    store = SqlTrackingStore(uri, str(tmp_path))
    run_id = store.create_run("0", "u", 0, "r", []).info.run_id
    holder = start_python(
        """
        import sqlite3, sys, time
        conn = sqlite3.connect(sys.argv[1], isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        print("locked", flush=True)
        time.sleep(1.0)
        conn.execute("COMMIT")
        """,
        str(tmp_path / "busy.db"),
    )
    assert holder.stdout is not None
    assert holder.stdout.readline().strip() == "locked"
    started = time.perf_counter()
    store.log_metric(run_id, Metric("m", 1.0, 0, 0))  # waits for the lock instead of "database is locked"
    assert time.perf_counter() - started > 0.3
    holder.wait(timeout=30)
    assert store.get_run(run_id).data.metrics == {"m": 1.0}
