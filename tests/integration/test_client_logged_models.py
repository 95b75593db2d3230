"""TrackingClient's logged-model methods on every database, embedded (SQL store) and through a server (REST
store), and against a real MLflow server: same names, arguments and results as ``mlflow.MlflowClient``."""

from __future__ import annotations

import re
import uuid

import pytest

import flowtrack as ft
from flowtrack.exceptions import ExperimentNotFound, InvalidArgument, LoggedModelNotFound, NotFound
from flowtrack.tracking.client import TrackingClient
from flowtrack.tracking.entities import LoggedModelOutput, RunOutputs
from flowtrack.tracking.logged_models import LoggedModelMetric, LoggedModelStatus


def client_for(uri: str) -> TrackingClient:
    ft.set_tracking_uri(uri)
    return ft.Client()


def check_logged_models(client: TrackingClient, *, status_filter: bool = True) -> None:
    experiment_id = client.create_experiment(f"models-{uuid.uuid4().hex[:12]}")
    location = client.get_experiment(experiment_id).artifact_location
    run_id = client.create_run(experiment_id).info.run_id

    model = client.create_logged_model(
        experiment_id, "model", run_id, tags={"team": "ml"}, params={"alpha": 0.5}, model_type="sklearn"
    )
    assert re.fullmatch(r"m-[0-9a-f]{32}", model.model_id)
    assert (model.experiment_id, model.name, model.source_run_id) == (experiment_id, "model", run_id)
    assert model.artifact_location == f"{location.rstrip('/')}/models/{model.model_id}/artifacts"
    assert model.status is LoggedModelStatus.PENDING
    assert (model.tags, model.params, model.model_type) == ({"team": "ml"}, {"alpha": "0.5"}, "sklearn")
    assert client.get_logged_model(model.model_id) == model

    client.store.log_outputs(run_id, [LoggedModelOutput(model.model_id, 2)])
    assert client.get_run(run_id).outputs == RunOutputs((LoggedModelOutput(model.model_id, 2),))
    point = LoggedModelMetric("acc", 0.75, 1700000000000, 2, run_id, model.model_id)
    client.store.log_logged_model_metrics(run_id, [point])

    ready = client.finalize_logged_model(model.model_id, "READY")
    assert ready.status is LoggedModelStatus.READY
    assert ready.metrics == (point,)
    assert ready.last_updated_timestamp_ms >= model.creation_timestamp_ms

    client.set_logged_model_tags(model.model_id, {"team": "research", "stage": 1})
    assert client.get_logged_model(model.model_id).tags == {"stage": "1", "team": "research"}
    client.delete_logged_model_tag(model.model_id, "stage")
    assert client.get_logged_model(model.model_id).tags == {"team": "research"}
    with pytest.raises(NotFound):
        client.delete_logged_model_tag(model.model_id, "stage")

    other = client.create_logged_model(experiment_id, "other")
    client.store.log_logged_model_metrics(
        run_id, [LoggedModelMetric("acc", 0.9, 1700000000000, 0, run_id, other.model_id)]
    )
    newest_first = client.search_logged_models([experiment_id])
    assert [m.model_id for m in newest_first] == [
        m.model_id for m in sorted((ready, other), key=lambda m: (-m.creation_timestamp_ms, m.model_id))
    ]
    by_metric = client.search_logged_models(
        [experiment_id], order_by=[{"field_name": "metrics.acc", "ascending": False}]
    )
    assert [m.name for m in by_metric] == ["other", "model"]
    assert [m.name for m in client.search_logged_models(experiment_id, order_by=["name DESC"])] == [
        "other",
        "model",
    ]
    # MLflow stores the status as a number, so its server matches no model on status = 'READY'
    condition = "status = 'READY' AND tags.team = 'research'" if status_filter else "tags.team = 'research'"
    assert [m.model_id for m in client.search_logged_models([experiment_id], condition)] == [model.model_id]
    page = client.search_logged_models([experiment_id], max_results=1, order_by=["name"])
    assert [m.name for m in page] == ["model"]
    rest = client.search_logged_models(
        [experiment_id], max_results=1, order_by=["name"], page_token=page.token
    )
    assert [m.name for m in rest] == ["other"]

    with pytest.raises(LoggedModelNotFound):
        client.get_logged_model("m-" + "0" * 32)
    with pytest.raises(ExperimentNotFound):
        client.create_logged_model("987654")
    with pytest.raises(InvalidArgument):
        client.create_logged_model(experiment_id, "bad/name")
    with pytest.raises(InvalidArgument):
        client.finalize_logged_model(model.model_id, "DONE")


def test_logged_models_embedded_and_through_a_server(tracking_uri: str) -> None:
    check_logged_models(client_for(tracking_uri))


def test_logged_models_against_mlflow(mlflow_server: str) -> None:
    """The REST store speaks MLflow's protocol: the same checks pass against a real MLflow server."""
    check_logged_models(client_for(mlflow_server), status_filter=False)
