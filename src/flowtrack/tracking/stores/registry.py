"""The one place that maps a tracking URI to a store.

Clients and the fluent API get their store here and never import a store module directly; store modules are
imported lazily, so ``import flowtrack`` stays light.
"""

from __future__ import annotations

import threading
from pathlib import Path

from flowtrack.exceptions import StoreUnavailable, UnsupportedUriError
from flowtrack.tracking.stores.base import TrackingStore

SQL_SCHEMES = frozenset({"sqlite", "postgresql", "postgresql+psycopg", "postgres", "mysql", "mysql+pymysql"})
REST_SCHEMES = frozenset({"http", "https"})
SUPPORTED_SCHEMES = tuple(sorted(SQL_SCHEMES | REST_SCHEMES))

_stores: dict[tuple[str, str], TrackingStore] = {}
_lock = threading.Lock()


def uri_scheme(uri: str) -> str:
    """The scheme of ``uri`` in lower case, or "" for a plain path (Windows drive letters count as paths)."""
    scheme, sep, _ = uri.partition(":")
    if not sep or len(scheme) == 1 or not scheme or "/" in scheme or "\\" in scheme:
        return ""
    return scheme.lower()


def get_tracking_store(uri: str, artifact_root: str) -> TrackingStore:
    """The store for ``uri``, shared per (uri, artifact_root); UnsupportedUriError for unknown schemes.

    A server decides its own artifact root, so REST stores are shared per uri (one connection pool).
    """
    key = (uri, "" if uri_scheme(uri) in REST_SCHEMES else artifact_root)
    store = _stores.get(key)
    if store is not None:
        return store
    with _lock:
        store = _stores.get(key)
        if store is None:
            store = _create_store(uri, artifact_root)
            _stores[key] = store
    return store


def check_database_exists(uri: str) -> None:
    """For callers that only read: StoreUnavailable when ``uri`` is an SQLite file that does not exist.

    Opening a store creates a missing SQLite database (and its folder), which is what writers want; a reader
    given a mistyped path would instead create an empty database and report that it holds nothing.
    """
    if uri_scheme(uri) != "sqlite":
        return
    from flowtrack.db.engine import normalize_url, sqlite_path

    path = sqlite_path(normalize_url(uri))
    if path.is_dir():
        raise StoreUnavailable(f"the tracking database {path} is a folder, not an SQLite file ({uri!r})")
    if not path.is_file():
        raise StoreUnavailable(
            f"the tracking database {path} does not exist (tracking URI {uri!r}): nothing was logged there. "
            "Check the URI for a typo; logging a run or creating an experiment there creates it."
        )


def _create_store(uri: str, artifact_root: str) -> TrackingStore:
    scheme = uri_scheme(uri)
    if scheme in SQL_SCHEMES:
        from flowtrack.tracking.stores.sql.store import SqlTrackingStore

        return SqlTrackingStore(uri, artifact_root)
    if scheme in REST_SCHEMES:
        from flowtrack.tracking.stores.rest.store import RestTrackingStore

        return RestTrackingStore(uri, artifact_root)
    raise UnsupportedUriError(_unsupported_message(uri, scheme), field="tracking_uri")


def _unsupported_message(uri: str, scheme: str) -> str:
    supported = ", ".join(f"{name}://" for name in SUPPORTED_SCHEMES)
    if scheme in ("", "file"):
        path = uri.removeprefix("file://").removeprefix("file:") or "."
        suggestion = Path(path).expanduser() / "flowtrack.db"
        return (
            f"{uri!r} is a folder, not a database: flowtrack keeps runs in a database, e.g. "
            f"sqlite:///{suggestion}. Supported schemes: {supported}"
        )
    return f"unsupported tracking URI scheme {scheme!r} in {uri!r}; supported schemes: {supported}"


def clear_cache() -> None:
    """Close and forget every cached store (tests, and the end of a process that switches URIs)."""
    with _lock:
        stores = list(_stores.values())
        _stores.clear()
    for store in stores:
        store.close()
