"""The web UI's native endpoints under /api/v1, through a real server on SQLite, PostgreSQL and MySQL."""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest

from tests.fixtures.server import MlflowApi, assert_error


def _v1(api: MlflowApi, endpoint: str, body: Any) -> Any:
    return api.http.post(f"/api/v1/{endpoint}", json=body)


@pytest.fixture(scope="module")
def seeded(mlflow_api: MlflowApi) -> dict[str, Any]:
    """An experiment of 12 runs: params lr/depth, tag team, metric loss (run i's last loss is i), one NaN."""
    experiment_id = mlflow_api.create_experiment()
    run_ids = []
    for i in range(12):
        run_id = mlflow_api.create_run(experiment_id, run_name=f"r{i:02d}", start_time=1000 + i)["info"][
            "run_id"
        ]
        run_ids.append(run_id)
        metrics = [{"key": "loss", "value": float(i), "timestamp": 5, "step": 1}]
        if i == 11:
            metrics.append({"key": "odd", "value": "NaN", "timestamp": 5, "step": 0})
        body = {
            "run_id": run_id,
            "params": [
                {"key": "lr", "value": str([0.1, 0.01][i % 2])},
                {"key": "depth", "value": str(i % 3)},
            ],
            "tags": [{"key": "team", "value": ["a", "b", "c"][i % 3]}],
            "metrics": metrics,
        }
        mlflow_api.ok(mlflow_api.post("runs/log-batch", body))
    mlflow_api.ok(mlflow_api.post("runs/delete", {"run_id": run_ids[0]}))
    return {"experiment_id": experiment_id, "run_ids": run_ids}


def test_table_pages_sort_filter_and_count(mlflow_api: MlflowApi, seeded: dict[str, Any]) -> None:
    body = {
        "experiment_ids": [seeded["experiment_id"]],
        "order_by": ["metrics.loss DESC"],
        "filter": "tags.team != 'c'",
        "limit": 3,
        "metrics": ["loss"],
        "params": ["lr"],
        "tags": [],
    }
    first = mlflow_api.ok(_v1(mlflow_api, "runs/table", body))
    # runs 1..11 are active; team c is i % 3 == 2: 2, 5, 8, 11 -> 7 left
    assert first["total"] == 7
    assert [row["run_name"] for row in first["runs"]] == ["r10", "r09", "r07"]
    row = first["runs"][0]
    assert row["metrics"] == {"loss": 10.0}
    assert row["params"] == {"lr": "0.1"}
    assert row["tags"] == {}
    assert row["status"] == "RUNNING"
    assert row["experiment_id"] == seeded["experiment_id"]
    second = mlflow_api.ok(_v1(mlflow_api, "runs/table", {**body, "offset": 6, "count": False}))
    assert "total" not in second
    assert [row["run_name"] for row in second["runs"]] == ["r01"]


def test_table_without_key_selection_returns_every_key(mlflow_api: MlflowApi, seeded: dict[str, Any]) -> None:
    body = {"experiment_ids": [seeded["experiment_id"]], "filter": "attributes.run_name = 'r11'"}
    row = mlflow_api.ok(_v1(mlflow_api, "runs/table", body))["runs"][0]
    assert row["params"] == {"lr": "0.01", "depth": "2"}
    assert row["metrics"] == {"loss": 11.0, "odd": "NaN"}
    assert row["tags"]["team"] == "c"


