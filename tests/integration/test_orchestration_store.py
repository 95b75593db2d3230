"""The SQL orchestration store on SQLite, PostgreSQL and MariaDB: batches, upserts, the lease, state rules,
filters, deletes and bad input."""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest

import flowtrack
from flowtrack.exceptions import InvalidArgument, NotFound
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
from flowtrack.orchestration.stores.sql.store import SqlOrchestrationStore

T0 = 1_700_000_000_000


@pytest.fixture
def orch(db_uri: str) -> Iterator[SqlOrchestrationStore]:
    store = SqlOrchestrationStore(db_uri)
    yield store
    store.close()


def new_id() -> str:
    return str(uuid.uuid4())


def flow_run(flow: str = "train", state: StateType = StateType.RUNNING, **fields: Any) -> FlowRunRecord:
    values: dict[str, Any] = {
        "id": new_id(),
        "flow_id": f"id-{flow}",
        "flow_name": flow,
        "name": "brave-otter",
        "state_type": state,
        "state_name": state.value.title(),
        "parameters": {"lr": 0.1},
        "tags": (),
        "created_ms": T0,
        "start_ms": T0,
        "heartbeat_ms": now(),
    }
    values.update(fields)
    return FlowRunRecord(**values)


def task_run(
    flow_run_id: str, index: int, state: StateType = StateType.COMPLETED, **fields: Any
) -> TaskRunRecord:
    values: dict[str, Any] = {
        "id": new_id(),
        "flow_run_id": flow_run_id,
        "task_key": "train-abc123",
        "name": f"train-{index}",
        "dynamic_key": str(index),
        "state_type": state,
        "state_name": state.value.title(),
        "created_ms": T0 + index,
    }
    values.update(fields)
    return TaskRunRecord(**values)


def state(run_id: str, type_: StateType, at: int, kind: RunKind = RunKind.FLOW) -> StateRecord:
    return StateRecord(new_id(), run_id, kind, type_, type_.value.title(), None, at)


def now() -> int:
    return time.time_ns() // 1_000_000


# -- batches and upserts -------------------------------------------------------------------------------------
def test_a_batch_writes_every_kind_of_record(orch: SqlOrchestrationStore) -> None:
    run = flow_run(tags=("nightly", "gpu"))
    tasks = [task_run(run.id, i) for i in range(1000)]
    edge = TaskEdge(tasks[1].id, tasks[0].id, "x")
    orch.write(
        WriteBatch(
            flows=[FlowRecord("id-train", "train", T0, ("ml",))],
            flow_runs=[run],
            task_runs=tasks,
            states=[state(run.id, StateType.PENDING, T0), state(run.id, StateType.RUNNING, T0)],
            edges=[edge],
            logs=[
                LogRecord(run.id, tasks[0].id, 20, "flowtrack.task", f"line {i}", T0 + i) for i in range(3)
            ],
        )
    )
    assert orch.list_flows() == [FlowRecord("id-train", "train", T0, ("ml",))]
    assert orch.get_flow_run(run.id).tags == ("nightly", "gpu")
    stored = orch.list_task_runs(run.id)
    assert [t.name for t in stored] == [f"train-{i}" for i in range(1000)]
    assert stored[5] == tasks[5]
    assert orch.get_task_run(tasks[7].id) == tasks[7]
    assert orch.list_edges(run.id) == [edge]
    # same-millisecond states keep the order they were written in
    assert [s.type for s in orch.list_states(run.id)] == [StateType.PENDING, StateType.RUNNING]
    assert [log.message for log in orch.list_logs(run.id)] == ["line 0", "line 1", "line 2"]
    assert [log.message for log in orch.list_logs(run.id, tasks[0].id, limit=2, offset=1)] == [
        "line 1",
        "line 2",
    ]


