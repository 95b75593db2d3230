"""MLflow 3 logged models in the SQL store: ``logged_models`` (tags, params, metric links), ``run_outputs``.

:class:`SqlLoggedModels` is a mixin of :class:`~flowtrack.tracking.stores.sql.store.SqlTrackingStore`; it
uses the store's transactions (``_read``/``_write``) and its experiment and run checks, so the same rules
(one transaction per call, checks before the first write) hold. Searches follow the run search's
conventions (see :mod:`.queries`): binary string comparisons, GLOB for LIKE on SQLite, ``(kind, value)``
metrics.
"""

from __future__ import annotations

import dataclasses
import functools
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from flowtrack._internal.clock import now_ms
from flowtrack._internal.ids import random_run_name
from flowtrack.exceptions import InvalidArgument, LoggedModelNotFound, NotFound, ParamOverwriteError
from flowtrack.tracking.entities import (
    LifecycleStage,
    LoggedModelOutput,
    Metric,
    PagedList,
    Param,
    Run,
    RunOutputs,
    RunTag,
)
from flowtrack.tracking.filters import (
    LOGGED_MODEL_ATTRIBUTES,
    NUMERIC_LOGGED_MODEL_ATTRIBUTES,
    Comparison,
    EntityKind,
)
from flowtrack.tracking.logged_models import (
    DatasetFilter,
    LoggedModel,
    LoggedModelMetric,
    LoggedModelOrderBy,
    LoggedModelStatus,
    model_artifact_location,
    new_model_id,
)
from flowtrack.tracking.stores.sql import dml, queries, writes
from flowtrack.tracking.stores.sql.convert import decode_value, encode_token, encode_value, offset_from_token
from flowtrack.tracking.stores.sql.sqlite_fast import SqliteFastPath
from flowtrack.tracking.stores.sql.tables import (
    KIND_NAN,
    logged_model_metrics,
    logged_model_params,
    logged_model_tags,
    logged_models,
    run_outputs,
)

Row = Mapping[Any, Any]
IN_CHUNK = 1000
_ACTIVE = LifecycleStage.ACTIVE.value
_DELETED = LifecycleStage.DELETED.value


def _not_found(model_id: str) -> LoggedModelNotFound:
    return LoggedModelNotFound(f"Logged model with ID '{model_id}' not found.")


