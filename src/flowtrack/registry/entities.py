"""Registry entities: registered models, their versions, tags, aliases, stages and statuses.

Field names follow MLflow's ``mlflow.entities.model_registry`` so code written against MLflow reads the same
values. A version number is a string (``"1"``), as MLflow's REST API and its client return it.

Values only: stdlib and flowtrack's exceptions, nothing else.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from flowtrack.exceptions import InvalidArgument

__all__ = [
    "ModelVersion",
    "ModelVersionStage",
    "ModelVersionStatus",
    "ModelVersionTag",
    "RegisteredModel",
    "RegisteredModelAlias",
    "RegisteredModelTag",
]


class ModelVersionStage(enum.StrEnum):
    """The legacy deployment stages, spelled as MLflow does: None, Staging, Production, Archived."""

    NONE = "None"
    STAGING = "Staging"
    PRODUCTION = "Production"
    ARCHIVED = "Archived"

    @classmethod
    def parse(cls, value: object, field: str = "stage") -> ModelVersionStage:
        """The stage named ``value`` in any letter case (``"production"``, ``"Production"``)."""
        if isinstance(value, ModelVersionStage):
            return value
        found = _STAGES.get(value.lower()) if isinstance(value, str) else None
        if found is None:
            choices = ", ".join(stage.value for stage in cls)
            raise InvalidArgument(f"invalid {field} {value!r}: use one of {choices}", field=field)
        return found

    @property
    def may_archive_others(self) -> bool:
        """Whether a transition to this stage may archive the versions already in it (MLflow's rule)."""
        return self in (ModelVersionStage.STAGING, ModelVersionStage.PRODUCTION)


_STAGES = {stage.value.lower(): stage for stage in ModelVersionStage}


class ModelVersionStatus(enum.StrEnum):
    """Registration state; flowtrack registers synchronously, so its versions are READY at once."""

    PENDING_REGISTRATION = "PENDING_REGISTRATION"
    FAILED_REGISTRATION = "FAILED_REGISTRATION"
    READY = "READY"


@dataclass(frozen=True, slots=True)
class RegisteredModelTag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class ModelVersionTag:
    key: str
    value: str


@dataclass(frozen=True, slots=True)
class RegisteredModelAlias:
    alias: str
    version: str


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One registered version: where its files are (``source``, resolved to ``storage_location``) and its
    stage, tags and aliases. MLflow's REST API does not carry ``storage_location``: read through a server it
    is "" (``get_model_version_download_uri`` asks the server for it)."""

    name: str
    version: str
    creation_timestamp: int
    last_updated_timestamp: int
    current_stage: ModelVersionStage = ModelVersionStage.NONE
    description: str = ""
    source: str = ""
    run_id: str | None = None
    status: ModelVersionStatus = ModelVersionStatus.READY
    status_message: str | None = None
    run_link: str = ""
    user_id: str = ""
    model_id: str | None = None
    storage_location: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()

    @property
    def model_uri(self) -> str:
        """``models:/<name>/<version>``: how flowtrack and MLflow load this version."""
        return f"models:/{self.name}/{self.version}"


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    """A named model; ``latest_versions`` holds the newest version of each stage, ``aliases`` maps an alias
    to its version number."""

    name: str
    creation_timestamp: int
    last_updated_timestamp: int
    description: str = ""
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, str] = field(default_factory=dict)
    latest_versions: tuple[ModelVersion, ...] = ()
