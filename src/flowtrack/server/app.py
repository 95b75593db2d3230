"""``create_app``: the ASGI app of one server process, built from a :class:`ServerConfig`.

No module-level state: the configuration lives on ``app.state`` and the lifespan opens the store and builds
the services there, so several apps (tests, workers) can live side by side.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI
from starlette.concurrency import run_in_threadpool

from flowtrack import __version__
from flowtrack.exceptions import FlowtrackError
from flowtrack.server import errors
from flowtrack.server.api import meta, mlflow, mlflow_artifacts
from flowtrack.server.config import ServerConfig
from flowtrack.server.limits import MAX_JSON_BODY_BYTES
from flowtrack.server.middleware import JsonBodies
from flowtrack.server.responses import OrjsonResponse
from flowtrack.server.services.artifacts import ArtifactService
from flowtrack.server.services.logged_models import LoggedModelService
from flowtrack.server.services.registry import open_registry
from flowtrack.server.services.tracking import TrackingService
from flowtrack.tracking.stores.base import TrackingStore

_log = logging.getLogger(__name__)


def create_app(config: ServerConfig) -> FastAPI:
    app = FastAPI(
        title="flowtrack",
        version=__version__,
        summary="Experiment tracking server, compatible with MLflow's REST API.",
        lifespan=_lifespan,
        default_response_class=OrjsonResponse,
        redoc_url=None,
    )
    app.state.config = config
    prefixes = tuple(f"{prefix}/" for prefix in mlflow.PREFIXES)
    app.add_middleware(JsonBodies, prefixes=prefixes, limit=MAX_JSON_BODY_BYTES)
    errors.install_error_handlers(app)
    app.include_router(meta.router)
    tracking_routes = mlflow.build_router()
    for index, prefix in enumerate(mlflow.PREFIXES):
        app.include_router(tracking_routes, prefix=prefix, include_in_schema=index == 0)
    if config.serve_artifacts:
        for index, prefix in enumerate(mlflow_artifacts.PREFIXES):
            app.include_router(mlflow_artifacts.router, prefix=prefix, include_in_schema=index == 0)
    return app


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    config: ServerConfig = app.state.config
    store = await run_in_threadpool(_open_store, config)
    app.state.tracking = TrackingService(store)
    app.state.logged_models = LoggedModelService(store)
    app.state.registry = await run_in_threadpool(
        open_registry, config.backend_store_uri, config.store_artifact_root
    )
    app.state.artifacts = ArtifactService(config.artifacts_destination, config.max_upload_bytes)
    try:
        yield
    finally:
        await run_in_threadpool(store.close)


def _open_store(config: ServerConfig) -> TrackingStore:
    from flowtrack.tracking.stores.registry import get_tracking_store

    try:
        return get_tracking_store(config.backend_store_uri, config.store_artifact_root)
    except FlowtrackError as exc:
        _log.error("cannot open the backend store: %s", exc)
        raise