class SqlLoggedModels:
    """The logged-model part of the SQL tracking store (a mixin: see the module docstring)."""

    if TYPE_CHECKING:  # provided by SqlTrackingStore
        _dialect: str
        _fast: SqliteFastPath | None

        def _read(self) -> AbstractContextManager[Connection]: ...

        def _write(self) -> AbstractContextManager[Connection]: ...

        def _active_experiment(
            self, conn: Connection, experiment_id: str, action: str
        ) -> Mapping[Any, Any]: ...

        def _check_run(self, conn: Connection, run_id: str, *, active: bool = True) -> None: ...

    # -- writes ----------------------------------------------------------------------------------------------
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None,
        source_run_id: str | None,
        tags: Sequence[RunTag],
        params: Sequence[Param],
        model_type: str | None,
    ) -> LoggedModel:
        model_id = new_model_id()
        tag_values = writes.tag_dict(tags)
        param_values = _param_dict(model_id, params)
        now = now_ms()
        with self._write() as conn:
            experiment = self._active_experiment(conn, experiment_id, "log a model in")
            if source_run_id:
                self._check_run(conn, source_run_id, active=False)
            row = {
                "model_id": model_id,
                "experiment_id": experiment["experiment_id"],
                "name": name or random_run_name(),
                "artifact_location": model_artifact_location(experiment["artifact_location"], model_id),
                "creation_timestamp_ms": now,
                "last_updated_timestamp_ms": now,
                "status": LoggedModelStatus.PENDING.value,
                "lifecycle_stage": _ACTIVE,
                "model_type": model_type,
                "source_run_id": source_run_id or None,
                "status_message": None,
            }
            conn.execute(sa.insert(logged_models).values(row))
            _write_pairs(conn, logged_model_tags, model_id, tag_values)
            _write_pairs(conn, logged_model_params, model_id, param_values)
        return _row_to_model(row, tag_values, param_values, ())

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        with self._write() as conn:
            self._lock_model(conn, model_id)
            stmt = sa.update(logged_models).where(logged_models.c.model_id == model_id)
            conn.execute(
                stmt.values(status=LoggedModelStatus(status).value, last_updated_timestamp_ms=now_ms())
            )
            found = _load_models(conn, _select_models(logged_models.c.model_id == model_id))
        return found[0]

    def set_logged_model_tags(self, model_id: str, tags: Sequence[RunTag]) -> None:
        values = writes.tag_dict(tags)
        with self._write() as conn:
            self._lock_model(conn, model_id)
            rows = [{"model_id": model_id, "key": key, "value": value} for key, value in values.items()]
            if rows:
                dml.upsert(conn, logged_model_tags, ("model_id", "key"), rows, ["value"])

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        with self._write() as conn:
            self._lock_model(conn, model_id)
            stmt = sa.delete(logged_model_tags).where(
                logged_model_tags.c.model_id == model_id, logged_model_tags.c.key == key
            )
            if conn.execute(stmt).rowcount == 0:
                raise NotFound(f"No tag with key {key!r} found for model with ID {model_id!r}.")

    def log_logged_model_params(self, model_id: str, params: Sequence[Param]) -> None:
        values = _param_dict(model_id, params)
        with self._write() as conn:
            self._lock_model(conn, model_id)
            _write_pairs(conn, logged_model_params, model_id, values)

    def delete_logged_model(self, model_id: str) -> None:
        with self._write() as conn:
            self._lock_model(conn, model_id)
            stmt = sa.update(logged_models).where(logged_models.c.model_id == model_id)
            conn.execute(stmt.values(lifecycle_stage=_DELETED, last_updated_timestamp_ms=now_ms()))

    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        with self._write() as conn:
            self._check_run(conn, run_id)
            _check_models_exist(conn, [model.model_id for model in models])
            rows = [{"run_uuid": run_id, "model_id": m.model_id, "step": int(m.step)} for m in models]
            dml.insert_ignore(conn, run_outputs, rows)

    def log_logged_model_metrics(self, run_id: str, metrics: Sequence[LoggedModelMetric]) -> None:
        if not metrics:
            return
        rows: dict[tuple[str, str, int, int], dict[str, Any]] = {}
        for point in metrics:
            kind, value = encode_value(point.value)
            identity = (point.model_id, point.key, int(point.step), int(point.timestamp))
            rows[identity] = {
                "model_id": point.model_id,
                "key": point.key,
                "step": int(point.step),
                "timestamp": int(point.timestamp),
                "run_uuid": run_id,
                "kind": kind,
                "value": value,
                "dataset_name": point.dataset_name,
                "dataset_digest": point.dataset_digest,
            }
        points = [Metric(point.key, point.value, point.timestamp, point.step) for point in metrics]
        with self._write() as conn:
            self._check_run(conn, run_id)
            _check_models_exist(conn, sorted({point.model_id for point in metrics}))
            writes.write_metrics(conn, run_id, points)
            dml.upsert(
                conn,
                logged_model_metrics,
                ("model_id", "key", "step", "timestamp", "run_uuid"),
                list(rows.values()),
                ["kind", "value", "dataset_name", "dataset_digest"],
            )

    def _lock_model(self, conn: Connection, model_id: str) -> None:
        """Raise LoggedModelNotFound unless the model exists (deleted or not); locks its row until commit."""
        stmt = sa.select(logged_models.c.model_id).where(logged_models.c.model_id == model_id)
        if self._dialect != "sqlite":
            stmt = stmt.with_for_update()
        if conn.execute(stmt).first() is None:
            raise _not_found(model_id)

    # -- reads -----------------------------------------------------------------------------------------------
    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        condition = logged_models.c.model_id == model_id
        if not allow_deleted:
            condition = sa.and_(condition, logged_models.c.lifecycle_stage == _ACTIVE)
        with self._read() as conn:
            found = _load_models(conn, _select_models(condition))
        if not found:
            raise _not_found(model_id)
        return found[0]

    def get_logged_model_header(self, model_id: str) -> LoggedModel:
        condition = sa.and_(logged_models.c.model_id == model_id, logged_models.c.lifecycle_stage == _ACTIVE)
        with self._read() as conn:
            row = conn.execute(_select_models(condition)).mappings().first()
        if row is None:
            raise _not_found(model_id)
        return _row_to_model(row, {}, {}, ())

    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filters: Sequence[Comparison],
        datasets: Sequence[DatasetFilter],
        order_by: Sequence[LoggedModelOrderBy],
        max_results: int,
        page_token: str | None,
    ) -> PagedList[LoggedModel]:
        offset = offset_from_token(page_token)
        try:
            keys = [int(experiment_id) for experiment_id in experiment_ids]
        except (TypeError, ValueError) as exc:
            raise InvalidArgument(
                f"experiment ids are integers, got {list(experiment_ids)!r}", field="experiment_ids"
            ) from exc
        if not keys:
            return PagedList([], None)
        stmt, values = search_statement(self._dialect, keys, filters, datasets, order_by)
        values.update(limit=max_results + 1, offset=offset)
        with self._read() as conn:
            rows = conn.execute(stmt, values).mappings().all()
            found = _complete(conn, rows[:max_results])
        token = encode_token({"offset": offset + max_results}) if len(rows) > max_results else None
        return PagedList(found, token)

    def _with_outputs(self, found: Sequence[Run]) -> list[Run]:
        """``found`` with each run's ``outputs`` (the models it logged) filled in; one query per page."""
        if not found:
            return list(found)
        ids = [run.info.run_id for run in found]
        if self._fast is not None:  # straight to the driver: a SQLAlchemy round trip costs ten times more
            by_run = _group_outputs(
                row
                for chunk in dml.chunks(ids)
                for row in self._fast.read(_sqlite_outputs_sql(len(chunk)), chunk)
            )
        else:
            with self._read() as conn:
                by_run = load_outputs(conn, ids)
        if not by_run:
            return list(found)
        return [
            dataclasses.replace(run, outputs=by_run[run.info.run_id]) if run.info.run_id in by_run else run
            for run in found
        ]


