"""search_runs and search_experiments through the fluent API and the client, on every database, embedded and
through a server."""

from __future__ import annotations

import pytest

import flowtrack as ft
from flowtrack.exceptions import FilterSyntaxError


@pytest.fixture
def populated(tracking_uri: str) -> str:
    ft.set_tracking_uri(tracking_uri)
    experiment_id = ft.set_experiment("search").experiment_id
    for index, (model, rmse) in enumerate([("rf", 0.3), ("rf", 0.7), ("lr", 0.2), ("rf", 0.1), ("xgb", 0.4)]):
        with ft.start_run(run_name=f"run-{index}"):
            ft.log_params({"model": model, "depth": index})
            ft.log_metric("rmse", rmse)
            ft.set_tag("team", "a" if index % 2 else "b")
    return experiment_id


def test_filter_and_order_as_in_the_seed(populated: str) -> None:
    runs = ft.Client().search_runs(
        [populated],
        "metrics.rmse < 0.5 and params.model = 'rf'",
        order_by=["metrics.rmse ASC"],
        max_results=5,
    )
    assert [run.data.metrics["rmse"] for run in runs] == [0.1, 0.3]
    assert all(run.data.params["model"] == "rf" for run in runs)


def test_search_runs_returns_a_dataframe(populated: str) -> None:
    frame = ft.search_runs(order_by=["metrics.rmse DESC"])
    assert list(frame["metrics.rmse"]) == [0.7, 0.4, 0.3, 0.2, 0.1]
    assert {"run_id", "status", "start_time", "params.model", "tags.team"} <= set(frame.columns)
    assert str(frame["start_time"].dtype).startswith("datetime64")


def test_search_runs_list_and_paging(populated: str) -> None:
    client = ft.Client()
    seen: list[str] = []
    token = None
    while True:
        page = client.search_runs([populated], max_results=2, order_by=["params.depth ASC"], page_token=token)
        seen.extend(run.info.run_name for run in page)
        token = page.token
        if token is None:
            break
    assert seen == [f"run-{index}" for index in range(5)]
    listed = ft.search_runs(filter_string="tags.team = 'a'", output_format="list")
    assert sorted(run.info.run_name for run in listed) == ["run-1", "run-3"]


def test_deleted_runs_need_the_view_type(populated: str) -> None:
    victim = ft.search_runs(filter_string="attributes.run_name = 'run-2'", output_format="list")[0]
    ft.delete_run(victim.info.run_id)
    active = ft.search_runs(output_format="list")
    assert victim.info.run_id not in {run.info.run_id for run in active}
    deleted = ft.search_runs(run_view_type="DELETED_ONLY", output_format="list")
    assert [run.info.run_id for run in deleted] == [victim.info.run_id]
    ft.Client().restore_run(victim.info.run_id)
    assert len(ft.search_runs(output_format="list")) == 5


def test_malformed_filter_names_the_position(populated: str) -> None:
    with pytest.raises(FilterSyntaxError) as error:
        ft.search_runs(filter_string="metrics.rmse <")
    assert error.value.position == len("metrics.rmse <")
    assert error.value.field == "filter"


def test_experiments_lifecycle_through_client(populated: str) -> None:
    client = ft.Client()
    client.rename_experiment(populated, "renamed")
    assert client.get_experiment(populated).name == "renamed"
    client.delete_experiment(populated)
    names = {experiment.name for experiment in ft.search_experiments()}
    assert "renamed" not in names
    assert "renamed" in {experiment.name for experiment in ft.search_experiments(view_type="DELETED_ONLY")}
    client.restore_experiment(populated)
    assert client.get_experiment(populated).lifecycle_stage == "active"
    assert len(ft.search_runs([populated], output_format="list")) == 5
