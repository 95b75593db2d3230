"""Artifacts through a tracking server's artifact proxy (``mlflow-artifacts:`` URIs), as MLflow serves them.

``mlflow-artifacts:/1/<run>/artifacts`` names a path on the server the tracking URI points at;
``mlflow-artifacts://host:port/1/...`` names one on another server (reached with the tracking URI's scheme).
``http(s)://host/[prefix/]api/2.0/mlflow-artifacts/artifacts/<path>`` URIs spell the same thing out. Files
move through ``<server>/api/2.0/mlflow-artifacts/artifacts/<path>``: PUT uploads, GET downloads, GET with
``?path=`` lists a directory, DELETE removes. Uploads stream from the file and downloads stream to disk, so
a file is never held whole in memory; several files move concurrently.
"""

from __future__ import annotations

import os
import posixpath
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import httpx

from flowtrack._internal.http import Endpoint, HttpSession, Retry, parse_endpoint, quote_path
from flowtrack.artifacts.base import ArtifactRepository, FileInfo
from flowtrack.artifacts.fsspec_repository import _local_tree
from flowtrack.artifacts.paths import (
    clean_artifact_file,
    clean_artifact_path,
    is_clean_artifact_path,
    join_artifact_path,
)
from flowtrack.exceptions import (
    ArtifactNotFound,
    FlowtrackError,
    InvalidArgument,
    StoreUnavailable,
    UnsupportedUriError,
)

__all__ = ["API_PATH", "ProxyArtifactRepository", "proxy_repository"]

API_PATH = "api/2.0/mlflow-artifacts/artifacts"
PROXY_SCHEME = "mlflow-artifacts"
CHUNK_SIZE = 1 << 20
MAX_CONCURRENT_FILES = 8
_FIELD = "artifact_uri"
_TMP_PREFIX = ".flowtrack-download-"
_sessions: dict[Endpoint, HttpSession] = {}
_sessions_lock = threading.Lock()


def proxy_repository(uri: str, tracking_uri: str | None) -> ProxyArtifactRepository:
    """The repository for a ``mlflow-artifacts:`` URI or a ``.../mlflow-artifacts/artifacts/...`` URL."""
    parts = urlsplit(uri)
    if parts.scheme.lower() == PROXY_SCHEME:
        endpoint = _proxy_endpoint(uri, parts.netloc, tracking_uri)
        path = parts.path
    else:
        base, marker, path = uri.partition("/" + API_PATH)
        if not marker:
            raise UnsupportedUriError(f"{uri!r} is not a tracking server's artifact URL", field=_FIELD)
        endpoint = parse_endpoint(base, field=_FIELD)
    root = clean_artifact_path(path.lstrip("/"), field=_FIELD)
    return ProxyArtifactRepository(uri, _session(endpoint), root)


def _proxy_endpoint(uri: str, netloc: str, tracking_uri: str | None) -> Endpoint:
    tracking = urlsplit(tracking_uri or "")
    tracking_is_http = tracking.scheme.lower() in ("http", "https")
    if not netloc:
        if not tracking_is_http:
            raise UnsupportedUriError(
                f"{uri!r} is stored on a tracking server, but the tracking URI is {tracking_uri!r}: "
                "set the tracking URI to the server (e.g. http://127.0.0.1:5000) to read or write it",
                field=_FIELD,
            )
        return parse_endpoint(str(tracking_uri), field=_FIELD)
    if tracking_is_http and tracking.netloc.rpartition("@")[2] == netloc:
        return parse_endpoint(str(tracking_uri), field=_FIELD)  # the tracking server itself: its credentials
    scheme = tracking.scheme.lower() if tracking_is_http else "http"
    return parse_endpoint(f"{scheme}://{netloc}", field=_FIELD)


def _session(endpoint: Endpoint) -> HttpSession:
    """One keep-alive session per server and credentials, shared by every repository on it."""
    with _sessions_lock:
        session = _sessions.get(endpoint)
        if session is None:
            hint = "Is the tracking server running (`flowtrack server start`) and serving artifacts?"
            session = HttpSession(endpoint, service="artifact proxy of the tracking server", hint=hint)
            _sessions[endpoint] = session
    return session


