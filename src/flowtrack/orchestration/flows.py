"""``@flow`` and the Flow object. Calling a flow runs it (a flow called inside a flow is a subflow)."""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Iterable, Sequence
from typing import Any, Generic, ParamSpec, TypeVar, overload

from flowtrack._internal.ids import random_run_name
from flowtrack.exceptions import InvalidArgument
from flowtrack.orchestration.context import in_event_loop
from flowtrack.orchestration.interrupts import engine_section
from flowtrack.orchestration.parameters import ParameterBinder
from flowtrack.orchestration.results import (
    ResultSerializer,
    ResultStore,
    default_result_uri,
    resolve_serializer,
)
from flowtrack.orchestration.retries import RetryDelay, retry_delays
from flowtrack.orchestration.run_logging import enable_print_capture
from flowtrack.orchestration.states import State
from flowtrack.orchestration.task_runners.base import TaskRunner
from flowtrack.orchestration.task_runners.threads import ThreadPoolTaskRunner
from flowtrack.orchestration.tasks import hook_list

__all__ = ["Flow", "flow"]

P = ParamSpec("P")
R = TypeVar("R")

FlowHook = Callable[..., None]


class Flow(Generic[P, R]):
    """A function the engine runs as flow runs. Unknown options (``experiment=...``) reach lifecycle hooks."""

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        version: str | None = None,
        flow_run_name: str | Callable[[], str] | None = None,
        retries: int = 0,
        retry_delay_seconds: RetryDelay = 0,
        retry_jitter_factor: float | None = None,
        timeout_seconds: float | None = None,
        validate_parameters: bool = True,
        task_runner: TaskRunner | None = None,
        log_prints: bool = False,
        persist_result: bool | None = None,
        result_storage: str | None = None,
        result_serializer: str | ResultSerializer | None = None,
        tags: Iterable[str] = (),
        on_completion: Sequence[FlowHook] = (),
        on_failure: Sequence[FlowHook] = (),
        on_cancellation: Sequence[FlowHook] = (),
        on_crashed: Sequence[FlowHook] = (),
        **extra_options: Any,
    ) -> None:
        if not callable(fn):
            raise InvalidArgument("@flow needs a function", field="fn")
        if retries < 0:
            raise InvalidArgument("retries must be >= 0", field="retries")
        if timeout_seconds is not None and timeout_seconds <= 0:
            raise InvalidArgument("timeout_seconds must be > 0", field="timeout_seconds")
        self.fn = fn
        self.name: str = name or str(getattr(fn, "__name__", "flow"))
        self.description = description if description is not None else inspect.getdoc(fn)
        self.version = version
        self.flow_run_name = flow_run_name
        self.retries = retries
        self.retry_delays = retry_delays(retry_delay_seconds, retries)
        self.retry_jitter_factor = retry_jitter_factor
        self.timeout_seconds = timeout_seconds
        self.task_runner = task_runner or ThreadPoolTaskRunner()
        self.log_prints = log_prints
        self.persist_result = persist_result
        self.result_storage = result_storage
        self.result_serializer = resolve_serializer(result_serializer)
        self.tags = tuple(tags)
        self.is_async = inspect.iscoroutinefunction(fn)
        self.binder = ParameterBinder(fn, f"flow {self.name!r}", validate_parameters)
        self.on_completion = hook_list(on_completion, "on_completion")
        self.on_failure = hook_list(on_failure, "on_failure")
        self.on_cancellation = hook_list(on_cancellation, "on_cancellation")
        self.on_crashed = hook_list(on_crashed, "on_crashed")
        self.extra_options = dict(extra_options)
        self._options = {
            "name": name, "description": description, "version": version, "flow_run_name": flow_run_name,
            "retries": retries, "retry_delay_seconds": retry_delay_seconds,
            "retry_jitter_factor": retry_jitter_factor, "timeout_seconds": timeout_seconds,
            "validate_parameters": validate_parameters, "task_runner": task_runner, "log_prints": log_prints,
            "persist_result": persist_result, "result_storage": result_storage,
            "result_serializer": result_serializer,
            "tags": self.tags, "on_completion": self.on_completion, "on_failure": self.on_failure,
            "on_cancellation": self.on_cancellation, "on_crashed": self.on_crashed, **extra_options,
        }  # fmt: skip
        if log_prints:
            enable_print_capture()
        self.__doc__ = fn.__doc__
        self.__name__ = self.name
        self.__wrapped__ = fn

    def with_options(self, **changes: Any) -> Flow[P, R]:
        return Flow(self.fn, **{**self._options, **changes})

    def run_name(self, parameters: dict[str, Any]) -> str:
        template = self.flow_run_name
        if template is None:
            return random_run_name()
        if callable(template):
            return template()
        try:
            return template.format(**parameters)
        except (KeyError, IndexError) as exc:
            raise InvalidArgument(
                f"flow_run_name {template!r} names an unknown parameter {exc}", field="flow_run_name"
            ) from None

    def result_store(self) -> ResultStore:
        uri = self.result_storage or default_result_uri("results")
        return ResultStore(uri, self.result_serializer)

    def hooks_for(self, state: State) -> tuple[FlowHook, ...]:
        if state.is_completed():
            return self.on_completion
        if state.is_cancelled():
            return self.on_cancellation
        if state.is_crashed():
            return self.on_crashed
        return self.on_failure

    def __call__(self, *args: Any, return_state: bool = False, **kwargs: Any) -> Any:
        """Run the flow; returns its value (or its final State with ``return_state=True``).

        Arguments are checked against the type hints first (``validate_parameters``); a mismatch raises
        ParameterValidationError naming the parameter, and no run is recorded. Calling an ``async def`` flow
        returns an awaitable (an async subflow of a sync flow runs to completion instead).
        """
        from flowtrack.orchestration.engine.core import drive
        from flowtrack.orchestration.engine.flow_run import FlowRun

        with engine_section():  # a cancel arriving in here waits until the run is recorded
            run = FlowRun(self, self.binder.bind(args, kwargs))
            if self.is_async:
                awaited = self._acall(run, return_state)
                return awaited if run.parent is None or in_event_loop() else asyncio.run(awaited)
            call_args, call_kwargs = self.binder.call_args(run.parameters)

            def body() -> Any:
                value = self.fn(*call_args, **call_kwargs)
                run.wait_for_submitted()
                return value

            state = drive(run.steps(), body, self.timeout_seconds, run.scope)
        return state if return_state else state.result()

    async def _acall(self, run: Any, return_state: bool) -> Any:
        from flowtrack.orchestration.engine.core import adrive

        call_args, call_kwargs = self.binder.call_args(run.parameters)

        async def body() -> Any:
            value = await self.fn(*call_args, **call_kwargs)  # type: ignore[misc]
            run.wait_for_submitted()
            return value

        state = await adrive(run.steps(), body, self.timeout_seconds, run.scope)
        return state if return_state else state.result()

    def __repr__(self) -> str:
        return f"Flow(name={self.name!r})"


@overload
def flow(fn: Callable[P, R], /) -> Flow[P, R]: ...


@overload
def flow(*, name: str | None = None, **options: Any) -> Callable[[Callable[P, R]], Flow[P, R]]: ...


def flow(
    fn: Callable[P, R] | None = None, /, **options: Any
) -> Flow[P, R] | Callable[[Callable[P, R]], Flow[P, R]]:
    """Make a function a flow: ``@flow`` or ``@flow(name=..., retries=..., experiment=...)``."""
    if fn is not None:
        return Flow(fn, **options)

    def decorate(function: Callable[P, R]) -> Flow[P, R]:
        return Flow(function, **options)

    return decorate