def test_runs_are_upserted_and_the_newest_record_wins(orch: SqlOrchestrationStore) -> None:
    run = flow_run(state=StateType.PENDING)
    task = task_run(run.id, 0, StateType.RUNNING)
    orch.write(WriteBatch(flow_runs=[run], task_runs=[task]))
    finished = dataclasses.replace(
        run, state_type=StateType.COMPLETED, state_name="Completed", end_ms=T0 + 50, created_ms=T0 + 99
    )
    done = dataclasses.replace(task, state_type=StateType.COMPLETED, state_name="Cached", run_count=1)
    running = dataclasses.replace(run, state_type=StateType.RUNNING, state_name="Running")
    orch.write(WriteBatch(flow_runs=[running, finished], task_runs=[done]))
    stored = orch.get_flow_run(run.id)
    assert (stored.state_type, stored.end_ms) == (StateType.COMPLETED, T0 + 50)
    assert stored.created_ms == T0  # the first record's creation time is kept
    assert orch.get_task_run(task.id).state_name == "Cached"
    assert len(orch.list_flow_runs(FlowRunFilter())) == 1


def test_flows_are_kept_once_per_name_and_appends_are_idempotent(orch: SqlOrchestrationStore) -> None:
    run = flow_run()
    first_state = state(run.id, StateType.RUNNING, T0)
    edge = TaskEdge("a", "b", "x")
    batch = WriteBatch(
        flows=[FlowRecord("id-1", "train", T0)], flow_runs=[run], states=[first_state], edges=[edge]
    )
    orch.write(batch)
    orch.write(WriteBatch(flows=[FlowRecord("id-2", "train", T0 + 1)], states=[first_state], edges=[edge]))
    assert [flow.id for flow in orch.list_flows()] == ["id-1"]
    assert len(orch.list_states(run.id)) == 1


def test_unserializable_parameters_are_stored_as_their_repr(orch: SqlOrchestrationStore) -> None:
    class Model:
        def __repr__(self) -> str:
            return "Model(depth=3)"

    run = flow_run(parameters={"model": Model(), "sizes": (1, 2), "name": "x"})
    orch.write(WriteBatch(flow_runs=[run]))
    assert orch.get_flow_run(run.id).parameters == {"model": "Model(depth=3)", "sizes": [1, 2], "name": "x"}


# -- heartbeats and the lease --------------------------------------------------------------------------------
def test_a_run_without_heartbeats_is_read_back_crashed(db_uri: str) -> None:
    store = SqlOrchestrationStore(db_uri, lease_seconds=0.5)
    stale = flow_run(heartbeat_ms=now() - 10_000)
    alive = flow_run(heartbeat_ms=now() - 10_000)
    unfinished = task_run(stale.id, 0, StateType.RUNNING)
    finished = task_run(stale.id, 1, StateType.COMPLETED)
    store.write(WriteBatch(flow_runs=[stale, alive], task_runs=[unfinished, finished]))
    store.heartbeat([alive.id], now())
    crashed = store.get_flow_run(stale.id)
    assert crashed.state_type is StateType.CRASHED
    assert "no heartbeat" in (crashed.state_message or "")
    assert crashed.end_ms == stale.heartbeat_ms
    assert store.get_flow_run(alive.id).state_type is StateType.RUNNING
    assert {t.name: t.state_type for t in store.list_task_runs(stale.id)} == {
        "train-0": StateType.CRASHED,
        "train-1": StateType.COMPLETED,
    }
    assert store.list_states(stale.id)[-1].type is StateType.CRASHED
    time.sleep(0.7)  # now the live run's lease lapses too, and listing sweeps it
    listed = store.list_flow_runs(FlowRunFilter(state_types=(StateType.CRASHED,)))
    assert {run.id for run in listed} == {stale.id, alive.id}


def test_a_later_record_does_not_undo_heartbeats(db_uri: str) -> None:
    store = SqlOrchestrationStore(db_uri, lease_seconds=5)
    run = flow_run(heartbeat_ms=now() - 10_000)  # the heartbeat stamped when the engine created the record
    store.heartbeat([run.id], now())
    store.write(WriteBatch(flow_runs=[run]))
    store.heartbeat([run.id], now())
    store.write(WriteBatch(flow_runs=[dataclasses.replace(run, run_count=1)]))
    stored = store.get_flow_run(run.id)
    assert (stored.state_type, stored.run_count) == (StateType.RUNNING, 1)
    assert stored.heartbeat_ms is not None
    assert stored.heartbeat_ms > now() - 5_000


