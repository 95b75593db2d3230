"""One engine core for sync and async runs.

A run's life (Running, the call, retries and their delays, the final state) is a generator that *yields
effects* (``CALL``: run the user's function; ``Sleep``: wait before a retry) and receives their outcomes.
:func:`drive` performs the effects with blocking calls, :func:`adrive` with ``await``; neither knows anything
about states, so the rules live in one place.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import random
import threading
import time
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass
from typing import Any

from flowtrack.orchestration.entities import RunKind, StateRecord, StateType
from flowtrack.orchestration.errors import FlowRunCancelled, RunTimeout
from flowtrack.orchestration.interrupts import AsyncBody, Scope, ThreadBody, TimedOutBody
from flowtrack.orchestration.retries import with_jitter
from flowtrack.orchestration.states import Cancelled, Crashed, Failed, Retrying, Running, State, TimedOut

__all__ = [
    "CALL",
    "Outcome",
    "RetryPolicy",
    "RunTracker",
    "Sleep",
    "adrive",
    "drive",
    "new_id",
    "run_attempts",
]


class _Call:
    __slots__ = ()

    def __repr__(self) -> str:
        return "CALL"


CALL = _Call()


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


Effect = _Call | Sleep


@dataclass(frozen=True, slots=True)
class Outcome:
    value: Any = None
    error: BaseException | None = None


Steps = Generator[Effect, Any, State]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    retries: int = 0
    delays: tuple[float, ...] = ()
    jitter_factor: float | None = None
    should_retry: Callable[[State], bool] | None = None


class RunTracker:
    """A run's state history and attempt count; every change goes to ``on_change``."""

    __slots__ = ("history", "kind", "on_change", "run_count", "run_id", "state")

    def __init__(self, run_id: str, kind: RunKind, on_change: Callable[[State, StateRecord], None]) -> None:
        self.run_id = run_id
        self.kind = kind
        self.on_change = on_change
        self.history: list[State] = []
        self.run_count = 0
        self.state: State | None = None

    def set(self, state: State) -> State:
        if self.history:
            state = state.with_history(tuple(self.history)) if state.is_final() else state
        self.history.append(state)
        self.state = state
        record = StateRecord(
            new_id(),
            self.run_id,
            self.kind,
            state.type,
            state.name,
            state.message,
            state.timestamp_ms,
        )
        self.on_change(state, record)
        return state


_ids = random.Random()  # our own generator: a user's random.seed() must not make ids repeat
os.register_at_fork(after_in_child=_ids.seed)  # nor may a forked child repeat its parent's


def new_id() -> str:
    """32 random hex digits, like a UUID4's hex, for a fraction of its cost (it is made per state change)."""
    return f"{_ids.getrandbits(128):032x}"


def run_attempts(tracker: RunTracker, policy: RetryPolicy, complete: Callable[[Any], State]) -> Steps:
    """Call until success or retries run out; return (without recording) the state that ends the run."""
    while True:
        tracker.run_count += 1
        tracker.set(Running() if tracker.run_count == 1 else Retrying(f"attempt {tracker.run_count}"))
        outcome: Outcome = yield CALL
        if outcome.error is None:
            return complete(outcome.value)
        failure = failure_state(outcome.error)
        if failure.type in _NOT_RETRIED or tracker.run_count > policy.retries:
            return failure
        if policy.should_retry is not None and not policy.should_retry(failure):
            return failure
        delay = with_jitter(policy.delays[tracker.run_count - 1], policy.jitter_factor)
        if delay > 0:
            yield Sleep(delay)


_NOT_RETRIED = frozenset({StateType.CRASHED, StateType.CANCELLED})


def failure_state(error: BaseException) -> State:
    if isinstance(error, RunTimeout):
        return TimedOut(error)
    if isinstance(error, FlowRunCancelled | asyncio.CancelledError):
        return Cancelled(error)
    if isinstance(error, Exception):
        return Failed(error)
    if isinstance(error, KeyboardInterrupt):
        return Crashed(error, message=INTERRUPTED)
    return Crashed(error)  # SystemExit: the process is going away


INTERRUPTED = "Execution was interrupted (KeyboardInterrupt: Ctrl-C or SIGINT)"


def drive(steps: Steps, call: Callable[[], Any], timeout: float | None = None, scope: Scope = ()) -> State:
    """Run ``steps`` with blocking calls; a call is stopped when a flow run of ``scope`` is."""
    sent: Any = None
    while True:
        try:
            effect = steps.send(sent)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        if isinstance(effect, Sleep):
            time.sleep(effect.seconds)
            sent = None
        else:
            sent = _call_blocking(call, timeout, scope)


async def adrive(
    steps: Steps, call: Callable[[], Awaitable[Any]], timeout: float | None = None, scope: Scope = ()
) -> State:
    """Run ``steps`` awaiting calls and sleeps; a call is cancelled when a flow run of ``scope`` is."""
    sent: Any = None
    while True:
        try:
            effect = steps.send(sent)
        except StopIteration as stop:
            return stop.value  # type: ignore[no-any-return]
        if isinstance(effect, Sleep):
            await asyncio.sleep(effect.seconds)
            sent = None
        else:
            sent = await _call_awaiting(call, timeout, scope)


def _call_blocking(call: Callable[[], Any], timeout: float | None, scope: Scope) -> Outcome:
    try:
        if timeout is not None:
            return Outcome(_call_with_deadline(call, timeout, scope))
        if not scope:  # outside any flow run nothing can stop it: skip the registration
            return Outcome(call())
        body = ThreadBody(scope)
        try:
            with body:
                return Outcome(call())
        finally:
            body.close()
    except BaseException as exc:  # noqa: BLE001 - every outcome becomes a state; result() re-raises it
        return Outcome(error=exc)


async def _call_awaiting(call: Callable[[], Awaitable[Any]], timeout: float | None, scope: Scope) -> Outcome:
    body = AsyncBody(scope)
    try:
        with body:
            if timeout is None:
                return Outcome(await call())
            deadline = asyncio.timeout(timeout)
            try:
                async with deadline:
                    return Outcome(await call())
            except TimeoutError:
                if not deadline.expired():
                    raise
                return Outcome(error=RunTimeout(f"run exceeded its timeout of {timeout} s"))
    except BaseException as exc:  # noqa: BLE001 - as in _call_blocking
        return Outcome(error=body.error_for(exc))


def _call_with_deadline(call: Callable[[], Any], timeout: float, scope: Scope) -> Any:
    """Run a blocking call in a helper thread (same contextvars); at the deadline, stop it and raise.

    The helper is stopped by an exception raised inside it (see :mod:`..interrupts`): a body in Python code
    stops at once, one blocked in a long C call once that call returns, and what it returns then is dropped.
    """
    context = contextvars.copy_context()
    box: dict[str, Any] = {}
    body = ThreadBody(scope)

    def target() -> None:
        try:
            try:
                with body:
                    box["value"] = context.run(call)
            finally:
                body.close()
        except BaseException as exc:  # noqa: BLE001 - handed back to the waiting thread
            box["error"] = exc

    worker = threading.Thread(target=target, name="flowtrack-timeout", daemon=True)
    worker.start()
    try:
        worker.join(timeout)
    except KeyboardInterrupt:  # a Ctrl-C lands in the waiting (main) thread: the body stops with it
        body.stop(KeyboardInterrupt)
        raise
    if worker.is_alive():
        body.stop(TimedOutBody)
        raise RunTimeout(f"run exceeded its timeout of {timeout} s")
    if "error" in box:
        raise box["error"]
    return box.get("value")
