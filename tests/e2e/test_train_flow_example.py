"""examples/train_flow.py runs end to end in a real process: a flow whose tasks' metrics land on its run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import flowtrack as ft
from flowtrack.orchestration.entities import StateType

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "train_flow.py"
ALPHAS = ("0.01", "0.1", "1", "10", "100")


def test_train_flow_example(tmp_path: Path, flowtrack_home: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'example.db'}"
    done = subprocess.run(
        [sys.executable, str(EXAMPLE), "--tracking-uri", uri],
        cwd=tmp_path, env={**os.environ, "FLOWTRACK_HOME": str(flowtrack_home)},
        capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "COMPLETED: tracked run" in done.stdout

    client = ft.Client(uri)
    [flow_run] = client.read_flow_runs(flow_name="train_pipeline")
    assert flow_run.state_type is StateType.COMPLETED
    task_names = sorted(task.name.rsplit("-", 1)[0] for task in client.read_task_runs(flow_run.id))
    assert task_names == ["evaluate", "load_data", "make_features", *["train"] * 5]
    assert any("loaded 442 rows" in log.message for log in client.read_logs(flow_run.id))
    assert any(log.message.startswith("best alpha") for log in client.read_logs(flow_run.id))  # log_prints

    assert flow_run.tracking_run_id is not None
    run = client.get_run(flow_run.tracking_run_id)
    assert run.data.tags["flowtrack.flowRunId"] == flow_run.id
    assert run.data.params == {"alphas": "(0.01, 0.1, 1.0, 10.0, 100.0)", "seed": "7"}
    per_alpha = {f"valid_rmse_alpha_{alpha}" for alpha in ALPHAS}
    assert per_alpha | {"valid_rmse", "test_rmse", "test_r2", "n_features"} == set(run.data.metrics)
    curve = client.get_metric_history(run.info.run_id, "valid_rmse")
    assert sorted(point.step for point in curve) == [0, 1, 2, 3, 4]
    best = min(per_alpha, key=lambda key: run.data.metrics[key])
    assert run.data.tags["best_alpha"] == best.removeprefix("valid_rmse_alpha_")
    assert (
        f"best_alpha={run.data.tags['best_alpha']} test_rmse={run.data.metrics['test_rmse']:.2f}"
        in done.stdout
    )
    models = client.search_logged_models([run.info.experiment_id])
    assert [model.source_run_id for model in models] == [run.info.run_id]
    ft.set_tracking_uri(uri)
    assert ft.sklearn.load_model(f"models:/{models[0].model_id}").predict([[0.0] * 65]).shape == (1,)
