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
from flowtrack.server import errors, web_ui
from flowtrack.server.api import meta, mlflow, mlflow_artifacts
from flowtrack.server.api.v1 import orchestration as v1_orchestration
from flowtrack.server.api.v1 import tracking as v1_tracking
from flowtrack.server.config import ServerConfig
from flowtrack.server.limits import MAX_JSON_BODY_BYTES
from flowtrack.server.middleware import JsonBodies
from flowtrack.server.responses import OrjsonResponse
from flowtrack.server.services.artifacts import ArtifactService
from flowtrack.server.services.logged_models import LoggedModelService
from flowtrack.server.services.orchestration import open_orchestration
from flowtrack.server.services.registry import open_registry
from flowtrack.server.services.tracking import TrackingService
from flowtrack.server.services.ui_reads import UiReadService
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
    app.add_middleware(web_ui.WebUi)  # the web UI's files and client routes: GETs outside the API
    errors.install_error_handlers(app)
    app.include_router(meta.router)
    tracking_routes = mlflow.build_router()
    for index, prefix in enumerate(mlflow.PREFIXES):
        app.include_router(tracking_routes, prefix=prefix, include_in_schema=index == 0)
    if config.serve_artifacts:
        for index, prefix in enumerate(mlflow_artifacts.PREFIXES):
            app.include_router(mlflow_artifacts.router, prefix=prefix, include_in_schema=index == 0)
    app.include_router(v1_tracking.router)
    app.include_router(v1_orchestration.router)
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
    app.state.ui_reads = UiReadService(store)
    app.state.artifacts = ArtifactService(config.artifacts_destination, config.max_upload_bytes)
    app.state.orchestration = await run_in_threadpool(open_orchestration, config.backend_store_uri)
    try:
        yield
    finally:
        await run_in_threadpool(app.state.orchestration.close)
        await run_in_threadpool(store.close)


def _open_store(config: ServerConfig) -> TrackingStore:
    from flowtrack.tracking.stores.registry import get_tracking_store

    try:
        return get_tracking_store(config.backend_store_uri, config.store_artifact_root)
    except FlowtrackError as exc:
        _log.error("cannot open the backend store: %s", exc)
        raise
