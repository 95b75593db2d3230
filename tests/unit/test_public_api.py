"""The lazy top-level API: every advertised name resolves; the MLflow spellings are the same objects."""

from __future__ import annotations

import flowtrack
from flowtrack.client import Client
from flowtrack.tracking import fluent
from flowtrack.tracking.client import TrackingClient


def test_all_lists_exactly_the_lazy_names() -> None:
    assert sorted(flowtrack.__all__) == sorted(flowtrack._LAZY)


def test_every_public_name_resolves() -> None:
    for name in flowtrack.__all__:
        assert getattr(flowtrack, name) is not None


def test_mlflow_spellings_share_objects() -> None:
    assert flowtrack.MlflowClient is flowtrack.Client is Client
    assert issubclass(Client, TrackingClient)
    assert flowtrack.start_run is fluent.start_run
    assert flowtrack.entities.Metric is flowtrack.entities.__dict__["Metric"]


def test_client_follows_set_tracking_uri(tmp_path: object) -> None:
    uri = f"sqlite:///{tmp_path}/chosen.db"
    flowtrack.set_tracking_uri(uri)
    assert flowtrack.Client().tracking_uri == uri
    assert flowtrack.get_tracking_uri() == uri
