"""Run an endpoint's store calls on the event loop or in the thread pool, whichever is cheaper for its store.

FastAPI runs a plain ``def`` endpoint in the thread pool. On a loaded machine the two thread switches of that
hop cost milliseconds, far more than an embedded SQLite write, which the store serializes anyway.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

from starlette.concurrency import run_in_threadpool

from flowtrack.server.services.base import StoreService

P = ParamSpec("P")
R = TypeVar("R")


def store_call(endpoint: Callable[P, R]) -> Callable[P, Coroutine[Any, Any, R]]:
    """Make a sync endpoint async: inline when every service it is given is inline, else in the pool.

    ``functools.wraps`` keeps the endpoint's signature, so FastAPI still reads its parameters from it.
    """

    @functools.wraps(endpoint)
    async def call(*args: P.args, **kwargs: P.kwargs) -> R:
        services = [value for value in kwargs.values() if isinstance(value, StoreService)]
        if services and all(service.inline for service in services):
            return endpoint(*args, **kwargs)
        return await run_in_threadpool(endpoint, *args, **kwargs)

    return call
