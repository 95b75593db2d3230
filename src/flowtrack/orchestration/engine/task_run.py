"""A task run: its bookkeeping, its life as engine steps, and the ways to run it (here, in a worker)."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from flowtrack._internal.clock import now_ms
from flowtrack.orchestration.caching import CacheContext, cache_key
from flowtrack.orchestration.context import FlowRunContext, TaskRunContext, flow_run_context, task_run_context
from flowtrack.orchestration.engine.core import (
    RetryPolicy,
    RunTracker,
    Steps,
    adrive,
    drive,
    new_id,
    run_attempts,
)
from flowtrack.orchestration.entities import RunKind, StateRecord, TaskEdge, TaskRunRecord
from flowtrack.orchestration.errors import FlowRunCancelled, UpstreamFailed
from flowtrack.orchestration.futures import TaskFuture, resolve_futures
from flowtrack.orchestration.hooks import TaskContextPayload, enter_task_context, run_user_hook
from flowtrack.orchestration.recorder import Recorder
from flowtrack.orchestration.results import pickle_dumps, pickle_loads
from flowtrack.orchestration.run_logging import enable_print_capture
from flowtrack.orchestration.states import Cached, Cancelled, Completed, Failed, Pending, State

if TYPE_CHECKING:
    from flowtrack.orchestration.tasks import Task

__all__ = ["TaskRun", "run_task_awaiting", "run_task_blocking"]

_log = logging.getLogger(__name__)


class TaskRun:
    """One call of a task: identity, parameters, upstream futures and state history."""

    __slots__ = (
        "cache_key",
        "cancel_check",
        "context_payload",
        "created_ms",
        "dynamic_key",
        "end_ms",
        "flow_run_id",
        "id",
        "log_prints",
        "name",
        "parameters",
        "recorder",
        "scope",
        "start_ms",
        "submit_context",
        "task",
        "tracker",
        "upstream",
    )

    def __init__(
        self,
        task: Task[..., Any],
        parameters: dict[str, Any],
        flow: FlowRunContext | None,
        upstream: list[tuple[TaskFuture, str]],
        context_payload: TaskContextPayload = (),
    ) -> None:
        self.task = task
        self.id = new_id()
        self.parameters = parameters
        self.flow_run_id = flow.flow_run_id if flow is not None else ""
        self.recorder: Recorder | None = flow.recorder if flow is not None else None
        self.dynamic_key = flow.next_dynamic_key(task.task_key) if flow is not None else "0"
        self.name = task.run_name(parameters, self.dynamic_key)
        self.log_prints = task.log_prints or (flow is not None and flow.log_prints)
        self.upstream = upstream
        self.context_payload = context_payload
        self.cancel_check = flow.cancel_requested if flow is not None else None
        self.scope = flow.scope if flow is not None else ()  # stopping any of these flow runs stops the body
        self.submit_context: contextvars.Context | None = None
        self.created_ms = now_ms()
        self.start_ms: int | None = None
        self.end_ms: int | None = None
        self.cache_key: str | None = None
        self.tracker = RunTracker(self.id, RunKind.TASK, self._record)
        if upstream and self.recorder is not None:
            self.recorder.edges([TaskEdge(self.id, f.task_run_id, name) for f, name in upstream])
        self.tracker.set(Pending())

    def __getstate__(self) -> dict[str, Any]:
        """For a worker process: no recorder (the worker collects its own) and no live futures.

        Runners send a run only once its upstream runs completed, so their results stand in for them.
        """
        state = {name: getattr(self, name) for name in self.__slots__}
        state["recorder"] = None
        state["cancel_check"] = None
        state["submit_context"] = None
        state["parameters"] = resolve_futures(self.parameters) if self.upstream else self.parameters
        state["upstream"] = [(_DoneUpstream(f.task_run_id), name) for f, name in self.upstream]
        state["tracker"] = (self.tracker.history, self.tracker.run_count)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        history, run_count = state.pop("tracker")
        for name, value in state.items():
            setattr(self, name, value)
        self.tracker = RunTracker(self.id, RunKind.TASK, self._record)
        self.tracker.history = list(history)
        self.tracker.run_count = run_count
        self.tracker.state = history[-1] if history else None

    def _record(self, state: State, record: StateRecord) -> None:
        if state.is_running() and self.start_ms is None:
            self.start_ms = state.timestamp_ms
        elif state.is_final():
            self.end_ms = state.timestamp_ms
        if self.recorder is not None:
            self.recorder.task_run(self, record)  # the run record itself is built when the batch is taken

    def task_run_record(self) -> TaskRunRecord:
        state = self.tracker.state
        assert state is not None
        return TaskRunRecord(
            id=self.id,
            flow_run_id=self.flow_run_id,
            task_key=self.task.task_key,
            name=self.name,
            dynamic_key=self.dynamic_key,
            state_type=state.type,
            state_name=state.name,
            created_ms=self.created_ms,
            start_ms=self.start_ms,
            end_ms=self.end_ms,
            cache_key=self.cache_key,
            run_count=self.tracker.run_count,
            tags=self.task.tags,
            state_message=state.message,
            upstream_task_run_ids=tuple(f.task_run_id for f, _ in self.upstream),
        )

    # -- the run's life ----------
    def steps(self) -> Steps:
        if self.cancel_check is not None and self.cancel_check():
            return self._finish(Cancelled(FlowRunCancelled(f"flow run {self.flow_run_id} was cancelled")))
        upstream_error = self.upstream_error()
        if upstream_error is not None:
            return self._finish(Failed(upstream_error))
        if self.upstream:
            self.parameters = resolve_futures(self.parameters)
        try:
            cached = self._cache_hit()
        except Exception as exc:  # noqa: BLE001 - a key that cannot be made (cache_key_fn raised) fails the run
            return self._finish(
                Failed(exc, message=f"the cache key could not be made: {type(exc).__name__}: {exc}")
            )
        if cached is not None:
            return self._finish(cached)
        task = self.task
        policy = RetryPolicy(
            task.retries, task.retry_delays, task.retry_jitter_factor, self._retry_condition()
        )
        state = yield from run_attempts(self.tracker, policy, self._complete)
        return self._finish(state)

    def upstream_error(self) -> UpstreamFailed | None:
        for future, _ in self.upstream:
            if not future.state.is_completed():
                return UpstreamFailed(f"upstream task run {future.task_run_id} ended {future.state.name}")
        return None

    def _cache_hit(self) -> State | None:
        task = self.task
        if task.cache_policy is None and task.cache_key_fn is None:
            return None
        context = CacheContext(task.task_key, task.name, task.fn, self.parameters)
        self.cache_key = cache_key(task.cache_policy, task.cache_key_fn, context)
        if self.cache_key is None or task.refresh_cache:
            return None
        try:
            stored = task.cache_store().read(self.cache_key)
        except Exception:  # noqa: BLE001 - an unreadable cache entry is a miss: the body runs and rewrites it
            _log.warning("task run %s could not read cache key %s", self.id, self.cache_key, exc_info=True)
            return None
        if stored is None:
            return None
        return Cached(stored.value, message=f"cache key {self.cache_key}")

    def _complete(self, value: Any) -> State:
        task = self.task
        try:
            if self.cache_key is not None:
                expires = task.cache_expiration_ms
                task.cache_store().write(
                    self.cache_key, value, None if expires is None else now_ms() + expires
                )
            elif task.persist_result:
                task.result_store().write(self.id, value)
        except Exception as exc:  # noqa: BLE001 - a result that cannot be kept fails the run, visibly
            return Failed(exc, message=f"the result could not be stored: {type(exc).__name__}: {exc}")
        return Completed(value)

    def _retry_condition(self) -> Callable[[State], bool] | None:
        condition = self.task.retry_condition_fn
        if condition is None:
            return None
        return lambda state: bool(condition(self.task, self, state))

    def _finish(self, state: State) -> State:
        final = self.tracker.set(state)
        hooks = self.task.on_completion if final.is_completed() else self.task.on_failure
        for hook in hooks:
            run_user_hook(hook, self.task, self, final)
        return final

    # -- the call of the body ----------
    def _context(self) -> TaskRunContext:
        return TaskRunContext(
            self.id, self.name, self.flow_run_id, self.parameters, self.log_prints, self.tracker.run_count
        )

    def call_blocking(self) -> Any:
        token = task_run_context.set(self._context())
        try:
            args, kwargs = self.task.binder.call_args(self.parameters)
            return self.task.fn(*args, **kwargs)
        finally:
            task_run_context.reset(token)

    async def call_awaiting(self) -> Any:
        token = task_run_context.set(self._context())
        try:
            args, kwargs = self.task.binder.call_args(self.parameters)
            return await self.task.fn(*args, **kwargs)
        finally:
            task_run_context.reset(token)


class _DoneUpstream:
    """An upstream future's stand-in in a worker process (upstreams are done before a task is sent)."""

    __slots__ = ("task_run_id",)

    def __init__(self, task_run_id: str) -> None:
        self.task_run_id = task_run_id

    @property
    def state(self) -> State:
        return Completed()