def test_the_engine_may_still_end_a_run_marked_crashed(db_uri: str) -> None:
    store = SqlOrchestrationStore(db_uri, lease_seconds=0.5)
    run = flow_run(heartbeat_ms=now() - 10_000)
    store.write(WriteBatch(flow_runs=[run]))
    assert store.get_flow_run(run.id).state_type is StateType.CRASHED
    store.write(
        WriteBatch(flow_runs=[dataclasses.replace(run, heartbeat_ms=now())])
    )  # still running: ignored
    assert store.get_flow_run(run.id).state_type is StateType.CRASHED
    completed = dataclasses.replace(run, state_type=StateType.COMPLETED, state_name="Completed", end_ms=now())
    store.write(WriteBatch(flow_runs=[completed]))
    assert store.get_flow_run(run.id).state_type is StateType.COMPLETED


def test_each_run_is_judged_by_the_lease_its_writer_recorded(db_uri: str) -> None:
    # a reader with a short lease leaves alone a run whose writer heartbeats by a long one, and the other way
    patient = flow_run(heartbeat_ms=now() - 5_000, lease_ms=60_000)
    hasty = flow_run(heartbeat_ms=now() - 5_000, lease_ms=1_000)
    unknown = flow_run(heartbeat_ms=now() - 5_000)  # written before runs recorded their lease
    SqlOrchestrationStore(db_uri).write(WriteBatch(flow_runs=[patient, hasty, unknown]))
    short_reader = SqlOrchestrationStore(db_uri, lease_seconds=1)
    assert short_reader.get_flow_run(patient.id).state_type is StateType.RUNNING
    crashed = SqlOrchestrationStore(db_uri, lease_seconds=60).get_flow_run(hasty.id)
    assert (crashed.state_type, crashed.lease_ms) == (StateType.CRASHED, 1_000)
    assert "no heartbeat for 1 s" in (crashed.state_message or "")
    assert short_reader.get_flow_run(unknown.id).state_type is StateType.CRASHED


def test_a_run_lapsing_while_cancelling_is_cancelled(db_uri: str) -> None:
    store = SqlOrchestrationStore(db_uri, lease_seconds=0.5)
    run = flow_run(heartbeat_ms=now())
    store.write(WriteBatch(flow_runs=[run]))
    assert store.set_flow_run_state(run.id, StateType.CANCELLED, "Cancelled", None).state_type is (
        StateType.CANCELLING
    )
    time.sleep(0.7)
    assert store.get_flow_run(run.id).state_type is StateType.CANCELLED


# -- state rules ---------------------------------------------------------------------------------------------
def test_cancelling_a_running_run_asks_its_engine_to_stop(orch: SqlOrchestrationStore) -> None:
    run = flow_run()
    orch.write(WriteBatch(flow_runs=[run]))
    cancelling = orch.set_flow_run_state(run.id, StateType.CANCELLED, "Cancelled", "by alice")
    assert (cancelling.state_type, cancelling.state_message) == (StateType.CANCELLING, "by alice")
    # the engine's next report of a running run keeps the cancellation visible
    orch.write(WriteBatch(flow_runs=[dataclasses.replace(run, run_count=1)]))
    assert orch.get_flow_run(run.id).state_type is StateType.CANCELLING
    with pytest.raises(InvalidArgument, match="cannot be completed") as info:
        orch.set_flow_run_state(run.id, StateType.COMPLETED, "Completed", None)
    assert info.value.field == "state"
    cancelled = dataclasses.replace(run, state_type=StateType.CANCELLED, state_name="Cancelled", end_ms=now())
    orch.write(WriteBatch(flow_runs=[cancelled]))
    assert orch.get_flow_run(run.id).state_type is StateType.CANCELLED
    assert [s.type for s in orch.list_states(run.id)] == [StateType.CANCELLING]


