"""``SqlOrchestrationStore``: flows, runs, states, logs and the task graph, in the tracking database.

Every batch is one write transaction (``BEGIN IMMEDIATE`` on SQLite, row locks on the flow runs it touches on
PostgreSQL/MySQL), written with one multi-row statement per table. Reads first sweep lapsed leases: a flow
run still RUNNING whose last heartbeat is older than the lease is marked CRASHED (CANCELLING ones become
CANCELLED), with its unfinished task runs, so a killed process never leaves a run RUNNING forever.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from flowtrack._internal.clock import now_ms
from flowtrack.db.engine import dispose_engine, get_engine, write_engine
from flowtrack.db.migrate import ensure_schema
from flowtrack.exceptions import InvalidArgument, NotFound
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
from flowtrack.orchestration.hooks import LapsedRun, report_lapsed
from flowtrack.orchestration.stores import rules, validation
from flowtrack.orchestration.stores.base import OrchestrationStore
from flowtrack.orchestration.stores.sql import convert, dml
from flowtrack.orchestration.stores.sql.errors import guard_errors
from flowtrack.orchestration.stores.sql.tables import (
    flow_run_tags,
    flow_runs,
    flows,
    logs,
    states,
    task_edges,
    task_runs,
)

DEFAULT_LEASE_SECONDS = 60.0
_ACTIVE = sorted(state.value for state in rules.ACTIVE)
_FINAL = sorted(state.value for state in StateType if state.is_final)


@guard_errors
class SqlOrchestrationStore(OrchestrationStore):
    """Orchestration records in the SQL database at ``uri`` (the tracking database, one Alembic history)."""

    def __init__(self, uri: str, lease_seconds: float = DEFAULT_LEASE_SECONDS) -> None:
        self.uri = uri
        self.lease_ms = max(1, int(lease_seconds * 1000))
        self._engine = get_engine(uri)
        ensure_schema(self._engine)
        self._writer = write_engine(self._engine)
        self._lock_rows = self._engine.dialect.name != "sqlite"

    def close(self) -> None:
        dispose_engine(self.uri)

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        with self._engine.connect() as conn:
            yield conn

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        with self._writer.begin() as conn:
            yield conn

    # -- writes ----------------------------------------------------------------------------------------------
    def write(self, batch: WriteBatch) -> None:
        if not batch:
            return
        validation.check_batch(batch)
        now = now_ms()
        with self._write() as conn:
            dml.insert_ignore(conn, flows, [convert.flow_row(flow) for flow in batch.flows])
            frozen = self._write_flow_runs(conn, batch.flow_runs, now)
            task_rows = {run.id: convert.task_run_row(run) for run in batch.task_runs}
            dml.upsert(conn, task_runs, list(task_rows.values()), keep=("created_ms",))
            kept_states = [s for s in batch.states if not (s.run_kind == RunKind.FLOW and s.run_id in frozen)]
            dml.insert_ignore(conn, states, [convert.state_row(state) for state in kept_states])
            dml.insert_ignore(conn, task_edges, [convert.edge_row(edge) for edge in batch.edges])
            dml.insert(conn, logs, [convert.log_row(log) for log in batch.logs])

    def _write_flow_runs(self, conn: Connection, records: Sequence[FlowRunRecord], now: int) -> set[str]:
        """Upsert flow runs under the engine rules; the ids whose stored (final) state was kept."""
        if not records:
            return set()
        latest = {record.id: record for record in records}
        stored = self._stored_runs(conn, list(latest))
        rows: list[convert.Row] = []
        frozen: set[str] = set()
        tags: list[convert.Row] = []
        for run_id, record in latest.items():
            stored_state, stored_beat = stored.get(run_id, (None, None))
            merged = rules.merge_engine_record(stored_state, record)
            if merged is None:
                frozen.add(run_id)
                continue
            # a record carries the heartbeat of its creation; heartbeats sent since then must not be undone
            beats = [beat for beat in (merged.heartbeat_ms, stored_beat) if beat is not None]
            beat = max(beats) if beats else (now if merged.state_type in rules.ACTIVE else None)
            if beat != merged.heartbeat_ms:
                merged = dataclasses.replace(merged, heartbeat_ms=beat)
            rows.append(convert.flow_run_row(merged))
            tags.extend({"flow_run_id": run_id, "tag": tag} for tag in dict.fromkeys(merged.tags))
        dml.upsert(conn, flow_runs, rows, keep=("created_ms",))
        dml.insert_ignore(conn, flow_run_tags, tags)
        return frozen

    def _stored_states(self, conn: Connection, ids: Sequence[str]) -> dict[str, StateType]:
        return {run_id: found[0] for run_id, found in self._stored_runs(conn, ids).items()}

    def _stored_runs(self, conn: Connection, ids: Sequence[str]) -> dict[str, tuple[StateType, int | None]]:
        """State and last heartbeat of the stored flow runs among ``ids``, their rows locked until commit."""
        found: dict[str, tuple[StateType, int | None]] = {}
        columns = (flow_runs.c.id, flow_runs.c.state_type, flow_runs.c.heartbeat_ms)
        for chunk in dml.chunks(ids):
            stmt = sa.select(*columns).where(flow_runs.c.id.in_(list(chunk)))
            if self._lock_rows:
                stmt = stmt.with_for_update()
            found.update(
                (row.id, (StateType(row.state_type), row.heartbeat_ms)) for row in conn.execute(stmt)
            )
        return found

    def heartbeat(self, flow_run_ids: Sequence[str], now_ms: int) -> None:
        ids = validation.all_ids(flow_run_ids)
        for run_id in ids:
            validation.check_id(run_id, "flow_run_ids")
        validation.check_timestamp(now_ms, "now_ms")
        if not ids:
            return
        with self._write() as conn:
            for chunk in dml.chunks(ids):
                stmt = flow_runs.update().where(
                    flow_runs.c.id.in_(list(chunk)), flow_runs.c.state_type.in_(_ACTIVE)
                )
                conn.execute(stmt.values(heartbeat_ms=now_ms))

    def set_flow_run_state(
        self, flow_run_id: str, state: StateType, name: str, message: str | None, *, force: bool = False
    ) -> FlowRunRecord:
        validation.check_id(flow_run_id, "flow_run_id")
        proposed = validation.parse_state_type(state)
        validation.check_text(name, "name", validation.STATE_NAME_LENGTH, empty=False)
        validation.check_text(message, "message", 16 * 1024 * 1024, optional=True)
        self._sweep_lapsed()
        now = now_ms()
        with self._write() as conn:
            current = self._stored_states(conn, [flow_run_id]).get(flow_run_id)
            if current is None:
                raise NotFound(f"no flow run with id {flow_run_id!r}")
            move = rules.outside_move(current, proposed, name, force=force)
            values: dict[str, Any] = {
                "state_type": move.type.value,
                "state_name": move.name,
                "state_message": message,
            }
            if move.type.is_final:
                values["end_ms"] = sa.func.coalesce(flow_runs.c.end_ms, now)
            conn.execute(flow_runs.update().where(flow_runs.c.id == flow_run_id).values(values))
            dml.insert(
                conn, states, [_state_row(flow_run_id, RunKind.FLOW, move.type, move.name, message, now)]
            )
        return self._get_flow_run(flow_run_id)

    def delete_flow_run(self, flow_run_id: str) -> None:
        validation.check_id(flow_run_id, "flow_run_id")
        with self._write() as conn:
            ids = self._with_descendants(conn, flow_run_id)
            for chunk in dml.chunks(ids):
                self._delete_runs(conn, list(chunk))

    def _with_descendants(self, conn: Connection, flow_run_id: str) -> list[str]:
        if self._stored_states(conn, [flow_run_id]) == {}:
            raise NotFound(f"no flow run with id {flow_run_id!r}")
        found, frontier = [flow_run_id], [flow_run_id]
        while frontier:
            stmt = sa.select(flow_runs.c.id).where(flow_runs.c.parent_flow_run_id.in_(frontier))
            frontier = [row.id for row in conn.execute(stmt) if row.id not in found]
            found.extend(frontier)
        return found

    @staticmethod
    def _delete_runs(conn: Connection, ids: list[str]) -> None:
        task_ids = sa.select(task_runs.c.id).where(task_runs.c.flow_run_id.in_(ids))
        # MySQL cannot delete from a table it reads in a subquery of the same statement: materialize ids
        for chunk in dml.chunks([row.id for row in conn.execute(task_ids)]):
            conn.execute(task_edges.delete().where(task_edges.c.task_run_id.in_(list(chunk))))
            conn.execute(states.delete().where(states.c.run_id.in_(list(chunk))))
        conn.execute(states.delete().where(states.c.run_id.in_(ids)))
        conn.execute(logs.delete().where(logs.c.flow_run_id.in_(ids)))
        conn.execute(task_runs.delete().where(task_runs.c.flow_run_id.in_(ids)))
        conn.execute(flow_run_tags.delete().where(flow_run_tags.c.flow_run_id.in_(ids)))
        conn.execute(flow_runs.delete().where(flow_runs.c.id.in_(ids)))

    # -- the lease -------------------------------------------------------------------------------------------
    def _sweep_lapsed(self) -> None:
        """Mark flow runs whose lease lapsed as ended; a cheap indexed query when there are none."""
        # each run by the lease its writer recorded (it heartbeats by that one), else by this reader's
        lease = sa.func.coalesce(flow_runs.c.lease_ms, self.lease_ms)
        lapsed = (
            sa.select(
                flow_runs.c.id,
                flow_runs.c.state_type,
                flow_runs.c.heartbeat_ms,
                flow_runs.c.tracking_run_id,
                lease.label("lease_ms"),
            )
            .where(flow_runs.c.state_type.in_(_ACTIVE), flow_runs.c.heartbeat_ms + lease < now_ms())
            .limit(dml.CHUNK_ROWS)
        )
        with self._read() as conn:
            if conn.execute(lapsed).first() is None:
                return
        with self._write() as conn:
            stmt = lapsed.with_for_update() if self._lock_rows else lapsed
            ended = [self._end_lapsed(conn, row) for row in conn.execute(stmt).all()]
        report_lapsed(self.uri, ended)

    def _end_lapsed(self, conn: Connection, row: Any) -> LapsedRun:  # a row of _sweep_lapsed's select
        run_id, current, last_beat = row.id, StateType(row.state_type), row.heartbeat_ms
        seconds = row.lease_ms / 1000
        if current is StateType.CANCELLING:
            end, name = StateType.CANCELLED, "Cancelled"
            message = f"no heartbeat for {seconds:g} s while cancelling: the flow's process has stopped"
        else:
            end, name = StateType.CRASHED, "Crashed"
            message = (
                f"no heartbeat for {seconds:g} s: the flow's process stopped without reporting an end "
                "(killed, or its machine went away)"
            )
        ended = {"state_type": end.value, "state_name": name, "state_message": message}
        conn.execute(
            flow_runs.update()
            .where(flow_runs.c.id == run_id)
            .values({**ended, "end_ms": sa.func.coalesce(flow_runs.c.end_ms, last_beat)})
        )
        conn.execute(
            task_runs.update()
            .where(task_runs.c.flow_run_id == run_id, task_runs.c.state_type.not_in(_FINAL))
            .values({**ended, "end_ms": sa.func.coalesce(task_runs.c.end_ms, last_beat)})
        )
        dml.insert(conn, states, [_state_row(run_id, RunKind.FLOW, end, name, message, now_ms())])
        return LapsedRun(run_id, end, row.tracking_run_id, last_beat)

    # -- reads -----------------------------------------------------------------------------------------------
    def list_flows(self, limit: int = 100, offset: int = 0) -> list[FlowRecord]:
        validation.check_limit(limit, offset)
        stmt = sa.select(flows).order_by(flows.c.name).limit(limit).offset(offset)
        with self._read() as conn:
            return [convert.row_to_flow(row) for row in conn.execute(stmt).mappings()]

    def list_flow_summaries(self, limit: int = 100, offset: int = 0) -> list[FlowSummary]:
        validation.check_limit(limit, offset)
        self._sweep_lapsed()
        with self._read() as conn:
            rows = conn.execute(_flow_summaries(limit, offset)).mappings().all()
        return [_row_to_summary(row) for row in rows]

    def list_flow_runs(
        self, flow_run_filter: FlowRunFilter, limit: int = 100, offset: int = 0
    ) -> list[FlowRunRecord]:
        validation.check_limit(limit, offset)
        conditions = _filter_conditions(flow_run_filter)
        self._sweep_lapsed()
        stmt = (
            sa.select(flow_runs)
            .where(*conditions)
            .order_by(flow_runs.c.created_ms.desc(), flow_runs.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        with self._read() as conn:
            return [convert.row_to_flow_run(row) for row in conn.execute(stmt).mappings()]

    def get_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        validation.check_id(flow_run_id, "flow_run_id")
        self._sweep_lapsed()
        return self._get_flow_run(flow_run_id)

    def _get_flow_run(self, flow_run_id: str) -> FlowRunRecord:
        with self._read() as conn:
            row = conn.execute(sa.select(flow_runs).where(flow_runs.c.id == flow_run_id)).mappings().first()
        if row is None:
            raise NotFound(f"no flow run with id {flow_run_id!r}")
        return convert.row_to_flow_run(row)

    def list_task_runs(self, flow_run_id: str, limit: int = 10_000, offset: int = 0) -> list[TaskRunRecord]:
        validation.check_id(flow_run_id, "flow_run_id")
        validation.check_limit(limit, offset)
        self._sweep_lapsed()
        stmt = (
            sa.select(task_runs)
            .where(task_runs.c.flow_run_id == flow_run_id)
            # tasks created in the same millisecond: in the order of their dynamic keys (0, 1, ... 10)
            .order_by(
                task_runs.c.created_ms,
                sa.func.length(task_runs.c.dynamic_key),
                task_runs.c.dynamic_key,
                task_runs.c.id,
            )
            .limit(limit)
            .offset(offset)
        )
        with self._read() as conn:
            return [convert.row_to_task_run(row) for row in conn.execute(stmt).mappings()]

    def get_task_run(self, task_run_id: str) -> TaskRunRecord:
        validation.check_id(task_run_id, "task_run_id")
        with self._read() as conn:
            row = conn.execute(sa.select(task_runs).where(task_runs.c.id == task_run_id)).mappings().first()
        if row is None:
            raise NotFound(f"no task run with id {task_run_id!r}")
        return convert.row_to_task_run(row)

    def list_states(self, run_id: str) -> list[StateRecord]:
        validation.check_id(run_id, "run_id")
        self._sweep_lapsed()
        stmt = (
            sa.select(states).where(states.c.run_id == run_id).order_by(states.c.timestamp_ms, states.c.seq)
        )
        with self._read() as conn:
            return [convert.row_to_state(row) for row in conn.execute(stmt).mappings()]

    def list_edges(self, flow_run_id: str) -> list[TaskEdge]:
        validation.check_id(flow_run_id, "flow_run_id")
        stmt = (
            sa.select(task_edges)
            .join(task_runs, task_runs.c.id == task_edges.c.task_run_id)
            .where(task_runs.c.flow_run_id == flow_run_id)
            .order_by(task_edges.c.task_run_id, task_edges.c.upstream_task_run_id, task_edges.c.input_name)
        )
        with self._read() as conn:
            return [convert.row_to_edge(row) for row in conn.execute(stmt).mappings()]

    def list_logs(
        self, flow_run_id: str, task_run_id: str | None = None, limit: int = 1000, offset: int = 0
    ) -> list[LogRecord]:
        validation.check_id(flow_run_id, "flow_run_id")
        validation.check_id(task_run_id, "task_run_id", optional=True)
        validation.check_limit(limit, offset)
        stmt = sa.select(logs).where(logs.c.flow_run_id == flow_run_id)
        if task_run_id is not None:
            stmt = stmt.where(logs.c.task_run_id == task_run_id)
        stmt = stmt.order_by(logs.c.timestamp_ms, logs.c.id).limit(limit).offset(offset)
        with self._read() as conn:
            return [convert.row_to_log(row) for row in conn.execute(stmt).mappings()]


_RUN_PREFIX = "run__"


def _flow_summaries(limit: int, offset: int) -> sa.Select[Any]:
    """One statement: a page of flows, each joined to its newest run and counted, by correlated subqueries
    that walk the (flow_name, created_ms) index (a window over every run would read them all)."""
    runs = flow_runs.alias("newer")
    newest_id = (
        sa.select(runs.c.id)
        .where(runs.c.flow_name == flows.c.name)
        .order_by(runs.c.created_ms.desc(), runs.c.id.desc())
        .limit(1)
        .correlate(flows)
        .scalar_subquery()
    )
    run_count = (
        sa.select(sa.func.count()).where(runs.c.flow_name == flows.c.name).correlate(flows).scalar_subquery()
    )
    run_columns = [column.label(_RUN_PREFIX + column.name) for column in flow_runs.c]
    return (
        sa.select(*flows.c, run_count.label("flow_run_count"), *run_columns)
        .select_from(flows.outerjoin(flow_runs, flow_runs.c.id == newest_id))
        .order_by(flows.c.name)
        .limit(limit)
        .offset(offset)
    )


def _row_to_summary(row: sa.RowMapping) -> FlowSummary:
    run: FlowRunRecord | None = None
    if row[_RUN_PREFIX + "id"] is not None:
        run_row = {column.name: row[_RUN_PREFIX + column.name] for column in flow_runs.c}
        run = convert.row_to_flow_run(run_row)
    return FlowSummary(convert.row_to_flow(row), run, int(row["flow_run_count"] or 0))


def _filter_conditions(flow_run_filter: FlowRunFilter) -> list[sa.ColumnElement[bool]]:
    f = flow_run_filter
    conditions: list[sa.ColumnElement[bool]] = []
    if f.flow_names:
        conditions.append(flow_runs.c.flow_name.in_(_texts(f.flow_names, "flow_names")))
    if f.state_types:
        types = [validation.parse_state_type(state, "state_types").value for state in f.state_types]
        conditions.append(flow_runs.c.state_type.in_(types))
    for tag in _texts(f.tags_all, "tags"):
        has_tag = sa.select(flow_run_tags.c.tag).where(
            flow_run_tags.c.flow_run_id == flow_runs.c.id, flow_run_tags.c.tag == tag
        )
        conditions.append(has_tag.exists())
    if f.start_after_ms is not None:
        validation.check_timestamp(f.start_after_ms, "start_after")
        conditions.append(flow_runs.c.start_ms >= f.start_after_ms)
    if f.start_before_ms is not None:
        validation.check_timestamp(f.start_before_ms, "start_before")
        conditions.append(flow_runs.c.start_ms < f.start_before_ms)
    if f.parent_flow_run_id is not None:
        validation.check_id(f.parent_flow_run_id, "parent_flow_run_id")
        conditions.append(flow_runs.c.parent_flow_run_id == f.parent_flow_run_id)
    if f.deployment_id is not None:
        validation.check_id(f.deployment_id, "deployment_id")
        conditions.append(flow_runs.c.deployment_id == f.deployment_id)
    if not isinstance(f.top_level_only, bool):
        raise InvalidArgument(
            f"top_level_only must be true or false, got {f.top_level_only!r}", field="top_level_only"
        )
    if f.top_level_only:
        conditions.append(flow_runs.c.parent_flow_run_id.is_(None))
    return conditions


def _texts(values: Iterable[Any], field: str) -> list[str]:
    listed = list(values)
    for value in listed:
        validation.check_text(value, field, validation.NAME_LENGTH, empty=False)
    return listed


def _state_row(
    run_id: str, kind: RunKind, type_: StateType, name: str, message: str | None, timestamp: int
) -> dict[str, Any]:
    record = StateRecord(str(uuid.uuid4()), run_id, kind, type_, name, message, timestamp)
    return convert.state_row(record)
