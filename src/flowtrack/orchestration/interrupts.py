"""Stopping bodies that are running: a flow run cancelled from outside, a body past its timeout, a Ctrl-C.

Python cannot kill a thread, but CPython can schedule an exception in one (``PyThreadState_SetAsyncExc``),
raised at the thread's next bytecode boundary. A body looping in Python, or sleeping in short steps, stops
within moments; a body blocked inside one long C call (``time.sleep(600)``, a socket read, one big NumPy
operation) stops only once that call returns to Python. An async body is stopped by cancelling its asyncio
task. Work running elsewhere (a process pool, Dask, Ray) registers a canceller instead: it gives the run up.

Every body registers while it runs, with the *scope* of its flow run (that run's id and its ancestors'), so
stopping a flow run reaches its own thread, its task runs' threads and its subflows. A body that registers
after its flow run was stopped is stopped at once.

A flow body runs the engine's own bookkeeping too (a task or subflow called inline runs in the flow's thread),
and an exception landing there would leave a run half recorded. So the engine marks its code with
:func:`engine_section`: a stop that finds the thread there is held back and raised, as an ordinary exception,
when the thread is back in user code (or stops the next body it enters). A thread never interrupts itself.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from flowtrack.orchestration.errors import FlowRunCancelled

if TYPE_CHECKING:
    import asyncio

__all__ = [
    "AsyncBody",
    "Scope",
    "ThreadBody",
    "TimedOutBody",
    "engine_section",
    "forget_canceller",
    "on_cancel",
    "stop_flow_run",
]

Scope = tuple[str, ...]


class TimedOutBody(BaseException):
    """Raised inside a body past its timeout; a BaseException so ``except Exception`` does not keep it going.

    The run itself ends with :class:`~flowtrack.orchestration.errors.RunTimeout`, raised where it waited.
    """


_lock = threading.Lock()
_bodies: dict[int, _Body] = {}  # registered bodies, oldest first (the outermost body of a thread first)
_cancellers: dict[int, tuple[Scope, Callable[[], None]]] = {}
_stopped: dict[str, type[BaseException]] = {}  # flow runs stopped, and what their late bodies raise
# per thread, what it runs now, innermost last: a body (user code, id of the body) or the engine (None)
_frames: dict[int, list[int | None]] = {}
_held: dict[int, type[BaseException]] = {}  # stops that found their thread in engine code


class _Body:
    """A running body another thread may stop; registered between ``__enter__`` and ``__exit__``."""

    __slots__ = ("owner", "scope", "stopped_by")

    def __init__(self, scope: Scope) -> None:
        self.scope = scope
        self.owner = 0  # the thread or asyncio task running it: one stop per owner reaches every body in it
        self.stopped_by: type[BaseException] | None = None

    def _register(self) -> None:
        with _lock:
            for flow_run_id in self.scope if _stopped else ():
                if flow_run_id in _stopped:
                    raise _stopped[flow_run_id]()
            _bodies[id(self)] = self

    def _unregister(self) -> bool:
        """Leave the registry; whether the body was stopped."""
        with _lock:
            _bodies.pop(id(self), None)
            return self.stopped_by is not None

    def stop(self, error: type[BaseException]) -> bool:
        """Raise ``error`` in the body unless it ended or was stopped already."""
        with _lock:
            if self.stopped_by is not None or _bodies.pop(id(self), None) is None:
                return False
            self.stopped_by = error
            self._deliver(error)  # under the lock: the body cannot end between the check and the delivery
        return True

    def _deliver(self, error: type[BaseException]) -> None:
        raise NotImplementedError


class ThreadBody(_Body):
    """The calling thread's body: ``with ThreadBody(scope): call()``, then :meth:`close` in a ``finally``
    (an exception raised into the body may land in ``__exit__`` before it is done)."""

    __slots__ = ()

    def __enter__(self) -> ThreadBody:
        self.owner = threading.get_ident()
        self._register()
        with _lock:
            _frames.setdefault(self.owner, []).append(id(self))
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Leave the registry and the thread's frames; idempotent."""
        stopped = self._unregister()
        with _lock:
            _pop_frames(self.owner, id(self))
        if stopped:
            # an exception scheduled but not raised yet must not escape into the engine's own code
            _set_async_exc(self.owner, None)

    def _deliver(self, error: type[BaseException]) -> None:
        frames = _frames.get(self.owner)
        if self.owner == threading.get_ident() or not frames or frames[-1] is None:
            _held[self.owner] = error  # raised when the thread is back in user code
        else:
            _set_async_exc(self.owner, error)


