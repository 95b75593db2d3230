"""``OrchestrationClient``: read flows, flow runs, task runs, states and logs back; cancel and delete runs.

Names follow Prefect's client (``read_flow_runs``, ``read_flow_run``, ``cancel_flow_run``...), so scripts that
inspect Prefect runs port with few changes. The store is the configured API URL's server when there is one,
else the tracking database (see :mod:`flowtrack.orchestration.stores.registry`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from flowtrack.config.settings import load_settings
from flowtrack.exceptions import InvalidArgument
from flowtrack.orchestration.entities import (
    FlowRecord,
    FlowRunFilter,
    FlowRunRecord,
    FlowSummary,
    LogRecord,
    StateRecord,
    StateType,
    TaskEdge,
    TaskRunRecord,
)
from flowtrack.orchestration.stores.base import OrchestrationStore
from flowtrack.orchestration.stores.registry import get_orchestration_store
from flowtrack.orchestration.stores.validation import parse_state_type

Moment = dt.datetime | int | float


class OrchestrationClient:
    """The read side of orchestration, plus the two outside actions: cancel and delete.

    ``api_url`` picks the store; without it: the configured API URL, else this client's tracking URI (when it
    is composed into :class:`flowtrack.Client`), else the configured tracking URI.
    """

    def __init__(self, api_url: str | None = None) -> None:
        self.api_url = api_url

    @property
    def orchestration_store(self) -> OrchestrationStore:
        store: OrchestrationStore | None = getattr(self, "_orchestration_store", None)
        if store is None:
            uri = (
                getattr(self, "api_url", None)
                or load_settings().api_url
                or getattr(self, "tracking_uri", None)
            )
            store = get_orchestration_store(uri)
            self._orchestration_store = store
        return store

    # -- flows -----------------------------------------------------------------------------------------------
    def list_flows(self, limit: int = 100, offset: int = 0) -> list[FlowRecord]:
        return self.orchestration_store.list_flows(limit, offset)

    def list_flow_summaries(self, limit: int = 100, offset: int = 0) -> list[FlowSummary]:
        """Flows by name, each with its newest flow run (None if none is stored) and its run count."""
        return self.orchestration_store.list_flow_summaries(limit, offset)

    # -- flow runs -------------------------------------------------------------------------------------------
    def read_flow_runs(
        self,
        flow_name: str | Iterable[str] | None = None,
        state: str | StateType | Iterable[str | StateType] | None = None,
        tags: Iterable[str] = (),
        start_after: Moment | None = None,
        start_before: Moment | None = None,
        parent_flow_run_id: str | None = None,
        limit: int = 100,
        offset: int = 0,
        *,
        top_level_only: bool = False,
    ) -> list[FlowRunRecord]:
        """Flow runs, newest first: of these flows, in any of these states, with all these tags, started
        in ``[start_after, start_before)`` (datetimes, or milliseconds since the epoch); with
        ``top_level_only`` no subflow runs (only runs without a parent flow run)."""
        run_filter = FlowRunFilter(
            flow_names=_names(flow_name, "flow_name"),
            state_types=tuple(parse_state_type(value, "state") for value in _states(state)),
            tags_all=_names(tags, "tags"),
            start_after_ms=_to_ms(start_after, "start_after"),
            start_before_ms=_to_ms(start_before, "start_before"),
            parent_flow_run_id=parent_flow_run_id,
            top_level_only=top_level_only,
        )
        return self.orchestration_store.list_flow_runs(run_filter, limit, offset)

    def read_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        return self.orchestration_store.get_flow_run(flow_run_id)

    def cancel_flow_run(self, flow_run_id: str, message: str | None = None) -> FlowRunRecord:
        """CANCELLED at once if the run has not started, else CANCELLING until its engine stops it."""
        return self.orchestration_store.set_flow_run_state(
            flow_run_id, StateType.CANCELLED, "Cancelled", message
        )

    def set_flow_run_state(
        self,
        flow_run_id: str,
        state: str | StateType,
        name: str | None = None,
        message: str | None = None,
        *,
        force: bool = False,
    ) -> FlowRunRecord:
        """Propose a state; a final state cannot be left unless ``force``."""
        state_type = parse_state_type(state)
        return self.orchestration_store.set_flow_run_state(
            flow_run_id, state_type, name or state_type.value.title(), message, force=force
        )

    def delete_flow_run(self, flow_run_id: str) -> None:
        """Delete a flow run with its subflow runs, task runs, states, logs and graph."""
        self.orchestration_store.delete_flow_run(flow_run_id)

    # -- task runs, states, logs -----------------------------------------------------------------------------
    def read_task_runs(self, flow_run_id: str, limit: int = 10_000, offset: int = 0) -> list[TaskRunRecord]:
        return self.orchestration_store.list_task_runs(flow_run_id, limit, offset)

    def read_task_run(self, task_run_id: str) -> TaskRunRecord:
        return self.orchestration_store.get_task_run(task_run_id)

    def read_task_edges(self, flow_run_id: str) -> list[TaskEdge]:
        return self.orchestration_store.list_edges(flow_run_id)

    def read_states(self, run_id: str) -> list[StateRecord]:
        """The state history of a flow run or task run, oldest first."""
        return self.orchestration_store.list_states(run_id)

    def read_logs(
        self, flow_run_id: str, task_run_id: str | None = None, limit: int = 1000, offset: int = 0
    ) -> list[LogRecord]:
        return self.orchestration_store.list_logs(flow_run_id, task_run_id, limit, offset)


def _names(value: str | Iterable[str] | None, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    names = tuple(value)
    for name in names:
        if not isinstance(name, str):
            raise InvalidArgument(f"{field} must be strings, got {type(name).__name__}", field=field)
    return names


def _states(value: Any) -> tuple[Any, ...]:
    if value is None:
        return ()
    if isinstance(value, str | StateType):
        return (value,)
    return tuple(value)


def _to_ms(value: Moment | None, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return int(value.timestamp() * 1000)
    if isinstance(value, int | float) and not isinstance(value, bool):
        return int(value)
    raise InvalidArgument(
        f"{field} must be a datetime or milliseconds since the epoch, got {type(value).__name__}", field=field
    )
