"""The model registry: ``/registered-models/*`` and ``/model-versions/*`` of MLflow's REST API 2.0.

Registered models: create, get, rename, update, delete, search, get-latest-versions, tags and aliases.
Model versions: create, get, update, delete, search, transition-stage, tags, get-download-uri. Writes with a
body use POST, PATCH or DELETE as MLflow does; the mlflow client sends DELETE requests with a JSON body.
"""

from __future__ import annotations

from typing import Annotated, Any, cast

from fastapi import APIRouter, Depends, Query, Request
from starlette.responses import Response

from flowtrack.registry.entities import ModelVersion, RegisteredModel
from flowtrack.server.api.mlflow import registry_schemas as schemas
from flowtrack.server.api.mlflow.schemas import Int64, KeyValue, Text
from flowtrack.server.responses import OrjsonResponse, empty
from flowtrack.server.services.registry import RegistryService

Json = dict[str, Any]
router = APIRouter(tags=["model registry"])


async def registry_service(request: Request) -> RegistryService:
    return cast(RegistryService, request.app.state.registry)


Registry = Annotated[RegistryService, Depends(registry_service)]
OrderBy = Annotated[list[Text] | None, Query()]


# -- JSON ----------------------------------------------------------------------------------------------------
def _tags(tags: dict[str, str]) -> list[Json]:
    return [{"key": key, "value": value} for key, value in tags.items()]


def version_json(version: ModelVersion) -> Json:
    result: Json = {
        "name": version.name,
        "version": version.version,
        "creation_timestamp": version.creation_timestamp,
        "last_updated_timestamp": version.last_updated_timestamp,
        "current_stage": version.current_stage.value,
        "description": version.description,
        "source": version.source,
        "run_id": version.run_id or "",
        "status": version.status.value,
        "run_link": version.run_link,
    }
    if version.user_id:
        result["user_id"] = version.user_id
    if version.status_message:
        result["status_message"] = version.status_message
    if version.tags:
        result["tags"] = _tags(version.tags)
    if version.aliases:
        result["aliases"] = list(version.aliases)
    if version.model_id:
        result["model_id"] = version.model_id
    return result


def model_json(model: RegisteredModel) -> Json:
    result: Json = {
        "name": model.name,
        "creation_timestamp": model.creation_timestamp,
        "last_updated_timestamp": model.last_updated_timestamp,
    }
    if model.description:
        result["description"] = model.description
    if model.latest_versions:
        result["latest_versions"] = [version_json(version) for version in model.latest_versions]
    if model.tags:
        result["tags"] = _tags(model.tags)
    if model.aliases:
        result["aliases"] = [{"alias": alias, "version": version} for alias, version in model.aliases.items()]
    return result


def _model(model: RegisteredModel) -> Response:
    return OrjsonResponse({"registered_model": model_json(model)})


def _version(version: ModelVersion) -> Response:
    return OrjsonResponse({"model_version": version_json(version)})


def _versions(versions: list[ModelVersion], token: str | None = None) -> Response:
    result: Json = {"model_versions": [version_json(version) for version in versions]}
    if token:
        result["next_page_token"] = token
    return OrjsonResponse(result)


def _key_values(items: list[KeyValue]) -> dict[str, str]:
    return {item["key"]: item["value"] for item in items}


# -- registered models ---------------------------------------------------------------------------------------
@router.post("/registered-models/create")
def create_registered_model(body: schemas.CreateRegisteredModel, service: Registry) -> Response:
    return _model(service.create_registered_model(body.name, _key_values(body.tags), body.description))


@router.get("/registered-models/get")
def get_registered_model(name: Text, service: Registry) -> Response:
    return _model(service.get_registered_model(name))


@router.post("/registered-models/rename")
def rename_registered_model(body: schemas.RenameRegisteredModel, service: Registry) -> Response:
    return _model(service.rename_registered_model(body.name, body.new_name))


@router.patch("/registered-models/update")
def update_registered_model(body: schemas.UpdateRegisteredModel, service: Registry) -> Response:
    return _model(service.update_registered_model(body.name, body.description))


@router.delete("/registered-models/delete")
def delete_registered_model(body: schemas.ModelRef, service: Registry) -> Response:
    service.delete_registered_model(body.name)
    return empty()


