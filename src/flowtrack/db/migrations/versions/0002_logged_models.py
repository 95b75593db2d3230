"""MLflow 3 logged models: logged_models with their tags, params and metric links, and run_outputs.

Revision ID: 0002
Revises: 0001
Create Date: 2025-02-01

Written by hand; it must not import flowtrack's table modules (see ``0001_tracking.py`` for the string and
metric-value conventions, which these tables share).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

_MODEL_ID_LENGTH = 36


def _string(length: int) -> sa.String:
    """A VARCHAR that compares by code point (case- and trailing-space-sensitive) on every database."""
    dialect = op.get_bind().dialect
    if dialect.name == "postgresql":
        return sa.String(length, collation="C")
    if dialect.name in ("mysql", "mariadb"):
        mariadb = getattr(dialect, "is_mariadb", False)
        return sa.String(length, collation="utf8mb4_nopad_bin" if mariadb else "utf8mb4_0900_bin")
    return sa.String(length)


def _key() -> sa.Column[str]:
    return sa.Column("key", _string(250), nullable=False)


def _model_fk(table: str) -> sa.Column[str]:
    return sa.Column(
        "model_id",
        _string(_MODEL_ID_LENGTH),
        sa.ForeignKey("logged_models.model_id", name=f"fk_{table}_model", ondelete="CASCADE"),
        nullable=False,
    )


def _run_fk(table: str) -> sa.Column[str]:
    return sa.Column(
        "run_uuid",
        _string(32),
        sa.ForeignKey("runs.run_uuid", name=f"fk_{table}_run", ondelete="CASCADE"),
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "logged_models",
        sa.Column("model_id", _string(_MODEL_ID_LENGTH), nullable=False),
        sa.Column(
            "experiment_id",
            sa.Integer,
            sa.ForeignKey(
                "experiments.experiment_id", name="fk_logged_models_experiment", ondelete="CASCADE"
            ),
            nullable=False,
        ),
        sa.Column("name", _string(250), nullable=False),
        sa.Column("artifact_location", _string(1000), nullable=False),
        sa.Column("creation_timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp_ms", sa.BigInteger, nullable=False),
        sa.Column("status", _string(32), nullable=False),
        sa.Column("lifecycle_stage", _string(32), nullable=False),
        sa.Column("model_type", _string(500), nullable=True),
        sa.Column("source_run_id", _string(32), nullable=True),
        sa.Column("status_message", _string(1000), nullable=True),
        sa.PrimaryKeyConstraint("model_id", name="pk_logged_models"),
    )
    op.create_index(
        "ix_logged_models_experiment_created", "logged_models", ["experiment_id", "creation_timestamp_ms"]
    )
    op.create_index("ix_logged_models_source_run", "logged_models", ["source_run_id"])
    for table, length in (("logged_model_tags", 8000), ("logged_model_params", 6000)):
        op.create_table(
            table,
            _model_fk(table),
            _key(),
            sa.Column("value", _string(length), nullable=False),
            sa.PrimaryKeyConstraint("model_id", "key", name=f"pk_{table}"),
            sqlite_with_rowid=False,
        )
    op.create_table(
        "logged_model_metrics",
        _model_fk("logged_model_metrics"),
        _key(),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.Column("timestamp", sa.BigInteger, nullable=False),
        _run_fk("logged_model_metrics"),
        sa.Column("kind", sa.SmallInteger, nullable=False),
        sa.Column("value", sa.Double, nullable=False),
        sa.Column("dataset_name", _string(500), nullable=True),
        sa.Column("dataset_digest", _string(64), nullable=True),
        sa.PrimaryKeyConstraint(
            "model_id", "key", "step", "timestamp", "run_uuid", name="pk_logged_model_metrics"
        ),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "run_outputs",
        _run_fk("run_outputs"),
        _model_fk("run_outputs"),
        sa.Column("step", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("run_uuid", "model_id", "step", name="pk_run_outputs"),
        sqlite_with_rowid=False,
    )


def downgrade() -> None:
    for table in ("run_outputs", "logged_model_metrics", "logged_model_params", "logged_model_tags"):
        op.drop_table(table)
    op.drop_index("ix_logged_models_source_run", table_name="logged_models")
    op.drop_index("ix_logged_models_experiment_created", table_name="logged_models")
    op.drop_table("logged_models")
