"""Stopping running bodies: a cancel from outside interrupts the flow's own thread, its thread-pool task
bodies and its async task bodies, and gives up process-pool runs; a timeout stops the body it ends; a Ctrl-C
crashes the flow run (its tracked run KILLED) and still propagates. On SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import flowtrack
from flowtrack.orchestration.client import OrchestrationClient
from flowtrack.orchestration.entities import FlowRunRecord, StateType
from flowtrack.orchestration.errors import FlowRunCancelled, RunTimeout
from flowtrack.orchestration.task_runners import ProcessPoolTaskRunner
from flowtrack.tracking.entities import RunStatus
from tests.fixtures.server import RunningServer, running_server

CANCEL_BOUND_S = 6.0  # the engine polls for a cancel once a second; the rest is slack for busy machines


@pytest.fixture
def client(db_uri: str, monkeypatch: pytest.MonkeyPatch) -> OrchestrationClient:
    monkeypatch.setenv("FLOWTRACK_TRACKING_URI", db_uri)
    monkeypatch.delenv("FLOWTRACK_API_URL", raising=False)
    return OrchestrationClient()


class Ended:
    """A flow called in a thread of its own: what it raised, and when."""

    def __init__(self, call: Callable[[], Any]) -> None:
        self.error: BaseException | None = None
        self.at: float | None = None
        self.thread = threading.Thread(target=self._run, args=(call,), daemon=True)
        self.thread.start()

    def _run(self, call: Callable[[], Any]) -> None:
        try:
            call()
        except BaseException as exc:  # noqa: BLE001 - what the flow raised is what the test checks
            self.error = exc
        self.at = time.monotonic()


def running_run(client: OrchestrationClient, flow_name: str, started: threading.Event) -> FlowRunRecord:
    assert started.wait(30), "the body never started"
    deadline = time.monotonic() + 30
    while not (runs := client.read_flow_runs(flow_name=flow_name, state="running")):
        assert time.monotonic() < deadline, "the flow run never showed up RUNNING"
        time.sleep(0.05)
    return runs[0]


def cancel_and_wait(
    client: OrchestrationClient, flow_name: str, started: threading.Event, ended: Ended
) -> str:
    run = running_run(client, flow_name, started)
    asked = time.monotonic()
    assert client.cancel_flow_run(run.id, "enough").state_type is StateType.CANCELLING
    ended.thread.join(CANCEL_BOUND_S + 30)
    assert not ended.thread.is_alive(), "the cancelled flow never ended"
    assert ended.at is not None
    assert ended.at - asked < CANCEL_BOUND_S
    assert isinstance(ended.error, FlowRunCancelled)
    stored = client.read_flow_run(run.id)
    assert stored.state_type is StateType.CANCELLED
    assert stored.tracking_run_id is not None
    assert flowtrack.Client().get_run(stored.tracking_run_id).info.status == RunStatus.KILLED
    return run.id


def still_counting(counter: list[int]) -> bool:
    before = len(counter)
    time.sleep(0.3)
    return len(counter) != before


def test_a_cancel_interrupts_a_sync_task_body_in_the_thread_pool(client: OrchestrationClient) -> None:
    started = threading.Event()
    loops: list[int] = []
    hooked: list[str] = []

    @flowtrack.task
    def spin() -> None:
        started.set()
        while True:
            loops.append(1)
            time.sleep(0.05)

    @flowtrack.flow(on_cancellation=[lambda flow, run, state: hooked.append(state.name)])
    def spinning() -> None:
        spin.submit().result()

    flow_run_id = cancel_and_wait(client, "spinning", started, Ended(spinning))
    assert not still_counting(loops)
    assert hooked == ["Cancelled"]
    [task_run] = client.read_task_runs(flow_run_id)
    assert task_run.state_type is StateType.CANCELLED


@pytest.fixture(scope="module")
def server(module_db_uri: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    home = tmp_path_factory.mktemp("interrupts-server")
    with running_server(module_db_uri, home / "artifacts", env={"FLOWTRACK_HOME": str(home)}) as running:
        yield running


def test_a_cancel_through_a_server_interrupts_a_task_body(
    server: RunningServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FLOWTRACK_TRACKING_URI", server.url)
    monkeypatch.delenv("FLOWTRACK_API_URL", raising=False)
    flowtrack.set_tracking_uri(server.url)
    started = threading.Event()
    loops: list[int] = []

    @flowtrack.task
    def spin_remote() -> None:
        started.set()
        while True:
            loops.append(1)
            time.sleep(0.05)

    @flowtrack.flow
    def served_spinning() -> None:
        spin_remote.submit().result()

    client = OrchestrationClient(server.url)
    flow_run_id = cancel_and_wait(client, "served_spinning", started, Ended(served_spinning))
    assert not still_counting(loops)
    [task_run] = client.read_task_runs(flow_run_id)
    assert task_run.state_type is StateType.CANCELLED


def test_a_cancel_interrupts_the_flow_body_itself(client: OrchestrationClient) -> None:
    started = threading.Event()
    loops: list[int] = []

    @flowtrack.flow
    def busy_body() -> None:
        started.set()
        while True:
            loops.append(1)
            try:
                time.sleep(0.05)
            except Exception:  # noqa: BLE001 - a broad handler in user code must not keep it going
                continue

    cancel_and_wait(client, "busy_body", started, Ended(busy_body))
    assert not still_counting(loops)


def test_a_cancel_cancels_an_async_task_body(client: OrchestrationClient) -> None:
    started = threading.Event()
    loops: list[int] = []

    @flowtrack.task
    async def poll() -> None:
        started.set()
        while True:
            loops.append(1)
            await asyncio.sleep(0.05)

    @flowtrack.flow
    async def polling() -> None:
        await poll()

    flow_run_id = cancel_and_wait(client, "polling", started, Ended(lambda: asyncio.run(polling())))
    assert not still_counting(loops)
    [task_run] = client.read_task_runs(flow_run_id)
    assert task_run.state_type is StateType.CANCELLED


def test_a_cancel_gives_up_a_process_pool_task_and_stops_its_worker(
    client: OrchestrationClient, tmp_path: Path
) -> None:
    beacon = tmp_path / "beacon"
    started = threading.Event()

    @flowtrack.task
    def forever(path: str) -> None:
        while True:
            Path(path).write_text(str(time.monotonic()))
            time.sleep(0.05)

    @flowtrack.flow(task_runner=ProcessPoolTaskRunner(max_workers=1))
    def remote() -> None:
        future = forever.submit(str(beacon))
        while not beacon.exists():
            time.sleep(0.05)
        started.set()
        future.result()

    flow_run_id = cancel_and_wait(client, "remote", started, Ended(remote))
    [task_run] = client.read_task_runs(flow_run_id)
    assert task_run.state_type is StateType.CANCELLED
    written = beacon.read_text()
    time.sleep(0.5)
    assert beacon.read_text() == written  # its worker process is gone


def test_a_timed_out_sync_task_body_stops_before_its_next_side_effect(client: OrchestrationClient) -> None:
    effects: list[str] = []

    @flowtrack.task(timeout_seconds=0.3)
    def slow() -> None:
        for _ in range(20):  # 1 s if nothing stops it
            try:
                time.sleep(0.05)
            except Exception:  # noqa: BLE001 - a broad handler in user code must not keep it going
                continue
        effects.append("task finished")

    @flowtrack.flow
    def impatient() -> str:
        return str(slow(return_state=True).name)

    assert impatient() == "TimedOut"
    time.sleep(1.5)
    assert effects == []
    [run] = client.read_flow_runs(flow_name="impatient")
    assert [task.state_name for task in client.read_task_runs(run.id)] == ["TimedOut"]


def test_a_timed_out_sync_flow_body_stops_before_its_next_side_effect(client: OrchestrationClient) -> None:
    effects: list[str] = []

    @flowtrack.flow(timeout_seconds=0.3)
    def sleepy() -> None:
        for _ in range(20):
            time.sleep(0.05)
        effects.append("flow finished")

    with pytest.raises(RunTimeout):
        sleepy()
    time.sleep(1.5)
    assert effects == []
    [run] = client.read_flow_runs(flow_name="sleepy")
    assert run.state_name == "TimedOut"


INTERRUPTED_FLOW = """
    import time
    import flowtrack

    @flowtrack.task
    def churn() -> None:
        while True:  # a pool thread still looping would keep the process alive after the interrupt
            time.sleep(0.05)

    @flowtrack.flow
    def interrupted() -> None:
        churn.submit()
        print("working", flush=True)
        while True:
            time.sleep(0.05)

    interrupted()
