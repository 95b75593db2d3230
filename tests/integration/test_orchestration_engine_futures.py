"""Futures and task runners: submit, map, wait, as_completed, dependencies and the graph, process workers."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest

import flowtrack
from flowtrack.orchestration.entities import FlowRunFilter, StateType
from flowtrack.orchestration.errors import MissingFlowRun, UpstreamFailed
from flowtrack.orchestration.hooks import OrchestrationHooks, register_hooks, unregister_hooks
from flowtrack.orchestration.states import State
from flowtrack.orchestration.stores.base import OrchestrationStore
from flowtrack.orchestration.stores.registry import get_orchestration_store
from flowtrack.orchestration.task_runners import ProcessPoolTaskRunner


@pytest.fixture
def store() -> OrchestrationStore:
    return get_orchestration_store()


def _flow_run_id(store: OrchestrationStore, name: str) -> str:
    (run,) = store.list_flow_runs(FlowRunFilter(flow_names=(name,)))
    return run.id


@flowtrack.task
def add(x: int, y: int = 0) -> int:
    return x + y


@flowtrack.task
def slow_identity(x: float) -> float:
    time.sleep(x)
    return x


@flowtrack.task
def explode(x: int) -> int:
    raise ValueError(f"exploded on {x}")


def test_submit_runs_on_other_threads_and_returns_futures() -> None:
    threads: set[str] = set()

    @flowtrack.task
    def where() -> str:
        threads.add(threading.current_thread().name)
        return "ok"

    @flowtrack.flow
    def submitting() -> list[str]:
        futures = [where.submit() for _ in range(4)]
        return [f.result() for f in futures]

    assert submitting() == ["ok"] * 4
    assert all(name.startswith("flowtrack-task") for name in threads)


def test_map_with_unmapped_and_future_lists() -> None:
    @flowtrack.flow
    def mapping() -> list[int]:
        return add.map([1, 2, 3], y=flowtrack.unmapped(10)).result()  # type: ignore[no-any-return]

    assert mapping() == [11, 12, 13]


def test_map_refuses_iterables_of_different_lengths() -> None:
    @flowtrack.flow
    def uneven() -> None:
        add.map([1, 2], [1, 2, 3])

    with pytest.raises(flowtrack.exceptions.InvalidArgument, match="one length"):
        uneven()


def test_futures_passed_as_inputs_are_awaited_and_recorded_as_edges(store: OrchestrationStore) -> None:
    @flowtrack.flow
    def graph() -> int:
        a = add.submit(1)
        b = add.submit(2)
        c = add.submit(a, y=b)
        d = add.submit(5, wait_for=[c])
        return c.result() + d.result()

    assert graph() == 8
    flow_run_id = _flow_run_id(store, "graph")
    runs = {t.dynamic_key: t for t in store.list_task_runs(flow_run_id)}
    edges = {(e.task_run_id, e.upstream_task_run_id, e.input_name) for e in store.list_edges(flow_run_id)}
    assert edges == {
        (runs["2"].id, runs["0"].id, "x"),
        (runs["2"].id, runs["1"].id, "y"),
        (runs["3"].id, runs["2"].id, "wait_for"),
    }
    assert set(runs["2"].upstream_task_run_ids) == {runs["0"].id, runs["1"].id}


def test_a_failed_upstream_fails_its_dependents_without_running_them(store: OrchestrationStore) -> None:
    ran: list[int] = []

    @flowtrack.task
    def downstream(x: int) -> int:
        ran.append(x)
        return x

    @flowtrack.flow
    def chain() -> tuple[State, State]:
        bad = explode.submit(1)
        dependent = downstream.submit(bad)
        dependent.wait()
        return bad.state, dependent.state

    bad_state, dependent_state = chain()
    assert bad_state.is_failed()
    assert dependent_state.is_failed()
    with pytest.raises(UpstreamFailed):
        dependent_state.result()
    assert ran == []
    runs = store.list_task_runs(_flow_run_id(store, "chain"))
    assert {r.state_type for r in runs} == {StateType.FAILED}


def test_wait_and_as_completed() -> None:
    @flowtrack.flow
    def racing() -> tuple[list[float], int, int]:
        futures = [slow_identity.submit(d) for d in (0.3, 0.0, 0.15)]
        order = [f.result() for f in flowtrack.as_completed(futures)]
        done, not_done = flowtrack.wait(futures)
        return order, len(done), len(not_done)

    order, done, not_done = racing()
    assert order == [0.0, 0.15, 0.3]
    assert (done, not_done) == (3, 0)


def test_wait_with_a_timeout_reports_what_is_not_done() -> None:
    @flowtrack.flow
    def impatient() -> tuple[int, int]:
        futures = [slow_identity.submit(0.5), slow_identity.submit(0.0)]
        done, not_done = flowtrack.wait(futures, timeout=0.25)
        return len(done), len(not_done)

    assert impatient() == (1, 1)


def test_a_flow_waits_for_what_it_submitted_before_it_ends(store: OrchestrationStore) -> None:
    @flowtrack.flow
    def fire_and_forget() -> None:
        slow_identity.submit(0.2)

    fire_and_forget()
    (task_run,) = store.list_task_runs(_flow_run_id(store, "fire_and_forget"))
    assert task_run.state_type is StateType.COMPLETED


def test_submit_outside_a_flow_is_refused() -> None:
    with pytest.raises(MissingFlowRun):
        add.submit(1)


@flowtrack.task
def in_process(x: int) -> tuple[int, int]:
    flowtrack.get_run_logger().info("working on %d", x)
    return x * x, os.getpid()


@flowtrack.task(retries=1)
def fails_in_process() -> None:
    raise KeyError("missing in the worker")


class _ProcessHooks(OrchestrationHooks):
    def capture_task_context(self) -> object:
        return {"from": os.getpid()}

    def task_context(self, payload: object) -> AbstractContextManager[None]:
        return _marking(payload)


@contextmanager
def _marking(payload: object) -> Iterator[None]:
    os.environ["FLOWTRACK_TEST_PAYLOAD"] = repr(payload)
    yield


@flowtrack.task
def read_payload() -> str:
    return os.environ.get("FLOWTRACK_TEST_PAYLOAD", "")


def test_a_process_pool_runs_tasks_elsewhere_and_brings_back_results_logs_and_states(
    store: OrchestrationStore,
) -> None:
    hooks = _ProcessHooks()
    register_hooks(hooks)

    try:

        @flowtrack.flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
        def processes() -> tuple[list[tuple[int, int]], State, str]:
            squares = in_process.map([2, 3]).result()
            failing = fails_in_process.submit()
            failing.wait()
            return squares, failing.state, read_payload.submit().result()

        squares, failed, payload = processes()
    finally:
        unregister_hooks(hooks)
    assert [value for value, _ in squares] == [4, 9]
    assert {pid for _, pid in squares}.isdisjoint({os.getpid()})
    assert failed.is_failed()
    with pytest.raises(KeyError, match="missing in the worker"):
        failed.result()
    assert payload == repr({"from": os.getpid()})
    flow_run_id = _flow_run_id(store, "processes")
    runs = store.list_task_runs(flow_run_id)
    assert len(runs) == 4
    failing_run = next(r for r in runs if r.task_key.endswith("fails_in_process"))
    assert failing_run.run_count == 2
    assert [s.name for s in store.list_states(failing_run.id)] == [
        "Pending",
        "Running",
        "Retrying",
        "Failed",
    ]
    messages = sorted(log.message for log in store.list_logs(flow_run_id))
    assert messages == ["working on 2", "working on 3"]


@flowtrack.task
def sum_values(pairs: list[tuple[int, int]]) -> int:
    return sum(value for value, _ in pairs)


def test_futures_feed_tasks_on_a_process_pool(store: OrchestrationStore) -> None:
    @flowtrack.flow(task_runner=ProcessPoolTaskRunner(max_workers=2))
    def fed() -> tuple[int, State]:
        squares = in_process.map([1, 2])
        broken = fails_in_process.submit()
        after_broken = sum_values.submit([], wait_for=[broken])
        after_broken.wait()
        return sum_values.submit(squares).result(), after_broken.state

    summed, skipped = fed()
    assert summed == 5
    assert skipped.is_failed()
    with pytest.raises(UpstreamFailed):
        skipped.result()
    assert len(store.list_edges(_flow_run_id(store, "fed"))) == 3


def test_results_and_as_completed_give_up_at_their_timeout() -> None:
    @flowtrack.flow
    def too_slow() -> tuple[str, str]:
        slow = slow_identity.submit(0.5)
        with pytest.raises(TimeoutError):
            slow.result(timeout=0.05)
        with pytest.raises(TimeoutError, match="1 of 1 futures"):
            list(flowtrack.as_completed([slow], timeout=0.05))
        before = slow.state.name
        slow.wait()
        return before, slow.state.name

    assert too_slow() == ("Pending", "Completed")
