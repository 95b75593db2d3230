"""The extension point a higher layer uses to run code around flow runs and inside task workers.

Orchestration must not know about tracking: :mod:`flowtrack.lineage` (above both) links a flow run to a
tracked run through these hooks. Subclass :class:`OrchestrationHooks`, override what you need, and call
:func:`register_hooks` once, at import time of your module::

    class TrackingLink(OrchestrationHooks):
        def flow_run_started(self, info: FlowRunInfo) -> str | None:
            ...  # start a tracked run (nested under info.parent_tracking_run_id for a subflow)
            return tracked_run_id  # recorded as the flow run's ``tracking_run_id``

        def flow_run_finished(self, info: FlowRunInfo, state: State) -> None:
            ...  # end the tracked run with the flow's final state

        def capture_task_context(self) -> object:
            return current_tracked_run_id()  # taken in the submitting thread

        def task_context(self, payload: object) -> AbstractContextManager[None]:
            return use_tracked_run(payload)  # entered in the worker around the task body

    register_hooks(TrackingLink())

The contract:

* ``flow_run_started(info)`` runs in the flow's own thread (or asyncio task) before the parameters are
  recorded as running and before the body; ``flow_run_finished(info, state)`` runs in the same context after
  the final state is known and before the flow returns. Every started flow run is finished, also when it
  fails or is cancelled (only a killed process cannot).
  The first hook returning a tracked-run id wins; the engine records it on the flow run and passes it to
  subflows as ``info.parent_tracking_run_id``.
* ``info.options`` carries the decorator options the engine itself does not use, unchanged:
  ``@flow(experiment="taxi")`` arrives as ``info.options == {"experiment": "taxi"}``.
* ``capture_task_context()`` runs where a task is submitted (once per ``submit``, once per ``map`` call); its
  payload is handed to ``task_context(payload)`` in the worker, around the task body, on every task runner
  (threads, processes, Dask). On threads the body also runs in a copy of the submitter's contextvars.
  Payloads that cross processes are pickled with cloudpickle, and so are the hook objects themselves, so a
  hook must be an instance of a module-level class whose module registers it on import.
* A hook that raises fails the flow run (start) or surfaces after the run is recorded (finish): hooks are
  trusted code, and hiding their errors would hide lost lineage. (User hooks such as ``on_completion`` are
  different: :func:`run_user_hook` logs their errors with the run.)
* ``flow_runs_lapsed(database_uri, runs)`` runs in whatever process read flow runs from a SQL store and found
  some without a heartbeat past the lease (the store ended them CRASHED, or CANCELLED when cancelling): the
  process that ran them is gone, so nobody else will finish what they started. Its errors are logged.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, ExitStack, contextmanager, nullcontext
from dataclasses import dataclass, field
from typing import Any

from flowtrack.orchestration.entities import StateType
from flowtrack.orchestration.states import State

__all__ = [
    "FlowRunInfo",
    "LapsedRun",
    "OrchestrationHooks",
    "TaskContextPayload",
    "capture_task_context",
    "enter_task_context",
    "register_hooks",
    "registered_hooks",
    "report_lapsed",
    "run_user_hook",
    "unregister_hooks",
]


@dataclass(frozen=True, slots=True)
class FlowRunInfo:
    """What a hook learns about a flow run."""

    flow_run_id: str
    flow_run_name: str
    flow_name: str
    parameters: Mapping[str, Any]
    tags: tuple[str, ...] = ()
    flow_version: str | None = None
    parent_flow_run_id: str | None = None
    parent_tracking_run_id: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LapsedRun:
    """A flow run a reader found without a heartbeat past its lease, and ended (CRASHED, or CANCELLED when
    it was cancelling) on its process's behalf."""

    flow_run_id: str
    state_type: StateType
    tracking_run_id: str | None
    ended_ms: int


class OrchestrationHooks:
    """Base class of lifecycle hooks; every method defaults to doing nothing."""

    def flow_run_started(self, info: FlowRunInfo) -> str | None:
        """Called before the flow body runs; may return the id of a tracked run linked to this flow run."""
        return None

    def flow_run_finished(self, info: FlowRunInfo, state: State) -> None:
        """Called once the flow run's final state is known."""

    def capture_task_context(self) -> object:
        """A picklable payload describing the submitting context, taken when a task is submitted."""
        return None

    def task_context(self, payload: object) -> AbstractContextManager[None]:
        """A context the worker enters around the task body, built from the captured payload."""
        return nullcontext()

    def flow_runs_lapsed(self, database_uri: str, runs: Sequence[LapsedRun]) -> None:
        """Called by a SQL store (in whichever process reads) after it ended ``runs`` for want of a heartbeat;
        ``database_uri`` is that store's database."""


def report_lapsed(database_uri: str, runs: Sequence[LapsedRun]) -> None:
    """Tell every hook; a hook that fails is logged, never raised into the read that found the runs."""
    for hook in _registered:
        try:
            hook.flow_runs_lapsed(database_uri, runs)
        except Exception:  # a reader must get its answer whatever a hook does
            logging.getLogger(__name__).exception("hook %r failed on lapsed flow runs", hook)


_registered: list[OrchestrationHooks] = []

# (hook, payload) pairs: the hooks travel with their payloads so a fresh worker process gets them too.
TaskContextPayload = tuple[tuple[OrchestrationHooks, object], ...]


def register_hooks(hooks: OrchestrationHooks) -> None:
    """Install ``hooks``; registering another instance of the same class replaces the earlier one."""
    _registered[:] = [h for h in _registered if type(h) is not type(hooks)]
    _registered.append(hooks)


def unregister_hooks(hooks: OrchestrationHooks) -> None:
    _registered[:] = [h for h in _registered if h is not hooks]


def registered_hooks() -> Sequence[OrchestrationHooks]:
    return tuple(_registered)


def capture_task_context() -> TaskContextPayload:
    return tuple((hook, hook.capture_task_context()) for hook in _registered)


@contextmanager
def enter_task_context(payload: TaskContextPayload) -> Iterator[None]:
    if not payload:
        yield
        return
    with ExitStack() as stack:
        for hook, captured in payload:
            if hook not in _registered:  # arrived by pickle in a fresh worker process
                register_hooks(hook)
            stack.enter_context(hook.task_context(captured))
        yield


def run_user_hook(hook: Any, *args: Any) -> None:
    """Call an ``on_completion``/``on_failure``/... hook; its error is logged with the run, never raised.

    The run's state is final already: a broken notification must not turn a finished run into a failure.
    """
    try:
        hook(*args)
    except Exception:
        name = getattr(hook, "__qualname__", repr(hook))
        logging.getLogger("flowtrack.runs").exception("the hook %s raised", name)
