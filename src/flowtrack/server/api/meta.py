"""Routes about the server itself: ``/``, ``/health``, ``/version`` and MLflow's ``server-info``."""

from __future__ import annotations

import html

from fastapi import APIRouter, Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response

from flowtrack import __version__
from flowtrack.server import web_ui
from flowtrack.server.responses import OrjsonResponse

router = APIRouter(tags=["server"])

_HOME = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>flowtrack</title>
<style>body{{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:4rem auto;padding:0 1rem}}</style>
</head><body>
<h1>flowtrack {version}</h1>
<p>This is a flowtrack tracking server. Its web UI was not built into this installation (building it needs
Node.js and npm: reinstall flowtrack from a checkout with them on the PATH). It speaks MLflow's REST API, so
<code>MLFLOW_TRACKING_URI={url}</code> points the mlflow client here, and
<code>flowtrack config set tracking_uri={url}</code> points flowtrack here.</p>
<ul>
<li><a href="/docs">API reference (OpenAPI)</a></li>
<li>Server documentation: <code>docs/server.md</code> in the flowtrack repository</li>
</ul>
</body></html>
"""


@router.get("/", include_in_schema=False)
async def home(request: Request) -> Response:
    if web_ui.built():
        return web_ui.index()
    url = html.escape(str(request.base_url).rstrip("/"))
    return HTMLResponse(_HOME.format(version=__version__, url=url))


@router.get("/health")
async def health() -> Response:
    return PlainTextResponse("OK")


@router.get("/version")
async def version() -> Response:
    return PlainTextResponse(__version__)


@router.get("/api/3.0/mlflow/server-info")
async def server_info() -> Response:
    return OrjsonResponse(
        {
            "store_type": "SqlStore",
            "workspaces_enabled": False,
            "trace_archival_enabled": False,
            "multipart_uploads_enabled": False,
            "multipart_downloads_enabled": False,
            "presigned_upload_run_id_supported": False,
            "presigned_upload_model_id_supported": False,
            "features_enabled": {"gateway": False},
        }
    )
