"""The SQLite fast path (driver-level SQL) against the general path (SQLAlchemy Core), and its own guarantees.

On SQLite the store sends run creation, updates, batches, ``get_run``, ``search_runs`` and metric histories
straight to the ``sqlite3`` driver. The general path is what PostgreSQL and MySQL use; here both run on one
SQLite file and must give identical answers. Tests taking ``store`` run on every database.
"""

from __future__ import annotations

import gc
import math
from collections.abc import Iterator
from pathlib import Path

import pytest

from flowtrack.exceptions import ParamOverwriteError, RunNotFound
from flowtrack.tracking.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    LifecycleStage,
    Metric,
    Param,
    RunStatus,
    RunTag,
    ViewType,
)
from flowtrack.tracking.filters import Comparison, EntityKind, Operator, OrderBy
from flowtrack.tracking.stores.sql import sqlite_reads
from flowtrack.tracking.stores.sql.store import SqlTrackingStore

M, P, T, A = EntityKind.METRIC, EntityKind.PARAM, EntityKind.TAG, EntityKind.ATTRIBUTE
RUN_NAME = "mlflow.runName"
TRICKY = [
    'quote "inside"',
    "back\\slash",
    "new\nline\ttab\x01",
    '{"looks": ["like", "json"]}',
    "[1, 2]",
    "null",
    "true",
    "1e5",
    "",
    " padded ",
    "é字🙂\u2028",
]


@pytest.fixture
def both(tmp_path: Path) -> Iterator[tuple[SqlTrackingStore, SqlTrackingStore]]:
    """Two stores on one SQLite file: the fast path, and the general path only."""
    uri = f"sqlite:///{tmp_path / 'both.db'}"
    fast = SqlTrackingStore(uri, str(tmp_path / "artifacts"))
    general = SqlTrackingStore(uri, str(tmp_path / "artifacts"))
    assert fast._fast is not None
    assert fast._fast.loads_runs
    general._fast = None
    yield fast, general
    fast.close()
    general.close()


def fill(store: SqlTrackingStore, experiment_id: str, count: int) -> list[str]:
    """Runs with every kind of data: non-finite metrics, several points, inputs, renamed and deleted runs."""
    values = [0.5, math.inf, -math.inf, math.nan, -0.0, 5e-324, 1.7976931348623157e308, 0.1 + 0.2]
    ids = []
    for i in range(count):
        run = store.create_run(experiment_id, f"user{i % 3}", 1000 + i % 7, f"run-{i}", [RunTag("i", str(i))])
        run_id = run.info.run_id
        ids.append(run_id)
        store.log_batch(
            run_id,
            [Metric("m", values[i % len(values)], 5, 1), Metric("m", 9.0, 4, 0), Metric("n", i / 7, 1, i)],
            [Param("model", ["rf", "xgb", "lr"][i % 3]), Param(TRICKY[i % len(TRICKY)], TRICKY[-1])],
            [RunTag("tricky", TRICKY[i % len(TRICKY)])] if i % 2 else [],
        )
        if i % 5 == 0:
            dataset = Dataset(f"d{i % 2}", "x", "local", "/d", schema=None if i % 3 else "{}")
            store.log_inputs(run_id, [DatasetInput(dataset, (InputTag("mlflow.data.context", "train"),))])
        if i % 4 == 0:
            store.update_run_info(
                run_id, RunStatus.FINISHED, 2000 + i, f"renamed-{i}" if i % 8 == 0 else None
            )
        if i % 9 == 0:
            store.delete_run(run_id)
    return ids


SEARCHES: list[tuple[list[Comparison], list[OrderBy], ViewType, int]] = [
    ([], [], ViewType.ALL, 1000),
    ([Comparison(M, "m", Operator.LT, 1.0)], [OrderBy(M, "m", True)], ViewType.ACTIVE_ONLY, 7),
    ([Comparison(P, "model", Operator.IN, ("rf", "lr"))], [OrderBy(M, "n", False)], ViewType.ALL, 11),
    ([Comparison(T, "tricky", Operator.LIKE, "%\\\\%")], [OrderBy(T, "tricky", True)], ViewType.ALL, 5),
    ([Comparison(A, "status", Operator.EQ, "FINISHED")], [OrderBy(A, "end_time", False)], ViewType.ALL, 3),
    ([], [OrderBy(P, "model", True), OrderBy(A, "run_name", True)], ViewType.DELETED_ONLY, 2),
]