def run_task_blocking(run: TaskRun) -> State:
    """Run a task to its final state in this thread (an async task gets its own event loop)."""
    if run.task.is_async:
        return asyncio.run(run_task_awaiting(run))
    return drive(run.steps(), run.call_blocking, run.task.timeout_seconds, run.scope)


async def run_task_awaiting(run: TaskRun) -> State:
    if not run.task.is_async:
        return run_task_blocking(run)
    return await adrive(run.steps(), run.call_awaiting, run.task.timeout_seconds, run.scope)


def run_task_in_worker(run: TaskRun) -> State:
    """A worker's entry: re-enter the submitting side's hook contexts, then run."""
    with enter_task_context(run.context_payload):
        return run_task_blocking(run)


def run_task_in_process(payload: bytes) -> bytes:
    """A worker process's entry: run with a collecting recorder and send the state and records back."""
    run: TaskRun = pickle_loads(payload)
    if run.log_prints:
        # a task sent by value (defined in __main__ or a function) was never decorated in this process
        enable_print_capture()
    recorder = Recorder(None)
    run.recorder = recorder
    flow = FlowRunContext(run.flow_run_id, "", "", {}, recorder, None, run.log_prints)
    token = flow_run_context.set(flow)
    try:
        state = run_task_in_worker(run)
    finally:
        flow_run_context.reset(token)
    try:
        return pickle_dumps((state, recorder.take()))
    except Exception as exc:  # noqa: BLE001 - an unpicklable result must not lose the run's records
        failed = Failed(RuntimeError(f"the result of task run {run.id} cannot be sent back: {exc}"))
        return pickle_dumps((failed, recorder.take()))
