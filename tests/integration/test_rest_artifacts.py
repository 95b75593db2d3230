"""The artifact proxy client against a real ``flowtrack server``; how ``mlflow-artifacts:`` URIs resolve."""

from __future__ import annotations

import hashlib
import os
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

import pytest

import flowtrack as ft
from flowtrack.artifacts.proxy import ProxyArtifactRepository, proxy_repository
from flowtrack.artifacts.registry import get_artifact_repository
from flowtrack.exceptions import ArtifactNotFound, ArtifactPathError, StoreUnavailable, UnsupportedUriError

T = TypeVar("T")
MiB = 1 << 20


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(MiB):
            digest.update(chunk)
    return digest.hexdigest()


def _peak_memory(work: Callable[[], T]) -> tuple[T, int]:
    """What ``work`` returns, and the most memory Python allocated at once while it ran."""
    tracemalloc.start()
    try:
        result = work()
        return result, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def run_id(proxy_server: str) -> Iterator[str]:
    ft.set_tracking_uri(proxy_server)
    with ft.start_run() as run:
        yield run.info.run_id


def test_a_30_mib_file_round_trips_in_bounded_memory(run_id: str, tmp_path: Path) -> None:
    source = tmp_path / "weights.bin"
    with source.open("wb") as handle:
        for _ in range(30):
            handle.write(os.urandom(MiB))
    client = ft.Client()
    assert client.artifact_uri(run_id).startswith("mlflow-artifacts:/")
    _, upload_peak = _peak_memory(lambda: client.log_artifact(run_id, source, "model"))
    listing = client.list_artifacts(run_id, "model")
    assert [(info.path, info.is_dir, info.file_size) for info in listing] == [
        ("model/weights.bin", False, 30 * MiB)
    ]
    local, download_peak = _peak_memory(
        lambda: client.download_artifacts(run_id, "model/weights.bin", tmp_path / "out")
    )
    assert _sha256(Path(local)) == _sha256(source)
    assert upload_peak < 8 * MiB
    assert download_peak < 8 * MiB
    assert not [name for name in os.listdir(tmp_path / "out" / "model") if name != "weights.bin"]


def test_directories_upload_list_download_and_delete(run_id: str, tmp_path: Path) -> None:
    source = tmp_path / "src"
    (source / "sub" / "deeper").mkdir(parents=True)
    (source / "a.txt").write_text("a")
    (source / "sub" / "b.txt").write_text("bb")
    (source / "sub" / "deeper" / "c d.txt").write_text("ccc")  # a space: the URL path is quoted
    repository = ft.Client().artifact_repository(run_id)
    assert isinstance(repository, ProxyArtifactRepository)
    repository.log_artifacts(source, "tree")
    assert [(i.path, i.is_dir) for i in repository.list_artifacts("tree")] == [
        ("tree/a.txt", False),
        ("tree/sub", True),
    ]
    local = repository.download_artifacts("tree", tmp_path / "out")
    downloaded = sorted(str(path.relative_to(local)) for path in local.rglob("*") if path.is_file())
    assert downloaded == ["a.txt", "sub/b.txt", "sub/deeper/c d.txt"]
    assert (local / "sub" / "deeper" / "c d.txt").read_text() == "ccc"
    assert repository.read_bytes("tree/sub/b.txt") == b"bb"
    repository.delete_artifacts("tree/sub")
    assert [info.path for info in repository.list_artifacts("tree")] == ["tree/a.txt"]


def test_missing_artifacts_and_escaping_paths(run_id: str, tmp_path: Path) -> None:
    repository = ft.Client().artifact_repository(run_id)
    with pytest.raises(ArtifactNotFound):
        repository.read_bytes("nope.txt")
    with pytest.raises(ArtifactNotFound):
        repository.download_artifacts("nope/deeper.txt", tmp_path)
    assert repository.list_artifacts("nope") == []
    with pytest.raises(ArtifactPathError):
        repository.write_bytes("../escape.txt", b"x")


