"""Artifacts and dataset inputs through the fluent API, on a local artifact root and on S3 (moto server).

Also through a tracking server: one that proxies artifacts (``mlflow-artifacts:`` URIs, the server's folder)
and one that does not, whose experiments' artifact root is on S3, written by the client directly.
"""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml
from PIL import Image

import flowtrack as ft
from flowtrack.exceptions import InvalidArgument


@pytest.fixture(params=["local", "s3", "server-proxied", "server-s3"])
def artifact_root(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "server-proxied":
        ft.set_tracking_uri(request.getfixturevalue("proxy_server"))
        root = "mlflow-artifacts:/"
    else:
        root = str(tmp_path / "artifacts") if request.param == "local" else request.getfixturevalue("s3_root")
        monkeypatch.setenv("FLOWTRACK_ARTIFACT_ROOT", root)
        if request.param == "server-s3":
            ft.set_tracking_uri(request.getfixturevalue("direct_artifacts_server"))
        else:
            ft.set_tracking_uri(f"sqlite:///{tmp_path / 'a.db'}")
    ft.set_experiment(f"artifacts-{request.param}")
    return root


def test_in_memory_artifacts_round_trip(artifact_root: str, tmp_path: Path) -> None:
    figure, axes = plt.subplots()
    axes.plot([1, 2, 3])
    with ft.start_run() as run:
        assert ft.get_artifact_uri().startswith(artifact_root.rstrip("/"))
        ft.log_text("hello", "notes/readme.txt")
        ft.log_dict({"a": [1, 2]}, "config.json")
        ft.log_dict({"b": 3}, "config.yaml")
        ft.log_figure(figure, "plots/curve.png")
        ft.log_image(np.zeros((4, 5, 3), dtype=np.uint8), "images/black.png")
    plt.close(figure)
    client = ft.Client()
    run_id = run.info.run_id
    top = {info.path: info.is_dir for info in client.list_artifacts(run_id)}
    assert {
        "notes": True,
        "config.json": False,
        "config.yaml": False,
        "plots": True,
        "images": True,
    }.items() <= (top.items())
    local = Path(client.download_artifacts(run_id, "", tmp_path / "out"))
    assert (local / "notes" / "readme.txt").read_text() == "hello"
    assert json.loads((local / "config.json").read_text()) == {"a": [1, 2]}
    assert yaml.safe_load((local / "config.yaml").read_text()) == {"b": 3}
    assert (local / "plots" / "curve.png").read_bytes().startswith(b"\x89PNG")
    assert Image.open(local / "images" / "black.png").size == (5, 4)


def test_log_artifacts_directory_and_download_one_file(artifact_root: str, tmp_path: Path) -> None:
    source = tmp_path / "model"
    (source / "sub").mkdir(parents=True)
    (source / "weights.bin").write_bytes(b"\x00" * 100)
    (source / "sub" / "meta.txt").write_text("meta")
    with ft.start_run() as run:
        ft.log_artifacts(str(source), artifact_path="model")
    client = ft.Client()
    listing = client.list_artifacts(run.info.run_id, "model")
    assert [(info.path, info.is_dir, info.file_size) for info in listing] == [
        ("model/sub", True, None),
        ("model/weights.bin", False, 100),
    ]
    one = Path(client.download_artifacts(run.info.run_id, "model/sub/meta.txt", tmp_path / "dl"))
    assert one.read_text() == "meta"


def test_artifact_path_escape_is_rejected(artifact_root: str, tmp_path: Path) -> None:
    file = tmp_path / "f.txt"
    file.write_text("x")
    with ft.start_run(), pytest.raises(InvalidArgument):
        ft.log_artifact(str(file), artifact_path="../../outside")


def test_bad_image_names_the_field(artifact_root: str) -> None:
    with ft.start_run(), pytest.raises(InvalidArgument) as error:
        ft.log_image(np.full((2, 2), 3.5), "bad.png")
    assert error.value.field == "image"


def test_dataset_inputs_are_recorded(artifact_root: str) -> None:
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [0, 1]})
    dataset = ft.data.from_pandas(frame, source="s3://bucket/train.parquet", name="train", targets="y")
    with ft.start_run() as run:
        ft.log_input(dataset, context="training")
        ft.log_input(dataset, context="training")
    inputs = ft.get_run(run.info.run_id).inputs.dataset_inputs
    assert len(inputs) == 1
    recorded = inputs[0]
    assert recorded.dataset.name == "train"
    assert recorded.dataset.digest == dataset.digest
    assert json.loads(recorded.dataset.schema or "{}")["targets"] == "y"
    assert recorded.dataset.source_type == "s3"
    assert ("mlflow.data.context", "training") in {(tag.key, tag.value) for tag in recorded.tags}
