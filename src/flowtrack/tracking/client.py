"""TrackingClient: explicit, id-based access to experiments, runs and their artifacts.

Also exported as ``flowtrack.Client`` and ``flowtrack.MlflowClient``; method names and argument forms follow
``mlflow.MlflowClient`` so migrated code keeps working.
"""

from __future__ import annotations

import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from flowtrack._internal.clock import now_ms
from flowtrack._internal.ids import random_run_name
from flowtrack.config.settings import Settings, load_settings
from flowtrack.exceptions import InvalidArgument
from flowtrack.tracking import artifact_payloads, logged_models, search, validation
from flowtrack.tracking import tracking_uri as tracking_uri_state
from flowtrack.tracking.entities import (
    DatasetInput,
    Experiment,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from flowtrack.tracking.logged_models import DatasetFilter, LoggedModel, LoggedModelStatus
from flowtrack.tracking.run_metadata import current_user
from flowtrack.tracking.stores.registry import get_tracking_store

if TYPE_CHECKING:
    from flowtrack.artifacts.base import ArtifactRepository, FileInfo
    from flowtrack.tracking.stores.base import TrackingStore

DEFAULT_SEARCH_MAX_RESULTS = 1000
DEFAULT_LOGGED_MODEL_MAX_RESULTS = 100  # MLflow's


class TrackingClient:
    """A client bound to one tracking URI: the one given, else the process-wide one.

    Settings are read once, when the client is made.
    """

    def __init__(self, tracking_uri: str | None = None) -> None:
        self.settings: Settings = load_settings()
        self.tracking_uri = tracking_uri or tracking_uri_state.get_tracking_uri()
        self.artifact_root = self.settings.resolved_artifact_root()
        self._store: TrackingStore | None = None
        self._artifact_uris: dict[str, str] = {}

    @property
    def store(self) -> TrackingStore:
        if self._store is None:
            self._store = get_tracking_store(self.tracking_uri, self.artifact_root)
        return self._store

    # -- experiments -----------------------------------------------------------------------------------------
    def create_experiment(
        self, name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
    ) -> str:
        checked = validation.validate_experiment_name(name)
        location = validation.validate_artifact_location(artifact_location)
        return self.store.create_experiment(checked, location, _tags(tags))

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self.store.get_experiment(validation.validate_experiment_id(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment | None:
        return self.store.get_experiment_by_name(validation.validate_lookup_name(name))

    def search_experiments(
        self,
        view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
        max_results: int = DEFAULT_SEARCH_MAX_RESULTS,
        filter_string: str | None = None,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Experiment]:
        return self.store.search_experiments(
            _view_type(view_type),
            validation.validate_max_results(max_results),
            search.parse_experiment_filter(validation.validate_filter(filter_string)),
            search.parse_experiment_order_by(validation.validate_order_by(order_by)),
            page_token,
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        checked = validation.validate_experiment_name(new_name)
        self.store.rename_experiment(validation.validate_experiment_id(experiment_id), checked)

    def delete_experiment(self, experiment_id: str) -> None:
        self.store.delete_experiment(validation.validate_experiment_id(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        self.store.restore_experiment(validation.validate_experiment_id(experiment_id))

    def set_experiment_tag(self, experiment_id: str, key: str, value: Any) -> None:
        tag = validation.make_tag(key, value)
        self.store.set_experiment_tag(validation.validate_experiment_id(experiment_id), tag)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        checked = validation.validate_key(key, "tag")
        self.store.delete_experiment_tag(validation.validate_experiment_id(experiment_id), checked)

    # -- runs ------------------------------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str,
        start_time: int | None = None,
        tags: dict[str, Any] | None = None,
        run_name: str | None = None,
    ) -> Run:
        run_tags = _tags(tags)
        user = next((tag.value for tag in run_tags if tag.key == "mlflow.user"), None) or current_user()
        run = self.store.create_run(
            validation.validate_experiment_id(experiment_id),
            validation.validate_user_id(user),
            now_ms() if start_time is None else validation.integer("start_time", start_time),
            validation.validate_run_name(run_name) or random_run_name(),
            run_tags,
        )
        self._artifact_uris[run.info.run_id] = run.info.artifact_uri
        return run

    def get_run(self, run_id: str) -> Run:
        return self.store.get_run(validation.validate_run_id(run_id))

    def update_run(self, run_id: str, status: str | None = None, name: str | None = None) -> RunInfo:
        checked_status = _status(status) if status is not None else None
        checked_name = validation.validate_run_name(name)
        return self.store.update_run_info(
            validation.validate_run_id(run_id), checked_status, None, checked_name
        )

    def set_terminated(self, run_id: str, status: str | None = None, end_time: int | None = None) -> RunInfo:
        final = _status(status or RunStatus.FINISHED)
        ended = now_ms() if end_time is None else validation.integer("end_time", end_time)
        return self.store.update_run_info(validation.validate_run_id(run_id), final, ended, None)

    def delete_run(self, run_id: str) -> None:
        self.store.delete_run(validation.validate_run_id(run_id))

    def restore_run(self, run_id: str) -> None:
        self.store.restore_run(validation.validate_run_id(run_id))

    def search_runs(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str = "",
        run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
        max_results: int = DEFAULT_SEARCH_MAX_RESULTS,
        order_by: Sequence[str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[Run]:
        ids = [experiment_ids] if isinstance(experiment_ids, str | int) else list(experiment_ids)
        return self.store.search_runs(
            [validation.validate_experiment_id(value) for value in ids],
            search.parse_run_filter(validation.validate_filter(filter_string)),
            search.parse_run_order_by(validation.validate_order_by(order_by)),
            _view_type(run_view_type),
            validation.validate_max_results(max_results),
            page_token,
        )

    # -- run data --------------------------------------------------------------------------------------------
    def log_metric(
        self, run_id: str, key: str, value: float, timestamp: int | None = None, step: int | None = None
    ) -> None:
        metric = validation.make_metric(key, value, now_ms() if timestamp is None else timestamp, step or 0)
        self.store.log_metric(validation.validate_run_id(run_id), metric)

    def log_param(self, run_id: str, key: str, value: Any) -> Any:
        self.store.log_param(validation.validate_run_id(run_id), validation.make_param(key, value))
        return value

    def set_tag(self, run_id: str, key: str, value: Any) -> None:
        self.store.set_tag(validation.validate_run_id(run_id), validation.make_tag(key, value))

    def delete_tag(self, run_id: str, key: str) -> None:
        self.store.delete_tag(validation.validate_run_id(run_id), validation.validate_key(key, "tag"))

    def log_batch(
        self,
        run_id: str,
        metrics: Sequence[Metric] = (),
        params: Sequence[Param] = (),
        tags: Sequence[RunTag] = (),
    ) -> None:
        checked_metrics = [validation.make_metric(m.key, m.value, m.timestamp, m.step) for m in metrics]
        checked_params = [validation.make_param(p.key, p.value) for p in params]
        checked_tags = [validation.make_tag(t.key, t.value) for t in tags]
        validation.validate_batch(checked_metrics, checked_params, checked_tags)
        self.store.log_batch(
            validation.validate_run_id(run_id), checked_metrics, checked_params, checked_tags
        )

    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        checked = [validation.validate_dataset_input(item) for item in datasets]
        self.store.log_inputs(validation.validate_run_id(run_id), checked)

    def get_metric_history(
        self, run_id: str, key: str, max_results: int | None = None, page_token: str | None = None
    ) -> PagedList[Metric]:
        """Every point of a metric, or one page of ``max_results`` points when given."""
        limit = None if max_results is None else validation.validate_max_results(max_results)
        checked_key = validation.validate_lookup_name(key, "key")
        return self.store.get_metric_history(
            validation.validate_run_id(run_id), checked_key, limit, page_token
        )

    # -- artifacts -------------------------------------------------------------------------------------------
    def artifact_repository(self, run_id: str) -> ArtifactRepository:
        from flowtrack.artifacts.registry import get_artifact_repository

        return get_artifact_repository(self.artifact_uri(run_id), tracking_uri=self.tracking_uri)

    def artifact_uri(self, run_id: str) -> str:
        uri = self._artifact_uris.get(run_id)
        if uri is None:
            uri = self.get_run(run_id).info.artifact_uri
            self._artifact_uris[run_id] = uri
        return uri

    def log_artifact(self, run_id: str, local_path: str | Path, artifact_path: str | None = None) -> None:
        path = _existing(local_path, "local_path")
        if path.is_dir():
            self.artifact_repository(run_id).log_artifacts(path, _join(artifact_path, path.name))
        else:
            self.artifact_repository(run_id).log_artifact(path, artifact_path)

    def log_artifacts(self, run_id: str, local_dir: str | Path, artifact_path: str | None = None) -> None:
        path = _existing(local_dir, "local_dir")
        if not path.is_dir():
            raise InvalidArgument(f"{path} is not a directory", field="local_dir")
        self.artifact_repository(run_id).log_artifacts(path, artifact_path)

    def log_text(self, run_id: str, text: str, artifact_file: str) -> None:
        self.artifact_repository(run_id).write_bytes(artifact_file, artifact_payloads.text_bytes(text))

    def log_dict(self, run_id: str, dictionary: Any, artifact_file: str) -> None:
        payload = artifact_payloads.dict_bytes(dictionary, artifact_file)
        self.artifact_repository(run_id).write_bytes(artifact_file, payload)

    def log_figure(self, run_id: str, figure: Any, artifact_file: str) -> None:
        payload = artifact_payloads.figure_bytes(figure, artifact_file)
        self.artifact_repository(run_id).write_bytes(artifact_file, payload)

    def log_image(self, run_id: str, image: Any, artifact_file: str) -> None:
        payload = artifact_payloads.image_bytes(image, artifact_file)
        self.artifact_repository(run_id).write_bytes(artifact_file, payload)

    def list_artifacts(self, run_id: str, path: str | None = None) -> list[FileInfo]:
        return self.artifact_repository(run_id).list_artifacts(path)

    def download_artifacts(self, run_id: str, path: str, dst_path: str | Path | None = None) -> str:
        target = Path(dst_path) if dst_path is not None else Path(tempfile.mkdtemp(prefix="flowtrack-"))
        target.mkdir(parents=True, exist_ok=True)
        return str(self.artifact_repository(run_id).download_artifacts(path, target))

    # -- logged models (MLflow 3) ----------------------------------------------------------------------------
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None = None,
        source_run_id: str | None = None,
        tags: dict[str, Any] | None = None,
        params: dict[str, Any] | None = None,
        model_type: str | None = None,
    ) -> LoggedModel:
        """A new PENDING model whose files go under ``LoggedModel.artifact_location``; finalize it after."""
        return self.store.create_logged_model(
            validation.validate_experiment_id(experiment_id),
            logged_models.validate_model_name(name),
            validation.validate_run_id(source_run_id) if source_run_id is not None else None,
            _tags(tags),
            [validation.make_param(key, value) for key, value in (params or {}).items()],
            logged_models.validate_model_type(model_type),
        )

    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        return self.store.get_logged_model(_model_id(model_id), allow_deleted)

    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus | str) -> LoggedModel:
        """Set the status: ``READY`` once the files are uploaded, or ``FAILED``."""
        return self.store.finalize_logged_model(_model_id(model_id), LoggedModelStatus.parse(status))

    def set_logged_model_tags(self, model_id: str, tags: dict[str, Any]) -> None:
        self.store.set_logged_model_tags(_model_id(model_id), _tags(tags))

    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        self.store.delete_logged_model_tag(_model_id(model_id), validation.validate_key(key, "tag"))

    def search_logged_models(
        self,
        experiment_ids: Sequence[str] | str,
        filter_string: str | None = None,
        datasets: Sequence[Mapping[str, Any]] | None = None,
        max_results: int | None = None,
        order_by: Sequence[Mapping[str, Any] | str] | None = None,
        page_token: str | None = None,
    ) -> PagedList[LoggedModel]:
        """Active models of the experiments; ``order_by`` as MLflow's dicts (``{"field_name": "metrics.acc",
        "ascending": False}``) or clauses (``"creation_timestamp DESC"``); newest first by default."""
        ids = [experiment_ids] if isinstance(experiment_ids, str | int) else list(experiment_ids)
        return self.store.search_logged_models(
            [validation.validate_experiment_id(value) for value in ids],
            search.parse_logged_model_filter(filter_string),
            [_dataset_filter(item) for item in datasets or ()],
            search.parse_logged_model_order_by(order_by),
            DEFAULT_LOGGED_MODEL_MAX_RESULTS
            if max_results is None
            else validation.validate_max_results(max_results),
            page_token,
        )


def _tags(tags: dict[str, Any] | None) -> list[RunTag]:
    return [validation.make_tag(key, value) for key, value in (tags or {}).items()]


def _view_type(value: ViewType | str | int) -> ViewType:
    try:
        return ViewType.parse(value)
    except (KeyError, ValueError) as exc:
        raise InvalidArgument(
            f"unknown view type {value!r}; use ACTIVE_ONLY, DELETED_ONLY or ALL", field="view_type"
        ) from exc


def _status(value: str | RunStatus) -> RunStatus:
    try:
        return RunStatus(str(value).upper())
    except ValueError as exc:
        choices = ", ".join(status.value for status in RunStatus)
        raise InvalidArgument(f"unknown run status {value!r}; use one of {choices}", field="status") from exc


def _model_id(model_id: object) -> str:
    if not isinstance(model_id, str) or not model_id:
        raise InvalidArgument(f"model_id must be a non-empty string, got {model_id!r}", field="model_id")
    return model_id


def _dataset_filter(item: Mapping[str, Any]) -> DatasetFilter:
    name = item.get("dataset_name") if isinstance(item, Mapping) else None
    if not isinstance(name, str) or not name:
        raise InvalidArgument(
            f"datasets entries need a dataset_name, got {item!r}", field="datasets.dataset_name"
        )
    digest = item.get("dataset_digest")
    return DatasetFilter(name, str(digest) if digest else None)


def _existing(path: str | Path, field: str) -> Path:
    resolved = Path(path)
    if not resolved.exists():
        raise InvalidArgument(f"{resolved} does not exist", field=field)
    return resolved


def _join(prefix: str | None, name: str) -> str:
    return f"{prefix.rstrip('/')}/{name}" if prefix else name