def test_a_run_not_started_yet_is_cancelled_at_once(orch: SqlOrchestrationStore) -> None:
    run = flow_run(state=StateType.SCHEDULED, start_ms=None, heartbeat_ms=None)
    orch.write(WriteBatch(flow_runs=[run]))
    cancelled = orch.set_flow_run_state(run.id, StateType.CANCELLED, "Cancelled", None)
    assert cancelled.state_type is StateType.CANCELLED
    assert cancelled.end_ms is not None


def test_a_final_state_cannot_be_left(orch: SqlOrchestrationStore) -> None:
    run = flow_run(state=StateType.COMPLETED, end_ms=T0 + 5)
    orch.write(WriteBatch(flow_runs=[run]))
    for proposed in (StateType.CANCELLED, StateType.RUNNING, StateType.FAILED):
        with pytest.raises(InvalidArgument, match="a final state cannot be left"):
            orch.set_flow_run_state(run.id, proposed, proposed.value.title(), None)
    # the engine cannot move it either: its late record is dropped, with the states it carried
    late = dataclasses.replace(run, state_type=StateType.RUNNING, state_name="Running")
    orch.write(WriteBatch(flow_runs=[late], states=[state(run.id, StateType.RUNNING, T0 + 9)]))
    assert orch.get_flow_run(run.id).state_type is StateType.COMPLETED
    assert orch.list_states(run.id) == []
    forced = orch.set_flow_run_state(run.id, StateType.FAILED, "Failed", "re-judged", force=True)
    assert (forced.state_type, forced.end_ms) == (StateType.FAILED, T0 + 5)


def test_proposals_for_a_missing_run_raise_not_found(orch: SqlOrchestrationStore) -> None:
    missing = new_id()
    with pytest.raises(NotFound):
        orch.set_flow_run_state(missing, StateType.CANCELLED, "Cancelled", None)
    with pytest.raises(NotFound):
        orch.get_flow_run(missing)
    with pytest.raises(NotFound):
        orch.get_task_run(missing)
    with pytest.raises(NotFound):
        orch.delete_flow_run(missing)


# -- filters -------------------------------------------------------------------------------------------------
def test_flow_runs_filter_by_flow_state_tags_time_and_parent(orch: SqlOrchestrationStore) -> None:
    a = flow_run("train", tags=("nightly", "gpu"), created_ms=T0 + 1, start_ms=T0 + 1000)
    b = flow_run("train", StateType.FAILED, tags=("nightly",), created_ms=T0 + 2, start_ms=T0 + 2000)
    c = flow_run("etl", StateType.COMPLETED, created_ms=T0 + 3, start_ms=T0 + 3000, parent_flow_run_id=a.id)
    orch.write(WriteBatch(flow_runs=[a, b, c]))

    def ids(**fields: Any) -> list[str]:
        return [run.id for run in orch.list_flow_runs(FlowRunFilter(**fields))]

    assert ids() == [c.id, b.id, a.id]  # newest first
    assert ids(flow_names=("train",)) == [b.id, a.id]
    assert ids(state_types=(StateType.FAILED, StateType.COMPLETED)) == [c.id, b.id]
    assert ids(tags_all=("nightly",)) == [b.id, a.id]
    assert ids(tags_all=("nightly", "gpu")) == [a.id]
    assert ids(start_after_ms=T0 + 2000) == [c.id, b.id]
    assert ids(start_before_ms=T0 + 2000) == [a.id]
    assert ids(parent_flow_run_id=a.id) == [c.id]
    assert ids(top_level_only=True) == [b.id, a.id]
    assert ids(top_level_only=True, flow_names=("etl",)) == []
    assert [run.id for run in orch.list_flow_runs(FlowRunFilter(), limit=1, offset=1)] == [b.id]


