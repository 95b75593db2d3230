"""Registry searches as SQL: filter conditions, orderings and the loaders that build entities from rows.

String comparisons follow the tracking search (binary collations; GLOB for LIKE on SQLite). A tag
comparison ``tags.k <op> v`` holds when the object has tag ``k`` with a matching value; ``!=`` and
``NOT IN`` hold when it has no such tag, so ``tags.k != 'true'`` also finds objects without the tag (what
the mlflow client relies on when it hides prompts with ``tag.mlflow.prompt.is_prompt != 'true'``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from flowtrack.registry.entities import ModelVersion, ModelVersionStage, ModelVersionStatus, RegisteredModel
from flowtrack.tracking.filters import Comparison, EntityKind, Operator, OrderBy
from flowtrack.tracking.stores.sql.queries import like_condition, like_to_glob

from .tables import (
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_model_tags,
    registered_models,
)

Row = Mapping[Any, Any]
Condition = sa.ColumnElement[bool]
IN_CHUNK = 500
_NEGATED = (Operator.NE, Operator.NOT_IN)
_VERSION_COLUMNS = {
    "name": model_versions.c.name,
    "run_id": model_versions.c.run_id,
    "source_path": model_versions.c.source,
    "version_number": model_versions.c.version,
    "current_stage": model_versions.c.current_stage,
    "creation_timestamp": model_versions.c.creation_timestamp,
    "last_updated_timestamp": model_versions.c.last_updated_timestamp,
}
_MODEL_COLUMNS = {
    "name": registered_models.c.name,
    "creation_timestamp": registered_models.c.creation_timestamp,
    "last_updated_timestamp": registered_models.c.last_updated_timestamp,
}


def compare(column: Any, op: Operator, value: str | float | tuple[str, ...], dialect: str) -> Condition:
    """``column <op> value`` for one parsed comparison."""
    if op is Operator.IN or op is Operator.NOT_IN:
        items = value if isinstance(value, tuple) else (str(value),)
        found: Condition = column.in_(items) if op is Operator.IN else column.not_in(items)
        return found
    if op is Operator.LIKE or op is Operator.ILIKE:
        pattern = like_to_glob(str(value)) if dialect == "sqlite" else str(value)
        return like_condition(column, sa.literal(pattern), dialect, case_sensitive=op is Operator.LIKE)
    by_op: dict[Operator, Condition] = {
        Operator.EQ: column == value,
        Operator.NE: column != value,
        Operator.LT: column < value,
        Operator.LE: column <= value,
        Operator.GT: column > value,
        Operator.GE: column >= value,
    }
    return by_op[op]


def _tag_condition(tags: sa.Table, keys: Sequence[Any], comparison: Comparison, dialect: str) -> Condition:
    positive = {Operator.NE: Operator.EQ, Operator.NOT_IN: Operator.IN}.get(comparison.op, comparison.op)
    matching = sa.select(sa.literal(1)).where(
        *(tags.c[column.key] == column for column in keys),
        tags.c.key == comparison.key,
        compare(tags.c.value, positive, comparison.value, dialect),
    )
    return ~matching.exists() if comparison.op in _NEGATED else matching.exists()


def model_conditions(filters: Sequence[Comparison], dialect: str) -> list[Condition]:
    conditions = []
    for item in filters:
        if item.kind is EntityKind.TAG:
            keys = [registered_models.c.name]
            conditions.append(_tag_condition(registered_model_tags, keys, item, dialect))
        else:
            conditions.append(compare(_MODEL_COLUMNS[item.key], item.op, item.value, dialect))
    return conditions


def version_conditions(filters: Sequence[Comparison], dialect: str) -> list[Condition]:
    conditions = []
    for item in filters:
        if item.kind is EntityKind.TAG:
            keys = [model_versions.c.name, model_versions.c.version]
            conditions.append(_tag_condition(model_version_tags, keys, item, dialect))
        else:
            column = _VERSION_COLUMNS[item.key]
            conditions.append(compare(column, item.op, item.value, dialect))
    return conditions


def model_order(order_by: Sequence[OrderBy]) -> list[Any]:
    clauses = [_direction(_MODEL_COLUMNS[item.key], item.ascending) for item in order_by]
    return [*clauses, registered_models.c.name.asc()]


def version_order(order_by: Sequence[OrderBy]) -> list[Any]:
    clauses = [_direction(_VERSION_COLUMNS[item.key], item.ascending) for item in order_by]
    return [*clauses, model_versions.c.name.asc(), model_versions.c.version.desc()]


def _direction(column: Any, ascending: bool) -> Any:
    return column.asc() if ascending else column.desc()


# -- loaders -------------------------------------------------------------------------------------------------
def load_versions(conn: Connection, rows: Sequence[Row]) -> list[ModelVersion]:
    """Versions for ``model_versions`` rows, with their tags and aliases, in the order of ``rows``."""
    if not rows:
        return []
    names = sorted({row["name"] for row in rows})
    wanted = {(row["name"], row["version"]) for row in rows}
    tags: dict[tuple[str, int], dict[str, str]] = defaultdict(dict)
    aliases: dict[tuple[str, int], list[str]] = defaultdict(list)
    numbers = sorted({row["version"] for row in rows})
    for chunk in _chunks(names):
        tag_rows = conn.execute(
            sa.select(model_version_tags).where(
                model_version_tags.c.name.in_(chunk),
                # a superset of the wanted pairs, filtered below; exact when one model is asked for
                model_version_tags.c.version.in_(numbers) if len(numbers) <= IN_CHUNK else sa.true(),
            )
        )
        for tag in tag_rows:
            if (tag.name, tag.version) in wanted:
                tags[(tag.name, tag.version)][tag.key] = tag.value
        alias_rows = conn.execute(
            sa.select(registered_model_aliases)
            .where(registered_model_aliases.c.name.in_(chunk))
            .order_by(registered_model_aliases.c.alias)
        )
        for alias in alias_rows:
            aliases[(alias.name, alias.version)].append(alias.alias)
    return [
        version_from_row(
            row, tags.get((row["name"], row["version"]), {}), aliases.get((row["name"], row["version"]))
        )
        for row in rows
    ]


def version_from_row(row: Mapping[str, Any], tags: dict[str, str], aliases: list[str] | None) -> ModelVersion:
    return ModelVersion(
        name=row["name"],
        version=str(row["version"]),
        creation_timestamp=row["creation_timestamp"],
        last_updated_timestamp=row["last_updated_timestamp"],
        current_stage=ModelVersionStage(row["current_stage"]),
        description=row["description"] or "",
        source=row["source"],
        run_id=row["run_id"],
        status=ModelVersionStatus(row["status"]),
        status_message=row["status_message"],
        run_link=row["run_link"] or "",
        user_id=row["user_id"] or "",
        model_id=row["model_id"],
        storage_location=row["storage_location"],
        tags=dict(tags),
        aliases=tuple(aliases or ()),
    )


def latest_per_stage(
    versions: Sequence[ModelVersion], stages: Sequence[ModelVersionStage] | None = None
) -> list[ModelVersion]:
    """The newest version in each of ``stages`` (all stages when None), in the order of ``stages``."""
    newest: dict[ModelVersionStage, ModelVersion] = {}
    for version in versions:
        known = newest.get(version.current_stage)
        if known is None or int(version.version) > int(known.version):
            newest[version.current_stage] = version
    return [newest[stage] for stage in stages or tuple(ModelVersionStage) if stage in newest]


def load_models(conn: Connection, rows: Sequence[Row]) -> list[RegisteredModel]:
    """Registered models for ``registered_models`` rows, with tags, aliases and latest versions."""
    if not rows:
        return []
    names = [row["name"] for row in rows]
    tags: dict[str, dict[str, str]] = defaultdict(dict)
    aliases: dict[str, dict[str, str]] = defaultdict(dict)
    versions: dict[str, list[ModelVersion]] = defaultdict(list)
    for chunk in _chunks(names):
        for tag in conn.execute(
            sa.select(registered_model_tags).where(registered_model_tags.c.name.in_(chunk))
        ):
            tags[tag.name][tag.key] = tag.value
        alias_rows = conn.execute(
            sa.select(registered_model_aliases)
            .where(registered_model_aliases.c.name.in_(chunk))
            .order_by(registered_model_aliases.c.alias)
        )
        for alias in alias_rows:
            aliases[alias.name][alias.alias] = str(alias.version)
        version_rows = conn.execute(sa.select(model_versions).where(model_versions.c.name.in_(chunk)))
        for version in load_versions(conn, [row._mapping for row in version_rows]):
            versions[version.name].append(version)
    return [
        RegisteredModel(
            name=row["name"],
            creation_timestamp=row["creation_timestamp"],
            last_updated_timestamp=row["last_updated_timestamp"],
            description=row["description"] or "",
            tags=tags.get(row["name"], {}),
            aliases=aliases.get(row["name"], {}),
            latest_versions=tuple(latest_per_stage(versions.get(row["name"], []))),
        )
        for row in rows
    ]


def _chunks(items: Sequence[str]) -> list[Sequence[str]]:
    return [items[start : start + IN_CHUNK] for start in range(0, len(items), IN_CHUNK)]
