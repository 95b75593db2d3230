"""`flowtrack db upgrade` creates and migrates databases; bad URIs are refused with a message."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner, Result

from flowtrack.cli.db import masked
from flowtrack.cli.main import app
from flowtrack.db.migrate import revisions


def flowtrack(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def assert_user_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def _version(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        return {row[0] for row in conn.execute("SELECT version_num FROM alembic_version")}


def test_upgrade_creates_a_new_database_in_a_real_process(tmp_path: Path) -> None:
    path = tmp_path / "team.db"
    done = subprocess.run(
        [sys.executable, "-m", "flowtrack", "db", "upgrade", "--backend-store-uri", f"sqlite:///{path}"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "newest schema" in done.stdout
    assert _version(path) == set(revisions().heads)


def test_upgrade_accepts_mlflow_positional_form_and_is_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "team.db"
    for _ in range(2):
        result = flowtrack("db", "upgrade", f"sqlite:///{path}")
        assert result.exit_code == 0, result.output
    assert _version(path) == set(revisions().heads)


def test_upgrade_defaults_to_the_configured_store(flowtrack_home: Path) -> None:
    result = flowtrack("db", "upgrade")
    assert result.exit_code == 0, result.output
    assert _version(flowtrack_home / "flowtrack.db") == set(revisions().heads)


def test_upgrade_refuses_server_urls_and_unknown_schemes() -> None:
    assert_user_error(flowtrack("db", "upgrade", "http://127.0.0.1:5000"), "server URL")
    assert_user_error(flowtrack("db", "upgrade", "--backend-store-uri", "oracle://db/x"), "oracle")
    assert_user_error(
        flowtrack("db", "upgrade", "sqlite:///a.db", "--backend-store-uri", "sqlite:///b.db"), "once"
    )


def test_passwords_are_masked_in_output() -> None:
    assert masked("postgresql://ana:s3cret@db:5432/ft") == "postgresql://ana:***@db:5432/ft"
    assert masked("sqlite:////tmp/x.db") == "sqlite:////tmp/x.db"
