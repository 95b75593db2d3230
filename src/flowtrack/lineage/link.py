"""The tracking link: every flow run is told as a tracked run, from a layer above both domains.

* A flow run starts a tracked run in the experiment named by ``@flow(experiment=...)``, by default one named
  after the flow. Called inside an active tracked run (``with flowtrack.start_run(): my_flow()``), a top-level
  flow joins that run instead and leaves it open.
* A subflow gets a run nested under its parent flow's run (tagged ``mlflow.parentRunId``), in the parent's
  experiment unless it names its own.
* Flow parameters become params; the run carries the flow run id (``flowtrack.flowRunId``), and the flow run
  records the run id (``FlowRunRecord.tracking_run_id``), so each points at the other.
* ``flowtrack.log_metric`` and the rest of the fluent API log to the flow's run inside the flow body and
  inside its tasks, on any task runner: the run id (and tracking URI) travel with each task to its worker.
* The run ends with the flow: COMPLETED is FINISHED, CANCELLED is KILLED, FAILED and CRASHED are FAILED,
  except a flow run crashed by a Ctrl-C (KeyboardInterrupt), whose run is KILLED: someone stopped it.
"""

from __future__ import annotations

import contextvars
import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any

from flowtrack.exceptions import ExperimentAlreadyExists, RunNotFound
from flowtrack.orchestration.entities import StateType
from flowtrack.orchestration.hooks import FlowRunInfo, LapsedRun, OrchestrationHooks, register_hooks
from flowtrack.orchestration.states import State
from flowtrack.orchestration.stores.registry import follow_tracking_uri
from flowtrack.tracking import context, fluent
from flowtrack.tracking import system_tags as tags
from flowtrack.tracking.client import TrackingClient
from flowtrack.tracking.entities import Param, RunStatus

FLOW_RUN_ID_TAG = "flowtrack.flowRunId"
FLOW_NAME_TAG = "flowtrack.flowName"
EXPERIMENT_OPTION = "experiment"
PARAM_VALUE_LIMIT = 6000
PARAM_KEY_LIMIT = 250

_END_STATUS = {
    StateType.COMPLETED: RunStatus.FINISHED,
    StateType.CANCELLED: RunStatus.KILLED,
    StateType.FAILED: RunStatus.FAILED,
    StateType.CRASHED: RunStatus.FAILED,
}


@dataclass(frozen=True, slots=True)
class TaskPayload:
    """What a task worker needs to log where its flow logs."""

    run_id: str
    tracking_uri: str


@dataclass(frozen=True, slots=True)
class _Linked:
    run_id: str
    owned: bool  # started for this flow run (and ended with it), not joined
    token: contextvars.Token[tuple[str, ...]] | None


