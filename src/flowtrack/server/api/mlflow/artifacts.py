"""``/artifacts/list``: a run's artifacts, wherever its artifact root is (proxied, a folder, S3, ...)."""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from flowtrack.server.api.mlflow import serialize
from flowtrack.server.api.mlflow.schemas import Text
from flowtrack.server.dependencies import Artifacts, Tracking
from flowtrack.server.responses import OrjsonResponse

router = APIRouter(prefix="/artifacts", tags=["artifacts"])


@router.get("/list")
def list_artifacts(
    service: Tracking,
    artifacts: Artifacts,
    run_id: Text | None = None,
    run_uuid: Text | None = None,
    path: str | None = None,
) -> Response:
    root_uri = service.get_run(run_id or run_uuid).info.artifact_uri
    files = [serialize.file_info(info) for info in artifacts.list_run_artifacts(root_uri, path)]
    result: serialize.Json = {"root_uri": root_uri}
    if files:
        result["files"] = files
    return OrjsonResponse(result)
