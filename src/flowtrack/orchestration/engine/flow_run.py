"""A flow run: its bookkeeping and its life as engine steps (the same core as task runs)."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from flowtrack._internal.clock import now_ms
from flowtrack.orchestration.context import FlowRunContext, flow_run_context
from flowtrack.orchestration.engine.core import RetryPolicy, RunTracker, Steps, new_id, run_attempts
from flowtrack.orchestration.entities import FlowRecord, FlowRunRecord, RunKind, StateRecord
from flowtrack.orchestration.errors import FlowRunCancelled
from flowtrack.orchestration.futures import wait
from flowtrack.orchestration.hooks import FlowRunInfo, registered_hooks, run_user_hook
from flowtrack.orchestration.interrupts import stop_flow_run
from flowtrack.orchestration.recorder import Recorder, recorder_for
from flowtrack.orchestration.states import Completed, Failed, Pending, State

if TYPE_CHECKING:
    from flowtrack.orchestration.flows import Flow

__all__ = ["FlowRun"]

_FLOW_ID_NAMESPACE = uuid.UUID("5f0c3f4e-8d7a-4f55-9b0e-0d7f1a2b3c4d")
_known_flows: set[tuple[int, str]] = set()


def flow_id(name: str) -> str:
    """Flows are identified by name, so every process agrees on a flow's id."""
    return uuid.uuid5(_FLOW_ID_NAMESPACE, name).hex


class FlowRun:
    """One call of a flow, from Pending to its final state."""

    def __init__(self, flow: Flow[..., Any], parameters: dict[str, Any]) -> None:
        self.flow = flow
        self.parameters = parameters
        self.parent = flow_run_context.get()
        self.recorder: Recorder = self.parent.recorder if self.parent is not None else _top_level_recorder()
        self.id = new_id()
        # this flow run and its ancestors: stopping any of them stops this one's body and task runs
        self.scope = (self.id, *(self.parent.scope if self.parent is not None else ()))
        self.name = flow.run_name(parameters)
        self.created_ms = now_ms()
        self.start_ms: int | None = None
        self.end_ms: int | None = None
        self.tracking_run_id: str | None = None
        self.recorded_parameters = _jsonable(parameters)
        self.tracker = RunTracker(self.id, RunKind.FLOW, self._record)
        self.context: FlowRunContext | None = None
        self.info = FlowRunInfo(
            flow_run_id=self.id,
            flow_run_name=self.name,
            flow_name=flow.name,
            parameters=parameters,
            tags=flow.tags,
            flow_version=flow.version,
            parent_flow_run_id=self.parent.flow_run_id if self.parent is not None else None,
            parent_tracking_run_id=self.parent.tracking_run_id if self.parent is not None else None,
            options=flow.extra_options,
        )

    def _record(self, state: State, record: StateRecord) -> None:
        if state.is_running() and self.start_ms is None:
            self.start_ms = state.timestamp_ms
        elif state.is_final():
            self.end_ms = state.timestamp_ms
        self.recorder.flow_run(
            FlowRunRecord(
                id=self.id,
                flow_id=flow_id(self.flow.name),
                flow_name=self.flow.name,
                name=self.name,
                state_type=state.type,
                state_name=state.name,
                parameters=self.recorded_parameters,
                tags=self.flow.tags,
                created_ms=self.created_ms,
                start_ms=self.start_ms,
                end_ms=self.end_ms,
                heartbeat_ms=now_ms(),
                parent_flow_run_id=self.info.parent_flow_run_id,
                tracking_run_id=self.tracking_run_id,
                flow_version=self.flow.version,
                run_count=self.tracker.run_count,
                state_message=state.message,
                lease_ms=self.recorder.lease_ms,
            ),
            record,
        )

    # -- the run's life ----------
    def steps(self) -> Steps:
        self._register_flow()
        self.tracker.set(Pending())
        try:
            for hook in registered_hooks():
                linked = hook.flow_run_started(self.info)
                self.tracking_run_id = self.tracking_run_id or linked
        except BaseException as exc:
            self.tracker.set(Failed(exc, message=f"a flow run hook failed: {exc}"))
            self._flush()
            raise
        token = flow_run_context.set(self._make_context())
        try:
            policy = RetryPolicy(
                self.flow.retries, self.flow.retry_delays, self.flow.retry_jitter_factor, None
            )
            state = yield from run_attempts(self.tracker, policy, self._complete)
            if state.is_cancelled() or state.is_crashed():
                # its task runs still running stop too: nothing is left waiting for them, and a pool
                # thread still looping would keep the process alive after a Ctrl-C
                stop_flow_run(self.id, _stop_error(state))
            self._shutdown_runner()
            return self._finish(state)  # inside the run's context: what its hooks log is stored with it
        finally:
            flow_run_context.reset(token)
            self._shutdown_runner()

    def _complete(self, value: Any) -> State:
        if self.flow.persist_result:
            self.flow.result_store().write(self.id, value)
        return Completed(value)

    def _make_context(self) -> FlowRunContext:
        runner = self.flow.task_runner.duplicate()
        self.context = FlowRunContext(
            self.id, self.flow.name, self.name, self.parameters, self.recorder, runner,
            self.flow.log_prints, self.tracking_run_id, self.scope,
        )  # fmt: skip
        return self.context

    def wait_for_submitted(self) -> None:
        """A flow is not done while task runs it submitted are running; their states are then final."""
        if self.context is not None and self.context.futures:
            wait(self.context.futures)

    def _shutdown_runner(self) -> None:
        if self.context is not None and self.context.task_runner is not None:
            self.context.task_runner.shutdown()

    def _finish(self, state: State) -> State:
        final = self.tracker.set(state)
        errors: list[BaseException] = []
        for hook in registered_hooks():
            _collect(errors, hook.flow_run_finished, self.info, final)
        for user_hook in self.flow.hooks_for(final):
            run_user_hook(user_hook, self.flow, self, final)
        self._flush()
        if errors:
            raise errors[0]
        return final

    def _flush(self) -> None:
        if self.parent is None:
            self.recorder.flush()  # a top-level flow returns only once everything it did is stored
        else:
            self.recorder.request_flush()

    def _register_flow(self) -> None:
        key = (id(self.recorder), self.flow.name)
        if key not in _known_flows:
            _known_flows.add(key)
            self.recorder.flow(FlowRecord(flow_id(self.flow.name), self.flow.name, now_ms(), self.flow.tags))


def _collect(errors: list[BaseException], hook: Any, *args: Any) -> None:
    try:
        hook(*args)
    except Exception as exc:  # noqa: BLE001 - every hook runs; the first error surfaces afterwards
        errors.append(exc)


def _stop_error(state: State) -> type[BaseException]:
    """What the flow run's remaining bodies raise: an interrupt for a Ctrl-C, else a cancellation."""
    return KeyboardInterrupt if isinstance(state.data, KeyboardInterrupt) else FlowRunCancelled


def _top_level_recorder() -> Recorder:
    from flowtrack.orchestration.stores.registry import get_orchestration_store

    return recorder_for(get_orchestration_store())


def _jsonable(parameters: dict[str, Any]) -> dict[str, Any]:
    """Parameters as stored: JSON values kept, anything else as its (bounded) repr."""
    stored: dict[str, Any] = {}
    for name, value in parameters.items():
        try:
            json.dumps(value)
            stored[name] = value
        except (TypeError, ValueError):
            shown = repr(value)
            stored[name] = shown if len(shown) <= 500 else shown[:497] + "..."
    return stored