def test_table_views_deleted_runs(mlflow_api: MlflowApi, seeded: dict[str, Any]) -> None:
    body = {"experiment_ids": [seeded["experiment_id"]], "view_type": "DELETED_ONLY"}
    found = mlflow_api.ok(_v1(mlflow_api, "runs/table", body))
    assert found["total"] == 1
    assert found["runs"][0]["run_id"] == seeded["run_ids"][0]
    assert found["runs"][0]["lifecycle_stage"] == "deleted"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"filter": "metrics.loss >< 2"}, "position 14"),
        ({"order_by": ["nope.x"]}, "nope"),
        ({"limit": 0}, "limit"),
        ({"limit": 100_000}, "limit"),
        ({"offset": -1}, "offset"),
        ({"experiment_ids": []}, "experiment_ids"),
        ({"experiment_ids": ["x"]}, "experiment"),
        ({"view_type": "SOME"}, "view_type"),
        ({"metrics": [""]}, "metrics"),
    ],
)
def test_table_refuses_bad_input(
    mlflow_api: MlflowApi, seeded: dict[str, Any], change: dict[str, Any], field: str
) -> None:
    body = {"experiment_ids": [seeded["experiment_id"]], **change}
    response = _v1(mlflow_api, "runs/table", body)
    assert response.status_code in (400, 404), response.text
    assert field in response.json()["message"]


def test_columns_of_an_experiment(mlflow_api: MlflowApi, seeded: dict[str, Any]) -> None:
    response = mlflow_api.http.get(
        "/api/v1/experiments/columns", params={"experiment_id": seeded["experiment_id"]}
    )
    found = mlflow_api.ok(response)
    assert found["params"] == ["depth", "lr"]
    assert found["metrics"] == ["loss", "odd"]
    assert "team" in found["tags"]
    assert "mlflow.runName" in found["tags"]


def test_columns_of_an_empty_and_of_a_missing_experiment(mlflow_api: MlflowApi) -> None:
    empty = mlflow_api.create_experiment()
    found = mlflow_api.ok(mlflow_api.http.get("/api/v1/experiments/columns", params={"experiment_id": empty}))
    assert found == {"params": [], "metrics": [], "tags": []}
    for unknown in ("abc", "987654"):
        missing = mlflow_api.http.get("/api/v1/experiments/columns", params={"experiment_id": unknown})
        assert_error(missing, 404, "RESOURCE_DOES_NOT_EXIST", unknown)


def test_groups_count_runs_per_param_value(mlflow_api: MlflowApi, seeded: dict[str, Any]) -> None:
    body = {"experiment_ids": [seeded["experiment_id"]], "param": "depth", "filter": "metrics.loss >= 3"}
    found = mlflow_api.ok(_v1(mlflow_api, "runs/groups", body))
    # loss 3..11 -> depths 0,1,2,0,1,2,0,1,2
    assert found["groups"] == [
        {"value": "0", "count": 3},
        {"value": "1", "count": 3},
        {"value": "2", "count": 3},
    ]
    missing = mlflow_api.ok(_v1(mlflow_api, "runs/groups", {**body, "param": "nope"}))
    assert missing["groups"] == [{"value": None, "count": 9}]


def test_groups_carry_the_range_of_a_metric(mlflow_api: MlflowApi, seeded: dict[str, Any]) -> None:
    body = {"experiment_ids": [seeded["experiment_id"]], "param": "lr", "metric": "loss"}
    found = mlflow_api.ok(_v1(mlflow_api, "runs/groups", body))
    assert found["metric"] == "loss"
    by_value = {group["value"]: group for group in found["groups"]}
    # active runs 1..11 (run 0 is deleted): lr 0.01 for odd i, 0.1 for even i; loss = i
    assert by_value["0.01"] == {"value": "0.01", "count": 6, "min": 1.0, "mean": 6.0, "max": 11.0}
    assert by_value["0.1"] == {"value": "0.1", "count": 5, "min": 2.0, "mean": 6.0, "max": 10.0}
    no_values = mlflow_api.ok(_v1(mlflow_api, "runs/groups", {**body, "metric": "odd"}))  # only NaN, once
    assert {group["value"]: "min" in group for group in no_values["groups"]} == {"0.01": False, "0.1": False}
    bad = _v1(mlflow_api, "runs/groups", {**body, "metric": ""})
    assert_error(bad, 400, "INVALID_PARAMETER_VALUE", "metric")


