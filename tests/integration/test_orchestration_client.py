"""``flowtrack.Client`` reads flows back: runs by flow, state, tags and time; task runs, states, logs; cancel
and delete."""

from __future__ import annotations

import datetime as dt

import pytest

import flowtrack
from flowtrack.exceptions import InvalidArgument, NotFound
from flowtrack.lineage import flow, task
from flowtrack.orchestration.entities import StateType


@pytest.fixture(autouse=True)
def tracking_db(db_uri: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("FLOWTRACK_TRACKING_URI", db_uri)
    monkeypatch.delenv("FLOWTRACK_API_URL", raising=False)
    flowtrack.set_tracking_uri(db_uri)
    return db_uri


@task
def double(x: int) -> int:
    flowtrack.get_run_logger().info("doubling %d", x)
    return 2 * x


@flow(tags=["nightly"])
def pipeline(n: int) -> int:
    return sum(double.map(range(n)).result())


@flow
def failing() -> None:
    raise ValueError("no data")


def test_the_client_reads_flows_runs_tasks_states_and_logs() -> None:
    before = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    pipeline(3)
    failing(return_state=True)
    client = flowtrack.Client()
    assert {f.name for f in client.list_flows()} == {"pipeline", "failing"}
    [run] = client.read_flow_runs(flow_name="pipeline")
    assert run.state_type is StateType.COMPLETED
    assert client.read_flow_run(run.id) == run
    assert [r.flow_name for r in client.read_flow_runs(state="failed")] == ["failing"]
    assert [r.flow_name for r in client.read_flow_runs(tags=["nightly"])] == ["pipeline"]
    assert len(client.read_flow_runs(start_after=before)) == 2
    assert client.read_flow_runs(start_before=before) == []
    tasks = client.read_task_runs(run.id)
    assert sorted(t.dynamic_key for t in tasks) == ["0", "1", "2"]
    assert {t.state_type for t in tasks} == {StateType.COMPLETED}
    assert [s.type for s in client.read_states(run.id)][-1] is StateType.COMPLETED
    assert StateType.RUNNING in [s.type for s in client.read_states(tasks[0].id)]
    messages = [log.message for log in client.read_logs(run.id)]
    assert sorted(m for m in messages if m.startswith("doubling")) == [
        "doubling 0",
        "doubling 1",
        "doubling 2",
    ]
    assert [log.message for log in client.read_logs(run.id, task_run_id=tasks[0].id)] == [
        f"doubling {tasks[0].dynamic_key}"
    ]


def test_cancel_and_delete() -> None:
    pipeline(1)
    client = flowtrack.Client()
    [run] = client.read_flow_runs()
    with pytest.raises(InvalidArgument, match="final state"):
        client.cancel_flow_run(run.id)
    client.delete_flow_run(run.id)
    assert client.read_flow_runs() == []
    with pytest.raises(NotFound):
        client.read_flow_run(run.id)


def test_bad_filters_name_their_field() -> None:
    client = flowtrack.Client()
    for call, field in (
        (lambda: client.read_flow_runs(state="DONE"), "state"),
        (lambda: client.read_flow_runs(start_after="yesterday"), "start_after"),  # type: ignore[arg-type]
        (lambda: client.read_flow_runs(flow_name=[3]), "flow_name"),  # type: ignore[list-item]
        (lambda: client.read_flow_runs(limit=0), "limit"),
    ):
        with pytest.raises(InvalidArgument) as info:
            call()
        assert info.value.field == field