# -- loading -------------------------------------------------------------------------------------------------
def _select_models(condition: sa.ColumnElement[bool]) -> sa.Select[Any]:
    return sa.select(logged_models).where(condition)


def _rows_for(conn: Connection, table: sa.Table, ids: Sequence[str], *order: Any) -> list[Row]:
    rows: list[Row] = []
    for start in range(0, len(ids), IN_CHUNK):
        stmt = sa.select(table).where(table.c.model_id.in_(list(ids[start : start + IN_CHUNK])))
        rows.extend(conn.execute(stmt.order_by(*order)).mappings().all())
    return rows


def _load_models(conn: Connection, stmt: sa.Select[Any]) -> list[LoggedModel]:
    return _complete(conn, conn.execute(stmt).mappings().all())


def _complete(conn: Connection, rows: Sequence[Row]) -> list[LoggedModel]:
    """Models with their tags, params and metric links: three queries per page, whatever its size."""
    if not rows:
        return []
    ids = [row["model_id"] for row in rows]
    tags: dict[str, dict[str, str]] = defaultdict(dict)
    for row in _rows_for(conn, logged_model_tags, ids, logged_model_tags.c.key):
        tags[row["model_id"]][row["key"]] = row["value"]
    params: dict[str, dict[str, str]] = defaultdict(dict)
    for row in _rows_for(conn, logged_model_params, ids, logged_model_params.c.key):
        params[row["model_id"]][row["key"]] = row["value"]
    metrics: dict[str, list[LoggedModelMetric]] = defaultdict(list)
    order = (logged_model_metrics.c.key, logged_model_metrics.c.step, logged_model_metrics.c.timestamp)
    for row in _rows_for(conn, logged_model_metrics, ids, *order, logged_model_metrics.c.run_uuid):
        metrics[row["model_id"]].append(
            LoggedModelMetric(
                key=row["key"],
                value=decode_value(row["kind"], row["value"]),
                timestamp=row["timestamp"],
                step=row["step"],
                run_id=row["run_uuid"],
                model_id=row["model_id"],
                dataset_name=row["dataset_name"],
                dataset_digest=row["dataset_digest"],
            )
        )
    return [
        _row_to_model(row, tags[row["model_id"]], params[row["model_id"]], metrics[row["model_id"]])
        for row in rows
    ]


