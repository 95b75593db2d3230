"""Registry tables as SQLAlchemy Core ``Table`` objects, in a ``MetaData`` of their own.

Migration ``0003_registry.py`` creates the same schema without importing this module; the schema test checks
that they agree on every database. Strings compare by code point everywhere (see the tracking tables).

A registered model is keyed by its name; its versions, tags and aliases refer to it with ``ON UPDATE
CASCADE``, so renaming a model is one UPDATE, and ``ON DELETE CASCADE``.
"""

from __future__ import annotations

import sqlalchemy as sa

from flowtrack.db.types import BinaryString
from flowtrack.tracking.stores.sql.tables import KEY_LENGTH, TAG_VALUE_LENGTH

NAME_LENGTH = 256
ALIAS_LENGTH = 256
DESCRIPTION_LENGTH = 5000
URI_LENGTH = 1000
CASCADE = "CASCADE"

metadata = sa.MetaData()


def _model_fk(table: str) -> sa.Column[str]:
    return sa.Column(
        "name",
        BinaryString(NAME_LENGTH),
        sa.ForeignKey("registered_models.name", name=f"fk_{table}_model", onupdate=CASCADE, ondelete=CASCADE),
        nullable=False,
    )


registered_models = sa.Table(
    "registered_models",
    metadata,
    sa.Column("name", BinaryString(NAME_LENGTH), nullable=False),
    sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
    sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
    sa.Column("description", BinaryString(DESCRIPTION_LENGTH), nullable=True),
    sa.PrimaryKeyConstraint("name", name="pk_registered_models"),
)

registered_model_tags = sa.Table(
    "registered_model_tags",
    metadata,
    _model_fk("registered_model_tags"),
    sa.Column("key", BinaryString(KEY_LENGTH), nullable=False),
    sa.Column("value", BinaryString(TAG_VALUE_LENGTH), nullable=False),
    sa.PrimaryKeyConstraint("name", "key", name="pk_registered_model_tags"),
)

model_versions = sa.Table(
    "model_versions",
    metadata,
    _model_fk("model_versions"),
    sa.Column("version", sa.Integer, nullable=False, autoincrement=False),
    sa.Column("creation_timestamp", sa.BigInteger, nullable=False),
    sa.Column("last_updated_timestamp", sa.BigInteger, nullable=False),
    sa.Column("description", BinaryString(DESCRIPTION_LENGTH), nullable=True),
    sa.Column("user_id", BinaryString(NAME_LENGTH), nullable=True),
    sa.Column("current_stage", BinaryString(20), nullable=False),
    sa.Column("source", BinaryString(URI_LENGTH), nullable=False),
    sa.Column("storage_location", BinaryString(URI_LENGTH), nullable=False),
    sa.Column("run_id", BinaryString(32), nullable=True),
    sa.Column("run_link", BinaryString(URI_LENGTH), nullable=True),
    sa.Column("status", BinaryString(20), nullable=False),
    sa.Column("status_message", BinaryString(500), nullable=True),
    sa.Column("model_id", BinaryString(36), nullable=True),
    sa.PrimaryKeyConstraint("name", "version", name="pk_model_versions"),
    sa.Index("ix_model_versions_run_id", "run_id"),
)

model_version_tags = sa.Table(
    "model_version_tags",
    metadata,
    sa.Column("name", BinaryString(NAME_LENGTH), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, autoincrement=False),
    sa.Column("key", BinaryString(KEY_LENGTH), nullable=False),
    sa.Column("value", BinaryString(TAG_VALUE_LENGTH), nullable=False),
    sa.PrimaryKeyConstraint("name", "version", "key", name="pk_model_version_tags"),
    sa.ForeignKeyConstraint(
        ["name", "version"],
        ["model_versions.name", "model_versions.version"],
        name="fk_model_version_tags_version",
        onupdate=CASCADE,
        ondelete=CASCADE,
    ),
)

registered_model_aliases = sa.Table(
    "registered_model_aliases",
    metadata,
    _model_fk("registered_model_aliases"),
    sa.Column("alias", BinaryString(ALIAS_LENGTH), nullable=False),
    sa.Column("version", sa.Integer, nullable=False, autoincrement=False),
    sa.PrimaryKeyConstraint("name", "alias", name="pk_registered_model_aliases"),
)
