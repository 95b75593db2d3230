"""``SqlTrackingStore``: the tracking store on SQLite, PostgreSQL or MySQL/MariaDB.

Every public call is one transaction. Write transactions take the write lock first (``BEGIN IMMEDIATE`` on
SQLite, the run row lock on PostgreSQL/MySQL), validate, then write, so a rejected call writes nothing. On
SQLite, the frequent calls (run creation and updates, logging, ``get_run``, ``search_runs`` and metric
histories) go straight to the driver through :mod:`.sqlite_fast`, with the same rules and errors.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from flowtrack._internal.clock import now_ms
from flowtrack._internal.ids import new_run_id, random_run_name
from flowtrack.db.engine import (
    dispose_engine,
    get_engine,
    reading,
    write_engine,
    writing,
)
from flowtrack.db.migrate import ensure_schema
from flowtrack.exceptions import (
    ExperimentAlreadyExists,
    ExperimentNotFound,
    InvalidArgument,
    NotFound,
    RunNotFound,
)
from flowtrack.tracking.entities import (
    DatasetInput,
    Experiment,
    LifecycleStage,
    Metric,
    PagedList,
    Param,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from flowtrack.tracking.filters import Comparison, OrderBy
from flowtrack.tracking.stores.base import TrackingStore
from flowtrack.tracking.stores.sql import dml, loaders, queries, writes
from flowtrack.tracking.stores.sql.convert import (
    decode_token,
    encode_token,
    offset_from_token,
    row_to_run_info,
    search_experiment_keys,
)
from flowtrack.tracking.stores.sql.convert import experiment_key as _experiment_key
from flowtrack.tracking.stores.sql.errors import guard_errors
from flowtrack.tracking.stores.sql.logged_models import SqlLoggedModels
from flowtrack.tracking.stores.sql.sqlite_fast import SqliteFastPath
from flowtrack.tracking.stores.sql.tables import experiment_tags, experiments, runs
from flowtrack.tracking.stores.sql.tables import params as param_table
from flowtrack.tracking.stores.sql.tables import tags as tag_table
from flowtrack.tracking.stores.sql.ui_reads import UiReads

DEFAULT_EXPERIMENT_ID = 0
DEFAULT_EXPERIMENT_NAME = "Default"
RUN_NAME_TAG = writes.RUN_NAME_TAG
MAX_RESULTS_LIMIT = 50_000
_ACTIVE = LifecycleStage.ACTIVE.value
_DELETED = LifecycleStage.DELETED.value


def check_max_results(max_results: int | None, *, optional: bool = False) -> None:
    if max_results is None and optional:
        return
    if (
        not isinstance(max_results, int)
        or isinstance(max_results, bool)
        or not 1 <= max_results <= MAX_RESULTS_LIMIT
    ):
        raise InvalidArgument(
            f"max_results must be an integer from 1 to {MAX_RESULTS_LIMIT}, got {max_results!r}",
            field="max_results",
        )


@guard_errors
class SqlTrackingStore(SqlLoggedModels, TrackingStore):
    """Tracking store on a SQL database given by a SQLAlchemy-style URI."""

    def __init__(self, uri: str, artifact_root: str) -> None:
        self.uri = uri
        self.artifact_root = artifact_root.rstrip("/") or artifact_root
        self._engine = get_engine(uri)
        ensure_schema(self._engine)
        self._writer = write_engine(self._engine)
        self._dialect = self._engine.dialect.name
        self._fast = SqliteFastPath(self._engine.url) if self._dialect == "sqlite" else None
        self._ensure_default_experiment()

    # -- plumbing --------------------------------------------------------------------------------------------
    def _read(self) -> AbstractContextManager[Connection]:
        return reading(self._engine)

    def _write(self) -> AbstractContextManager[Connection]:
        return writing(self._writer)

    def ui_reads(self) -> UiReads:
        """The web UI's compact reads (run pages with a total, columns, downsampled histories)."""
        return UiReads(self._engine)

    @property
    def answers_in_process(self) -> bool:
        return self._fast is not None

    def close(self) -> None:
        if self._fast is not None:
            self._fast.close()
        dispose_engine(self.uri)

    def _ensure_default_experiment(self) -> None:
        with self._read() as conn:
            query = sa.select(experiments.c.experiment_id).where(
                experiments.c.experiment_id == DEFAULT_EXPERIMENT_ID
            )
            if conn.execute(query).first() is not None:
                return
        now = now_ms()
        row = {
            "experiment_id": DEFAULT_EXPERIMENT_ID,
            "name": DEFAULT_EXPERIMENT_NAME,
            "artifact_location": f"{self.artifact_root}/{DEFAULT_EXPERIMENT_ID}",
            "lifecycle_stage": _ACTIVE,
            "creation_time": now,
            "last_update_time": now,
        }
        with self._write() as conn:
            if self._dialect != "mysql":
                dml.insert_ignore(conn, experiments, [row])
                return
            # MySQL reads an explicit 0 as "the next auto-increment value" unless told otherwise
            mode = conn.exec_driver_sql("SELECT @@SESSION.sql_mode").scalar()
            conn.exec_driver_sql(
                "SET SESSION sql_mode = CONCAT(@@SESSION.sql_mode, ',NO_AUTO_VALUE_ON_ZERO')"
            )
            try:
                dml.insert_ignore(conn, experiments, [row])
            finally:
                conn.exec_driver_sql("SET SESSION sql_mode = %(mode)s", {"mode": mode})

    # -- experiments -----------------------------------------------------------------------------------------
    def create_experiment(self, name: str, artifact_location: str | None, tags: Sequence[RunTag]) -> str:
        now = now_ms()
        with self._write() as conn:
            values = {
                "name": name,
                "artifact_location": artifact_location or "",
                "lifecycle_stage": _ACTIVE,
                "creation_time": now,
                "last_update_time": now,
            }
            try:
                with conn.begin_nested():
                    result = conn.execute(sa.insert(experiments).values(values))
            except IntegrityError as exc:
                raise ExperimentAlreadyExists(f"an experiment named {name!r} exists already") from exc
            experiment_id = int(result.inserted_primary_key[0])  # type: ignore[index]
            if not artifact_location:
                location = f"{self.artifact_root}/{experiment_id}"
                conn.execute(
                    sa.update(experiments)
                    .where(experiments.c.experiment_id == experiment_id)
                    .values(artifact_location=location)
                )
            tag_rows = [
                {"experiment_id": experiment_id, "key": k, "value": v}
                for k, v in writes.tag_dict(tags).items()
            ]
            if tag_rows:
                dml.insert(conn, experiment_tags, tag_rows)
        return str(experiment_id)

    def get_experiment(self, experiment_id: str) -> Experiment:
        key = _experiment_key(experiment_id)
        with self._read() as conn:
            found = self._experiments_where(conn, experiments.c.experiment_id == key)
        if not found:
            raise ExperimentNotFound(f"no experiment with id {experiment_id!r}")
        return found[0]

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        with self._read() as conn:
            found = self._experiments_where(conn, experiments.c.name == name)
        return found[0] if found else None

    @staticmethod
    def _experiments_where(conn: Connection, condition: sa.ColumnElement[bool]) -> list[Experiment]:
        rows = conn.execute(sa.select(experiments).where(condition)).mappings().all()
        return loaders.load_experiments(conn, rows)

    def search_experiments(
        self,
        view_type: ViewType,
        max_results: int,
        filters: Sequence[Comparison],
        order_by: Sequence[OrderBy],
        page_token: str | None,
    ) -> PagedList[Experiment]:
        check_max_results(max_results)
        offset = offset_from_token(page_token)
        stages = [stage.value for stage in ViewType.parse(view_type).stages()]
        stmt, values = queries.experiment_search(
            self._dialect,
            stages=stages,
            filters=filters,
            order_by=order_by,
            limit=max_results + 1,
            offset=offset,
        )
        with self._read() as conn:
            rows = conn.execute(stmt, values).mappings().all()
            found = loaders.load_experiments(conn, rows[:max_results])
        token = encode_token({"offset": offset + max_results}) if len(rows) > max_results else None
        return PagedList(found, token)

    def _lock_experiment(self, conn: Connection, experiment_id: str) -> Mapping[Any, Any]:
        key = _experiment_key(experiment_id)
        stmt = sa.select(experiments).where(experiments.c.experiment_id == key)
        if self._dialect != "sqlite":
            stmt = stmt.with_for_update()
        row = conn.execute(stmt).mappings().first()
        if row is None:
            raise ExperimentNotFound(f"no experiment with id {experiment_id!r}")
        return row

    def _active_experiment(self, conn: Connection, experiment_id: str, action: str) -> Mapping[Any, Any]:
        row = self._lock_experiment(conn, experiment_id)
        writes.check_experiment_stage(experiment_id, row["lifecycle_stage"], action)
        return row

    def _touch_experiment(self, conn: Connection, experiment_key: int, **values: Any) -> None:
        stmt = sa.update(experiments).where(experiments.c.experiment_id == experiment_key)
        conn.execute(stmt.values(last_update_time=now_ms(), **values))

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        with self._write() as conn:
            row = self._active_experiment(conn, experiment_id, "rename")
            try:
                with conn.begin_nested():
                    self._touch_experiment(conn, row["experiment_id"], name=new_name)
            except IntegrityError as exc:
                raise ExperimentAlreadyExists(f"an experiment named {new_name!r} exists already") from exc

    def delete_experiment(self, experiment_id: str) -> None:
        with self._write() as conn:
            row = self._lock_experiment(conn, experiment_id)
            if row["lifecycle_stage"] == _DELETED:
                return
            now = now_ms()
            key = row["experiment_id"]
            conn.execute(
                sa.update(runs)
                .where(runs.c.experiment_id == key, runs.c.lifecycle_stage == _ACTIVE)
                .values(lifecycle_stage=_DELETED, deleted_time=now)
            )
            conn.execute(
                sa.update(experiments)
                .where(experiments.c.experiment_id == key)
                .values(lifecycle_stage=_DELETED, last_update_time=now)
            )

    def restore_experiment(self, experiment_id: str) -> None:
        with self._write() as conn:
            row = self._lock_experiment(conn, experiment_id)
            if row["lifecycle_stage"] == _ACTIVE:
                return
            # runs deleted together with the experiment, not those deleted on their own before it
            conn.execute(
                sa.update(runs)
                .where(
                    runs.c.experiment_id == row["experiment_id"],
                    runs.c.lifecycle_stage == _DELETED,
                    runs.c.deleted_time >= row["last_update_time"],
                )
                .values(lifecycle_stage=_ACTIVE, deleted_time=None)
            )
            self._touch_experiment(conn, row["experiment_id"], lifecycle_stage=_ACTIVE)

    def set_experiment_tag(self, experiment_id: str, tag: RunTag) -> None:
        with self._write() as conn:
            row = self._active_experiment(conn, experiment_id, "tag")
            key = row["experiment_id"]
            dml.upsert(
                conn,
                experiment_tags,
                ("experiment_id", "key"),
                [{"experiment_id": key, "key": tag.key, "value": tag.value}],
                ["value"],
            )
            self._touch_experiment(conn, key)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        with self._write() as conn:
            row = self._active_experiment(conn, experiment_id, "untag")
            stmt = sa.delete(experiment_tags).where(
                experiment_tags.c.experiment_id == row["experiment_id"], experiment_tags.c.key == key
            )
            if conn.execute(stmt).rowcount == 0:
                raise NotFound(f"experiment {experiment_id} has no tag {key!r}")
            self._touch_experiment(conn, row["experiment_id"])

    # -- runs ------------------------------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        run_name: str,
        tags: Sequence[RunTag],
    ) -> Run:
        tag_values = writes.tag_dict(tags)
        name = run_name or tag_values.get(RUN_NAME_TAG) or random_run_name()
        tag_values[RUN_NAME_TAG] = name
        run_id = new_run_id()
        if self._fast is not None:
            key = _experiment_key(experiment_id)
            row = self._fast.create_run(experiment_id, key, run_id, name, user_id, start_time, tag_values)
            return Run(info=row_to_run_info(row), data=RunData(tags=tag_values))
        with self._write() as conn:
            experiment = self._active_experiment(conn, experiment_id, "create a run in")
            location = experiment["artifact_location"]
            row = writes.new_run_row(run_id, experiment["experiment_id"], location, name, user_id, start_time)
            dml.insert(conn, runs, [row])
            dml.insert(
                conn, tag_table, [{"run_uuid": run_id, "key": k, "value": v} for k, v in tag_values.items()]
            )
        return Run(info=row_to_run_info(row), data=RunData(tags=tag_values))

    def get_run(self, run_id: str) -> Run:
        if self._fast is not None and self._fast.loads_runs:
            run = self._fast.get_run(run_id)
        else:
            with self._read() as conn:
                rows = conn.execute(sa.select(runs).where(runs.c.run_uuid == run_id)).mappings().all()
                found = loaders.load_runs(conn, rows)
            run = found[0] if found else None
        if run is None:
            raise RunNotFound(f"no run with id {run_id!r}")
        return self._with_outputs([run])[0]

    def _check_run(self, conn: Connection, run_id: str, *, active: bool = True) -> None:
        """Raise RunNotFound, or RunNotActive when ``active`` and the run is deleted; locks the run row."""
        writes.check_run_stage(run_id, dml.lock_run(conn, run_id), active=active)

    def _diagnose(self, run_id: str) -> None:
        """After a fast-path call wrote nothing: raise why, if the run is missing or deleted."""
        with self._read() as conn:
            self._check_run(conn, run_id)

    def update_run_info(
        self, run_id: str, status: RunStatus | None, end_time: int | None, run_name: str | None
    ) -> RunInfo:
        values = writes.run_info_changes(status, end_time, run_name)
        if self._fast is not None:
            return row_to_run_info(self._fast.update_run_info(run_id, values))
        with self._write() as conn:
            self._check_run(conn, run_id)
            if run_name:
                dml.upsert(
                    conn,
                    tag_table,
                    ("run_uuid", "key"),
                    [{"run_uuid": run_id, "key": RUN_NAME_TAG, "value": run_name}],
                    ["value"],
                )
            if values:
                conn.execute(sa.update(runs).where(runs.c.run_uuid == run_id).values(values))
            row = conn.execute(sa.select(runs).where(runs.c.run_uuid == run_id)).mappings().one()
        return row_to_run_info(row)

    def delete_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, _DELETED, now_ms())

    def restore_run(self, run_id: str) -> None:
        self._set_run_stage(run_id, _ACTIVE, None)

    def _set_run_stage(self, run_id: str, stage: str, deleted_time: int | None) -> None:
        with self._write() as conn:
            self._check_run(conn, run_id, active=False)
            stmt = sa.update(runs).where(runs.c.run_uuid == run_id, runs.c.lifecycle_stage != stage)
            conn.execute(stmt.values(lifecycle_stage=stage, deleted_time=deleted_time))

    # -- run data --------------------------------------------------------------------------------------------
    def log_metric(self, run_id: str, metric: Metric) -> None:
        if self._fast is None:
            self.log_batch(run_id, [metric], (), ())
        elif not self._fast.log_metric(run_id, metric):
            self._diagnose(run_id)  # raises unless the very same point had been logged already

    def log_param(self, run_id: str, param: Param) -> None:
        if self._fast is None:
            self.log_batch(run_id, (), [param], ())
            return
        if self._fast.log_param(run_id, param):
            return
        with self._read() as conn:
            self._check_run(conn, run_id)
            stored = conn.execute(
                sa.select(param_table.c.value).where(
                    param_table.c.run_uuid == run_id, param_table.c.key == param.key
                )
            ).scalar()
        if stored is not None and stored != param.value:
            raise writes.param_conflict(run_id, param.key, stored, param.value)

    def set_tag(self, run_id: str, tag: RunTag) -> None:
        if self._fast is None or tag.key == RUN_NAME_TAG:
            self.log_batch(run_id, (), (), [tag])
        elif not self._fast.set_tag(run_id, tag):
            self._diagnose(run_id)

    def delete_tag(self, run_id: str, key: str) -> None:
        with self._write() as conn:
            self._check_run(conn, run_id)
            stmt = sa.delete(tag_table).where(tag_table.c.run_uuid == run_id, tag_table.c.key == key)
            if conn.execute(stmt).rowcount == 0:
                raise NotFound(f"run {run_id} has no tag {key!r}")

    def log_batch(
        self, run_id: str, metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]
    ) -> None:
        param_values = writes.param_dict(run_id, params)
        tag_values = writes.tag_dict(tags)
        if self._fast is not None:
            self._fast.log_batch(run_id, metrics, param_values, tag_values)
            return
        with self._write() as conn:
            self._check_run(conn, run_id)
            writes.write_params(conn, run_id, param_values)
            writes.write_tags(conn, run_id, tag_values)
            writes.write_metrics(conn, run_id, metrics)

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        if not datasets:
            with self._read() as conn:
                self._check_run(conn, run_id)
            return
        with self._write() as conn:
            self._check_run(conn, run_id)
            experiment_key = conn.execute(
                sa.select(runs.c.experiment_id).where(runs.c.run_uuid == run_id)
            ).scalar()
            ids = writes.dataset_ids(conn, int(experiment_key or 0), datasets)
            writes.link_inputs(conn, run_id, datasets, ids)

    # -- reads -----------------------------------------------------------------------------------------------
    def get_metric_history(
        self, run_id: str, key: str, max_results: int | None, page_token: str | None
    ) -> PagedList[Metric]:
        check_max_results(max_results, optional=True)
        after = _history_after(page_token)
        limit = None if max_results is None else max_results + 1
        points = self._metric_history(run_id, key, after, limit)
        if max_results is None or len(points) <= max_results:
            return PagedList(points, None)
        page = points[:max_results]
        return PagedList(page, encode_token({"after": loaders.history_position(page[-1])}))

    def _metric_history(
        self, run_id: str, key: str, after: list[Any] | None, limit: int | None
    ) -> list[Metric]:
        if self._fast is not None:
            points = self._fast.metric_history(run_id, key, after, limit)
        else:
            with self._read() as conn:
                exists = conn.execute(sa.select(runs.c.run_uuid).where(runs.c.run_uuid == run_id)).first()
                points = None if exists is None else loaders.metric_history(conn, run_id, key, after, limit)
        if points is None:
            raise RunNotFound(f"no run with id {run_id!r}")
        return points

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filters: Sequence[Comparison],
        order_by: Sequence[OrderBy],
        view_type: ViewType,
        max_results: int,
        page_token: str | None,
    ) -> PagedList[Run]:
        check_max_results(max_results)
        offset = offset_from_token(page_token)
        keys = search_experiment_keys(experiment_ids)
        if not keys:
            return PagedList([], None)
        stages = [stage.value for stage in ViewType.parse(view_type).stages()]
        stmt, values = queries.run_search(
            self._dialect,
            experiment_ids=keys,
            stages=stages,
            filters=filters,
            order_by=order_by,
            limit=max_results + 1,
            offset=offset,
        )
        if self._fast is not None and self._fast.loads_runs:
            found, more = self._fast.search_runs(stmt, values, max_results)
        else:
            with self._read() as conn:
                rows = conn.execute(stmt, values).mappings().all()
                found = loaders.load_runs(conn, rows[:max_results])
            more = len(rows) > max_results
        token = encode_token({"offset": offset + max_results}) if more else None
        return PagedList(self._with_outputs(found), token)


# -- helpers -------------------------------------------------------------------------------------------------
def _history_after(page_token: str | None) -> list[Any] | None:
    payload = decode_token(page_token)
    if payload is None:
        return None
    after = payload.get("after")
    if not isinstance(after, list) or len(after) != 4:
        raise InvalidArgument(f"invalid page token {page_token!r}", field="page_token")
    integers = all(isinstance(part, int) and not isinstance(part, bool) for part in after[:3])
    if not integers or not isinstance(after[3], (int, float)) or isinstance(after[3], bool):
        raise InvalidArgument(f"invalid page token {page_token!r}", field="page_token")
    return after
