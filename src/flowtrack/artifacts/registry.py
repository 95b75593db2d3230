"""Choose the artifact repository for a URI, and build artifact URIs.

Plain paths and ``file://`` URIs get the local repository (fsspec is not imported); ``s3://`` gets s3fs,
pointed at ``FLOWTRACK_S3_ENDPOINT_URL`` / ``MLFLOW_S3_ENDPOINT_URL`` / ``AWS_ENDPOINT_URL`` when one is set,
with credentials from the normal AWS chain; other storage schemes with an installed fsspec implementation
(``memory://``, ``gs://``, ``az://``, ...) pass through to fsspec. ``mlflow-artifacts:`` URIs, and
``http(s)://.../api/2.0/mlflow-artifacts/artifacts/...`` URLs, go through a tracking server's artifact proxy
(:mod:`flowtrack.artifacts.proxy`), found from the tracking URI as MLflow does.
"""

from __future__ import annotations

import os
import re
from typing import Any
from urllib.parse import unquote, urlsplit

from flowtrack.artifacts.base import ArtifactRepository
from flowtrack.artifacts.paths import clean_artifact_path
from flowtrack.exceptions import MissingDependency, UnsupportedUriError

__all__ = ["S3_ENDPOINT_ENV_VARS", "artifact_uri_join", "get_artifact_repository"]

S3_ENDPOINT_ENV_VARS = ("FLOWTRACK_S3_ENDPOINT_URL", "MLFLOW_S3_ENDPOINT_URL", "AWS_ENDPOINT_URL")

_FIELD = "artifact_uri"
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")
_WINDOWS_DRIVE = re.compile(r"^[A-Za-z]:([\\/]|$)")
_S3_SCHEMES = frozenset({"s3", "s3a"})
_PROXY_API_PATH = "/api/2.0/mlflow-artifacts/artifacts"
# fsspec protocols that are caches, archives, read-only or wrappers rather than places to keep artifacts.
# http(s) URLs hold artifacts only as a tracking server's artifact proxy (handled before fsspec).
_NOT_STORAGE = frozenset(
    {
        "http", "https", "data", "reference", "zip", "tar", "libarchive", "github", "git", "dir",
        "blockcache", "filecache", "simplecache", "cached", "jupyter", "jlab",
    }
)  # fmt: skip
# Bounded memory per S3 transfer (botocore holds ~2 copies of a part): 8 MiB parts, one at a time, downloads
# streamed; a file under 16 MiB goes up in one request. Several files still move concurrently.
_S3_TRANSFER = {"chunksize": 8 * 2**20, "max_concurrency": 1}


def get_artifact_repository(uri: str, tracking_uri: str | None = None) -> ArtifactRepository:
    """The repository for the artifact root ``uri``; raises UnsupportedUriError or MissingDependency.

    ``tracking_uri`` locates the server behind ``mlflow-artifacts:/path`` URIs (which name no host).
    """
    if not uri:
        raise UnsupportedUriError("artifact URI is empty", field=_FIELD)
    # the repositories module is imported here, not at the top: a flow or run that never touches artifacts
    # (and `import flowtrack` itself) should not pay for it
    from flowtrack.artifacts.fsspec_repository import LocalArtifactRepository

    scheme = uri_scheme(uri)
    if scheme is None:
        return LocalArtifactRepository(uri)
    if scheme == "file":
        return LocalArtifactRepository(_file_uri_path(uri), root_uri=uri)
    if scheme in _S3_SCHEMES:
        return _s3_repository(uri)
    if scheme == "mlflow-artifacts" or (scheme in ("http", "https") and _PROXY_API_PATH in uri):
        from flowtrack.artifacts.proxy import proxy_repository

        return proxy_repository(uri, tracking_uri)
    return _fsspec_repository(uri, scheme)


def artifact_uri_join(base: str, *parts: str) -> str:
    """``base`` with ``parts`` appended: OS separators for plain paths, ``/`` for URIs.

    Each part is a relative artifact path (``run_id``, ``artifacts``, ``a/b``); one that would escape raises
    ArtifactPathError. ``artifact_uri_join("s3://b/root/", run_id, "artifacts") == f"s3://b/root/{run_id}/artifacts"``.
    """
    if not base:
        raise UnsupportedUriError("cannot join onto an empty artifact URI", field=_FIELD)
    joined = "/".join(seg for part in parts if (seg := clean_artifact_path(part, field="part")))
    if not joined:
        return base
    if uri_scheme(base) is None:
        return os.path.join(base, *joined.split("/"))
    stripped = base.rstrip("/")
    if stripped.endswith(":"):  # nothing but slashes after the scheme: file:///, memory://
        return f"{base}{joined}" if base.endswith("/") else f"{base}/{joined}"
    return f"{stripped}/{joined}"


def uri_scheme(uri: str) -> str | None:
    """The lower-cased scheme of ``uri``, or None for a plain (possibly Windows) path."""
    if _WINDOWS_DRIVE.match(uri):
        return None
    match = _SCHEME.match(uri)
    return match.group(1).lower() if match else None


def s3_endpoint_url() -> str | None:
    """The first non-empty of ``S3_ENDPOINT_ENV_VARS``; None means AWS itself."""
    for name in S3_ENDPOINT_ENV_VARS:
        if value := os.environ.get(name, "").strip():
            return value
    return None


def _file_uri_path(uri: str) -> str:
    parts = urlsplit(uri)
    if parts.netloc not in ("", "localhost"):
        raise UnsupportedUriError(
            f"file URIs must be local (file:///path), got host {parts.netloc!r} in {uri!r}", field=_FIELD
        )
    path = unquote(parts.path)
    if os.name == "nt" and re.match(r"^/[A-Za-z]:", path):
        path = path[1:]  # file:///C:/x -> C:/x
    if not path:
        raise UnsupportedUriError(f"file URI has no path: {uri!r}", field=_FIELD)
    return path


def _s3_repository(uri: str) -> ArtifactRepository:
    if not urlsplit(uri).netloc:
        raise UnsupportedUriError(
            f"S3 artifact URI needs a bucket (s3://bucket/prefix): {uri!r}", field=_FIELD
        )
    try:
        import s3fs
    except ImportError as exc:
        raise MissingDependency("s3fs", "s3") from exc
    options: dict[str, Any] = {"use_listings_cache": False}  # other processes write here too
    if endpoint := s3_endpoint_url():
        options["endpoint_url"] = endpoint
    from flowtrack.artifacts.fsspec_repository import FsspecArtifactRepository

    return FsspecArtifactRepository(uri, s3fs.S3FileSystem(**options), transfer_options=_S3_TRANSFER)


def _fsspec_repository(uri: str, scheme: str) -> ArtifactRepository:
    if scheme in _NOT_STORAGE or "::" in uri:
        raise UnsupportedUriError(f"{scheme}:// URIs cannot hold artifacts: {uri!r}", field=_FIELD)
    from fsspec.core import url_to_fs
    from fsspec.registry import known_implementations, registry

    if scheme not in registry and scheme not in known_implementations:
        raise UnsupportedUriError(
            f"no artifact repository handles {scheme}:// (use a folder, file://, s3:// or another fsspec "
            f"storage scheme): {uri!r}",
            field=_FIELD,
        )
    try:
        fs, _ = url_to_fs(uri)
    except ImportError as exc:
        raise UnsupportedUriError(
            f"{scheme}:// needs a package that is not installed: {exc}", field=_FIELD
        ) from exc
    from flowtrack.artifacts.fsspec_repository import FsspecArtifactRepository

    return FsspecArtifactRepository(uri, fs)
