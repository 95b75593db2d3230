"""The artifact repository contract shared by tracking (run files) and orchestration (results)."""

from __future__ import annotations

import abc
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class FileInfo:
    """One entry of an artifact listing; ``path`` is relative to the repository root, ``/``-separated."""

    path: str
    is_dir: bool
    file_size: int | None = None


class ArtifactRepository(abc.ABC):
    """Files under one root URI. Every ``artifact_path`` is relative and may not escape the root."""

    def __init__(self, root_uri: str) -> None:
        self.root_uri = root_uri

    @abc.abstractmethod
    def log_artifact(self, local_file: Path, artifact_path: str | None = None) -> None:
        """Copy one local file into the directory ``artifact_path`` (the root when None)."""

    @abc.abstractmethod
    def log_artifacts(self, local_dir: Path, artifact_path: str | None = None) -> None:
        """Copy the contents of a local directory, recursively, into ``artifact_path``."""

    @abc.abstractmethod
    def write_bytes(self, artifact_file: str, data: bytes) -> None:
        """Create or replace the file ``artifact_file`` with ``data``."""

    @abc.abstractmethod
    def read_bytes(self, artifact_file: str) -> bytes:
        """Raises ArtifactNotFound."""

    @abc.abstractmethod
    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        """Direct children of ``path``, sorted by path; an empty list for a missing directory."""

    @abc.abstractmethod
    def download_artifacts(self, artifact_path: str, dst_path: Path) -> Path:
        """Copy a file or a directory tree under ``dst_path``; return the local path of what was copied."""

    @abc.abstractmethod
    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        """Delete a file or a directory tree (the whole root when None)."""