def test_fast_path_reads_what_the_general_path_reads(both) -> None:
    fast, general = both
    experiment_id = fast.create_experiment("same", None, [])
    ids = fill(fast, experiment_id, 40)
    for run_id in ids:
        assert fast.get_run(run_id) == general.get_run(run_id)
    for filters, order_by, view, size in SEARCHES:
        token = None
        while True:
            page = fast.search_runs([experiment_id], filters, order_by, view, size, token)
            expected = general.search_runs([experiment_id], filters, order_by, view, size, token)
            assert page == expected
            assert page.token == expected.token
            token = page.token
            if token is None:
                break
    for run_id in ids[:5]:
        for key in ("m", "n"):
            fast_points = fast.get_metric_history(run_id, key, None, None)
            general_points = general.get_metric_history(run_id, key, None, None)
            assert repr(fast_points) == repr(general_points)  # repr: NaN != NaN


def test_fast_path_writes_what_the_general_path_writes(both) -> None:
    fast, general = both
    runs = {}
    for store in (fast, general):
        experiment_id = store.create_experiment(f"writes-{id(store)}", None, [])
        run_ids = fill(store, experiment_id, 12)
        runs[store] = [store.get_run(run_id) for run_id in run_ids]
    for mine, theirs in zip(runs[fast], runs[general], strict=True):
        assert mine.data == theirs.data
        assert mine.inputs == theirs.inputs
        assert (mine.info.status, mine.info.end_time, mine.info.run_name, mine.info.lifecycle_stage) == (
            theirs.info.status,
            theirs.info.end_time,
            theirs.info.run_name,
            theirs.info.lifecycle_stage,
        )


def test_large_pages_need_no_chunking(both) -> None:
    fast, general = both
    experiment_id = fast.create_experiment("large", None, [])
    for i in range(1100):  # more than the general path's IN-list chunk
        run_id = fast.create_run(experiment_id, "u", i, f"r{i}", []).info.run_id
        fast.log_batch(run_id, [Metric("m", float(i), 0, 0)], [Param("p", str(i))], [])
    page = fast.search_runs([experiment_id], [], [OrderBy(M, "m", False)], ViewType.ALL, 1050, None)
    assert len(page) == 1050
    assert [run.data.metrics["m"] for run in page] == [float(i) for i in range(1099, 49, -1)]
    assert all(run.data.params == {"p": str(int(run.data.metrics["m"]))} for run in page)
    assert page == general.search_runs(
        [experiment_id], [], [OrderBy(M, "m", False)], ViewType.ALL, 1050, None
    )


def test_statement_count_does_not_grow_with_the_page(tmp_path: Path) -> None:
    store = SqlTrackingStore(f"sqlite:///{tmp_path / 'count.db'}", str(tmp_path))
    experiment_id = store.create_experiment("count", None, [])
    for i in range(60):
        run_id = store.create_run(experiment_id, "u", i, f"r{i}", []).info.run_id
        store.log_batch(run_id, [Metric("m", i, 1, 0)], [Param("p", str(i))], [RunTag("t", "x")])
        store.log_inputs(run_id, [DatasetInput(Dataset("d", "x", "local", "/d"))])
    assert store._fast is not None
    statements: list[str] = []
    store._fast._connection().set_trace_callback(statements.append)
    counts = []
    for size in (1, 10, 60):
        statements.clear()
        page = store.search_runs([experiment_id], [], [OrderBy(M, "m", True)], ViewType.ALL, size, None)
        assert len(page) == size
        assert all(run.data.params and run.inputs.dataset_inputs for run in page)
        counts.append(sum(statement.lstrip().upper().startswith("SELECT") for statement in statements))
    assert counts[0] == counts[1] == counts[2] <= 5  # the run, params+tags, metrics, inputs, outputs
    store.close()


