"""The REST store against a real ``flowtrack server`` on every database: errors come back as the same
exceptions the embedded store raises, long histories page, and non-finite values survive the JSON."""

from __future__ import annotations

import math
import multiprocessing

import pytest

import flowtrack as ft
from flowtrack.exceptions import (
    ExperimentAlreadyExists,
    ExperimentNotActive,
    ExperimentNotFound,
    FilterSyntaxError,
    InvalidArgument,
    NotFound,
    ParamOverwriteError,
    RunNotActive,
    RunNotFound,
)
from flowtrack.tracking.entities import Metric
from flowtrack.tracking.stores.rest.store import HISTORY_PAGE_SIZE, RestTrackingStore
from tests.fixtures.databases import BACKENDS
from tests.integration.conftest import SharedServers


@pytest.fixture(params=BACKENDS)
def client(request: pytest.FixtureRequest, shared_servers: SharedServers) -> ft.Client:
    ft.set_tracking_uri(shared_servers.url(str(request.param)))
    return ft.Client()


def test_the_store_is_the_rest_store(client: ft.Client) -> None:
    assert isinstance(client.store, RestTrackingStore)


def test_errors_are_the_embedded_stores_exceptions(client: ft.Client) -> None:
    experiment_id = client.create_experiment("errors")
    with pytest.raises(ExperimentAlreadyExists, match="errors"):
        client.create_experiment("errors")
    with pytest.raises(ExperimentNotFound):
        client.get_experiment("987654")
    assert client.get_experiment_by_name("no such experiment") is None
    run_id = client.create_run(experiment_id).info.run_id
    client.log_param(run_id, "lr", 0.1)
    client.log_param(run_id, "lr", 0.1)  # the same value again is fine
    with pytest.raises(ParamOverwriteError, match="lr"):
        client.log_param(run_id, "lr", 0.2)
    with pytest.raises(NotFound) as missing_tag:
        client.delete_tag(run_id, "never-set")
    assert not isinstance(missing_tag.value, RunNotFound)
    with pytest.raises(RunNotFound):
        client.delete_tag("0" * 32, "x")
    client.delete_run(run_id)
    with pytest.raises(RunNotActive):
        client.log_metric(run_id, "m", 1.0)
    client.delete_experiment(experiment_id)
    with pytest.raises(ExperimentNotActive):
        client.create_run(experiment_id)


def test_filters_are_parsed_before_anything_is_sent(client: ft.Client) -> None:
    with pytest.raises(FilterSyntaxError) as error:
        client.search_runs(["0"], "metrics.rmse < 1 and params.x ~ 2")
    assert error.value.position == len("metrics.rmse < 1 and params.x ")


def test_the_servers_own_refusals_keep_its_message(client: ft.Client) -> None:
    with pytest.raises(InvalidArgument, match="token"):
        client.search_runs(["0"], page_token="not-a-token")


def test_a_long_history_comes_back_whole_and_in_order(client: ft.Client) -> None:
    run_id = client.create_run("0").info.run_id
    total = HISTORY_PAGE_SIZE + 3_000
    for start in range(0, total, 1000):
        batch = [Metric("loss", float(step), 1000 + step, step) for step in range(start, start + 1000)]
        client.log_batch(run_id, metrics=batch)
    history = client.get_metric_history(run_id, "loss")
    assert len(history) == total
    assert history.token is None
    assert [point.step for point in history] == list(range(total))
    page = client.get_metric_history(run_id, "loss", max_results=10)
    rest = client.get_metric_history(run_id, "loss", max_results=10, page_token=page.token)
    assert [point.step for point in [*page, *rest]] == list(range(20))


def test_non_finite_values_survive_the_wire(client: ft.Client) -> None:
    run_id = client.create_run("0").info.run_id
    values = [math.nan, math.inf, -math.inf, 1e308, -0.0, 5e-324]
    client.log_batch(run_id, metrics=[Metric("v", value, 1, step) for step, value in enumerate(values)])
    history = [point.value for point in client.get_metric_history(run_id, "v")]
    assert math.isnan(history[0])
    assert history[1:] == values[1:]


def _log_in_child(run_id: str) -> None:
    ft.Client().log_metric(run_id, "m", 1.0, step=1)


def test_a_forked_child_logs_through_connections_of_its_own(client: ft.Client) -> None:
    run_id = client.create_run("0").info.run_id
    client.log_metric(run_id, "m", 0.0, step=0)  # the parent's pool now holds an open connection
    child = multiprocessing.get_context("fork").Process(target=_log_in_child, args=(run_id,))
    child.start()
    child.join(30)
    assert child.exitcode == 0
    client.log_metric(run_id, "m", 2.0, step=2)
    assert [point.step for point in client.get_metric_history(run_id, "m")] == [0, 1, 2]
