"""Result serializers and storage: task results kept as files through the artifact layer (fsspec).

A stored result is one file: a JSON header line (serializer, creation and expiry times) and the payload.
The default storage is ``<artifact root>/orchestration/results``; any artifact URI (``s3://...``) works.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from typing import Any, Protocol

from flowtrack._internal.clock import now_ms
from flowtrack.artifacts.base import ArtifactRepository
from flowtrack.artifacts.registry import artifact_uri_join, get_artifact_repository
from flowtrack.exceptions import ArtifactNotFound, InvalidArgument

__all__ = [
    "ResultSerializer",
    "ResultStore",
    "StoredResult",
    "default_result_uri",
    "pickle_dumps",
    "pickle_loads",
    "resolve_serializer",
    "serializer_name",
]


class ResultSerializer(Protocol):
    """Any object with ``dumps``/``loads``; its ``name`` attribute, if any, names it in stored headers."""

    def dumps(self, value: Any) -> bytes: ...

    def loads(self, data: bytes) -> Any: ...


def pickle_dumps(value: Any) -> bytes:
    """cloudpickle, imported on first use: functions and classes from ``__main__`` pickle by value."""
    import cloudpickle

    return bytes(cloudpickle.dumps(value))


def pickle_loads(data: bytes) -> Any:
    import cloudpickle

    return cloudpickle.loads(data)


class CloudpickleSerializer:
    name = "cloudpickle"

    def dumps(self, value: Any) -> bytes:
        return pickle_dumps(value)

    def loads(self, data: bytes) -> Any:
        return pickle_loads(data)


class JsonSerializer:
    name = "json"

    def dumps(self, value: Any) -> bytes:
        return json.dumps(value).encode()

    def loads(self, data: bytes) -> Any:
        return json.loads(data)


_SERIALIZERS: dict[str, ResultSerializer] = {"cloudpickle": CloudpickleSerializer(), "json": JsonSerializer()}


def resolve_serializer(spec: str | ResultSerializer | None) -> ResultSerializer:
    if spec is None:
        return _SERIALIZERS["cloudpickle"]
    if isinstance(spec, str):
        try:
            return _SERIALIZERS[spec]
        except KeyError:
            known = ", ".join(sorted(_SERIALIZERS))
            raise InvalidArgument(
                f"unknown result_serializer {spec!r}; use one of {known} or an object with dumps/loads",
                field="result_serializer",
            ) from None
    if not (callable(getattr(spec, "dumps", None)) and callable(getattr(spec, "loads", None))):
        raise InvalidArgument(
            f"result_serializer must be a serializer name or an object with dumps/loads; got {spec!r}",
            field="result_serializer",
        )
    return spec


def serializer_name(serializer: ResultSerializer) -> str:
    """Its ``name`` attribute when it has a string one, else its class's qualified name."""
    name = getattr(serializer, "name", None)
    return name if isinstance(name, str) and name else type(serializer).__qualname__


@dataclass(frozen=True, slots=True)
class StoredResult:
    value: Any
    created_ms: int
    expires_ms: int | None


_roots: dict[tuple[str | None, str | None], str] = {}


def default_result_uri(*parts: str) -> str:
    """``<artifact root>/orchestration/<parts>``; settings are read once per FLOWTRACK_HOME/ARTIFACT_ROOT."""
    env_key = (os.environ.get("FLOWTRACK_HOME"), os.environ.get("FLOWTRACK_ARTIFACT_ROOT"))
    root = _roots.get(env_key)
    if root is None:
        from flowtrack.config.settings import load_settings

        root = _roots[env_key] = load_settings().resolved_artifact_root()
    return artifact_uri_join(root, "orchestration", *parts)


class ResultStore:
    """Files named by key under one URI."""

    def __init__(self, uri: str, serializer: ResultSerializer) -> None:
        self.uri = uri
        self.serializer = serializer
        self._repository: ArtifactRepository | None = None

    @property
    def repository(self) -> ArtifactRepository:
        if self._repository is None:
            self._repository = get_artifact_repository(self.uri)
        return self._repository

    def write(self, key: str, value: Any, expires_ms: int | None = None) -> None:
        name = serializer_name(self.serializer)
        header = {"serializer": name, "created_ms": now_ms(), "expires_ms": expires_ms}
        payload = json.dumps(header).encode() + b"\n" + self.serializer.dumps(value)
        self.repository.write_bytes(key, payload)

    def read(self, key: str) -> StoredResult | None:
        """The stored result, or None when there is none or it expired."""
        try:
            data = self.repository.read_bytes(key)
        except ArtifactNotFound:
            return None
        head, _, payload = data.partition(b"\n")
        header = json.loads(head)
        expires_ms = header.get("expires_ms")
        if expires_ms is not None and expires_ms <= now_ms():
            return None
        serializer = self._serializer_for(header.get("serializer"))
        return StoredResult(serializer.loads(payload), header["created_ms"], expires_ms)

    def _serializer_for(self, name: str | None) -> ResultSerializer:
        """This store's own serializer when the header names it (a custom object is known only here)."""
        if name is None or name == serializer_name(self.serializer):
            return self.serializer
        return resolve_serializer(name)
