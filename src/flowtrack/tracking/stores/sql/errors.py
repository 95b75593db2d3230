"""The SQL store's error edge: no SQLAlchemy or database driver exception ever reaches a caller.

Callers check input before it reaches a store (:mod:`flowtrack.tracking.validation`), so a database refusing
a value means a check is missing somewhere; the refusal still becomes a flowtrack error, the same on every
database:

* an integrity violation is :class:`AlreadyExists` for a duplicate key (unique or primary key) and
  :class:`InvalidArgument` otherwise (NOT NULL, foreign key, check), naming the column or constraint when the
  database says which;
* a data error (a value too long or out of range, a NUL character on PostgreSQL, text no driver can encode,
  an integer SQLite cannot hold) is :class:`InvalidArgument`;
* anything else (connection lost or refused, server gone, lock timeout, a missing table, a pool exhausted)
  is :class:`StoreUnavailable`, saying what to check.

:func:`guard_errors` applies this to every public method of a store class, mixins included.
"""

from __future__ import annotations

import functools
import inspect
import re
import sqlite3
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, make_url

from flowtrack.db.engine import unavailable_message
from flowtrack.exceptions import AlreadyExists, FlowtrackError, InvalidArgument, StoreUnavailable

C = TypeVar("C", bound=type)

# What a store call may raise from the database layer; flowtrack's own errors pass through untouched.
DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    sa_exc.SQLAlchemyError,
    sqlite3.Error,
    OverflowError,  # sqlite3: an integer beyond 64 bits
    UnicodeEncodeError,  # every driver: a lone surrogate
)
_PG_UNIQUE_VIOLATION = "23505"
_MYSQL_DUPLICATE_ENTRY = 1062
_MYSQL_COLUMN = re.compile(r"column '([^']+)'")
_MYSQL_KEY = re.compile(r"for key '([^']+)'")
_SQLITE_CONSTRAINT = re.compile(r"constraint failed: ([\w.]+)")


def translate(exc: BaseException, url: URL | None, operation: str) -> FlowtrackError:
    """The flowtrack error for ``exc``, raised by the database while the store ran ``operation``."""
    orig = getattr(exc, "orig", None) or exc
    detail = _first_line(orig)
    if isinstance(exc, sa_exc.IntegrityError | sqlite3.IntegrityError):
        what = _refused_column(orig)
        if _is_duplicate(orig):
            return AlreadyExists(f"{operation}: {what or 'the object'} exists already ({detail})")
        return InvalidArgument(f"{operation}: the database refused {what or 'a value'}: {detail}", field=what)
    data_error = sa_exc.DataError | sqlite3.DataError | OverflowError | UnicodeEncodeError
    if isinstance(exc, data_error) or isinstance(orig, data_error) or _is_binding_error(orig):
        what = _refused_column(orig)
        return InvalidArgument(f"{operation}: the database refused {what or 'a value'}: {detail}", field=what)
    if url is None:
        return StoreUnavailable(f"{operation}: the tracking database failed: {detail}")
    return StoreUnavailable(unavailable_message(url, orig, "use"))


def guard_errors(cls: C) -> C:
    """Wrap each public method of ``cls`` (and ``__init__``) so database errors leave as flowtrack errors."""
    for name, member in inspect.getmembers(cls, inspect.isfunction):
        if name.startswith("_") and name != "__init__":
            continue
        if isinstance(inspect.getattr_static(cls, name), staticmethod | classmethod):
            continue
        setattr(cls, name, _guarded(member))
    return cls


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    if getattr(method, "__guarded__", False):
        return method

    @functools.wraps(method)
    def call(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except DATABASE_ERRORS as exc:
            raise translate(exc, _url_of(self), method.__name__) from exc

    call.__guarded__ = True  # type: ignore[attr-defined]
    return call


def _url_of(store: Any) -> URL | None:
    engine = getattr(store, "_engine", None)
    if engine is not None:
        return engine.url  # type: ignore[no-any-return]
    uri = getattr(store, "uri", None)
    try:
        return make_url(uri) if isinstance(uri, str) else None
    except sa_exc.ArgumentError:
        return None


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _is_duplicate(orig: BaseException) -> bool:
    if getattr(orig, "sqlstate", None) == _PG_UNIQUE_VIOLATION:
        return True
    args = getattr(orig, "args", ())
    if args and args[0] == _MYSQL_DUPLICATE_ENTRY:
        return True
    name = getattr(orig, "sqlite_errorname", "")
    return name in ("SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY") or "UNIQUE constraint" in str(
        orig
    )


def _is_binding_error(orig: BaseException) -> bool:
    """sqlite3's refusal of a parameter of a type it cannot store."""
    return isinstance(orig, sqlite3.ProgrammingError | sqlite3.InterfaceError) and "binding parameter" in str(
        orig
    )


def _refused_column(orig: BaseException) -> str | None:
    """The column (or constraint) the database names in its error, if it names one."""
    diag = getattr(orig, "diag", None)  # psycopg
    if diag is not None:
        return getattr(diag, "column_name", None) or getattr(diag, "constraint_name", None)
    text = str(orig)
    for pattern in (_MYSQL_COLUMN, _MYSQL_KEY, _SQLITE_CONSTRAINT):
        if found := pattern.search(text):
            return found.group(1)
    return None
