"""`flowtrack runs …` over runs logged with the client into the test's embedded store."""

from __future__ import annotations

import json
from dataclasses import dataclass

import pytest
from typer.testing import CliRunner, Result

from flowtrack.cli.main import app
from flowtrack.config.settings import load_settings
from flowtrack.tracking.client import TrackingClient
from flowtrack.tracking.datasets import from_numpy
from flowtrack.tracking.entities import DatasetInput, InputTag, Metric, Param, RunTag


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


@dataclass
class Logged:
    experiment_id: str
    run_ids: dict[str, str]  # run name -> run id


@pytest.fixture
def logged() -> Logged:
    """Experiment "taxi": runs rf (rmse 5), ridge (rmse 7), knn (rmse 9, running); "other": run lonely."""
    client = store()
    experiment_id = client.create_experiment("taxi")
    run_ids: dict[str, str] = {}
    for name, rmse, model in (("rf", 5.0, "forest"), ("ridge", 7.0, "linear"), ("knn", 9.0, "neighbours")):
        run = client.create_run(experiment_id, run_name=name, tags={"developer": "ana"})
        run_id = run.info.run_id
        client.log_batch(
            run_id,
            metrics=[
                Metric("rmse", rmse, 1000, 0),
                Metric("rmse", rmse - 1, 1001, 1),
                Metric("r2", 0.5, 1000, 0),
            ],
            params=[Param("model", model), Param("max_depth", "4")],
            tags=[RunTag("stage", "dev")],
        )
        client.log_text(run_id, "hello", "notes/readme.txt")
        client.log_dict(run_id, {"a": 1}, "config.json")
        dataset = from_numpy([[1.0, 2.0], [3.0, 4.0]], source="s3://bucket/train.npy", name="train")
        client.log_inputs(run_id, [DatasetInput(dataset, (InputTag("mlflow.data.context", "training"),))])
        if name != "knn":
            client.set_terminated(run_id)
        run_ids[name] = run_id
    other = client.create_experiment("other")
    run_ids["lonely"] = client.create_run(other, run_name="lonely").info.run_id
    return Logged(experiment_id, run_ids)


# -- list ----------------------------------------------------------------------------------------------------
def test_list_table_shows_short_ids_names_status_and_values(logged: Logged) -> None:
    result = flowtrack("runs", "list", "--experiment", "taxi")
    assert result.exit_code == 0, result.output
    out = result.stdout
    for name, run_id in logged.run_ids.items():
        assert (run_id[:8] in out) == (name != "lonely")
    assert run_ids_full_absent(out, logged)
    for text in ("FINISHED", "RUNNING", "rmse", "r2", "max_depth", "model", "forest", "neighbours", "4"):
        assert text in out
    assert "Experiment" not in out  # one experiment: no experiment column


def run_ids_full_absent(out: str, logged: Logged) -> bool:
    return all(run_id not in out for run_id in logged.run_ids.values())


def test_list_without_experiment_covers_every_experiment(logged: Logged) -> None:
    result = flowtrack("runs", "list")
    assert result.exit_code == 0, result.output
    assert "Experiment" in result.stdout
    assert "lonely" in result.stdout
    assert "taxi" in result.stdout


def test_list_filter_order_and_json(logged: Logged) -> None:
    filter_string, order = "metrics.rmse < 8", "metrics.rmse DESC"
    args = ["-e", logged.experiment_id, "--filter", filter_string, "--order-by", order, "--output", "json"]
    result = flowtrack("runs", "list", *args)
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert [row["run_name"] for row in rows] == ["ridge", "rf"]
    assert rows[0]["run_id"] == logged.run_ids["ridge"]
    assert rows[0]["metrics"] == {"rmse": 6.0, "r2": 0.5}
    assert rows[0]["params"] == {"model": "linear", "max_depth": "4"}
    assert rows[0]["tags"]["developer"] == "ana"
    assert rows[0]["status"] == "FINISHED"


def test_list_order_by_metric_puts_its_column_first(logged: Logged) -> None:
    result = flowtrack("runs", "list", "-e", "taxi", "--order-by", "metrics.rmse ASC")
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    header = lines[0]
    assert header.index("rmse") < header.index("r2")
    body = "\n".join(lines[1:])
    assert body.index("rf") < body.index("ridge") < body.index("knn")


def test_list_max_results_says_there_is_more(logged: Logged) -> None:
    result = flowtrack("runs", "list", "-e", "taxi", "--max-results", "1")
    assert result.exit_code == 0, result.output
    assert "raise --max-results" in result.stdout


def test_list_caps_the_number_of_columns() -> None:
    client = store()
    experiment_id = client.create_experiment("wide")
    run_id = client.create_run(experiment_id, run_name="wide").info.run_id
    client.log_batch(run_id, metrics=[Metric(f"m{i:02d}", float(i), 0, 0) for i in range(12)])
    result = flowtrack("runs", "list", "-e", "wide")
    assert "m05" in result.stdout
    assert "m06" not in result.stdout
    assert "6 more columns" in result.stdout


