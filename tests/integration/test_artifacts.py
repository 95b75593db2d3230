"""One behaviour suite for every artifact repository: local folder, moto-backed S3, fsspec memory and file.

No mocks: the S3 cases talk to a real moto server over HTTP through s3fs.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tracemalloc
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest

from flowtrack.artifacts.base import ArtifactRepository, FileInfo
from flowtrack.artifacts.fsspec_repository import FsspecArtifactRepository, LocalArtifactRepository
from flowtrack.artifacts.registry import S3_ENDPOINT_ENV_VARS, get_artifact_repository
from flowtrack.exceptions import ArtifactNotFound, ArtifactPathError

MiB = 2**20
TREE = {"a.txt": b"alpha", "sub/b.txt": b"bravo!", "sub/deeper/c.bin": bytes(range(256))}
ESCAPES = ["../x", "/etc/passwd", "a/../../b", "..", "C:\\x", "\\\\server\\share", "a\\..\\..\\b", "a\x00b"]


@pytest.fixture(params=["local", "s3", "memory", "fsspec-file"])
def repo(request: pytest.FixtureRequest, tmp_path: Path) -> ArtifactRepository:
    if request.param == "local":
        return get_artifact_repository(str(tmp_path / "artifact-root"))
    if request.param == "s3":
        return get_artifact_repository(str(request.getfixturevalue("s3_root")))
    if request.param == "memory":
        return get_artifact_repository(f"memory://flowtrack-tests/{uuid.uuid4().hex}/root")
    return FsspecArtifactRepository((tmp_path / "artifact-root").as_uri())


def make_tree(base: Path, files: dict[str, bytes] = TREE) -> Path:
    for rel, data in files.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return base


def read_tree(base: Path) -> dict[str, bytes]:
    return {p.relative_to(base).as_posix(): p.read_bytes() for p in sorted(base.rglob("*")) if p.is_file()}


# -- writing and reading -------------------------------------------------------------------------------------


def test_write_then_read_bytes(repo: ArtifactRepository) -> None:
    repo.write_bytes("notes/hello.txt", b"hello")
    assert repo.read_bytes("notes/hello.txt") == b"hello"
    repo.write_bytes("notes/hello.txt", b"replaced")
    assert repo.read_bytes("./notes//hello.txt") == b"replaced"


def test_read_missing_file_raises_not_found(repo: ArtifactRepository) -> None:
    with pytest.raises(ArtifactNotFound, match=r"missing\.txt"):
        repo.read_bytes("missing.txt")
    repo.write_bytes("dir/file.txt", b"x")
    with pytest.raises(ArtifactNotFound):
        repo.read_bytes("dir")


def test_write_to_the_root_itself_is_rejected(repo: ArtifactRepository) -> None:
    with pytest.raises(ArtifactPathError, match="must name a file") as info:
        repo.write_bytes("", b"x")
    assert info.value.field == "artifact_file"


def test_log_artifact_keeps_the_file_name(repo: ArtifactRepository, tmp_path: Path) -> None:
    local = tmp_path / "model.pkl"
    local.write_bytes(b"pickle")
    repo.log_artifact(local)
    repo.log_artifact(local, artifact_path="preprocessor/v1")
    assert repo.read_bytes("model.pkl") == b"pickle"
    assert repo.list_artifacts("preprocessor/v1") == [FileInfo("preprocessor/v1/model.pkl", False, 6)]


def test_log_artifact_of_a_missing_local_file(repo: ArtifactRepository, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match=r"nope\.txt"):
        repo.log_artifact(tmp_path / "nope.txt")


def test_log_artifacts_copies_a_tree(repo: ArtifactRepository, tmp_path: Path) -> None:
    repo.log_artifacts(make_tree(tmp_path / "src"), artifact_path="outputs")
    for rel, data in TREE.items():
        assert repo.read_bytes(f"outputs/{rel}") == data


@pytest.mark.skipif(os.name == "nt", reason="a backslash cannot be part of a file name on Windows")
def test_log_artifacts_refuses_unsafe_local_names_before_writing(
    repo: ArtifactRepository, tmp_path: Path
) -> None:
    source = make_tree(tmp_path / "src", {"a.txt": b"a", "z\\..\\..\\evil.txt": b"z"})
    with pytest.raises(ArtifactPathError) as info:
        repo.log_artifacts(source)
    assert info.value.field == "local_dir"
    assert repo.list_artifacts() == []


# -- listing -------------------------------------------------------------------------------------------------


def test_list_root_and_nested(repo: ArtifactRepository, tmp_path: Path) -> None:
    repo.log_artifacts(make_tree(tmp_path / "src"))
    assert repo.list_artifacts() == [FileInfo("a.txt", False, 5), FileInfo("sub", True, None)]
    assert repo.list_artifacts("sub") == [FileInfo("sub/b.txt", False, 6), FileInfo("sub/deeper", True, None)]
    assert repo.list_artifacts("sub/deeper/") == [FileInfo("sub/deeper/c.bin", False, 256)]


def test_list_is_sorted_by_path(repo: ArtifactRepository) -> None:
    for name in ["b.txt", "a/x.txt", "c.txt", "A.txt"]:
        repo.write_bytes(name, b"1")
    assert [info.path for info in repo.list_artifacts()] == ["A.txt", "a", "b.txt", "c.txt"]


def test_list_of_a_missing_directory_or_a_file_is_empty(repo: ArtifactRepository) -> None:
    assert repo.list_artifacts() == []
    assert repo.list_artifacts("nothing/here") == []
    repo.write_bytes("file.txt", b"x")
    assert repo.list_artifacts("file.txt") == []


# -- downloading ---------------------------------------------------------------------------------------------


def test_download_a_file_preserves_its_relative_path(repo: ArtifactRepository, tmp_path: Path) -> None:
    repo.log_artifacts(make_tree(tmp_path / "src"))
    local = repo.download_artifacts("sub/b.txt", tmp_path / "dst")
    assert local == tmp_path / "dst" / "sub" / "b.txt"
    assert local.read_bytes() == TREE["sub/b.txt"]


def test_download_a_directory(repo: ArtifactRepository, tmp_path: Path) -> None:
    repo.log_artifacts(make_tree(tmp_path / "src"))
    local = repo.download_artifacts("sub", tmp_path / "dst")
    assert local == tmp_path / "dst" / "sub"
    assert read_tree(local) == {"b.txt": TREE["sub/b.txt"], "deeper/c.bin": TREE["sub/deeper/c.bin"]}


def test_download_the_root(repo: ArtifactRepository, tmp_path: Path) -> None:
    repo.log_artifacts(make_tree(tmp_path / "src"))
    local = repo.download_artifacts("", tmp_path / "dst")
    assert local == tmp_path / "dst"
    assert read_tree(local) == TREE


def test_download_of_an_empty_root_gives_an_empty_directory(repo: ArtifactRepository, tmp_path: Path) -> None:
    local = repo.download_artifacts("", tmp_path / "dst")
    assert local.is_dir()
    assert list(local.iterdir()) == []


def test_download_missing_raises_not_found(repo: ArtifactRepository, tmp_path: Path) -> None:
    with pytest.raises(ArtifactNotFound, match="nope"):
        repo.download_artifacts("nope/file.txt", tmp_path / "dst")


# -- deleting ------------------------------------------------------------------------------------------------


def test_delete_a_file_and_a_directory(repo: ArtifactRepository, tmp_path: Path) -> None:
    repo.log_artifacts(make_tree(tmp_path / "src"))
    repo.delete_artifacts("a.txt")
    assert [info.path for info in repo.list_artifacts()] == ["sub"]
    repo.delete_artifacts("sub/deeper")
    assert repo.list_artifacts("sub") == [FileInfo("sub/b.txt", False, 6)]
    with pytest.raises(ArtifactNotFound):
        repo.read_bytes("sub/deeper/c.bin")


def test_delete_everything_and_missing_paths(repo: ArtifactRepository, tmp_path: Path) -> None:
    repo.log_artifacts(make_tree(tmp_path / "src"))
    repo.delete_artifacts("no/such/thing")  # deleting what is not there is not an error
    repo.delete_artifacts()
    assert repo.list_artifacts() == []
    repo.write_bytes("again.txt", b"the root is still usable")
    assert repo.read_bytes("again.txt") == b"the root is still usable"


# -- confinement ---------------------------------------------------------------------------------------------

OPERATIONS: dict[str, Callable[[ArtifactRepository, str, Path], object]] = {
    "write_bytes": lambda repo, path, tmp: repo.write_bytes(path, b"x"),
    "read_bytes": lambda repo, path, tmp: repo.read_bytes(path),
    "list_artifacts": lambda repo, path, tmp: repo.list_artifacts(path),
    "download_artifacts": lambda repo, path, tmp: repo.download_artifacts(path, tmp / "dst"),
    "delete_artifacts": lambda repo, path, tmp: repo.delete_artifacts(path),
    "log_artifact": lambda repo, path, tmp: repo.log_artifact(make_tree(tmp / "src") / "a.txt", path),
    "log_artifacts": lambda repo, path, tmp: repo.log_artifacts(make_tree(tmp / "src"), path),
}


@pytest.mark.parametrize("operation", sorted(OPERATIONS))
@pytest.mark.parametrize("bad_path", ESCAPES)
def test_paths_that_escape_the_root_are_rejected(
    repo: ArtifactRepository, tmp_path: Path, operation: str, bad_path: str
) -> None:
    with pytest.raises(ArtifactPathError) as info:
        OPERATIONS[operation](repo, bad_path, tmp_path)
    assert info.value.field is not None
    assert not (tmp_path / "dst").exists()
    assert repo.list_artifacts() == []


# -- large files ---------------------------------------------------------------------------------------------


def write_random_file(path: Path, size: int) -> str:
    digest = hashlib.sha256()
    with path.open("wb") as handle:
        for _ in range(size // MiB):
            chunk = os.urandom(MiB)
            digest.update(chunk)
            handle.write(chunk)
    return digest.hexdigest()


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(MiB):
            digest.update(chunk)
    return digest.hexdigest()


def test_large_file_round_trip_streams(repo: ArtifactRepository, tmp_path: Path) -> None:
    size = 30 * MiB
    source = tmp_path / "big.bin"
    expected = write_random_file(source, size)
    tracemalloc.start()
    try:
        repo.log_artifact(source, "blobs")
        local = repo.download_artifacts("blobs/big.bin", tmp_path / "dst")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert repo.list_artifacts("blobs") == [FileInfo("blobs/big.bin", False, size)]
    assert sha256_of(local) == expected
    if not isinstance(repo, FsspecArtifactRepository) or repo.fs.protocol != "memory":
        assert peak < 25 * MiB, f"peak Python allocation {peak / MiB:.1f} MiB: the file was read whole"


# -- symbolic links under a local root -----------------------------------------------------------------------


@pytest.fixture
def local_repo(tmp_path: Path) -> tuple[LocalArtifactRepository, Path]:
    """A local repository whose root holds ``evil`` (a link to a directory outside) and ``leak.txt``."""
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_bytes(b"top secret")
    root = tmp_path / "root"
    root.mkdir()
    (root / "evil").symlink_to(outside, target_is_directory=True)
    (root / "leak.txt").symlink_to(outside / "secret.txt")
    (root / "ok.txt").write_bytes(b"fine")
    repo = get_artifact_repository(str(root))
    assert isinstance(repo, LocalArtifactRepository)
    return repo, outside


@pytest.mark.parametrize("path", ["evil/secret.txt", "leak.txt"])
def test_reading_through_an_escaping_symlink_is_rejected(
    local_repo: tuple[LocalArtifactRepository, Path], path: str
) -> None:
    repo, _ = local_repo
    with pytest.raises(ArtifactPathError, match="outside the artifact root"):
        repo.read_bytes(path)


def test_listing_skips_escaping_symlinks_and_refuses_to_enter_them(
    local_repo: tuple[LocalArtifactRepository, Path],
) -> None:
    repo, _ = local_repo
    assert repo.list_artifacts() == [FileInfo("ok.txt", False, 4)]
    with pytest.raises(ArtifactPathError):
        repo.list_artifacts("evil")


@pytest.mark.parametrize("path", ["evil", "evil/secret.txt", "leak.txt", ""])
def test_downloading_through_an_escaping_symlink_copies_nothing(
    local_repo: tuple[LocalArtifactRepository, Path], tmp_path: Path, path: str
) -> None:
    repo, _ = local_repo
    with pytest.raises(ArtifactPathError):
        repo.download_artifacts(path, tmp_path / "dst")
    assert not [p for p in (tmp_path / "dst").rglob("*") if p.is_file()]


def test_writing_through_an_escaping_symlink_is_rejected(
    local_repo: tuple[LocalArtifactRepository, Path], tmp_path: Path
) -> None:
    repo, outside = local_repo
    with pytest.raises(ArtifactPathError):
        repo.write_bytes("evil/planted.txt", b"x")
    with pytest.raises(ArtifactPathError):
        repo.write_bytes("leak.txt", b"overwritten")
    with pytest.raises(ArtifactPathError):
        repo.log_artifacts(make_tree(tmp_path / "src"), "evil")
    assert sorted(p.name for p in outside.iterdir()) == ["secret.txt"]
    assert (outside / "secret.txt").read_bytes() == b"top secret"


def test_deleting_removes_the_link_never_its_target(
    local_repo: tuple[LocalArtifactRepository, Path],
) -> None:
    repo, outside = local_repo
    with pytest.raises(ArtifactPathError):
        repo.delete_artifacts("evil/secret.txt")
    repo.delete_artifacts("evil")
    repo.delete_artifacts("leak.txt")
    assert repo.list_artifacts() == [FileInfo("ok.txt", False, 4)]
    assert (outside / "secret.txt").read_bytes() == b"top secret"
    (Path(repo.root_dir) / "again").symlink_to(outside, target_is_directory=True)
    repo.delete_artifacts()
    assert os.listdir(repo.root_dir) == []
    assert (outside / "secret.txt").read_bytes() == b"top secret"


def test_symlinks_that_stay_inside_the_root_work(tmp_path: Path) -> None:
    root = tmp_path / "root"
    make_tree(root)
    (root / "alias").symlink_to(root / "sub", target_is_directory=True)
    (root / "loop").symlink_to(root, target_is_directory=True)
    repo = get_artifact_repository(str(root))
    assert repo.read_bytes("alias/b.txt") == TREE["sub/b.txt"]
    local = repo.download_artifacts("alias", tmp_path / "dst")
    assert read_tree(local) == {"b.txt": TREE["sub/b.txt"], "deeper/c.bin": TREE["sub/deeper/c.bin"]}


# -- S3 specifics --------------------------------------------------------------------------------------------


def test_s3_listings_are_not_cached(s3_root: str, moto_server: str) -> None:
    """Another process writing to the bucket is seen at once (s3fs caches listings by default)."""
    import boto3

    repo = get_artifact_repository(s3_root)
    assert repo.list_artifacts() == []
    bucket = s3_root.removeprefix("s3://").split("/")[0]
    boto3.client("s3", endpoint_url=moto_server).put_object(Bucket=bucket, Key="root/other.txt", Body=b"hi")
    assert repo.list_artifacts() == [FileInfo("other.txt", False, 2)]


def test_deleting_a_bucket_root_keeps_the_bucket(s3_root: str) -> None:
    bucket_root = s3_root.rsplit("/", 1)[0]  # s3://<bucket>
    repo = get_artifact_repository(bucket_root)
    repo.write_bytes("a/b.txt", b"x")
    repo.delete_artifacts()
    assert repo.list_artifacts() == []
    repo.write_bytes("still/here.txt", b"the bucket survived")
    assert repo.read_bytes("still/here.txt") == b"the bucket survived"


# -- the registry --------------------------------------------------------------------------------------------


def test_plain_paths_and_file_uris_are_local(tmp_path: Path) -> None:
    by_path = get_artifact_repository(str(tmp_path / "r"))
    by_uri = get_artifact_repository((tmp_path / "r").as_uri())
    assert isinstance(by_path, LocalArtifactRepository)
    assert isinstance(by_uri, LocalArtifactRepository)
    by_uri.write_bytes("x.txt", b"same place")
    assert by_path.read_bytes("x.txt") == b"same place"
    assert (tmp_path / "r" / "x.txt").read_bytes() == b"same place"


@pytest.mark.parametrize("chosen", S3_ENDPOINT_ENV_VARS)
def test_s3_endpoint_precedence(
    s3_root: str, moto_server: str, monkeypatch: pytest.MonkeyPatch, chosen: str
) -> None:
    position = S3_ENDPOINT_ENV_VARS.index(chosen)
    for name in S3_ENDPOINT_ENV_VARS[:position]:
        monkeypatch.delenv(name, raising=False)
    for name in S3_ENDPOINT_ENV_VARS[position + 1 :]:  # nothing listens there: using one would fail
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.setenv(chosen, moto_server)
    repo = get_artifact_repository(s3_root)
    repo.write_bytes("endpoint.txt", chosen.encode())
    assert repo.read_bytes("endpoint.txt") == chosen.encode()


def test_importing_the_registry_and_using_a_local_root_leaves_fsspec_unimported(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "from flowtrack.artifacts.registry import get_artifact_repository\n"
        f"repo = get_artifact_repository({str(tmp_path / 'r')!r})\n"
        "repo.write_bytes('a/b.txt', b'x'); repo.read_bytes('a/b.txt'); repo.list_artifacts('a')\n"
        "heavy = [m for m in ('fsspec', 's3fs', 'boto3', 'botocore', 'aiobotocore') if m in sys.modules]\n"
        "print(','.join(heavy))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == ""
