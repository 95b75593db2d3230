"""Tracking tables as SQLAlchemy Core ``Table`` objects.

The migrations in ``flowtrack/db/migrations/versions/`` (0001 tracking, 0002 logged models) create the same
schema without importing this module; a test checks that the two agree on every database.

Design notes:

* Strings compare and sort by code point on every database: ``COLLATE "C"`` on PostgreSQL, a binary no-pad
  collation on MySQL/MariaDB (their default collations ignore case and trailing spaces), SQLite's default
  BINARY. Equality, LIKE and ORDER BY therefore give the same answers everywhere.
* Metric values are stored as ``(kind, value)``: ``kind`` is -1 for -inf, 0 for a finite number, 1 for +inf
  and 2 for NaN, and ``value`` holds the number when finite and 0 otherwise. MySQL cannot store NaN or
  infinities in DOUBLE and SQLite turns NaN into NULL; the pair is exact on all of them and ``(kind, value)``
  orders like the numbers themselves, with NaN above +inf.
* Hot tables with composite keys are ``WITHOUT ROWID`` on SQLite: one b-tree per table instead of two.
"""

from __future__ import annotations

import sqlalchemy as sa

from flowtrack.db.types import BinaryString, long_text

KEY_LENGTH = 250
PARAM_VALUE_LENGTH = 6000
TAG_VALUE_LENGTH = 8000

KIND_NEG_INF = -1
KIND_FINITE = 0
KIND_POS_INF = 1
KIND_NAN = 2


def _key(name: str = "key") -> sa.Column[str]:
    return sa.Column(name, BinaryString(KEY_LENGTH), nullable=False)


def _run_fk(table: str) -> sa.Column[str]:
    return sa.Column(
        "run_uuid",
        BinaryString(32),
        sa.ForeignKey("runs.run_uuid", name=f"fk_{table}_run", ondelete="CASCADE"),
        nullable=False,
    )


metadata = sa.MetaData()

