"""The one place that maps a URI to an orchestration store.

Without a URI: the configured API URL (``flowtrack config set api_url=http://...`` or ``FLOWTRACK_API_URL``)
when there is one; else the tracking URI (the process-wide one once :mod:`flowtrack.lineage` is loaded, so
``set_tracking_uri`` steers flows too), so flows are recorded beside the runs they produce (a tracking
server URI means that server's ``/api/v1``, a database URI that database). Stores are shared per URI and
imported lazily, so ``import flowtrack`` stays light.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from flowtrack.config.settings import load_settings
from flowtrack.exceptions import UnsupportedUriError
from flowtrack.orchestration.stores.base import OrchestrationStore

SQL_SCHEMES = frozenset(
    {"sqlite", "postgresql", "postgresql+psycopg", "postgres", "mysql", "mysql+pymysql", "mariadb"}
)
REST_SCHEMES = frozenset({"http", "https"})

_stores: dict[str, OrchestrationStore] = {}
_lock = threading.Lock()


_tracking_uri: Callable[[], str] | None = None


def follow_tracking_uri(current: Callable[[], str] | None) -> None:
    """Take the tracking URI from ``current`` (the process-wide one, which ``set_tracking_uri`` changes).

    Orchestration cannot import tracking; :mod:`flowtrack.lineage`, above both, installs this so a flow
    records its runs where its tracked runs go. Without it, the configured tracking URI is used.
    """
    global _tracking_uri
    _tracking_uri = current


def resolve_uri(uri: str | None = None) -> str:
    """``uri``, else the configured API URL, else the tracking URI."""
    if uri:
        return uri
    settings = load_settings()
    if settings.api_url:
        return settings.api_url
    return _tracking_uri() if _tracking_uri is not None else settings.resolved_tracking_uri()


def get_orchestration_store(uri: str | None = None) -> OrchestrationStore:
    """The store for ``uri`` (see the module docs for the default), shared per URI."""
    resolved = resolve_uri(uri)
    store = _stores.get(resolved)
    if store is not None:
        return store
    with _lock:
        store = _stores.get(resolved)
        if store is None:
            store = _create_store(resolved)
            _stores[resolved] = store
    return store


def _create_store(uri: str) -> OrchestrationStore:
    scheme = uri.partition(":")[0].lower() if ":" in uri else ""
    if scheme in SQL_SCHEMES:
        from flowtrack.orchestration.stores.sql.store import SqlOrchestrationStore

        return SqlOrchestrationStore(uri, lease_seconds=load_settings().flow_run_lease_seconds)
    if scheme in REST_SCHEMES:
        from flowtrack.orchestration.stores.rest.store import RestOrchestrationStore

        return RestOrchestrationStore(uri)
    supported = ", ".join(f"{name}://" for name in sorted(SQL_SCHEMES | REST_SCHEMES))
    raise UnsupportedUriError(
        f"no orchestration store for {uri!r}: use a database URI or the http(s) URL of a flowtrack server "
        f"({supported})",
        field="api_url",
    )


def clear_cache() -> None:
    """Close and forget every cached store (tests, and processes that switch URIs)."""
    with _lock:
        stores = list(_stores.values())
        _stores.clear()
    for store in stores:
        close = getattr(store, "close", None)
        if close is not None:
            close()
