"""``SqlRegistryStore``: the model registry in the tracking database (SQLite, PostgreSQL, MySQL/MariaDB).

Every public call is one transaction; writes check everything they depend on inside it before their first
write, so a refused call writes nothing. A new version's number is one past the newest, computed while
holding the registered model's row lock (SQLite's write lock), so concurrent registrations never collide.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from flowtrack._internal.clock import now_ms
from flowtrack.db.engine import get_engine, reading, write_engine, writing
from flowtrack.db.migrate import ensure_schema
from flowtrack.exceptions import InvalidArgument, NotFound
from flowtrack.registry.entities import ModelVersion, ModelVersionStage, ModelVersionStatus, RegisteredModel
from flowtrack.registry.errors import (
    RegisteredModelAlreadyExists,
    alias_not_found,
    model_not_found,
    version_not_found,
)
from flowtrack.registry.sources import (
    RegisteredReference,
    ResolvedSource,
    registered_reference,
    resolve_source,
)
from flowtrack.registry.stores.base import RegistryStore
from flowtrack.tracking.entities import PagedList, RunTag
from flowtrack.tracking.filters import Comparison, OrderBy
from flowtrack.tracking.stores.registry import get_tracking_store
from flowtrack.tracking.stores.sql import dml, writes
from flowtrack.tracking.stores.sql.convert import encode_token, offset_from_token
from flowtrack.tracking.stores.sql.errors import guard_errors

from . import queries
from .tables import (
    URI_LENGTH,
    model_version_tags,
    model_versions,
    registered_model_aliases,
    registered_model_tags,
    registered_models,
)

_STAGE_NONE = ModelVersionStage.NONE.value


@guard_errors
class SqlRegistryStore(RegistryStore):
    """Registry store on the SQL database of a tracking URI; ``artifact_root`` as the tracking store's."""

    def __init__(self, uri: str, artifact_root: str) -> None:
        self.uri = uri
        self.artifact_root = artifact_root
        self._engine = get_engine(uri)
        ensure_schema(self._engine)
        self._writer = write_engine(self._engine)
        self._dialect = self._engine.dialect.name

    def close(self) -> None:
        """Nothing to release: the engine belongs to the tracking store of the same URI."""

    # -- plumbing --------------------------------------------------------------------------------------------
    def _read(self) -> AbstractContextManager[Connection]:
        return reading(self._engine)

    def _write(self) -> AbstractContextManager[Connection]:
        return writing(self._writer)

    def _lock_model(self, conn: Connection, name: str) -> None:
        """Raise RegisteredModelNotFound, else hold the model's row lock until the transaction ends."""
        found = conn.execute(
            sa.select(registered_models.c.name).where(registered_models.c.name == name).with_for_update()
        ).first()
        if found is None:
            raise model_not_found(name)

    def _check_model(self, conn: Connection, name: str) -> None:
        found = conn.execute(sa.select(registered_models.c.name).where(registered_models.c.name == name))
        if found.first() is None:
            raise model_not_found(name)

    def _touch_model(self, conn: Connection, name: str, now: int) -> None:
        conn.execute(
            sa.update(registered_models)
            .where(registered_models.c.name == name)
            .values(last_updated_timestamp=now)
        )

    def _version_row(self, conn: Connection, name: str, version: int) -> Any:
        row = conn.execute(
            sa.select(model_versions).where(
                model_versions.c.name == name, model_versions.c.version == version
            )
        ).first()
        if row is None:
            self._check_model(conn, name)
            raise version_not_found(name, version)
        return row._mapping

    def _model(self, conn: Connection, name: str) -> RegisteredModel:
        rows = conn.execute(sa.select(registered_models).where(registered_models.c.name == name)).all()
        if not rows:
            raise model_not_found(name)
        return queries.load_models(conn, [row._mapping for row in rows])[0]

    def _version(self, conn: Connection, name: str, version: int) -> ModelVersion:
        return queries.load_versions(conn, [self._version_row(conn, name, version)])[0]

    # -- registered models -----------------------------------------------------------------------------------
    def create_registered_model(
        self, name: str, tags: Sequence[RunTag], description: str | None
    ) -> RegisteredModel:
        now = now_ms()
        with self._write() as conn:
            row = {
                "name": name,
                "creation_timestamp": now,
                "last_updated_timestamp": now,
                "description": description,
            }
            try:
                with conn.begin_nested():
                    conn.execute(sa.insert(registered_models).values(row))
            except IntegrityError as exc:
                message = f"Registered Model (name={name}) already exists."
                raise RegisteredModelAlreadyExists(message) from exc
            tag_rows = [{"name": name, "key": k, "value": v} for k, v in writes.tag_dict(tags).items()]
            if tag_rows:
                dml.insert(conn, registered_model_tags, tag_rows)
            return self._model(conn, name)

    def get_registered_model(self, name: str) -> RegisteredModel:
        with self._read() as conn:
            return self._model(conn, name)

    def rename_registered_model(self, name: str, new_name: str) -> RegisteredModel:
        with self._write() as conn:
            self._lock_model(conn, name)
            if new_name != name:
                taken = registered_models.c.name == new_name
                if conn.execute(sa.select(registered_models.c.name).where(taken)).first():
                    raise RegisteredModelAlreadyExists(f"Registered Model (name={new_name}) already exists.")
                conn.execute(
                    sa.update(registered_models)
                    .where(registered_models.c.name == name)
                    .values(name=new_name, last_updated_timestamp=now_ms())
                )
            return self._model(conn, new_name)

    def update_registered_model(self, name: str, description: str | None) -> RegisteredModel:
        with self._write() as conn:
            self._lock_model(conn, name)
            conn.execute(
                sa.update(registered_models)
                .where(registered_models.c.name == name)
                .values(description=description, last_updated_timestamp=now_ms())
            )
            return self._model(conn, name)

    def delete_registered_model(self, name: str) -> None:
        with self._write() as conn:
            self._lock_model(conn, name)
            # children first and explicitly: the cascades are a safety net, not the mechanism
            for table in (
                registered_model_aliases,
                model_version_tags,
                model_versions,
                registered_model_tags,
            ):
                conn.execute(sa.delete(table).where(table.c.name == name))
            conn.execute(sa.delete(registered_models).where(registered_models.c.name == name))

    def search_registered_models(
        self,
        filters: Sequence[Comparison],
        max_results: int,
        order_by: Sequence[OrderBy],
        page_token: str | None,
    ) -> PagedList[RegisteredModel]:
        offset = offset_from_token(page_token)
        statement = (
            sa.select(registered_models)
            .where(*queries.model_conditions(filters, self._dialect))
            .order_by(*queries.model_order(order_by))
            .offset(offset)
            .limit(max_results + 1)
        )
        with self._read() as conn:
            rows = [row._mapping for row in conn.execute(statement)]
            models = queries.load_models(conn, rows[:max_results])
        token = encode_token({"offset": offset + max_results}) if len(rows) > max_results else None
        return PagedList(models, token)

    def set_registered_model_tag(self, name: str, tag: RunTag) -> None:
        with self._write() as conn:
            self._lock_model(conn, name)
            row = {"name": name, "key": tag.key, "value": tag.value}
            dml.upsert(conn, registered_model_tags, ("name", "key"), [row], ("value",))

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        with self._write() as conn:
            self._lock_model(conn, name)
            conn.execute(
                sa.delete(registered_model_tags).where(
                    registered_model_tags.c.name == name, registered_model_tags.c.key == key
                )
            )

    def get_latest_versions(
        self, name: str, stages: Sequence[ModelVersionStage] | None
    ) -> list[ModelVersion]:
        with self._read() as conn:
            self._check_model(conn, name)
            rows = conn.execute(sa.select(model_versions).where(model_versions.c.name == name))
            versions = queries.load_versions(conn, [row._mapping for row in rows])
        return queries.latest_per_stage(versions, stages)

    # -- aliases ---------------------------------------------------------------------------------------------
    def set_registered_model_alias(self, name: str, alias: str, version: int) -> None:
        with self._write() as conn:
            self._lock_model(conn, name)
            self._version_row(conn, name, version)
            row = {"name": name, "alias": alias, "version": version}
            dml.upsert(conn, registered_model_aliases, ("name", "alias"), [row], ("version",))

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        with self._write() as conn:
            self._lock_model(conn, name)
            conn.execute(
                sa.delete(registered_model_aliases).where(
                    registered_model_aliases.c.name == name, registered_model_aliases.c.alias == alias
                )
            )

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        with self._read() as conn:
            version = conn.execute(
                sa.select(registered_model_aliases.c.version).where(
                    registered_model_aliases.c.name == name, registered_model_aliases.c.alias == alias
                )
            ).scalar()
            if version is None:
                self._check_model(conn, name)
                raise alias_not_found(name, alias)
            return self._version(conn, name, int(version))

    # -- model versions --------------------------------------------------------------------------------------
    def create_model_version(
        self,
        name: str,
        source: str,
        run_id: str | None,
        tags: Sequence[RunTag],
        run_link: str | None,
        description: str | None,
        model_id: str | None,
    ) -> ModelVersion:
        with self._read() as conn:  # a missing model is the first thing to report
            self._check_model(conn, name)
        resolved = self._resolve(source, run_id, model_id)
        if len(resolved.storage_location) > URI_LENGTH:
            raise InvalidArgument(f"the storage location of {source!r} is too long", field="source")
        now = now_ms()
        with self._write() as conn:
            self._lock_model(conn, name)
            newest = conn.execute(
                sa.select(sa.func.max(model_versions.c.version)).where(model_versions.c.name == name)
            ).scalar()
            version = int(newest or 0) + 1
            row = {
                "name": name,
                "version": version,
                "creation_timestamp": now,
                "last_updated_timestamp": now,
                "description": description,
                "user_id": None,
                "current_stage": _STAGE_NONE,
                "source": source,
                "storage_location": resolved.storage_location,
                "run_id": resolved.run_id,
                "run_link": run_link,
                "status": ModelVersionStatus.READY.value,
                "status_message": None,
                "model_id": resolved.model_id,
            }
            conn.execute(sa.insert(model_versions).values(row))
            version_tags = writes.tag_dict(tags)
            tag_rows = [
                {"name": name, "version": version, "key": k, "value": v} for k, v in version_tags.items()
            ]
            if tag_rows:
                dml.insert(conn, model_version_tags, tag_rows)
            self._touch_model(conn, name, now)
        # What was written, not read back: a new number has no aliases (they leave with a deleted version).
        return queries.version_from_row(row, version_tags, None)

    def _resolve(self, source: str, run_id: str | None, model_id: str | None) -> ResolvedSource:
        reference = registered_reference(source)
        if reference is None:
            return resolve_source(get_tracking_store(self.uri, self.artifact_root), source, run_id, model_id)
        try:
            copied = self._referenced_version(reference)
        except NotFound as exc:
            raise InvalidArgument(f"source {source!r}: {exc}", field="source") from exc
        return ResolvedSource(copied.storage_location, run_id or copied.run_id, model_id or copied.model_id)

    def _referenced_version(self, reference: RegisteredReference) -> ModelVersion:
        if reference.version is not None:
            return self.get_model_version(reference.name, reference.version)
        if reference.alias is not None:
            return self.get_model_version_by_alias(reference.name, reference.alias)
        stage = ModelVersionStage.parse(reference.stage, "source")
        latest = self.get_latest_versions(reference.name, [stage])
        if not latest:
            raise NotFound(f"registered model {reference.name!r} has no version in stage {stage}")
        return latest[0]

    def get_model_version(self, name: str, version: int) -> ModelVersion:
        with self._read() as conn:
            return self._version(conn, name, version)

    def update_model_version(self, name: str, version: int, description: str | None) -> ModelVersion:
        with self._write() as conn:
            self._lock_model(conn, name)
            self._version_row(conn, name, version)
            conn.execute(
                sa.update(model_versions)
                .where(model_versions.c.name == name, model_versions.c.version == version)
                .values(description=description, last_updated_timestamp=now_ms())
            )
            return self._version(conn, name, version)

    def delete_model_version(self, name: str, version: int) -> None:
        with self._write() as conn:
            self._lock_model(conn, name)
            self._version_row(conn, name, version)
            for table in (registered_model_aliases, model_version_tags, model_versions):
                conn.execute(sa.delete(table).where(table.c.name == name, table.c.version == version))
            self._touch_model(conn, name, now_ms())

    def search_model_versions(
        self,
        filters: Sequence[Comparison],
        max_results: int,
        order_by: Sequence[OrderBy],
        page_token: str | None,
    ) -> PagedList[ModelVersion]:
        offset = offset_from_token(page_token)
        statement = (
            sa.select(model_versions)
            .where(*queries.version_conditions(filters, self._dialect))
            .order_by(*queries.version_order(order_by))
            .offset(offset)
            .limit(max_results + 1)
        )
        with self._read() as conn:
            rows = [row._mapping for row in conn.execute(statement)]
            versions = queries.load_versions(conn, rows[:max_results])
        token = encode_token({"offset": offset + max_results}) if len(rows) > max_results else None
        return PagedList(versions, token)

    def transition_model_version_stage(
        self, name: str, version: int, stage: ModelVersionStage, archive_existing_versions: bool
    ) -> ModelVersion:
        if archive_existing_versions and not stage.may_archive_others:
            raise InvalidArgument(
                f"archive_existing_versions applies to transitions to Staging or Production, not {stage}",
                field="archive_existing_versions",
            )
        now = now_ms()
        with self._write() as conn:
            self._lock_model(conn, name)
            self._version_row(conn, name, version)
            if archive_existing_versions:
                conn.execute(
                    sa.update(model_versions)
                    .where(
                        model_versions.c.name == name,
                        model_versions.c.version != version,
                        model_versions.c.current_stage == stage.value,
                    )
                    .values(current_stage=ModelVersionStage.ARCHIVED.value, last_updated_timestamp=now)
                )
            conn.execute(
                sa.update(model_versions)
                .where(model_versions.c.name == name, model_versions.c.version == version)
                .values(current_stage=stage.value, last_updated_timestamp=now)
            )
            self._touch_model(conn, name, now)
            return self._version(conn, name, version)

    def set_model_version_tag(self, name: str, version: int, tag: RunTag) -> None:
        with self._write() as conn:
            self._lock_model(conn, name)
            self._version_row(conn, name, version)
            row = {"name": name, "version": version, "key": tag.key, "value": tag.value}
            dml.upsert(conn, model_version_tags, ("name", "version", "key"), [row], ("value",))

    def delete_model_version_tag(self, name: str, version: int, key: str) -> None:
        with self._write() as conn:
            self._lock_model(conn, name)
            self._version_row(conn, name, version)
            conn.execute(
                sa.delete(model_version_tags).where(
                    model_version_tags.c.name == name,
                    model_version_tags.c.version == version,
                    model_version_tags.c.key == key,
                )
            )

    def get_model_version_download_uri(self, name: str, version: int) -> str:
        with self._read() as conn:
            return str(self._version_row(conn, name, version)["storage_location"])


__all__ = ["SqlRegistryStore"]