experiments = sa.Table(
    "experiments",
    metadata,
    sa.Column("experiment_id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("name", BinaryString(256), nullable=False),
    sa.Column("artifact_location", BinaryString(1000), nullable=False),
    sa.Column("lifecycle_stage", BinaryString(32), nullable=False),
    sa.Column("creation_time", sa.BigInteger, nullable=False),
    sa.Column("last_update_time", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("name", name="uq_experiments_name"),
)

experiment_tags = sa.Table(
    "experiment_tags",
    metadata,
    sa.Column(
        "experiment_id",
        sa.Integer,
        sa.ForeignKey("experiments.experiment_id", name="fk_experiment_tags_experiment", ondelete="CASCADE"),
        nullable=False,
    ),
    _key(),
    sa.Column("value", BinaryString(TAG_VALUE_LENGTH), nullable=False),
    sa.PrimaryKeyConstraint("experiment_id", "key", name="pk_experiment_tags"),
)

runs = sa.Table(
    "runs",
    metadata,
    sa.Column("run_uuid", BinaryString(32), nullable=False),
    sa.Column(
        "experiment_id",
        sa.Integer,
        sa.ForeignKey("experiments.experiment_id", name="fk_runs_experiment", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", BinaryString(KEY_LENGTH), nullable=False),
    sa.Column("user_id", BinaryString(256), nullable=False),
    sa.Column("status", BinaryString(20), nullable=False),
    sa.Column("start_time", sa.BigInteger, nullable=False),
    sa.Column("end_time", sa.BigInteger, nullable=True),
    sa.Column("deleted_time", sa.BigInteger, nullable=True),
    sa.Column("lifecycle_stage", BinaryString(32), nullable=False),
    sa.Column("artifact_uri", BinaryString(1000), nullable=False),
    sa.PrimaryKeyConstraint("run_uuid", name="pk_runs"),
    sa.Index("ix_runs_experiment_start", "experiment_id", "start_time"),
)

params = sa.Table(
    "params",
    metadata,
    _run_fk("params"),
    _key(),
    sa.Column("value", BinaryString(PARAM_VALUE_LENGTH), nullable=False),
    sa.PrimaryKeyConstraint("run_uuid", "key", name="pk_params"),
    sqlite_with_rowid=False,
)

tags = sa.Table(
    "tags",
    metadata,
    _run_fk("tags"),
    _key(),
    sa.Column("value", BinaryString(TAG_VALUE_LENGTH), nullable=False),
    sa.PrimaryKeyConstraint("run_uuid", "key", name="pk_tags"),
    sqlite_with_rowid=False,
)

# Every logged point. Logging the very same point twice stores it once (MLflow does the same).
metrics = sa.Table(
    "metrics",
    metadata,
    _run_fk("metrics"),
    _key(),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("timestamp", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.SmallInteger, nullable=False),
    sa.Column("value", sa.Double, nullable=False),
    sa.PrimaryKeyConstraint("run_uuid", "key", "step", "timestamp", "kind", "value", name="pk_metrics"),
    sqlite_with_rowid=False,
)

# One row per (run, key): the point with the greatest (step, timestamp, kind, value), kept in the same
# transaction as the history insert.
latest_metrics = sa.Table(
    "latest_metrics",
    metadata,
    _run_fk("latest_metrics"),
    _key(),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("timestamp", sa.BigInteger, nullable=False),
    sa.Column("kind", sa.SmallInteger, nullable=False),
    sa.Column("value", sa.Double, nullable=False),
    sa.PrimaryKeyConstraint("run_uuid", "key", name="pk_latest_metrics"),
    sqlite_with_rowid=False,
)

datasets = sa.Table(
    "datasets",
    metadata,
    sa.Column("dataset_uuid", BinaryString(32), nullable=False),
    sa.Column(
        "experiment_id",
        sa.Integer,
        sa.ForeignKey("experiments.experiment_id", name="fk_datasets_experiment", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", BinaryString(500), nullable=False),
    sa.Column("digest", BinaryString(64), nullable=False),
    sa.Column("source_type", BinaryString(64), nullable=False),
    sa.Column("source", long_text(), nullable=False),
    sa.Column("schema", long_text(), nullable=True),
    sa.Column("profile", long_text(), nullable=True),
    sa.PrimaryKeyConstraint("dataset_uuid", name="pk_datasets"),
    sa.UniqueConstraint("experiment_id", "name", "digest", name="uq_datasets_experiment_name_digest"),
)

inputs = sa.Table(
    "inputs",
    metadata,
    _run_fk("inputs"),
    sa.Column(
        "dataset_uuid",
        BinaryString(32),
        sa.ForeignKey("datasets.dataset_uuid", name="fk_inputs_dataset", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("position", sa.Integer, nullable=False),
    sa.PrimaryKeyConstraint("run_uuid", "dataset_uuid", name="pk_inputs"),
    sqlite_with_rowid=False,
)

input_tags = sa.Table(
    "input_tags",
    metadata,
    sa.Column("run_uuid", BinaryString(32), nullable=False),
    sa.Column("dataset_uuid", BinaryString(32), nullable=False),
    _key(),
    sa.Column("value", BinaryString(500), nullable=False),
    sa.PrimaryKeyConstraint("run_uuid", "dataset_uuid", "key", name="pk_input_tags"),
    sa.ForeignKeyConstraint(
        ["run_uuid", "dataset_uuid"],
        ["inputs.run_uuid", "inputs.dataset_uuid"],
        name="fk_input_tags_input",
        ondelete="CASCADE",
    ),
    sqlite_with_rowid=False,
)

# -- logged models (MLflow 3; created by migration 0002) -----------------------------------------------------
MODEL_ID_LENGTH = 36


def _model_fk(table: str) -> sa.Column[str]:
    return sa.Column(
        "model_id",
        BinaryString(MODEL_ID_LENGTH),
        sa.ForeignKey("logged_models.model_id", name=f"fk_{table}_model", ondelete="CASCADE"),
        nullable=False,
    )


logged_models = sa.Table(
    "logged_models",
    metadata,
    sa.Column("model_id", BinaryString(MODEL_ID_LENGTH), nullable=False),
    sa.Column(
        "experiment_id",
        sa.Integer,
        sa.ForeignKey("experiments.experiment_id", name="fk_logged_models_experiment", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("name", BinaryString(KEY_LENGTH), nullable=False),
    sa.Column("artifact_location", BinaryString(1000), nullable=False),
    sa.Column("creation_timestamp_ms", sa.BigInteger, nullable=False),
    sa.Column("last_updated_timestamp_ms", sa.BigInteger, nullable=False),
    sa.Column("status", BinaryString(32), nullable=False),
    sa.Column("lifecycle_stage", BinaryString(32), nullable=False),
    sa.Column("model_type", BinaryString(500), nullable=True),
    sa.Column("source_run_id", BinaryString(32), nullable=True),
    sa.Column("status_message", BinaryString(1000), nullable=True),
    sa.PrimaryKeyConstraint("model_id", name="pk_logged_models"),
    sa.Index("ix_logged_models_experiment_created", "experiment_id", "creation_timestamp_ms"),
    sa.Index("ix_logged_models_source_run", "source_run_id"),
)

logged_model_tags = sa.Table(
    "logged_model_tags",
    metadata,
    _model_fk("logged_model_tags"),
    _key(),
    sa.Column("value", BinaryString(TAG_VALUE_LENGTH), nullable=False),
    sa.PrimaryKeyConstraint("model_id", "key", name="pk_logged_model_tags"),
    sqlite_with_rowid=False,
)

logged_model_params = sa.Table(
    "logged_model_params",
    metadata,
    _model_fk("logged_model_params"),
    _key(),
    sa.Column("value", BinaryString(PARAM_VALUE_LENGTH), nullable=False),
    sa.PrimaryKeyConstraint("model_id", "key", name="pk_logged_model_params"),
    sqlite_with_rowid=False,
)

# Metric points of a run linked to the model they measure (log-batch metrics that carry a model_id). The
# points are in ``metrics`` too; this adds the model and the dataset they were measured on.
logged_model_metrics = sa.Table(
    "logged_model_metrics",
    metadata,
    _model_fk("logged_model_metrics"),
    _key(),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.Column("timestamp", sa.BigInteger, nullable=False),
    _run_fk("logged_model_metrics"),
    sa.Column("kind", sa.SmallInteger, nullable=False),
    sa.Column("value", sa.Double, nullable=False),
    sa.Column("dataset_name", BinaryString(500), nullable=True),
    sa.Column("dataset_digest", BinaryString(64), nullable=True),
    sa.PrimaryKeyConstraint(
        "model_id", "key", "step", "timestamp", "run_uuid", name="pk_logged_model_metrics"
    ),
    sqlite_with_rowid=False,
)

# Models a run produced (``Run.outputs``), at the step they were logged.
run_outputs = sa.Table(
    "run_outputs",
    metadata,
    _run_fk("run_outputs"),
    _model_fk("run_outputs"),
    sa.Column("step", sa.BigInteger, nullable=False),
    sa.PrimaryKeyConstraint("run_uuid", "model_id", "step", name="pk_run_outputs"),
    sqlite_with_rowid=False,
)
