"""Orchestration records: what the engine writes and what readers get back.

These are stored facts, not the live objects user code holds (``State`` with ``result()``, futures): the
engine turns its live objects into records at the edge, in batches.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class StateType(enum.StrEnum):
    SCHEDULED = "SCHEDULED"
    PENDING = "PENDING"
    RUNNING = "RUNNING"
    COMPLETED = "COMPLETED"
    FAILED = "FAILED"
    CRASHED = "CRASHED"
    CANCELLING = "CANCELLING"
    CANCELLED = "CANCELLED"

    @property
    def is_final(self) -> bool:
        return self in _FINAL


_FINAL = frozenset({StateType.COMPLETED, StateType.FAILED, StateType.CRASHED, StateType.CANCELLED})


class RunKind(enum.StrEnum):
    FLOW = "flow"
    TASK = "task"


@dataclass(frozen=True, slots=True)
class StateRecord:
    """One entry of a run's state history. ``name`` carries the variant (Cached, Retrying, Late, TimedOut)."""

    id: str
    run_id: str
    run_kind: RunKind
    type: StateType
    name: str
    message: str | None
    timestamp_ms: int


@dataclass(frozen=True, slots=True)
class FlowRecord:
    id: str
    name: str
    created_ms: int
    tags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class FlowRunRecord:
    id: str
    flow_id: str
    flow_name: str
    name: str
    state_type: StateType
    state_name: str
    parameters: Mapping[str, Any]
    tags: tuple[str, ...]
    created_ms: int
    start_ms: int | None = None
    end_ms: int | None = None
    heartbeat_ms: int | None = None
    parent_flow_run_id: str | None = None
    parent_task_run_id: str | None = None
    tracking_run_id: str | None = None
    deployment_id: str | None = None
    flow_version: str | None = None
    run_count: int = 0
    state_message: str | None = None
    # the writer's lease: it promised a heartbeat at least three times within it, so readers judge it by this
    lease_ms: int | None = None


@dataclass(frozen=True, slots=True)
class FlowSummary:
    """A flow with its newest run (None before any run is stored) and how many runs it has."""

    flow: FlowRecord
    latest_run: FlowRunRecord | None
    run_count: int


@dataclass(frozen=True, slots=True)
class TaskRunRecord:
    id: str
    flow_run_id: str
    task_key: str
    name: str
    dynamic_key: str
    state_type: StateType
    state_name: str
    created_ms: int
    start_ms: int | None = None
    end_ms: int | None = None
    cache_key: str | None = None
    run_count: int = 0
    tags: tuple[str, ...] = ()
    state_message: str | None = None
    upstream_task_run_ids: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class TaskEdge:
    """``task_run_id`` used the result of ``upstream_task_run_id`` as ``input_name`` (or via ``wait_for``)."""

    task_run_id: str
    upstream_task_run_id: str
    input_name: str


@dataclass(frozen=True, slots=True)
class LogRecord:
    flow_run_id: str
    task_run_id: str | None
    level: int
    logger: str
    message: str
    timestamp_ms: int


@dataclass(slots=True)
class WriteBatch:
    """Everything the engine learnt since its last flush, written in one transaction.

    Runs are upserts keyed by id (the newest record of a run wins); states, edges and logs are appends.
    """

    flows: list[FlowRecord] = field(default_factory=list)
    flow_runs: list[FlowRunRecord] = field(default_factory=list)
    task_runs: list[TaskRunRecord] = field(default_factory=list)
    states: list[StateRecord] = field(default_factory=list)
    edges: list[TaskEdge] = field(default_factory=list)
    logs: list[LogRecord] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.flows or self.flow_runs or self.task_runs or self.states or self.edges or self.logs)


@dataclass(frozen=True, slots=True)
class FlowRunFilter:
    flow_names: tuple[str, ...] = ()
    state_types: tuple[StateType, ...] = ()
    tags_all: tuple[str, ...] = ()
    start_after_ms: int | None = None
    start_before_ms: int | None = None
    parent_flow_run_id: str | None = None
    deployment_id: str | None = None
    top_level_only: bool = False  # only runs with no parent flow run (no subflow runs)