@pytest.fixture(scope="module")
def long_run(mlflow_api: MlflowApi) -> dict[str, Any]:
    """A run with 5,002 points of ``wave`` (a spike at step 2,345; NaN at 2,346 and, alone in its bucket,
    9,000), 300 of ``flat`` (all at step 0) and 10 of ``short`` (one NaN)."""
    experiment_id = mlflow_api.create_experiment()
    run_id = mlflow_api.create_run(experiment_id)["info"]["run_id"]
    points = [
        {
            "key": "wave",
            "value": 1000.0 if step == 2345 else math.sin(step / 50),
            "timestamp": step,
            "step": step,
        }
        for step in range(5000)
    ]
    points += [{"key": "wave", "value": "NaN", "timestamp": step, "step": step} for step in (2346, 9000)]
    for start in range(0, len(points), 1000):
        mlflow_api.ok(
            mlflow_api.post("runs/log-batch", {"run_id": run_id, "metrics": points[start : start + 1000]})
        )
    flat = [
        {"key": "flat", "value": 9.0 if ts == 150 else 1.0, "timestamp": ts, "step": 0} for ts in range(300)
    ]
    mlflow_api.ok(mlflow_api.post("runs/log-batch", {"run_id": run_id, "metrics": flat}))
    short = [
        {"key": "short", "value": float(step), "timestamp": 10 + step, "step": step} for step in range(10)
    ]
    short[4]["value"] = "NaN"
    mlflow_api.ok(mlflow_api.post("runs/log-batch", {"run_id": run_id, "metrics": short}))
    return {"run_id": run_id, "experiment_id": experiment_id}


def test_history_below_max_points_is_whole(mlflow_api: MlflowApi, long_run: dict[str, Any]) -> None:
    params = {"run_id": long_run["run_id"], "key": "short", "max_points": 100}
    found = mlflow_api.ok(mlflow_api.http.get("/api/v1/metrics/history", params=params))
    assert found["sampled"] is False
    assert found["total"] == 10
    assert found["steps"] == list(range(10))
    assert found["timestamps"] == [10 + step for step in range(10)]
    assert found["values"][4] is None  # NaN: a gap
    assert found["values"][5] == 5.0


def test_history_downsampling_keeps_spikes_and_extremes(
    mlflow_api: MlflowApi, long_run: dict[str, Any]
) -> None:
    params = {"run_id": long_run["run_id"], "key": "wave", "max_points": 200}
    found = mlflow_api.ok(mlflow_api.http.get("/api/v1/metrics/history", params=params))
    assert found["sampled"] is True
    assert found["total"] == 5002
    assert None not in found["values"]  # a sampled history leaves non-finite points out
    assert 50 <= len(found["steps"]) <= 200
    assert found["steps"] == sorted(found["steps"])
    assert 1000.0 in found["values"]
    assert found["steps"][found["values"].index(1000.0)] == 2345
    finite = [value for value in found["values"] if value != 1000.0]
    assert min(finite) == pytest.approx(-1, abs=1e-3)
    assert max(finite) == pytest.approx(1, abs=1e-3)


def test_many_histories_in_one_request(
    mlflow_api: MlflowApi, long_run: dict[str, Any], seeded: dict[str, Any]
) -> None:
    runs = [long_run["run_id"], seeded["run_ids"][3]]
    body = {"run_ids": runs, "keys": ["short", "loss"], "max_points": 50}
    found = mlflow_api.ok(_v1(mlflow_api, "metrics/histories", body))["histories"]
    assert [(h["run_id"], h["key"], h["total"]) for h in found] == [
        (runs[0], "short", 10),
        (runs[0], "loss", 0),
        (runs[1], "short", 0),
        (runs[1], "loss", 1),
    ]
    assert found[3]["values"] == [3.0]


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"run_ids": [], "keys": ["a"]}, 400, "run_ids"),
        ({"run_ids": ["x"], "keys": []}, 400, "keys"),
        ({"run_ids": ["x"], "keys": ["a"], "max_points": 1}, 400, "max_points"),
        ({"run_ids": ["x"], "keys": ["a"], "max_points": 10**7}, 400, "max_points"),
        ({"run_ids": [f"r{i}" for i in range(101)], "keys": ["a"]}, 400, "run_ids"),
        ({"run_ids": [uuid.uuid4().hex], "keys": ["a"]}, 404, "no run"),
        ({"run_ids": ["x"], "keys": ["a"], "extra": 1}, 400, "extra"),
    ],
)
def test_histories_refuse_bad_input(
    mlflow_api: MlflowApi, body: dict[str, Any], status: int, fragment: str
) -> None:
    response = _v1(mlflow_api, "metrics/histories", body)
    assert response.status_code == status, response.text
    assert fragment in response.json()["message"]


