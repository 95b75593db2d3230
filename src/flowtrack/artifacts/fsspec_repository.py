"""Artifact repositories over fsspec (S3, GCS, memory, ...) and over the local disk.

:class:`FsspecArtifactRepository` holds what every backend shares (path confinement, naming, download layout)
over a few storage primitives written with fsspec; :class:`LocalArtifactRepository` rewrites the primitives
with ``os``/``shutil``: no fsspec import, atomic writes, and symbolic links that leave the root are refused.
"""

from __future__ import annotations

import logging
import os
import shutil
from collections.abc import Callable, Iterator, Mapping
from functools import partial
from pathlib import Path, PurePath
from typing import TYPE_CHECKING, Any, Literal

from flowtrack.artifacts.base import ArtifactRepository, FileInfo
from flowtrack.artifacts.paths import (
    checked_stored_path,
    clean_artifact_file,
    clean_artifact_path,
    direct_child,
    is_clean_artifact_path,
    join_artifact_path,
)
from flowtrack.exceptions import ArtifactNotFound, ArtifactPathError

if TYPE_CHECKING:
    from fsspec import AbstractFileSystem

__all__ = ["FsspecArtifactRepository", "LocalArtifactRepository"]

_log = logging.getLogger(__name__)

Kind = Literal["file", "directory"]
_BATCH_SIZE = 8  # files transferred concurrently by async filesystems
_TMP_PREFIX = ".flowtrack-tmp-"
_ALWAYS_RESOLVE = os.name == "nt"  # islink() misses junctions there, so resolve every path fully


