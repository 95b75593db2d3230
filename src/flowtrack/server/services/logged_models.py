"""MLflow 3 logged models over a tracking store, with the checks the flowtrack client makes.

Everything that arrives over HTTP is checked here (keys, lengths, names, statuses, filters) before it reaches
the store, with the same rules as :class:`flowtrack.tracking.client.TrackingClient`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flowtrack.exceptions import ExperimentNotFound, InvalidArgument, LoggedModelNotFound
from flowtrack.server.services.base import StoreService
from flowtrack.tracking import logged_models, search, validation
from flowtrack.tracking.entities import LoggedModelOutput, PagedList, Param, RunTag
from flowtrack.tracking.logged_models import (
    DatasetFilter,
    LoggedModel,
    LoggedModelMetric,
    LoggedModelStatus,
)
from flowtrack.tracking.stores.base import TrackingStore

DEFAULT_MAX_RESULTS = 100  # MLflow's default page of logged models
MAX_EXPERIMENT_KEY = 2**31 - 1
_DATASET_LIMITS = {"dataset_name": 500, "dataset_digest": 64}


def required(field: str, value: str | None) -> str:
    """``value``, or MLflow's error for a missing required parameter."""
    if value is None or value == "":
        raise InvalidArgument(f"Missing value for required parameter '{field}'.", field=field)
    return value


def model_id(value: str | None) -> str:
    """A model id; one that cannot be a logged model's (``m-<32 hex>``) is simply not found."""
    checked = required("model_id", value)
    if not logged_models.is_model_id(checked):
        raise LoggedModelNotFound(f"Logged model with ID '{checked}' not found.")
    return checked


def _experiment_id(value: str | None) -> str:
    checked = validation.validate_experiment_id(required("experiment_id", value))
    if not _fits_experiment_key(checked):
        raise ExperimentNotFound(f"No Experiment with id={checked} exists")
    return checked


def _fits_experiment_key(value: str) -> bool:
    try:
        return abs(int(value)) <= MAX_EXPERIMENT_KEY
    except ValueError:
        return True  # not a number at all: the store reports it


def _dataset_field(field: str, value: str | None) -> str | None:
    if value is not None and len(value) > _DATASET_LIMITS[field]:
        limit = _DATASET_LIMITS[field]
        raise InvalidArgument(f"'{field}' is {len(value)} characters; the limit is {limit}", field=field)
    return value or None


class LoggedModelService(StoreService):
    """The logged-model operations of MLflow's REST API, on one store."""

    def __init__(self, store: TrackingStore) -> None:
        super().__init__(inline=store.answers_in_process)
        self.store = store

    def create(
        self,
        experiment_id: str | None,
        name: str | None,
        model_type: str | None,
        source_run_id: str | None,
        tags: Sequence[RunTag],
        params: Sequence[Param],
    ) -> LoggedModel:
        checked_tags = [validation.make_tag(tag.key, tag.value) for tag in tags]
        checked_params = [validation.make_param(param.key, param.value) for param in params]
        return self.store.create_logged_model(
            _experiment_id(experiment_id),
            logged_models.validate_model_name(name or None),
            source_run_id or None,
            checked_tags,
            checked_params,
            logged_models.validate_model_type(model_type),
        )

    def get(self, model: str | None, allow_deleted: bool = False) -> LoggedModel:
        return self.store.get_logged_model(model_id(model), allow_deleted)

    def finalize(self, model: str | None, status: str | int | None) -> LoggedModel:
        if status is None or status == "":
            raise InvalidArgument("Missing value for required parameter 'status'.", field="status")
        return self.store.finalize_logged_model(model_id(model), LoggedModelStatus.parse(status))

    def set_tags(self, model: str | None, tags: Sequence[RunTag]) -> None:
        checked = [validation.make_tag(tag.key, tag.value) for tag in tags]
        self.store.set_logged_model_tags(model_id(model), checked)

    def delete_tag(self, model: str | None, key: str) -> None:
        self.store.delete_logged_model_tag(model_id(model), validation.validate_key(key, "tag"))

    def log_params(self, model: str | None, params: Sequence[Param]) -> None:
        checked = [validation.make_param(param.key, param.value) for param in params]
        self.store.log_logged_model_params(model_id(model), checked)

    def delete(self, model: str | None) -> None:
        self.store.delete_logged_model(model_id(model))

    def search(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None,
        datasets: Sequence[DatasetFilter],
        max_results: int | None,
        order_by: Sequence[Mapping[str, Any]],
        page_token: str | None,
    ) -> PagedList[LoggedModel]:
        """``order_by`` as MLflow's REST API sends it: ``{"field_name", "ascending", "dataset_name"}``."""
        ids = [
            validation.validate_experiment_id(required("experiment_ids", value)) for value in experiment_ids
        ]
        for dataset in datasets:
            required("datasets.dataset_name", dataset.dataset_name)
        limit = DEFAULT_MAX_RESULTS if max_results is None else validation.validate_max_results(max_results)
        return self.store.search_logged_models(
            [value for value in ids if _fits_experiment_key(value)],  # others hold no model
            search.parse_logged_model_filter(filter_string or None),
            list(datasets),
            search.parse_logged_model_order_by(list(order_by)),
            limit,
            page_token or None,
        )

    def log_outputs(self, run_id: str | None, models: Sequence[LoggedModelOutput]) -> None:
        checked = [
            LoggedModelOutput(model_id(item.model_id), validation.integer("step", item.step))
            for item in models
        ]
        self.store.log_outputs(required("run_id", run_id), checked)

    # -- metrics of log-metric / log-batch that name a model -----------------------------------------------
    def check_models(self, model_ids: Sequence[str]) -> None:
        """Raise LoggedModelNotFound for a missing model; called before the run's points are written."""
        for model in sorted(set(model_ids)):
            self.store.get_logged_model(model_id(model), allow_deleted=True)

    def link_metrics(self, run_id: str | None, points: Sequence[LoggedModelMetric]) -> None:
        """Link points the run logged (through log-metric / log-batch) to the models they measure."""
        for point in points:
            _dataset_field("dataset_name", point.dataset_name)
            _dataset_field("dataset_digest", point.dataset_digest)
        self.store.log_logged_model_metrics(required("run_id", run_id), list(points))