def test_without_json_functions_reads_take_the_general_path(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(sqlite_reads, "supports_json", lambda conn: False)
    store = SqlTrackingStore(f"sqlite:///{tmp_path / 'nojson.db'}", str(tmp_path))
    assert store._fast is not None
    assert not store._fast.loads_runs
    run_id = store.create_run("0", "u", 1, "plain", [RunTag("t", "v")]).info.run_id
    store.log_batch(run_id, [Metric("m", 1.5, 1, 0)], [Param("p", "v")], [])
    run = store.get_run(run_id)
    assert (run.data.metrics, run.data.params, run.data.tags) == (
        {"m": 1.5},
        {"p": "v"},
        {"t": "v", RUN_NAME: "plain"},
    )
    assert store.search_runs(["0"], [], [], ViewType.ALL, 10, None) == [run]
    store.close()


def test_failed_writes_leave_no_transaction_open(tmp_path: Path) -> None:
    store = SqlTrackingStore(f"sqlite:///{tmp_path / 'tx.db'}", str(tmp_path))
    assert store._fast is not None
    conn = store._fast._connection()
    run_id = store.create_run("0", "u", 1, "r", []).info.run_id
    store.log_param(run_id, Param("p", "1"))
    with pytest.raises(ParamOverwriteError):
        store.log_batch(run_id, [Metric("m", 1.0, 1, 0)], [Param("q", "new"), Param("p", "2")], [])
    assert not conn.in_transaction
    with pytest.raises(RunNotFound):
        store.update_run_info("f" * 32, RunStatus.FINISHED, 1, None)
    assert not conn.in_transaction
    assert store.get_run(run_id).data.params == {"p": "1"}
    store.close()


@pytest.mark.parametrize("enabled", [True, False])
def test_history_reads_restore_the_collector(tmp_path: Path, enabled: bool) -> None:
    store = SqlTrackingStore(f"sqlite:///{tmp_path / 'gc.db'}", str(tmp_path))
    run_id = store.create_run("0", "u", 1, "r", []).info.run_id
    store.log_batch(run_id, [Metric("m", float(i), 0, i) for i in range(10)], [], [])
    if not enabled:
        gc.disable()
    try:
        assert len(store.get_metric_history(run_id, "m", None, None)) == 10
        assert gc.isenabled() is enabled
    finally:
        gc.enable()
        store.close()


# -- every database ------------------------------------------------------------------------------------------
def test_tricky_strings_round_trip(store: SqlTrackingStore) -> None:
    experiment_id = store.create_experiment("strings", None, [])
    params = {f"p{i}-{text}": text for i, text in enumerate(TRICKY)}
    tags = {f"t{i}-{text}": text for i, text in enumerate(TRICKY)}
    run_id = store.create_run(experiment_id, "u", 1, "r", [RunTag(k, v) for k, v in tags.items()]).info.run_id
    store.log_batch(run_id, [], [Param(k, v) for k, v in params.items()], [])
    expected_tags = {**tags, RUN_NAME: "r"}
    run = store.get_run(run_id)
    assert (run.data.params, run.data.tags) == (params, expected_tags)
    (found,) = store.search_runs([experiment_id], [], [], ViewType.ALL, 10, None)
    assert (found.data.params, found.data.tags) == (params, expected_tags)


def test_batch_with_known_params(store: SqlTrackingStore) -> None:
    run_id = store.create_run("0", "u", 1, "r", []).info.run_id
    store.log_batch(run_id, [], [Param("a", "1"), Param("b", "2")], [])
    store.log_batch(run_id, [Metric("m", 1.0, 1, 0)], [Param("b", "2"), Param("c", "3"), Param("a", "1")], [])
    assert store.get_run(run_id).data.params == {"a": "1", "b": "2", "c": "3"}
    with pytest.raises(ParamOverwriteError, match="'b'"):
        store.log_batch(run_id, [Metric("m", 2.0, 2, 1)], [Param("d", "4"), Param("b", "changed")], [])
    run = store.get_run(run_id)
    assert run.data.params == {"a": "1", "b": "2", "c": "3"}
    assert run.data.metrics == {"m": 1.0}


def test_update_run_info_without_changes(store: SqlTrackingStore) -> None:
    run = store.create_run("0", "u", 1, "same", [])
    info = store.update_run_info(run.info.run_id, None, None, None)
    assert info == run.info
    info = store.update_run_info(run.info.run_id, None, None, "")  # an empty name keeps the name
    assert info == run.info
    assert store.get_run(run.info.run_id).data.tags[RUN_NAME] == "same"
    store.delete_run(run.info.run_id)
    assert store.get_run(run.info.run_id).info.lifecycle_stage is LifecycleStage.DELETED


def test_create_run_tags_and_artifact_uri(store: SqlTrackingStore, tmp_path: Path) -> None:
    experiment_id = store.create_experiment("slash", f"{tmp_path.as_uri()}/art/", [])
    run = store.create_run(experiment_id, "", 7, "", [RunTag(RUN_NAME, "from-tag"), RunTag("k", "v")])
    assert run.info.artifact_uri == f"{tmp_path.as_uri()}/art/{run.info.run_id}/artifacts"
    assert run.info.user_id == ""
    assert run.info.run_name == "from-tag"
    assert store.get_run(run.info.run_id) == run
