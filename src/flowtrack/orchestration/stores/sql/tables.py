"""Orchestration tables as SQLAlchemy Core ``Table`` objects, in the tracking database.

Migration ``0004_orchestration.py`` creates the same schema without importing this module; a test checks that
the two agree on every database.

Design notes:

* No foreign keys: the engine's batches may carry a task run before the flow run that owns it has been
  flushed, and a refused batch would lose records; deleting a flow run removes its rows explicitly instead.
* Strings compare by code point on every database (see the tracking tables for why).
* Flow run tags live in their own table so ``tags_all`` filters are index lookups; they are also kept as JSON
  on the run so reading a run needs no join.
* Indexes follow the read paths: runs newest first (optionally per flow), the lease sweep
  ``(state_type, heartbeat_ms)``, task runs and logs per flow run, states per run.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from flowtrack.db.types import BinaryString, long_text

ID_LENGTH = 36
NAME_LENGTH = 250
STATE_LENGTH = 16
STATE_NAME_LENGTH = 64
KEY_LENGTH = 500


def _id(name: str = "id", *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, BinaryString(ID_LENGTH), nullable=nullable)


def _state_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("state_type", BinaryString(STATE_LENGTH), nullable=False),
        sa.Column("state_name", BinaryString(STATE_NAME_LENGTH), nullable=False),
        sa.Column("state_message", long_text(), nullable=True),
    ]


def _time_columns() -> list[sa.Column[Any]]:
    return [
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("start_ms", sa.BigInteger, nullable=True),
        sa.Column("end_ms", sa.BigInteger, nullable=True),
    ]


metadata = sa.MetaData()

flows = sa.Table(
    "flows",
    metadata,
    _id(),
    sa.Column("name", BinaryString(NAME_LENGTH), nullable=False),
    sa.Column("created_ms", sa.BigInteger, nullable=False),
    sa.Column("tags", long_text(), nullable=False),
    sa.PrimaryKeyConstraint("id", name="pk_flows"),
    sa.UniqueConstraint("name", name="uq_flows_name"),
)

flow_runs = sa.Table(
    "flow_runs",
    metadata,
    _id(),
    _id("flow_id"),
    sa.Column("flow_name", BinaryString(NAME_LENGTH), nullable=False),
    sa.Column("name", BinaryString(NAME_LENGTH), nullable=False),
    *_state_columns(),
    sa.Column("parameters", long_text(), nullable=False),
    sa.Column("tags", long_text(), nullable=False),
    *_time_columns(),
    sa.Column("heartbeat_ms", sa.BigInteger, nullable=True),
    _id("parent_flow_run_id", nullable=True),
    _id("parent_task_run_id", nullable=True),
    sa.Column("tracking_run_id", BinaryString(64), nullable=True),
    _id("deployment_id", nullable=True),
    sa.Column("flow_version", BinaryString(NAME_LENGTH), nullable=True),
    sa.Column("run_count", sa.Integer, nullable=False),
    sa.Column("lease_ms", sa.BigInteger, nullable=True),
    sa.PrimaryKeyConstraint("id", name="pk_flow_runs"),
    sa.Index("ix_flow_runs_created", "created_ms"),
    sa.Index("ix_flow_runs_flow_created", "flow_name", "created_ms"),
    sa.Index("ix_flow_runs_state_heartbeat", "state_type", "heartbeat_ms"),
    sa.Index("ix_flow_runs_start", "start_ms"),
    sa.Index("ix_flow_runs_parent", "parent_flow_run_id"),
    sa.Index("ix_flow_runs_deployment", "deployment_id"),
)

flow_run_tags = sa.Table(
    "flow_run_tags",
    metadata,
    _id("flow_run_id"),
    sa.Column("tag", BinaryString(NAME_LENGTH), nullable=False),
    sa.PrimaryKeyConstraint("flow_run_id", "tag", name="pk_flow_run_tags"),
    sa.Index("ix_flow_run_tags_tag", "tag"),
    sqlite_with_rowid=False,
)

task_runs = sa.Table(
    "task_runs",
    metadata,
    _id(),
    _id("flow_run_id"),
    sa.Column("task_key", BinaryString(KEY_LENGTH), nullable=False),
    sa.Column("name", BinaryString(KEY_LENGTH), nullable=False),
    sa.Column("dynamic_key", BinaryString(64), nullable=False),
    *_state_columns(),
    *_time_columns(),
    sa.Column("cache_key", BinaryString(KEY_LENGTH), nullable=True),
    sa.Column("run_count", sa.Integer, nullable=False),
    sa.Column("tags", long_text(), nullable=False),
    sa.Column("upstream_ids", long_text(), nullable=False),
    sa.PrimaryKeyConstraint("id", name="pk_task_runs"),
    sa.Index("ix_task_runs_flow_run_created", "flow_run_id", "created_ms"),
)

states = sa.Table(
    "states",
    metadata,
    # seq keeps the order states were written in, for states stamped in the same millisecond
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), autoincrement=True, nullable=False),
    _id(),
    _id("run_id"),
    sa.Column("run_kind", BinaryString(8), nullable=False),
    sa.Column("type", BinaryString(STATE_LENGTH), nullable=False),
    sa.Column("name", BinaryString(STATE_NAME_LENGTH), nullable=False),
    sa.Column("message", long_text(), nullable=True),
    sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
    sa.PrimaryKeyConstraint("seq", name="pk_states"),
    sa.UniqueConstraint("id", name="uq_states_id"),
    sa.Index("ix_states_run_timestamp", "run_id", "timestamp_ms"),
)

task_edges = sa.Table(
    "task_edges",
    metadata,
    _id("task_run_id"),
    _id("upstream_task_run_id"),
    sa.Column("input_name", BinaryString(NAME_LENGTH), nullable=False),
    sa.PrimaryKeyConstraint("task_run_id", "upstream_task_run_id", "input_name", name="pk_task_edges"),
    sqlite_with_rowid=False,
)

logs = sa.Table(
    "logs",
    metadata,
    sa.Column("id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), autoincrement=True, nullable=False),
    _id("flow_run_id"),
    _id("task_run_id", nullable=True),
    sa.Column("level", sa.Integer, nullable=False),
    sa.Column("logger", BinaryString(NAME_LENGTH), nullable=False),
    sa.Column("message", long_text(), nullable=False),
    sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
    sa.PrimaryKeyConstraint("id", name="pk_logs"),
    sa.Index("ix_logs_flow_run", "flow_run_id", "timestamp_ms", "id"),
)