class FsspecArtifactRepository(ArtifactRepository):
    """Artifacts under ``root_uri`` on any fsspec filesystem (resolved from the URI when ``fs`` is None).

    ``transfer_options`` go to every ``put_file``/``get_file``; for S3 they bound the memory of one transfer.
    """

    def __init__(
        self,
        root_uri: str,
        fs: AbstractFileSystem | None = None,
        *,
        transfer_options: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(root_uri)
        self._fs = fs
        self._root = "" if fs is None else str(fs._strip_protocol(root_uri)).rstrip("/")
        self._transfer = dict(transfer_options or {})

    @property
    def fs(self) -> AbstractFileSystem:
        if self._fs is None:
            from fsspec.core import url_to_fs

            self._fs, root = url_to_fs(self.root_uri)
            self._root = str(root).rstrip("/")
        return self._fs

    # -- the public contract -------------------------------------------------------------------------------

    def log_artifact(self, local_file: Path, artifact_path: str | None = None) -> None:
        source = Path(local_file)
        if not source.is_file():
            raise FileNotFoundError(f"local_file {str(source)!r} is not an existing file")
        name = clean_artifact_path(source.name, field="local_file")
        self._upload([(source, join_artifact_path(clean_artifact_path(artifact_path), name))])

    def log_artifacts(self, local_dir: Path, artifact_path: str | None = None) -> None:
        base = clean_artifact_path(artifact_path)
        source = Path(local_dir)
        if not source.is_dir():
            raise NotADirectoryError(f"local_dir {str(source)!r} is not an existing directory")
        pairs = [(file, join_artifact_path(base, rel)) for file, rel in _local_tree(source)]
        if pairs:
            self._upload(pairs)

    def write_bytes(self, artifact_file: str, data: bytes) -> None:
        self._write(clean_artifact_file(artifact_file), data)

    def read_bytes(self, artifact_file: str) -> bytes:
        return self._read(clean_artifact_file(artifact_file))

    def list_artifacts(self, path: str | None = None) -> list[FileInfo]:
        return sorted(self._list(clean_artifact_path(path, field="path")), key=lambda info: info.path)

    def download_artifacts(self, artifact_path: str, dst_path: Path) -> Path:
        rel = clean_artifact_path(artifact_path)
        local = Path(dst_path).joinpath(*rel.split("/")) if rel else Path(dst_path)
        kind: Kind | None = self._kind(rel) if rel else "directory"
        if kind is None:
            raise ArtifactNotFound(f"no artifact at {rel!r} under {self.root_uri}")
        if kind == "file":
            pairs = [(rel, local)]
        else:
            pairs = [
                (join_artifact_path(rel, sub), local.joinpath(*sub.split("/"))) for sub in self._files(rel)
            ]
            local.mkdir(parents=True, exist_ok=True)
        for _, target in pairs:
            target.parent.mkdir(parents=True, exist_ok=True)
        if pairs:
            self._download(pairs)
        return local

    def delete_artifacts(self, artifact_path: str | None = None) -> None:
        self._delete(clean_artifact_path(artifact_path))

    # -- storage primitives; ``rel`` is always a clean path relative to the root -----------------------------

    def _remote(self, rel: str) -> str:
        if self._fs is None:
            _ = self.fs  # resolving the filesystem also resolves the root path
        return f"{self._root}/{rel}" if rel else self._root

    @property
    def _object_store(self) -> bool:
        """Async fsspec filesystems (S3, GCS, Azure) are object stores: no directories, batched transfers."""
        return bool(getattr(self.fs, "async_impl", False))

    def _upload(self, pairs: list[tuple[Path, str]]) -> None:
        sources, targets = [str(source) for source, _ in pairs], [self._remote(rel) for _, rel in pairs]
        if self._object_store:
            self.fs.put(sources, targets, batch_size=_BATCH_SIZE, **self._transfer)
            return
        for source, target in zip(sources, targets, strict=True):
            self._creating_parent(target, partial(self.fs.put_file, source, target, **self._transfer))

    def _write(self, rel: str, data: bytes) -> None:
        target = self._remote(rel)
        self._creating_parent(target, partial(self.fs.pipe_file, target, data))

    def _creating_parent(self, target: str, write: Callable[[], object]) -> None:
        """Run ``write``, creating a missing parent first where directories are real (never buckets)."""
        try:
            write()
        except FileNotFoundError:
            if self._object_store:
                raise
            self.fs.makedirs(self.fs._parent(target), exist_ok=True)
            write()

    def _read(self, rel: str) -> bytes:
        try:
            data: bytes = self.fs.cat_file(self._remote(rel))
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ArtifactNotFound(f"no artifact file {rel!r} under {self.root_uri}") from exc
        return data

    def _list(self, rel: str) -> list[FileInfo]:
        target = self._remote(rel)
        try:
            entries: list[dict[str, Any]] = self.fs.ls(target, detail=True)
        except (FileNotFoundError, NotADirectoryError):
            return []
        infos = []
        for entry in entries:
            name = str(entry["name"]).rstrip("/")
            sub = direct_child(name, target)
            if sub is not None:
                is_dir = entry["type"] == "directory"
                size = None if is_dir else int(entry["size"] or 0)
                infos.append(FileInfo(join_artifact_path(rel, sub), is_dir, size))
        return infos

    def _kind(self, rel: str) -> Kind | None:
        try:
            info: dict[str, Any] = self.fs.info(self._remote(rel))
        except FileNotFoundError:
            return None
        return "directory" if info["type"] == "directory" else "file"

    def _files(self, rel: str) -> list[str]:
        """Paths, relative to ``rel``, of every file below it."""
        prefix = self._remote(rel) + "/"
        names: list[str] = self.fs.find(self._remote(rel))
        subs = [name[len(prefix) :] for name in names if name.startswith(prefix) and not name.endswith("/")]
        return sorted(checked_stored_path(sub, under=rel) for sub in subs)

    def _download(self, pairs: list[tuple[str, Path]]) -> None:
        sources, targets = [self._remote(rel) for rel, _ in pairs], [str(target) for _, target in pairs]
        batching = {"batch_size": _BATCH_SIZE} if self._object_store else {}
        self.fs.get(sources, targets, **batching, **self._transfer)

    def _delete(self, rel: str) -> None:
        targets = [self._remote(rel)]
        if not rel:  # empty the root but never remove it: on S3 it may be a bucket
            try:
                targets = [name for name in self.fs.ls(targets[0], detail=False) if name != targets[0]]
            except (FileNotFoundError, NotADirectoryError):
                return
        for target in targets:
            try:
                self.fs.rm(target, recursive=True)
            except FileNotFoundError:
                continue


class LocalArtifactRepository(FsspecArtifactRepository):
    """Artifacts in a local directory through ``os``/``shutil``; ``fs`` still gives fsspec's view on demand.

    Files are written under a temporary name and renamed, so a reader never sees half a file; a path that
    reaches outside the root through a symbolic link is refused (a link's own entry is only skipped in lists).
    """

    def __init__(self, root: str | os.PathLike[str], root_uri: str | None = None) -> None:
        directory = os.path.abspath(os.path.expanduser(os.fspath(root)))
        super().__init__(root_uri or directory)
        self.root_dir = directory

    def _native(self, rel: str) -> str:
        return os.path.join(self.root_dir, *rel.split("/")) if rel else self.root_dir

    def _inside(self, native: str) -> bool:
        """Whether ``native``, with every symbolic link resolved, is the root or below it."""
        root = os.path.normcase(os.path.realpath(self.root_dir))
        real = os.path.normcase(os.path.realpath(native))
        return real == root or real.startswith(root.rstrip(os.sep) + os.sep)

    def _check_inside(self, rel: str, native: str) -> None:
        if not self._inside(native):
            raise ArtifactPathError(
                f"artifact path {rel!r} resolves outside the artifact root through a symbolic link",
                field="artifact_path",
            )

    def _confined(self, rel: str) -> str:
        """The native path of ``rel``; raises when a symbolic link on the way leads out of the root.

        A clean path cannot climb out by name, only through a link, so each component below the root is
        ``lstat``-ed and the costlier full resolution runs only when one of them is a link.
        """
        target = self._native(rel)
        component = self.root_dir
        for segment in rel.split("/") if rel else []:
            component = os.path.join(component, segment)
            if _ALWAYS_RESOLVE or os.path.islink(component):
                self._check_inside(rel, target)
                break
        return target

    def _upload(self, pairs: list[tuple[Path, str]]) -> None:
        for source, rel in pairs:
            _replace_atomically(self._writable(rel), partial(shutil.copyfile, source))

    def _write(self, rel: str, data: bytes) -> None:
        _replace_atomically(self._writable(rel), partial(_write_new_file, data=data))

    def _writable(self, rel: str) -> str:
        target = self._confined(rel)
        if os.path.isdir(target):
            raise ArtifactPathError(
                f"artifact path {rel!r} is a directory, not a file", field="artifact_path"
            )
        return target

    def _read(self, rel: str) -> bytes:
        target = self._confined(rel)
        try:
            if not os.path.isfile(target):
                raise FileNotFoundError(target)
            with open(target, "rb") as handle:
                return handle.read()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError) as exc:
            raise ArtifactNotFound(f"no artifact file {rel!r} under {self.root_uri}") from exc

    def _list(self, rel: str) -> list[FileInfo]:
        target = self._confined(rel)
        try:
            with os.scandir(target) as scan:
                entries = list(scan)
        except (FileNotFoundError, NotADirectoryError):
            return []
        return [info for entry in entries if (info := self._entry_info(rel, entry)) is not None]

    def _entry_info(self, rel: str, entry: os.DirEntry[str]) -> FileInfo | None:
        path = join_artifact_path(rel, entry.name)
        if entry.name.startswith(_TMP_PREFIX) or not is_clean_artifact_path(entry.name):
            return None
        if entry.is_symlink() and not self._inside(entry.path):
            _log.warning("not listing %r: a symbolic link that leaves the artifact root", path)
            return None
        try:
            is_dir = entry.is_dir()
            return FileInfo(path, is_dir, None if is_dir else entry.stat().st_size)
        except FileNotFoundError:  # a dangling symbolic link
            return None

    def _kind(self, rel: str) -> Kind | None:
        target = self._confined(rel)
        if os.path.isdir(target):
            return "directory"
        return "file" if os.path.isfile(target) else None

    def _files(self, rel: str) -> list[str]:
        target = self._confined(rel)
        if not os.path.isdir(target):  # an empty root that was never written to
            return []
        return list(self._walk(rel, "", target, frozenset({os.path.realpath(target)})))

    def _walk(self, rel: str, prefix: str, directory: str, ancestors: frozenset[str]) -> Iterator[str]:
        with os.scandir(directory) as scan:
            entries = sorted(scan, key=lambda entry: entry.name)
        for entry in entries:
            if entry.name.startswith(_TMP_PREFIX):
                continue
            sub = checked_stored_path(join_artifact_path(prefix, entry.name), under=rel)
            if entry.is_symlink():
                self._check_inside(join_artifact_path(rel, sub), entry.path)
            if entry.is_dir():
                real = os.path.realpath(entry.path)
                if real not in ancestors:  # a link back up the tree would loop forever
                    yield from self._walk(rel, sub, entry.path, ancestors | {real})
            elif entry.is_file():
                yield sub

    def _download(self, pairs: list[tuple[str, Path]]) -> None:
        for rel, target in pairs:
            shutil.copyfile(self._confined(rel), target)

    def _delete(self, rel: str) -> None:
        if not rel:  # empty the root, whatever it holds, but keep the directory (it may be a link)
            try:
                names = os.listdir(self.root_dir)
            except (FileNotFoundError, NotADirectoryError):
                return
            for name in names:
                _remove(os.path.join(self.root_dir, name))
            return
        self._confined(rel.rpartition("/")[0])  # the link itself may go; what it points to may not
        _remove(self._native(rel))


