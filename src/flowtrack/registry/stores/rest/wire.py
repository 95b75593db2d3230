"""MLflow's registry JSON to registry entities (readers accept what proto3 JSON may leave out)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flowtrack.registry.entities import ModelVersion, ModelVersionStage, ModelVersionStatus, RegisteredModel

JsonObject = dict[str, Any]


def _pairs(items: Sequence[JsonObject] | None) -> dict[str, str]:
    return {str(item["key"]): str(item.get("value", "")) for item in items or ()}


def _int(value: Any) -> int:
    return int(value or 0)


def model_version_from_json(data: JsonObject) -> ModelVersion:
    return ModelVersion(
        name=str(data["name"]),
        version=str(data["version"]),
        creation_timestamp=_int(data.get("creation_timestamp")),
        last_updated_timestamp=_int(data.get("last_updated_timestamp")),
        current_stage=ModelVersionStage.parse(data.get("current_stage") or "None"),
        description=data.get("description") or "",
        source=data.get("source") or "",
        run_id=data.get("run_id") or None,
        status=ModelVersionStatus(data.get("status") or "READY"),
        status_message=data.get("status_message") or None,
        run_link=data.get("run_link") or "",
        user_id=data.get("user_id") or "",
        model_id=data.get("model_id") or None,
        tags=_pairs(data.get("tags")),
        aliases=tuple(str(alias) for alias in data.get("aliases") or ()),
    )


def registered_model_from_json(data: JsonObject) -> RegisteredModel:
    return RegisteredModel(
        name=str(data["name"]),
        creation_timestamp=_int(data.get("creation_timestamp")),
        last_updated_timestamp=_int(data.get("last_updated_timestamp")),
        description=data.get("description") or "",
        tags=_pairs(data.get("tags")),
        aliases={str(item["alias"]): str(item["version"]) for item in data.get("aliases") or ()},
        latest_versions=tuple(model_version_from_json(item) for item in data.get("latest_versions") or ()),
    )
