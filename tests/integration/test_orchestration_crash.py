"""A flow process killed mid-flow is read back CRASHED once its lease lapses, never RUNNING forever."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

import flowtrack.lineage  # noqa: F401 - installs the tracking link, as every flowtrack.flow user has it
from flowtrack.orchestration.entities import FlowRunFilter, FlowRunRecord, StateType
from flowtrack.orchestration.stores.sql.store import SqlOrchestrationStore
from flowtrack.tracking.client import TrackingClient

LEASE_SECONDS = 2.0

KILLED_FLOW = """
    import time
    import flowtrack

    @flowtrack.task
    def step(i: int) -> int:
        return i

    @flowtrack.flow
    def doomed() -> None:
        for i in range(3):
            step(i)
        print("working", flush=True)
        time.sleep(120)

    doomed()
"""


def wait_for_running(store: SqlOrchestrationStore, deadline_s: float = 60) -> FlowRunRecord:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        found = store.list_flow_runs(FlowRunFilter(flow_names=("doomed",)))
        if found and found[0].state_type is StateType.RUNNING:
            return found[0]
        time.sleep(0.1)
    raise AssertionError("the flow run never showed up RUNNING")


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_a_killed_flow_reads_back_crashed_after_the_lease(db_uri: str) -> None:
    # the flow process records its lease with the run and heartbeats by it: a short one keeps the test quick
    env = {
        **os.environ,
        "FLOWTRACK_TRACKING_URI": db_uri,
        "FLOWTRACK_FLOW_RUN_LEASE_SECONDS": str(LEASE_SECONDS),
    }
    env.pop("FLOWTRACK_API_URL", None)
    worker = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(KILLED_FLOW)], env=env, stdout=subprocess.PIPE, text=True
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "working"
        # while the process lives it heartbeats, so even a reader with a far shorter lease sees it RUNNING
        running = wait_for_running(SqlOrchestrationStore(db_uri, lease_seconds=0.1))
    finally:
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
    # the run's own lease decides when silence means crashed, not the reader's (60 s here)
    store = SqlOrchestrationStore(db_uri)
    time.sleep(LEASE_SECONDS + 0.5)
    crashed = store.get_flow_run(running.id)
    assert crashed.state_type is StateType.CRASHED
    assert crashed.end_ms is not None
    assert "no heartbeat" in (crashed.state_message or "")
    assert store.list_states(running.id)[-1].type is StateType.CRASHED
    assert [run.state_type for run in store.list_flow_runs(FlowRunFilter(flow_names=("doomed",)))] == [
        StateType.CRASHED
    ]
    # its tracked run ended with it: the reader that found the crash ended that too (through the link)
    assert crashed.tracking_run_id is not None
    tracked = TrackingClient(db_uri).get_run(crashed.tracking_run_id).info
    assert (tracked.status, tracked.end_time) == ("FAILED", crashed.end_ms)


SLOW_FLOW = """
    import time
    import flowtrack

    @flowtrack.flow
    def patient() -> None:
        print("working", flush=True)
        time.sleep(4 * float(__import__("os").environ["FLOWTRACK_FLOW_RUN_LEASE_SECONDS"]))

    patient()
"""


def test_a_live_flow_outlasts_a_short_lease(db_uri: str) -> None:
    """The engine heartbeats at least three times per lease, so a slow but live flow never reads CRASHED,
    even to a reader whose own lease is far shorter (the run is judged by the lease it recorded)."""
    env = {**os.environ, "FLOWTRACK_TRACKING_URI": db_uri, "FLOWTRACK_FLOW_RUN_LEASE_SECONDS": "1.5"}
    env.pop("FLOWTRACK_API_URL", None)
    worker = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(SLOW_FLOW)], env=env, stdout=subprocess.PIPE, text=True
    )
    store = SqlOrchestrationStore(db_uri, lease_seconds=0.2)
    seen: list[StateType] = []
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "working"
        while worker.poll() is None:
            seen.extend(
                run.state_type for run in store.list_flow_runs(FlowRunFilter(flow_names=("patient",)))
            )
            time.sleep(0.25)
    finally:
        worker.wait(timeout=60)
    assert worker.returncode == 0
    assert StateType.RUNNING in seen
    assert StateType.CRASHED not in seen
    assert store.list_flow_runs(FlowRunFilter(flow_names=("patient",)))[0].state_type is StateType.COMPLETED
