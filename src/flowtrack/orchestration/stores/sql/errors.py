"""The SQL orchestration store's error edge: database exceptions leave as flowtrack errors.

Batches are checked before they reach the database (:mod:`..validation`), so a refusal here means a check is
missing; it still becomes :class:`InvalidArgument` (a value the database refused) rather than a driver error.
Anything else (connection lost, lock timeout, a missing table) is :class:`StoreUnavailable`.
"""

from __future__ import annotations

import functools
import inspect
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import exc as sa_exc

from flowtrack.db.engine import unavailable_message
from flowtrack.exceptions import FlowtrackError, InvalidArgument, StoreUnavailable

C = TypeVar("C", bound=type)

_DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.SQLAlchemyError,
    sqlite3.Error,
    OverflowError,
    UnicodeEncodeError,
)
_REFUSED_VALUE = (
    sa_exc.IntegrityError,
    sa_exc.DataError,
    sqlite3.IntegrityError,
    sqlite3.DataError,
    OverflowError,
    UnicodeEncodeError,
)


def translate(store: Any, exc: BaseException, operation: str) -> FlowtrackError:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).strip()
    detail = text.splitlines()[0] if text else type(orig).__name__
    if isinstance(exc, _REFUSED_VALUE) or isinstance(orig, _REFUSED_VALUE):
        return InvalidArgument(f"{operation}: the database refused a value: {detail}")
    engine = getattr(store, "_engine", None)
    if engine is None:
        return StoreUnavailable(f"{operation}: the orchestration database failed: {detail}")
    return StoreUnavailable(unavailable_message(engine.url, orig, "use"))


def guard_errors(cls: C) -> C:
    """Wrap each public method of ``cls`` so database errors leave as flowtrack errors."""
    for name, member in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_") and name != "__init__":
            continue
        setattr(cls, name, _guarded(member))
    return cls


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except _DATABASE_ERRORS as exc:
            raise translate(self, exc, method.__name__) from exc

    return call
