"""MLflow error responses turned back into flowtrack's exception tree.

MLflow servers answer a failed call with ``{"error_code": "...", "message": "..."}``; the code is coarse
(``RESOURCE_DOES_NOT_EXIST`` says nothing about *what* is missing), so the endpoint that was called
(:class:`Subject`) picks the precise class. The server's message is kept as the exception's message.
"""

from __future__ import annotations

import enum
import json
from typing import Any

import httpx

from flowtrack.exceptions import (
    AlreadyExists,
    ExperimentAlreadyExists,
    ExperimentNotActive,
    ExperimentNotFound,
    FlowtrackError,
    InvalidArgument,
    InvalidStateError,
    LoggedModelNotFound,
    NotFound,
    ParamOverwriteError,
    RunNotActive,
    RunNotFound,
    StoreUnavailable,
)

__all__ = ["Subject", "error_for"]

_PARAM_CHANGED = ("changing param values is not allowed", "params are immutable", "cannot change to")
# MLflow reports a deleted run or experiment as INVALID_PARAMETER_VALUE; these phrases (MLflow's, flowtrack's)
# tell that case apart from a malformed argument.
_NOT_ACTIVE = ("must be in the 'active' state", "is deleted; restore it")
_MAX_BODY_SHOWN = 500


class Subject(enum.Enum):
    """What an endpoint is about, which decides the exception class of a failure.

    Creating a run is about its experiment: the experiment is what can be missing or deleted.
    """

    EXPERIMENT = "experiment"
    EXPERIMENT_TAG = "experiment tag"
    RUN = "run"
    RUN_TAG = "run tag"
    SEARCH = "search"
    LOGGED_MODEL = "logged model"


def error_for(subject: Subject, response: httpx.Response, where: str) -> FlowtrackError:
    """The exception for a non-2xx ``response`` of a call about ``subject``; ``where`` is method and URL."""
    code, message, field = _decode(response)
    if response.status_code == 503 or code == "TEMPORARILY_UNAVAILABLE":
        return StoreUnavailable(f"the tracking server is unavailable ({where}): {message}")
    if code in ("RESOURCE_DOES_NOT_EXIST", "NOT_FOUND"):
        return _not_found(subject, message)
    if code in ("RESOURCE_ALREADY_EXISTS", "ALREADY_EXISTS"):
        return ExperimentAlreadyExists(message) if subject is Subject.EXPERIMENT else AlreadyExists(message)
    if code == "INVALID_STATE" or any(marker in message for marker in _NOT_ACTIVE):
        return _invalid_state(subject, message)
    if code in ("INVALID_PARAMETER_VALUE", "BAD_REQUEST") or (code is None and response.status_code == 400):
        return _invalid_argument(subject, message, field)
    if response.status_code in (401, 403) or code in ("UNAUTHENTICATED", "PERMISSION_DENIED"):
        return FlowtrackError(
            f"the tracking server refused the request ({where}, HTTP {response.status_code}): {message}; "
            "check the credentials (FLOWTRACK_TRACKING_TOKEN, FLOWTRACK_TRACKING_USERNAME/PASSWORD, "
            "or user:password@ in the tracking URI)"
        )
    if code == "ENDPOINT_NOT_FOUND" or (code is None and response.status_code == 404):
        return FlowtrackError(
            f"{where} does not exist on the server (HTTP 404): is the tracking URI the base URL of an "
            f"MLflow-compatible tracking server? {message}"
        )
    return FlowtrackError(f"the tracking server failed {where} (HTTP {response.status_code}): {message}")


def _decode(response: httpx.Response) -> tuple[str | None, str, str | None]:
    """``(error_code, message, field)`` of an error body; a body not in MLflow's form becomes the message."""
    try:
        payload: Any = json.loads(response.content)
    except ValueError:
        payload = None
    if isinstance(payload, dict) and ("error_code" in payload or "message" in payload):
        code = payload.get("error_code")
        message = str(payload.get("message") or code or "")
        field = payload.get("field")
        return (str(code) if code else None), message, (str(field) if field else None)
    text = response.text.strip()
    if len(text) > _MAX_BODY_SHOWN:
        text = text[:_MAX_BODY_SHOWN] + "..."
    return None, text or response.reason_phrase, None


def _not_found(subject: Subject, message: str) -> NotFound:
    if subject is Subject.RUN_TAG and "tag" in message.lower():
        return NotFound(message)
    if subject is Subject.EXPERIMENT_TAG and "tag" in message.lower():
        return NotFound(message)
    if subject in (Subject.RUN, Subject.RUN_TAG):
        return RunNotFound(message)
    if subject in (Subject.EXPERIMENT, Subject.EXPERIMENT_TAG):
        return ExperimentNotFound(message)
    if subject is Subject.LOGGED_MODEL and "tag" not in message.lower():
        return LoggedModelNotFound(message)
    return NotFound(message)


def _invalid_state(subject: Subject, message: str) -> InvalidStateError:
    if subject in (Subject.RUN, Subject.RUN_TAG):
        return RunNotActive(message)
    if subject in (Subject.EXPERIMENT, Subject.EXPERIMENT_TAG):
        return ExperimentNotActive(message)
    return InvalidStateError(message)


def _invalid_argument(subject: Subject, message: str, field: str | None) -> InvalidArgument:
    lowered = message.lower()
    if any(marker in lowered for marker in _PARAM_CHANGED):
        return ParamOverwriteError(message, field=field or "params")
    if field is None and subject is Subject.SEARCH:
        field = _search_field(lowered)
    return InvalidArgument(message, field=field)


def _search_field(lowered: str) -> str | None:
    if "page token" in lowered or "page_token" in lowered:
        return "page_token"
    if "max_results" in lowered:
        return "max_results"
    if "order" in lowered:
        return "order_by"
    return "filter"
