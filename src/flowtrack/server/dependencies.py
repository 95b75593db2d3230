"""FastAPI dependencies: the configuration and the services of the running app (set up by its lifespan).

They are ``async`` on purpose: FastAPI runs a plain ``def`` dependency in the thread pool, a hop that would
cost more than the lookup itself.
"""

from __future__ import annotations

from typing import Annotated, cast

from fastapi import Depends, Request

from flowtrack.server.config import ServerConfig
from flowtrack.server.services.artifacts import ArtifactService
from flowtrack.server.services.logged_models import LoggedModelService
from flowtrack.server.services.tracking import TrackingService


async def server_config(request: Request) -> ServerConfig:
    return cast(ServerConfig, request.app.state.config)


async def tracking_service(request: Request) -> TrackingService:
    return cast(TrackingService, request.app.state.tracking)


async def artifact_service(request: Request) -> ArtifactService:
    return cast(ArtifactService, request.app.state.artifacts)


async def logged_model_service(request: Request) -> LoggedModelService:
    return cast(LoggedModelService, request.app.state.logged_models)


Config = Annotated[ServerConfig, Depends(server_config)]
Tracking = Annotated[TrackingService, Depends(tracking_service)]
Artifacts = Annotated[ArtifactService, Depends(artifact_service)]
LoggedModels = Annotated[LoggedModelService, Depends(logged_model_service)]
