"""MLflow's REST API 2.0 (``/api/2.0/mlflow/…``, and the same under ``/ajax-api/2.0/mlflow/…``)."""

from __future__ import annotations

from fastapi import APIRouter

from flowtrack.server.api.mlflow import artifacts, experiments, logged_models, registry, run_data, runs

PREFIXES = ("/api/2.0/mlflow", "/ajax-api/2.0/mlflow")


def build_router() -> APIRouter:
    router = APIRouter()
    for module in (run_data, runs, experiments, artifacts, logged_models, registry):  # hot routes first
        router.include_router(module.router)
    return router
