"""Which state moves a store accepts, from the engine and from outside it.

The engine owns a live run and reports what happened; outside proposals (a user cancelling from the CLI, a
lease sweep) can only steer it. Two rules follow:

* A final state (COMPLETED, FAILED, CRASHED, CANCELLED) is never left, with one exception: a run marked
  CRASHED because its heartbeats stopped may still be ended by its engine, whose own final state is the truth
  (the process was stalled, not dead).
* Cancelling a running run asks its engine to stop: the run becomes CANCELLING and stays so until the engine
  reports its end (or its lease lapses, and it is read back CANCELLED). A run that is not running yet is
  CANCELLED at once.
"""

from __future__ import annotations

import dataclasses

from flowtrack.exceptions import InvalidArgument
from flowtrack.orchestration.entities import FlowRunRecord, StateType

ACTIVE = frozenset({StateType.PENDING, StateType.RUNNING, StateType.CANCELLING})
"""States that hold a lease: heartbeats keep them, a lapse ends them."""

CANCEL_REQUESTS = frozenset({StateType.CANCELLING, StateType.CANCELLED})


@dataclasses.dataclass(frozen=True, slots=True)
class Move:
    type: StateType
    name: str


def merge_engine_record(stored: StateType | None, incoming: FlowRunRecord) -> FlowRunRecord | None:
    """What to store when the engine reports ``incoming`` over a row in state ``stored``; None to keep it."""
    if stored is None or stored in (StateType.SCHEDULED, StateType.PENDING, StateType.RUNNING):
        return incoming
    if stored is StateType.CANCELLING:
        if incoming.state_type.is_final:
            return incoming
        return dataclasses.replace(incoming, state_type=StateType.CANCELLING, state_name="Cancelling")
    if stored is StateType.CRASHED and incoming.state_type.is_final:
        return incoming
    return None


def outside_move(current: StateType, proposed: StateType, name: str, *, force: bool) -> Move:
    """The state an outside proposal leads to; InvalidArgument (field "state") when the rules refuse it."""
    if force:
        return Move(proposed, name)
    if current.is_final:
        raise InvalidArgument(
            f"the flow run is {current.value} already, and a final state cannot be left",
            field="state",
        )
    if proposed in CANCEL_REQUESTS:
        if current in (StateType.RUNNING, StateType.CANCELLING):
            return Move(StateType.CANCELLING, "Cancelling")
        return Move(StateType.CANCELLED, name if proposed is StateType.CANCELLED else "Cancelled")
    if current is StateType.CANCELLING and proposed is StateType.COMPLETED:
        raise InvalidArgument("the flow run is being cancelled: it cannot be completed", field="state")
    return Move(proposed, name)
