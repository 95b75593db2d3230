"""Settings precedence (environment > profile file > default) and the profile file helpers."""

from __future__ import annotations

from pathlib import Path

import pytest

from flowtrack.config import profiles
from flowtrack.config.settings import load_settings
from flowtrack.exceptions import InvalidArgument


def test_defaults_live_under_flowtrack_home(flowtrack_home: Path) -> None:
    settings = load_settings()
    assert settings.resolved_tracking_uri() == f"sqlite:///{flowtrack_home / 'flowtrack.db'}"
    assert settings.resolved_artifact_root() == str(flowtrack_home / "artifacts")
    assert settings.log_source_code is True


def test_profile_then_environment_override(monkeypatch: pytest.MonkeyPatch) -> None:
    profiles.set_values({"tracking_uri": "sqlite:///profile.db", "log_environment": "false"})
    assert load_settings().tracking_uri == "sqlite:///profile.db"
    assert load_settings().log_environment is False
    monkeypatch.setenv("FLOWTRACK_TRACKING_URI", "sqlite:///env.db")
    assert load_settings().tracking_uri == "sqlite:///env.db"
    assert profiles.get_value("tracking_uri") == "sqlite:///env.db"


def test_mlflow_tracking_uri_is_a_fallback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "sqlite:///mlflow.db")
    assert load_settings().resolved_tracking_uri() == "sqlite:///mlflow.db"
    monkeypatch.setenv("FLOWTRACK_TRACKING_URI", "sqlite:///mine.db")
    assert load_settings().resolved_tracking_uri() == "sqlite:///mine.db"


def test_prefixed_names_are_accepted_and_unset_removes() -> None:
    profiles.set_values({"FLOWTRACK_API_URL": "http://127.0.0.1:5000"})
    assert profiles.read_profile() == {"api_url": "http://127.0.0.1:5000"}
    profiles.unset_values(["api_url"])
    assert profiles.read_profile() == {}


def test_unknown_name_is_refused_and_nothing_written() -> None:
    with pytest.raises(InvalidArgument, match="known settings") as error:
        profiles.set_values({"api_url": "http://x", "trackin_uri": "y"})
    assert error.value.field == "trackin_uri"
    assert profiles.read_profile() == {}


def test_bad_value_names_the_setting_and_nothing_written() -> None:
    with pytest.raises(InvalidArgument) as error:
        profiles.set_values({"tracking_uri": "sqlite:///ok.db", "log_source_code": "maybe"})
    assert error.value.field == "log_source_code"
    assert profiles.read_profile() == {}


def test_bad_environment_value_names_the_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWTRACK_LOG_GIT_DIFF", "perhaps")
    with pytest.raises(InvalidArgument) as error:
        load_settings()
    assert error.value.field == "log_git_diff"


@pytest.mark.parametrize("value", ["0", "-5", "soon", "nan", "inf"])
def test_bad_lease_seconds_names_the_setting(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("FLOWTRACK_FLOW_RUN_LEASE_SECONDS", value)
    with pytest.raises(InvalidArgument) as error:
        load_settings()
    assert error.value.field == "flow_run_lease_seconds"


def test_typed_values_round_trip_through_the_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    stored = profiles.set_values({"flow_run_lease_seconds": " 2.5 ", "log_git_diff": "OFF"})
    assert stored == {"flow_run_lease_seconds": 2.5, "log_git_diff": False}
    assert profiles.read_profile() == {"flow_run_lease_seconds": 2.5, "log_git_diff": False}
    settings = load_settings()
    assert settings.flow_run_lease_seconds == 2.5
    assert (settings.log_git_diff, settings.log_environment) == (False, True)
    monkeypatch.setenv("FLOWTRACK_LOG_GIT_DIFF", "yes")
    assert load_settings().log_git_diff is True


def test_a_broken_profile_file_is_reported_not_a_traceback(flowtrack_home: Path) -> None:
    (flowtrack_home / "config.toml").write_text("tracking_uri = 'unterminated\n")
    with pytest.raises(InvalidArgument, match="not valid TOML") as error:
        load_settings()
    assert error.value.field == "profile"
