"""The artifact proxy (``/api/2.0/mlflow-artifacts/artifacts``) and ``/api/2.0/mlflow/artifacts/list``."""

from __future__ import annotations

import hashlib
import http.client
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.fixtures.server import MlflowApi, RunningServer, assert_error, running_server

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
INVALID = "INVALID_PARAMETER_VALUE"
BIG = 30 * 2**20


@pytest.fixture
def api(sqlite_api: MlflowApi) -> MlflowApi:
    return sqlite_api


def _raw(url: str, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
    """Send ``path`` byte for byte (httpx would normalize ``..`` and ``%2e%2e`` away before sending)."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    try:
        connection.request(method, path, body=body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def _chunks(data: bytes, size: int = 2**20) -> Iterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


def test_30_mib_round_trip(api: MlflowApi) -> None:
    data = os.urandom(BIG)
    path = f"{PROXY}/1/run/artifacts/data/big.bin"
    uploaded = api.http.put(path, content=_chunks(data))  # streamed, chunked
    assert (uploaded.status_code, uploaded.json()) == (200, {})

    listed = api.ok(api.http.get(PROXY, params={"path": "1/run/artifacts/data"}))
    assert listed == {"files": [{"path": "big.bin", "is_dir": False, "file_size": BIG}]}
    top = api.ok(api.http.get(PROXY, params={"path": "1/run/artifacts"}))
    assert top == {"files": [{"path": "data", "is_dir": True}]}

    digest = hashlib.sha256()
    with api.http.stream("GET", path) as response:
        assert response.status_code == 200
        assert response.headers["content-length"] == str(BIG)
        for chunk in response.iter_bytes():
            digest.update(chunk)
    assert digest.hexdigest() == hashlib.sha256(data).hexdigest()

    assert api.ok(api.http.delete(path)) == {}
    assert api.ok(api.http.get(PROXY, params={"path": "1/run/artifacts/data"})) == {}
    assert_error(api.http.get(path), 404, "RESOURCE_DOES_NOT_EXIST")


def test_upload_replaces_and_lists_nothing_half_written(
    api: MlflowApi, module_sqlite_server: RunningServer
) -> None:
    path = f"{PROXY}/2/r/artifacts/notes.txt"
    assert api.http.put(path, content=b"first").status_code == 200
    assert api.http.put(path, content=b"second!").status_code == 200
    assert api.http.get(path).content == b"second!"
    folder = module_sqlite_server.artifacts / "2" / "r" / "artifacts"
    assert sorted(os.listdir(folder)) == ["notes.txt"]  # no temporary files left behind


def test_active_content_is_served_as_plain_text(api: MlflowApi) -> None:
    path = f"{PROXY}/3/r/artifacts/page.html"
    api.http.put(path, content=b"<script>alert(1)</script>")
    response = api.http.get(path)
    assert response.headers["content-type"].startswith("text/plain")
    assert response.headers["x-content-type-options"] == "nosniff"


def test_run_artifacts_list(api: MlflowApi) -> None:
    experiment_id = api.create_experiment()
    run_id = api.create_run(experiment_id)["info"]["run_id"]
    base = f"{PROXY}/{experiment_id}/{run_id}/artifacts"
    api.http.put(f"{base}/model/MLmodel", content=b"flavors: {}")
    api.http.put(f"{base}/notes.txt", content=b"hello!")
    root_uri = f"mlflow-artifacts:/{experiment_id}/{run_id}/artifacts"

    top = api.ok(api.get("artifacts/list", run_id=run_id))
    assert top == {
        "root_uri": root_uri,
        "files": [
            {"path": "model", "is_dir": True},
            {"path": "notes.txt", "is_dir": False, "file_size": 6},
        ],
    }
    inner = api.ok(api.get("artifacts/list", run_uuid=run_id, path="model"))
    assert inner["files"] == [{"path": "model/MLmodel", "is_dir": False, "file_size": 11}]
    assert api.ok(api.get("artifacts/list", run_id=run_id, path="nothing")) == {"root_uri": root_uri}
    assert_error(api.get("artifacts/list", run_id=run_id, path="../../.."), 400, INVALID)
    assert_error(api.get("artifacts/list", run_id="0" * 32), 404, "RESOURCE_DOES_NOT_EXIST")


TRAVERSALS = [
    "%2e%2e/%2e%2e/etc/passwd",
    "%2E%2E/outside.txt",
    "a/%2e%2e/%2e%2e/outside.txt",
    "../outside.txt",
    "a/../../outside.txt",
    "%2Fetc%2Fpasswd",
    "/etc/passwd",
    "..%5Coutside.txt",
    "a%00b",
    "C:%5Cwindows",
]


@pytest.mark.parametrize("method", ["GET", "PUT", "DELETE"])
@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_is_refused(module_sqlite_server: RunningServer, method: str, path: str) -> None:
    body = b"escaped" if method == "PUT" else None
    status, raw = _raw(module_sqlite_server.url, method, f"{PROXY}/{path}", body)
    assert status == 400, raw
    assert b"INVALID_PARAMETER_VALUE" in raw
    assert not (module_sqlite_server.artifacts.parent / "outside.txt").exists()


@pytest.mark.parametrize("path", ["..", "../..", "/etc", "a/../../b", "..%2F.."])
def test_listing_outside_the_root_is_refused(module_sqlite_server: RunningServer, path: str) -> None:
    status, raw = _raw(module_sqlite_server.url, "GET", f"{PROXY}?path={path}")
    assert status == 400, raw


def test_symbolic_link_out_of_the_root_is_refused(
    module_sqlite_server: RunningServer, tmp_path: Path
) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("secret")
    module_sqlite_server.artifacts.mkdir(parents=True, exist_ok=True)
    (module_sqlite_server.artifacts / "link").symlink_to(outside, target_is_directory=True)
    url = module_sqlite_server.url
    for method, path in [("GET", "link/secret.txt"), ("PUT", "link/new.txt"), ("DELETE", "link/secret.txt")]:
        status, raw = _raw(url, method, f"{PROXY}/{path}", b"x" if method == "PUT" else None)
        assert status == 400, (method, raw)
    status, _ = _raw(url, "GET", f"{PROXY}?path=link")
    assert status == 400
    assert sorted(os.listdir(outside)) == ["secret.txt"]


def test_a_file_cannot_become_a_directory(api: MlflowApi) -> None:
    assert api.http.put(f"{PROXY}/4/r/artifacts/file.txt", content=b"x").status_code == 200
    assert_error(api.http.put(f"{PROXY}/4/r/artifacts/file.txt/inner.txt", content=b"y"), 400, INVALID)
    assert_error(api.http.put(f"{PROXY}/4/r/artifacts", content=b"y"), 400, INVALID, "directory")
    assert_error(api.http.get(f"{PROXY}/4/r/artifacts/file.txt/inner.txt"), 404, "RESOURCE_DOES_NOT_EXIST")


def test_root_cannot_be_deleted_or_downloaded(api: MlflowApi) -> None:
    assert_error(api.http.delete(f"{PROXY}/"), 400, INVALID)
    assert_error(api.http.get(f"{PROXY}/"), 400, INVALID)


# -- size limit and other modes ------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_limit_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    home = tmp_path_factory.mktemp("small-limit")
    uri = f"sqlite:///{home / 'flowtrack.db'}"
    args = ["--max-upload-size", "1MiB"]
    with running_server(uri, home / "artifacts", args, env={"FLOWTRACK_HOME": str(home)}) as server:
        yield server


@pytest.mark.parametrize("streamed", [False, True], ids=["content-length", "chunked"])
def test_oversized_upload_is_413_and_leaves_nothing(
    small_limit_server: RunningServer, streamed: bool
) -> None:
    api = MlflowApi(small_limit_server.url)
    data = os.urandom(3 * 2**20)
    folder = f"{int(streamed)}/r/artifacts"
    response = api.http.put(
        f"{PROXY}/{folder}/too-big.bin", content=_chunks(data, 2**16) if streamed else data
    )
    assert_error(response, 413, "RESOURCE_LIMIT_EXCEEDED", str(2**20))
    assert api.ok(api.http.get(PROXY, params={"path": folder})) == {}
    local = small_limit_server.artifacts / folder
    assert not local.exists() or os.listdir(local) == []
    assert api.http.put(f"{PROXY}/{folder}/fits.bin", content=data[: 2**20]).status_code == 200
    api.close()


def test_without_serve_artifacts_clients_write_to_the_root(tmp_path: Path) -> None:
    root = tmp_path / "shared-root"
    args = ["--no-serve-artifacts", "--default-artifact-root", str(root)]
    uri = f"sqlite:///{tmp_path / 'flowtrack.db'}"
    with running_server(uri, tmp_path / "unused", args, env={"FLOWTRACK_HOME": str(tmp_path)}) as server:
        api = MlflowApi(server.url)
        experiment_id = api.create_experiment()
        experiment = api.ok(api.get("experiments/get", experiment_id=experiment_id))["experiment"]
        assert experiment["artifact_location"] == f"{root}/{experiment_id}"
        info = api.create_run(experiment_id)["info"]
        assert info["artifact_uri"] == f"{root}/{experiment_id}/{info['run_id']}/artifacts"
        local = Path(info["artifact_uri"])
        local.mkdir(parents=True)
        (local / "written-directly.txt").write_text("hi")
        listed = api.ok(api.get("artifacts/list", run_id=info["run_id"]))
        assert listed["files"] == [{"path": "written-directly.txt", "is_dir": False, "file_size": 2}]
        assert_error(api.http.get(PROXY, params={"path": "x"}), 404, "ENDPOINT_NOT_FOUND")
        api.close()


def test_s3_destination_round_trip(s3_root: str, tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'flowtrack.db'}"
    args = ["--artifacts-destination", s3_root]  # the last one given wins
    with running_server(uri, tmp_path / "unused", args, env={"FLOWTRACK_HOME": str(tmp_path)}) as server:
        api = MlflowApi(server.url)
        data = os.urandom(5 * 2**20)
        path = f"{PROXY}/1/r/artifacts/data/blob.bin"
        assert api.ok(api.http.put(path, content=_chunks(data))) == {}
        listed = api.ok(api.http.get(PROXY, params={"path": "1/r/artifacts/data"}))
        assert listed == {"files": [{"path": "blob.bin", "is_dir": False, "file_size": len(data)}]}
        downloaded = api.http.get(path)
        assert hashlib.sha256(downloaded.content).digest() == hashlib.sha256(data).digest()
        assert api.ok(api.http.delete(path)) == {}
        assert_error(api.http.get(path), 404, "RESOURCE_DOES_NOT_EXIST")
        assert_error(api.http.get(f"{PROXY}/%2e%2e/x"), 400, INVALID)
        api.close()
