"""The run contexts user code runs inside: which flow run and task run are current (contextvars)."""

from __future__ import annotations

import asyncio
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flowtrack.orchestration.futures import TaskFuture
    from flowtrack.orchestration.recorder import Recorder
    from flowtrack.orchestration.task_runners.base import TaskRunner

__all__ = ["FlowRunContext", "TaskRunContext", "flow_run_context", "in_event_loop", "task_run_context"]


@dataclass(slots=True, eq=False)
class FlowRunContext:
    flow_run_id: str
    flow_name: str
    flow_run_name: str
    parameters: dict[str, Any]
    recorder: Recorder
    task_runner: TaskRunner | None
    log_prints: bool = False
    tracking_run_id: str | None = None
    scope: tuple[str, ...] = ()  # this flow run and its ancestors: cancelling any of them stops this one
    futures: list[TaskFuture] = field(default_factory=list)
    task_counts: dict[str, int] = field(default_factory=dict)

    def cancel_requested(self) -> bool:
        requested = self.recorder.cancel_requested
        return bool(requested) and any(flow_run_id in requested for flow_run_id in self.scope)

    def next_dynamic_key(self, task_key: str) -> str:
        count = self.task_counts.get(task_key, 0)
        self.task_counts[task_key] = count + 1
        return str(count)


@dataclass(slots=True, eq=False)
class TaskRunContext:
    task_run_id: str
    task_name: str
    flow_run_id: str
    parameters: dict[str, Any]
    log_prints: bool = False
    run_count: int = 0


flow_run_context: ContextVar[FlowRunContext | None] = ContextVar("flowtrack_flow_run", default=None)
task_run_context: ContextVar[TaskRunContext | None] = ContextVar("flowtrack_task_run", default=None)


def in_event_loop() -> bool:
    """Whether the caller can await (an async flow); a sync caller gets async work run to the end."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return False
    return True
