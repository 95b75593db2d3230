"""The contract every orchestration store fulfils.

The engine writes through :meth:`OrchestrationStore.write` only, in batches, so per-task cost stays tiny;
everything else is for readers (the client, the CLI, the server's API).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

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


class OrchestrationStore(abc.ABC):
    # -- writes ----------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def write(self, batch: WriteBatch) -> None:
        """Apply a batch atomically: upsert flows and runs by id, append states, edges and logs."""

    @abc.abstractmethod
    def heartbeat(self, flow_run_ids: Sequence[str], now_ms: int) -> None:
        """Extend the lease of running flow runs; a run whose lease lapses is read back as CRASHED."""

    @abc.abstractmethod
    def set_flow_run_state(
        self, flow_run_id: str, state: StateType, name: str, message: str | None, *, force: bool = False
    ) -> FlowRunRecord:
        """Propose a state from outside the engine (cancel, crash); refuses illegal moves unless ``force``.

        Raises NotFound, and InvalidArgument for a move the rules reject (a final state cannot be left).
        """

    @abc.abstractmethod
    def delete_flow_run(self, flow_run_id: str) -> None:
        """Delete a flow run with its task runs, states, edges and logs. Raises NotFound."""

    # -- reads -----------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def list_flows(self, limit: int = 100, offset: int = 0) -> list[FlowRecord]: ...

    @abc.abstractmethod
    def list_flow_summaries(self, limit: int = 100, offset: int = 0) -> list[FlowSummary]:
        """Flows by name, each with its newest run and run count, in a fixed number of queries (not one
        per flow). Runs whose lease lapsed are marked CRASHED first."""

    @abc.abstractmethod
    def list_flow_runs(
        self, flow_run_filter: FlowRunFilter, limit: int = 100, offset: int = 0
    ) -> list[FlowRunRecord]:
        """Newest first. Runs whose lease lapsed are marked CRASHED before they are returned."""

    @abc.abstractmethod
    def get_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        """Raises NotFound. A run whose lease lapsed is marked CRASHED before it is returned."""

    @abc.abstractmethod
    def list_task_runs(
        self, flow_run_id: str, limit: int = 10_000, offset: int = 0
    ) -> list[TaskRunRecord]: ...

    @abc.abstractmethod
    def get_task_run(self, task_run_id: str) -> TaskRunRecord:
        """Raises NotFound."""

    @abc.abstractmethod
    def list_states(self, run_id: str) -> list[StateRecord]:
        """The full history of a flow or task run, oldest first."""

    @abc.abstractmethod
    def list_edges(self, flow_run_id: str) -> list[TaskEdge]: ...

    @abc.abstractmethod
    def list_logs(
        self, flow_run_id: str, task_run_id: str | None = None, limit: int = 1000, offset: int = 0
    ) -> list[LogRecord]:
        """Oldest first."""
