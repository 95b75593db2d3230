"""Parsed search filters and order-by clauses → SQL, identical in meaning on SQLite, PostgreSQL and MySQL.

* A comparison on a metric, param or tag is an inner join on ``(run, key)``, so a run that lacks the key never
  matches (also for ``!=`` and ``NOT IN``, as in MLflow).
* Metric comparisons work on ``(kind, value)`` (see ``tables.py``): -inf < finite < +inf, and NaN matches no
  comparison.
* ``LIKE`` is case-sensitive everywhere: the string columns use binary collations on PostgreSQL and MySQL, and
  on SQLite (whose LIKE ignores case) the pattern is translated to ``GLOB``. ``ILIKE`` lowercases both sides.
  A backslash escapes the next character of a pattern on every database.
* Ordering puts runs that lack the key last in both directions, NaN metrics just before them, and breaks ties
  by start_time DESC then run_id, so pages are stable and never overlap.

Building a SELECT costs more than running it on a thousand runs, so statements are built once per *shape* (the
filters without their values, the order-by) with bound parameters for the values, and cached.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.sql.elements import ColumnElement

from flowtrack.exceptions import InvalidArgument
from flowtrack.tracking.filters import (
    EXPERIMENT_ATTRIBUTES,
    NUMERIC_EXPERIMENT_ATTRIBUTES,
    NUMERIC_RUN_ATTRIBUTES,
    RUN_ATTRIBUTES,
    Comparison,
    EntityKind,
    Operator,
    OrderBy,
)
from flowtrack.tracking.stores.sql.convert import encode_value
from flowtrack.tracking.stores.sql.tables import (
    KIND_NAN,
    datasets,
    experiment_tags,
    experiments,
    input_tags,
    inputs,
    latest_metrics,
    params,
    runs,
    tags,
)

Condition = ColumnElement[bool]
Column = ColumnElement[Any]
Params = dict[str, Any]

DATASET_CONTEXT_TAG = "mlflow.data.context"
_NUMERIC_OPS = frozenset({Operator.EQ, Operator.NE, Operator.LT, Operator.LE, Operator.GT, Operator.GE})
_STRING_OPS = frozenset(
    {Operator.EQ, Operator.NE, Operator.LIKE, Operator.ILIKE, Operator.IN, Operator.NOT_IN}
)
_LIST_OPS = frozenset({Operator.IN, Operator.NOT_IN})
_RUN_COLUMNS: dict[str, str] = {"run_id": "run_uuid", "run_name": "name"}
_DATASET_KEYS = ("name", "digest", "context")


def _invalid(message: str, field: str = "filter") -> InvalidArgument:
    return InvalidArgument(message, field=field)


@dataclass(frozen=True, slots=True)
class Shape:
    """A comparison without its value: what the SQL depends on. ``variant``: num, nan, str, list or ids."""

    kind: EntityKind
    key: str
    op: Operator
    variant: str


# -- values: checked and converted per call ------------------------------------------------------------------
def _number(comparison: Comparison) -> float:
    value = comparison.value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
    raise _invalid(f"{comparison.kind.value}.{comparison.key} must be compared with a number, got {value!r}")


def _numeric(comparison: Comparison, name: str, index: int, *, metric: bool) -> tuple[Shape, Params]:
    if comparison.op not in _NUMERIC_OPS:
        raise _invalid(
            f"operator {comparison.op.value!r} is not supported for {comparison.kind.value}.{name}"
        )
    number = _number(comparison)
    if math.isnan(number):
        return Shape(comparison.kind, name, comparison.op, "nan"), {}
    if metric:
        kind, value = encode_value(number)
        return Shape(comparison.kind, name, comparison.op, "num"), {f"f{index}k": kind, f"f{index}v": value}
    operand: float | int = int(number) if math.isfinite(number) and number.is_integer() else number
    return Shape(comparison.kind, name, comparison.op, "num"), {f"f{index}v": operand}


def _string(comparison: Comparison, name: str, index: int, dialect: str) -> tuple[Shape, Params]:
    op, value = comparison.op, comparison.value
    if op not in _STRING_OPS:
        raise _invalid(f"operator {op.value!r} is not supported for {comparison.kind.value}.{name}")
    if op in _LIST_OPS:
        if not isinstance(value, tuple):
            raise _invalid(f"operator {op.value} needs a list of strings, got {value!r}")
        return Shape(comparison.kind, name, op, "list"), {f"f{index}v": [str(item) for item in value]}
    if not isinstance(value, str):
        raise _invalid(f"operator {op.value!r} needs a string, got {value!r}")
    if dialect == "sqlite" and op in (Operator.LIKE, Operator.ILIKE):
        value = like_to_glob(value)
    return Shape(comparison.kind, name, op, "str"), {f"f{index}v": value}


def _experiment_ids(comparison: Comparison, index: int) -> tuple[Shape, Params]:
    items = comparison.value if isinstance(comparison.value, tuple) else (comparison.value,)
    try:
        ids = [int(item) for item in items]
    except (TypeError, ValueError) as exc:
        raise _invalid(f"experiment ids are integers, got {comparison.value!r}") from exc
    if comparison.op in _LIST_OPS:
        return Shape(comparison.kind, "experiment_id", comparison.op, "ids"), {f"f{index}v": ids}
    if comparison.op not in _NUMERIC_OPS or len(ids) != 1:
        raise _invalid(f"operator {comparison.op.value!r} is not supported for experiment_id")
    return Shape(comparison.kind, "experiment_id", comparison.op, "num"), {f"f{index}v": ids[0]}


def prepare_run_filter(comparison: Comparison, index: int, dialect: str) -> tuple[Shape, Params]:
    kind, key = comparison.kind, comparison.key
    if kind is EntityKind.METRIC:
        return _numeric(comparison, key, index, metric=True)
    if kind in (EntityKind.PARAM, EntityKind.TAG):
        return _string(comparison, key, index, dialect)
    if kind is EntityKind.DATASET:
        if key not in _DATASET_KEYS:
            raise _invalid(f"unknown dataset attribute {key!r}; use {', '.join(_DATASET_KEYS)}")
        return _string(comparison, key, index, dialect)
    name = run_attribute(key)
    if name in NUMERIC_RUN_ATTRIBUTES:
        return _numeric(comparison, name, index, metric=False)
    if name == "experiment_id":
        return _experiment_ids(comparison, index)
    return _string(comparison, name, index, dialect)


def prepare_experiment_filter(comparison: Comparison, index: int, dialect: str) -> tuple[Shape, Params]:
    if comparison.kind is EntityKind.TAG:
        return _string(comparison, comparison.key, index, dialect)
    if comparison.kind is not EntityKind.ATTRIBUTE:
        raise _invalid(f"experiments cannot be filtered by {comparison.kind.value}.{comparison.key}")
    name = experiment_attribute(comparison.key)
    if name in NUMERIC_EXPERIMENT_ATTRIBUTES:
        return _numeric(comparison, name, index, metric=False)
    if name == "experiment_id":
        return _experiment_ids(comparison, index)
    return _string(comparison, name, index, dialect)


# -- conditions: built once per shape, values bound at execution ---------------------------------------------
def metric_condition(kind: Column, value: Column, shape: Shape, index: int) -> Condition:
    """``(kind, value) op operand`` over the extended reals; a stored NaN never matches, nor a NaN operand."""
    if shape.variant == "nan":
        return sa.false()
    other_kind = sa.bindparam(f"f{index}k", type_=sa.SmallInteger)
    other_value = sa.bindparam(f"f{index}v", type_=sa.Double)
    less = sa.or_(kind < other_kind, sa.and_(kind == other_kind, value < other_value))
    greater = sa.or_(
        sa.and_(kind > other_kind, kind != KIND_NAN), sa.and_(kind == other_kind, value > other_value)
    )
    equal = sa.and_(kind == other_kind, value == other_value)
    by_op: dict[Operator, Condition] = {
        Operator.EQ: equal,
        Operator.NE: sa.or_(less, greater),
        Operator.LT: less,
        Operator.LE: sa.or_(less, equal),
        Operator.GT: greater,
        Operator.GE: sa.or_(greater, equal),
    }
    return by_op[shape.op]


def value_condition(column: Column, shape: Shape, index: int, dialect: str) -> Condition:
    """A comparison of a string or numeric column with the bound operand ``f<index>v``."""
    if shape.variant == "nan":
        return sa.false()
    if shape.variant in ("list", "ids"):
        values: sa.BindParameter[Any] = sa.bindparam(f"f{index}v", expanding=True)
        return column.in_(values) if shape.op is Operator.IN else column.not_in(values)
    operand = sa.bindparam(f"f{index}v", type_=None if shape.variant == "num" else sa.String())
    if shape.op is Operator.LIKE or shape.op is Operator.ILIKE:
        return like_condition(column, operand, dialect, case_sensitive=shape.op is Operator.LIKE)
    by_op: dict[Operator, Condition] = {
        Operator.EQ: column == operand,
        Operator.NE: column != operand,
        Operator.LT: column < operand,
        Operator.LE: column <= operand,
        Operator.GT: column > operand,
        Operator.GE: column >= operand,
    }
    return by_op[shape.op]


def like_condition(column: Column, pattern: Column, dialect: str, *, case_sensitive: bool) -> Condition:
    """On SQLite ``pattern`` must already be a GLOB pattern (see :func:`like_to_glob`)."""
    if dialect == "sqlite":
        if case_sensitive:
            return column.op("GLOB", return_type=sa.Boolean)(pattern)
        return sa.func.lower(column).op("GLOB", return_type=sa.Boolean)(sa.func.lower(pattern))
    return column.like(pattern) if case_sensitive else column.ilike(pattern)


def like_to_glob(pattern: str) -> str:
    """Translate a LIKE pattern (``%``, ``_``, backslash escapes) into the equivalent SQLite GLOB pattern."""
    out: list[str] = []
    escaped = False
    for char in pattern:
        if escaped:
            out.append(_glob_literal(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            out.append("*")
        elif char == "_":
            out.append("?")
        else:
            out.append(_glob_literal(char))
    if escaped:
        out.append(_glob_literal("\\"))
    return "".join(out)


def _glob_literal(char: str) -> str:
    return f"[{char}]" if char in "*?[]" else char


# -- runs ----------------------------------------------------------------------------------------------------
class _RunQuery:
    """Assembles the SELECT of one run search shape."""

    def __init__(self, dialect: str) -> None:
        self.dialect = dialect
        self.source: sa.FromClause = runs
        self.where: list[Condition] = [
            runs.c.experiment_id.in_(sa.bindparam("experiment_ids", expanding=True)),
            runs.c.lifecycle_stage.in_(sa.bindparam("stages", expanding=True)),
        ]
        self.order: list[Column] = []
        self.joined: dict[tuple[EntityKind, str], Any] = {}

    def _join_key(self, kind: EntityKind, key: str, *, outer: bool = False) -> Any:
        if (kind, key) in self.joined:  # an ordering reuses the join of a filter on the same key
            return self.joined[(kind, key)]
        table = {EntityKind.METRIC: latest_metrics, EntityKind.PARAM: params, EntityKind.TAG: tags}[kind]
        alias = table.alias(f"{table.name}_{len(self.joined)}")
        on = sa.and_(alias.c.run_uuid == runs.c.run_uuid, alias.c.key == key)
        self.source = self.source.outerjoin(alias, on) if outer else self.source.join(alias, on)
        self.joined[(kind, key)] = alias
        return alias

    def add_filter(self, shape: Shape, index: int) -> None:
        if shape.kind is EntityKind.METRIC:
            alias = self._join_key(shape.kind, shape.key)
            self.where.append(metric_condition(alias.c.kind, alias.c.value, shape, index))
        elif shape.kind in (EntityKind.PARAM, EntityKind.TAG):
            alias = self._join_key(shape.kind, shape.key)
            self.where.append(value_condition(alias.c.value, shape, index, self.dialect))
        elif shape.kind is EntityKind.DATASET:
            self.where.append(self._dataset_condition(shape, index))
        else:
            column = runs.c[_RUN_COLUMNS.get(shape.key, shape.key)]
            self.where.append(value_condition(column, shape, index, self.dialect))

    def _dataset_condition(self, shape: Shape, index: int) -> Condition:
        link = inputs.alias(f"ds_inputs_{index}")
        if shape.key == "context":
            tag = input_tags.alias(f"ds_tags_{index}")
            on = sa.and_(
                tag.c.run_uuid == link.c.run_uuid,
                tag.c.dataset_uuid == link.c.dataset_uuid,
                tag.c.key == DATASET_CONTEXT_TAG,
            )
            source = link.join(tag, on)
            column = tag.c.value
        else:
            dataset = datasets.alias(f"ds_{index}")
            source = link.join(dataset, dataset.c.dataset_uuid == link.c.dataset_uuid)
            column = dataset.c[shape.key]
        condition = value_condition(column, shape, index, self.dialect)
        return sa.exists(
            sa.select(1).select_from(source).where(link.c.run_uuid == runs.c.run_uuid, condition)
        )

    def add_order(self, clause: OrderBy) -> None:
        kind, key = clause.kind, clause.key
        if kind is EntityKind.METRIC:
            alias = self._join_key(kind, key, outer=True)
            bucket = sa.case((alias.c.kind.is_(None), 2), (alias.c.kind == KIND_NAN, 1), else_=0)
            self.order += [bucket.asc(), _direct(alias.c.kind, clause), _direct(alias.c.value, clause)]
        elif kind in (EntityKind.PARAM, EntityKind.TAG):
            alias = self._join_key(kind, key, outer=True)
            self.order += [_missing_last(alias.c.value), _direct(alias.c.value, clause)]
        elif kind is EntityKind.ATTRIBUTE:
            name = run_attribute(key, field="order_by")
            column = runs.c[_RUN_COLUMNS.get(name, name)]
            if column.nullable:
                self.order.append(_missing_last(column))
            self.order.append(_direct(column, clause))
        else:
            raise _invalid(f"cannot order runs by {kind.value}.{key}", field="order_by")

    def statement(self) -> sa.Select[Any]:
        order = [*self.order, runs.c.start_time.desc(), runs.c.run_uuid.asc()]
        stmt = sa.select(runs).select_from(self.source).where(*self.where).order_by(*order)
        return _paged(stmt)


def _paged(stmt: sa.Select[Any]) -> sa.Select[Any]:
    return stmt.limit(sa.bindparam("limit", type_=sa.Integer)).offset(
        sa.bindparam("offset", type_=sa.Integer)
    )


@functools.lru_cache(maxsize=512)
def _run_statement(dialect: str, shapes: tuple[Shape, ...], order_by: tuple[OrderBy, ...]) -> sa.Select[Any]:
    query = _RunQuery(dialect)
    for index, shape in enumerate(shapes):
        query.add_filter(shape, index)
    for clause in order_by:
        query.add_order(clause)
    return query.statement()


def run_search(
    dialect: str,
    *,
    experiment_ids: Sequence[int],
    stages: Sequence[str],
    filters: Sequence[Comparison],
    order_by: Sequence[OrderBy],
    limit: int,
    offset: int,
) -> tuple[sa.Select[Any], Params]:
    """The statement and its parameters for one page of a run search."""
    values: Params = {
        "experiment_ids": list(experiment_ids),
        "stages": list(stages),
        "limit": limit,
        "offset": offset,
    }
    shapes: list[Shape] = []
    for index, comparison in enumerate(filters):
        shape, bound = prepare_run_filter(comparison, index, dialect)
        shapes.append(shape)
        values.update(bound)
    return _run_statement(dialect, tuple(shapes), tuple(order_by)), values


def run_attribute(key: str, field: str = "filter") -> str:
    name = RUN_ATTRIBUTES.get(key)
    if name is None:
        valid = ", ".join(sorted(RUN_ATTRIBUTES))
        raise _invalid(f"unknown run attribute {key!r}; valid: {valid}", field=field)
    return name


def _direct(column: Column, clause: OrderBy) -> Column:
    return column.asc() if clause.ascending else column.desc()


def _missing_last(column: Column) -> Column:
    return sa.case((column.is_(None), 1), else_=0).asc()


# -- experiments ---------------------------------------------------------------------------------------------
@functools.lru_cache(maxsize=256)
def _experiment_statement(
    dialect: str, shapes: tuple[Shape, ...], order_by: tuple[OrderBy, ...]
) -> sa.Select[Any]:
    source: sa.FromClause = experiments
    where: list[Condition] = [experiments.c.lifecycle_stage.in_(sa.bindparam("stages", expanding=True))]
    for index, shape in enumerate(shapes):
        if shape.kind is EntityKind.TAG:
            alias = experiment_tags.alias(f"experiment_tags_{index}")
            on = sa.and_(alias.c.experiment_id == experiments.c.experiment_id, alias.c.key == shape.key)
            source = source.join(alias, on)
            where.append(value_condition(alias.c.value, shape, index, dialect))
        else:
            where.append(value_condition(experiments.c[shape.key], shape, index, dialect))
    order = [_experiment_order(clause) for clause in order_by] or [experiments.c.last_update_time.desc()]
    order.append(experiments.c.experiment_id.asc())
    return _paged(sa.select(experiments).select_from(source).where(*where).order_by(*order))


def experiment_search(
    dialect: str,
    *,
    stages: Sequence[str],
    filters: Sequence[Comparison],
    order_by: Sequence[OrderBy],
    limit: int,
    offset: int,
) -> tuple[sa.Select[Any], Params]:
    """The statement and its parameters for one page of an experiment search."""
    values: Params = {"stages": list(stages), "limit": limit, "offset": offset}
    shapes: list[Shape] = []
    for index, comparison in enumerate(filters):
        shape, bound = prepare_experiment_filter(comparison, index, dialect)
        shapes.append(shape)
        values.update(bound)
    return _experiment_statement(dialect, tuple(shapes), tuple(order_by)), values


def _experiment_order(clause: OrderBy) -> Column:
    if clause.kind is not EntityKind.ATTRIBUTE:
        raise _invalid(f"cannot order experiments by {clause.kind.value}.{clause.key}", field="order_by")
    name = experiment_attribute(clause.key, field="order_by")
    return _direct(experiments.c[name], clause)


def experiment_attribute(key: str, field: str = "filter") -> str:
    name = EXPERIMENT_ATTRIBUTES.get(key)
    if name is None:
        valid = ", ".join(sorted(EXPERIMENT_ATTRIBUTES))
        raise _invalid(f"unknown experiment attribute {key!r}; valid: {valid}", field=field)
    return name


# -- other searches (logged models) --------------------------------------------------------------------------
def prepare_comparison(
    comparison: Comparison, name: str, index: int, dialect: str, *, numeric: bool, metric: bool = False
) -> tuple[Shape, Params]:
    """Check one comparison and bind its operand as ``f<index>v`` (and ``f<index>k`` for a metric), exactly
    as the run search does, for :func:`value_condition` / :func:`metric_condition` to compare against."""
    if numeric or metric:
        return _numeric(comparison, name, index, metric=metric)
    return _string(comparison, name, index, dialect)
