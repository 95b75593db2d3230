"""RegistryClient: registered models, their versions, tags, aliases and stages.

Method names and arguments follow ``mlflow.MlflowClient``. ``flowtrack.Client`` composes this class with
the tracking client; both use the same tracking URI, because the registry lives in the tracking database
(or behind the same server).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flowtrack.config.settings import load_settings
from flowtrack.registry import search, validation
from flowtrack.registry.entities import ModelVersion, ModelVersionStage, RegisteredModel
from flowtrack.registry.stores.base import RegistryStore
from flowtrack.registry.stores.registry import get_registry_store
from flowtrack.tracking import tracking_uri as tracking_uri_state
from flowtrack.tracking.entities import PagedList

DEFAULT_MODEL_MAX_RESULTS = 100  # MLflow's defaults
DEFAULT_VERSION_MAX_RESULTS = 10_000
DEFAULT_AWAIT_SECONDS = 300


class RegistryClient:
    """A registry client bound to one tracking URI: the one given, else the process-wide one."""

    tracking_uri: str
    artifact_root: str
    _registry_store: RegistryStore | None = None

    def __init__(self, tracking_uri: str | None = None, *, store: RegistryStore | None = None) -> None:
        """``store`` replaces the one the URI names (the server passes the store it opened)."""
        self.tracking_uri = tracking_uri or tracking_uri_state.get_tracking_uri()
        self.artifact_root = load_settings().resolved_artifact_root()
        self._registry_store = store

    @property
    def registry_store(self) -> RegistryStore:
        if self._registry_store is None:
            self._registry_store = get_registry_store(self.tracking_uri, self.artifact_root)
        return self._registry_store

    # -- registered models -----------------------------------------------------------------------------------
    def create_registered_model(
        self, name: str, tags: Mapping[str, Any] | None = None, description: str | None = None
    ) -> RegisteredModel:
        return self.registry_store.create_registered_model(
            validation.validate_name(name),
            validation.make_tags(tags),
            validation.validate_description(description),
        )

    def get_registered_model(self, name: str) -> RegisteredModel:
        return self.registry_store.get_registered_model(validation.validate_name(name))

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        checked = validation.validate_name(name)
        return self.registry_store.rename_registered_model(
            checked, validation.validate_name(new_name, "new_name")
        )

    def update_registered_model(self, name: str, description: str | None = None) -> RegisteredModel:
        return self.registry_store.update_registered_model(
            validation.validate_name(name), validation.validate_description(description)
        )

    def delete_registered_model(self, name: str) -> None:
        self.registry_store.delete_registered_model(validation.validate_name(name))

    def search_registered_models(
        self,
        filter_string: str | None = None,
        max_results: int = DEFAULT_MODEL_MAX_RESULTS,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[RegisteredModel]:
        """Registered models matching ``filter_string`` (``name LIKE 'taxi%'``, ``tags.team = 'ml'``), by name
        unless ``order_by`` says otherwise (``name``, ``creation_timestamp``, ``last_updated_timestamp``)."""
        filters = search.parse_registered_model_filter(filter_string)
        order = search.parse_registered_model_order_by(order_by) or list(search.DEFAULT_MODEL_ORDER)
        limit = validation.validate_max_results(max_results)
        return self.registry_store.search_registered_models(filters, limit, order, page_token)

    def set_registered_model_tag(self, name: str, key: str, value: Any) -> None:
        tag = validation.make_tag(key, value)
        self.registry_store.set_registered_model_tag(validation.validate_name(name), tag)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        checked = validation.validate_tag_key(key)
        self.registry_store.delete_registered_model_tag(validation.validate_name(name), checked)

    def get_latest_versions(self, name: str, stages: Sequence[str] | None = None) -> list[ModelVersion]:
        """The newest version in each stage (each of ``stages`` when given, e.g. ``["Production"]``)."""
        if isinstance(stages, str):
            stages = [stages]
        checked = [ModelVersionStage.parse(stage, "stages") for stage in stages] if stages else None
        return self.registry_store.get_latest_versions(validation.validate_name(name), checked)

    # -- aliases ---------------------------------------------------------------------------------------------
    def set_registered_model_alias(self, name: str, alias: str, version: str | int) -> None:
        """Point ``alias`` at ``version`` (moving it from another version if it was set); load the version
        with ``models:/<name>@<alias>``."""
        self.registry_store.set_registered_model_alias(
            validation.validate_name(name),
            validation.validate_alias(alias),
            validation.validate_version(version),
        )

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self.registry_store.delete_registered_model_alias(
            validation.validate_name(name), validation.validate_alias(alias)
        )

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return self.registry_store.get_model_version_by_alias(
            validation.validate_name(name), validation.validate_alias(alias)
        )

    # -- model versions --------------------------------------------------------------------------------------
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None = None,
        tags: Mapping[str, Any] | None = None,
        run_link: str | None = None,
        description: str | None = None,
        model_id: str | None = None,
        await_creation_for: int = DEFAULT_AWAIT_SECONDS,
    ) -> ModelVersion:
        """A new version of ``name`` from ``runs:/<run_id>/<path>``, ``models:/<model_id>`` or an artifact
        URI; READY at once (``await_creation_for`` is accepted for MLflow's sake and has nothing to wait for).
        """
        return self.registry_store.create_model_version(
            validation.validate_name(name),
            validation.validate_source(source),
            validation.validate_optional_id(run_id, "run_id"),
            validation.make_tags(tags),
            validation.validate_run_link(run_link),
            validation.validate_description(description),
            validation.validate_optional_id(model_id, "model_id"),
        )

    def get_model_version(self, name: str, version: str | int) -> ModelVersion:
        return self.registry_store.get_model_version(
            validation.validate_name(name), validation.validate_version(version)
        )

    def update_model_version(
        self, name: str, version: str | int, description: str | None = None
    ) -> ModelVersion:
        return self.registry_store.update_model_version(
            validation.validate_name(name),
            validation.validate_version(version),
            validation.validate_description(description),
        )

    def delete_model_version(self, name: str, version: str | int) -> None:
        """Delete the version, its tags and the aliases that point at it."""
        self.registry_store.delete_model_version(
            validation.validate_name(name), validation.validate_version(version)
        )

    def search_model_versions(
        self,
        filter_string: str | None = None,
        max_results: int = DEFAULT_VERSION_MAX_RESULTS,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[ModelVersion]:
        """Versions matching ``filter_string`` (``name = 'taxi'``, ``run_id IN ('…')``,
        ``version_number > 2``, ``tags.k = 'v'``); newest update first unless ``order_by`` says otherwise."""
        filters = search.parse_model_version_filter(filter_string)
        order = search.parse_model_version_order_by(order_by) or list(search.DEFAULT_VERSION_ORDER)
        limit = validation.validate_max_results(max_results)
        return self.registry_store.search_model_versions(filters, limit, order, page_token)

    def transition_model_version_stage(
        self, name: str, version: str | int, stage: str, archive_existing_versions: bool = False
    ) -> ModelVersion:
        """Move the version to ``stage`` (None, Staging, Production, Archived); with
        ``archive_existing_versions`` the versions already in Staging/Production move to Archived."""
        if not isinstance(archive_existing_versions, bool):
            raise validation.InvalidArgument(
                f"archive_existing_versions must be True or False, got {archive_existing_versions!r}",
                field="archive_existing_versions",
            )
        return self.registry_store.transition_model_version_stage(
            validation.validate_name(name),
            validation.validate_version(version),
            ModelVersionStage.parse(stage),
            archive_existing_versions,
        )

    def set_model_version_tag(self, name: str, version: str | int, key: str, value: Any) -> None:
        tag = validation.make_tag(key, value)
        self.registry_store.set_model_version_tag(
            validation.validate_name(name), validation.validate_version(version), tag
        )

    def delete_model_version_tag(self, name: str, version: str | int, key: str) -> None:
        checked = validation.validate_tag_key(key)
        self.registry_store.delete_model_version_tag(
            validation.validate_name(name), validation.validate_version(version), checked
        )

    def get_model_version_download_uri(self, name: str, version: str | int) -> str:
        """The URI of the version's files (a run's or logged model's artifact location, or the source)."""
        return self.registry_store.get_model_version_download_uri(
            validation.validate_name(name), validation.validate_version(version)
        )
