"""Checks on what a store is asked to write, before anything is written.

A batch is refused whole, with an :class:`InvalidArgument` naming the first bad field, so a rejected batch
writes nothing. Limits match the column sizes of the SQL tables.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flowtrack.exceptions import InvalidArgument
from flowtrack.orchestration.entities import (
    FlowRecord,
    FlowRunRecord,
    LogRecord,
    RunKind,
    StateRecord,
    StateType,
    TaskEdge,
    TaskRunRecord,
    WriteBatch,
)

ID_LENGTH = 36
NAME_LENGTH = 250
KEY_LENGTH = 500
STATE_NAME_LENGTH = 64
DYNAMIC_KEY_LENGTH = 64
TRACKING_RUN_ID_LENGTH = 64
MAX_TIMESTAMP_MS = 2**62
MAX_LEASE_MS = 7 * 24 * 3600 * 1000  # a week: longer than any sane silence of a live process
MAX_LIST_LIMIT = 50_000


def check_batch(batch: WriteBatch) -> None:
    for index, flow in enumerate(batch.flows):
        _check_flow(flow, f"flows[{index}]")
    for index, flow_run in enumerate(batch.flow_runs):
        check_flow_run(flow_run, f"flow_runs[{index}]")
    for index, task_run in enumerate(batch.task_runs):
        _check_task_run(task_run, f"task_runs[{index}]")
    for index, state in enumerate(batch.states):
        _check_state(state, f"states[{index}]")
    for index, edge in enumerate(batch.edges):
        _check_edge(edge, f"edges[{index}]")
    for index, log in enumerate(batch.logs):
        _check_log(log, f"logs[{index}]")


def _check_flow(flow: FlowRecord, where: str) -> None:
    _require_type(flow, FlowRecord, where)
    check_id(flow.id, f"{where}.id")
    check_text(flow.name, f"{where}.name", NAME_LENGTH, empty=False)
    check_timestamp(flow.created_ms, f"{where}.created_ms")
    _check_tags(flow.tags, f"{where}.tags")


def check_flow_run(run: FlowRunRecord, where: str = "flow_run") -> None:
    _require_type(run, FlowRunRecord, where)
    check_id(run.id, f"{where}.id")
    check_id(run.flow_id, f"{where}.flow_id")
    check_text(run.flow_name, f"{where}.flow_name", NAME_LENGTH, empty=False)
    check_text(run.name, f"{where}.name", NAME_LENGTH)
    _check_state_fields(run.state_type, run.state_name, run.state_message, where)
    if not isinstance(run.parameters, Mapping):
        raise InvalidArgument(
            f"{where}.parameters must be a mapping, got {_kind(run.parameters)}", field=where
        )
    for key in run.parameters:
        check_text(key, f"{where}.parameters key", NAME_LENGTH, empty=False)
    _check_tags(run.tags, f"{where}.tags")
    check_timestamp(run.created_ms, f"{where}.created_ms")
    for name in ("start_ms", "end_ms", "heartbeat_ms"):
        check_timestamp(getattr(run, name), f"{where}.{name}", optional=True)
    for name in ("parent_flow_run_id", "parent_task_run_id", "deployment_id"):
        check_id(getattr(run, name), f"{where}.{name}", optional=True)
    check_text(run.tracking_run_id, f"{where}.tracking_run_id", TRACKING_RUN_ID_LENGTH, optional=True)
    check_text(run.flow_version, f"{where}.flow_version", NAME_LENGTH, optional=True)
    check_count(run.run_count, f"{where}.run_count")
    _check_lease(run.lease_ms, f"{where}.lease_ms")


def _check_lease(value: Any, field: str) -> None:
    if value is None or (type(value) is int and 1 <= value <= MAX_LEASE_MS):
        return
    raise InvalidArgument(
        f"{field} must be a lease in milliseconds from 1 to {MAX_LEASE_MS}, or null; got {value!r}",
        field=field,
    )


def _check_task_run(run: TaskRunRecord, where: str) -> None:
    _require_type(run, TaskRunRecord, where)
    check_id(run.id, f"{where}.id")
    check_id(run.flow_run_id, f"{where}.flow_run_id")
    check_text(run.task_key, f"{where}.task_key", KEY_LENGTH, empty=False)
    check_text(run.name, f"{where}.name", KEY_LENGTH)
    check_text(run.dynamic_key, f"{where}.dynamic_key", DYNAMIC_KEY_LENGTH)
    _check_state_fields(run.state_type, run.state_name, run.state_message, where)
    check_timestamp(run.created_ms, f"{where}.created_ms")
    for name in ("start_ms", "end_ms"):
        check_timestamp(getattr(run, name), f"{where}.{name}", optional=True)
    check_text(run.cache_key, f"{where}.cache_key", KEY_LENGTH, optional=True)
    check_count(run.run_count, f"{where}.run_count")
    _check_tags(run.tags, f"{where}.tags")
    _check_sequence(run.upstream_task_run_ids, f"{where}.upstream_task_run_ids")
    for upstream in run.upstream_task_run_ids:
        check_id(upstream, f"{where}.upstream_task_run_ids")


def _check_state(state: StateRecord, where: str) -> None:
    _require_type(state, StateRecord, where)
    check_id(state.id, f"{where}.id")
    check_id(state.run_id, f"{where}.run_id")
    _check_enum(state.run_kind, RunKind, f"{where}.run_kind")
    _check_state_fields(state.type, state.name, state.message, where)
    check_timestamp(state.timestamp_ms, f"{where}.timestamp_ms")


def _check_edge(edge: TaskEdge, where: str) -> None:
    _require_type(edge, TaskEdge, where)
    check_id(edge.task_run_id, f"{where}.task_run_id")
    check_id(edge.upstream_task_run_id, f"{where}.upstream_task_run_id")
    check_text(edge.input_name, f"{where}.input_name", NAME_LENGTH)


def _check_log(log: LogRecord, where: str) -> None:
    _require_type(log, LogRecord, where)
    check_id(log.flow_run_id, f"{where}.flow_run_id")
    check_id(log.task_run_id, f"{where}.task_run_id", optional=True)
    check_count(log.level, f"{where}.level")
    check_text(log.logger, f"{where}.logger", NAME_LENGTH)
    check_text(log.message, f"{where}.message", 16 * 1024 * 1024)
    check_timestamp(log.timestamp_ms, f"{where}.timestamp_ms")


def _check_state_fields(state_type: Any, name: Any, message: Any, where: str) -> None:
    _check_enum(state_type, StateType, f"{where}.state_type")
    check_text(name, f"{where}.state_name", STATE_NAME_LENGTH, empty=False)
    check_text(message, f"{where}.state_message", 16 * 1024 * 1024, optional=True)


# -- primitives ----------------------------------------------------------------------------------------------
def check_id(value: Any, field: str, *, optional: bool = False) -> None:
    check_text(value, field, ID_LENGTH, empty=False, optional=optional)


def check_text(
    value: Any, field: str, max_length: int, *, empty: bool = True, optional: bool = False
) -> None:
    if type(value) is str and 0 < len(value) <= max_length and value.isascii() and "\x00" not in value:
        return  # the common case, checked in one step: every batch record has several such fields
    if value is None and optional:
        return
    if not isinstance(value, str):
        raise InvalidArgument(f"{field} must be a string, got {_kind(value)}", field=field)
    if not value and not empty:
        raise InvalidArgument(f"{field} must not be empty", field=field)
    if len(value) > max_length:
        raise InvalidArgument(f"{field} is {len(value)} characters long; at most {max_length}", field=field)
    if "\x00" in value:
        raise InvalidArgument(f"{field} must not contain NUL characters", field=field)
    if not value.isascii() and _has_lone_surrogate(value):
        raise InvalidArgument(f"{field} contains a lone surrogate, which no database can store", field=field)


def check_timestamp(value: Any, field: str, *, optional: bool = False) -> None:
    if type(value) is int and 0 <= value < MAX_TIMESTAMP_MS:
        return
    if value is None and optional:
        return
    if not _is_int(value) or not 0 <= value < MAX_TIMESTAMP_MS:
        raise InvalidArgument(f"{field} must be milliseconds since the epoch, got {value!r}", field=field)


def check_count(value: Any, field: str) -> None:
    if type(value) is int and 0 <= value < 2**31:
        return
    if not _is_int(value) or not 0 <= value < 2**31:
        raise InvalidArgument(f"{field} must be a non-negative integer, got {value!r}", field=field)


def check_limit(limit: Any, offset: Any) -> None:
    if not _is_int(limit) or not 1 <= limit <= MAX_LIST_LIMIT:
        raise InvalidArgument(
            f"limit must be an integer from 1 to {MAX_LIST_LIMIT}, got {limit!r}", field="limit"
        )
    if not _is_int(offset) or not 0 <= offset < 2**62:
        raise InvalidArgument(f"offset must be a non-negative integer, got {offset!r}", field="offset")


def parse_state_type(value: Any, field: str = "state") -> StateType:
    try:
        return StateType(str(value).upper()) if isinstance(value, str) else StateType(value)
    except ValueError:
        names = ", ".join(member.value for member in StateType)
        raise InvalidArgument(f"{field} must be one of {names}, got {value!r}", field=field) from None


def _check_tags(tags: Any, field: str) -> None:
    _check_sequence(tags, field)
    for tag in tags:
        check_text(tag, field, NAME_LENGTH, empty=False)


def _check_sequence(value: Any, field: str) -> None:
    if type(value) is tuple:
        return
    if isinstance(value, str | bytes) or not isinstance(value, Sequence | frozenset | set):
        raise InvalidArgument(f"{field} must be a list of strings, got {_kind(value)}", field=field)


def _check_enum(value: Any, enum_type: type[enum.Enum], field: str) -> None:
    if type(value) is not enum_type:
        try:
            enum_type(value)
        except (ValueError, TypeError):
            names = ", ".join(str(member.value) for member in enum_type)
            raise InvalidArgument(f"{field} must be one of {names}, got {value!r}", field=field) from None


def _require_type(record: Any, expected: type, where: str) -> None:
    if not isinstance(record, expected):
        raise InvalidArgument(f"{where} must be a {expected.__name__}, got {_kind(record)}", field=where)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _has_lone_surrogate(value: str) -> bool:
    return any(0xD800 <= ord(char) <= 0xDFFF for char in value)


def _kind(value: Any) -> str:
    return type(value).__name__


def all_ids(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))
