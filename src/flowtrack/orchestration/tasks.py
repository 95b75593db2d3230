"""``@task`` and the Task object: options, and the three ways to run one (call, ``submit``, ``map``)."""

from __future__ import annotations

import asyncio
import contextvars
import inspect
from collections.abc import Callable, Iterable, Sequence
from datetime import timedelta
from typing import Any, Generic, ParamSpec, TypeVar, overload

from flowtrack.exceptions import InvalidArgument
from flowtrack.orchestration.caching import CacheKeyFn, CachePolicy
from flowtrack.orchestration.context import FlowRunContext, flow_run_context, in_event_loop
from flowtrack.orchestration.errors import MissingFlowRun
from flowtrack.orchestration.futures import FutureList, TaskFuture, collect_futures, unmapped
from flowtrack.orchestration.hooks import TaskContextPayload, capture_task_context
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

__all__ = ["Task", "hook_list", "task"]

P = ParamSpec("P")
R = TypeVar("R")

TaskHook = Callable[..., None]


class Task(Generic[P, R]):
    """A function the engine runs as task runs: with states, retries, caching, results and logs."""

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Iterable[str] = (),
        version: str | None = None,
        retries: int = 0,
        retry_delay_seconds: RetryDelay = 0,
        retry_jitter_factor: float | None = None,
        retry_condition_fn: Callable[..., bool] | None = None,
        timeout_seconds: float | None = None,
        cache_policy: CachePolicy | None = None,
        cache_key_fn: CacheKeyFn | None = None,
        cache_expiration: timedelta | float | None = None,
        refresh_cache: bool = False,
        persist_result: bool | None = None,
        result_storage: str | None = None,
        result_serializer: str | ResultSerializer | None = None,
        log_prints: bool = False,
        task_run_name: str | Callable[[], str] | None = None,
        validate_parameters: bool = False,
        on_completion: Sequence[TaskHook] = (),
        on_failure: Sequence[TaskHook] = (),
    ) -> None:
        if not callable(fn):
            raise InvalidArgument("@task needs a function", field="fn")
        _check_options(retries, timeout_seconds, retry_jitter_factor)
        _check_caching(cache_policy, cache_key_fn)
        self.fn = fn
        self.name: str = name or str(getattr(fn, "__name__", "task"))
        self.description = description if description is not None else inspect.getdoc(fn)
        self.tags = tuple(tags)
        self.version = version
        self.task_key = f"{getattr(fn, '__module__', '')}.{getattr(fn, '__qualname__', self.name)}"
        self.is_async = inspect.iscoroutinefunction(fn)
        self.retries = retries
        self.retry_delay_seconds = retry_delay_seconds
        self.retry_delays = retry_delays(retry_delay_seconds, retries)
        self.retry_jitter_factor = retry_jitter_factor
        self.retry_condition_fn = retry_condition_fn
        self.timeout_seconds = timeout_seconds
        self.cache_policy = cache_policy
        self.cache_key_fn = cache_key_fn
        self.cache_expiration = cache_expiration
        self.cache_expiration_ms = _milliseconds(cache_expiration)
        self.refresh_cache = refresh_cache
        self.persist_result = persist_result
        self.result_storage = result_storage
        self.result_serializer = resolve_serializer(result_serializer)
        self.log_prints = log_prints
        self.task_run_name = task_run_name
        self.binder = ParameterBinder(fn, f"task {self.name!r}", validate_parameters)
        self.on_completion = hook_list(on_completion, "on_completion")
        self.on_failure = hook_list(on_failure, "on_failure")
        self._options = {
            "name": name, "description": description, "tags": self.tags, "version": version,
            "retries": retries, "retry_delay_seconds": retry_delay_seconds,
            "retry_jitter_factor": retry_jitter_factor, "retry_condition_fn": retry_condition_fn,
            "timeout_seconds": timeout_seconds, "cache_policy": cache_policy, "cache_key_fn": cache_key_fn,
            "cache_expiration": cache_expiration, "refresh_cache": refresh_cache,
            "persist_result": persist_result, "result_storage": result_storage,
            "result_serializer": result_serializer, "log_prints": log_prints, "task_run_name": task_run_name,
            "validate_parameters": validate_parameters, "on_completion": self.on_completion,
            "on_failure": self.on_failure,
        }  # fmt: skip
        self._cache_store: ResultStore | None = None
        self._result_store: ResultStore | None = None
        if log_prints:
            enable_print_capture()
        self.__doc__ = fn.__doc__
        self.__name__ = self.name
        self.__wrapped__ = fn

    def with_options(self, **changes: Any) -> Task[P, R]:
        """A copy of this task with some options changed."""
        return Task(self.fn, **{**self._options, **changes})

    def run_name(self, parameters: dict[str, Any], dynamic_key: str) -> str:
        template = self.task_run_name
        if template is None:
            return f"{self.name}-{dynamic_key}"
        if callable(template):
            return template()
        try:
            return template.format(**parameters)
        except (KeyError, IndexError) as exc:
            raise InvalidArgument(
                f"task_run_name {template!r} names an unknown parameter {exc}", field="task_run_name"
            ) from None

    def cache_store(self) -> ResultStore:
        if self._cache_store is None:
            uri = self.result_storage or default_result_uri("cache")
            self._cache_store = ResultStore(uri, self.result_serializer)
        return self._cache_store

    def result_store(self) -> ResultStore:
        if self._result_store is None:
            uri = self.result_storage or default_result_uri("results")
            self._result_store = ResultStore(uri, self.result_serializer)
        return self._result_store

    # -- running ----------
    def __call__(
        self, *args: Any, return_state: bool = False, wait_for: Iterable[Any] = (), **kwargs: Any
    ) -> Any:
        """Run now, in this thread; returns the value (or the final State with ``return_state=True``).

        Calling an ``async def`` task returns an awaitable, as calling the function would; inside a sync flow
        (no event loop to await in) it runs to completion and returns the value.
        """
        from flowtrack.orchestration.engine.task_run import TaskRun, run_task_awaiting, run_task_blocking

        with engine_section():  # a cancel arriving in here waits until the run is recorded
            parameters = self.binder.bind(args, kwargs)
            run = TaskRun(self, parameters, flow_run_context.get(), _upstream(parameters, wait_for))
            if self.is_async:
                awaited = _awaited(run_task_awaiting(run), return_state)
                return awaited if in_event_loop() or run.recorder is None else asyncio.run(awaited)
            state = run_task_blocking(run)
        return state if return_state else state.result()

    def submit(self, *args: Any, wait_for: Iterable[Any] = (), **kwargs: Any) -> TaskFuture:
        """Run on the flow's task runner; futures among the arguments are awaited first and recorded."""
        flow = _require_flow("submit")
        with engine_section():
            return self._submit(flow, self.binder.bind(args, kwargs), wait_for)

    def map(self, *args: Any, wait_for: Iterable[Any] = (), **kwargs: Any) -> FutureList:
        """Submit one run per item of the iterable arguments (``unmapped(x)`` passes ``x`` whole)."""
        flow = _require_flow("map")
        calls = _mapped_calls(self.binder.signature, args, kwargs)
        wait_for = list(wait_for)
        payload = capture_task_context()  # one submitting context for the whole map
        with engine_section():
            return FutureList(self._submit(flow, self.binder.bind(a, k), wait_for, payload) for a, k in calls)

    def _submit(
        self,
        flow: FlowRunContext,
        parameters: dict[str, Any],
        wait_for: Iterable[Any],
        payload: TaskContextPayload | None = None,
    ) -> TaskFuture:
        from flowtrack.orchestration.engine.task_run import TaskRun

        if payload is None:
            payload = capture_task_context()
        run = TaskRun(self, parameters, flow, _upstream(parameters, wait_for), payload)
        run.submit_context = contextvars.copy_context()
        assert flow.task_runner is not None
        future = flow.task_runner.submit(run)
        flow.futures.append(future)
        return future

    def __repr__(self) -> str:
        return f"Task(name={self.name!r})"


