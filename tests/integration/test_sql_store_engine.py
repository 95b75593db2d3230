"""Engines (URI spellings, SQLite pragmas, errors) and the store registry (which URI gets which store)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
import sqlalchemy as sa

from flowtrack.db.engine import get_engine, normalize_url
from flowtrack.exceptions import InvalidArgument, StoreUnavailable, UnsupportedUriError
from flowtrack.tracking.entities import LifecycleStage, Metric, RunTag
from flowtrack.tracking.stores import registry
from flowtrack.tracking.stores.sql.store import SqlTrackingStore


@pytest.mark.parametrize(
    ("uri", "driver"),
    [
        ("sqlite:///x.db", "sqlite+pysqlite"),
        ("postgresql://u@h/db", "postgresql+psycopg"),
        ("postgres://u@h/db", "postgresql+psycopg"),
        ("postgresql+psycopg://u@h/db", "postgresql+psycopg"),
        ("mysql://u@h/db", "mysql+pymysql"),
        ("mysql+pymysql://u@h/db", "mysql+pymysql"),
    ],
)
def test_uri_spellings_map_to_flowtrack_drivers(uri: str, driver: str) -> None:
    url = normalize_url(uri)
    assert url.drivername == driver
    if driver == "mysql+pymysql":
        assert url.query["charset"] == "utf8mb4"


@pytest.mark.parametrize("uri", ["sqlite://", "sqlite:///:memory:", "oracle://u@h/db", "not a uri"])
def test_unusable_uris_are_rejected(uri: str) -> None:
    with pytest.raises(InvalidArgument) as error:
        normalize_url(uri)
    assert error.value.field == "tracking_uri"


def test_sqlite_engine_creates_the_folder_and_sets_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "er" / "flowtrack.db"
    engine = get_engine(f"sqlite:///{path}")
    assert path.parent.is_dir()
    with engine.connect() as conn:
        pragmas = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in ("journal_mode", "synchronous")
        }
        pragmas |= {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar() for name in ("foreign_keys", "busy_timeout")
        }
    assert pragmas == {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1, "busy_timeout": 30000}


def test_engines_are_shared_per_uri_across_threads(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'shared.db'}"
    found: list[sa.Engine] = []
    threads = [threading.Thread(target=lambda: found.append(get_engine(uri))) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({id(engine) for engine in found}) == 1


def test_unreachable_server_says_what_to_check() -> None:
    with pytest.raises(StoreUnavailable, match=r"check that the postgresql server is running") as error:
        get_engine("postgresql://nobody@127.0.0.1:1/nothing?connect_timeout=2")
    assert "127.0.0.1:1" in str(error.value)
    with pytest.raises(StoreUnavailable, match="mysql server"):
        get_engine("mysql://nobody:secret@127.0.0.1:1/nothing?connect_timeout=2")


def test_unopenable_sqlite_file_says_what_to_check(tmp_path: Path) -> None:
    not_a_db = tmp_path / "text.db"
    not_a_db.write_text("this is not a database" * 100)
    with pytest.raises(StoreUnavailable, match="SQLite database"):
        SqlTrackingStore(f"sqlite:///{not_a_db}", str(tmp_path))


@pytest.mark.parametrize(
    ("module", "uri", "package", "extra"),
    [
        ("psycopg", "postgresql://u@h/db", "psycopg", "postgres"),
        ("pymysql", "mysql://u@h/db", "pymysql", "mysql"),
    ],
)
def test_missing_driver_names_the_extra(module: str, uri: str, package: str, extra: str) -> None:
    script = f"""
        import sys
        sys.modules[{module!r}] = None  # the driver is not installed
        from flowtrack.db import get_engine
        from flowtrack.exceptions import MissingDependency
        try:
            get_engine({uri!r})
        except MissingDependency as exc:
            print(exc.package, exc.extra)
    """
    result = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(script)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [package, extra]


def test_fast_path_and_engine_see_each_others_writes(tmp_path: Path) -> None:
    store = SqlTrackingStore(f"sqlite:///{tmp_path / 'mixed.db'}", str(tmp_path))
    experiment_id = store.create_experiment("mixed", None, [])  # through the engine
    run_id = store.create_run(experiment_id, "u", 0, "r", []).info.run_id  # through the driver connection
    store.log_metric(run_id, Metric("m", 1.0, 0, 0))
    store.log_batch(run_id, [Metric("m", 2.0, 0, 1)], [], [RunTag("t", "v")])
    store.delete_tag(run_id, "t")  # engine
    assert [m.value for m in store.get_metric_history(run_id, "m", None, None)] == [1.0, 2.0]
    run = store.get_run(run_id)  # driver
    assert run.data.metrics == {"m": 2.0}
    assert "t" not in run.data.tags
    store.delete_experiment(experiment_id)  # engine: deletes the run too
    assert store.get_run(run_id).info.lifecycle_stage is LifecycleStage.DELETED


# -- registry ------------------------------------------------------------------------------------------------
@pytest.fixture
def clean_registry():
    registry.clear_cache()
    yield registry
    registry.clear_cache()


def test_sql_uris_get_a_cached_sql_store(tmp_path: Path, clean_registry) -> None:
    uri = f"sqlite:///{tmp_path / 'r.db'}"
    store = registry.get_tracking_store(uri, str(tmp_path / "a"))
    assert isinstance(store, SqlTrackingStore)
    assert registry.get_tracking_store(uri, str(tmp_path / "a")) is store
    other_root = registry.get_tracking_store(uri, str(tmp_path / "b"))
    assert other_root is not store
    assert other_root.get_experiment("0") == store.get_experiment("0")


@pytest.mark.parametrize("uri", ["http://localhost:5000", "https://tracking.example.com"])
def test_http_uris_get_the_rest_store(uri: str, clean_registry) -> None:
    from flowtrack.tracking.stores.rest.store import RestTrackingStore

    assert isinstance(registry.get_tracking_store(uri, "/tmp/a"), RestTrackingStore)


@pytest.mark.parametrize("uri", ["/data/mlruns", "./mlruns", "file:///data/mlruns", "mlruns", "C:\\runs"])
def test_folders_suggest_an_sqlite_file(uri: str, clean_registry) -> None:
    with pytest.raises(UnsupportedUriError, match=r"sqlite:///.*flowtrack\.db"):
        registry.get_tracking_store(uri, "/tmp/a")


def test_unknown_schemes_list_the_supported_ones(clean_registry) -> None:
    with pytest.raises(UnsupportedUriError, match="oracle") as error:
        registry.get_tracking_store("oracle://db/x", "/tmp/a")
    for scheme in ("sqlite", "postgresql", "mysql", "http"):
        assert scheme in str(error.value)
