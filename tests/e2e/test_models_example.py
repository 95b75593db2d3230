"""examples/register_best_model.py runs end to end in a real process and leaves the registry as it says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import flowtrack as ft

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "register_best_model.py"


def test_register_best_model_example(tmp_path: Path, flowtrack_home: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'example.db'}"
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--tracking-uri", uri],
        cwd=tmp_path, env={**os.environ, "FLOWTRACK_HOME": str(flowtrack_home)},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "registered retrain-" in done.stdout
    assert "models:/diabetes-regressor@production test_rmse=" in done.stdout

    client = ft.Client(uri)
    experiment = client.get_experiment_by_name("register-best-model")
    assert experiment is not None
    retrained = client.search_runs(
        [experiment.experiment_id], "tags.stage = 'retrain'", order_by=["metrics.test_rmse ASC"]
    )
    search_runs = client.search_runs([experiment.experiment_id], "tags.stage = 'search'")
    assert (len(search_runs), len(retrained)) == (10, 5)
    version = client.get_model_version_by_alias("diabetes-regressor", "production")
    assert version.run_id == retrained[0].info.run_id
    best_line = f"test_rmse={retrained[0].data.metrics['test_rmse']:.2f}"
    assert f"@production {best_line}" in done.stdout
