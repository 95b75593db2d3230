"""Request bodies of the registry endpoints, as the mlflow client sends them (proto3 JSON)."""

from __future__ import annotations

from pydantic import Field

from flowtrack.server.api.mlflow.schemas import KeyValue, Message, Text


class ModelRef(Message):
    name: Text


class CreateRegisteredModel(ModelRef):
    tags: list[KeyValue] = Field(default_factory=list)
    description: Text | None = None


class RenameRegisteredModel(ModelRef):
    new_name: Text


class UpdateRegisteredModel(ModelRef):
    description: Text | None = None


class ModelTag(ModelRef):
    key: Text
    value: Text


class ModelTagRef(ModelRef):
    key: Text


class LatestVersions(ModelRef):
    stages: list[Text] = Field(default_factory=list)


class SetAlias(ModelRef):
    alias: Text
    version: Text


class AliasRef(ModelRef):
    alias: Text


class CreateModelVersion(ModelRef):
    source: Text
    run_id: Text | None = None
    tags: list[KeyValue] = Field(default_factory=list)
    run_link: Text | None = None
    description: Text | None = None
    model_id: Text | None = None


class VersionRef(ModelRef):
    version: Text


class UpdateModelVersion(VersionRef):
    description: Text | None = None


class TransitionStage(VersionRef):
    stage: Text
    archive_existing_versions: bool = False


class VersionTag(VersionRef):
    key: Text
    value: Text


class VersionTagRef(VersionRef):
    key: Text
