"""``flowtrack.Client``: one object over every domain, as ``mlflow.MlflowClient`` is for MLflow.

Each domain keeps its own client class in its own layer; this module, above them all, only composes them.
"""

from __future__ import annotations

from flowtrack.tracking.client import TrackingClient


class Client(TrackingClient):
    """Experiments, runs, artifacts and logged models; the registry and orchestration join as they land."""


MlflowClient = Client
