"""The artifact proxy: files under ``--artifacts-destination``, addressed as ``mlflow-artifacts:/<path>``.

Uploads and downloads stream: a local destination gets each upload written to a temporary file beside its
target and renamed into place (readers never see half a file), and downloads are sent from the file itself.
Other destinations (``s3://…``) go through a temporary local file and the artifact repository. Every path is
cleaned by ``flowtrack.artifacts.paths`` and, on disk, resolved so no symbolic link leads out of the root.
"""

from __future__ import annotations

import mimetypes
import os
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import unquote, urlsplit

from flowtrack.artifacts.base import ArtifactRepository, FileInfo
from flowtrack.artifacts.paths import clean_artifact_file, clean_artifact_path, join_artifact_path
from flowtrack.artifacts.registry import get_artifact_repository, uri_scheme
from flowtrack.exceptions import ArtifactNotFound, ArtifactPathError
from flowtrack.server.config import PROXY_SCHEME
from flowtrack.server.limits import PayloadTooLarge

_TMP_PREFIX = ".flowtrack-tmp-"  # the local repository leaves such names out of listings
# Types a browser would run or render as a page are sent as plain text, so an artifact cannot script the UI.
_ACTIVE_TYPES = frozenset(
    {"text/html", "application/xhtml+xml", "image/svg+xml", "text/javascript", "application/javascript"}
)


@dataclass(frozen=True, slots=True)
class Download:
    """A local file to send; ``cleanup`` (when set) removes it once sent."""

    path: Path
    media_type: str
    cleanup: Callable[[], None] | None = None


class Upload:
    """One upload in progress: ``write`` chunks, then ``commit`` (or ``abort`` on any failure)."""

    def __init__(
        self, handle: IO[bytes], limit: int, commit: Callable[[str], None], tmp_dir: str | None
    ) -> None:
        self._handle = handle
        self._limit = limit
        self._commit = commit
        self._tmp_dir = tmp_dir
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.size += len(chunk)
        if self.size > self._limit:
            raise PayloadTooLarge(f"the upload is larger than the server's limit of {self._limit} bytes")
        self._handle.write(chunk)

    def commit(self) -> None:
        self._handle.close()
        try:
            self._commit(self._handle.name)
        finally:
            self.abort()

    def abort(self) -> None:
        self._handle.close()
        if os.path.lexists(self._handle.name):
            os.unlink(self._handle.name)
        if self._tmp_dir is not None:
            shutil.rmtree(self._tmp_dir, ignore_errors=True)


