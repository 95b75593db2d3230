"""Errors the orchestration engine raises on purpose."""

from __future__ import annotations

from flowtrack.exceptions import FlowtrackError, InvalidArgument


class ParameterValidationError(InvalidArgument, TypeError):
    """A flow or task was called with arguments that do not match its signature or type hints."""


class RunTimeout(FlowtrackError, TimeoutError):
    """A flow or task run exceeded its ``timeout_seconds``."""


class UpstreamFailed(FlowtrackError):
    """A task did not run because a task it depends on did not complete."""


class MissingFlowRun(FlowtrackError, RuntimeError):
    """The call needs a running flow (``submit``, ``map``, ``get_run_logger`` outside any run)."""


class FlowRunCancelled(BaseException):
    """The flow run was cancelled from outside (``flowtrack flow-runs cancel``); raised where work starts.

    A BaseException, like KeyboardInterrupt, so an ``except Exception`` in user code does not swallow it.
    Also raised inside a running body (by class, so without arguments) when it is interrupted.
    """

    def __init__(self, *args: object) -> None:
        super().__init__(*(args or ("the flow run was cancelled while this was running",)))