"""


def test_ctrl_c_crashes_the_flow_run_kills_its_tracked_run_and_propagates(db_uri: str) -> None:
    env = {**os.environ, "FLOWTRACK_TRACKING_URI": db_uri}
    env.pop("FLOWTRACK_API_URL", None)
    worker = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(INTERRUPTED_FLOW)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert worker.stdout is not None
        assert worker.stdout.readline().strip() == "working"
        time.sleep(0.3)
        worker.send_signal(signal.SIGINT)
        _, stderr = worker.communicate(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    assert worker.returncode != 0
    assert "KeyboardInterrupt" in stderr
    client = OrchestrationClient(db_uri)
    [run] = client.read_flow_runs(flow_name="interrupted")
    assert run.state_type is StateType.CRASHED
    assert "interrupted" in (run.state_message or "")
    assert run.tracking_run_id is not None
    assert flowtrack.Client(db_uri).get_run(run.tracking_run_id).info.status == RunStatus.KILLED
    [task_run] = client.read_task_runs(run.id)
    assert task_run.state_type is StateType.CRASHED


def quick_inline_flow(name: str, started: threading.Event) -> Callable[[], None]:
    @flowtrack.task
    def quick(i: int) -> int:
        started.set()
        return sum(range(200)) + i

    @flowtrack.flow(name=name)
    def quick_inline() -> None:
        for i in range(10_000_000):
            quick(i)

    return quick_inline


def test_a_cancel_amid_many_quick_inline_tasks_leaves_every_run_recorded(client: OrchestrationClient) -> None:
    # the flow's thread spends most of its time in the engine's own bookkeeping here: a stop must wait for
    # user code instead of landing in the middle of recording a task run
    for attempt in range(4):
        started = threading.Event()
        ended = Ended(quick_inline_flow(f"quick-inline-{attempt}", started))
        time.sleep(0.1 * attempt)
        flow_run_id = cancel_and_wait(client, f"quick-inline-{attempt}", started, ended)
        task_runs = client.read_task_runs(flow_run_id, limit=50_000)
        assert task_runs
        unfinished = [run.name for run in task_runs if run.state_type not in FINAL_TASK_STATES]
        assert unfinished == [], f"attempt {attempt}: task runs left unfinished"


FINAL_TASK_STATES = frozenset({StateType.COMPLETED, StateType.CANCELLED})
