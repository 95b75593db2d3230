"""`flowtrack experiments …` against the embedded store of the test's FLOWTRACK_HOME (and other URIs)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from flowtrack.cli.main import app
from flowtrack.config.settings import load_settings
from flowtrack.tracking.client import TrackingClient


def store() -> TrackingClient:
    """The store the CLI uses when given no --tracking-uri: this test's FLOWTRACK_HOME database."""
    return TrackingClient(load_settings().resolved_tracking_uri())


def flowtrack(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def assert_user_error(result: Result, *fragments: str) -> None:
    """Exit code 1, a message naming what was wrong, and no traceback."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


def test_create_stores_name_tags_and_location(tmp_path: Path) -> None:
    location = str(tmp_path / "taxi-artifacts")
    result = flowtrack(
        "experiments",
        "create",
        "taxi",
        "--tag",
        "team=ml",
        "-t",
        "stage=dev",
        "--artifact-location",
        location,
    )
    assert result.exit_code == 0, result.output
    experiment = store().get_experiment_by_name("taxi")
    assert experiment is not None
    assert f"Created experiment taxi with id {experiment.experiment_id}" in result.stdout
    assert experiment.tags == {"team": "ml", "stage": "dev"}
    assert experiment.artifact_location.endswith("taxi-artifacts")


def test_create_accepts_mlflow_spelling_and_json_output() -> None:
    result = flowtrack("experiments", "create", "-n", "taxi", "--output", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["name"] == "taxi"
    assert store().get_experiment(data["experiment_id"]).name == "taxi"


def test_create_needs_exactly_one_name() -> None:
    assert_user_error(flowtrack("experiments", "create"), "experiment name")
    assert_user_error(flowtrack("experiments", "create", "a", "-n", "b"), "experiment name")


def test_create_duplicate_is_a_clear_error() -> None:
    flowtrack("experiments", "create", "taxi")
    assert_user_error(flowtrack("experiments", "create", "taxi"), "taxi", "experiments list --view all")


def test_create_bad_tag_is_named() -> None:
    assert_user_error(
        flowtrack("experiments", "create", "taxi", "--tag", "team"), "'team' is not of the form KEY=VALUE"
    )
    assert store().get_experiment_by_name("taxi") is None


def test_list_table_json_filter_and_views() -> None:
    for name in ("alpha", "beta", "gamma"):
        flowtrack("experiments", "create", name)
    flowtrack("experiments", "delete", "gamma")

    table = flowtrack("experiments", "list")
    assert table.exit_code == 0, table.output
    assert "alpha" in table.stdout
    assert "beta" in table.stdout
    assert "gamma" not in table.stdout

    rows = json.loads(flowtrack("experiments", "list", "--filter", "name LIKE 'a%'", "-o", "json").stdout)
    assert [row["name"] for row in rows] == ["alpha"]

    deleted = json.loads(flowtrack("experiments", "list", "--view", "deleted", "-o", "json").stdout)
    assert [row["name"] for row in deleted] == ["gamma"]
    everything = flowtrack("experiments", "list", "--view", "all")
    assert "gamma" in everything.stdout
    assert "deleted" in everything.stdout


def test_list_bad_filter_points_at_the_problem() -> None:
    assert_user_error(flowtrack("experiments", "list", "--filter", "name LIK 'a%'"), "position 5", "LIKE")


def test_rename_by_name_and_by_mlflow_id_option() -> None:
    flowtrack("experiments", "create", "old")
    result = flowtrack("experiments", "rename", "old", "new")
    assert result.exit_code == 0, result.output
    experiment = store().get_experiment_by_name("new")
    assert experiment is not None
    result = flowtrack("experiments", "rename", "-x", experiment.experiment_id, "--new-name", "newer")
    assert result.exit_code == 0, result.output
    assert store().get_experiment(experiment.experiment_id).name == "newer"
    flowtrack("experiments", "rename", "-x", experiment.experiment_id, "newest")
    assert store().get_experiment(experiment.experiment_id).name == "newest"


def test_delete_and_restore_by_name_and_id() -> None:
    flowtrack("experiments", "create", "taxi")
    experiment = store().get_experiment_by_name("taxi")
    assert experiment is not None
    result = flowtrack("experiments", "delete", "taxi")
    assert result.exit_code == 0, result.output
    assert f"flowtrack experiments restore {experiment.experiment_id}" in result.stdout
    assert store().get_experiment(experiment.experiment_id).lifecycle_stage == "deleted"
    result = flowtrack("experiments", "restore", "-x", experiment.experiment_id)
    assert result.exit_code == 0, result.output
    assert store().get_experiment(experiment.experiment_id).lifecycle_stage == "active"


def test_unknown_experiment_is_named_with_a_hint() -> None:
    for command in ("delete", "restore"):
        assert_user_error(flowtrack("experiments", command, "nope"), "'nope'", "flowtrack experiments list")
    assert_user_error(flowtrack("experiments", "rename", "nope", "x"), "'nope'", "flowtrack experiments list")
    assert_user_error(
        flowtrack("experiments", "delete", "-x", "424242"), "424242", "flowtrack experiments list"
    )
    assert_user_error(
        flowtrack("experiments", "delete", "-n", "nope"), "'nope'", "flowtrack experiments list"
    )


def test_tracking_uri_option_and_mlflow_alias(tmp_path: Path) -> None:
    uri = f"sqlite:///{tmp_path / 'team.db'}"
    assert flowtrack("experiments", "create", "team-only", "--tracking-uri", uri).exit_code == 0
    assert TrackingClient(uri).get_experiment_by_name("team-only") is not None
    assert store().get_experiment_by_name("team-only") is None
    listed = flowtrack("experiments", "list", "--backend-store-uri", uri, "-o", "json")
    assert "team-only" in [row["name"] for row in json.loads(listed.stdout)]


def test_tracking_uri_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("FLOWTRACK_TRACKING_URI", uri)
    assert flowtrack("experiments", "create", "from-env").exit_code == 0
    assert TrackingClient(uri).get_experiment_by_name("from-env") is not None


def test_unsupported_uri_is_a_clear_error() -> None:
    result = flowtrack("experiments", "list", "--tracking-uri", "oracle://db/x")
    assert_user_error(result, "oracle")
