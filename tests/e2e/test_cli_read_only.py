"""Commands that only read never create a database: a mistyped SQLite path is an error, not an empty store."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from flowtrack.cli.main import app


def flowtrack(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


@pytest.mark.parametrize(
    "command", [("runs", "list"), ("experiments", "list"), ("runs", "describe", "0123abcd")]
)
def test_read_only_commands_refuse_a_missing_sqlite_file(tmp_path: Path, command: tuple[str, ...]) -> None:
    missing = tmp_path / "nonexistent" / "dir" / "x.db"
    result = flowtrack(*command, "--tracking-uri", f"sqlite:///{missing}")
    assert result.exit_code == 1, result.output
    assert "does not exist" in result.stderr
    assert str(missing) in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "nonexistent").exists()


def test_a_missing_file_from_the_environment_is_refused_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "typo.db"
    monkeypatch.setenv("FLOWTRACK_TRACKING_URI", f"sqlite:///{missing}")
    result = flowtrack("runs", "list")
    assert result.exit_code == 1, result.output
    assert "does not exist" in result.stderr
    assert not missing.exists()


def test_writes_still_create_the_database_and_reads_then_work(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'new' / 'team.db'}"
    assert flowtrack("experiments", "create", "team", "--tracking-uri", uri).exit_code == 0
    listed = flowtrack("experiments", "list", "--tracking-uri", uri)
    assert listed.exit_code == 0, listed.output
    assert "team" in listed.stdout
    assert flowtrack("runs", "list", "--tracking-uri", uri).exit_code == 0


def test_the_default_store_may_be_empty(flowtrack_home: Path) -> None:
    """The home folder's database is flowtrack's own: listing it before anything was logged says so."""
    result = flowtrack("runs", "list")
    assert result.exit_code == 0, result.output
    assert "No runs found." in result.stdout


def test_a_folder_is_not_a_database(tmp_path: Path) -> None:
    result = flowtrack("runs", "list", "--tracking-uri", f"sqlite:///{tmp_path}")
    assert result.exit_code == 1, result.output
    assert "folder" in result.stderr
