"""``flowtrack.Client``: one object over every domain, as ``mlflow.MlflowClient`` is for MLflow.

Each domain keeps its own client class in its own layer; this module, above them all, only composes them.
"""

from __future__ import annotations

from flowtrack.registry.client import RegistryClient
from flowtrack.tracking.client import TrackingClient


class Client(TrackingClient, RegistryClient):
    """Experiments, runs, artifacts, logged models and the model registry, on one tracking URI."""


MlflowClient = Client
