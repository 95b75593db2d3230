"""ASGI middleware (plain ASGI, no per-request objects: it runs on every call)."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flowtrack.server.errors import error_response
from flowtrack.server.limits import DRAIN_BYTES

_JSON = b"application/json"
_BODY_METHODS = frozenset({"POST", "PATCH", "DELETE"})


class JsonBodies:
    """Bodies of MLflow API calls: read as JSON whatever their declared content type, and size-limited.

    MLflow's server parses them with ``force=True``, so clients (``curl -d``, old R and Java clients) send
    JSON labelled as a form or with no content type at all; FastAPI would only parse declared JSON. FastAPI
    also reads a body whole before validating it, so the body is read here first, and one over ``limit``
    bytes is refused with a 413 instead of being held in memory.
    """

    def __init__(self, app: ASGIApp, prefixes: tuple[str, ...], limit: int) -> None:
        self.app = app
        self.prefixes = prefixes
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in _BODY_METHODS
            or not scope["path"].startswith(self.prefixes)
        ):
            await self.app(scope, receive, send)
            return
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        declared = dict(headers)
        if not declared.get(b"content-type", b"").startswith(_JSON):
            kept = [(name, value) for name, value in headers if name != b"content-type"]
            scope = {**scope, "headers": [*kept, (b"content-type", _JSON)]}
        length = declared.get(b"content-length", b"")
        too_long = length.isdigit() and int(length) > self.limit + DRAIN_BYTES
        body = None if too_long else await self._read(receive)
        if body is None:
            message = f"the request body is larger than the limit of {self.limit} bytes"
            await error_response(413, "RESOURCE_LIMIT_EXCEEDED", message)(scope, receive, send)
            return
        await self.app(scope, _replay(body, receive), send)

    async def _read(self, receive: Receive) -> bytes | None:
        """The whole body, or None when it is over the limit (then read on, up to DRAIN_BYTES more)."""
        chunks: list[bytes] = []
        size = 0
        while size <= self.limit + DRAIN_BYTES:
            message = await receive()
            if message["type"] != "http.request":
                break  # the client went away; the app sees what came and then the disconnect
            chunk = message.get("body", b"")
            size += len(chunk)
            if size <= self.limit:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        return b"".join(chunks) if size <= self.limit else None


def _replay(body: bytes, receive: Receive) -> Receive:
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        return pending.pop() if pending else await receive()

    return replayed