async def _awaited(coro: Any, return_state: bool) -> Any:
    state: State = await coro
    return state if return_state else state.result()


def _require_flow(what: str) -> FlowRunContext:
    flow = flow_run_context.get()
    if flow is None or flow.task_runner is None:
        raise MissingFlowRun(f"Task.{what}() needs a running flow; call the task directly outside flows")
    return flow


def _upstream(parameters: dict[str, Any], wait_for: Iterable[Any]) -> list[tuple[TaskFuture, str]]:
    found: list[tuple[TaskFuture, str]] = []
    for name, value in parameters.items():
        collect_futures(value, found, name)
    for value in wait_for:
        collect_futures(value, found, "wait_for")
    return found


def _mapped_calls(
    signature: inspect.Signature, args: tuple[Any, ...], kwargs: dict[str, Any]
) -> list[tuple[tuple[Any, ...], dict[str, Any]]]:
    names = list(signature.parameters)
    mapped: dict[str, list[Any]] = {}
    static: dict[str, Any] = {}
    positional = dict(zip(names, args, strict=False))
    for name, value in {**positional, **kwargs}.items():
        if isinstance(value, unmapped):
            static[name] = value.value
        elif isinstance(value, str | bytes | dict | TaskFuture) or not isinstance(value, Iterable):
            static[name] = value
        else:
            mapped[name] = list(value)
    lengths = {name: len(values) for name, values in mapped.items()}
    if len(set(lengths.values())) > 1:
        raise InvalidArgument(f"Task.map needs iterables of one length; got {lengths}", field="map")
    count = next(iter(lengths.values()), 0)
    return [((), {**static, **{name: values[i] for name, values in mapped.items()}}) for i in range(count)]