def _row_to_model(
    row: Row, tags: Mapping[str, str], params: Mapping[str, str], metrics: Sequence[LoggedModelMetric]
) -> LoggedModel:
    return LoggedModel(
        model_id=row["model_id"],
        experiment_id=str(row["experiment_id"]),
        name=row["name"],
        artifact_location=row["artifact_location"],
        creation_timestamp_ms=row["creation_timestamp_ms"],
        last_updated_timestamp_ms=row["last_updated_timestamp_ms"],
        status=LoggedModelStatus(row["status"]),
        model_type=row["model_type"],
        source_run_id=row["source_run_id"],
        status_message=row["status_message"],
        lifecycle_stage=LifecycleStage(row["lifecycle_stage"]),
        tags=dict(sorted(tags.items())),
        params=dict(sorted(params.items())),
        metrics=tuple(metrics),
    )


_OUTPUT_ORDER = (run_outputs.c.run_uuid, run_outputs.c.step, run_outputs.c.model_id)


def load_outputs(conn: Connection, run_ids: Sequence[str]) -> dict[str, RunOutputs]:
    """The models each run logged, by step then model id; runs without any are left out."""
    rows: list[Any] = []
    for chunk in dml.chunks(run_ids):
        stmt = sa.select(run_outputs.c.run_uuid, run_outputs.c.model_id, run_outputs.c.step)
        stmt = stmt.where(run_outputs.c.run_uuid.in_(list(chunk))).order_by(*_OUTPUT_ORDER)
        rows.extend(conn.execute(stmt))
    return _group_outputs(rows)


@functools.lru_cache(maxsize=64)
def _sqlite_outputs_sql(count: int) -> str:
    marks = ", ".join("?" * count)
    return (
        f"SELECT run_uuid, model_id, step FROM run_outputs WHERE run_uuid IN ({marks}) "
        "ORDER BY run_uuid, step, model_id"
    )


def _group_outputs(rows: Iterable[Any]) -> dict[str, RunOutputs]:
    grouped: dict[str, list[LoggedModelOutput]] = defaultdict(list)
    for run_id, model_id, step in rows:
        grouped[run_id].append(LoggedModelOutput(model_id, step))
    return {run_id: RunOutputs(tuple(outputs)) for run_id, outputs in grouped.items()}


# -- writes --------------------------------------------------------------------------------------------------
def _param_dict(model_id: str, items: Sequence[Param]) -> dict[str, str]:
    values: dict[str, str] = {}
    for param in items:
        old = values.setdefault(param.key, param.value)
        if old != param.value:
            raise _param_conflict(model_id, param.key, old, param.value)
    return values


def _param_conflict(model_id: str, key: str, old: str, new: str) -> ParamOverwriteError:
    return ParamOverwriteError(
        f"param {key!r} of logged model {model_id} already has the value {old!r}; it cannot change to "
        f"{new!r} (params are immutable)",
        field="params",
    )


def _write_pairs(conn: Connection, table: sa.Table, model_id: str, values: Mapping[str, str]) -> None:
    """Tags (upserted) or params (inserted once; a different value for a stored key is refused)."""
    if not values:
        return
    rows = [{"model_id": model_id, "key": key, "value": value} for key, value in values.items()]
    if table is logged_model_tags:
        dml.upsert(conn, table, ("model_id", "key"), rows, ["value"])
        return
    stored: dict[str, str] = {}
    for chunk in dml.chunks(list(values)):
        stmt = sa.select(table.c.key, table.c.value).where(
            table.c.model_id == model_id, table.c.key.in_(list(chunk))
        )
        stored.update((key, value) for key, value in conn.execute(stmt))
    for key, old in stored.items():
        if old != values[key]:
            raise _param_conflict(model_id, key, old, values[key])
    dml.insert(conn, table, [row for row in rows if row["key"] not in stored])