def test_history_of_one_step_is_bucketed_by_time(mlflow_api: MlflowApi, long_run: dict[str, Any]) -> None:
    params = {"run_id": long_run["run_id"], "key": "flat", "max_points": 20}
    found = mlflow_api.ok(mlflow_api.http.get("/api/v1/metrics/history", params=params))
    assert found["total"] == 300, found
    assert found["sampled"] is True
    assert 10 <= len(found["values"]) <= 20
    assert found["timestamps"] == sorted(found["timestamps"])
    assert found["timestamps"][found["values"].index(9.0)] == 150
    assert set(found["steps"]) == {0}


# -- nested runs -------------------------------------------------------------------------------------------
PARENT_TAG = "mlflow.parentRunId"


@pytest.fixture(scope="module")
def tree(mlflow_api: MlflowApi) -> dict[str, str]:
    """train (children a, b, c and a deleted d; a has a child a1), lone, and stray: a child of a run in
    another experiment. Names are run ids' keys; loss orders the children c < a < b."""
    experiment_id = mlflow_api.create_experiment()
    other = mlflow_api.create_experiment()
    ids = {"experiment": experiment_id}

    def run(name: str, start: int, parent: str | None = None, loss: float | None = None) -> str:
        tags = [{"key": PARENT_TAG, "value": ids[parent]}] if parent else []
        where = other if name == "elsewhere" else experiment_id
        created = mlflow_api.create_run(where, run_name=name, start_time=start, tags=tags)
        run_id: str = created["info"]["run_id"]
        if loss is not None:
            metric = {"key": "loss", "value": loss, "timestamp": 1, "step": 0}
            mlflow_api.ok(mlflow_api.post("runs/log-batch", {"run_id": run_id, "metrics": [metric]}))
        ids[name] = run_id
        return run_id

    run("train", 3000)
    run("lone", 2000)
    run("elsewhere", 1000)
    run("stray", 1500, parent="elsewhere")
    run("a", 3001, parent="train", loss=2.0)
    run("b", 3002, parent="train", loss=3.0)
    run("c", 3003, parent="train", loss=1.0)
    run("d", 3004, parent="train", loss=0.5)
    run("a1", 3005, parent="a")
    mlflow_api.ok(mlflow_api.post("runs/delete", {"run_id": ids["d"]}))
    return ids


def _table(api: MlflowApi, tree: dict[str, str], **fields: Any) -> Any:
    body = {"experiment_ids": [tree["experiment"]], "metrics": ["loss"], "params": [], "tags": [], **fields}
    return api.ok(_v1(api, "runs/table", body))


def test_top_level_runs_carry_their_child_count(mlflow_api: MlflowApi, tree: dict[str, str]) -> None:
    found = _table(mlflow_api, tree, top_level_only=True)
    # stray's parent is in another experiment: it stays at the top instead of vanishing
    assert found["total"] == 3
    assert [(row["run_name"], row["child_count"]) for row in found["runs"]] == [
        ("train", 3),
        ("lone", 0),
        ("stray", 0),
    ]
    paged = _table(mlflow_api, tree, top_level_only=True, offset=1, limit=1)
    assert [row["run_name"] for row in paged["runs"]] == ["lone"]
    assert paged["total"] == 3
    with_deleted = _table(mlflow_api, tree, top_level_only=True, view_type="ALL")
    assert [row["child_count"] for row in with_deleted["runs"]] == [4, 0, 0]


