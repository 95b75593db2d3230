"""MLflow 3 logged models: a model with an id of its own (``m-<32 hex>``), artifacts, tags, params, metrics.

A logged model belongs to an experiment and, usually, to the run that produced it (``source_run_id``); the run
lists it among its outputs. Its artifacts live under ``<experiment artifact location>/models/<model_id>/
artifacts``. Field names follow MLflow's ``LoggedModel`` (``model_id``, ``artifact_location``, ``tags`` and
``params`` as dicts, ``metrics`` as a list) and its REST messages (``creation_timestamp_ms``, ``status``).

Values only: stdlib and flowtrack's exceptions, nothing else.
"""

from __future__ import annotations

import enum
import re
import uuid
from dataclasses import dataclass, field

from flowtrack.exceptions import InvalidArgument
from flowtrack.tracking.entities import LifecycleStage, LoggedModelOutput, RunOutputs
from flowtrack.tracking.filters import EntityKind

__all__ = [
    "DatasetFilter",
    "LoggedModel",
    "LoggedModelMetric",
    "LoggedModelOrderBy",
    "LoggedModelOutput",
    "LoggedModelStatus",
    "RunOutputs",
    "model_artifact_location",
    "new_model_id",
    "validate_model_name",
]

MODEL_ID_PREFIX = "m-"
MODELS_FOLDER = "models"
ARTIFACTS_FOLDER = "artifacts"
MAX_MODEL_NAME_LENGTH = 250
MAX_MODEL_TYPE_LENGTH = 500
_MODEL_NAME_FORBIDDEN = ("/", ":", ".", "%", '"', "'")
_MODEL_ID_PATTERN = re.compile(r"^m-[0-9a-f]{32}$")


class LoggedModelStatus(enum.StrEnum):
    """Upload state of a logged model's artifacts; the values are the names MLflow's REST API uses."""

    PENDING = "LOGGED_MODEL_PENDING"
    READY = "LOGGED_MODEL_READY"
    FAILED = "LOGGED_MODEL_UPLOAD_FAILED"

    @classmethod
    def parse(cls, value: LoggedModelStatus | str | int) -> LoggedModelStatus:
        """The enum, its REST name (``LOGGED_MODEL_READY``), Python name (``READY``) or proto number."""
        if isinstance(value, LoggedModelStatus):
            return value
        found = _STATUS_ALIASES.get(value.upper() if isinstance(value, str) else value)
        if found is None or isinstance(value, bool):
            choices = ", ".join(status.value for status in cls)
            raise InvalidArgument(
                f"invalid logged model status {value!r}: use one of {choices} (or READY, PENDING, FAILED)",
                field="status",
            )
        return found

    @property
    def short_name(self) -> str:
        """MLflow's Python spelling: ``PENDING``, ``READY`` or ``FAILED``."""
        return self.name


_STATUS_ALIASES: dict[str | int, LoggedModelStatus] = {
    **{status.value: status for status in LoggedModelStatus},
    **{status.name: status for status in LoggedModelStatus},
    "UPLOAD_FAILED": LoggedModelStatus.FAILED,
    1: LoggedModelStatus.PENDING,
    2: LoggedModelStatus.READY,
    3: LoggedModelStatus.FAILED,
    "1": LoggedModelStatus.PENDING,
    "2": LoggedModelStatus.READY,
    "3": LoggedModelStatus.FAILED,
}


@dataclass(frozen=True, slots=True)
class LoggedModelMetric:
    """A metric point linked to a logged model: logged by ``run_id``, maybe measured on a dataset."""

    key: str
    value: float
    timestamp: int
    step: int
    run_id: str
    model_id: str
    dataset_name: str | None = None
    dataset_digest: str | None = None


@dataclass(frozen=True, slots=True)
class LoggedModel:
    model_id: str
    experiment_id: str
    name: str
    artifact_location: str
    creation_timestamp_ms: int
    last_updated_timestamp_ms: int
    status: LoggedModelStatus = LoggedModelStatus.PENDING
    model_type: str | None = None
    source_run_id: str | None = None
    status_message: str | None = None
    lifecycle_stage: LifecycleStage = LifecycleStage.ACTIVE
    tags: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    metrics: tuple[LoggedModelMetric, ...] = ()

    @property
    def model_uri(self) -> str:
        """``models:/<model_id>``: how MLflow addresses the model for loading and registering."""
        return f"models:/{self.model_id}"

    @property
    def artifact_uri(self) -> str:
        """The artifact location under the name MLflow's REST API gives it."""
        return self.artifact_location

    @property
    def creation_timestamp(self) -> int:
        return self.creation_timestamp_ms

    @property
    def last_updated_timestamp(self) -> int:
        return self.last_updated_timestamp_ms


@dataclass(frozen=True, slots=True)
class LoggedModelOrderBy:
    """One ordering of a logged-model search: an attribute (``kind`` ATTRIBUTE, canonical ``key`` such as
    ``creation_timestamp_ms``) or a metric (``kind`` METRIC).

    For a metric, ``dataset_name``/``dataset_digest`` restrict which points count; the model's latest such
    point (greatest timestamp, then step) decides its place, and models without one come last.
    """

    kind: EntityKind
    key: str
    ascending: bool = True
    dataset_name: str | None = None
    dataset_digest: str | None = None

    @property
    def field_name(self) -> str:
        """The name MLflow's REST API uses: the attribute, or ``metrics.<key>``."""
        return self.key if self.kind is EntityKind.ATTRIBUTE else f"{self.kind.value}.{self.key}"


@dataclass(frozen=True, slots=True)
class DatasetFilter:
    """Restricts a search's metric comparisons to points measured on this dataset (and digest, when given)."""

    dataset_name: str
    dataset_digest: str | None = None


def new_model_id() -> str:
    return f"{MODEL_ID_PREFIX}{uuid.uuid4().hex}"


def is_model_id(value: str) -> bool:
    return _MODEL_ID_PATTERN.match(value) is not None


def model_artifact_location(experiment_artifact_location: str, model_id: str) -> str:
    """``<experiment location>/models/<model_id>/artifacts``, as MLflow lays it out."""
    base = experiment_artifact_location.rstrip("/") or experiment_artifact_location
    return f"{base}/{MODELS_FOLDER}/{model_id}/{ARTIFACTS_FOLDER}"


def validate_model_name(name: object) -> str | None:
    """A model name, or None (the store then makes one up); MLflow's forbidden characters are refused."""
    if name is None:
        return None
    if not isinstance(name, str) or not name.strip():
        raise InvalidArgument(f"logged model name must be a non-empty string, got {name!r}", field="name")
    if any(char in name for char in _MODEL_NAME_FORBIDDEN):
        shown = " ".join(_MODEL_NAME_FORBIDDEN)
        raise InvalidArgument(
            f"invalid logged model name {name!r}: it may not contain any of {shown}", field="name"
        )
    if len(name) > MAX_MODEL_NAME_LENGTH:
        raise InvalidArgument(
            f"logged model name is {len(name)} characters; the limit is {MAX_MODEL_NAME_LENGTH}", field="name"
        )
    return name


def validate_model_type(model_type: object) -> str | None:
    if model_type is None:
        return None
    if not isinstance(model_type, str):
        raise InvalidArgument(f"model_type must be a string, got {model_type!r}", field="model_type")
    if len(model_type) > MAX_MODEL_TYPE_LENGTH:
        raise InvalidArgument(
            f"model_type is {len(model_type)} characters; the limit is {MAX_MODEL_TYPE_LENGTH}",
            field="model_type",
        )
    return model_type
