"""Experiments, runs and run data over a tracking store, with the checks the flowtrack client makes.

The stores trust their callers (see ``tracking/stores/base.py``), so everything that arrives over HTTP is
checked here with the client's own rules (``flowtrack.tracking.validation``, ``flowtrack.tracking.search``):
a server and an embedded client accept and reject exactly the same input.
"""

from __future__ import annotations

from collections.abc import Sequence

from flowtrack._internal.clock import now_ms
from flowtrack.exceptions import ExperimentNotFound, InvalidArgument
from flowtrack.tracking import search, validation
from flowtrack.tracking.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    InputTag,
    Metric,
    PagedList,
    Param,
    Run,
    RunInfo,
    RunStatus,
    RunTag,
    ViewType,
)
from flowtrack.tracking.stores.base import TrackingStore

DEFAULT_EXPERIMENT_ID = "0"
MAX_EXPERIMENT_KEY = 2**31 - 1  # experiments.experiment_id is a 32-bit integer column
USER_TAG = "mlflow.user"
# Proto enum numbers, for clients that send enums as integers.
_STATUS_NUMBERS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
# Column sizes of the SQL schema that the client's validation does not bound (yet): checked here so an
# oversized value is a 400 naming the field, never a database error.
_COLUMN_LIMITS = {
    "name": 256,
    "new_name": 256,
    "artifact_location": 1000,
    "user_id": 256,
    "run_name": 250,
    "dataset.name": 500,
    "dataset.digest": 64,
    "dataset.source_type": 64,
    "dataset tag key": 255,
    "dataset tag value": 500,
}


def check_length(field: str, value: str | None) -> None:
    limit = _COLUMN_LIMITS[field]
    if value is not None and len(value) > limit:
        raise InvalidArgument(f"'{field}' is {len(value)} characters; the limit is {limit}", field=field)


def required(field: str, value: str | None) -> str:
    """``value``, or MLflow's error for a missing required parameter."""
    if value is None or value == "":
        raise InvalidArgument(f"Missing value for required parameter '{field}'.", field=field)
    return value


def view_type(value: str | int, field: str) -> ViewType:
    try:
        return ViewType.parse(int(value) if isinstance(value, str) and value.isdigit() else value)
    except (KeyError, ValueError) as exc:
        raise InvalidArgument(
            f"Invalid value {value!r} for parameter '{field}': use ACTIVE_ONLY, DELETED_ONLY or ALL",
            field=field,
        ) from exc


def run_status(value: str | int) -> RunStatus:
    name = _STATUS_NUMBERS.get(value, "") if isinstance(value, int) else value.upper()
    try:
        return RunStatus(name)
    except ValueError as exc:
        choices = ", ".join(status.value for status in RunStatus)
        raise InvalidArgument(
            f"Invalid value {value!r} for parameter 'status': use one of {choices}", field="status"
        ) from exc


