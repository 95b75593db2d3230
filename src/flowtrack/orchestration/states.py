"""The live ``State`` user code receives: a type, a name, a message, a timestamp and the run's outcome.

A state is a fact about one moment of one run. The final state of a run also carries the run's ``history``
(every earlier state, oldest first) and its outcome: ``result()`` returns the value of a COMPLETED run and
raises the error of a FAILED, CRASHED or CANCELLED one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flowtrack._internal.clock import now_ms
from flowtrack.orchestration.entities import StateType

__all__ = [
    "Cached",
    "Cancelled",
    "Completed",
    "Crashed",
    "Failed",
    "Late",
    "Pending",
    "Retrying",
    "Running",
    "Scheduled",
    "State",
    "StateType",
    "TimedOut",
]

_NO_RESULT: Any = object()


class UnfinishedRun(RuntimeError):
    """``result()`` was asked of a state that is not final and holds no result."""


@dataclass(frozen=True, slots=True, eq=False)
class State:
    """One state of a flow or task run. Compare states by ``type`` and ``name``, not by identity."""

    type: StateType
    name: str
    message: str | None = None
    timestamp_ms: int = 0
    data: Any = _NO_RESULT
    history: tuple[State, ...] = ()

    @property
    def timestamp(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp_ms / 1000, tz=UTC)

    def result(self, raise_on_failure: bool = True) -> Any:
        """The run's return value; a failed run's exception is raised (or returned when not raising)."""
        if isinstance(self.data, BaseException):
            if raise_on_failure:
                raise self.data
            return self.data
        if self.data is _NO_RESULT:
            if self.type in _UNSUCCESSFUL and raise_on_failure:
                raise UnfinishedRun(f"run ended {self.name}: {self.message or 'no result'}")
            if self.type is not StateType.COMPLETED:
                raise UnfinishedRun(f"a {self.name} state holds no result yet")
            return None
        return self.data

    def with_history(self, history: tuple[State, ...]) -> State:
        return State(self.type, self.name, self.message, self.timestamp_ms, self.data, history)

    def is_scheduled(self) -> bool:
        return self.type is StateType.SCHEDULED

    def is_pending(self) -> bool:
        return self.type is StateType.PENDING

    def is_running(self) -> bool:
        return self.type is StateType.RUNNING

    def is_completed(self) -> bool:
        return self.type is StateType.COMPLETED

    def is_failed(self) -> bool:
        return self.type is StateType.FAILED

    def is_crashed(self) -> bool:
        return self.type is StateType.CRASHED

    def is_cancelled(self) -> bool:
        return self.type is StateType.CANCELLED

    def is_final(self) -> bool:
        return self.type.is_final

    def __repr__(self) -> str:
        message = f", message={self.message!r}" if self.message else ""
        return f"{self.name}(type={self.type.value}{message})"


_UNSUCCESSFUL = frozenset({StateType.FAILED, StateType.CRASHED, StateType.CANCELLED})


def _state(state_type: StateType, name: str, message: str | None, data: Any = _NO_RESULT) -> State:
    return State(state_type, name, message, now_ms(), data)


def Scheduled(message: str | None = None) -> State:  # noqa: N802 - named like the state it builds
    return _state(StateType.SCHEDULED, "Scheduled", message)


def Late(message: str | None = None) -> State:  # noqa: N802
    return _state(StateType.SCHEDULED, "Late", message)


def Pending(message: str | None = None) -> State:  # noqa: N802
    return _state(StateType.PENDING, "Pending", message)


def Running(message: str | None = None) -> State:  # noqa: N802
    return _state(StateType.RUNNING, "Running", message)


def Retrying(message: str | None = None) -> State:  # noqa: N802
    return _state(StateType.RUNNING, "Retrying", message)


def Completed(data: Any = None, message: str | None = None) -> State:  # noqa: N802
    return _state(StateType.COMPLETED, "Completed", message, data)


def Cached(data: Any = None, message: str | None = None) -> State:  # noqa: N802
    return _state(StateType.COMPLETED, "Cached", message, data)


def Failed(error: BaseException | None = None, message: str | None = None) -> State:  # noqa: N802
    return _state(StateType.FAILED, "Failed", message or _describe(error), _data_of(error))


def TimedOut(error: BaseException | None = None, message: str | None = None) -> State:  # noqa: N802
    return _state(StateType.FAILED, "TimedOut", message or _describe(error), _data_of(error))


def Crashed(error: BaseException | None = None, message: str | None = None) -> State:  # noqa: N802
    return _state(StateType.CRASHED, "Crashed", message or _describe(error), _data_of(error))


def Cancelled(error: BaseException | None = None, message: str | None = None) -> State:  # noqa: N802
    return _state(StateType.CANCELLED, "Cancelled", message or _describe(error), _data_of(error))


def _data_of(error: BaseException | None) -> Any:
    return _NO_RESULT if error is None else error


def _describe(error: BaseException | None) -> str | None:
    if error is None:
        return None
    return f"{type(error).__name__}: {error}"
