"""Records to rows and back.

Parameters are stored as JSON. A parameter JSON cannot hold (a DataFrame, a model) is stored as its ``repr``
so that one odd argument never costs the batch that carries it; the run itself keeps the real object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from flowtrack.orchestration.entities import (
    FlowRecord,
    FlowRunRecord,
    LogRecord,
    RunKind,
    StateRecord,
    StateType,
    TaskEdge,
    TaskRunRecord,
)

REPR_LIMIT = 1000

Row = dict[str, Any]


def dump_json(value: Any) -> str:
    if not value and type(value) is list:
        return "[]"  # most runs have no tags and no upstream runs
    return json.dumps(value, default=_fallback, separators=(",", ":"), allow_nan=True)


def _fallback(value: Any) -> Any:
    if isinstance(value, set | frozenset | tuple):
        return list(value)
    text = repr(value)
    return text if len(text) <= REPR_LIMIT else text[:REPR_LIMIT] + "..."


def _value(member: Any, enum_type: type[StateType] | type[RunKind]) -> str:
    """The stored text of an enum member (records from the wire may carry the text itself)."""
    return member.value if type(member) is enum_type else enum_type(member).value


def _tags(text: str | None) -> tuple[str, ...]:
    return tuple(json.loads(text)) if text else ()


def flow_row(flow: FlowRecord) -> Row:
    return {
        "id": flow.id,
        "name": flow.name,
        "created_ms": flow.created_ms,
        "tags": dump_json(list(flow.tags)),
    }


def row_to_flow(row: Mapping[Any, Any]) -> FlowRecord:
    return FlowRecord(id=row["id"], name=row["name"], created_ms=row["created_ms"], tags=_tags(row["tags"]))


def flow_run_row(run: FlowRunRecord) -> Row:
    return {
        "id": run.id,
        "flow_id": run.flow_id,
        "flow_name": run.flow_name,
        "name": run.name,
        "state_type": _value(run.state_type, StateType),
        "state_name": run.state_name,
        "state_message": run.state_message,
        "parameters": dump_json(dict(run.parameters)),
        "tags": dump_json(list(run.tags)),
        "created_ms": run.created_ms,
        "start_ms": run.start_ms,
        "end_ms": run.end_ms,
        "heartbeat_ms": run.heartbeat_ms,
        "parent_flow_run_id": run.parent_flow_run_id,
        "parent_task_run_id": run.parent_task_run_id,
        "tracking_run_id": run.tracking_run_id,
        "deployment_id": run.deployment_id,
        "flow_version": run.flow_version,
        "run_count": run.run_count,
        "lease_ms": run.lease_ms,
    }


def row_to_flow_run(row: Mapping[Any, Any]) -> FlowRunRecord:
    return FlowRunRecord(
        id=row["id"],
        flow_id=row["flow_id"],
        flow_name=row["flow_name"],
        name=row["name"],
        state_type=StateType(row["state_type"]),
        state_name=row["state_name"],
        parameters=json.loads(row["parameters"]),
        tags=_tags(row["tags"]),
        created_ms=row["created_ms"],
        start_ms=row["start_ms"],
        end_ms=row["end_ms"],
        heartbeat_ms=row["heartbeat_ms"],
        parent_flow_run_id=row["parent_flow_run_id"],
        parent_task_run_id=row["parent_task_run_id"],
        tracking_run_id=row["tracking_run_id"],
        deployment_id=row["deployment_id"],
        flow_version=row["flow_version"],
        run_count=row["run_count"],
        state_message=row["state_message"],
        lease_ms=row["lease_ms"],
    )


def task_run_row(run: TaskRunRecord) -> Row:
    return {
        "id": run.id,
        "flow_run_id": run.flow_run_id,
        "task_key": run.task_key,
        "name": run.name,
        "dynamic_key": run.dynamic_key,
        "state_type": _value(run.state_type, StateType),
        "state_name": run.state_name,
        "state_message": run.state_message,
        "created_ms": run.created_ms,
        "start_ms": run.start_ms,
        "end_ms": run.end_ms,
        "cache_key": run.cache_key,
        "run_count": run.run_count,
        "tags": dump_json(list(run.tags)),
        "upstream_ids": dump_json(list(run.upstream_task_run_ids)),
    }


def row_to_task_run(row: Mapping[Any, Any]) -> TaskRunRecord:
    return TaskRunRecord(
        id=row["id"],
        flow_run_id=row["flow_run_id"],
        task_key=row["task_key"],
        name=row["name"],
        dynamic_key=row["dynamic_key"],
        state_type=StateType(row["state_type"]),
        state_name=row["state_name"],
        created_ms=row["created_ms"],
        start_ms=row["start_ms"],
        end_ms=row["end_ms"],
        cache_key=row["cache_key"],
        run_count=row["run_count"],
        tags=_tags(row["tags"]),
        state_message=row["state_message"],
        upstream_task_run_ids=_tags(row["upstream_ids"]),
    )


def state_row(state: StateRecord) -> Row:
    return {
        "id": state.id,
        "run_id": state.run_id,
        "run_kind": _value(state.run_kind, RunKind),
        "type": _value(state.type, StateType),
        "name": state.name,
        "message": state.message,
        "timestamp_ms": state.timestamp_ms,
    }


def row_to_state(row: Mapping[Any, Any]) -> StateRecord:
    return StateRecord(
        id=row["id"],
        run_id=row["run_id"],
        run_kind=RunKind(row["run_kind"]),
        type=StateType(row["type"]),
        name=row["name"],
        message=row["message"],
        timestamp_ms=row["timestamp_ms"],
    )


def edge_row(edge: TaskEdge) -> Row:
    return {
        "task_run_id": edge.task_run_id,
        "upstream_task_run_id": edge.upstream_task_run_id,
        "input_name": edge.input_name,
    }


def row_to_edge(row: Mapping[Any, Any]) -> TaskEdge:
    return TaskEdge(row["task_run_id"], row["upstream_task_run_id"], row["input_name"])


def log_row(log: LogRecord) -> Row:
    return {
        "flow_run_id": log.flow_run_id,
        "task_run_id": log.task_run_id,
        "level": log.level,
        "logger": log.logger,
        "message": log.message,
        "timestamp_ms": log.timestamp_ms,
    }


def row_to_log(row: Mapping[Any, Any]) -> LogRecord:
    return LogRecord(
        flow_run_id=row["flow_run_id"],
        task_run_id=row["task_run_id"],
        level=row["level"],
        logger=row["logger"],
        message=row["message"],
        timestamp_ms=row["timestamp_ms"],
    )
