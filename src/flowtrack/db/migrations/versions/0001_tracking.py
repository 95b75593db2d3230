"""Tracking schema: experiments, runs, params, tags, metric history, latest metrics, datasets and inputs.

Revision ID: 0001
Revises:
Create Date: 2025-01-01

Written by hand; it must not import flowtrack's table modules. See ``flowtrack/tracking/stores/sql/tables.py``
for why strings use binary collations and metric values are stored as ``(kind, value)``.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


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


def _key() -> sa.Column[str]:
    return sa.Column("key", _string(250), nullable=False)


def _run_fk(table: str) -> sa.Column[str]:
    return sa.Column(
        "run_uuid",
        _string(32),
        sa.ForeignKey("runs.run_uuid", name=f"fk_{table}_run", ondelete="CASCADE"),
        nullable=False,
    )


def _metric_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        sa.Column("kind", sa.SmallInteger, nullable=False),
        sa.Column("value", sa.Double, nullable=False),
    ]


def _experiment_fk(table: str) -> sa.Column[int]:
    return sa.Column(
        "experiment_id",
        sa.Integer,
        sa.ForeignKey("experiments.experiment_id", name=f"fk_{table}_experiment", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "experiments",
        sa.Column("experiment_id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("name", _string(256), nullable=False),
        sa.Column("artifact_location", _string(1000), nullable=False),
        sa.Column("lifecycle_stage", _string(32), nullable=False),
        sa.Column("creation_time", sa.BigInteger, nullable=False),
        sa.Column("last_update_time", sa.BigInteger, nullable=False),
        sa.UniqueConstraint("name", name="uq_experiments_name"),
    )
    op.create_table(
        "experiment_tags",
        _experiment_fk("experiment_tags"),
        _key(),
        sa.Column("value", _string(8000), nullable=False),
        sa.PrimaryKeyConstraint("experiment_id", "key", name="pk_experiment_tags"),
    )
    op.create_table(
        "runs",
        sa.Column("run_uuid", _string(32), nullable=False),
        _experiment_fk("runs"),
        sa.Column("name", _string(250), nullable=False),
        sa.Column("user_id", _string(256), nullable=False),
        sa.Column("status", _string(20), nullable=False),
        sa.Column("start_time", sa.BigInteger, nullable=False),
        sa.Column("end_time", sa.BigInteger, nullable=True),
        sa.Column("deleted_time", sa.BigInteger, nullable=True),
        sa.Column("lifecycle_stage", _string(32), nullable=False),
        sa.Column("artifact_uri", _string(1000), nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", name="pk_runs"),
    )
    op.create_index("ix_runs_experiment_start", "runs", ["experiment_id", "start_time"])
    for table, length in (("params", 6000), ("tags", 8000)):
        op.create_table(
            table,
            _run_fk(table),
            _key(),
            sa.Column("value", _string(length), nullable=False),
            sa.PrimaryKeyConstraint("run_uuid", "key", name=f"pk_{table}"),
            sqlite_with_rowid=False,
        )
    op.create_table(
        "metrics",
        _run_fk("metrics"),
        _key(),
        *_metric_columns(),
        sa.PrimaryKeyConstraint("run_uuid", "key", "step", "timestamp", "kind", "value", name="pk_metrics"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "latest_metrics",
        _run_fk("latest_metrics"),
        _key(),
        *_metric_columns(),
        sa.PrimaryKeyConstraint("run_uuid", "key", name="pk_latest_metrics"),
        sqlite_with_rowid=False,
    )
    _create_dataset_tables()


def _create_dataset_tables() -> None:
    op.create_table(
        "datasets",
        sa.Column("dataset_uuid", _string(32), nullable=False),
        _experiment_fk("datasets"),
        sa.Column("name", _string(500), nullable=False),
        sa.Column("digest", _string(64), nullable=False),
        sa.Column("source_type", _string(64), nullable=False),
        sa.Column("source", _long_text(), nullable=False),
        sa.Column("schema", _long_text(), nullable=True),
        sa.Column("profile", _long_text(), nullable=True),
        sa.PrimaryKeyConstraint("dataset_uuid", name="pk_datasets"),
        sa.UniqueConstraint("experiment_id", "name", "digest", name="uq_datasets_experiment_name_digest"),
    )
    op.create_table(
        "inputs",
        _run_fk("inputs"),
        sa.Column(
            "dataset_uuid",
            _string(32),
            sa.ForeignKey("datasets.dataset_uuid", name="fk_inputs_dataset", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("position", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "dataset_uuid", name="pk_inputs"),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "input_tags",
        sa.Column("run_uuid", _string(32), nullable=False),
        sa.Column("dataset_uuid", _string(32), nullable=False),
        _key(),
        sa.Column("value", _string(500), nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "dataset_uuid", "key", name="pk_input_tags"),
        sa.ForeignKeyConstraint(
            ["run_uuid", "dataset_uuid"],
            ["inputs.run_uuid", "inputs.dataset_uuid"],
            name="fk_input_tags_input",
            ondelete="CASCADE",
        ),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    for table in (
        "input_tags",
        "inputs",
        "datasets",
        "latest_metrics",
        "metrics",
        "tags",
        "params",
        "runs",
        "experiment_tags",
        "experiments",
    ):
        op.drop_table(table)