@contextmanager
def engine_section() -> Iterator[None]:
    """Mark the engine's own code in this thread: a stop arriving meanwhile is held back, then raised here
    on the way out if the thread returns into a body (user code)."""
    thread = threading.get_ident()
    with _lock:
        frames = _frames.setdefault(thread, [])
        frames.append(None)
        depth = len(frames)
    try:
        yield
    finally:
        with _lock:
            frames = _frames.get(thread, [])
            del frames[depth - 1 :]  # drops any frame a stopped body could not pop
            in_body = bool(frames) and frames[-1] is not None
            # back in a body: raise the held stop there; out of every body: nothing is left to stop
            held = _held.pop(thread, None) if in_body or not frames else None
            if not frames:
                _frames.pop(thread, None)
        if held is not None and in_body:
            raise held()


def _pop_frames(thread: int, body_id: int) -> None:
    """Remove the body's frame (and anything above it) from the thread's frames; under ``_lock``."""
    frames = _frames.get(thread)
    if frames and body_id in frames:
        del frames[frames.index(body_id) :]
        if not frames:
            _frames.pop(thread, None)
            _held.pop(thread, None)


class AsyncBody(_Body):
    """The current asyncio task's body; stopping it cancels the task (see :meth:`error_for`)."""

    __slots__ = ("_loop", "_running", "_task")

    def __init__(self, scope: Scope) -> None:
        super().__init__(scope)
        self._task: asyncio.Task[Any] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running = False

    def __enter__(self) -> AsyncBody:
        import asyncio  # only async bodies need it, and they have it imported already

        self._task = asyncio.current_task()
        self._loop = asyncio.get_running_loop()
        self.owner = id(self._task)
        self._running = True
        self._register()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._running = False  # a cancellation scheduled but not run yet finds the body gone
        self._unregister()

    def _deliver(self, error: type[BaseException]) -> None:
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._cancel_if_running)

    def _cancel_if_running(self) -> None:  # in the loop's thread, like the body
        if self._running and self._task is not None:
            self._task.cancel()

    def error_for(self, error: BaseException) -> BaseException:
        """The error the body ended with, as the run should see it: our cancellation as what stopped it."""
        import asyncio

        if self.stopped_by is None or not isinstance(error, asyncio.CancelledError):
            return error
        if self._task is not None:
            self._task.uncancel()  # the task goes on (the engine records the run); only the body stopped
        return self.stopped_by()


def stop_flow_run(flow_run_id: str, error: type[BaseException] = FlowRunCancelled) -> None:
    """Stop every body running in flow run ``flow_run_id`` or its subflows, and any that starts later."""
    with _lock:
        _stopped.setdefault(flow_run_id, error)
        owners: dict[int, _Body] = {}
        for body in _bodies.values():
            if flow_run_id in body.scope:
                owners.setdefault(body.owner, body)  # the outermost: its exception lands in the innermost
        cancellers = [key for key, (scope, _) in _cancellers.items() if flow_run_id in scope]
        actions = [_cancellers.pop(key)[1] for key in cancellers]
    for body in owners.values():
        body.stop(error)
    for action in actions:
        action()


def on_cancel(scope: Scope, action: Callable[[], None]) -> int:
    """Call ``action`` (once, in the stopping thread) when a flow run of ``scope`` is stopped; a key to
    :func:`forget_canceller`. Already stopped: called at once."""
    with _lock:
        stopped = any(flow_run_id in _stopped for flow_run_id in scope)
        key = id(action)
        if not stopped:
            _cancellers[key] = (scope, action)
    if stopped:
        action()
    return key


def forget_canceller(key: int) -> None:
    with _lock:
        _cancellers.pop(key, None)


def _set_async_exc(thread_id: int, error: type[BaseException] | None) -> None:
    import ctypes  # only when a body is stopped: most processes never need it

    exc = ctypes.py_object() if error is None else ctypes.py_object(error)  # empty: NULL, which clears
    ctypes.pythonapi.PyThreadState_SetAsyncExc(ctypes.c_ulong(thread_id), exc)
