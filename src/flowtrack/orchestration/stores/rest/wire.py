"""The JSON form of orchestration records, shared by the REST store and the server's ``/api/v1`` routes.

A record is an object with the dataclass's field names; enums are their values, tuples are arrays. Decoding
checks the shape (an object, known fields, the required ones present) and leaves the values to the store's
own checks (:mod:`..validation`), so both transports refuse the same input with the same field names.
Parameters JSON cannot hold travel as their ``repr``, as the SQL store keeps them.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Mapping
from typing import Any, TypeVar

import orjson

from flowtrack.exceptions import InvalidArgument
from flowtrack.orchestration.entities import (
    FlowRecord,
    FlowRunFilter,
    FlowRunRecord,
    FlowSummary,
    LogRecord,
    RunKind,
    StateRecord,
    StateType,
    TaskEdge,
    TaskRunRecord,
    WriteBatch,
)

R = TypeVar("R")
REPR_LIMIT = 1000
MAX_BATCH_BYTES = 64 * 2**20  # the server refuses bigger bodies; the client splits a batch that would be
BATCH_FIELDS: dict[str, type[Any]] = {
    "flows": FlowRecord,
    "flow_runs": FlowRunRecord,
    "task_runs": TaskRunRecord,
    "states": StateRecord,
    "edges": TaskEdge,
    "logs": LogRecord,
}
_ENUMS: dict[str, type[enum.Enum]] = {"state_type": StateType, "type": StateType, "run_kind": RunKind}
_TUPLES = frozenset({"tags", "upstream_task_run_ids"})


def encode(payload: Any) -> bytes:
    return orjson.dumps(payload, default=_fallback, option=orjson.OPT_NON_STR_KEYS)


def decode(body: bytes, what: str = "request body") -> Any:
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise InvalidArgument(f"the {what} is not valid JSON: {exc}", field=what) from exc


def _fallback(value: Any) -> Any:
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    text = repr(value)
    return text if len(text) <= REPR_LIMIT else text[:REPR_LIMIT] + "..."


# -- records -------------------------------------------------------------------------------------------------
def to_json(record: Any) -> dict[str, Any]:
    """A record as a JSON-ready dict (a shallow walk: enums to values, tuples to lists)."""
    out: dict[str, Any] = {}
    for name in _field_names(type(record)):
        value = getattr(record, name)
        if isinstance(value, enum.Enum):
            value = value.value
        elif isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, Mapping):
            value = dict(value)
        out[name] = value
    return out


def from_json(cls: type[R], data: Any, where: str) -> R:
    """A record of ``cls`` from a decoded JSON object; InvalidArgument naming ``where`` for a wrong shape."""
    if not isinstance(data, dict):
        raise InvalidArgument(f"{where} must be an object, got {type(data).__name__}", field=where)
    names, required = _field_names(cls), _required(cls)
    unknown = [key for key in data if key not in names]
    if unknown:
        raise InvalidArgument(f"{where} has unknown field {unknown[0]!r}", field=f"{where}.{unknown[0]}")
    missing = [name for name in required if name not in data]
    if missing:
        raise InvalidArgument(f"{where} lacks the field {missing[0]!r}", field=f"{where}.{missing[0]}")
    values = {key: _value(key, value) for key, value in data.items()}
    return cls(**values)


def _value(name: str, value: Any) -> Any:
    enum_type = _ENUMS.get(name)
    if enum_type is not None and isinstance(value, str):
        try:
            return enum_type(value)
        except ValueError:
            return value  # the store's check names the field and the allowed values
    if name in _TUPLES and isinstance(value, list):
        return tuple(value)
    return value


_FIELDS: dict[type[Any], tuple[tuple[str, ...], tuple[str, ...]]] = {}


def _field_names(cls: type[Any]) -> tuple[str, ...]:
    return _fields(cls)[0]


def _required(cls: type[Any]) -> tuple[str, ...]:
    return _fields(cls)[1]


def _fields(cls: type[Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(every field, the fields without a default) of a record class, computed once per class."""
    found = _FIELDS.get(cls)
    if found is None:
        fields = dataclasses.fields(cls)
        required = tuple(
            f.name
            for f in fields
            if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
        )
        found = _FIELDS[cls] = (tuple(f.name for f in fields), required)
    return found


def summary_to_json(summary: FlowSummary) -> dict[str, Any]:
    latest = summary.latest_run
    return {
        "flow": to_json(summary.flow),
        "latest_run": None if latest is None else to_json(latest),
        "run_count": summary.run_count,
    }


def summary_from_json(data: Any, where: str) -> FlowSummary:
    if not isinstance(data, dict) or set(data) != {"flow", "latest_run", "run_count"}:
        raise InvalidArgument(f"{where} must be an object of flow, latest_run and run_count", field=where)
    latest = data["latest_run"]
    run = None if latest is None else from_json(FlowRunRecord, latest, f"{where}.latest_run")
    count = data["run_count"]
    if not isinstance(count, int) or isinstance(count, bool):
        raise InvalidArgument(f"{where}.run_count must be an integer", field=f"{where}.run_count")
    return FlowSummary(from_json(FlowRecord, data["flow"], f"{where}.flow"), run, count)


# -- batches and filters -------------------------------------------------------------------------------------
def batch_to_json(batch: WriteBatch) -> dict[str, Any]:
    return {name: [to_json(record) for record in getattr(batch, name)] for name in BATCH_FIELDS}


def batch_from_json(data: Any) -> WriteBatch:
    if not isinstance(data, dict):
        raise InvalidArgument("the batch must be an object", field="batch")
    unknown = [key for key in data if key not in BATCH_FIELDS]
    if unknown:
        raise InvalidArgument(f"the batch has unknown field {unknown[0]!r}", field=unknown[0])
    lists: dict[str, list[Any]] = {}
    for name, cls in BATCH_FIELDS.items():
        items = data.get(name, [])
        if not isinstance(items, list):
            raise InvalidArgument(f"{name} must be an array", field=name)
        lists[name] = [from_json(cls, item, f"{name}[{index}]") for index, item in enumerate(items)]
    return WriteBatch(**lists)


def filter_to_json(run_filter: FlowRunFilter) -> dict[str, Any]:
    return to_json(run_filter)


def filter_from_json(data: Any) -> FlowRunFilter:
    decoded = from_json(FlowRunFilter, data, "filter")
    return dataclasses.replace(
        decoded,
        flow_names=_as_tuple(decoded.flow_names, "flow_names"),
        state_types=_as_tuple(decoded.state_types, "state_types"),
        tags_all=_as_tuple(decoded.tags_all, "tags_all"),
    )


def _as_tuple(value: Any, field: str) -> tuple[Any, ...]:
    if isinstance(value, tuple):
        return value
    if isinstance(value, list):
        return tuple(value)
    raise InvalidArgument(f"{field} must be an array", field=field)


def split(batch: WriteBatch) -> tuple[WriteBatch, WriteBatch]:
    """Two halves of a batch too big for one request (each list cut in two, order kept)."""
    first, second = WriteBatch(), WriteBatch()
    for name in BATCH_FIELDS:
        items = getattr(batch, name)
        middle = (len(items) + 1) // 2
        setattr(first, name, items[:middle])
        setattr(second, name, items[middle:])
    return first, second