def test_children_of_a_run_follow_the_sort(mlflow_api: MlflowApi, tree: dict[str, str]) -> None:
    found = _table(mlflow_api, tree, parent_run_id=tree["train"], order_by=["metrics.loss ASC"])
    assert found["total"] == 3
    assert [(row["run_name"], row["child_count"]) for row in found["runs"]] == [("c", 0), ("a", 1), ("b", 0)]
    assert all(row["tags"] == {} for row in found["runs"])
    grandchildren = _table(mlflow_api, tree, parent_run_id=tree["a"])
    assert [row["run_name"] for row in grandchildren["runs"]] == ["a1"]
    deleted = _table(mlflow_api, tree, parent_run_id=tree["train"], view_type="DELETED_ONLY")
    assert [row["run_name"] for row in deleted["runs"]] == ["d"]
    assert _table(mlflow_api, tree, parent_run_id=tree["lone"]) == {"offset": 0, "runs": [], "total": 0}


def test_a_flat_table_has_no_child_count(mlflow_api: MlflowApi, tree: dict[str, str]) -> None:
    found = _table(mlflow_api, tree, filter="attributes.run_name LIKE 'a%'")
    assert sorted(row["run_name"] for row in found["runs"]) == ["a", "a1"]
    assert all("child_count" not in row for row in found["runs"])
    matching = _table(mlflow_api, tree, top_level_only=True, filter="metrics.loss > 0")
    assert matching["total"] == 0  # every run with a loss is a child


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"parent_run_id": ""}, "parent_run_id"),
        ({"parent_run_id": "x" * 300}, "parent_run_id"),
        ({"parent_run_id": 5}, "parent_run_id"),
        ({"top_level_only": "maybe"}, "top_level_only"),
        ({"top_level_only": True, "parent_run_id": "abc"}, "top_level_only"),
    ],
)
def test_nesting_refuses_bad_input(
    mlflow_api: MlflowApi, tree: dict[str, str], change: dict[str, Any], field: str
) -> None:
    response = _v1(mlflow_api, "runs/table", {"experiment_ids": [tree["experiment"]], **change})
    assert response.status_code == 400, response.text
    assert field in response.json()["message"]


def test_a_nested_page_costs_a_fixed_number_of_queries(store: Any) -> None:
    """Four statements (page, total, keys, child counts) whether the page holds 2 parents or 30."""
    import sqlalchemy as sa

    from flowtrack.server.services.ui_reads import UiReadService
    from flowtrack.tracking.entities import RunTag
    from flowtrack.tracking.stores.sql.ui_reads import KeySelection, Nesting

    experiment_id = store.create_experiment(f"nest-{uuid.uuid4().hex[:8]}", None, [])
    service = UiReadService(store)

    def statements_for_a_page() -> tuple[int, list[int]]:
        seen: list[str] = []

        def record(*args: Any) -> None:
            if args[2].lstrip().upper().startswith("SELECT"):  # not SQLite's explicit BEGIN
                seen.append(args[2])

        sa.event.listen(sa.engine.Engine, "before_cursor_execute", record)
        try:
            page = service.run_table(
                [experiment_id],
                None,
                [],
                "ACTIVE_ONLY",
                0,
                100,
                KeySelection([], None, []),
                count=True,
                nesting=Nesting(top_level_only=True),
            )
        finally:
            sa.event.remove(sa.engine.Engine, "before_cursor_execute", record)
        return len(seen), sorted(row["child_count"] for row in page["runs"])

    def family(children: int) -> None:
        parent = store.create_run(experiment_id, "u", 1, "parent", [])
        for _ in range(children):
            store.create_run(experiment_id, "u", 2, "child", [RunTag(PARENT_TAG, parent.info.run_id)])

    family(2)
    family(0)
    small = statements_for_a_page()
    for children in range(28):
        family(children % 3)
    large = statements_for_a_page()
    assert small == (4, [0, 2])
    assert large[0] == 4
    assert large[1] == sorted([0, 2] + [children % 3 for children in range(28)])
