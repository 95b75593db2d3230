"""Serving the built web UI: the app at /, client routes, cache headers, the placeholder without a build."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient

from flowtrack.server import web_ui
from flowtrack.server.app import create_app
from flowtrack.server.config import ServerConfig
from tests.fixtures.server import MlflowApi, running_server


def test_the_install_built_the_ui() -> None:
    assert web_ui.built(), f"no web UI in {web_ui.DIST}: pip install -e . builds it (needs npm)"


def test_app_and_client_routes_get_index_html_uncached(sqlite_api: MlflowApi) -> None:
    for path in ("/", "/experiments/1", "/runs/abc?metrics=loss", "/compare?runs=a,b"):
        response = sqlite_api.http.get(path)
        assert response.status_code == 200, path
        assert '<div id="root">' in response.text
        assert response.headers["cache-control"] == "no-cache"
        assert "script-src 'self'" in response.headers["content-security-policy"]


def test_hashed_assets_are_cached_for_a_year(sqlite_api: MlflowApi) -> None:
    index = sqlite_api.http.get("/").text
    script = re.search(r'src="(/assets/[^"]+\.js)"', index)
    assert script is not None, index
    asset = sqlite_api.http.get(script.group(1))
    assert asset.status_code == 200
    assert "javascript" in asset.headers["content-type"]
    assert asset.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert asset.headers["content-encoding"] == "gzip"  # httpx asks for it, as browsers do
    missing = sqlite_api.http.get("/assets/nope-123.js")
    assert missing.status_code == 404


@pytest.mark.parametrize(
    "path",
    ["/api/2.0/mlflow/nope", "/api/v1/nope", "/ajax-api/2.0/x", "/assets/%2e%2e/%2e%2e/%2e%2e/etc/passwd"],
)
def test_api_misses_stay_json_errors(sqlite_api: MlflowApi, path: str) -> None:
    response = sqlite_api.http.get(path)
    assert response.status_code == 404, response.text
    assert "root:" not in response.text
    assert response.headers["content-type"] == "application/json"


def test_placeholder_without_a_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(web_ui, "DIST", tmp_path / "empty")
    config = ServerConfig(f"sqlite:///{tmp_path / 'db.sqlite'}", None, str(tmp_path))
    with TestClient(create_app(config)) as client:
        home = client.get("/")
        assert home.status_code == 200
        assert "web UI was not built" in home.text
        assert 'href="/docs"' in home.text
        assert client.get("/experiments/1").status_code == 404


def test_flowtrack_ui_serves_the_app(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'ui.db'}"
    env = {"FLOWTRACK_HOME": str(tmp_path)}
    with running_server(uri, tmp_path / "artifacts", env=env, command_name=("ui",)) as server:
        home = httpx.get(f"{server.url}/experiments/0", timeout=10)
        assert home.status_code == 200
        assert '<div id="root">' in home.text