def test_the_servers_artifact_url_works_as_an_artifact_uri(run_id: str, proxy_server: str) -> None:
    location = ft.Client().artifact_uri(run_id).removeprefix("mlflow-artifacts:/")
    url = f"{proxy_server}/api/2.0/mlflow-artifacts/artifacts/{location}"
    ft.Client().log_text(run_id, "through the URL", "notes.txt")
    repository = get_artifact_repository(url)
    assert repository.read_bytes("notes.txt") == b"through the URL"


def test_a_stopped_server_is_reported(tmp_path: Path) -> None:
    repository = get_artifact_repository("mlflow-artifacts://127.0.0.1:1/1/run/artifacts")
    assert isinstance(repository, ProxyArtifactRepository)
    repository.session.retry = type(repository.session.retry)(max_retries=0)
    with pytest.raises(StoreUnavailable, match=r"http://127\.0\.0\.1:1.*flowtrack server start"):
        repository.read_bytes("x.txt")


# -- resolution, without a server ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("uri", "tracking_uri", "base", "root"),
    [
        ("mlflow-artifacts:/1/r/artifacts", "http://h:5000", "http://h:5000", "1/r/artifacts"),
        ("mlflow-artifacts:/1/r", "https://ana:pw@host/mlflow/", "https://host/mlflow", "1/r"),
        ("mlflow-artifacts://other:6000/1/r", "https://host", "https://other:6000", "1/r"),
        ("mlflow-artifacts://other:6000/1/r", "sqlite:///x.db", "http://other:6000", "1/r"),
        ("mlflow-artifacts:///1/r", "http://h:1", "http://h:1", "1/r"),
        ("http://h:1/p/api/2.0/mlflow-artifacts/artifacts/1/r", None, "http://h:1/p", "1/r"),
    ],
)
def test_mlflow_artifacts_uris_resolve_like_mlflows(
    uri: str, tracking_uri: str | None, base: str, root: str
) -> None:
    repository = get_artifact_repository(uri, tracking_uri=tracking_uri)
    assert isinstance(repository, ProxyArtifactRepository)
    assert repository.session.endpoint.url == base
    assert repository.root == root
    assert repository.root_uri == uri


def test_the_tracking_servers_credentials_go_with_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MLFLOW_TRACKING_TOKEN", raising=False)
    same = proxy_repository("mlflow-artifacts://host:5000/1", "http://ana:pw@host:5000")
    assert same.session.endpoint.auth == ("ana", "pw")
    other = proxy_repository("mlflow-artifacts://elsewhere:5000/1", "http://ana:pw@host:5000")
    assert other.session.endpoint.auth is None


def test_sessions_are_shared_per_server() -> None:
    first = get_artifact_repository("mlflow-artifacts:/1/a", tracking_uri="http://127.0.0.1:5000")
    second = get_artifact_repository("mlflow-artifacts:/2/b", tracking_uri="http://127.0.0.1:5000")
    assert isinstance(first, ProxyArtifactRepository)
    assert isinstance(second, ProxyArtifactRepository)
    assert first.session is second.session


@pytest.mark.parametrize("tracking_uri", [None, "sqlite:///x.db"])
def test_a_proxied_uri_needs_a_server(tracking_uri: str | None) -> None:
    with pytest.raises(UnsupportedUriError, match="tracking server") as error:
        get_artifact_repository("mlflow-artifacts:/1/r/artifacts", tracking_uri=tracking_uri)
    assert error.value.field == "artifact_uri"


def test_a_proxied_uri_may_not_escape() -> None:
    with pytest.raises(ArtifactPathError):
        get_artifact_repository("mlflow-artifacts:/1/../../etc", tracking_uri="http://h:1")


def test_other_http_urls_are_not_artifact_stores() -> None:
    with pytest.raises(UnsupportedUriError):
        get_artifact_repository("https://example.com/files/")
