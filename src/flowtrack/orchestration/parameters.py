"""Binding call arguments to a function's parameters, and checking them against its type hints.

The check is strict and predictable: no coercion except an ``int`` where a ``float`` is expected. Hints it
cannot check (``Any``, protocols, forward references that do not resolve) are accepted as they are.
"""

from __future__ import annotations

import inspect
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any

from flowtrack.orchestration.errors import ParameterValidationError

__all__ = ["ParameterBinder"]

_OK = None


class ParameterBinder:
    """Binds ``(args, kwargs)`` to a parameters dict for one function, checking hints when asked."""

    def __init__(self, fn: Callable[..., Any], owner: str, validate: bool) -> None:
        self.signature = inspect.signature(fn)
        self.owner = owner
        self._hints: dict[str, Any] | None = _resolved_hints(fn) if validate else None
        parameters = self.signature.parameters.values()
        self._plain = all(p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in parameters)
        # the common signature (no *args, **kwargs or keyword-only) binds without inspect's general machinery
        self._simple = all(p.kind is p.POSITIONAL_OR_KEYWORD for p in parameters)
        self._names = tuple(self.signature.parameters)
        self._defaults = tuple((p.name, p.default) for p in parameters if p.default is not p.empty)

    def bind(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        parameters = self._bind_simple(args, kwargs) if self._simple else None
        if parameters is None:
            parameters = self._bind_general(args, kwargs)
        if self._hints:
            self.validate(parameters)
        return parameters

    def _bind_simple(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any] | None:
        """None when the call is anything but plainly right, so the general path words the error."""
        names = self._names
        if len(args) > len(names):
            return None
        parameters = dict(zip(names, args, strict=False))
        for name, value in kwargs.items():
            if name in parameters or name not in names:
                return None
            parameters[name] = value
        for name, default in self._defaults:
            parameters.setdefault(name, default)
        return parameters if len(parameters) == len(names) else None

    def _bind_general(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> dict[str, Any]:
        try:
            bound = self.signature.bind(*args, **kwargs)
        except TypeError as exc:
            raise ParameterValidationError(f"{self.owner}: {exc}") from None
        bound.apply_defaults()
        return dict(bound.arguments)

    def call_args(self, parameters: Mapping[str, Any]) -> tuple[tuple[Any, ...], dict[str, Any]]:
        """Positional and keyword arguments that call the function with ``parameters``."""
        if self._plain:
            return (), dict(parameters)
        bound = inspect.BoundArguments(self.signature, dict(parameters))
        return bound.args, bound.kwargs

    def validate(self, parameters: Mapping[str, Any]) -> None:
        assert self._hints is not None
        for name, value in parameters.items():
            hint = self._hints.get(name)
            if hint is None:
                continue
            kind = self.signature.parameters[name].kind
            if kind is inspect.Parameter.VAR_POSITIONAL:
                problems = [p for v in value if (p := _mismatch(hint, v)) is not None]
            elif kind is inspect.Parameter.VAR_KEYWORD:
                problems = [p for v in value.values() if (p := _mismatch(hint, v)) is not None]
            else:
                problem = _mismatch(hint, value)
                problems = [] if problem is None else [problem]
            if problems:
                raise ParameterValidationError(f"{self.owner}: parameter {name!r} {problems[0]}", field=name)


def _resolved_hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        hints = typing.get_type_hints(fn)
    except Exception:  # noqa: BLE001 - an unresolvable annotation means "do not check", not a failure
        return {}
    hints.pop("return", None)
    return hints


def _mismatch(hint: Any, value: Any) -> str | None:
    """None when ``value`` fits ``hint``, else a description of the mismatch."""
    if hint is Any or hint is object:
        return _OK
    origin = typing.get_origin(hint)
    if origin is typing.Union or origin is types.UnionType:
        options = typing.get_args(hint)
        if any(_mismatch(option, value) is None for option in options):
            return _OK
        return _expected(hint, value)
    if origin is typing.Literal:
        return _OK if value in typing.get_args(hint) else _expected(hint, value)
    if hint is None or hint is type(None):
        return _OK if value is None else _expected(hint, value)
    if origin is not None:
        return _generic_mismatch(hint, origin, value)
    if not isinstance(hint, type):
        return _OK  # TypeVar, NewType, string annotations: not checked
    return _OK if _instance_of(value, hint) else _expected(hint, value)


def _instance_of(value: Any, hint: type) -> bool:
    if hint is float:
        return isinstance(value, int | float) and not isinstance(value, bool)
    if hint is int:
        return isinstance(value, int) and not isinstance(value, bool)
    try:
        return isinstance(value, hint)
    except TypeError:  # protocols without runtime_checkable and the like
        return True


def _generic_mismatch(hint: Any, origin: Any, value: Any) -> str | None:
    if not isinstance(origin, type):
        return _OK
    if not _instance_of(value, origin):
        return _expected(hint, value)
    args = typing.get_args(hint)
    if not args:
        return _OK
    if issubclass(origin, Mapping):
        key_hint, value_hint = args if len(args) == 2 else (Any, Any)
        for key, item in value.items():
            if _mismatch(key_hint, key) is not None or _mismatch(value_hint, item) is not None:
                return f"expected {_name(hint)}, got an entry {key!r}: {item!r}"
        return _OK
    if origin is tuple and args[-1] is not Ellipsis:
        if len(args) != len(value):
            return f"expected {_name(hint)}, got {len(value)} items"
        pairs = list(zip(args, value, strict=True))
    elif isinstance(value, list | tuple | set | frozenset):
        pairs = [(args[0], item) for item in value]
    else:
        return _OK
    for position, (item_hint, item) in enumerate(pairs):
        if _mismatch(item_hint, item) is not None:
            return f"expected {_name(hint)}, got item {position} = {item!r} ({type(item).__name__})"
    return _OK


def _expected(hint: Any, value: Any) -> str:
    shown = repr(value)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return f"expected {_name(hint)}, got {type(value).__name__} {shown}"


def _name(hint: Any) -> str:
    if isinstance(hint, type) and typing.get_origin(hint) is None:
        return hint.__name__
    return str(hint).replace("typing.", "")