@router.get("/registered-models/search")
def search_registered_models(
    service: Registry,
    filter: Text | None = None,
    max_results: Int64 = 100,
    order_by: OrderBy = None,
    page_token: Text | None = None,
) -> Response:
    found = service.search_registered_models(filter, max_results, order_by, page_token)
    result: Json = {"registered_models": [model_json(model) for model in found]}
    if found.token:
        result["next_page_token"] = found.token
    return OrjsonResponse(result)


@router.post("/registered-models/get-latest-versions")
def get_latest_versions(body: schemas.LatestVersions, service: Registry) -> Response:
    return _versions(service.get_latest_versions(body.name, body.stages or None))


@router.get("/registered-models/get-latest-versions")
def get_latest_versions_get(name: Text, service: Registry, stages: OrderBy = None) -> Response:
    return _versions(service.get_latest_versions(name, stages or None))


@router.post("/registered-models/set-tag")
def set_registered_model_tag(body: schemas.ModelTag, service: Registry) -> Response:
    service.set_registered_model_tag(body.name, body.key, body.value)
    return empty()


@router.delete("/registered-models/delete-tag")
def delete_registered_model_tag(body: schemas.ModelTagRef, service: Registry) -> Response:
    service.delete_registered_model_tag(body.name, body.key)
    return empty()


@router.post("/registered-models/alias")
def set_registered_model_alias(body: schemas.SetAlias, service: Registry) -> Response:
    service.set_registered_model_alias(body.name, body.alias, body.version)
    return empty()


@router.delete("/registered-models/alias")
def delete_registered_model_alias(body: schemas.AliasRef, service: Registry) -> Response:
    service.delete_registered_model_alias(body.name, body.alias)
    return empty()


@router.get("/registered-models/alias")
def get_model_version_by_alias(name: Text, alias: Text, service: Registry) -> Response:
    return _version(service.get_model_version_by_alias(name, alias))


# -- model versions ------------------------------------------------------------------------------------------
@router.post("/model-versions/create")
def create_model_version(body: schemas.CreateModelVersion, service: Registry) -> Response:
    created = service.create_model_version(
        body.name,
        body.source,
        run_id=body.run_id or None,
        tags=_key_values(body.tags),
        run_link=body.run_link or None,
        description=body.description,
        model_id=body.model_id or None,
    )
    return _version(created)


@router.get("/model-versions/get")
def get_model_version(name: Text, version: Text, service: Registry) -> Response:
    return _version(service.get_model_version(name, version))


@router.patch("/model-versions/update")
def update_model_version(body: schemas.UpdateModelVersion, service: Registry) -> Response:
    return _version(service.update_model_version(body.name, body.version, body.description))


@router.delete("/model-versions/delete")
def delete_model_version(body: schemas.VersionRef, service: Registry) -> Response:
    service.delete_model_version(body.name, body.version)
    return empty()


@router.get("/model-versions/search")
def search_model_versions(
    service: Registry,
    filter: Text | None = None,
    max_results: Int64 = 10_000,
    order_by: OrderBy = None,
    page_token: Text | None = None,
) -> Response:
    found = service.search_model_versions(filter, max_results, order_by, page_token)
    return _versions(found, found.token)


@router.post("/model-versions/transition-stage")
def transition_model_version_stage(body: schemas.TransitionStage, service: Registry) -> Response:
    moved = service.transition_model_version_stage(
        body.name, body.version, body.stage, body.archive_existing_versions
    )
    return _version(moved)


@router.post("/model-versions/set-tag")
def set_model_version_tag(body: schemas.VersionTag, service: Registry) -> Response:
    service.set_model_version_tag(body.name, body.version, body.key, body.value)
    return empty()


@router.delete("/model-versions/delete-tag")
def delete_model_version_tag(body: schemas.VersionTagRef, service: Registry) -> Response:
    service.delete_model_version_tag(body.name, body.version, body.key)
    return empty()


@router.get("/model-versions/get-download-uri")
def get_model_version_download_uri(name: Text, version: Text, service: Registry) -> Response:
    return OrjsonResponse({"artifact_uri": service.get_model_version_download_uri(name, version)})
