"""clean_artifact_path (normal forms, clear rejections, properties) and the registry's URI handling."""

from __future__ import annotations

import ntpath
import os
import posixpath
import sys
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from flowtrack.artifacts.paths import (
    clean_artifact_file,
    clean_artifact_path,
    is_clean_artifact_path,
    join_artifact_path,
)
from flowtrack.artifacts.registry import artifact_uri_join, get_artifact_repository
from flowtrack.exceptions import (
    ArtifactPathError,
    InvalidArgument,
    MissingDependency,
    UnsupportedUriError,
)


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        (None, ""),
        ("", ""),
        (".", ""),
        ("./", ""),
        ("a", "a"),
        ("a/b/c", "a/b/c"),
        ("a/b/", "a/b"),
        ("a//b///c", "a/b/c"),
        ("./a/./b", "a/b"),
        ("a/../b", "b"),
        ("a/b/../../c", "c"),
        ("a/..", ""),
        ("model.pkl", "model.pkl"),
        (".hidden/.env", ".hidden/.env"),
        ("..a/b..", "..a/b.."),
        ("a b/c d", "a b/c d"),
        ("über/日本.txt", "über/日本.txt"),
        ("run:1/metrics:rmse", "run:1/metrics:rmse"),
    ],
)
def test_normal_forms(raw: str | None, clean: str) -> None:
    assert clean_artifact_path(raw) == clean


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("/etc/passwd", "must be relative"),
        ("//server/share", "must be relative"),
        ("/", "must be relative"),
        ("..", "escapes the artifact root"),
        ("../x", "escapes the artifact root"),
        ("a/../../b", "escapes the artifact root"),
        ("./../x", "escapes the artifact root"),
        ("a/b/../../../c", "escapes the artifact root"),
        ("C:\\x", "backslash"),
        ("C:/x", "drive letter"),
        ("C:x", "drive letter"),
        ("a:b", "drive letter"),
        ("1:x", "drive letter"),
        ("a/::", "drive letter"),
        ("a/D:/x", "drive letter"),
        ("\\\\server\\share", "backslash"),
        ("\\x", "backslash"),
        ("a\\..\\..\\b", "backslash"),
        ("a\x00b", "NUL byte"),
        ("...", "only of dots and spaces"),
        ("a/.. /b", "only of dots and spaces"),
        ("a/ /b", "only of dots and spaces"),
    ],
)
def test_rejections_say_what_is_wrong(raw: str, reason: str) -> None:
    with pytest.raises(ArtifactPathError, match=reason) as info:
        clean_artifact_path(raw, field="dst")
    assert info.value.field == "dst"
    assert "dst" in str(info.value)
    assert isinstance(info.value, InvalidArgument)
    assert isinstance(info.value, ValueError)


def test_non_strings_are_rejected() -> None:
    with pytest.raises(ArtifactPathError, match="must be a string"):
        clean_artifact_path(b"a/b")  # type: ignore[arg-type]


def test_default_field_name() -> None:
    with pytest.raises(ArtifactPathError) as info:
        clean_artifact_path("../x")
    assert info.value.field == "artifact_path"


def test_clean_artifact_file_refuses_the_root() -> None:
    assert clean_artifact_file("a/b.txt") == "a/b.txt"
    for root in ["", ".", "a/.."]:
        with pytest.raises(ArtifactPathError, match="must name a file") as info:
            clean_artifact_file(root)
        assert info.value.field == "artifact_file"


def test_is_clean_and_join() -> None:
    assert is_clean_artifact_path("a/b")
    assert not is_clean_artifact_path("a//b")
    assert not is_clean_artifact_path("../a")
    assert join_artifact_path("", "a", None, "b/c", "") == "a/b/c"
    assert join_artifact_path() == ""


# -- registry: URIs ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("base", "expected"),
    [
        ("s3://bucket/root", "s3://bucket/root/r1/artifacts"),
        ("s3://bucket/root/", "s3://bucket/root/r1/artifacts"),
        ("s3://bucket", "s3://bucket/r1/artifacts"),
        ("file:///tmp/art", "file:///tmp/art/r1/artifacts"),
        ("file:///", "file:///r1/artifacts"),
        ("memory://", "memory://r1/artifacts"),
        ("gs://b/p//", "gs://b/p/r1/artifacts"),
    ],
)
def test_artifact_uri_join_for_uris(base: str, expected: str) -> None:
    assert artifact_uri_join(base, "r1", "artifacts") == expected