# -- deletes -------------------------------------------------------------------------------------------------
def test_deleting_a_flow_run_removes_everything_under_it(orch: SqlOrchestrationStore) -> None:
    parent = flow_run(tags=("x",))
    child = flow_run(parent_flow_run_id=parent.id)
    keep = flow_run()
    tasks = [task_run(parent.id, 0), task_run(child.id, 1), task_run(keep.id, 2)]
    orch.write(
        WriteBatch(
            flow_runs=[parent, child, keep],
            task_runs=tasks,
            states=[state(r.id, StateType.RUNNING, T0) for r in (parent, child, keep)]
            + [state(t.id, StateType.COMPLETED, T0, RunKind.TASK) for t in tasks],
            edges=[TaskEdge(tasks[0].id, tasks[2].id, "x"), TaskEdge(tasks[2].id, tasks[0].id, "y")],
            logs=[LogRecord(r.id, None, 20, "l", "m", T0) for r in (parent, child, keep)],
        )
    )
    orch.delete_flow_run(parent.id)
    assert [run.id for run in orch.list_flow_runs(FlowRunFilter())] == [keep.id]
    assert orch.list_flow_runs(FlowRunFilter(tags_all=("x",))) == []
    for gone in (parent.id, child.id):
        assert orch.list_task_runs(gone) == []
        assert orch.list_states(gone) == []
        assert orch.list_logs(gone) == []
    assert orch.list_states(tasks[0].id) == []
    assert len(orch.list_task_runs(keep.id)) == 1
    assert len(orch.list_states(tasks[2].id)) == 1
    assert orch.list_edges(keep.id) == [TaskEdge(tasks[2].id, tasks[0].id, "y")]
    assert len(orch.list_logs(keep.id)) == 1


# -- bad input -----------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "field"),
    [
        (lambda b, r: b.flow_runs.append(dataclasses.replace(r, id="")), "flow_runs[1].id"),
        (lambda b, r: b.flow_runs.append(dataclasses.replace(r, id="x" * 37)), "flow_runs[1].id"),
        (
            lambda b, r: b.flow_runs.append(dataclasses.replace(r, state_type="DONE")),
            "flow_runs[1].state_type",
        ),
        (lambda b, r: b.flow_runs.append(dataclasses.replace(r, created_ms=-1)), "flow_runs[1].created_ms"),
        (lambda b, r: b.flow_runs.append(dataclasses.replace(r, tags="nightly")), "flow_runs[1].tags"),
        (lambda b, r: b.flow_runs.append(dataclasses.replace(r, parameters=[1])), "flow_runs[1]"),
        (lambda b, r: b.flow_runs.append(dataclasses.replace(r, name="a\x00b")), "flow_runs[1].name"),
        (lambda b, r: b.flow_runs.append(dataclasses.replace(r, lease_ms=0)), "flow_runs[1].lease_ms"),
        (lambda b, r: b.flow_runs.append(dataclasses.replace(r, lease_ms=2.5)), "flow_runs[1].lease_ms"),
        (lambda b, r: b.task_runs.append(task_run(r.id, 0, run_count=True)), "task_runs[0].run_count"),
        (
            lambda b, r: b.states.append(
                dataclasses.replace(state(r.id, StateType.RUNNING, T0), run_kind="job")
            ),
            "states[0].run_kind",
        ),
        (lambda b, r: b.logs.append(LogRecord(r.id, None, 20, "l", "\ud800", T0)), "logs[0].message"),
        (lambda b, r: b.logs.append("not a record"), "logs[0]"),  # type: ignore[arg-type]
    ],
)
def test_a_bad_record_refuses_the_whole_batch(orch: SqlOrchestrationStore, change: Any, field: str) -> None:
    good = flow_run()
    batch = WriteBatch(flow_runs=[good], logs=[])
    change(batch, good)
    with pytest.raises(InvalidArgument) as info:
        orch.write(batch)
    assert info.value.field == field
    assert orch.list_flow_runs(FlowRunFilter()) == []