class TrackingService:
    """The tracking operations of MLflow's REST API, on one store."""

    def __init__(self, store: TrackingStore) -> None:
        self.store = store

    # -- experiments -----------------------------------------------------------------------------------------
    def create_experiment(self, name: str, artifact_location: str | None, tags: Sequence[RunTag]) -> str:
        checked = validation.validate_experiment_name(name)
        check_length("name", checked)
        check_length("artifact_location", artifact_location)
        checked_tags = [validation.make_tag(tag.key, tag.value) for tag in tags]
        return self.store.create_experiment(checked, artifact_location or None, checked_tags)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self.store.get_experiment(_experiment_id(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment:
        found = self.store.get_experiment_by_name(required("experiment_name", name))
        if found is None:
            raise ExperimentNotFound(f"Could not find experiment with name '{name}'")
        return found

    def search_experiments(
        self,
        view: str | int,
        max_results: int,
        filter_string: str | None,
        order_by: Sequence[str],
        page_token: str | None,
    ) -> PagedList[Experiment]:
        return self.store.search_experiments(
            view_type(view, "view_type"),
            validation.validate_max_results(max_results),
            search.parse_experiment_filter(filter_string or None),
            search.parse_experiment_order_by(list(order_by)),
            page_token or None,
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        checked = validation.validate_experiment_name(new_name)
        check_length("new_name", checked)
        self.store.rename_experiment(_experiment_id(experiment_id), checked)

    def delete_experiment(self, experiment_id: str) -> None:
        self.store.delete_experiment(_experiment_id(experiment_id))

    def restore_experiment(self, experiment_id: str) -> None:
        self.store.restore_experiment(_experiment_id(experiment_id))

    def set_experiment_tag(self, experiment_id: str, key: str, value: str) -> None:
        tag = validation.make_tag(key, value)
        self.store.set_experiment_tag(_experiment_id(experiment_id), tag)

    def delete_experiment_tag(self, experiment_id: str, key: str) -> None:
        self.store.delete_experiment_tag(_experiment_id(experiment_id), validation.validate_key(key, "tag"))

    # -- runs ------------------------------------------------------------------------------------------------
    def create_run(
        self,
        experiment_id: str | None,
        user_id: str | None,
        start_time: int | None,
        run_name: str | None,
        tags: Sequence[RunTag],
    ) -> Run:
        checked_tags = [validation.make_tag(tag.key, tag.value) for tag in tags]
        user = user_id or next((tag.value for tag in checked_tags if tag.key == USER_TAG), "")
        check_length("user_id", user)
        check_length("run_name", run_name)
        return self.store.create_run(
            _experiment_id(experiment_id or DEFAULT_EXPERIMENT_ID),
            user,
            now_ms() if start_time is None else start_time,
            run_name or "",
            checked_tags,
        )

    def get_run(self, run_id: str | None) -> Run:
        return self.store.get_run(required("run_id", run_id))

    def update_run(
        self, run_id: str | None, status: str | int | None, end_time: int | None, run_name: str | None
    ) -> RunInfo:
        checked_status = None if status is None else run_status(status)
        check_length("run_name", run_name)
        return self.store.update_run_info(required("run_id", run_id), checked_status, end_time, run_name)

    def delete_run(self, run_id: str | None) -> None:
        self.store.delete_run(required("run_id", run_id))

    def restore_run(self, run_id: str | None) -> None:
        self.store.restore_run(required("run_id", run_id))

    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filter_string: str | None,
        view: str | int,
        max_results: int,
        order_by: Sequence[str],
        page_token: str | None,
    ) -> PagedList[Run]:
        ids = [
            validation.validate_experiment_id(required("experiment_ids", value)) for value in experiment_ids
        ]
        return self.store.search_runs(
            [value for value in ids if _fits_experiment_key(value)],  # others match no run
            search.parse_run_filter(filter_string or None),
            search.parse_run_order_by(list(order_by)),
            view_type(view, "run_view_type"),
            validation.validate_max_results(max_results),
            page_token or None,
        )

    # -- run data --------------------------------------------------------------------------------------------
    def log_metric(self, run_id: str | None, key: str, value: float, timestamp: int, step: int) -> None:
        metric = validation.make_metric(key, value, timestamp, step)
        self.store.log_metric(required("run_id", run_id), metric)

    def log_param(self, run_id: str | None, key: str, value: str) -> None:
        self.store.log_param(required("run_id", run_id), validation.make_param(key, value))

    def set_tag(self, run_id: str | None, key: str, value: str) -> None:
        self.store.set_tag(required("run_id", run_id), validation.make_tag(key, value))

    def delete_tag(self, run_id: str | None, key: str) -> None:
        self.store.delete_tag(required("run_id", run_id), validation.validate_key(key, "tag"))

    def log_batch(
        self,
        run_id: str | None,
        metrics: Sequence[Metric],
        params: Sequence[Param],
        tags: Sequence[RunTag],
    ) -> None:
        checked_id = required("run_id", run_id)
        validation.validate_batch(metrics, params, tags)  # sizes first: a huge batch is refused cheaply
        checked_metrics = [validation.make_metric(m.key, m.value, m.timestamp, m.step) for m in metrics]
        checked_params = [validation.make_param(p.key, p.value) for p in params]
        checked_tags = [validation.make_tag(t.key, t.value) for t in tags]
        self.store.log_batch(checked_id, checked_metrics, checked_params, checked_tags)

    def log_inputs(self, run_id: str | None, datasets: Sequence[DatasetInput]) -> None:
        checked_id = required("run_id", run_id)
        for item in datasets:
            _check_dataset_input(item)
        self.store.log_inputs(checked_id, list(datasets))

    def get_metric_history(
        self, run_id: str | None, key: str, max_results: int | None, page_token: str | None
    ) -> PagedList[Metric]:
        limit = None if max_results is None else validation.validate_max_results(max_results)
        checked_key = required("metric_key", key)
        return self.store.get_metric_history(
            required("run_id", run_id), checked_key, limit, page_token or None
        )


def _experiment_id(value: str | None) -> str:
    checked = validation.validate_experiment_id(required("experiment_id", value))
    if not _fits_experiment_key(checked):
        raise ExperimentNotFound(f"No Experiment with id={checked} exists")
    return checked


def _fits_experiment_key(value: str) -> bool:
    """False for a number no experiment can have (the databases would fail on it instead of finding none)."""
    try:
        return abs(int(value)) <= MAX_EXPERIMENT_KEY
    except ValueError:
        return True  # not a number at all: the store reports it


def _check_dataset_input(item: DatasetInput) -> None:
    dataset: Dataset = item.dataset
    for field, value in (
        ("dataset.name", dataset.name),
        ("dataset.digest", dataset.digest),
        ("dataset.source_type", dataset.source_type),
    ):
        required(field, value)
        check_length(field, value)
    tag: InputTag
    for tag in item.tags:
        check_length("dataset tag key", required("dataset tag key", tag.key))
        check_length("dataset tag value", tag.value)
