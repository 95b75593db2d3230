"""``RegistryStore``: what every registry store does, whatever holds the data.

Arguments arrive checked (see :mod:`flowtrack.registry.validation`): names, version numbers as integers,
stages as enums, filters and orderings parsed. Errors are flowtrack's: ``RegisteredModelNotFound``,
``ModelVersionNotFound``, ``AliasNotFound``, ``AlreadyExists``, ``InvalidArgument``.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

from flowtrack.registry.entities import ModelVersion, ModelVersionStage, RegisteredModel
from flowtrack.tracking.entities import PagedList, RunTag
from flowtrack.tracking.filters import Comparison, OrderBy


class RegistryStore(abc.ABC):
    # -- registered models -----------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_registered_model(
        self, name: str, tags: Sequence[RunTag], description: str | None
    ) -> RegisteredModel: ...

    @abc.abstractmethod
    def get_registered_model(self, name: str) -> RegisteredModel: ...

    @abc.abstractmethod
    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel: ...

    @abc.abstractmethod
    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel: ...

    @abc.abstractmethod
    def delete_registered_model(self, name: str) -> None: ...

    @abc.abstractmethod
    def search_registered_models(
        self,
        filters: Sequence[Comparison],
        max_results: int,
        order_by: Sequence[OrderBy],
        page_token: str | None,
    ) -> PagedList[RegisteredModel]: ...

    @abc.abstractmethod
    def set_registered_model_tag(self, name: str, tag: RunTag) -> None: ...

    @abc.abstractmethod
    def delete_registered_model_tag(self, name: str, key: str) -> None: ...

    @abc.abstractmethod
    def get_latest_versions(
        self, name: str, stages: Sequence[ModelVersionStage] | None
    ) -> list[ModelVersion]: ...

    # -- aliases ---------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def set_registered_model_alias(self, name: str, alias: str, version: int) -> None: ...

    @abc.abstractmethod
    def delete_registered_model_alias(self, name: str, alias: str) -> None: ...

    @abc.abstractmethod
    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion: ...

    # -- model versions --------------------------------------------------------------------------------------
    @abc.abstractmethod
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
        """A new READY version numbered one past the newest; ``runs:/`` and ``models:/<model_id>`` sources
        are resolved to where the files are (``storage_location``)."""

    @abc.abstractmethod
    def get_model_version(self, name: str, version: int) -> ModelVersion: ...

    @abc.abstractmethod
    def update_model_version(self, name: str, version: int, description: str | None) -> ModelVersion: ...

    @abc.abstractmethod
    def delete_model_version(self, name: str, version: int) -> None: ...

    @abc.abstractmethod
    def search_model_versions(
        self,
        filters: Sequence[Comparison],
        max_results: int,
        order_by: Sequence[OrderBy],
        page_token: str | None,
    ) -> PagedList[ModelVersion]: ...

    @abc.abstractmethod
    def transition_model_version_stage(
        self, name: str, version: int, stage: ModelVersionStage, archive_existing_versions: bool
    ) -> ModelVersion: ...

    @abc.abstractmethod
    def set_model_version_tag(self, name: str, version: int, tag: RunTag) -> None: ...

    @abc.abstractmethod
    def delete_model_version_tag(self, name: str, version: int, key: str) -> None: ...

    @abc.abstractmethod
    def get_model_version_download_uri(self, name: str, version: int) -> str: ...

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections; the store must not be used afterwards."""