class TrackingLink(OrchestrationHooks):
    """The hooks that tie flow runs to tracked runs; registered when :mod:`flowtrack.lineage` is imported."""

    def __init__(self) -> None:
        self._linked: dict[str, _Linked] = {}
        self._experiments: dict[str, str] = {}  # experiment of each run started here, for its subflows
        self._lock = threading.Lock()

    def __reduce__(self) -> tuple[Any, ...]:
        # workers get a fresh link: the flow-run bookkeeping stays in the flow's process
        return (TrackingLink, ())

    def flow_run_started(self, info: FlowRunInfo) -> str | None:
        active = context.current_run_id()
        if info.parent_tracking_run_id is None and active is not None:
            linked = _Linked(active, owned=False, token=None)
            fluent.client().set_tag(active, FLOW_RUN_ID_TAG, info.flow_run_id)
        else:
            linked = self._start_run(info)
        with self._lock:
            self._linked[info.flow_run_id] = linked
        return linked.run_id

    def _start_run(self, info: FlowRunInfo) -> _Linked:
        client = fluent.client()
        run_tags = {FLOW_RUN_ID_TAG: info.flow_run_id, FLOW_NAME_TAG: info.flow_name}
        if info.parent_tracking_run_id is not None:
            run_tags[tags.PARENT_RUN_ID] = info.parent_tracking_run_id
        experiment_id = self._experiment_for(info)
        run = client.create_run(experiment_id, tags=run_tags, run_name=info.flow_run_name or None)
        run_id = run.info.run_id
        with self._lock:
            self._experiments[run_id] = experiment_id
        params = _params(info.parameters)
        if params:
            try:
                client.log_batch(run_id, params=params)
            except BaseException:
                # the flow will not run: leave no RUNNING orphan behind
                client.set_terminated(run_id, str(RunStatus.FAILED))
                raise
        token = context._stack.set((*context.active_run_ids(), run_id))
        return _Linked(run_id, owned=True, token=token)

    def _experiment_for(self, info: FlowRunInfo) -> str:
        """``@flow(experiment=...)``; else a subflow's parent's experiment (nested runs show under their
        parent only there); else an experiment named after the flow."""
        if named := info.options.get(EXPERIMENT_OPTION):
            return _experiment_id(str(named))
        parent = info.parent_tracking_run_id
        if parent is None:
            return _experiment_id(info.flow_name)
        known = self._experiments.get(parent)
        return known if known is not None else fluent.client().get_run(parent).info.experiment_id

    def flow_run_finished(self, info: FlowRunInfo, state: State) -> None:
        with self._lock:
            linked = self._linked.pop(info.flow_run_id, None)
            if linked is not None:
                self._experiments.pop(linked.run_id, None)
        if linked is None or not linked.owned:
            return
        try:
            status = _END_STATUS.get(state.type, RunStatus.FAILED)
            if isinstance(state.data, KeyboardInterrupt):
                status = RunStatus.KILLED
            fluent.client().set_terminated(linked.run_id, str(status))
        finally:
            _leave(linked)

    def flow_runs_lapsed(self, database_uri: str, runs: Sequence[LapsedRun]) -> None:
        """End the tracked runs of flow runs whose process died: RUNNING forever would tell a lie."""
        client = TrackingClient(database_uri)  # the tracked runs live in the orchestration store's database
        for lapsed in runs:
            if lapsed.tracking_run_id is None:
                continue
            try:
                run = client.get_run(lapsed.tracking_run_id)
            except RunNotFound:  # deleted meanwhile
                continue
            if run.info.status == str(RunStatus.RUNNING):
                status = _END_STATUS.get(lapsed.state_type, RunStatus.FAILED)
                client.set_terminated(lapsed.tracking_run_id, str(status), end_time=lapsed.ended_ms)

    def capture_task_context(self) -> object:
        run_id = context.current_run_id()
        return None if run_id is None else TaskPayload(run_id, _tracking_uri())

    def task_context(self, payload: object) -> AbstractContextManager[None]:
        return _logging_to(payload if isinstance(payload, TaskPayload) else None)


def _tracking_uri() -> str:
    """Where fluent calls log: the fluent client's URI, resolved once per client, so asking costs nothing
    per task (``get_tracking_uri()`` reads the settings each time)."""
    return fluent.client().tracking_uri


def _leave(linked: _Linked) -> None:
    if linked.token is None:
        return
    try:
        context._stack.reset(linked.token)
    except ValueError:  # finished in another context than it started in: drop the run from this one
        context._stack.set(tuple(item for item in context.active_run_ids() if item != linked.run_id))


@contextmanager
def _logging_to(payload: TaskPayload | None) -> Iterator[None]:
    if payload is None or context.current_run_id() == payload.run_id:
        yield
        return
    if _tracking_uri() != payload.tracking_uri:  # a worker process that has not been told yet
        fluent.set_tracking_uri(payload.tracking_uri)
    token = context._stack.set((*context.active_run_ids(), payload.run_id))
    try:
        yield
    finally:
        context._stack.reset(token)


def _experiment_id(name: str) -> str:
    client = fluent.client()
    experiment = client.get_experiment_by_name(name)
    if experiment is not None:
        return experiment.experiment_id
    try:
        return client.create_experiment(name)
    except ExperimentAlreadyExists:  # another process created it first
        found = client.get_experiment_by_name(name)
        if found is None:
            raise
        return found.experiment_id


def _params(parameters: Mapping[str, Any]) -> list[Param]:
    params: list[Param] = []
    for key, value in parameters.items():
        text = str(value)  # as MLflow's log_param does
        params.append(Param(str(key)[:PARAM_KEY_LIMIT], text[:PARAM_VALUE_LIMIT]))
    return params


LINK = TrackingLink()
register_hooks(LINK)
follow_tracking_uri(_tracking_uri)

__all__ = ["FLOW_RUN_ID_TAG", "LINK", "TaskPayload", "TrackingLink"]
