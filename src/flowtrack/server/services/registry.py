"""The model registry behind the server: the registry client's rules on the server's own store.

Everything that arrives over HTTP goes through the same checks as :class:`RegistryClient` calls (names,
versions, stages, aliases, filters), so a bad value is a 400 naming its field and never reaches the database.
"""

from __future__ import annotations

from flowtrack.registry.client import RegistryClient
from flowtrack.registry.stores.base import RegistryStore
from flowtrack.registry.stores.registry import get_registry_store


class RegistryService(RegistryClient):
    """The registry operations of MLflow's REST API, on one store."""

    def __init__(self, backend_store_uri: str, store: RegistryStore) -> None:
        super().__init__(backend_store_uri, store=store)


def open_registry(backend_store_uri: str, artifact_root: str) -> RegistryService:
    return RegistryService(backend_store_uri, get_registry_store(backend_store_uri, artifact_root))
