"""`flowtrack quickstart` and examples/quickstart.py train, track and report, in real processes."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from flowtrack.config.settings import load_settings
from flowtrack.orchestration.client import OrchestrationClient
from flowtrack.orchestration.entities import StateType
from flowtrack.tracking.client import TrackingClient
from flowtrack.tracking.entities import Run
from tests.fixtures.server import free_port

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "quickstart.py"
RUN_NAMES = {
    "ridge-alpha-0.1",
    "ridge-alpha-10",
    "forest-depth-4",
    "forest-depth-8",
    "boosting-lr-0.05",
    "boosting-lr-0.2",
}


def store() -> TrackingClient:
    """The store the CLI uses when given no --tracking-uri: this test's FLOWTRACK_HOME database."""
    return TrackingClient(load_settings().resolved_tracking_uri())


def _run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(list(args), capture_output=True, text=True, timeout=300, check=False, cwd=cwd)


def _quickstart_runs(client: TrackingClient, experiment_name: str = "quickstart") -> list[Run]:
    """The models' runs (children of a flow's run), best first."""
    experiment = client.get_experiment_by_name(experiment_name)
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id], order_by=["metrics.rmse ASC"])
    return [run for run in runs if "mlflow.parentRunId" in run.data.tags]


def _flow_runs(client: TrackingClient, experiment_name: str = "quickstart") -> list[Run]:
    """The tracked runs of the quickstart flow's runs."""
    experiment = client.get_experiment_by_name(experiment_name)
    assert experiment is not None
    runs = client.search_runs([experiment.experiment_id])
    return [run for run in runs if "mlflow.parentRunId" not in run.data.tags]


def test_quickstart_tracks_six_runs_and_says_what_to_do_next() -> None:
    done = _run(sys.executable, "-m", "flowtrack", "quickstart")
    assert done.returncode == 0, done.stderr
    client = store()
    runs = _quickstart_runs(client)
    assert {run.info.run_name for run in runs} == RUN_NAMES
    for run in runs:
        assert run.info.status == "FINISHED"
        assert {"rmse", "mae", "r2"} <= set(run.data.metrics)
        assert run.data.tags["model_family"] in {
            "Ridge",
            "RandomForestRegressor",
            "GradientBoostingRegressor",
        }
        assert run.data.params
        assert [entry.dataset.name for entry in run.inputs.dataset_inputs] == ["diabetes"]
        assert "features.json" in {info.path for info in client.list_artifacts(run.info.run_id)}
    boosting = next(run for run in runs if run.info.run_name == "boosting-lr-0.05")
    assert len(client.get_metric_history(boosting.info.run_id, "val_rmse")) == 150

    (flow_run,) = _flow_runs(client)
    assert flow_run.info.run_name == "train-models"
    assert flow_run.info.status == "FINISHED"
    assert {run.data.tags["mlflow.parentRunId"] for run in runs} == {flow_run.info.run_id}
    flow_run_id = flow_run.data.tags["flowtrack.flowRunId"]
    orchestration = OrchestrationClient(load_settings().resolved_tracking_uri())
    assert orchestration.read_flow_run(flow_run_id).state_type is StateType.COMPLETED
    task_runs = orchestration.read_task_runs(flow_run_id)
    assert sorted(run.name for run in task_runs) == ["load_data-0", *sorted(f"train-{n}" for n in RUN_NAMES)]
    assert {run.state_type for run in task_runs} == {StateType.COMPLETED}

    best = runs[0]
    assert f"flowtrack flow-runs inspect {flow_run_id}" in done.stdout
    assert "flowtrack runs list --experiment quickstart" in done.stdout
    assert f"flowtrack runs describe {best.info.run_id}" in done.stdout
    assert "flowtrack ui" in done.stdout
    table_rows = [
        line for line in done.stdout.splitlines() if "│" in line and any(n in line for n in RUN_NAMES)
    ]
    assert best.info.run_name in table_rows[0]  # sorted by rmse, best first


