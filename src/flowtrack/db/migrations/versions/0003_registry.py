"""Registered models, model versions, their tags and aliases.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Written by hand; it must not import flowtrack's table modules (see ``0001_tracking.py`` for the string and
metric-value conventions). Versions, tags and aliases refer to their model by name with ON UPDATE CASCADE,
so a rename is one UPDATE.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None

_NAME_LENGTH = 256
_CASCADE = "CASCADE"


def _string(length: int) -> sa.String:
    """A VARCHAR that compares by code point (case- and trailing-space-sensitive) on every database."""
    dialect = op.get_bind().dialect
    if dialect.name == "postgresql":
        return sa.String(length, collation="C")
    if dialect.name in ("mysql", "mariadb"):
        mariadb = getattr(dialect, "is_mariadb", False)
        return sa.String(length, collation="utf8mb4_nopad_bin" if mariadb else "utf8mb4_0900_bin")
    return sa.String(length)


def _model_fk(table: str) -> sa.Column[str]:
    return sa.Column(
        "name",
        _string(_NAME_LENGTH),
        sa.ForeignKey(
            "registered_models.name", name=f"fk_{table}_model", onupdate=_CASCADE, ondelete=_CASCADE
        ),
        nullable=False,
    )


def _version() -> sa.Column[int]:
    return sa.Column("version", sa.Integer, nullable=False, autoincrement=False)


def upgrade() -> None:
    op.create_table(
        "registered_models",
        sa.Column("name", _string(_NAME_LENGTH), nullable=False),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
        sa.Column("description", _string(5000), nullable=True),
        sa.PrimaryKeyConstraint("name", name="pk_registered_models"),
    )
    op.create_table(
        "registered_model_tags",
        _model_fk("registered_model_tags"),
        sa.Column("key", _string(250), nullable=False),
        sa.Column("value", _string(8000), nullable=False),
        sa.PrimaryKeyConstraint("name", "key", name="pk_registered_model_tags"),
    )
    op.create_table(
        "model_versions",
        _model_fk("model_versions"),
        _version(),
        sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
        sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
        sa.Column("description", _string(5000), nullable=True),
        sa.Column("user_id", _string(_NAME_LENGTH), nullable=True),
        sa.Column("current_stage", _string(20), nullable=False),
        sa.Column("source", _string(1000), nullable=False),
        sa.Column("storage_location", _string(1000), nullable=False),
        sa.Column("run_id", _string(32), nullable=True),
        sa.Column("run_link", _string(1000), nullable=True),
        sa.Column("status", _string(20), nullable=False),
        sa.Column("status_message", _string(500), nullable=True),
        sa.Column("model_id", _string(36), nullable=True),
        sa.PrimaryKeyConstraint("name", "version", name="pk_model_versions"),
    )
    op.create_index("ix_model_versions_run_id", "model_versions", ["run_id"])
    op.create_table(
        "model_version_tags",
        sa.Column("name", _string(_NAME_LENGTH), nullable=False),
        _version(),
        sa.Column("key", _string(250), nullable=False),
        sa.Column("value", _string(8000), nullable=False),
        sa.PrimaryKeyConstraint("name", "version", "key", name="pk_model_version_tags"),
        sa.ForeignKeyConstraint(
            ["name", "version"],
            ["model_versions.name", "model_versions.version"],
            name="fk_model_version_tags_version",
            onupdate=_CASCADE,
            ondelete=_CASCADE,
        ),
    )
    op.create_table(
        "registered_model_aliases",
        _model_fk("registered_model_aliases"),
        sa.Column("alias", _string(256), nullable=False),
        _version(),
        sa.PrimaryKeyConstraint("name", "alias", name="pk_registered_model_aliases"),
    )


def downgrade() -> None:
    for table in ("registered_model_aliases", "model_version_tags"):
        op.drop_table(table)
    op.drop_index("ix_model_versions_run_id", table_name="model_versions")
    for table in ("model_versions", "registered_model_tags", "registered_models"):
        op.drop_table(table)
