"""The server side of the orchestration store: ``/api/v1`` calls land here and go to the SQL store.

The server keeps orchestration records in its backend store, next to the runs, so the lease sweep, the state
rules and the checks are the embedded store's own: both transports behave the same. Heartbeats are stamped
with the server's clock, the one its lease sweeps use, so clients with skewed clocks are judged fairly.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from flowtrack._internal.clock import now_ms
from flowtrack.config.settings import load_settings
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
    WriteBatch,
)
from flowtrack.orchestration.stores.base import OrchestrationStore
from flowtrack.orchestration.stores.rules import ACTIVE
from flowtrack.orchestration.stores.validation import check_timestamp, parse_state_type


def open_orchestration(backend_store_uri: str) -> OrchestrationService:
    import flowtrack.lineage  # noqa: F401 - its link ends the tracked runs of flow runs the server finds crashed
    from flowtrack.orchestration.stores.sql.store import SqlOrchestrationStore

    lease = load_settings().flow_run_lease_seconds
    return OrchestrationService(SqlOrchestrationStore(backend_store_uri, lease_seconds=lease))


class OrchestrationService:
    def __init__(self, store: OrchestrationStore) -> None:
        self.store = store

    def close(self) -> None:
        close = getattr(self.store, "close", None)
        if close is not None:
            close()

    def write(self, batch: WriteBatch) -> None:
        """Write a batch; running flow runs in it count as alive now, by this server's clock."""
        now = now_ms()
        batch.flow_runs = [
            dataclasses.replace(run, heartbeat_ms=now) if run.state_type in ACTIVE else run
            for run in batch.flow_runs
        ]
        self.store.write(batch)

    def heartbeat(self, flow_run_ids: Sequence[str], client_now_ms: int) -> None:
        """Stamped with this server's clock, which is the one its lease sweeps compare against: a client
        whose clock is behind would otherwise see its live runs crashed."""
        check_timestamp(client_now_ms, "now_ms")
        self.store.heartbeat(flow_run_ids, now_ms())

    def set_flow_run_state(
        self, flow_run_id: str, state: str, name: str | None, message: str | None, force: bool
    ) -> FlowRunRecord:
        state_type: StateType = parse_state_type(state)
        return self.store.set_flow_run_state(
            flow_run_id, state_type, name or state_type.value.title(), message, force=force
        )

    def delete_flow_run(self, flow_run_id: str) -> None:
        self.store.delete_flow_run(flow_run_id)

    def list_flows(self, limit: int, offset: int) -> list[FlowRecord]:
        return self.store.list_flows(limit, offset)

    def list_flow_summaries(self, limit: int, offset: int) -> list[FlowSummary]:
        return self.store.list_flow_summaries(limit, offset)

    def list_flow_runs(self, run_filter: FlowRunFilter, limit: int, offset: int) -> list[FlowRunRecord]:
        return self.store.list_flow_runs(run_filter, limit, offset)

    def get_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        return self.store.get_flow_run(flow_run_id)

    def list_task_runs(self, flow_run_id: str, limit: int, offset: int) -> list[TaskRunRecord]:
        return self.store.list_task_runs(flow_run_id, limit, offset)

    def get_task_run(self, task_run_id: str) -> TaskRunRecord:
        return self.store.get_task_run(task_run_id)

    def list_states(self, run_id: str) -> list[StateRecord]:
        return self.store.list_states(run_id)

    def list_edges(self, flow_run_id: str) -> list[TaskEdge]:
        return self.store.list_edges(flow_run_id)

    def list_logs(
        self, flow_run_id: str, task_run_id: str | None, limit: int, offset: int
    ) -> list[LogRecord]:
        return self.store.list_logs(flow_run_id, task_run_id, limit, offset)