class ProxyArtifactRepository(ArtifactRepository):
    """Artifacts under ``root`` (a clean relative path) on a tracking server's artifact proxy."""

    def __init__(self, root_uri: str, session: HttpSession, root: str) -> None:
        super().__init__(root_uri)
        self.session = session
        self.root = root

    # -- the public contract -------------------------------------------------------------------------------
    def log_artifact(self, local_file: Path, artifact_path: str | None = None) -> None:
        source = Path(local_file)
        if not source.is_file():
            raise FileNotFoundError(f"local_file {str(source)!r} is not an existing file")
        name = clean_artifact_path(source.name, field="local_file")
        self._upload(source, join_artifact_path(clean_artifact_path(artifact_path), name))

    def log_artifacts(self, local_dir: Path, artifact_path: str | None = None) -> None:
        base = clean_artifact_path(artifact_path)
        source = Path(local_dir)
        if not source.is_dir():
            raise NotADirectoryError(f"local_dir {str(source)!r} is not an existing directory")
        pairs = [(file, join_artifact_path(base, rel)) for file, rel in _local_tree(source)]
        _concurrently(lambda pair: self._upload(*pair), pairs)

    def write_bytes(self, artifact_file: str, data: bytes) -> None:
        rel = clean_artifact_file(artifact_file)
        self._check(self.session.send("PUT", self._file_url(rel), body=data), rel)

    def read_bytes(self, artifact_file: str) -> bytes:
        rel = clean_artifact_file(artifact_file)
        response = self.session.send("GET", self._file_url(rel))
        self._check(response, rel)
        return response.content

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        return sorted(self._list(clean_artifact_path(path, field="path")), key=lambda info: info.path)

    def download_artifacts(self, artifact_path: str, dst_path: Path) -> Path:
        rel = clean_artifact_path(artifact_path)
        local = Path(dst_path).joinpath(*rel.split("/")) if rel else Path(dst_path)
        listing = self._list(rel)
        if rel and not listing:  # a file, or nothing at all (GET says which)
            local.parent.mkdir(parents=True, exist_ok=True)
            self._download(rel, local)
            return local
        local.mkdir(parents=True, exist_ok=True)
        files = self._files_below(rel, listing)
        pairs = [(file, local.joinpath(*file[len(rel) :].lstrip("/").split("/"))) for file in files]
        for _, target in pairs:
            target.parent.mkdir(parents=True, exist_ok=True)
        _concurrently(lambda pair: self._download(*pair), pairs)
        return local

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        rel = clean_artifact_path(artifact_path)
        if not self.root and not rel:
            raise InvalidArgument(
                "refusing to delete the whole artifact store of the server", field="artifact_path"
            )
        response = self.session.send("DELETE", self._file_url(rel))
        if response.status_code != 404:
            self._check(response, rel)

    # -- transfers ------------------------------------------------------------------------------------------
    def _file_url(self, rel: str) -> str:
        return f"{API_PATH}/{quote_path(join_artifact_path(self.root, rel))}"

    def _upload(self, source: Path, rel: str) -> None:
        def chunks() -> Iterator[bytes]:
            with source.open("rb") as handle:
                while chunk := handle.read(CHUNK_SIZE):
                    yield chunk

        headers = {"Content-Length": str(source.stat().st_size), "Content-Type": "application/octet-stream"}
        response = self.session.send("PUT", self._file_url(rel), body=chunks, headers=headers)
        self._check(response, rel)

    def _download(self, rel: str, target: Path) -> None:
        """Stream ``rel`` into ``target`` through a temporary sibling, renamed when complete."""
        tmp = target.with_name(f"{_TMP_PREFIX}{os.urandom(6).hex()}-{target.name}")

        def attempt() -> httpx.Response:
            with self.session.client.stream("GET", self._file_url(rel)) as response:
                if response.status_code != 200:
                    response.read()
                    return response
                with tmp.open("wb") as handle:
                    _copy(response, handle)
            return response

        try:
            response = self.session.retrying(attempt, Retry.IDEMPOTENT, f"GET {self._file_url(rel)}")
            self._check(response, rel)
            os.replace(tmp, target)
        finally:
            tmp.unlink(missing_ok=True)

    def _list(self, rel: str) -> list[FileInfo]:
        full = join_artifact_path(self.root, rel)
        response = self.session.send("GET", API_PATH, params={"path": full} if full else None)
        if response.status_code == 404:
            return []
        self._check(response, rel)
        payload: dict[str, Any] = response.json() if response.content else {}
        return [info for entry in payload.get("files") or () if (info := _file_info(rel, entry))]

    def _files_below(self, rel: str, listing: list[FileInfo]) -> list[str]:
        """Every file below the directory ``rel`` (listed as ``listing``); one request per directory."""
        files: list[str] = []
        pending = [listing]
        while pending:
            for info in pending.pop():
                if info.is_dir:
                    pending.append(self._list(info.path))
                else:
                    files.append(info.path)
        return sorted(files)

    def _check(self, response: httpx.Response, rel: str) -> None:
        if response.is_success:
            return
        message = _message(response)
        where = f"{response.request.method} {self.session.endpoint.display}/{self._file_url(rel)}"
        status = response.status_code
        if status == 404:
            raise ArtifactNotFound(f"no artifact {rel!r} under {self.root_uri}: {message}")
        if status in (400, 413):
            refused = f"the server refused {where} (HTTP {status}): {message}"
            raise InvalidArgument(refused, field="artifact_path")
        if status == 503:
            raise StoreUnavailable(f"the artifact proxy is unavailable ({where}): {message}")
        raise FlowtrackError(f"the artifact proxy failed {where} (HTTP {status}): {message}")


def _file_info(rel: str, entry: dict[str, Any]) -> FileInfo | None:
    """A listing entry as a FileInfo relative to the repository root; names that could escape are skipped."""
    name = posixpath.basename(str(entry.get("path", "")).rstrip("/"))
    if not name or not is_clean_artifact_path(name):
        return None
    is_dir = bool(entry.get("is_dir", False))
    size = entry.get("file_size")
    return FileInfo(join_artifact_path(rel, name), is_dir, None if is_dir or size is None else int(size))


def _copy(response: httpx.Response, handle: IO[bytes]) -> None:
    for chunk in response.iter_bytes(CHUNK_SIZE):
        handle.write(chunk)


def _concurrently(work: Callable[[Any], None], items: list[Any]) -> None:
    """Run ``work`` on every item, a few at a time; the first failure is raised after all have finished."""
    if len(items) <= 1:
        for item in items:
            work(item)
        return
    with ThreadPoolExecutor(max_workers=min(MAX_CONCURRENT_FILES, len(items))) as pool:
        futures = [pool.submit(work, item) for item in items]
    for future in futures:
        future.result()


def _message(response: httpx.Response) -> str:
    try:
        payload = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason_phrase
    if isinstance(payload, dict) and payload.get("message"):
        return str(payload["message"])
    return response.text.strip()[:500]
