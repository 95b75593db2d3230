"""Flows and tasks end to end, embedded: values, states, retries, timeouts, caching, hooks and logs."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest

import flowtrack
from flowtrack.orchestration.entities import FlowRunFilter, StateType
from flowtrack.orchestration.errors import FlowRunCancelled, ParameterValidationError, RunTimeout
from flowtrack.orchestration.hooks import FlowRunInfo, OrchestrationHooks, register_hooks, unregister_hooks
from flowtrack.orchestration.states import State
from flowtrack.orchestration.stores.base import OrchestrationStore
from flowtrack.orchestration.stores.registry import get_orchestration_store
from flowtrack.orchestration.task_runners import ThreadPoolTaskRunner


@pytest.fixture
def store() -> OrchestrationStore:
    return get_orchestration_store()


def _state_names(store: OrchestrationStore, run_id: str) -> list[str]:
    return [s.name for s in store.list_states(run_id)]


def _only_flow_run_id(store: OrchestrationStore, name: str) -> str:
    runs = store.list_flow_runs(FlowRunFilter(flow_names=(name,)))
    assert len(runs) == 1
    return runs[0].id


def test_a_flow_returns_its_value_and_is_recorded_with_its_task_runs(store: OrchestrationStore) -> None:
    @flowtrack.task
    def double(x: int) -> int:
        return 2 * x

    @flowtrack.flow
    def pipeline(n: int) -> int:
        return sum(double(i) for i in range(n))

    assert pipeline(5) == 20
    flow_run = store.get_flow_run(_only_flow_run_id(store, "pipeline"))
    assert flow_run.state_type is StateType.COMPLETED
    assert flow_run.parameters == {"n": 5}
    task_runs = store.list_task_runs(flow_run.id)
    assert sorted(t.dynamic_key for t in task_runs) == ["0", "1", "2", "3", "4"]
    assert {t.state_type for t in task_runs} == {StateType.COMPLETED}
    assert _state_names(store, task_runs[0].id) == ["Pending", "Running", "Completed"]
    assert _state_names(store, flow_run.id) == ["Pending", "Running", "Completed"]


def test_return_state_gives_the_final_state_with_its_history() -> None:
    @flowtrack.task
    def fails() -> None:
        raise ValueError("no")

    @flowtrack.flow
    def tolerant() -> str:
        state = fails(return_state=True)
        assert isinstance(state, State)
        return state.name

    state = tolerant(return_state=True)
    assert state.is_completed()
    assert state.result() == "Failed"
    assert [s.name for s in state.history] == ["Pending", "Running"]


def test_a_failing_flow_raises_and_is_recorded_failed_with_everything_it_did(
    store: OrchestrationStore,
) -> None:
    @flowtrack.task
    def step(i: int) -> int:
        flowtrack.get_run_logger().info("step %d", i)
        return i

    @flowtrack.flow
    def breaks() -> None:
        for i in range(3):
            step(i)
        raise RuntimeError("flow broke")

    with pytest.raises(RuntimeError, match="flow broke"):
        breaks()
    flow_run = store.get_flow_run(_only_flow_run_id(store, "breaks"))
    assert flow_run.state_type is StateType.FAILED
    assert flow_run.state_message == "RuntimeError: flow broke"
    assert len(store.list_task_runs(flow_run.id)) == 3
    assert [log.message for log in store.list_logs(flow_run.id)] == ["step 0", "step 1", "step 2"]


def test_retries_run_the_body_again_with_the_delays_given(store: OrchestrationStore) -> None:
    calls: list[float] = []

    @flowtrack.task(retries=2, retry_delay_seconds=[0.05, 0.1])
    def flaky() -> str:
        calls.append(time.monotonic())
        if len(calls) < 3:
            raise ConnectionError("try again")
        return "ok"

    @flowtrack.flow
    def retrying() -> str:
        return flaky()

    assert retrying() == "ok"
    assert len(calls) == 3
    assert calls[1] - calls[0] >= 0.05
    assert calls[2] - calls[1] >= 0.1
    (task_run,) = store.list_task_runs(_only_flow_run_id(store, "retrying"))
    assert task_run.run_count == 3
    assert _state_names(store, task_run.id) == ["Pending", "Running", "Retrying", "Retrying", "Completed"]


def test_retries_stop_when_they_run_out_or_the_condition_says_so() -> None:
    attempts = {"out": 0, "cond": 0}

    @flowtrack.task(retries=1)
    def always_fails() -> None:
        attempts["out"] += 1
        raise ValueError("still broken")

    @flowtrack.task(
        retries=5, retry_condition_fn=lambda task, run, state: "transient" in (state.message or "")
    )
    def permanent() -> None:
        attempts["cond"] += 1
        raise ValueError("permanent")

    @flowtrack.flow
    def runs_out() -> tuple[State, State]:
        return always_fails(return_state=True), permanent(return_state=True)

    out, cond = runs_out()
    assert out.is_failed()
    assert attempts == {"out": 2, "cond": 1}
    assert cond.is_failed()


def test_exponential_backoff_drives_the_delays() -> None:
    calls: list[float] = []

    @flowtrack.task(retries=2, retry_delay_seconds=flowtrack.exponential_backoff(0.05))
    def flaky() -> None:
        calls.append(time.monotonic())
        raise OSError("down")

    @flowtrack.flow
    def backing_off() -> State:
        return flaky(return_state=True)

    assert backing_off().is_failed()
    assert calls[1] - calls[0] >= 0.05
    assert calls[2] - calls[1] >= 0.1


def test_a_task_over_its_timeout_ends_timed_out(store: OrchestrationStore) -> None:
    @flowtrack.task(timeout_seconds=0.2)
    def slow() -> None:
        time.sleep(3)

    @flowtrack.flow
    def impatient() -> State:
        return slow(return_state=True)

    state = impatient()
    assert state.name == "TimedOut"
    assert state.type is StateType.FAILED
    with pytest.raises(RunTimeout):
        state.result()
    (task_run,) = store.list_task_runs(_only_flow_run_id(store, "impatient"))
    assert task_run.state_name == "TimedOut"


def test_a_flow_over_its_timeout_raises() -> None:
    @flowtrack.flow(timeout_seconds=0.2)
    def sleepy() -> None:
        time.sleep(3)

    with pytest.raises(RunTimeout):
        sleepy()


def test_inputs_caching_skips_the_body_on_a_hit(store: OrchestrationStore) -> None:
    ran: list[int] = []

    @flowtrack.task(cache_policy=flowtrack.INPUTS)
    def expensive(x: int) -> int:
        ran.append(x)
        return x * 10

    @flowtrack.flow
    def cached_twice() -> list[State]:
        return [
            expensive(1, return_state=True),
            expensive(1, return_state=True),
            expensive(2, return_state=True),
        ]

    first, second, other = cached_twice()
    assert [s.name for s in (first, second, other)] == ["Completed", "Cached", "Completed"]
    assert second.type is StateType.COMPLETED
    assert second.result() == 10
    assert ran == [1, 2]
    task_runs = store.list_task_runs(_only_flow_run_id(store, "cached_twice"))
    by_key = {t.dynamic_key: t for t in task_runs}
    assert by_key["1"].state_name == "Cached"
    assert by_key["0"].cache_key == by_key["1"].cache_key != by_key["2"].cache_key


def test_cache_expiration_and_refresh_make_the_body_run_again() -> None:
    ran: list[str] = []

    @flowtrack.task(cache_key_fn=lambda ctx, params: "fixed", cache_expiration=0.2)
    def expiring() -> str:
        ran.append("expiring")
        return "v"

    @flowtrack.task(cache_policy=flowtrack.INPUTS, refresh_cache=True)
    def refreshed() -> str:
        ran.append("refreshed")
        return "v"

    @flowtrack.flow
    def cache_rules() -> list[str]:
        names = [expiring(return_state=True).name, expiring(return_state=True).name]
        time.sleep(0.3)
        names.append(expiring(return_state=True).name)
        names += [refreshed(return_state=True).name, refreshed(return_state=True).name]
        return names

    assert cache_rules() == ["Completed", "Cached", "Completed", "Completed", "Completed"]
    assert ran == ["expiring", "expiring", "refreshed", "refreshed"]


def test_json_results_persist_where_asked(tmp_path: Any) -> None:
    @flowtrack.task(persist_result=True, result_storage=str(tmp_path / "results"), result_serializer="json")
    def produce() -> dict[str, int]:
        return {"a": 1}

    @flowtrack.flow
    def persisting() -> dict[str, int]:
        return produce()

    assert persisting() == {"a": 1}
    (stored,) = list((tmp_path / "results").iterdir())
    assert stored.read_bytes().endswith(b'{"a": 1}')


def test_async_flows_and_tasks_run_on_one_engine(store: OrchestrationStore) -> None:
    @flowtrack.task
    async def fetch(x: int) -> int:
        await asyncio.sleep(0.01)
        return x + 1

    @flowtrack.task
    def plain(x: int) -> int:
        return x * 2

    @flowtrack.task(retries=1)
    async def flaky_async() -> str:
        if not getattr(flaky_async, "tried", False):
            flaky_async.tried = True  # type: ignore[attr-defined]
            raise ValueError("first time")
        return "second time"

    @flowtrack.flow
    async def async_pipeline() -> list[Any]:
        a = await fetch(1)
        b = plain(a)
        c = fetch.submit(10).result()
        return [a, b, c, await flaky_async()]

    assert asyncio.run(async_pipeline()) == [2, 4, 11, "second time"]
    task_runs = store.list_task_runs(_only_flow_run_id(store, "async_pipeline"))
    assert len(task_runs) == 4
    assert {t.state_type for t in task_runs} == {StateType.COMPLETED}


def test_an_async_task_times_out() -> None:
    @flowtrack.task(timeout_seconds=0.1)
    async def hangs() -> None:
        await asyncio.sleep(5)

    @flowtrack.flow
    async def waits() -> State:
        return await hangs(return_state=True)  # type: ignore[no-any-return]

    assert asyncio.run(waits()).name == "TimedOut"


def test_subflows_are_flow_runs_with_their_parent(store: OrchestrationStore) -> None:
    @flowtrack.flow
    def child(i: int) -> int:
        return i * i

    @flowtrack.flow
    def parent() -> int:
        return sum(child(i) for i in range(3))

    assert parent() == 5
    parent_id = _only_flow_run_id(store, "parent")
    children = store.list_flow_runs(FlowRunFilter(flow_names=("child",)))
    assert len(children) == 3
    assert {c.parent_flow_run_id for c in children} == {parent_id}
    assert {c.state_type for c in children} == {StateType.COMPLETED}


def test_flow_and_task_hooks_fire_with_the_final_state() -> None:
    seen: list[tuple[str, str]] = []

    def remember(kind: str) -> Any:
        return lambda obj, run, state: seen.append((f"{kind}:{obj.name}", state.name))

    @flowtrack.task(on_completion=[remember("task-done")], on_failure=[remember("task-failed")])
    def maybe(fail: bool) -> None:
        if fail:
            raise ValueError("asked to")

    @flowtrack.flow(on_completion=[remember("flow-done")], on_failure=[remember("flow-failed")])
    def hooked(fail_flow: bool) -> None:
        maybe(False)
        maybe(True, return_state=True)
        if fail_flow:
            raise ValueError("flow asked to")

    hooked(False)
    with pytest.raises(ValueError, match="flow asked to"):
        hooked(True)
    assert seen == [
        ("task-done:maybe", "Completed"),
        ("task-failed:maybe", "Failed"),
        ("flow-done:hooked", "Completed"),
        ("task-done:maybe", "Completed"),
        ("task-failed:maybe", "Failed"),
        ("flow-failed:hooked", "Failed"),
    ]


class _LinkHooks(OrchestrationHooks):
    """A stand-in for the tracking link: the same calls flowtrack.lineage makes."""

    events: list[tuple[str, Any]] = []

    def flow_run_started(self, info: FlowRunInfo) -> str | None:
        self.events.append(("started", info))
        return f"tracked-{info.flow_name}"

    def flow_run_finished(self, info: FlowRunInfo, state: State) -> None:
        self.events.append(("finished", state.name))

    def capture_task_context(self) -> object:
        return "captured-in-flow"

    def task_context(self, payload: object) -> AbstractContextManager[None]:
        return _entered(payload)


@contextmanager
def _entered(payload: object) -> Iterator[None]:
    _LinkHooks.events.append(("entered", payload))
    yield


@pytest.fixture
def link_hooks() -> Iterator[_LinkHooks]:
    hooks = _LinkHooks()
    _LinkHooks.events = []
    register_hooks(hooks)
    yield hooks
    unregister_hooks(hooks)


def test_lifecycle_hooks_see_flow_runs_options_and_task_contexts(
    link_hooks: _LinkHooks, store: OrchestrationStore
) -> None:
    @flowtrack.task
    def work(x: int) -> int:
        return x

    @flowtrack.flow
    def inner() -> None:
        return None

    @flowtrack.flow(experiment="taxi", tags=["nightly"])
    def outer(n: int) -> int:
        inner()
        return work.submit(n).result()

    assert outer(3) == 3
    started = [info for kind, info in _LinkHooks.events if kind == "started"]
    assert started[0].options == {"experiment": "taxi"}
    assert started[0].parameters == {"n": 3}
    assert started[0].tags == ("nightly",)
    assert started[1].parent_flow_run_id == started[0].flow_run_id
    assert ("entered", "captured-in-flow") in _LinkHooks.events
    assert [e for e in _LinkHooks.events if e[0] == "finished"] == [("finished", "Completed")] * 2
    # the first hook to name a tracked run wins: ours, or flowtrack.lineage's when a test imported it
    linked = store.get_flow_run(started[0].flow_run_id).tracking_run_id
    assert linked is not None
    assert started[1].parent_tracking_run_id == linked


def test_bad_parameters_raise_naming_the_parameter_and_record_nothing(store: OrchestrationStore) -> None:
    @flowtrack.flow
    def typed(n: int, names: list[str]) -> None:
        return None

    with pytest.raises(ParameterValidationError) as caught:
        typed("three", ["a"])
    assert caught.value.field == "n"
    assert "expected int, got str 'three'" in str(caught.value)
    with pytest.raises(ParameterValidationError, match="names"):
        typed(3, ["a", 2])
    assert store.list_flow_runs(FlowRunFilter(flow_names=("typed",))) == []


def test_bad_options_name_the_option() -> None:
    with pytest.raises(flowtrack.exceptions.InvalidArgument) as caught:
        flowtrack.task(retries=-1)(lambda: None)
    assert caught.value.field == "retries"
    with pytest.raises(flowtrack.exceptions.InvalidArgument) as caught:
        flowtrack.flow(timeout_seconds=0)(lambda: None)
    assert caught.value.field == "timeout_seconds"


def test_logs_and_prints_are_stored_per_run(
    store: OrchestrationStore, caplog: pytest.LogCaptureFixture
) -> None:
    @flowtrack.task(log_prints=True)
    def chatty(x: int) -> None:
        print("printed", x)
        flowtrack.get_run_logger().warning("warned %d", x)

    @flowtrack.flow(flow_run_name="run-{day}")
    def logging_flow(day: str) -> None:
        flowtrack.get_run_logger().info("flow says hi")
        chatty(1)
        print("not captured: the flow did not ask")

    with caplog.at_level(logging.INFO, logger="flowtrack.runs"):
        logging_flow("monday")
    flow_run_id = _only_flow_run_id(store, "logging_flow")
    assert store.get_flow_run(flow_run_id).name == "run-monday"
    logs = store.list_logs(flow_run_id)
    (task_run,) = store.list_task_runs(flow_run_id)
    assert [(log.message, log.task_run_id) for log in logs] == [
        ("flow says hi", None),
        ("printed 1", task_run.id),
        ("warned 1", task_run.id),
    ]
    assert logs[2].level == logging.WARNING
    assert "flow says hi" in caplog.text


def test_get_run_logger_outside_a_run_raises() -> None:
    with pytest.raises(flowtrack.orchestration.errors.MissingFlowRun):
        flowtrack.get_run_logger()


def test_a_task_called_outside_a_flow_just_runs() -> None:
    @flowtrack.task(task_run_name="solo-{x}")
    def solo(x: int) -> int:
        return x + 1

    assert solo(1) == 2
    assert solo(1, return_state=True).is_completed()


def test_a_flow_with_its_own_thread_pool_size() -> None:
    @flowtrack.task
    def ident(x: int) -> int:
        return x

    @flowtrack.flow(task_runner=ThreadPoolTaskRunner(max_workers=2))
    def small_pool() -> list[int]:
        return ident.map(range(10)).result()  # type: ignore[no-any-return]

    assert small_pool() == list(range(10))


def test_a_flow_run_cancelled_from_outside_stops_at_its_next_task(store: OrchestrationStore) -> None:
    started = threading.Event()
    ran: list[int] = []
    hooked: list[str] = []

    @flowtrack.task
    def tick(i: int) -> None:
        ran.append(i)
        started.set()
        time.sleep(0.05)

    @flowtrack.flow(on_cancellation=[lambda flow, run, state: hooked.append(state.name)])
    def long_running() -> None:
        for i in range(400):  # 20 s if nobody stops it
            tick(i)

    def cancel_once_running() -> None:
        started.wait(10)
        deadline = time.monotonic() + 10
        while not (runs := store.list_flow_runs(FlowRunFilter(flow_names=("long_running",)))):
            assert time.monotonic() < deadline, "the running flow run was never written"
            time.sleep(0.05)  # the recorder writes a new flow run within a moment
        store.set_flow_run_state(runs[0].id, StateType.CANCELLED, "Cancelled", "stop please")

    canceller = threading.Thread(target=cancel_once_running)
    canceller.start()
    with pytest.raises(FlowRunCancelled):
        long_running()
    canceller.join()
    assert 0 < len(ran) < 400
    assert hooked == ["Cancelled"]
    (flow_run,) = store.list_flow_runs(FlowRunFilter(flow_names=("long_running",)))
    assert flow_run.state_type is StateType.CANCELLED
    last_task = max(store.list_task_runs(flow_run.id), key=lambda t: int(t.dynamic_key))
    assert last_task.state_type is StateType.CANCELLED


def test_async_tasks_and_subflows_run_to_completion_inside_a_sync_flow() -> None:
    @flowtrack.task
    async def fetch(x: int) -> int:
        await asyncio.sleep(0.01)
        return x + 1

    @flowtrack.flow
    async def async_child(x: int) -> int:
        return await fetch(x)  # type: ignore[no-any-return]

    @flowtrack.flow
    def sync_parent() -> list[int]:
        return [fetch(1), async_child(10)]

    assert sync_parent() == [2, 11]


def test_a_flow_result_persists_where_asked(tmp_path: Any) -> None:
    @flowtrack.flow(persist_result=True, result_storage=str(tmp_path), result_serializer="json")
    def kept() -> list[int]:
        return [1, 2]

    state = kept(return_state=True)
    stored = list(tmp_path.iterdir())
    assert len(stored) == 1
    assert stored[0].read_bytes().endswith(b"[1, 2]")
    assert state.result() == [1, 2]


def test_a_broken_hook_is_logged_with_the_run_and_does_not_change_its_state(
    store: OrchestrationStore,
) -> None:
    def broken(task: Any, run: Any, state: State) -> None:
        raise RuntimeError("hook broke")

    @flowtrack.task(on_completion=[broken])
    def fine() -> int:
        return 1

    @flowtrack.flow(on_completion=[broken])
    def hooked_badly() -> int:
        return fine()

    assert hooked_badly() == 1
    flow_run_id = _only_flow_run_id(store, "hooked_badly")
    assert store.get_flow_run(flow_run_id).state_type is StateType.COMPLETED
    messages = [log.message for log in store.list_logs(flow_run_id)]
    assert len([m for m in messages if m.startswith("the hook") and m.endswith("raised")]) == 2


def test_a_result_that_cannot_be_cached_fails_the_run_and_a_broken_entry_is_a_miss(tmp_path: Any) -> None:
    ran: list[str] = []

    @flowtrack.task(
        cache_key_fn=lambda ctx, params: "unjsonable", result_serializer="json", result_storage=str(tmp_path)
    )
    def unstorable() -> object:
        return object()

    @flowtrack.task(cache_key_fn=lambda ctx, params: "broken", result_storage=str(tmp_path))
    def rereads() -> str:
        ran.append("rereads")
        return "fresh"

    @flowtrack.flow
    def caching_trouble() -> tuple[State, str]:
        return unstorable(return_state=True), rereads()

    (tmp_path / "broken").write_bytes(b"not a stored result")
    failed, value = caching_trouble()
    assert failed.is_failed()
    assert failed.message is not None
    assert failed.message.startswith("the result could not be stored: TypeError")
    assert value == "fresh"
    assert ran == ["rereads"]


def test_flow_retries_run_the_whole_body_again(store: OrchestrationStore) -> None:
    bodies: list[int] = []

    @flowtrack.task
    def record(i: int) -> int:
        return i

    @flowtrack.flow(retries=1, retry_delay_seconds=0)
    def retried() -> int:
        bodies.append(record(len(bodies)))
        if len(bodies) == 1:
            raise ConnectionError("first attempt")
        return len(bodies)

    assert retried() == 2
    flow_run = store.get_flow_run(_only_flow_run_id(store, "retried"))
    assert flow_run.run_count == 2
    assert _state_names(store, flow_run.id) == ["Pending", "Running", "Retrying", "Completed"]
    assert sorted(t.dynamic_key for t in store.list_task_runs(flow_run.id)) == ["0", "1"]


def test_an_interrupt_crashes_the_run_and_is_raised_again(store: OrchestrationStore) -> None:
    @flowtrack.task(retries=3)
    def interrupted() -> None:
        raise KeyboardInterrupt

    @flowtrack.flow
    def crashing() -> None:
        interrupted()

    with pytest.raises(KeyboardInterrupt):
        crashing()
    flow_run = store.get_flow_run(_only_flow_run_id(store, "crashing"))
    assert flow_run.state_type is StateType.CRASHED
    (task_run,) = store.list_task_runs(flow_run.id)
    assert task_run.state_type is StateType.CRASHED
    assert task_run.run_count == 1


def test_with_options_copies_a_task_or_flow_with_changes() -> None:
    @flowtrack.task(retries=2, tags=["a"])
    def base(x: int) -> int:
        return x

    renamed = base.with_options(name="renamed", retries=0)
    assert (renamed.name, renamed.retries, renamed.tags) == ("renamed", 0, ("a",))
    assert (base.name, base.retries) == ("base", 2)

    @flowtrack.flow(experiment="e1")
    def configured() -> int:
        return renamed(3)  # type: ignore[no-any-return]

    copy = configured.with_options(version="7")
    assert copy.version == "7"
    assert copy.extra_options == {"experiment": "e1"}
    assert copy() == 3
