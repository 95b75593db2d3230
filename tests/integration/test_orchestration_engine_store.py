"""All a flow did is stored the moment it returns, on every database; cache hits work across processes."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import flowtrack
from flowtrack.orchestration.entities import FlowRunFilter, RunKind, StateType
from flowtrack.orchestration.stores.base import OrchestrationStore
from flowtrack.orchestration.stores.registry import get_orchestration_store

SEQUENTIAL = 120
MAPPED = 40


@flowtrack.task
def step(i: int) -> int:
    if i % 40 == 0:
        flowtrack.get_run_logger().info("step %d", i)
    return i


def _pipeline(fail: bool) -> int:
    total = sum(step(i) for i in range(SEQUENTIAL))
    total += sum(step.map(range(MAPPED)).result())
    flowtrack.get_run_logger().info("done")
    if fail:
        raise RuntimeError("failed at the end")
    return total


@flowtrack.flow
def recorded(fail: bool) -> int:
    return _pipeline(fail)


@pytest.fixture
def db_store(db_uri: str, monkeypatch: pytest.MonkeyPatch) -> OrchestrationStore:
    monkeypatch.setenv("FLOWTRACK_TRACKING_URI", db_uri)
    return get_orchestration_store()


def _assert_everything_recorded(store: OrchestrationStore, final: StateType) -> None:
    (flow_run,) = store.list_flow_runs(FlowRunFilter(flow_names=("recorded",)))
    assert flow_run.state_type is final
    assert [s.type for s in store.list_states(flow_run.id)][-1] is final
    task_runs = store.list_task_runs(flow_run.id)
    assert len(task_runs) == SEQUENTIAL + MAPPED
    assert {t.state_type for t in task_runs} == {StateType.COMPLETED}
    for task_run in task_runs[:: len(task_runs) // 10]:
        states = store.list_states(task_run.id)
        assert [s.name for s in states] == ["Pending", "Running", "Completed"]
        assert {s.run_kind for s in states} == {RunKind.TASK}
    messages = [log.message for log in store.list_logs(flow_run.id)]
    assert messages.count("step 0") == 2
    assert messages.count("step 40") == 1
    assert messages.count("step 80") == 1
    assert messages[-1] == "done"


def test_everything_a_finished_flow_did_is_stored_when_it_returns(db_store: OrchestrationStore) -> None:
    assert recorded(False) == sum(range(SEQUENTIAL)) + sum(range(MAPPED))
    _assert_everything_recorded(db_store, StateType.COMPLETED)


def test_everything_a_failed_flow_did_is_stored_when_it_raises(db_store: OrchestrationStore) -> None:
    with pytest.raises(RuntimeError, match="failed at the end"):
        recorded(True)
    _assert_everything_recorded(db_store, StateType.FAILED)


_CACHED_SCRIPT = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import flowtrack

    marker = Path(sys.argv[1])

    @flowtrack.task(cache_policy=flowtrack.INPUTS + flowtrack.TASK_SOURCE)
    def expensive(x: int) -> int:
        with marker.open("a") as f:
            f.write("ran\\n")
        return x * 100

    @flowtrack.flow
    def once() -> None:
        state = expensive(7, return_state=True)
        print(state.name, state.result())

    once()
    """
)


def test_a_cache_hit_works_across_processes(tmp_path: Path) -> None:
    script = tmp_path / "cached.py"
    script.write_text(_CACHED_SCRIPT)
    marker = tmp_path / "ran.txt"
    outputs = [
        subprocess.run(
            [sys.executable, str(script), str(marker)],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout.strip()
        for _ in range(2)
    ]
    assert outputs == ["Completed 700", "Cached 700"]
    assert marker.read_text() == "ran\n"
