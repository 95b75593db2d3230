"""Flows, flow runs, task runs, states, logs and the task graph.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26

Written by hand; it must not import flowtrack's table modules (see ``0001_tracking.py`` for the string and
metric-value conventions, and ``flowtrack/orchestration/stores/sql/tables.py`` for why there are no foreign
keys).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

_ID = 36
_NAME = 250
_KEY = 500


def _string(length: int) -> sa.String:
    """A VARCHAR that compares by code point (case- and trailing-space-sensitive) on every database."""
    dialect = op.get_bind().dialect
    if dialect.name == "postgresql":
        return sa.String(length, collation="C")
    if dialect.name in ("mysql", "mariadb"):
        mariadb = getattr(dialect, "is_mariadb", False)
        return sa.String(length, collation="utf8mb4_nopad_bin" if mariadb else "utf8mb4_0900_bin")
    return sa.String(length)


def _long_text() -> sa.types.TypeEngine[str]:
    return sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def _id(name: str = "id", *, nullable: bool = False) -> sa.Column[str]:
    return sa.Column(name, _string(_ID), nullable=nullable)


def _state_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("state_type", _string(16), nullable=False),
        sa.Column("state_name", _string(64), nullable=False),
        sa.Column("state_message", _long_text(), nullable=True),
    ]


def _time_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("start_ms", sa.BigInteger, nullable=True),
        sa.Column("end_ms", sa.BigInteger, nullable=True),
    ]


def upgrade() -> None:
    op.create_table(
        "flows",
        _id(),
        sa.Column("name", _string(_NAME), nullable=False),
        sa.Column("created_ms", sa.BigInteger, nullable=False),
        sa.Column("tags", _long_text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_flows"),
        sa.UniqueConstraint("name", name="uq_flows_name"),
    )
    _create_flow_runs()
    op.create_table(
        "flow_run_tags",
        _id("flow_run_id"),
        sa.Column("tag", _string(_NAME), nullable=False),
        sa.PrimaryKeyConstraint("flow_run_id", "tag", name="pk_flow_run_tags"),
        sqlite_with_rowid=False,
    )
    op.create_index("ix_flow_run_tags_tag", "flow_run_tags", ["tag"])
    _create_task_runs()
    op.create_table(
        "states",
        sa.Column(
            "seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), autoincrement=True, nullable=False
        ),
        _id(),
        _id("run_id"),
        sa.Column("run_kind", _string(8), nullable=False),
        sa.Column("type", _string(16), nullable=False),
        sa.Column("name", _string(64), nullable=False),
        sa.Column("message", _long_text(), nullable=True),
        sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_states"),
        sa.UniqueConstraint("id", name="uq_states_id"),
    )
    op.create_index("ix_states_run_timestamp", "states", ["run_id", "timestamp_ms"])
    op.create_table(
        "task_edges",
        _id("task_run_id"),
        _id("upstream_task_run_id"),
        sa.Column("input_name", _string(_NAME), nullable=False),
        sa.PrimaryKeyConstraint("task_run_id", "upstream_task_run_id", "input_name", name="pk_task_edges"),
        sqlite_with_rowid=False,
    )
    _create_logs()


def _create_flow_runs() -> None:
    op.create_table(
        "flow_runs",
        _id(),
        _id("flow_id"),
        sa.Column("flow_name", _string(_NAME), nullable=False),
        sa.Column("name", _string(_NAME), nullable=False),
        *_state_columns(),
        sa.Column("parameters", _long_text(), nullable=False),
        sa.Column("tags", _long_text(), nullable=False),
        *_time_columns(),
        sa.Column("heartbeat_ms", sa.BigInteger, nullable=True),
        _id("parent_flow_run_id", nullable=True),
        _id("parent_task_run_id", nullable=True),
        sa.Column("tracking_run_id", _string(64), nullable=True),
        _id("deployment_id", nullable=True),
        sa.Column("flow_version", _string(_NAME), nullable=True),
        sa.Column("run_count", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_flow_runs"),
    )
    for name, columns in (
        ("ix_flow_runs_created", ["created_ms"]),
        ("ix_flow_runs_flow_created", ["flow_name", "created_ms"]),
        ("ix_flow_runs_state_heartbeat", ["state_type", "heartbeat_ms"]),
        ("ix_flow_runs_start", ["start_ms"]),
        ("ix_flow_runs_parent", ["parent_flow_run_id"]),
        ("ix_flow_runs_deployment", ["deployment_id"]),
    ):
        op.create_index(name, "flow_runs", columns)


def _create_task_runs() -> None:
    op.create_table(
        "task_runs",
        _id(),
        _id("flow_run_id"),
        sa.Column("task_key", _string(_KEY), nullable=False),
        sa.Column("name", _string(_KEY), nullable=False),
        sa.Column("dynamic_key", _string(64), nullable=False),
        *_state_columns(),
        *_time_columns(),
        sa.Column("cache_key", _string(_KEY), nullable=True),
        sa.Column("run_count", sa.Integer, nullable=False),
        sa.Column("tags", _long_text(), nullable=False),
        sa.Column("upstream_ids", _long_text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_task_runs"),
    )
    op.create_index("ix_task_runs_flow_run_created", "task_runs", ["flow_run_id", "created_ms"])


def _create_logs() -> None:
    op.create_table(
        "logs",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer, "sqlite"), autoincrement=True, nullable=False
        ),
        _id("flow_run_id"),
        _id("task_run_id", nullable=True),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("logger", _string(_NAME), nullable=False),
        sa.Column("message", _long_text(), nullable=False),
        sa.Column("timestamp_ms", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_logs"),
    )
    op.create_index("ix_logs_flow_run", "logs", ["flow_run_id", "timestamp_ms", "id"])


def downgrade() -> None:
    op.drop_index("ix_logs_flow_run", table_name="logs")
    op.drop_table("logs")
    op.drop_table("task_edges")
    op.drop_index("ix_states_run_timestamp", table_name="states")
    op.drop_table("states")
    op.drop_index("ix_task_runs_flow_run_created", table_name="task_runs")
    op.drop_table("task_runs")
    op.drop_index("ix_flow_run_tags_tag", table_name="flow_run_tags")
    op.drop_table("flow_run_tags")
    for name in (
        "ix_flow_runs_deployment",
        "ix_flow_runs_parent",
        "ix_flow_runs_start",
        "ix_flow_runs_state_heartbeat",
        "ix_flow_runs_flow_created",
        "ix_flow_runs_created",
    ):
        op.drop_index(name, table_name="flow_runs")
    op.drop_table("flow_runs")
    op.drop_table("flows")
