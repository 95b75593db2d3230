"""The one place that maps a tracking URI to a registry store: the registry lives where tracking does.

SQL URIs get a :class:`SqlRegistryStore` on the same database (cheap to make: the engine and the schema
check are shared per URI); ``http(s)`` URIs get a :class:`RestRegistryStore`, shared per URI for its
connection pool.
"""

from __future__ import annotations

import threading

from flowtrack.exceptions import UnsupportedUriError
from flowtrack.registry.stores.base import RegistryStore
from flowtrack.tracking.stores.registry import REST_SCHEMES, SQL_SCHEMES, uri_scheme

_rest_stores: dict[str, RegistryStore] = {}
_lock = threading.Lock()


def get_registry_store(uri: str, artifact_root: str) -> RegistryStore:
    scheme = uri_scheme(uri)
    if scheme in SQL_SCHEMES:
        from flowtrack.registry.stores.sql.store import SqlRegistryStore

        return SqlRegistryStore(uri, artifact_root)
    if scheme in REST_SCHEMES:
        with _lock:
            store = _rest_stores.get(uri)
            if store is None:
                from flowtrack.registry.stores.rest.store import RestRegistryStore

                store = _rest_stores[uri] = RestRegistryStore(uri)
        return store
    raise UnsupportedUriError(
        f"the model registry needs a database or server URI, not {uri!r}", field="tracking_uri"
    )


def clear_cache() -> None:
    """Close and forget the shared REST stores (tests, and processes that switch servers)."""
    with _lock:
        stores = list(_rest_stores.values())
        _rest_stores.clear()
    for store in stores:
        store.close()
