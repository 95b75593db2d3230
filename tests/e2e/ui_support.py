"""Shared pieces of the web UI tests: Debian's Chromium through Playwright, and a seeded tracking server.

The browser is the system's ``/usr/bin/chromium`` (``apt-get install -y chromium``); Playwright never
downloads one. A missing browser fails the tests: they never skip.
"""

from __future__ import annotations

import json
import math
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.server import MlflowApi, RunningServer, running_server

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
START_MS = 1_760_000_000_000


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    assert CHROMIUM.exists(), "the UI tests need Debian's Chromium: apt-get install -y chromium"
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, ui_server: RunningServer) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=ui_server.url)
    context.set_default_timeout(15_000)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"script errors in the page: {errors}"


@pytest.fixture(scope="module")
def ui_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    home = tmp_path_factory.mktemp("ui-server")
    uri = f"sqlite:///{home / 'flowtrack.db'}"
    with running_server(uri, home / "artifacts", env={"FLOWTRACK_HOME": str(home)}) as server:
        yield server


@dataclass
class Seeded:
    experiment_id: str
    experiment_name: str
    runs: dict[str, str] = field(default_factory=dict)  # name -> run id
    final_loss: dict[str, float] = field(default_factory=dict)  # name -> last loss


@pytest.fixture(scope="module")
def api(ui_server: RunningServer) -> Iterator[MlflowApi]:
    """MLflow's REST API of the module's UI server, to seed what the pages show."""
    client = MlflowApi(ui_server.url)
    yield client
    client.close()


def png(width: int, height: int) -> bytes:
    """A small gradient PNG, written by hand so the tests need no imaging library."""
    rows = b"".join(
        b"\x00" + b"".join(bytes([(x * 4) % 256, (y * 4) % 256, 160]) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


ARTIFACTS = {
    "notes.txt": b"training notes\nsecond line\n",
    "config.json": json.dumps({"lr": 0.01, "layers": [64, 128]}).encode(),
    "params.yaml": b"lr: 0.01\ndepth: 18\n",
    "eval/predictions.csv": b'id,label,score\n1,cat,0.9\n2,dog,0.7\n3,"bird, small",0.4\n',
    # the script must not run: the preview iframe is sandboxed
    "report.html": b"<h1>Evaluation report</h1><script>document.body.innerHTML = 'pwned'</script>",
    "confusion.png": png(48, 48),
}


def seed(api: MlflowApi, name: str, runs: int = 12) -> Seeded:
    """Runs ``r00``.. with params lr and depth, tag team (a, b, c), loss and accuracy; r00 has artifacts."""
    experiment_id = api.create_experiment(name)
    seeded = Seeded(experiment_id, name)
    for i in range(runs):
        run_name = f"r{i:02d}"
        info = api.create_run(experiment_id, run_name=run_name, start_time=START_MS + i * 60_000)["info"]
        run_id = info["run_id"]
        seeded.runs[run_name] = run_id
        rate = [0.1, 0.03, 0.01][i % 3]
        points = []
        for step in range(60):
            loss = 2.0 * math.exp(-step * rate) + 0.05 * i
            points.append({"key": "loss", "value": loss, "timestamp": START_MS + step * 1000, "step": step})
            points.append(
                {"key": "accuracy", "value": 1 - loss / 3, "timestamp": START_MS + step * 1000, "step": step}
            )
        seeded.final_loss[run_name] = points[-2]["value"]
        body = {
            "run_id": run_id,
            "metrics": points,
            "params": [{"key": "lr", "value": str(rate)}, {"key": "depth", "value": str(18 + i % 2 * 16)}],
            "tags": [
                {"key": "team", "value": "abc"[i % 3]},
                {"key": "mlflow.source.name", "value": "train.py"},
                {"key": "mlflow.source.git.commit", "value": f"{i:02d}c0ffee1234567890"},
            ],
        }
        api.ok(api.post("runs/log-batch", body))
        api.ok(
            api.post("runs/update", {"run_id": run_id, "status": "FINISHED", "end_time": START_MS + 90_000})
        )
    root = f"{info['artifact_uri'].removeprefix('mlflow-artifacts:/').rsplit('/', 2)[0]}"
    first = seeded.runs["r00"]
    for path, content in ARTIFACTS.items():
        response = api.http.put(
            f"/api/2.0/mlflow-artifacts/artifacts/{root}/{first}/artifacts/{path}", content=content
        )
        assert response.status_code == 200, response.text
    return seeded
