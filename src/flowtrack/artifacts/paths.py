"""Artifact path hygiene: every artifact path is relative, ``/``-separated and stays inside its root.

The rules hold on every platform an artifact may later be downloaded to, so a path that is harmless on
Linux but escapes on Windows (``C:x``, ``..\\x``, ``.. ``) is rejected everywhere.
"""

from __future__ import annotations

import posixpath
import re

from flowtrack.exceptions import ArtifactPathError

__all__ = [
    "checked_stored_path",
    "clean_artifact_file",
    "clean_artifact_path",
    "direct_child",
    "is_clean_artifact_path",
    "join_artifact_path",
]

# Windows (and ntpath) read any single character followed by ":" as a drive: "C:x", "1:x", "::".
_DRIVE = re.compile(r"^.:", re.DOTALL)
# File systems refuse longer names (ext4, APFS, NTFS: 255) and paths; refusing them here turns an OSError deep
# in a repository into an error that names the field.
MAX_SEGMENT_BYTES = 255
MAX_PATH_BYTES = 1024


def clean_artifact_path(path: str | None, *, field: str = "artifact_path") -> str:
    """Return ``path`` normalized to ``a/b/c`` form (``''`` for the root), or raise ArtifactPathError.

    Redundant separators, ``.`` segments and ``..`` segments that stay inside the root are folded away;
    absolute paths, drive letters, backslashes, NUL bytes and anything that would leave the root are rejected.
    """
    if path is None:
        return ""
    if not isinstance(path, str):
        raise ArtifactPathError(f"{field} must be a string, got {type(path).__name__}", field=field)
    _reject_unsafe_characters(path, field)
    if path.startswith("/"):
        raise ArtifactPathError(f"{field} must be relative, got absolute path {path!r}", field=field)
    normalized = posixpath.normpath(path) if path else "."
    if normalized == ".":
        return ""
    if _byte_length(normalized) > MAX_PATH_BYTES:
        raise ArtifactPathError(
            f"{field} is longer than {MAX_PATH_BYTES} bytes: {normalized[:60]!r}...", field=field
        )
    segments = normalized.split("/")
    if segments[0] == "..":
        raise ArtifactPathError(f"{field} {path!r} escapes the artifact root with '..'", field=field)
    for segment in segments:
        _check_segment(segment, path, field)
    return normalized


def clean_artifact_file(path: str | None, *, field: str = "artifact_file") -> str:
    """Like :func:`clean_artifact_path`, but the path must name a file, so the root (``''``) is refused."""
    rel = clean_artifact_path(path, field=field)
    if not rel:
        raise ArtifactPathError(f"{field} must name a file, not the artifact root", field=field)
    return rel


def is_clean_artifact_path(path: str) -> bool:
    """True when ``path`` is already in clean form: cleaning accepts it and leaves it unchanged."""
    try:
        return clean_artifact_path(path) == path
    except ArtifactPathError:
        return False


def join_artifact_path(*parts: str | None) -> str:
    """Join already-clean relative paths, skipping empty ones (``join_artifact_path('', 'a') == 'a'``)."""
    return "/".join(part for part in parts if part)


def checked_stored_path(path: str, *, under: str = "") -> str:
    """``path``, found in storage below ``under``, if clean; stored ``a//b``, ``..``, ``a\\b`` are refused."""
    if not is_clean_artifact_path(path):
        raise ArtifactPathError(
            f"refusing {join_artifact_path(under, path)!r}: the stored name is not a safe relative path",
            field="artifact_path",
        )
    return path


def direct_child(name: str, parent: str) -> str | None:
    """The last segment of the stored ``name`` if it is a clean direct child of ``parent``, else None."""
    if not name.startswith(parent + "/"):
        return None
    child = name[len(parent) + 1 :]
    return child if "/" not in child and is_clean_artifact_path(child) else None


def _reject_unsafe_characters(path: str, field: str) -> None:
    if "\x00" in path:
        raise ArtifactPathError(f"{field} contains a NUL byte: {path!r}", field=field)
    if "\\" in path:
        raise ArtifactPathError(
            f"{field} contains a backslash; use '/' as the separator: {path!r}",
            field=field,
        )


def _check_segment(segment: str, path: str, field: str) -> None:
    if _byte_length(segment) > MAX_SEGMENT_BYTES:
        raise ArtifactPathError(
            f"{field} has a name longer than {MAX_SEGMENT_BYTES} bytes: {segment[:60]!r}...", field=field
        )
    if _DRIVE.match(segment):
        raise ArtifactPathError(f"{field} contains a drive letter ({segment!r}): {path!r}", field=field)
    if segment.strip(". ") == "":
        # Windows strips trailing dots and spaces, so '... ' or '.. ' would act as '..' there.
        raise ArtifactPathError(
            f"{field} has a segment made only of dots and spaces ({segment!r}): {path!r}",
            field=field,
        )


def _byte_length(text: str) -> int:
    return len(text.encode("utf-8", "surrogatepass"))
