"""The SQL store's error edge on every database: ids no row can have are NotFound, and whatever the database
refuses leaves as a flowtrack error (InvalidArgument, AlreadyExists, StoreUnavailable), never a SQLAlchemy or
driver exception, with nothing written.

These tests call the store directly, skipping the client's validation, so the databases' own refusals show.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import exc as sa_exc

from flowtrack.exceptions import (
    AlreadyExists,
    ExperimentNotFound,
    FlowtrackError,
    InvalidArgument,
    RunNotFound,
    StoreUnavailable,
)
from flowtrack.tracking.entities import (
    Dataset,
    DatasetInput,
    Metric,
    Param,
    RunStatus,
    RunTag,
    ViewType,
)
from flowtrack.tracking.stores.sql import errors
from flowtrack.tracking.stores.sql.store import SqlTrackingStore

NO_SUCH_EXPERIMENT = ["2147483648", "99999999999999999999", "-1", "abc", "1e3", "", " 0x1"]


def new_run(store: SqlTrackingStore) -> str:
    return store.create_run("0", "ana", 1000, "run", []).info.run_id


def is_sqlite(store: SqlTrackingStore) -> bool:
    return store.uri.startswith("sqlite")


# -- ids no row can have ------------------------------------------------------------------------------------
EXPERIMENT_CALLS: dict[str, Callable[[SqlTrackingStore, str], Any]] = {
    "get": lambda store, key: store.get_experiment(key),
    "delete": lambda store, key: store.delete_experiment(key),
    "restore": lambda store, key: store.restore_experiment(key),
    "rename": lambda store, key: store.rename_experiment(key, "renamed"),
    "set_tag": lambda store, key: store.set_experiment_tag(key, RunTag("k", "v")),
    "delete_tag": lambda store, key: store.delete_experiment_tag(key, "k"),
    "create_run": lambda store, key: store.create_run(key, "ana", 1000, "run", []),
}


@pytest.mark.parametrize("call", list(EXPERIMENT_CALLS))
def test_experiment_ids_no_row_can_have_are_not_found(store: SqlTrackingStore, call: str) -> None:
    for experiment_id in NO_SUCH_EXPERIMENT:
        with pytest.raises(ExperimentNotFound):
            EXPERIMENT_CALLS[call](store, experiment_id)


def test_search_leaves_out_ids_beyond_the_column_and_refuses_non_integers(store: SqlTrackingStore) -> None:
    run_id = new_run(store)
    search = store.search_runs
    assert search(["2147483648", "-1", "9" * 40], [], [], ViewType.ALL, 10, None) == []
    found = search(["0", "2147483648"], [], [], ViewType.ALL, 10, None)
    assert [run.info.run_id for run in found] == [run_id]
    with pytest.raises(InvalidArgument) as error:
        search(["0", "abc"], [], [], ViewType.ALL, 10, None)
    assert error.value.field == "experiment_ids"


RUN_CALLS: dict[str, Callable[[SqlTrackingStore, str], Any]] = {
    "get": lambda store, run_id: store.get_run(run_id),
    "update": lambda store, run_id: store.update_run_info(run_id, RunStatus.FINISHED, 5, None),
    "delete": lambda store, run_id: store.delete_run(run_id),
    "restore": lambda store, run_id: store.restore_run(run_id),
    "log_metric": lambda store, run_id: store.log_metric(run_id, Metric("m", 1.0, 1, 0)),
    "log_param": lambda store, run_id: store.log_param(run_id, Param("p", "v")),
    "set_tag": lambda store, run_id: store.set_tag(run_id, RunTag("t", "v")),
    "delete_tag": lambda store, run_id: store.delete_tag(run_id, "t"),
    "log_batch": lambda store, run_id: store.log_batch(run_id, [Metric("m", 1.0, 1, 0)], [], []),
    "log_inputs": lambda store, run_id: store.log_inputs(
        run_id, [DatasetInput(Dataset("d", "1", "local", "s"))]
    ),
    "history": lambda store, run_id: store.get_metric_history(run_id, "m", None, None),
}


@pytest.mark.parametrize("call", list(RUN_CALLS))
def test_run_ids_of_absurd_length_are_not_found(store: SqlTrackingStore, call: str) -> None:
    for run_id in ("a" * 33, "f" * 256, "x" * 100_000):
        with pytest.raises(RunNotFound):
            RUN_CALLS[call](store, run_id)


# -- what the databases refuse ------------------------------------------------------------------------------
def test_values_longer_than_their_column(store: SqlTrackingStore) -> None:
    """SQLite stores them; PostgreSQL and MySQL refuse them, as InvalidArgument, and nothing is written."""
    name = "n" * 300
    if is_sqlite(store):
        experiment_id = store.create_experiment(name, None, [])
        assert store.get_experiment(experiment_id).name == name
        return
    with pytest.raises(InvalidArgument, match="create_experiment"):
        store.create_experiment(name, None, [])
    assert store.get_experiment_by_name(name) is None
    run_id = new_run(store)
    with pytest.raises(InvalidArgument):
        store.log_batch(run_id, [], [Param("ok", "1"), Param("long", "v" * 7000)], [RunTag("t", "v")])
    assert store.get_run(run_id).data.params == {}
    assert "t" not in store.get_run(run_id).data.tags


def test_nul_characters_are_refused_or_stored_never_a_driver_error(store: SqlTrackingStore) -> None:
    run_id = new_run(store)
    try:
        store.log_param(run_id, Param("p", "a\x00b"))
    except InvalidArgument:
        assert store.uri.startswith("postgresql"), "only PostgreSQL refuses NUL characters"
        assert store.get_run(run_id).data.params == {}
    else:
        assert store.get_run(run_id).data.params == {"p": "a\x00b"}


@pytest.mark.parametrize(
    "write",
    [
        lambda store, run_id: store.log_param(run_id, Param("p", "\ud800")),
        lambda store, run_id: store.set_tag(run_id, RunTag("t", "x\udfff")),
        lambda store, run_id: store.log_batch(run_id, [], [Param("ok", "1"), Param("bad", "\ud800")], []),
        lambda store, run_id: store.log_metric(run_id, Metric("m", 1.0, 2**70, 0)),
        lambda store, run_id: store.log_batch(
            run_id, [Metric("ok", 1.0, 1, 0), Metric("m", 1.0, 1, 2**64)], [], []
        ),
        lambda store, run_id: store.update_run_info(run_id, None, 2**65, None),
    ],
    ids=["param", "tag", "batch", "timestamp", "batch-step", "end-time"],
)
def test_unstorable_values_are_invalid_arguments_and_write_nothing(
    store: SqlTrackingStore, write: Callable[[SqlTrackingStore, str], None]
) -> None:
    run_id = new_run(store)
    before = store.get_run(run_id)
    with pytest.raises(InvalidArgument):
        write(store, run_id)
    after = store.get_run(run_id)
    assert after.data == before.data
    assert after.info == before.info
    store.log_param(run_id, Param("after", "1"))  # the store (and its connections) still work
    assert store.get_run(run_id).data.params == {"after": "1"}


def test_a_duplicate_key_is_already_exists(store: SqlTrackingStore, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("flowtrack.tracking.stores.sql.store.new_run_id", lambda: "d" * 32)
    new_run(store)
    with pytest.raises(AlreadyExists):
        new_run(store)
    assert len(store.search_runs(["0"], [], [], ViewType.ALL, 10, None)) == 1


def test_other_database_failures_are_store_unavailable(store: SqlTrackingStore) -> None:
    run_id = new_run(store)
    store.set_tag(run_id, RunTag("t", "v"))
    with store._engine.begin() as conn:
        conn.execute(sa.text("DROP TABLE tags"))
    with pytest.raises(StoreUnavailable, match="tracking database"):
        store.delete_tag(run_id, "t")


# -- the translation itself ---------------------------------------------------------------------------------
def _wrapped(kind: type[sa_exc.DBAPIError], orig: BaseException) -> sa_exc.DBAPIError:
    return kind("INSERT ...", {}, orig)


@pytest.mark.parametrize(
    ("raised", "expected", "field"),
    [
        (
            _wrapped(
                sa_exc.IntegrityError, sqlite3.IntegrityError("UNIQUE constraint failed: experiments.name")
            ),
            AlreadyExists,
            None,
        ),
        (sqlite3.IntegrityError("UNIQUE constraint failed: runs.run_uuid"), AlreadyExists, None),
        (
            _wrapped(sa_exc.IntegrityError, sqlite3.IntegrityError("NOT NULL constraint failed: runs.name")),
            InvalidArgument,
            "runs.name",
        ),
        (
            _wrapped(sa_exc.DataError, Exception("(1406, \"Data too long for column 'name' at row 1\")")),
            InvalidArgument,
            "name",
        ),
        (sqlite3.DataError("string or blob too big"), InvalidArgument, None),
        (OverflowError("Python int too large to convert to SQLite INTEGER"), InvalidArgument, None),
        (UnicodeEncodeError("utf-8", "\ud800", 0, 1, "surrogates not allowed"), InvalidArgument, None),
        (
            _wrapped(sa_exc.OperationalError, sqlite3.OperationalError("database is locked")),
            StoreUnavailable,
            None,
        ),
        (_wrapped(sa_exc.InterfaceError, Exception("connection already closed")), StoreUnavailable, None),
        (
            _wrapped(sa_exc.ProgrammingError, Exception('relation "tags" does not exist')),
            StoreUnavailable,
            None,
        ),
        (sa_exc.TimeoutError("QueuePool limit of size 5 overflow 10 reached"), StoreUnavailable, None),
        (sqlite3.ProgrammingError("Cannot operate on a closed database."), StoreUnavailable, None),
    ],
)
def test_translate(raised: BaseException, expected: type[FlowtrackError], field: str | None) -> None:
    url = sa.engine.make_url("postgresql://user:secret@db.example/flowtrack")
    translated = errors.translate(raised, url, "log_batch")
    assert type(translated) is expected
    assert "secret" not in str(translated)
    if isinstance(translated, InvalidArgument):
        assert translated.field == field
        assert "log_batch" in str(translated)


def test_every_public_store_method_is_guarded() -> None:
    for name in ("create_experiment", "get_run", "log_metric", "log_batch", "search_runs", "__init__"):
        assert getattr(getattr(SqlTrackingStore, name), "__guarded__", False), name