def _local_tree(source: Path) -> Iterator[tuple[Path, str]]:
    """Every file below ``source`` (symbolic links to directories are not followed), with its clean path."""
    for directory, dirnames, filenames in os.walk(source):
        dirnames.sort()
        for filename in sorted(filenames):
            file = Path(directory, filename)
            if file.is_file():
                rel = PurePath(os.path.relpath(file, source)).as_posix()
                yield file, clean_artifact_path(rel, field="local_dir")


def _remove(native: str) -> None:
    """Remove a file, a symbolic link (never its target) or a directory tree; a missing path is fine."""
    if os.path.islink(native) or os.path.isfile(native):
        os.unlink(native)
    elif os.path.isdir(native):
        shutil.rmtree(native)


def _write_new_file(path: str, data: bytes) -> None:
    with open(path, "wb") as handle:
        handle.write(data)


def _replace_atomically(target: str, fill: Callable[[str], object]) -> None:
    """Write ``target`` through a temporary sibling and an atomic rename (parents are created as needed)."""
    parent = os.path.dirname(target)
    tmp = os.path.join(parent, f"{_TMP_PREFIX}{os.urandom(6).hex()}")
    try:
        try:
            fill(tmp)
        except FileNotFoundError:
            os.makedirs(parent, exist_ok=True)
            fill(tmp)
        os.replace(tmp, target)
    except BaseException:
        if os.path.lexists(tmp):
            os.unlink(tmp)
        raise
