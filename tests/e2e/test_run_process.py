"""Behaviour that needs a real process: exit handling, SIGKILL durability, automatic metadata, import cost."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import flowtrack as ft


def _run_script(path: Path, source: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    path.write_text(textwrap.dedent(source))
    return subprocess.run(
        [sys.executable, str(path)],
        cwd=cwd or path.parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _only_run(db: Path) -> ft.entities.Run:
    ft.set_tracking_uri(f"sqlite:///{db}")
    runs = ft.search_runs(search_all_experiments=True, output_format="list")
    assert len(runs) == 1
    return runs[0]


def test_run_left_open_ends_finished_at_exit(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    done = _run_script(
        tmp_path / "open.py",
        f"""
        import flowtrack as ft
        ft.set_tracking_uri("sqlite:///{db}")
        ft.start_run()
        ft.log_metric("m", 1.0)
        """,
    )
    assert done.returncode == 0, done.stderr
    run = _only_run(db)
    assert run.info.status == "FINISHED"
    assert run.info.end_time is not None


def test_uncaught_exception_marks_open_run_failed(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    done = _run_script(
        tmp_path / "crash.py",
        f"""
        import flowtrack as ft
        ft.set_tracking_uri("sqlite:///{db}")
        ft.start_run()
        raise RuntimeError("boom")
        """,
    )
    assert done.returncode == 1
    assert "boom" in done.stderr
    assert _only_run(db).info.status == "FAILED"


def test_values_survive_sigkill(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    script = tmp_path / "killed.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import sys, time
            import flowtrack as ft
            ft.set_tracking_uri("sqlite:///{db}")
            ft.start_run()
            ft.log_param("p", "v")
            ft.set_tag("t", "x")
            for step in range(500):
                ft.log_metric("m", float(step), step=step)
            print("logged", flush=True)
            time.sleep(60)
            """
        )
    )
    process = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "logged"
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    run = _only_run(db)
    assert run.info.status == "RUNNING"
    assert run.data.params == {"p": "v"}
    assert run.data.tags["t"] == "x"
    history = ft.Client().get_metric_history(run.info.run_id, "m")
    assert [point.step for point in history] == list(range(500))


def _git(cwd: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


def test_run_records_source_git_and_environment(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    (repo / "jobs").mkdir(parents=True)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "config", "user.email", "a@example.com")
    _git(repo, "config", "user.name", "A")
    _git(repo, "remote", "add", "origin", "https://example.com/team/repo.git")
    (repo / "README").write_text("one\n")
    _git(repo, "add", "README")
    _git(repo, "commit", "-q", "-m", "first")
    (repo / "README").write_text("two\n")  # uncommitted change: the tree is dirty
    db = tmp_path / "t.db"
    done = _run_script(
        repo / "jobs" / "train.py",
        f"""
        import flowtrack as ft
        ft.set_tracking_uri("sqlite:///{db}")
        with ft.start_run():
            pass
        """,
        cwd=repo,
    )
    assert done.returncode == 0, done.stderr
    commit = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True, text=True, check=True
    ).stdout.strip()
    run = _only_run(db)
    tags = run.data.tags
    assert tags["mlflow.source.name"] == str((repo / "jobs" / "train.py").resolve())
    assert tags["mlflow.source.type"] == "LOCAL"
    assert tags["mlflow.source.git.commit"] == commit
    assert tags["mlflow.source.git.branch"] == "main"
    assert tags["mlflow.source.git.repoURL"] == "https://example.com/team/repo.git"
    assert tags["flowtrack.git.dirty"] == "true"
    assert tags["flowtrack.source.entrypoint"] == "jobs/train.py"
    assert tags["mlflow.user"]
    assert tags["flowtrack.python.version"] == ".".join(map(str, sys.version_info[:3]))
    client = ft.Client()
    repo_files = client.artifact_repository(run.info.run_id)
    assert b"+two" in repo_files.read_bytes("flowtrack/git.diff")
    assert b"ft.start_run()" in repo_files.read_bytes("flowtrack/source/train.py")
    assert b"flowtrack==" in repo_files.read_bytes("flowtrack/requirements.txt").lower()


def test_settings_turn_off_source_and_environment_artifacts(tmp_path: Path) -> None:
    db = tmp_path / "t.db"
    os.environ["FLOWTRACK_LOG_SOURCE_CODE"] = "false"
    os.environ["FLOWTRACK_LOG_ENVIRONMENT"] = "0"
    try:
        done = _run_script(
            tmp_path / "quiet.py",
            f"""
            import flowtrack as ft
            ft.set_tracking_uri("sqlite:///{db}")
            with ft.start_run():
                pass
            """,
        )
    finally:
        del os.environ["FLOWTRACK_LOG_SOURCE_CODE"], os.environ["FLOWTRACK_LOG_ENVIRONMENT"]
    assert done.returncode == 0, done.stderr
    run = _only_run(db)
    assert ft.Client().list_artifacts(run.info.run_id, "flowtrack") == []


def test_import_is_light_and_fast() -> None:
    probe = textwrap.dedent(
        """
        import json, sys, time
        start = time.perf_counter()
        import flowtrack
        elapsed = time.perf_counter() - start
        heavy = [m for m in ("sqlalchemy", "fastapi", "pandas", "sklearn", "numpy", "pydantic")
                 if m in sys.modules]
        print(json.dumps({"elapsed": elapsed, "heavy": heavy}))
        """
    )
    timings = []
    for _ in range(3):
        out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
        result = json.loads(out)
        assert result["heavy"] == []
        timings.append(result["elapsed"])
    assert min(timings) < 0.2


def test_mlflow_style_import_alias(tmp_path: Path) -> None:
    done = _run_script(
        tmp_path / "alias.py",
        f"""
        import flowtrack as mlflow
        from flowtrack import MlflowClient
        from flowtrack.entities import Metric, Param, RunTag
        mlflow.set_tracking_uri("sqlite:///{tmp_path / "a.db"}")
        mlflow.set_experiment("alias")
        with mlflow.start_run() as run:
            MlflowClient().log_batch(run.info.run_id, metrics=[Metric("m", 1.0, 0, 0)],
                                     params=[Param("p", "1")], tags=[RunTag("t", "v")])
        data = mlflow.get_run(run.info.run_id).data
        print(data.metrics, data.params)
        """,
    )
    assert done.returncode == 0, done.stderr
    assert "'m': 1.0" in done.stdout
    assert "'p': '1'" in done.stdout


def test_start_time_is_recent(tmp_path: Path) -> None:
    ft.set_tracking_uri(f"sqlite:///{tmp_path / 'time.db'}")
    before = int(time.time() * 1000)
    with ft.start_run() as run:
        pass
    stored = ft.get_run(run.info.run_id).info
    assert before <= stored.start_time <= int(time.time() * 1000)
