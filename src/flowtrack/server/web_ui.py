"""The web UI's built files (``ui/`` in the repository, built into ``ui_dist/`` by the hatch build hook).

Hashed assets (``/assets/index-3f9c2a.js``) never change, so they are cached for a year; ``index.html`` is
never cached, so a new release reaches every browser on its next load. Any other GET that is not an API path
is a client route of the app (``/experiments/3/runs``) and gets ``index.html``.
"""

from __future__ import annotations

import os
from pathlib import Path

from starlette.middleware.gzip import GZipMiddleware
from starlette.responses import FileResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from flowtrack.server.errors import error_response

DIST = Path(__file__).parent / "ui_dist"
_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable", "X-Content-Type-Options": "nosniff"}
_NO_CACHE = {"Cache-Control": "no-cache", "X-Content-Type-Options": "nosniff"}
# The app runs only its own bundled script; previews of artifacts (sandboxed srcdoc frames) inherit this too.
_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'self'"
)
_PAGE = {**_NO_CACHE, "Content-Security-Policy": _CSP}
# Paths that belong to the server, never to the app: a miss there is an API 404, not the app's page.
_SERVER_PREFIXES = ("api/", "ajax-api/", "docs", "openapi.json", "health", "version")


def built() -> bool:
    return (DIST / "index.html").is_file()


def index() -> Response:
    return FileResponse(DIST / "index.html", media_type="text/html", headers=_PAGE)


class WebUi:
    """ASGI middleware answering the app's GETs before routing, so an API path keeps its 404 and 405."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope["path"].lstrip("/") if scope["type"] == "http" else ""
        if (
            scope["type"] != "http"
            or scope["method"] not in ("GET", "HEAD")
            or path.startswith(_SERVER_PREFIXES)
        ):
            await self.app(scope, receive, send)
        elif not built():
            await self.app(scope, receive, send)  # "/" answers the placeholder, the rest 404
        else:
            await GZipMiddleware(_ui_file(path), minimum_size=1024)(scope, receive, send)


def _ui_file(path: str) -> Response:
    target = _confined(path) if path else None
    if target is not None and target.is_file():
        headers = _IMMUTABLE if path.startswith("assets/") else _NO_CACHE
        return FileResponse(target, headers=headers)
    if path.startswith("assets/"):
        return error_response(404, "RESOURCE_DOES_NOT_EXIST", f"no asset /{path}")
    return index()


def _confined(path: str) -> Path | None:
    root = os.path.realpath(DIST)
    real = os.path.realpath(os.path.join(root, *path.split("/")))
    return Path(real) if real.startswith(root + os.sep) else None