class ArtifactService:
    """Artifacts under one destination (a folder, ``file://`` or any URI the artifact registry handles)."""

    def __init__(self, destination: str, max_upload_bytes: int) -> None:
        self.destination = destination
        self.max_upload_bytes = max_upload_bytes
        self.local_root = _local_path(destination)
        self._repository: ArtifactRepository | None = None

    @property
    def repository(self) -> ArtifactRepository:
        if self._repository is None:
            self._repository = get_artifact_repository(self.destination)
        return self._repository

    # -- the proxy routes ------------------------------------------------------------------------------------
    def list_files(self, path: str | None) -> list[FileInfo]:
        """Direct children of ``path``, with paths relative to it (MLflow's listing shape)."""
        rel = clean_artifact_path(path, field="path")
        return _relative_to(rel, self.repository.list_artifacts(rel))

    def download(self, path: str) -> Download:
        rel = clean_artifact_file(path, field="path")
        media_type = _media_type(rel)
        if self.local_root is not None:
            target = self._confined(rel)
            if not target.is_file():
                raise ArtifactNotFound(f"no artifact file {rel!r}")
            return Download(target, media_type)
        tmp_dir = tempfile.mkdtemp(prefix=_TMP_PREFIX)
        try:
            local = self.repository.download_artifacts(rel, Path(tmp_dir))
        except BaseException:
            shutil.rmtree(tmp_dir, ignore_errors=True)
            raise
        if not local.is_file():
            shutil.rmtree(tmp_dir, ignore_errors=True)
            raise ArtifactNotFound(f"no artifact file {rel!r}")
        return Download(local, media_type, lambda: shutil.rmtree(tmp_dir, ignore_errors=True))

    def begin_upload(self, path: str) -> Upload:
        rel = clean_artifact_file(path, field="path")
        if self.local_root is None:
            return self._remote_upload(rel)
        target = self._confined(rel)
        if target.is_dir():
            raise ArtifactPathError(f"artifact path {rel!r} is a directory, not a file", field="path")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError) as exc:
            raise ArtifactPathError(f"a parent of artifact path {rel!r} is a file", field="path") from exc
        handle = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed by Upload.commit/abort
            prefix=_TMP_PREFIX, dir=target.parent, delete=False
        )
        return Upload(handle, self.max_upload_bytes, lambda tmp: os.replace(tmp, target), None)

    def _remote_upload(self, rel: str) -> Upload:
        tmp_dir = tempfile.mkdtemp(prefix=_TMP_PREFIX)
        parent, _, name = rel.rpartition("/")
        final = os.path.join(tmp_dir, name)

        def commit(tmp: str) -> None:
            os.replace(tmp, final)
            self.repository.log_artifact(Path(final), parent or None)

        handle = tempfile.NamedTemporaryFile(dir=tmp_dir, delete=False)  # noqa: SIM115 - see Upload
        return Upload(handle, self.max_upload_bytes, commit, tmp_dir)

    def delete(self, path: str) -> None:
        rel = clean_artifact_file(path, field="path")  # never the whole destination
        if self.local_root is not None:
            self._confined(rel)
        self.repository.delete_artifacts(rel)

    # -- runs' artifacts -------------------------------------------------------------------------------------
    def list_run_artifacts(self, artifact_uri: str, path: str | None) -> list[FileInfo]:
        """Direct children of ``path`` under a run's artifact root, paths relative to that root."""
        rel = clean_artifact_path(path, field="path")
        proxied = proxied_path(artifact_uri)
        if proxied is None:
            return get_artifact_repository(artifact_uri).list_artifacts(rel)
        base = clean_artifact_path(proxied, field="artifact_uri")
        found = self.repository.list_artifacts(join_artifact_path(base, rel))
        return _relative_to(base, found)

    def _confined(self, rel: str) -> Path:
        """The file for ``rel`` under the local root; refused when a symbolic link leads out of the root."""
        assert self.local_root is not None
        root = os.path.realpath(self.local_root)
        target = os.path.join(self.local_root, *rel.split("/"))
        real = os.path.realpath(target)
        if real != root and not real.startswith(root.rstrip(os.sep) + os.sep):
            raise ArtifactPathError(
                f"artifact path {rel!r} resolves outside the artifact root through a symbolic link",
                field="path",
            )
        return Path(target)


def proxied_path(artifact_uri: str) -> str | None:
    """``1/abc/artifacts`` for ``mlflow-artifacts:/1/abc/artifacts`` (host and port, if any, dropped)."""
    if uri_scheme(artifact_uri) != PROXY_SCHEME:
        return None
    return unquote(urlsplit(artifact_uri).path).lstrip("/")


def _local_path(destination: str) -> Path | None:
    scheme = uri_scheme(destination)
    if scheme is None:
        return Path(destination).expanduser().absolute()
    if scheme == "file":
        return Path(unquote(urlsplit(destination).path)).absolute()
    return None


def _relative_to(base: str, infos: list[FileInfo]) -> list[FileInfo]:
    prefix = f"{base}/" if base else ""
    return [FileInfo(info.path.removeprefix(prefix), info.is_dir, info.file_size) for info in infos]


def _media_type(rel: str) -> str:
    guessed = mimetypes.guess_type(rel)[0] or "application/octet-stream"
    return "text/plain" if guessed in _ACTIVE_TYPES else guessed
