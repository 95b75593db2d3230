"""Cache policies: how a task run's cache key is made. Combine them with ``+``.

``INPUTS`` hashes the call's arguments, ``TASK_SOURCE`` the task's source code, ``NO_CACHE`` (also ``NONE``)
turns caching off. Every key is namespaced by the task's key (module and qualified name), so two tasks
called with the same arguments do not share results; a ``cache_key_fn`` key is used as given.
"""

from __future__ import annotations

import hashlib
import inspect
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["INPUTS", "NONE", "NO_CACHE", "TASK_SOURCE", "CacheContext", "CachePolicy", "cache_key"]


@dataclass(frozen=True, slots=True)
class CacheContext:
    """What a cache key may depend on; ``cache_key_fn(context, parameters)`` receives it."""

    task_key: str
    task_name: str
    fn: Callable[..., Any]
    parameters: Mapping[str, Any]


class CachePolicy:
    """A part of a cache key; ``key`` returns None when the policy contributes nothing."""

    def key(self, context: CacheContext) -> str | None:
        raise NotImplementedError

    def __add__(self, other: CachePolicy) -> CachePolicy:
        parts = [*_parts(self), *_parts(other)]
        return parts[0] if len(parts) == 1 else CompoundPolicy(tuple(parts))


def _parts(policy: CachePolicy) -> tuple[CachePolicy, ...]:
    if isinstance(policy, CompoundPolicy):
        return policy.policies
    if isinstance(policy, NoCache):
        return ()
    return (policy,)


@dataclass(frozen=True, slots=True)
class CompoundPolicy(CachePolicy):
    policies: tuple[CachePolicy, ...]

    def key(self, context: CacheContext) -> str | None:
        keys = [part.key(context) for part in self.policies]
        if any(k is None for k in keys):
            return None
        return _digest("+".join(k for k in keys if k is not None))

    def __repr__(self) -> str:
        return " + ".join(repr(p) for p in self.policies)


class Inputs(CachePolicy):
    def key(self, context: CacheContext) -> str | None:
        return _digest(_stable_bytes(dict(context.parameters)))

    def __repr__(self) -> str:
        return "INPUTS"


class TaskSource(CachePolicy):
    def key(self, context: CacheContext) -> str | None:
        try:
            source = inspect.getsource(context.fn).encode()
        except (OSError, TypeError):
            source = context.fn.__code__.co_code  # no source file (e.g. defined in a REPL)
        return _digest(source)

    def __repr__(self) -> str:
        return "TASK_SOURCE"


class NoCache(CachePolicy):
    def key(self, context: CacheContext) -> str | None:
        return None

    def __repr__(self) -> str:
        return "NO_CACHE"


INPUTS: CachePolicy = Inputs()
TASK_SOURCE: CachePolicy = TaskSource()
NO_CACHE: CachePolicy = NoCache()
NONE = NO_CACHE

CacheKeyFn = Callable[[CacheContext, Mapping[str, Any]], str | None]


def cache_key(policy: CachePolicy | None, key_fn: CacheKeyFn | None, context: CacheContext) -> str | None:
    """The cache key of a call, or None when the call is not cached."""
    if key_fn is not None:
        custom = key_fn(context, context.parameters)
        return None if custom is None else _safe_name(str(custom))
    if policy is None:
        return None
    key = policy.key(context)
    return None if key is None else _digest(f"{context.task_key}:{key}")


def _stable_bytes(value: Any) -> bytes:
    """Equal values give equal bytes in any process: JSON when it can, else a pickle of the value."""
    try:
        return json.dumps(value, sort_keys=True, default=_reject).encode()
    except (TypeError, ValueError):
        from flowtrack.orchestration.results import pickle_dumps

        return pickle_dumps(value)


def _reject(value: Any) -> Any:
    raise TypeError(type(value).__name__)


def _digest(data: str | bytes) -> str:
    return hashlib.sha256(data.encode() if isinstance(data, str) else data).hexdigest()


def _safe_name(key: str) -> str:
    """A user's key as a file name: kept when it is plain, hashed when it holds path characters."""
    if key and all(c.isalnum() or c in "-_." for c in key) and not key.startswith("."):
        return key
    return _digest(key)
