"""The artifact proxy, ``/api/2.0/mlflow-artifacts/artifacts``: list, download, upload and delete.

Uploads stream to disk chunk by chunk (never held in memory) and are refused with 413 past the size limit;
downloads stream from the file.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from fastapi import APIRouter, Request
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.responses import FileResponse, Response

from flowtrack.server.api.mlflow import serialize
from flowtrack.server.dependencies import Artifacts
from flowtrack.server.limits import DRAIN_BYTES, PayloadTooLarge
from flowtrack.server.responses import OrjsonResponse, empty
from flowtrack.server.services.artifacts import ArtifactService, Upload

PREFIXES = ("/api/2.0/mlflow-artifacts", "/ajax-api/2.0/mlflow-artifacts")

router = APIRouter(prefix="/artifacts", tags=["artifact proxy"])


@router.get("")
def list_artifacts(artifacts: Artifacts, path: str | None = None) -> Response:
    files = [serialize.file_info(info) for info in artifacts.list_files(path)]
    return OrjsonResponse({"files": files} if files else {})


@router.get("/{path:path}")
def download_artifact(path: str, artifacts: Artifacts) -> Response:
    found = artifacts.download(path)
    cleanup = BackgroundTask(found.cleanup) if found.cleanup is not None else None
    headers = {"X-Content-Type-Options": "nosniff"}
    return FileResponse(found.path, media_type=found.media_type, headers=headers, background=cleanup)


@router.put("/{path:path}")
async def upload_artifact(path: str, request: Request, artifacts: Artifacts) -> Response:
    _check_declared_size(request, artifacts)
    upload = await run_in_threadpool(artifacts.begin_upload, path)
    chunks = request.stream()
    try:
        await _receive(chunks, upload)
        await run_in_threadpool(upload.commit)
    except PayloadTooLarge:
        upload.abort()
        await _drain(chunks)
        raise
    except BaseException:
        upload.abort()
        raise
    return empty()


@router.delete("/{path:path}")
def delete_artifact(path: str, artifacts: Artifacts) -> Response:
    artifacts.delete(path)
    return empty()


def _check_declared_size(request: Request, artifacts: ArtifactService) -> None:
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > artifacts.max_upload_bytes + DRAIN_BYTES:
        raise PayloadTooLarge(
            f"the upload ({declared} bytes) is larger than the server's limit of "
            f"{artifacts.max_upload_bytes} bytes"
        )


async def _receive(chunks: AsyncIterator[bytes], upload: Upload) -> None:
    # Chunks arrive at most 64 KiB at a time; writing one to the page cache takes microseconds, so it is
    # done right here rather than paying a thread hop per chunk.
    async for chunk in chunks:
        if chunk:
            upload.write(chunk)


async def _drain(chunks: AsyncIterator[bytes]) -> None:
    """Read and drop the rest of the body (up to DRAIN_BYTES) from where ``_receive`` stopped."""
    drained = 0
    async for chunk in chunks:
        drained += len(chunk)
        if drained > DRAIN_BYTES:
            return
