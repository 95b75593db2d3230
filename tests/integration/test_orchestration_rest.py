"""The orchestration store through a running ``flowtrack server`` (``/api/v1``), on every database.

The same behaviour as embedded: batches round-trip unchanged, upserts, the lease, the state rules, filters,
cascade deletes, and bad input refused whole with the field named. One server per database for the module
(with a short lease); each test uses flow names of its own.
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import flowtrack
from flowtrack.exceptions import InvalidArgument, NotFound
from flowtrack.lineage import flow, task
from flowtrack.orchestration.entities import (
    FlowRecord,
    FlowRunFilter,
    FlowRunRecord,
    LogRecord,
    RunKind,
    StateRecord,
    StateType,
    TaskEdge,
    TaskRunRecord,
    WriteBatch,
)
from flowtrack.orchestration.stores.registry import get_orchestration_store
from flowtrack.orchestration.stores.rest.store import RestOrchestrationStore
from tests.fixtures.server import RunningServer, running_server

LEASE_SECONDS = 2.0
T0 = 1_700_000_000_000


@pytest.fixture(scope="module")
def server(module_db_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    home = tmp_path_factory.mktemp("orchestration-server")
    env = {"FLOWTRACK_HOME": str(home), "FLOWTRACK_FLOW_RUN_LEASE_SECONDS": str(LEASE_SECONDS)}
    with running_server(module_db_uri, home / "artifacts", env=env) as running:
        yield running


@pytest.fixture
def rest(server: RunningServer) -> Iterator[RestOrchestrationStore]:
    store = RestOrchestrationStore(server.url)
    yield store
    store.close()


def now() -> int:
    return time.time_ns() // 1_000_000


def new_id() -> str:
    return uuid.uuid4().hex


def flow_run(flow_name: str, state: StateType = StateType.RUNNING, **fields: Any) -> FlowRunRecord:
    values: dict[str, Any] = {
        "id": new_id(),
        "flow_id": f"id-{flow_name}",
        "flow_name": flow_name,
        "name": "quick-fox",
        "state_type": state,
        "state_name": state.value.title(),
        "parameters": {"lr": 0.5, "layers": [2, 3]},
        "tags": ("a",),
        "created_ms": T0,
        "start_ms": T0,
        "heartbeat_ms": now(),
    }
    values.update(fields)
    return FlowRunRecord(**values)


def task_run(flow_run_id: str, index: int, **fields: Any) -> TaskRunRecord:
    values: dict[str, Any] = {
        "id": new_id(),
        "flow_run_id": flow_run_id,
        "task_key": "fit-1",
        "name": f"fit-{index}",
        "dynamic_key": str(index),
        "state_type": StateType.COMPLETED,
        "state_name": "Completed",
        "created_ms": T0 + index,
        "tags": ("gpu",),
        "upstream_task_run_ids": (),
    }
    values.update(fields)
    return TaskRunRecord(**values)


def same_apart_from_heartbeat(stored: FlowRunRecord, sent: FlowRunRecord) -> bool:
    """The server stamps heartbeats of running flow runs with its own clock, never earlier than sent."""
    assert stored.heartbeat_ms is not None
    assert sent.heartbeat_ms is not None
    assert stored.heartbeat_ms >= sent.heartbeat_ms
    return dataclasses.replace(stored, heartbeat_ms=sent.heartbeat_ms) == sent


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def test_a_batch_round_trips_unchanged(rest: RestOrchestrationStore) -> None:
    name = unique("roundtrip")
    run = flow_run(name, tracking_run_id="abc123", flow_version="1.2")
    tasks = [task_run(run.id, i) for i in range(300)]
    tasks[1] = dataclasses.replace(tasks[1], upstream_task_run_ids=(tasks[0].id,))
    edge = TaskEdge(tasks[1].id, tasks[0].id, "x")
    state = StateRecord(new_id(), run.id, RunKind.FLOW, StateType.RUNNING, "Running", "go", T0)
    log = LogRecord(run.id, tasks[0].id, 30, "flowtrack.task", "careful ✓", T0)
    rest.write(
        WriteBatch(
            flows=[FlowRecord(f"id-{name}", name, T0, ("ml",))],
            flow_runs=[run],
            task_runs=tasks,
            states=[state],
            edges=[edge],
            logs=[log],
        )
    )
    assert same_apart_from_heartbeat(rest.get_flow_run(run.id), run)
    assert FlowRecord(f"id-{name}", name, T0, ("ml",)) in rest.list_flows(limit=1000)
    assert rest.list_task_runs(run.id) == tasks
    assert rest.get_task_run(tasks[1].id) == tasks[1]
    assert rest.list_edges(run.id) == [edge]
    assert rest.list_states(run.id) == [state]
    assert rest.list_logs(run.id) == [log]
    assert rest.list_logs(run.id, tasks[0].id, limit=1, offset=0) == [log]


def test_upserts_filters_and_the_registry(rest: RestOrchestrationStore, server: RunningServer) -> None:
    name = unique("filters")
    first = flow_run(name, StateType.PENDING, tags=("nightly", "gpu"), created_ms=T0 + 1, start_ms=T0 + 100)
    second = flow_run(name, StateType.FAILED, tags=("nightly",), created_ms=T0 + 2, start_ms=T0 + 200)
    rest.write(WriteBatch(flow_runs=[first, second]))
    done = dataclasses.replace(first, state_type=StateType.COMPLETED, state_name="Completed", end_ms=T0 + 150)
    rest.write(WriteBatch(flow_runs=[done]))

    def ids(**fields: Any) -> list[str]:
        return [r.id for r in rest.list_flow_runs(FlowRunFilter(flow_names=(name,), **fields))]

    assert ids() == [second.id, first.id]
    assert ids(state_types=(StateType.COMPLETED,)) == [first.id]
    assert ids(tags_all=("nightly", "gpu")) == [first.id]
    assert ids(start_after_ms=T0 + 150) == [second.id]
    assert ids(start_before_ms=T0 + 150) == [first.id]
    assert [r.id for r in rest.list_flow_runs(FlowRunFilter(flow_names=(name,)), limit=1, offset=1)] == [
        first.id
    ]
    child = flow_run(name, StateType.COMPLETED, created_ms=T0 + 3, parent_flow_run_id=first.id)
    rest.write(WriteBatch(flow_runs=[child]))
    assert ids() == [child.id, second.id, first.id]
    assert ids(top_level_only=True) == [second.id, first.id]
    # the API URL setting picks the REST store
    assert isinstance(get_orchestration_store(server.url), RestOrchestrationStore)


def test_state_rules_and_not_found(rest: RestOrchestrationStore) -> None:
    running = flow_run(unique("rules"))
    finished = flow_run(unique("rules"), StateType.COMPLETED, end_ms=T0 + 9)
    rest.write(WriteBatch(flow_runs=[running, finished]))
    assert rest.set_flow_run_state(running.id, StateType.CANCELLED, "Cancelled", "stop").state_type is (
        StateType.CANCELLING
    )
    with pytest.raises(InvalidArgument, match="cannot be completed") as info:
        rest.set_flow_run_state(running.id, StateType.COMPLETED, "Completed", None)
    assert info.value.field == "state"
    with pytest.raises(InvalidArgument, match="a final state cannot be left"):
        rest.set_flow_run_state(finished.id, StateType.RUNNING, "Running", None)
    forced = rest.set_flow_run_state(finished.id, StateType.FAILED, "Failed", None, force=True)
    assert forced.state_type is StateType.FAILED
    missing = new_id()
    for call in (
        lambda: rest.get_flow_run(missing),
        lambda: rest.get_task_run(missing),
        lambda: rest.delete_flow_run(missing),
        lambda: rest.set_flow_run_state(missing, StateType.CANCELLED, "Cancelled", None),
    ):
        with pytest.raises(NotFound):
            call()


def test_a_run_without_heartbeats_is_crashed_by_the_server(rest: RestOrchestrationStore) -> None:
    # the server judges liveness by its own clock: a client clock a minute behind changes nothing
    silent = flow_run(unique("lease"), heartbeat_ms=now() - 60_000)
    beating = flow_run(unique("lease"), heartbeat_ms=now() - 60_000)
    unfinished = task_run(silent.id, 0, state_type=StateType.RUNNING)
    rest.write(WriteBatch(flow_runs=[silent, beating], task_runs=[unfinished]))
    assert rest.get_flow_run(silent.id).state_type is StateType.RUNNING
    time.sleep(LEASE_SECONDS * 0.6)
    rest.heartbeat([beating.id], now() - 60_000)
    time.sleep(LEASE_SECONDS * 0.6)
    assert rest.get_flow_run(silent.id).state_type is StateType.CRASHED
    assert rest.list_task_runs(silent.id)[0].state_type is StateType.CRASHED
    assert rest.get_flow_run(beating.id).state_type is StateType.RUNNING
    time.sleep(LEASE_SECONDS + 0.5)
    assert rest.get_flow_run(beating.id).state_type is StateType.CRASHED


def test_the_tracked_run_of_a_run_the_server_crashes_ends_failed(
    rest: RestOrchestrationStore, server: RunningServer
) -> None:
    tracking = flowtrack.Client(server.url)  # the server's own tracking API, on the same database
    tracked = tracking.create_run("0")
    silent = flow_run(unique("lease"), heartbeat_ms=now() - 60_000, tracking_run_id=tracked.info.run_id)
    rest.write(WriteBatch(flow_runs=[silent]))
    time.sleep(LEASE_SECONDS + 0.5)
    crashed = rest.get_flow_run(silent.id)
    assert crashed.state_type is StateType.CRASHED
    ended = tracking.get_run(tracked.info.run_id).info
    assert (ended.status, ended.end_time) == ("FAILED", crashed.end_ms)


def test_the_writers_lease_travels_with_the_run(rest: RestOrchestrationStore) -> None:
    # the server (lease LEASE_SECONDS) leaves alone a silent run whose writer promised a longer lease
    patient = flow_run(unique("lease"), heartbeat_ms=now(), lease_ms=60_000)
    rest.write(WriteBatch(flow_runs=[patient]))
    time.sleep(LEASE_SECONDS + 0.5)
    stored = rest.get_flow_run(patient.id)
    assert (stored.state_type, stored.lease_ms) == (StateType.RUNNING, 60_000)
    with pytest.raises(InvalidArgument) as info:
        rest.write(WriteBatch(flow_runs=[dataclasses.replace(patient, lease_ms=-1)]))
    assert info.value.field == "flow_runs[0].lease_ms"


def test_delete_removes_the_run_its_subflows_and_everything_under_them(rest: RestOrchestrationStore) -> None:
    parent = flow_run(unique("delete"))
    child = flow_run(unique("delete"), parent_flow_run_id=parent.id)
    tasks = [task_run(parent.id, 0), task_run(child.id, 1)]
    rest.write(
        WriteBatch(
            flow_runs=[parent, child],
            task_runs=tasks,
            logs=[LogRecord(parent.id, None, 20, "l", "m", T0)],
            edges=[TaskEdge(tasks[0].id, tasks[1].id, "x")],
        )
    )
    rest.delete_flow_run(parent.id)
    for gone in (parent.id, child.id):
        with pytest.raises(NotFound):
            rest.get_flow_run(gone)
        assert rest.list_task_runs(gone) == []
    assert rest.list_logs(parent.id) == []
    assert rest.list_edges(parent.id) == []


def test_bad_input_is_refused_whole_with_its_field(
    rest: RestOrchestrationStore, server: RunningServer
) -> None:
    name = unique("bad")
    good = flow_run(name)
    for bad, field in (
        (WriteBatch(flow_runs=[good, dataclasses.replace(good, id="x" * 40)]), "flow_runs[1].id"),
        (
            WriteBatch(flow_runs=[good], task_runs=[task_run(good.id, 0, run_count=-1)]),
            "task_runs[0].run_count",
        ),
        (
            WriteBatch(flow_runs=[good], logs=[LogRecord(good.id, None, 20, "l", "a\x00b", T0)]),
            "logs[0].message",
        ),
    ):
        with pytest.raises(InvalidArgument) as info:
            rest.write(bad)
        assert info.value.field == field
    assert rest.list_flow_runs(FlowRunFilter(flow_names=(name,))) == []
    with pytest.raises(InvalidArgument) as info:
        rest.list_flow_runs(FlowRunFilter(state_types=("DONE",)))  # type: ignore[arg-type]
    assert info.value.field == "state_types"
    with pytest.raises(InvalidArgument) as info:
        rest.list_flow_runs(FlowRunFilter(), limit=0)
    assert info.value.field == "limit"
    with httpx.Client(base_url=server.url) as http:
        for flag in ("yes", None, 1):
            response = http.post("/api/v1/flow_runs/filter", json={"filter": {"top_level_only": flag}})
            assert response.status_code == 400, response.text
            assert response.json()["field"] == "top_level_only"
        response = http.post("/api/v1/flow_runs/filter", json={"filter": {"top_level_only": True}})
        assert response.status_code == 200, response.text
        assert all(run["parent_flow_run_id"] is None for run in response.json()["flow_runs"])
    with httpx.Client(base_url=server.url) as http:
        for response in (
            http.post("/api/v1/orchestration/batch", content=b"{not json"),
            http.post("/api/v1/orchestration/batch", json={"flow_runs": [{"id": "x"}]}),
            http.post("/api/v1/orchestration/batch", json={"runs": []}),
            http.post("/api/v1/orchestration/batch", json={"flow_runs": {"id": "x"}}),
            http.post("/api/v1/flow_runs/filter", json={"filter": {"colour": "red"}}),
            http.get("/api/v1/flows", params={"limit": "many"}),
            http.post("/api/v1/orchestration/heartbeat", json={"flow_run_ids": "abc", "now_ms": 1}),
        ):
            assert response.status_code == 400, response.text
            assert response.json()["error_code"] == "INVALID_PARAMETER_VALUE"


@task
def scaled(x: int) -> int:
    flowtrack.log_metric("scaled", x * 10.0, step=x)
    return x * 10


@flow
def served_pipeline(n: int) -> int:
    return sum(scaled.map(range(n)).result())


def test_a_flow_against_a_server_records_its_runs_there(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOWTRACK_TRACKING_URI", server.url)
    monkeypatch.delenv("FLOWTRACK_API_URL", raising=False)
    flowtrack.set_tracking_uri(server.url)
    assert served_pipeline(3) == 30
    store = get_orchestration_store()
    assert isinstance(store, RestOrchestrationStore)
    [run] = store.list_flow_runs(FlowRunFilter(flow_names=("served_pipeline",)), limit=1)
    assert run.state_type is StateType.COMPLETED
    assert len(store.list_task_runs(run.id)) == 3
    assert run.tracking_run_id is not None
    tracked = flowtrack.get_run(run.tracking_run_id)
    assert tracked.data.metrics == {"scaled": 20.0}
    assert tracked.data.params == {"n": "3"}


def test_the_api_url_setting_sends_reads_and_the_cli_to_the_server(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from flowtrack.cli.main import app

    name = unique("configured")
    RestOrchestrationStore(server.url).write(WriteBatch(flow_runs=[flow_run(name, StateType.COMPLETED)]))
    monkeypatch.setenv("FLOWTRACK_API_URL", server.url)
    store = get_orchestration_store()
    assert isinstance(store, RestOrchestrationStore)
    assert [run.flow_name for run in flowtrack.Client().read_flow_runs(flow_name=name)] == [name]
    listed = CliRunner().invoke(app, ["flow-runs", "list", "--flow", name], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert f"quick-fox   {name}   COMPLETED" in listed.output
    monkeypatch.delenv("FLOWTRACK_API_URL")
    explicit = CliRunner().invoke(app, ["flows", "list", "--api-url", server.url, "-o", "json"])
    assert explicit.exit_code == 0, explicit.output
    assert name not in explicit.output  # only the flows that FlowRecords named: this batch sent none
    down = CliRunner().invoke(app, ["flows", "list", "--api-url", "http://127.0.0.1:9"])
    assert down.exit_code == 1
    assert "cannot reach the flowtrack server" in down.stderr


def test_a_batch_too_big_for_one_request_is_split(
    rest: RestOrchestrationStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flowtrack.orchestration.stores.rest import wire

    monkeypatch.setattr(wire, "MAX_BATCH_BYTES", 4_000)
    run = flow_run(unique("split"))
    lines = [LogRecord(run.id, None, 20, "big", f"{i:03d} " + "x" * 1_000, T0 + i) for i in range(20)]
    rest.write(WriteBatch(flow_runs=[run], task_runs=[task_run(run.id, 0)], logs=lines))
    assert rest.list_logs(run.id) == lines
    assert len(rest.list_task_runs(run.id)) == 1
    assert same_apart_from_heartbeat(rest.get_flow_run(run.id), run)
