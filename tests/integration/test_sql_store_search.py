"""search_runs on every database: filters, ordering with missing values, LIKE semantics, paging, query count.

Every expectation is an exact list, so passing on all three databases means they give identical results.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from flowtrack.db import get_engine
from flowtrack.exceptions import InvalidArgument
from flowtrack.tracking.entities import (
    Dataset,
    DatasetInput,
    InputTag,
    Metric,
    Param,
    Run,
    RunStatus,
    RunTag,
    ViewType,
)
from flowtrack.tracking.filters import Comparison, EntityKind, Operator, OrderBy
from flowtrack.tracking.stores.sql.store import SqlTrackingStore

M, P, T, A, D = EntityKind.METRIC, EntityKind.PARAM, EntityKind.TAG, EntityKind.ATTRIBUTE, EntityKind.DATASET

# name: (start_time, metrics, params, tags)
RUNS: dict[str, tuple[int, dict[str, float], dict[str, str], dict[str, str]]] = {
    "a": (100, {"rmse": 0.3, "acc": 0.9}, {"model": "rf", "depth": "3"}, {"team": "Vision"}),
    "b": (200, {"rmse": 0.1}, {"model": "RF", "depth": "10"}, {"team": "vision"}),
    "c": (300, {"rmse": math.inf}, {"model": "xgb"}, {"team": "nlp", "flag": "a_b"}),
    "d": (400, {"rmse": -math.inf}, {"model": "rf"}, {"flag": "axb"}),
    "e": (500, {"rmse": math.nan}, {"model": "lr"}, {"flag": "a%b"}),
    "f": (600, {}, {"model": "rf%"}, {"flag": "a\\b"}),
    "g": (600, {"rmse": 0.3}, {}, {"flag": "*?[x]"}),
}


@pytest.fixture
def populated(store: SqlTrackingStore) -> tuple[SqlTrackingStore, str, dict[str, str]]:
    experiment_id = store.create_experiment("search", None, [])
    ids: dict[str, str] = {}
    for name, (start, metrics, params, tags) in RUNS.items():
        run_id = store.create_run(experiment_id, "ana" if name < "d" else "bob", start, name, []).info.run_id
        store.log_batch(
            run_id,
            [Metric(k, v, 1, 0) for k, v in metrics.items()],
            [Param(k, v) for k, v in params.items()],
            [RunTag(k, v) for k, v in tags.items()],
        )
        ids[name] = run_id
    store.update_run_info(ids["a"], RunStatus.FINISHED, 150, None)
    store.update_run_info(ids["b"], RunStatus.FAILED, 250, None)
    return store, experiment_id, ids


def run_names(runs: list[Run]) -> list[str]:
    return [run.info.run_name for run in runs]


def found(
    populated: tuple[SqlTrackingStore, str, dict[str, str]],
    *filters: Comparison,
    order_by: tuple[OrderBy, ...] = (),
    view: ViewType = ViewType.ACTIVE_ONLY,
) -> list[str]:
    store, experiment_id, _ = populated
    return run_names(store.search_runs([experiment_id], list(filters), list(order_by), view, 1000, None))


def matching(populated, *filters: Comparison) -> list[str]:
    return sorted(found(populated, *filters))


# -- filters -------------------------------------------------------------------------------------------------
METRIC_CASES = [
    (Operator.LT, 0.2, ["b", "d"]),
    (Operator.LE, 0.3, ["a", "b", "d", "g"]),
    (Operator.GT, 0.2, ["a", "c", "g"]),
    (Operator.GE, 0.3, ["a", "c", "g"]),
    (Operator.EQ, 0.3, ["a", "g"]),
    (Operator.NE, 0.3, ["b", "c", "d"]),  # NaN matches no comparison; f has no rmse
    (Operator.GT, 1e308, ["c"]),
    (Operator.EQ, math.inf, ["c"]),
    (Operator.LT, math.inf, ["a", "b", "d", "g"]),
    (Operator.GE, -math.inf, ["a", "b", "c", "d", "g"]),
    (Operator.LT, -math.inf, []),
    (Operator.GT, math.inf, []),
    (Operator.NE, math.nan, []),
    (Operator.EQ, math.nan, []),
]


def test_metric_filters(populated) -> None:
    results = {
        (op, value): matching(populated, Comparison(M, "rmse", op, value)) for op, value, _ in METRIC_CASES
    }
    assert results == {(op, value): expected for op, value, expected in METRIC_CASES}


def test_conjunction_of_filters(populated) -> None:
    rmse = Comparison(M, "rmse", Operator.LT, 0.5)
    assert matching(populated, rmse, Comparison(P, "model", Operator.EQ, "rf")) == ["a", "d"]
    assert matching(populated, rmse, Comparison(M, "rmse", Operator.GT, 0.0)) == ["a", "b", "g"]
    assert matching(populated, rmse, Comparison(M, "acc", Operator.GT, 0.0)) == ["a"]


STRING_CASES = [
    (P, "model", Operator.EQ, "rf", ["a", "d"]),
    (P, "model", Operator.NE, "rf", ["b", "c", "e", "f"]),  # g has no model param: excluded
    (P, "model", Operator.LIKE, "r%", ["a", "d", "f"]),  # case-sensitive on every database
    (P, "model", Operator.LIKE, "R%", ["b"]),
    (P, "model", Operator.ILIKE, "r%", ["a", "b", "d", "f"]),
    (P, "model", Operator.ILIKE, "RF", ["a", "b", "d"]),
    (P, "model", Operator.LIKE, "rf\\%", ["f"]),  # escaped wildcard
    (P, "model", Operator.LIKE, "_f", ["a", "d"]),
    (P, "model", Operator.IN, ("rf", "xgb"), ["a", "c", "d"]),
    (P, "model", Operator.NOT_IN, ("rf", "xgb"), ["b", "e", "f"]),
    (P, "depth", Operator.EQ, "10", ["b"]),
    (T, "team", Operator.EQ, "vision", ["b"]),
    (T, "team", Operator.ILIKE, "VIS%", ["a", "b"]),
    (T, "flag", Operator.LIKE, "a_b", ["c", "d", "e", "f"]),
    (T, "flag", Operator.LIKE, "a\\_b", ["c"]),
    (T, "flag", Operator.LIKE, "a\\%b", ["e"]),
    (T, "flag", Operator.LIKE, "a\\\\b", ["f"]),
    (T, "flag", Operator.LIKE, "*?[x]", ["g"]),  # GLOB's special characters are literals in LIKE
    (T, "flag", Operator.LIKE, "%[%", ["g"]),
    (T, "flag", Operator.LIKE, "*%", ["g"]),
    (T, "flag", Operator.ILIKE, "A%B", ["c", "d", "e", "f"]),
    (T, "team", Operator.NOT_IN, ("nlp",), ["a", "b"]),
]


def test_param_and_tag_filters(populated) -> None:
    cases = [(Comparison(kind, key, op, value), expected) for kind, key, op, value, expected in STRING_CASES]
    assert {case: matching(populated, case) for case, _ in cases} == dict(cases)


def test_attribute_filters(populated) -> None:
    _, _, ids = populated
    assert matching(populated, Comparison(A, "run_name", Operator.EQ, "c")) == ["c"]
    assert matching(populated, Comparison(A, "run_name", Operator.IN, ("a", "e", "zz"))) == ["a", "e"]
    assert matching(populated, Comparison(A, "status", Operator.EQ, "FINISHED")) == ["a"]
    assert matching(populated, Comparison(A, "status", Operator.NE, "RUNNING")) == ["a", "b"]
    assert matching(populated, Comparison(A, "start_time", Operator.GE, 400.0)) == ["d", "e", "f", "g"]
    assert matching(populated, Comparison(A, "start_time", Operator.LT, 200.0)) == ["a"]
    assert matching(populated, Comparison(A, "end_time", Operator.GT, 0.0)) == [
        "a",
        "b",
    ]  # no end_time: excluded
    assert matching(populated, Comparison(A, "end_time", Operator.NE, 150.0)) == ["b"]
    assert matching(populated, Comparison(A, "user_id", Operator.LIKE, "an%")) == ["a", "b", "c"]
    assert matching(populated, Comparison(A, "user_id", Operator.LIKE, "AN%")) == []
    assert matching(populated, Comparison(A, "run_id", Operator.EQ, ids["e"])) == ["e"]
    assert matching(populated, Comparison(A, "run_uuid", Operator.IN, (ids["a"], ids["g"]))) == ["a", "g"]
    assert matching(populated, Comparison(A, "artifact_uri", Operator.LIKE, f"%{ids['b']}%")) == ["b"]
    assert matching(populated, Comparison(A, "lifecycle_stage", Operator.EQ, "active")) == list("abcdefg")


def test_unknown_attribute_or_bad_operands(populated) -> None:
    store, experiment_id, _ = populated
    bad_filters = [
        Comparison(A, "colour", Operator.EQ, "red"),
        Comparison(M, "rmse", Operator.LIKE, "1%"),
        Comparison(M, "rmse", Operator.EQ, "abc"),
        Comparison(P, "model", Operator.LT, "rf"),
        Comparison(P, "model", Operator.IN, "rf"),
        Comparison(D, "colour", Operator.EQ, "x"),
    ]
    for bad in bad_filters:
        with pytest.raises(InvalidArgument) as error:
            store.search_runs([experiment_id], [bad], [], ViewType.ALL, 10, None)
        assert error.value.field == "filter", bad
    with pytest.raises(InvalidArgument) as error:
        store.search_runs([experiment_id], [], [OrderBy(A, "colour", True)], ViewType.ALL, 10, None)
    assert error.value.field == "order_by"
    with pytest.raises(InvalidArgument) as error:
        store.search_runs(["not-a-number"], [], [], ViewType.ALL, 10, None)
    assert error.value.field == "experiment_ids"


def test_dataset_filters(populated) -> None:
    store, _, ids = populated
    train = Dataset("train", "d1", "local", "/t.csv")
    store.log_inputs(ids["a"], [DatasetInput(train, (InputTag("mlflow.data.context", "training"),))])
    store.log_inputs(ids["b"], [DatasetInput(Dataset("eval", "d2", "local", "/e.csv"))])
    assert matching(populated, Comparison(D, "name", Operator.EQ, "train")) == ["a"]
    assert matching(populated, Comparison(D, "digest", Operator.IN, ("d1", "d2"))) == ["a", "b"]
    assert matching(populated, Comparison(D, "context", Operator.EQ, "training")) == ["a"]
    assert matching(populated, Comparison(D, "name", Operator.LIKE, "%a%")) == ["a", "b"]


def test_view_types_and_experiments(populated) -> None:
    store, experiment_id, ids = populated
    store.delete_run(ids["c"])
    assert "c" not in found(populated)
    assert found(populated, view=ViewType.DELETED_ONLY) == ["c"]
    assert sorted(found(populated, view=ViewType.ALL)) == list("abcdefg")
    other = store.create_experiment("other", None, [])
    store.create_run(other, "u", 50, "z", [])
    both = store.search_runs([experiment_id, other], [], [], ViewType.ACTIVE_ONLY, 100, None)
    assert sorted(run_names(both)) == [*"abdefg", "z"]
    assert store.search_runs([], [], [], ViewType.ALL, 100, None) == []


# -- ordering ------------------------------------------------------------------------------------------------
def test_default_order_is_start_time_desc_then_run_id(populated) -> None:
    _, _, ids = populated
    f_and_g = sorted(["f", "g"], key=lambda name: ids[name])  # same start_time: run_id ascending
    assert found(populated) == [*f_and_g, "e", "d", "c", "b", "a"]


def test_order_by_metric_puts_nan_then_missing_last(populated) -> None:
    _, _, ids = populated
    tie = sorted(["a", "g"], key=lambda name: (-RUNS[name][0], ids[name]))  # ties: start_time DESC, run_id
    ascending = found(populated, order_by=(OrderBy(M, "rmse", True),))
    assert ascending == ["d", "b", *tie, "c", "e", "f"]
    descending = found(populated, order_by=(OrderBy(M, "rmse", False),))
    assert descending == ["c", *tie, "b", "d", "e", "f"]
    filtered = found(
        populated, Comparison(M, "rmse", Operator.LT, 1.0), order_by=(OrderBy(M, "rmse", False),)
    )
    assert filtered == [*tie, "b", "d"]


def test_order_by_param_tag_and_attributes(populated) -> None:
    _, _, ids = populated
    f_and_g = sorted(["f", "g"], key=lambda name: ids[name])  # same start_time: run_id ascending
    by_model = found(populated, order_by=(OrderBy(P, "model", True),))
    assert by_model == ["b", "e", "d", "a", "f", "c", "g"]  # code points: "RF" < "lr" < "rf" < "rf%" < "xgb"
    by_model_desc = found(populated, order_by=(OrderBy(P, "model", False),))
    assert by_model_desc == ["c", "f", "d", "a", "e", "b", "g"]  # missing still last
    by_team = found(populated, order_by=(OrderBy(T, "team", True), OrderBy(A, "start_time", True)))
    assert by_team == ["a", "c", "b", "d", "e", *f_and_g]
    by_end = found(populated, order_by=(OrderBy(A, "end_time", False),))
    assert by_end[:2] == ["b", "a"]
    by_name = found(populated, order_by=(OrderBy(A, "run_name", False),))
    assert by_name == list("gfedcba")
    by_start = found(populated, order_by=(OrderBy(A, "start_time", True),))
    assert by_start[:5] == list("abcde")


# -- paging --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "order_by",
    [(), (OrderBy(M, "rmse", True),), (OrderBy(P, "model", False),), (OrderBy(A, "start_time", True),)],
    ids=["default", "metric", "param", "start_time"],
)
def test_paging_returns_every_run_once_in_order(populated, order_by) -> None:
    store, experiment_id, _ = populated
    whole = store.search_runs([experiment_id], [], list(order_by), ViewType.ALL, 1000, None)
    assert whole.token is None
    seen: list[str] = []
    token = None
    pages = 0
    while True:
        page = store.search_runs([experiment_id], [], list(order_by), ViewType.ALL, 2, token)
        seen += [run.info.run_id for run in page]
        pages += 1
        token = page.token
        if token is None:
            break
    assert pages == 4
    assert seen == [run.info.run_id for run in whole]
    assert len(set(seen)) == len(RUNS)


def test_search_rejects_bad_max_results_and_tokens(populated) -> None:
    store, experiment_id, _ = populated
    for bad in (0, -1, 50_001):
        with pytest.raises(InvalidArgument) as error:
            store.search_runs([experiment_id], [], [], ViewType.ALL, bad, None)
        assert error.value.field == "max_results"
    store.search_runs([experiment_id], [], [], ViewType.ALL, 50_000, None)
    for token in ("%%%", "bm90IGpzb24", "eyJvZmZzZXQiOiAtMX0"):  # not base64; not JSON; {"offset": -1}
        with pytest.raises(InvalidArgument) as error:
            store.search_runs([experiment_id], [], [], ViewType.ALL, 10, token)
        assert error.value.field == "page_token"


# -- full runs, constant number of queries ---------------------------------------------------------------
def test_search_returns_full_runs(populated) -> None:
    store, experiment_id, ids = populated
    store.log_inputs(ids["a"], [DatasetInput(Dataset("train", "d1", "local", "/t.csv"))])
    (run,) = store.search_runs(
        [experiment_id], [Comparison(A, "run_name", Operator.EQ, "a")], [], ViewType.ALL, 10, None
    )
    assert run == store.get_run(ids["a"])
    assert run.data.metrics == {"rmse": 0.3, "acc": 0.9}
    assert run.data.params == {"model": "rf", "depth": "3"}
    assert run.data.tags["team"] == "Vision"
    assert run.inputs.dataset_inputs[0].dataset.name == "train"


@pytest.fixture
def statements(db_uri: str) -> Iterator[list[str]]:
    executed: list[str] = []
    engine = get_engine(db_uri)

    def record(conn: sa.Connection, cursor, statement: str, *args: object) -> None:
        executed.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    yield executed
    event.remove(engine, "before_cursor_execute", record)


def test_query_count_does_not_grow_with_the_page(store: SqlTrackingStore, statements: list[str]) -> None:
    experiment_id = store.create_experiment("n+1", None, [])
    for i in range(60):
        run_id = store.create_run(experiment_id, "u", i, f"r{i}", []).info.run_id
        store.log_batch(run_id, [Metric("m", i, 1, 0)], [Param("p", str(i))], [RunTag("t", "x")])
        store.log_inputs(run_id, [DatasetInput(Dataset("d", "x", "local", "/d"))])
    counts = []
    for size in (1, 10, 60):
        statements.clear()
        page = store.search_runs([experiment_id], [], [OrderBy(M, "m", True)], ViewType.ALL, size, None)
        assert len(page) == size
        assert all(run.data.params and run.inputs.dataset_inputs for run in page)
        counts.append(len(statements))
    assert counts[0] == counts[1] == counts[2] <= 5
