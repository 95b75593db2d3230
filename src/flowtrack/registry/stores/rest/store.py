"""``RestRegistryStore``: the registry as a client of a tracking server (MLflow's REST API 2.0).

It makes the calls the mlflow client makes, so it works against ``flowtrack server`` and an MLflow server.
Reads, tag writes, updates and stage transitions are retried on transient failures; creating, renaming and
deleting are retried only when the request provably never reached the server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from flowtrack._internal.http import HttpSession, Retry, parse_endpoint
from flowtrack.exceptions import AlreadyExists, FlowtrackError, NotFound
from flowtrack.registry.entities import ModelVersion, ModelVersionStage, RegisteredModel
from flowtrack.registry.errors import (
    AliasNotFound,
    ModelVersionNotFound,
    RegisteredModelAlreadyExists,
    RegisteredModelNotFound,
)
from flowtrack.registry.stores.base import RegistryStore
from flowtrack.registry.stores.rest import wire
from flowtrack.tracking import search
from flowtrack.tracking.entities import PagedList, RunTag
from flowtrack.tracking.filters import Comparison, OrderBy
from flowtrack.tracking.stores.rest import wire as tracking_wire
from flowtrack.tracking.stores.rest.errors import Subject, error_for

API_PREFIX = "api/2.0/mlflow/"


@dataclass(frozen=True, slots=True)
class Call:
    method: str
    path: str
    retry: Retry = Retry.IDEMPOTENT


CREATE_MODEL = Call("POST", "registered-models/create", Retry.UNSENT)
GET_MODEL = Call("GET", "registered-models/get")
RENAME_MODEL = Call("POST", "registered-models/rename", Retry.UNSENT)
UPDATE_MODEL = Call("PATCH", "registered-models/update")
DELETE_MODEL = Call("DELETE", "registered-models/delete", Retry.UNSENT)
SEARCH_MODELS = Call("GET", "registered-models/search")
LATEST_VERSIONS = Call("POST", "registered-models/get-latest-versions")
SET_MODEL_TAG = Call("POST", "registered-models/set-tag")
DELETE_MODEL_TAG = Call("DELETE", "registered-models/delete-tag")
SET_ALIAS = Call("POST", "registered-models/alias")
DELETE_ALIAS = Call("DELETE", "registered-models/alias")
GET_BY_ALIAS = Call("GET", "registered-models/alias")
CREATE_VERSION = Call("POST", "model-versions/create", Retry.UNSENT)
GET_VERSION = Call("GET", "model-versions/get")
UPDATE_VERSION = Call("PATCH", "model-versions/update")
DELETE_VERSION = Call("DELETE", "model-versions/delete", Retry.UNSENT)
SEARCH_VERSIONS = Call("GET", "model-versions/search")
TRANSITION = Call("POST", "model-versions/transition-stage")
SET_VERSION_TAG = Call("POST", "model-versions/set-tag")
DELETE_VERSION_TAG = Call("DELETE", "model-versions/delete-tag")
DOWNLOAD_URI = Call("GET", "model-versions/get-download-uri")


def _server_hint(url: str) -> str:
    return (
        f"Is the server running? Start one with `flowtrack server start`, or check the tracking URI ({url})"
    )


class RestRegistryStore(RegistryStore):
    def __init__(self, uri: str) -> None:
        self.uri = uri
        endpoint = parse_endpoint(uri)
        self.session = HttpSession(endpoint, service="tracking server", hint=_server_hint(endpoint.display))

    def close(self) -> None:
        self.session.close()

    def _call(self, call: Call, payload: Mapping[str, Any]) -> wire.JsonObject:
        """GET sends ``payload`` as the query string, every other method as a JSON body."""
        path = API_PREFIX + call.path
        if call.method == "GET":
            params = {key: value for key, value in payload.items() if value is not None}
            response = self.session.send(call.method, path, params=params, retry=call.retry)
        else:
            body = tracking_wire.encode(dict(payload))
            headers = {"Content-Type": "application/json"}
            response = self.session.send(call.method, path, body=body, headers=headers, retry=call.retry)
        where = f"{call.method} {self.session.endpoint.display}/{path}"
        if not response.is_success:
            subject = Subject.SEARCH if call.path.endswith("/search") else Subject.LOGGED_MODEL
            raise _registry_error(error_for(subject, response, where))
        return _json(response, where)

    # -- registered models -----------------------------------------------------------------------------------
    def create_registered_model(
        self, name: str, tags: Sequence[RunTag], description: str | None
    ) -> RegisteredModel:
        payload: dict[str, Any] = {"name": name, "tags": tracking_wire.key_values(tags)}
        if description is not None:
            payload["description"] = description
        return wire.registered_model_from_json(self._call(CREATE_MODEL, payload)["registered_model"])

    def get_registered_model(self, name: str) -> RegisteredModel:
        return wire.registered_model_from_json(self._call(GET_MODEL, {"name": name})["registered_model"])

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        found = self._call(RENAME_MODEL, {"name": name, "new_name": new_name})
        return wire.registered_model_from_json(found["registered_model"])

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        found = self._call(UPDATE_MODEL, {"name": name, "description": description or ""})
        return wire.registered_model_from_json(found["registered_model"])

    def delete_registered_model(self, name: str) -> None:
        self._call(DELETE_MODEL, {"name": name})

    def search_registered_models(
        self,
        filters: Sequence[Comparison],
        max_results: int,
        order_by: Sequence[OrderBy],
        page_token: str | None,
    ) -> PagedList[RegisteredModel]:
        found = self._call(SEARCH_MODELS, _search_params(filters, max_results, order_by, page_token))
        models = [wire.registered_model_from_json(item) for item in found.get("registered_models") or ()]
        return PagedList(models, found.get("next_page_token") or None)

    def set_registered_model_tag(self, name: str, tag: RunTag) -> None:
        self._call(SET_MODEL_TAG, {"name": name, "key": tag.key, "value": tag.value})

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._call(DELETE_MODEL_TAG, {"name": name, "key": key})

    def get_latest_versions(
        self, name: str, stages: Sequence[ModelVersionStage] | None
    ) -> list[ModelVersion]:
        payload = {"name": name, "stages": [stage.value for stage in stages or ()]}
        found = self._call(LATEST_VERSIONS, payload)
        return [wire.model_version_from_json(item) for item in found.get("model_versions") or ()]

    # -- aliases ---------------------------------------------------------------------------------------------
    def set_registered_model_alias(self, name: str, alias: str, version: int) -> None:
        self._call(SET_ALIAS, {"name": name, "alias": alias, "version": str(version)})

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._call(DELETE_ALIAS, {"name": name, "alias": alias})

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        found = self._call(GET_BY_ALIAS, {"name": name, "alias": alias})
        return wire.model_version_from_json(found["model_version"])

    # -- model versions --------------------------------------------------------------------------------------
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None,
        tags: Sequence[RunTag],
        run_link: str | None,
        description: str | None,
        model_id: str | None,
    ) -> ModelVersion:
        payload: dict[str, Any] = {"name": name, "source": source, "tags": tracking_wire.key_values(tags)}
        optional = {"run_id": run_id, "run_link": run_link, "description": description, "model_id": model_id}
        payload.update({key: value for key, value in optional.items() if value is not None})
        return wire.model_version_from_json(self._call(CREATE_VERSION, payload)["model_version"])

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        found = self._call(GET_VERSION, {"name": name, "version": str(version)})
        return wire.model_version_from_json(found["model_version"])

    def update_model_version(self, name: str, version: int, description: str | None) -> ModelVersion:
        payload = {"name": name, "version": str(version), "description": description or ""}
        return wire.model_version_from_json(self._call(UPDATE_VERSION, payload)["model_version"])

    def delete_model_version(self, name: str, version: int) -> None:
        self._call(DELETE_VERSION, {"name": name, "version": str(version)})

    def search_model_versions(
        self,
        filters: Sequence[Comparison],
        max_results: int,
        order_by: Sequence[OrderBy],
        page_token: str | None,
    ) -> PagedList[ModelVersion]:
        found = self._call(SEARCH_VERSIONS, _search_params(filters, max_results, order_by, page_token))
        versions = [wire.model_version_from_json(item) for item in found.get("model_versions") or ()]
        return PagedList(versions, found.get("next_page_token") or None)

    def transition_model_version_stage(
        self, name: str, version: int, stage: ModelVersionStage, archive_existing_versions: bool
    ) -> ModelVersion:
        payload = {
            "name": name,
            "version": str(version),
            "stage": stage.value,
            "archive_existing_versions": archive_existing_versions,
        }
        return wire.model_version_from_json(self._call(TRANSITION, payload)["model_version"])

    def set_model_version_tag(self, name: str, version: int, tag: RunTag) -> None:
        payload = {"name": name, "version": str(version), "key": tag.key, "value": tag.value}
        self._call(SET_VERSION_TAG, payload)

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        self._call(DELETE_VERSION_TAG, {"name": name, "version": str(version), "key": key})

    def get_model_version_download_uri(self, name: str, version: int) -> str:
        found = self._call(DOWNLOAD_URI, {"name": name, "version": str(version)})
        return str(found["artifact_uri"])


def _search_params(
    filters: Sequence[Comparison], max_results: int, order_by: Sequence[OrderBy], page_token: str | None
) -> dict[str, Any]:
    """Query parameters of a search; the filter goes in the canonical text the server parses back."""
    params: dict[str, Any] = {"max_results": str(max_results)}
    if filters:
        params["filter"] = search.format_filter(filters)
    if order_by:
        params["order_by"] = [_registry_order(clause) for clause in order_by]
    if page_token:
        params["page_token"] = page_token
    return params


def _registry_order(clause: OrderBy) -> str:
    return f"{clause.key} {'ASC' if clause.ascending else 'DESC'}"


def _registry_error(error: FlowtrackError) -> FlowtrackError:
    """The registry's exception class for a generic one, chosen by what the message is about."""
    message = str(error)
    if isinstance(error, NotFound):
        lowered = message.lower()
        if "alias" in lowered:
            return AliasNotFound(message)
        if "model version" in lowered:
            return ModelVersionNotFound(message)
        return RegisteredModelNotFound(message) if "registered model" in lowered else NotFound(message)
    if isinstance(error, AlreadyExists):
        return RegisteredModelAlreadyExists(message)
    return error


def _json(response: httpx.Response, where: str) -> wire.JsonObject:
    try:
        payload = tracking_wire.decode(response.content) if response.content else {}
    except ValueError as exc:
        raise FlowtrackError(f"{where} answered with invalid JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise FlowtrackError(f"{where} answered with {type(payload).__name__}, not a JSON object")
    return payload