def test_quickstart_with_tracking_uri_leaves_the_default_store_alone(
    tmp_path: Path, flowtrack_home: Path
) -> None:
    uri = f"sqlite:///{tmp_path / 'qs.db'}"
    done = _run(
        sys.executable, "-m", "flowtrack", "quickstart", "--tracking-uri", uri, "--experiment", "demo"
    )
    assert done.returncode == 0, done.stderr
    experiment = TrackingClient(uri).get_experiment_by_name("demo")
    assert experiment is not None
    assert len(TrackingClient(uri).search_runs([experiment.experiment_id])) == len(RUN_NAMES) + 1
    assert not (flowtrack_home / "flowtrack.db").exists()
    assert f"--tracking-uri {uri}" in done.stdout


def test_second_quickstart_shows_only_its_own_runs() -> None:
    first = _run(sys.executable, "-m", "flowtrack", "quickstart")
    second = _run(sys.executable, "-m", "flowtrack", "quickstart")
    assert second.returncode == 0, second.stderr
    assert len(_quickstart_runs(store())) == 2 * len(RUN_NAMES)
    ids = set(re.findall(r"^\s*│?\s*([0-9a-f]{8})\s", second.stdout, flags=re.MULTILINE))
    assert len(ids) == len(RUN_NAMES), second.stdout
    assert not ids & set(re.findall(r"^\s*│?\s*([0-9a-f]{8})\s", first.stdout, flags=re.MULTILINE))


def test_example_script_runs_standalone(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'example.db'}"
    done = _run(sys.executable, str(EXAMPLE), "--tracking-uri", uri, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    experiment = TrackingClient(uri).get_experiment_by_name("quickstart")
    assert experiment is not None
    runs = _quickstart_runs(TrackingClient(uri))
    assert {run.info.run_name for run in runs} == RUN_NAMES


def test_command_runs_the_example_file() -> None:
    from flowtrack.cli.quickstart import example_path

    assert example_path() == EXAMPLE


def test_missing_scikit_learn_names_the_extra() -> None:
    probe = (
        "import sys; sys.modules['sklearn'] = None; sys.argv = ['flowtrack', 'quickstart']; "
        "from flowtrack.cli.main import main; main()"
    )
    done = _run(sys.executable, "-c", probe)
    assert done.returncode == 1
    assert "pip install 'flowtrack[sklearn]'" in done.stderr
    assert "Traceback" not in done.stderr


def recording_browser(tmp_path: Path) -> tuple[dict[str, str], Path]:
    """An environment whose web browser (``$BROWSER``) writes the URL it is given to the returned file."""
    opened = tmp_path / "opened.txt"
    browser = tmp_path / "browser"
    browser.write_text(f'#!/bin/sh\necho "$1" > {opened}\n')
    browser.chmod(0o755)
    return {**os.environ, "BROWSER": f"{browser} %s"}, opened


def opened_url(process: subprocess.Popen[str], opened: Path, timeout_s: float) -> str:
    deadline = time.monotonic() + timeout_s
    while not (opened.exists() and opened.read_text().strip()):
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "the browser was never opened"
        time.sleep(0.2)
    return opened.read_text().strip()


def assert_serves_the_app(url: str) -> None:
    with urllib.request.urlopen(url, timeout=10) as page:
        assert page.status == 200
        assert '<div id="root">' in page.read().decode()


def start_cli(env: dict[str, str], *args: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "flowtrack", *args]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)
    stdout, _ = process.communicate(timeout=30)
    return stdout


def test_quickstart_ui_serves_the_experiment_and_opens_it(tmp_path: Path) -> None:
    env, opened = recording_browser(tmp_path)
    port = free_port()
    process = start_cli(env, "quickstart", "--ui", "--port", str(port))
    try:
        url = opened_url(process, opened, timeout_s=240)
        experiment = store().get_experiment_by_name("quickstart")
        assert experiment is not None
        assert url == f"http://127.0.0.1:{port}/experiments/{experiment.experiment_id}"
        assert_serves_the_app(url)
    finally:
        stdout = stop(process)
    assert f"Opened {url}" in stdout


def test_ui_open_opens_the_app_once_the_server_answers(tmp_path: Path) -> None:
    env, opened = recording_browser(tmp_path)
    port = free_port()
    process = start_cli(env, "ui", "--open", "--port", str(port))
    try:
        url = opened_url(process, opened, timeout_s=60)
        assert url == f"http://127.0.0.1:{port}/"
        assert_serves_the_app(url)
    finally:
        stop(process)
