"""The process-wide tracking URI: what ``set_tracking_uri`` chose, else the configured default.

Both the fluent API and a ``TrackingClient()`` built without a URI read it, so they always agree (as
``mlflow.set_tracking_uri`` and ``MlflowClient()`` do).
"""

from __future__ import annotations

from flowtrack.config.settings import load_settings

_override: str | None = None


def set_tracking_uri(uri: str) -> None:
    global _override
    _override = uri


def get_tracking_uri() -> str:
    return _override or load_settings().resolved_tracking_uri()
