"""`flowtrack flows …` and `flowtrack flow-runs …` over flows run in the test's embedded store."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
import uuid

from typer.testing import CliRunner, Result

import flowtrack
from flowtrack.cli.main import app
from flowtrack.lineage import flow, task
from flowtrack.orchestration.client import OrchestrationClient
from flowtrack.orchestration.entities import FlowRunRecord, StateType, WriteBatch


def flowtrack_cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args), env={"COLUMNS": "200"})


def assert_user_error(result: Result, *fragments: str) -> None:
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in result.stderr, result.stderr


@task
def clean(x: int) -> int:
    flowtrack.get_run_logger().warning("row %d looks odd", x)
    return x


@flow(tags=["nightly"])
def etl(rows: int = 2) -> int:
    flowtrack.get_run_logger().info("loading %d rows", rows)
    return sum(clean.map(range(rows)).result())


@flow
def nightly() -> None:
    etl(1)


@flow
def train() -> None:
    raise RuntimeError("diverged")


def run_flows() -> dict[str, FlowRunRecord]:
    etl(2)
    train(return_state=True)
    client = OrchestrationClient()
    return {run.flow_name: run for run in client.read_flow_runs()}


def test_flows_list_shows_each_flow_with_its_run_count_and_latest_run() -> None:
    etl(1)
    run_flows()
    client = OrchestrationClient()
    runs = {name: client.read_flow_runs(flow_name=name, limit=1)[0] for name in ("etl", "train")}
    result = flowtrack_cli("flows", "list")
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split() for line in result.output.splitlines() if line.split()}
    assert rows["etl"][1:3] == ["2", runs["etl"].id[:8]]
    assert rows["train"][1:3] == ["1", runs["train"].id[:8]]
    assert "FAILED" in rows["train"]
    listed = json.loads(flowtrack_cli("flows", "list", "-o", "json").output)
    assert {item["name"]: item["latest_flow_run_id"] for item in listed} == {
        "etl": runs["etl"].id,
        "train": runs["train"].id,
    }
    assert {item["name"]: item["run_count"] for item in listed} == {"etl": 2, "train": 1}
    assert {item["name"]: item["latest_flow_run_state"] for item in listed} == {
        "etl": "COMPLETED",
        "train": "FAILED",
    }


def test_flow_runs_list_filters_and_prints_json() -> None:
    runs = run_flows()
    table = flowtrack_cli("flow-runs", "list")
    assert table.exit_code == 0, table.output
    assert runs["etl"].id[:8] in table.output
    assert runs["train"].id[:8] in table.output
    assert runs["etl"].tracking_run_id is not None
    assert runs["etl"].tracking_run_id[:8] in table.output
    failed = json.loads(flowtrack_cli("flow-runs", "list", "--state", "failed", "-o", "json").output)
    assert [item["flow_name"] for item in failed] == ["train"]
    tagged = json.loads(flowtrack_cli("flow-runs", "list", "--tag", "nightly", "-o", "json").output)
    assert [item["id"] for item in tagged] == [runs["etl"].id]
    assert set(tagged[0]) == {field.name for field in dataclasses.fields(FlowRunRecord)}  # every field
    assert tagged[0]["lease_ms"] == runs["etl"].lease_ms
    recent = json.loads(
        flowtrack_cli("flow-runs", "list", "--since", "1h", "--flow", "etl", "-o", "json").output
    )
    assert [item["parameters"] for item in recent] == [{"rows": 2}]
    assert json.loads(flowtrack_cli("flow-runs", "list", "--until", "2020-01-01", "-o", "json").output) == []


def test_inspect_shows_state_history_parameters_and_task_runs() -> None:
    run = run_flows()["etl"]
    result = flowtrack_cli("flow-runs", "inspect", run.id[:8])
    assert result.exit_code == 0, result.output
    for fragment in (run.id, "COMPLETED", "clean-0", "clean-1", "State history", "rows", "nightly"):
        assert fragment in result.output
    details = json.loads(flowtrack_cli("flow-runs", "inspect", run.name, "-o", "json").output)
    assert details["id"] == run.id
    assert [state["type"] for state in details["states"]][-1] == "COMPLETED"
    assert sorted(task["name"] for task in details["task_runs"]) == ["clean-0", "clean-1"]


def test_logs_prints_flow_and_task_lines_with_a_level_filter() -> None:
    run = run_flows()["etl"]
    result = flowtrack_cli("flow-runs", "logs", run.id[:8])
    assert result.exit_code == 0, result.output
    assert "loading 2 rows" in result.output
    assert "row 1 looks odd" in result.output
    warnings = json.loads(
        flowtrack_cli("flow-runs", "logs", run.id, "--level", "warning", "-o", "json").output
    )
    assert sorted(line["message"] for line in warnings) == ["row 0 looks odd", "row 1 looks odd"]
    assert {line["level"] for line in warnings} == {"WARNING"}


def test_cancel_refuses_a_finished_run_and_delete_removes_it() -> None:
    runs = run_flows()
    assert_user_error(flowtrack_cli("flow-runs", "cancel", runs["etl"].id[:8]), "final state cannot be left")
    deleted = flowtrack_cli("flow-runs", "delete", runs["train"].id[:8])
    assert deleted.exit_code == 0, deleted.output
    assert "Deleted flow run" in deleted.output
    remaining = json.loads(flowtrack_cli("flow-runs", "list", "-o", "json").output)
    assert [item["flow_name"] for item in remaining] == ["etl"]


def test_cancel_moves_a_running_run_to_cancelling() -> None:
    from flowtrack.orchestration.entities import WriteBatch
    from flowtrack.orchestration.stores.registry import get_orchestration_store

    store = get_orchestration_store()
    record = FlowRunRecord(
        "0123456789abcdef0123456789abcdef",
        "f",
        "slow",
        "still-going",
        StateType.RUNNING,
        "Running",
        {},
        (),
        1,
    )
    store.write(WriteBatch(flow_runs=[record]))
    result = flowtrack_cli("flow-runs", "cancel", "still-going", "-m", "too slow")
    assert result.exit_code == 0, result.output
    assert "CANCELLING" in result.output
    assert store.get_flow_run(record.id).state_message == "too slow"


def test_bad_references_and_options_are_user_errors() -> None:
    run_flows()
    assert_user_error(flowtrack_cli("flow-runs", "inspect", "nope-nope"), "no flow run", "nope-nope")
    assert_user_error(flowtrack_cli("flow-runs", "list", "--state", "done"), "state must be one of", "'done'")
    assert_user_error(flowtrack_cli("flow-runs", "list", "--since", "yesterday"), "--since", "yesterday")
    assert_user_error(flowtrack_cli("flow-runs", "logs", "etl", "--level", "loud"), "--level")
    assert_user_error(flowtrack_cli("flow-runs", "list", "--limit", "0"), "limit")
    assert_user_error(
        flowtrack_cli("flow-runs", "list", "--tracking-uri", "sqlite:////nonexistent/x.db"), "does not exist"
    )


def test_inspect_lists_subflow_runs() -> None:
    nightly()
    client = OrchestrationClient()
    [parent] = client.read_flow_runs(flow_name="nightly")
    [child] = client.read_flow_runs(flow_name="etl")
    result = flowtrack_cli("flow-runs", "inspect", parent.id)
    assert result.exit_code == 0, result.output
    assert "Subflow runs" in result.output
    assert child.id[:8] in result.output
    details = json.loads(flowtrack_cli("flow-runs", "inspect", parent.id, "-o", "json").output)
    assert [item["id"] for item in details["subflow_runs"]] == [child.id]


def test_list_top_level_leaves_out_subflow_runs() -> None:
    nightly()
    client = OrchestrationClient()
    [parent] = client.read_flow_runs(flow_name="nightly")
    [child] = client.read_flow_runs(flow_name="etl")
    assert [run.id for run in client.read_flow_runs(top_level_only=True)] == [parent.id]
    everything = flowtrack_cli("flow-runs", "list")
    assert everything.exit_code == 0, everything.output
    assert parent.id[:8] in everything.output
    assert child.id[:8] in everything.output
    top = flowtrack_cli("flow-runs", "list", "--top-level", "-o", "json")
    assert top.exit_code == 0, top.output
    assert [item["id"] for item in json.loads(top.output)] == [parent.id]


def _write_running(name: str) -> FlowRunRecord:
    from flowtrack.orchestration.entities import WriteBatch
    from flowtrack.orchestration.stores.registry import get_orchestration_store

    record = FlowRunRecord(uuid.uuid4().hex, "f", "slow", name, StateType.RUNNING, "Running", {"n": 1}, (), 1)
    get_orchestration_store().write(WriteBatch(flow_runs=[record]))
    return record


def test_cancel_and_delete_print_json_and_keep_errors_one_line() -> None:
    running = _write_running("json-going")
    cancelled = flowtrack_cli("flow-runs", "cancel", "json-going", "-m", "enough", "-o", "json")
    assert cancelled.exit_code == 0, cancelled.output
    record = json.loads(cancelled.stdout)
    assert (record["id"], record["name"], record["state_type"]) == (running.id, "json-going", "CANCELLING")
    assert record["state_message"] == "enough"
    assert record["parameters"] == {"n": 1}
    inspected = json.loads(flowtrack_cli("flow-runs", "inspect", running.id, "-o", "json").stdout)
    assert {key: inspected[key] for key in record} == record

    runs = run_flows()
    finished = flowtrack_cli("flow-runs", "cancel", runs["etl"].id[:8], "-o", "json")
    assert_user_error(finished, "final state cannot be left")
    assert finished.stdout == ""
    assert len(finished.stderr.strip().splitlines()) == 1

    deleted = flowtrack_cli("flow-runs", "delete", runs["train"].id[:8], "--output", "json")
    assert deleted.exit_code == 0, deleted.output
    assert json.loads(deleted.stdout) == {"deleted": runs["train"].id}
    both = flowtrack_cli("flow-runs", "delete", running.id, runs["etl"].id, "-o", "json")
    assert both.exit_code == 0, both.output
    assert json.loads(both.stdout) == [{"deleted": running.id}, {"deleted": runs["etl"].id}]
    assert json.loads(flowtrack_cli("flow-runs", "list", "-o", "json").stdout) == []
    missing = flowtrack_cli("flow-runs", "delete", "nope-nope", "-o", "json")
    assert_user_error(missing, "no flow run", "nope-nope")
    assert len(missing.stderr.strip().splitlines()) == 1


def test_a_listing_that_finds_a_crashed_run_ends_its_tracked_run_too() -> None:
    # a real `flowtrack` process: the link that ends tracked runs must be installed by the CLI itself
    tracking = flowtrack.Client()
    tracked = tracking.create_run("0")
    store = OrchestrationClient().orchestration_store
    lost = FlowRunRecord(
        id=uuid.uuid4().hex,
        flow_id="flow-lost",
        flow_name="lost",
        name="lost-run",
        state_type=StateType.RUNNING,
        state_name="Running",
        parameters={},
        tags=(),
        created_ms=1,
        start_ms=1,
        heartbeat_ms=2,  # long silent
        tracking_run_id=tracked.info.run_id,
    )
    store.write(WriteBatch(flow_runs=[lost]))
    env = {**os.environ, "COLUMNS": "200"}
    done = subprocess.run(
        [sys.executable, "-m", "flowtrack", "flow-runs", "list", "--flow", "lost", "--output", "json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert [run["state_type"] for run in json.loads(done.stdout)] == ["CRASHED"]
    ended = tracking.get_run(tracked.info.run_id).info
    assert (ended.status, ended.end_time) == ("FAILED", 2)
