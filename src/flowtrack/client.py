"""``flowtrack.Client``: one object over every domain, as ``mlflow.MlflowClient`` is for MLflow.

Each domain keeps its own client class in its own layer; this module, above them all, only composes them.
"""

from __future__ import annotations

from flowtrack.orchestration.client import OrchestrationClient
from flowtrack.registry.client import RegistryClient
from flowtrack.tracking.client import TrackingClient


class Client(TrackingClient, RegistryClient, OrchestrationClient):
    """Experiments, runs, artifacts, logged models, the model registry, flows and flow runs."""


MlflowClient = Client