def _check_models_exist(conn: Connection, model_ids: Sequence[str]) -> None:
    wanted = set(model_ids)
    found: set[str] = set()
    for chunk in dml.chunks(sorted(wanted)):
        stmt = sa.select(logged_models.c.model_id).where(logged_models.c.model_id.in_(list(chunk)))
        found.update(conn.execute(stmt).scalars())
    missing = sorted(wanted - found)
    if missing:
        raise _not_found(missing[0])


# -- search --------------------------------------------------------------------------------------------------
def search_statement(
    dialect: str,
    experiment_keys: Sequence[int],
    filters: Sequence[Comparison],
    datasets: Sequence[DatasetFilter],
    order_by: Sequence[LoggedModelOrderBy],
) -> tuple[sa.Select[Any], dict[str, Any]]:
    """The SELECT of a page of logged models (bound ``limit`` and ``offset`` still to be given)."""
    values: dict[str, Any] = {"experiment_ids": list(experiment_keys)}
    where: list[sa.ColumnElement[bool]] = [
        logged_models.c.experiment_id.in_(sa.bindparam("experiment_ids", expanding=True)),
        logged_models.c.lifecycle_stage == _ACTIVE,
    ]
    on_datasets = _dataset_condition(datasets)
    has_metric_filter = False
    for index, comparison in enumerate(filters):
        condition, bound = _filter(comparison, index, dialect, on_datasets)
        has_metric_filter = has_metric_filter or comparison.kind is EntityKind.METRIC
        where.append(condition)
        values.update(bound)
    if on_datasets is not None and not has_metric_filter:
        where.append(_metric_exists(on_datasets))
    order: list[Any] = []
    ordered: set[str] = set()
    for clause in order_by:
        order += _order(clause)
        ordered.add(clause.field_name)
    if "creation_timestamp_ms" not in ordered:
        order.append(logged_models.c.creation_timestamp_ms.desc())
    if "model_id" not in ordered:
        order.append(logged_models.c.model_id.asc())
    stmt = sa.select(logged_models).where(*where).order_by(*order)
    stmt = stmt.limit(sa.bindparam("limit", type_=sa.Integer)).offset(
        sa.bindparam("offset", type_=sa.Integer)
    )
    return stmt, values


def _filter(
    comparison: Comparison, index: int, dialect: str, on_datasets: sa.ColumnElement[bool] | None
) -> tuple[sa.ColumnElement[bool], dict[str, Any]]:
    kind, key = comparison.kind, comparison.key
    if kind is EntityKind.METRIC:
        shape, bound = queries.prepare_comparison(comparison, key, index, dialect, numeric=True, metric=True)
        point = logged_model_metrics.alias(f"lmm_{index}")
        conditions = [
            point.c.model_id == logged_models.c.model_id,
            point.c.key == key,
            queries.metric_condition(point.c.kind, point.c.value, shape, index),
        ]
        if on_datasets is not None:
            conditions.append(_on_alias(on_datasets, point))
        return sa.exists(sa.select(1).select_from(point).where(*conditions)), bound
    if kind in (EntityKind.PARAM, EntityKind.TAG):
        table = logged_model_params if kind is EntityKind.PARAM else logged_model_tags
        shape, bound = queries.prepare_comparison(comparison, key, index, dialect, numeric=False)
        pair = table.alias(f"{table.name}_{index}")
        condition = queries.value_condition(pair.c.value, shape, index, dialect)
        subquery = (
            sa.select(1)
            .select_from(pair)
            .where(pair.c.model_id == logged_models.c.model_id, pair.c.key == key, condition)
        )
        return sa.exists(subquery), bound
    if kind is not EntityKind.ATTRIBUTE:
        raise InvalidArgument(f"logged models cannot be filtered by {kind.value}.{key}", field="filter")
    name = _attribute(key, "filter")
    numeric = name in NUMERIC_LOGGED_MODEL_ATTRIBUTES
    if name == "status":
        comparison = dataclasses.replace(comparison, value=_status_values(comparison.value))
    shape, bound = queries.prepare_comparison(comparison, name, index, dialect, numeric=numeric)
    return queries.value_condition(logged_models.c[name], shape, index, dialect), bound