def _check_options(retries: int, timeout_seconds: float | None, jitter: float | None) -> None:
    if retries < 0:
        raise InvalidArgument("retries must be >= 0", field="retries")
    if timeout_seconds is not None and timeout_seconds <= 0:
        raise InvalidArgument("timeout_seconds must be > 0", field="timeout_seconds")
    if jitter is not None and jitter < 0:
        raise InvalidArgument("retry_jitter_factor must be >= 0", field="retry_jitter_factor")


def _check_caching(policy: object, key_fn: object) -> None:
    if policy is not None and not isinstance(policy, CachePolicy):
        raise InvalidArgument(
            f"cache_policy must be a CachePolicy such as flowtrack.INPUTS (not a name); got {policy!r}",
            field="cache_policy",
        )
    if key_fn is not None and not callable(key_fn):
        raise InvalidArgument(
            f"cache_key_fn must be a function (context, parameters) -> key; got {key_fn!r}",
            field="cache_key_fn",
        )


def _milliseconds(value: object) -> int | None:
    if value is None:
        return None
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif isinstance(value, int | float) and not isinstance(value, bool):
        seconds = float(value)
    else:
        raise InvalidArgument(
            f"cache_expiration must be seconds or a timedelta; got {value!r}", field="cache_expiration"
        )
    if seconds <= 0:
        raise InvalidArgument("cache_expiration must be positive", field="cache_expiration")
    return int(seconds * 1000)


def hook_list(hooks: object, field: str) -> tuple[Callable[..., None], ...]:
    """A hook option as a tuple of callables; raises InvalidArgument naming ``field`` for anything else."""
    given = tuple(hooks) if isinstance(hooks, Iterable) and not isinstance(hooks, str | bytes) else None
    if given is None or not all(callable(hook) for hook in given):
        raise InvalidArgument(f"{field} must be a list of functions; got {hooks!r}", field=field)
    return given


@overload
def task(fn: Callable[P, R], /) -> Task[P, R]: ...


@overload
def task(*, name: str | None = None, **options: Any) -> Callable[[Callable[P, R]], Task[P, R]]: ...


def task(
    fn: Callable[P, R] | None = None, /, **options: Any
) -> Task[P, R] | Callable[[Callable[P, R]], Task[P, R]]:
    """Make a function a task: ``@task`` or ``@task(retries=2, cache_policy=INPUTS, ...)``."""
    if fn is not None:
        return Task(fn, **options)

    def decorate(function: Callable[P, R]) -> Task[P, R]:
        return Task(function, **options)

    return decorate