def test_artifact_uri_join_for_paths(tmp_path: Path) -> None:
    assert artifact_uri_join(str(tmp_path), "r1", "artifacts") == os.path.join(tmp_path, "r1", "artifacts")
    assert artifact_uri_join("s3://b/x", "a/b", "", "c") == "s3://b/x/a/b/c"
    assert artifact_uri_join("s3://b/x") == "s3://b/x"
    with pytest.raises(ArtifactPathError):
        artifact_uri_join("s3://b/x", "..", "y")


def test_file_uris_with_a_host_are_rejected() -> None:
    with pytest.raises(UnsupportedUriError, match="host"):
        get_artifact_repository("file://fileserver/share/artifacts")


@pytest.mark.parametrize("uri", ["nosuchscheme://x/y", "https://example.com/artifacts", "zip://a.zip", ""])
def test_unsupported_uris(uri: str) -> None:
    with pytest.raises(UnsupportedUriError) as info:
        get_artifact_repository(uri)
    assert info.value.field == "artifact_uri"


def test_s3_without_s3fs_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "s3fs", None)  # makes `import s3fs` fail as if it were not installed
    with pytest.raises(MissingDependency, match=r"flowtrack\[s3\]"):
        get_artifact_repository("s3://bucket/root")


# -- properties ----------------------------------------------------------------------------------------------

# Text biased towards the characters that make paths dangerous, plus arbitrary text.
_tricky = st.text(alphabet=st.sampled_from(list("./\\:aC \x00~")), max_size=30)
_paths = st.one_of(_tricky, st.text(max_size=40))
_segment = st.text(alphabet=st.characters(blacklist_characters="/\\\x00:"), min_size=1, max_size=10).filter(
    lambda s: s.strip(". ") != ""
)


def _accepts(raw: str) -> str | None:
    try:
        return clean_artifact_path(raw)
    except ArtifactPathError:
        return None


@given(_paths)
@example("a/../../b")
@example("....//..//x")
@example("C:\\x")
@example("::")
def test_output_never_escapes_the_root(raw: str) -> None:
    clean = _accepts(raw)
    if clean is None:
        return
    segments = clean.split("/") if clean else []
    assert all(segment and segment.strip(". ") for segment in segments)
    assert "\\" not in clean
    assert "\x00" not in clean
    assert not clean.startswith("/")
    for module in (posixpath, ntpath):  # joined onto a root on either platform, it stays below the root
        root = module.join(module.sep, "root")
        joined = module.normpath(module.join(root, *segments))
        assert joined == root or joined.startswith(root + module.sep)


@given(_paths)
def test_cleaning_is_idempotent(raw: str) -> None:
    clean = _accepts(raw)
    if clean is not None:
        assert clean_artifact_path(clean) == clean
        assert is_clean_artifact_path(clean)


@given(st.lists(_segment, max_size=6))
def test_plain_relative_paths_are_accepted_unchanged(segments: list[str]) -> None:
    path = "/".join(segments)
    assert clean_artifact_path(path) == path
    assert clean_artifact_path(f"./{path}/") == path


def test_names_and_paths_longer_than_file_systems_allow_are_refused() -> None:
    from flowtrack.artifacts.paths import MAX_PATH_BYTES, MAX_SEGMENT_BYTES, clean_artifact_path
    from flowtrack.exceptions import ArtifactPathError

    assert clean_artifact_path("a/" + "x" * MAX_SEGMENT_BYTES) == "a/" + "x" * MAX_SEGMENT_BYTES
    with pytest.raises(ArtifactPathError, match="longer than 255 bytes") as segment_error:
        clean_artifact_path("a/" + "x" * (MAX_SEGMENT_BYTES + 1), field="path")
    assert segment_error.value.field == "path"
    with pytest.raises(ArtifactPathError, match="longer than 255 bytes"):
        clean_artifact_path("é" * 128)  # 256 bytes in UTF-8
    with pytest.raises(ArtifactPathError, match=f"longer than {MAX_PATH_BYTES} bytes"):
        clean_artifact_path("/".join(["y" * 200] * 6))