def _status_values(value: Any) -> Any:
    """``'READY'`` (MLflow's Python name) or ``'LOGGED_MODEL_READY'`` both match ready models."""
    if isinstance(value, tuple):
        return tuple(_status_values(item) for item in value)
    if isinstance(value, str):
        try:
            return LoggedModelStatus.parse(value).value
        except InvalidArgument:
            return value
    return value


def _attribute(key: str, field: str) -> str:
    name = LOGGED_MODEL_ATTRIBUTES.get(key)
    if name is None:
        valid = ", ".join(sorted(LOGGED_MODEL_ATTRIBUTES))
        raise InvalidArgument(f"unknown logged model attribute {key!r}; valid: {valid}", field=field)
    return name


def _dataset_condition(datasets: Sequence[DatasetFilter]) -> sa.ColumnElement[bool] | None:
    """Over the ``logged_model_metrics`` table itself; :func:`_on_alias` moves it onto an alias."""
    if not datasets:
        return None
    table = logged_model_metrics
    alternatives = []
    for dataset in datasets:
        if not dataset.dataset_name:
            raise InvalidArgument(
                "`dataset_name` in the `datasets` clause must be specified.", field="datasets"
            )
        condition = table.c.dataset_name == dataset.dataset_name
        if dataset.dataset_digest:
            condition = sa.and_(condition, table.c.dataset_digest == dataset.dataset_digest)
        alternatives.append(condition)
    return sa.or_(*alternatives)


def _on_alias(condition: sa.ColumnElement[bool], alias: sa.FromClause) -> sa.ColumnElement[bool]:
    from sqlalchemy.sql.util import ClauseAdapter

    adapted: sa.ColumnElement[bool] = ClauseAdapter(alias).traverse(condition)
    return adapted


def _metric_exists(on_datasets: sa.ColumnElement[bool]) -> sa.ColumnElement[bool]:
    point = logged_model_metrics.alias("lmm_datasets")
    subquery = (
        sa.select(1)
        .select_from(point)
        .where(point.c.model_id == logged_models.c.model_id, _on_alias(on_datasets, point))
    )
    return sa.exists(subquery)


def _order(clause: LoggedModelOrderBy) -> list[Any]:
    def direct(column: Any) -> Any:
        return column.asc() if clause.ascending else column.desc()

    if clause.kind is EntityKind.METRIC:
        point = logged_model_metrics.alias()
        conditions = [point.c.model_id == logged_models.c.model_id, point.c.key == clause.key]
        if clause.dataset_name:
            conditions.append(point.c.dataset_name == clause.dataset_name)
            if clause.dataset_digest:
                conditions.append(point.c.dataset_digest == clause.dataset_digest)
        latest = (point.c.timestamp.desc(), point.c.step.desc(), point.c.run_uuid.asc())

        def pick(column: Any) -> Any:
            return sa.select(column).where(*conditions).order_by(*latest).limit(1).scalar_subquery()

        kind, value = pick(point.c.kind), pick(point.c.value)
        bucket = sa.case((kind.is_(None), 2), (kind == KIND_NAN, 1), else_=0)
        return [bucket.asc(), direct(kind), direct(value)]
    if clause.kind is not EntityKind.ATTRIBUTE:
        raise InvalidArgument(
            f"Invalid order by field name: {clause.field_name}. Only attributes and metrics are supported.",
            field="order_by",
        )
    column = logged_models.c[_attribute(clause.key, "order_by")]
    missing_last = sa.case((column.is_(None), 1), else_=0).asc()
    return [missing_last, direct(column)] if column.nullable else [direct(column)]
