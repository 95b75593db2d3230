"""``flowtrack.register_model``: register a model under a name in one call, as ``mlflow.register_model``."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flowtrack.registry.client import DEFAULT_AWAIT_SECONDS, RegistryClient
from flowtrack.registry.entities import ModelVersion
from flowtrack.registry.errors import RegisteredModelAlreadyExists
from flowtrack.tracking import fluent
from flowtrack.tracking.client import TrackingClient

_log = logging.getLogger(__name__)
# The registry client of the last tracking client asked about: building one reads the settings (milliseconds),
# so it lives as long as that tracking client, which set_tracking_uri replaces.
_beside: tuple[TrackingClient, RegistryClient] | None = None


def registry_client(tracking: TrackingClient | None = None) -> RegistryClient:
    """The registry at ``tracking``'s URI (the process-wide tracking client's by default)."""
    global _beside
    tracking = tracking or fluent.client()
    cached = _beside
    if cached is None or cached[0] is not tracking:
        cached = _beside = (tracking, RegistryClient(tracking.tracking_uri))
    return cached[1]


def register_model(
    model_uri: str,
    name: str,
    await_registration_for: int = DEFAULT_AWAIT_SECONDS,
    *,
    tags: Mapping[str, Any] | None = None,
) -> ModelVersion:
    """Create the registered model ``name`` unless it exists, and add a version from ``model_uri``.

    ``model_uri`` is ``runs:/<run_id>/<path>``, ``models:/<model_id>`` (what ``log_model`` returns in
    ``ModelInfo.model_uri``) or an artifact URI. ``tags`` go on the new version. Versions are READY at once;
    ``await_registration_for`` is accepted for MLflow's sake.
    """
    client = registry_client()
    try:
        client.create_registered_model(name)
        _log.info("registered model %r created", name)
    except RegisteredModelAlreadyExists:
        pass
    version = client.create_model_version(
        name, model_uri, tags=tags, await_creation_for=await_registration_for
    )
    _log.info("created version %s of model %r", version.version, name)
    return version