def test_bad_read_arguments_name_their_field(orch: SqlOrchestrationStore) -> None:
    for call, field in (
        (lambda: orch.list_flow_runs(FlowRunFilter(), limit=0), "limit"),
        (lambda: orch.list_flows(offset=-1), "offset"),
        (lambda: orch.list_flow_runs(FlowRunFilter(state_types=("DONE",))), "state_types"),  # type: ignore[arg-type]
        (lambda: orch.get_flow_run(42), "flow_run_id"),  # type: ignore[arg-type]
        (lambda: orch.set_flow_run_state(new_id(), "NOPE", "x", None), "state"),  # type: ignore[arg-type]
        (lambda: orch.heartbeat([new_id()], -5), "now_ms"),
        (lambda: orch.list_flow_runs(FlowRunFilter(top_level_only="yes")), "top_level_only"),  # type: ignore[arg-type]
    ):
        with pytest.raises(InvalidArgument) as info:
            call()
        assert info.value.field == field


# -- the registry --------------------------------------------------------------------------------------------
def test_the_registry_defaults_to_the_tracking_database(db_uri: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FLOWTRACK_TRACKING_URI", db_uri)
    monkeypatch.setenv("FLOWTRACK_FLOW_RUN_LEASE_SECONDS", "2.5")
    monkeypatch.delenv("FLOWTRACK_API_URL", raising=False)
    store = get_orchestration_store()
    assert isinstance(store, SqlOrchestrationStore)
    assert (store.uri, store.lease_ms) == (db_uri, 2500)
    assert get_orchestration_store() is store


def test_a_flow_run_records_the_lease_of_the_process_that_runs_it(
    db_uri: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOWTRACK_TRACKING_URI", db_uri)
    monkeypatch.setenv("FLOWTRACK_FLOW_RUN_LEASE_SECONDS", "7.5")
    monkeypatch.delenv("FLOWTRACK_API_URL", raising=False)

    @flowtrack.flow(name="leased")
    def leased() -> None:
        pass

    leased()
    (run,) = get_orchestration_store().list_flow_runs(FlowRunFilter(flow_names=("leased",)))
    assert (run.state_type, run.lease_ms) == (StateType.COMPLETED, 7_500)


def test_the_registry_refuses_a_folder(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InvalidArgument) as info:
        get_orchestration_store("ftp://somewhere")
    assert info.value.field == "api_url"


# -- concurrency ---------------------------------------------------------------------------------------------
def test_concurrent_writers_of_one_flow_lose_nothing(orch: SqlOrchestrationStore) -> None:
    import threading

    runs = [flow_run("shared-flow") for _ in range(4)]
    errors: list[BaseException] = []
    barrier = threading.Barrier(4)

    def work(run: FlowRunRecord) -> None:
        barrier.wait()
        try:
            for batch_index in range(10):
                tasks = [task_run(run.id, batch_index * 20 + i) for i in range(20)]
                orch.write(
                    WriteBatch(
                        flows=[FlowRecord("id-shared", "shared-flow", T0)],
                        flow_runs=[dataclasses.replace(run, run_count=batch_index)],
                        task_runs=tasks,
                        states=[state(t.id, StateType.COMPLETED, T0, RunKind.TASK) for t in tasks],
                        logs=[LogRecord(run.id, None, 20, "l", f"batch {batch_index}", T0)],
                    )
                )
                orch.heartbeat([run.id], now())
                orch.list_flow_runs(FlowRunFilter(flow_names=("shared-flow",)))
        except BaseException as exc:  # noqa: BLE001 - reported by the test thread below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(run,)) for run in runs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert [flow.name for flow in orch.list_flows()] == ["shared-flow"]
    for run in runs:
        assert orch.get_flow_run(run.id).run_count == 9
        assert len(orch.list_task_runs(run.id)) == 200
        assert len(orch.list_logs(run.id)) == 10


def test_task_runs_created_in_one_millisecond_list_in_dynamic_key_order(orch: SqlOrchestrationStore) -> None:
    run = flow_run()
    tasks = [task_run(run.id, i, created_ms=T0) for i in range(12)]
    orch.write(WriteBatch(flow_runs=[run], task_runs=list(reversed(tasks))))
    assert [t.dynamic_key for t in orch.list_task_runs(run.id)] == [str(i) for i in range(12)]
