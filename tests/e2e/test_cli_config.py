"""`flowtrack config set|get|unset|view` against the profile file in the test's FLOWTRACK_HOME."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from flowtrack.cli.main import app
from flowtrack.config.profiles import read_profile


def flowtrack(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def assert_user_error(result: Result, *fragments: str) -> None:
    """Exit code 1, a message naming what was wrong, and no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_set_then_get_round_trips() -> None:
    result = flowtrack("config", "set", "api_url=http://127.0.0.1:5000")
    assert result.exit_code == 0, result.output
    assert "Set api_url = http://127.0.0.1:5000" in result.stdout
    assert read_profile() == {"api_url": "http://127.0.0.1:5000"}
    assert flowtrack("config", "get", "api_url").stdout == "http://127.0.0.1:5000\n"


def test_set_accepts_several_pairs_and_the_environment_spelling() -> None:
    result = flowtrack("config", "set", "FLOWTRACK_TRACKING_URI=sqlite:///team.db", "log_git_diff=false")
    assert result.exit_code == 0, result.output
    assert read_profile() == {"tracking_uri": "sqlite:///team.db", "log_git_diff": False}
    assert flowtrack("config", "get", "FLOWTRACK_LOG_GIT_DIFF").stdout == "false\n"


def test_unknown_key_is_named_and_nothing_is_written() -> None:
    result = flowtrack("config", "set", "api_url=http://a", "colour=red")
    assert_user_error(result, "unknown setting 'colour'", "api_url")
    assert read_profile() == {}


def test_bad_value_is_named_and_nothing_is_written() -> None:
    result = flowtrack("config", "set", "api_url=http://a", "log_git_diff=maybe")
    assert_user_error(result, "log_git_diff")
    assert read_profile() == {}


def test_pair_without_equals_sign_is_named() -> None:
    result = flowtrack("config", "set", "api_url")
    assert_user_error(result, "'api_url' is not of the form KEY=VALUE")


def test_get_unknown_key_is_named() -> None:
    assert_user_error(flowtrack("config", "get", "nope"), "unknown setting 'nope'")


def test_get_prints_computed_defaults(flowtrack_home: Path) -> None:
    assert (
        flowtrack("config", "get", "tracking_uri").stdout.strip()
        == f"sqlite:///{flowtrack_home / 'flowtrack.db'}"
    )
    assert flowtrack("config", "get", "artifact_root").stdout.strip() == str(flowtrack_home / "artifacts")
    assert flowtrack("config", "get", "api_url").stdout == ""


def test_unset_removes_keys() -> None:
    flowtrack("config", "set", "api_url=http://a", "log_environment=false")
    result = flowtrack("config", "unset", "api_url", "FLOWTRACK_LOG_ENVIRONMENT")
    assert result.exit_code == 0, result.output
    assert read_profile() == {}
    assert_user_error(flowtrack("config", "unset", "colour"), "colour")


def test_view_shows_value_and_source(monkeypatch: pytest.MonkeyPatch) -> None:
    flowtrack("config", "set", "api_url=http://profile:5000", "log_git_diff=false")
    monkeypatch.setenv("FLOWTRACK_LOG_SOURCE_CODE", "false")
    result = flowtrack("config", "view")
    assert result.exit_code == 0, result.output
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert "http://profile:5000" in lines["api_url"]
    assert "profile" in lines["api_url"]
    assert "env FLOWTRACK_LOG_SOURCE_CODE" in lines["log_source_code"]
    assert "default" in lines["log_environment"]


def test_view_json(monkeypatch: pytest.MonkeyPatch, flowtrack_home: Path) -> None:
    flowtrack("config", "set", "api_url=http://profile:5000")
    monkeypatch.setenv("FLOWTRACK_API_URL", "http://env:5000")
    result = flowtrack("config", "view", "--output", "json")
    data = json.loads(result.stdout)
    assert data["profile"] == str(flowtrack_home / "config.toml")
    assert data["settings"]["api_url"] == {"value": "http://env:5000", "source": "env FLOWTRACK_API_URL"}
    assert data["settings"]["log_git_diff"] == {"value": True, "source": "default"}
    assert data["settings"]["tracking_uri"]["source"] == "default"


def test_view_reports_mlflow_tracking_uri(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    data = json.loads(flowtrack("config", "view", "-o", "json").stdout)
    assert data["settings"]["tracking_uri"] == {
        "value": "sqlite:///mlflow.db",
        "source": "env MLFLOW_TRACKING_URI",
    }


def test_set_warns_when_the_environment_overrides(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWTRACK_API_URL", "http://env:5000")
    result = flowtrack("config", "set", "api_url=http://profile:5000")
    assert result.exit_code == 0
    assert "FLOWTRACK_API_URL is set in the environment" in result.stdout