def test_list_views(logged: Logged) -> None:
    flowtrack("runs", "delete", logged.run_ids["ridge"])
    active = json.loads(flowtrack("runs", "list", "-e", "taxi", "-o", "json").stdout)
    assert {row["run_name"] for row in active} == {"rf", "knn"}
    deleted = json.loads(flowtrack("runs", "list", "-e", "taxi", "--view", "deleted", "-o", "json").stdout)
    assert [row["run_name"] for row in deleted] == ["ridge"]
    assert len(json.loads(flowtrack("runs", "list", "-e", "taxi", "--view", "all", "-o", "json").stdout)) == 3


def test_list_bad_input_is_named(logged: Logged) -> None:
    assert_user_error(flowtrack("runs", "list", "-e", "nope"), "'nope'", "flowtrack experiments list")
    assert_user_error(flowtrack("runs", "list", "--filter", "metrics.rmse < 'x'"), "rmse")
    assert_user_error(flowtrack("runs", "list", "--max-results", "0"), "max_results")


def test_list_empty_store_says_so() -> None:
    result = flowtrack("runs", "list")
    assert result.exit_code == 0, result.output
    assert "No runs found." in result.stdout


# -- describe ------------------------------------------------------------------------------------------------
def test_describe_shows_everything(logged: Logged) -> None:
    run_id = logged.run_ids["rf"]
    result = flowtrack("runs", "describe", run_id)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for text in (run_id, "rf", "taxi", "FINISHED", "Params (2)", "forest", "Metrics (2, latest values)", "4"):
        assert text in out
    assert "Tags (2)" in out  # developer, stage
    assert "System tags" in out
    assert "mlflow.runName" in out.split("System tags")[1]
    assert "Dataset inputs (1)" in out
    assert "s3://bucket/train.npy" in out
    assert "training" in out
    assert "notes/readme.txt" in out
    assert "config.json" in out


def test_describe_by_prefix_and_by_name(logged: Logged) -> None:
    run_id = logged.run_ids["ridge"]
    assert run_id in flowtrack("runs", "describe", run_id[:8]).stdout
    assert run_id in flowtrack("runs", "describe", "ridge").stdout


def test_describe_json(logged: Logged) -> None:
    result = flowtrack("runs", "describe", logged.run_ids["rf"], "--output", "json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["run_name"] == "rf"
    assert data["experiment_name"] == "taxi"
    assert data["metrics"] == {"rmse": 4.0, "r2": 0.5}
    assert data["params"]["model"] == "forest"
    assert data["tags"]["stage"] == "dev"
    assert data["inputs"][0]["name"] == "train"
    assert data["inputs"][0]["tags"] == {"mlflow.data.context": "training"}
    assert sorted(entry["path"] for entry in data["artifacts"]) == ["config.json", "notes/readme.txt"]


def test_describe_unknown_run_is_named_with_a_hint(logged: Logged) -> None:
    assert_user_error(
        flowtrack("runs", "describe", "0123456789abcdef"), "'0123456789abcdef'", "flowtrack runs list"
    )
    assert_user_error(flowtrack("runs", "describe", "no-such-run"), "'no-such-run'", "flowtrack runs list")


def test_describe_ambiguous_name_lists_candidates(logged: Logged) -> None:
    client = store()
    twin = client.create_run(logged.experiment_id, run_name="rf").info.run_id
    result = flowtrack("runs", "describe", "rf")
    assert_user_error(result, "several runs", twin[:8], logged.run_ids["rf"][:8])


# -- delete / restore ----------------------------------------------------------------------------------------
def test_delete_and_restore_several(logged: Logged) -> None:
    ids = [logged.run_ids["rf"], logged.run_ids["ridge"][:8]]
    result = flowtrack("runs", "delete", *ids)
    assert result.exit_code == 0, result.output
    client = store()
    assert client.get_run(logged.run_ids["rf"]).info.lifecycle_stage == "deleted"
    assert client.get_run(logged.run_ids["ridge"]).info.lifecycle_stage == "deleted"
    assert "Deleted run" in result.stdout
    result = flowtrack("runs", "restore", *ids)
    assert result.exit_code == 0, result.output
    assert client.get_run(logged.run_ids["rf"]).info.lifecycle_stage == "active"


def test_delete_with_one_bad_id_deletes_nothing(logged: Logged) -> None:
    result = flowtrack("runs", "delete", logged.run_ids["rf"], "ffffffffffff")
    assert_user_error(result, "'ffffffffffff'")
    assert store().get_run(logged.run_ids["rf"]).info.lifecycle_stage == "active"


def test_describe_deleted_run_says_how_to_restore(logged: Logged) -> None:
    flowtrack("runs", "delete", logged.run_ids["rf"])
    result = flowtrack("runs", "describe", logged.run_ids["rf"])
    assert result.exit_code == 0, result.output
    assert "flowtrack runs restore" in result.stdout


def test_list_by_mlflow_experiment_id_option(logged: Logged) -> None:
    rows = json.loads(flowtrack("runs", "list", "-x", logged.experiment_id, "-o", "json").stdout)
    assert {row["run_name"] for row in rows} == {"rf", "ridge", "knn"}
    assert_user_error(flowtrack("runs", "list", "--experiment-id", "424242"), "424242", "experiments list")
