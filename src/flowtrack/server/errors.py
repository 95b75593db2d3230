"""The error edge: flowtrack errors, request validation errors and HTTP errors become MLflow's error JSON.

Every error response is ``{"error_code": "...", "message": "..."}`` with the status MLflow uses for that code,
so the mlflow client raises the same ``MlflowException`` it would against an MLflow server. Bad input always
gets a 4xx; a 500 means a bug, and is logged with its traceback.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect
from starlette.responses import Response

from flowtrack.exceptions import (
    AlreadyExists,
    ExperimentNotActive,
    FlowtrackError,
    InvalidArgument,
    InvalidStateError,
    MissingDependency,
    NotFound,
    RunNotActive,
    StoreUnavailable,
)
from flowtrack.server.limits import PayloadTooLarge
from flowtrack.server.responses import OrjsonResponse

_log = logging.getLogger(__name__)

INVALID_PARAMETER_VALUE = "INVALID_PARAMETER_VALUE"
INTERNAL_ERROR = "INTERNAL_ERROR"


# Checked in order, so subclasses come before their bases. MLflow reports logging to a deleted run or
# experiment as INVALID_PARAMETER_VALUE (400), not INVALID_STATE, so those two come before InvalidStateError.
_MAPPING: tuple[tuple[type[FlowtrackError], int, str], ...] = (
    (NotFound, 404, "RESOURCE_DOES_NOT_EXIST"),
    (AlreadyExists, 400, "RESOURCE_ALREADY_EXISTS"),
    (RunNotActive, 400, INVALID_PARAMETER_VALUE),
    (ExperimentNotActive, 400, INVALID_PARAMETER_VALUE),
    (InvalidStateError, 400, "INVALID_STATE"),
    (InvalidArgument, 400, INVALID_PARAMETER_VALUE),
    (PayloadTooLarge, 413, "RESOURCE_LIMIT_EXCEEDED"),
    (StoreUnavailable, 503, "TEMPORARILY_UNAVAILABLE"),
    (MissingDependency, 501, "NOT_IMPLEMENTED"),
)
_HTTP_CODES = {404: "ENDPOINT_NOT_FOUND", 405: "BAD_REQUEST", 413: "RESOURCE_LIMIT_EXCEEDED"}


def error_response(status: int, error_code: str, message: str) -> Response:
    return OrjsonResponse({"error_code": error_code, "message": message}, status_code=status)


def status_and_code(exc: FlowtrackError) -> tuple[int, str]:
    """The HTTP status and MLflow error code of a flowtrack error."""
    for kind, status, code in _MAPPING:
        if isinstance(exc, kind):
            return status, code
    return 500, INTERNAL_ERROR


def validation_message(errors: Sequence[Any]) -> str:
    """One line per problem, each naming the parameter, in MLflow's wording where MLflow has one."""
    lines = []
    for error in errors:
        location = [str(part) for part in error.get("loc", ()) if part not in ("body", "query", "path")]
        name = ".".join(location) or "request body"
        if error.get("type") == "missing":
            lines.append(f"Missing value for required parameter '{name}'.")
        elif error.get("type") == "string_pattern_mismatch":  # the only pattern: no NUL characters
            lines.append(f"Invalid value for parameter '{name}': text must not contain NUL characters.")
        elif error.get("type") == "json_invalid":
            lines.append(f"Malformed JSON in the request body: {error.get('msg', 'invalid JSON')}.")
        else:
            shown = repr(error.get("input"))
            shown = shown if len(shown) <= 80 else shown[:77] + "..."
            lines.append(f"Invalid value {shown} for parameter '{name}' supplied: {error.get('msg', '')}.")
    return "\n".join(lines) or "Invalid request."


async def _flowtrack_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, FlowtrackError)
    status, code = status_and_code(exc)
    if status >= 500:
        _log.error("%s %s failed: %s", request.method, request.url.path, exc)
    return error_response(status, code, str(exc))


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    return error_response(400, INVALID_PARAMETER_VALUE, validation_message(exc.errors()))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    code = _HTTP_CODES.get(exc.status_code, "BAD_REQUEST" if exc.status_code < 500 else INTERNAL_ERROR)
    message = str(exc.detail)
    if exc.status_code == 404:
        message = f"No endpoint {request.method} {request.url.path} on this server."
    return error_response(exc.status_code, code, message)


async def _client_gone(request: Request, exc: Exception) -> Response:
    # nobody is left to read this answer; say so without a traceback in the log
    return error_response(400, "BAD_REQUEST", "The client disconnected before sending the whole request.")


async def _unexpected_error(request: Request, exc: Exception) -> Response:
    _log.exception("%s %s failed unexpectedly", request.method, request.url.path, exc_info=exc)
    return error_response(500, INTERNAL_ERROR, f"Internal error: {type(exc).__name__}. See the server log.")


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(FlowtrackError, _flowtrack_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(ClientDisconnect, _client_gone)
    app.add_exception_handler(Exception, _unexpected_error)
