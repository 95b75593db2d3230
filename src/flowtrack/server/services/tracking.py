"""Experiments, runs and run data over a tracking store, with the checks the flowtrack client makes.

The stores trust their callers (see ``tracking/stores/base.py``), so everything that arrives over HTTP is
checked here with the client's own rules (``flowtrack.tracking.validation``, ``flowtrack.tracking.search``):
a server and an embedded client accept and reject exactly the same input.
"""

from __future__ import annotations

from collections.abc import Sequence

from flowtrack._internal.clock import now_ms
from flowtrack.exceptions import ExperimentNotFound, InvalidArgument
from flowtrack.server.services.base import StoreService
from flowtrack.tracking import search, validation
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
from flowtrack.tracking.stores.base import TrackingStore

DEFAULT_EXPERIMENT_ID = "0"
USER_TAG = "mlflow.user"
# Proto enum numbers, for clients that send enums as integers.
_STATUS_NUMBERS = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}


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


class TrackingService(StoreService):
    """The tracking operations of MLflow's REST API, on one store."""

    def __init__(self, store: TrackingStore) -> None:
        super().__init__(inline=store.answers_in_process)
        self.store = store

    # -- experiments -----------------------------------------------------------------------------------------
    def create_experiment(self, name: str, artifact_location: str | None, tags: Sequence[RunTag]) -> str:
        checked = validation.validate_experiment_name(name)
        location = validation.validate_artifact_location(artifact_location)
        checked_tags = [validation.make_tag(tag.key, tag.value) for tag in tags]
        return self.store.create_experiment(checked, location, checked_tags)

    def get_experiment(self, experiment_id: str) -> Experiment:
        return self.store.get_experiment(_experiment_id(experiment_id))

    def get_experiment_by_name(self, name: str) -> Experiment:
        checked = validation.validate_lookup_name(required("experiment_name", name), "experiment_name")
        found = self.store.get_experiment_by_name(checked)
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
            search.parse_experiment_filter(validation.validate_filter(filter_string or None)),
            search.parse_experiment_order_by(validation.validate_order_by(list(order_by))),
            page_token or None,
        )

    def rename_experiment(self, experiment_id: str, new_name: str) -> None:
        checked = validation.validate_experiment_name(new_name, "new_name")
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
        return self.store.create_run(
            _experiment_id(experiment_id or DEFAULT_EXPERIMENT_ID),
            validation.validate_user_id(user),
            now_ms() if start_time is None else start_time,
            validation.validate_run_name(run_name) or "",
            checked_tags,
        )

    def get_run(self, run_id: str | None) -> Run:
        return self.store.get_run(_run_id(run_id))

    def update_run(
        self, run_id: str | None, status: str | int | None, end_time: int | None, run_name: str | None
    ) -> RunInfo:
        checked_status = None if status is None else run_status(status)
        checked_name = validation.validate_run_name(run_name)
        return self.store.update_run_info(_run_id(run_id), checked_status, end_time, checked_name)

    def delete_run(self, run_id: str | None) -> None:
        self.store.delete_run(_run_id(run_id))

    def restore_run(self, run_id: str | None) -> None:
        self.store.restore_run(_run_id(run_id))

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
            ids,  # the store leaves out integers no experiment can have: they match no run
            search.parse_run_filter(validation.validate_filter(filter_string or None)),
            search.parse_run_order_by(validation.validate_order_by(list(order_by))),
            view_type(view, "run_view_type"),
            validation.validate_max_results(max_results),
            page_token or None,
        )

    # -- run data --------------------------------------------------------------------------------------------
    def log_metric(self, run_id: str | None, key: str, value: float, timestamp: int, step: int) -> None:
        metric = validation.make_metric(key, value, timestamp, step)
        self.store.log_metric(_run_id(run_id), metric)

    def log_param(self, run_id: str | None, key: str, value: str) -> None:
        self.store.log_param(_run_id(run_id), validation.make_param(key, value))

    def set_tag(self, run_id: str | None, key: str, value: str) -> None:
        self.store.set_tag(_run_id(run_id), validation.make_tag(key, value))

    def delete_tag(self, run_id: str | None, key: str) -> None:
        self.store.delete_tag(_run_id(run_id), validation.validate_key(key, "tag"))

    def log_batch(
        self,
        run_id: str | None,
        metrics: Sequence[Metric],
        params: Sequence[Param],
        tags: Sequence[RunTag],
    ) -> None:
        checked_id = _run_id(run_id)
        validation.validate_batch(metrics, params, tags)  # sizes first: a huge batch is refused cheaply
        checked_metrics = [validation.make_metric(m.key, m.value, m.timestamp, m.step) for m in metrics]
        checked_params = [validation.make_param(p.key, p.value) for p in params]
        checked_tags = [validation.make_tag(t.key, t.value) for t in tags]
        self.store.log_batch(checked_id, checked_metrics, checked_params, checked_tags)

    def log_inputs(self, run_id: str | None, datasets: Sequence[DatasetInput]) -> None:
        checked_id = _run_id(run_id)
        checked = [validation.validate_dataset_input(item) for item in datasets]
        self.store.log_inputs(checked_id, checked)

    def get_metric_history(
        self, run_id: str | None, key: str, max_results: int | None, page_token: str | None
    ) -> PagedList[Metric]:
        limit = None if max_results is None else validation.validate_max_results(max_results)
        checked_key = validation.validate_lookup_name(required("metric_key", key), "metric_key")
        return self.store.get_metric_history(_run_id(run_id), checked_key, limit, page_token or None)


def _experiment_id(value: str | None) -> str:
    """A well-formed experiment id; the store answers ExperimentNotFound for one no experiment can have."""
    return validation.validate_experiment_id(required("experiment_id", value))


def _run_id(value: str | None) -> str:
    return validation.validate_run_id(required("run_id", value))
