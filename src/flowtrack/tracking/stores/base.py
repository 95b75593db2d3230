"""The contract every tracking store fulfils.

Stores receive values the client has already validated (keys, lengths, types) and parsed (filters, order-by).
They own integrity that needs the database: existence, lifecycle, param immutability, atomic batches.
"""

from __future__ import annotations

import abc
from collections.abc import Sequence

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
from flowtrack.tracking.filters import Comparison, OrderBy
from flowtrack.tracking.logged_models import (
    DatasetFilter,
    LoggedModel,
    LoggedModelMetric,
    LoggedModelOrderBy,
    LoggedModelOutput,
    LoggedModelStatus,
)


class TrackingStore(abc.ABC):
    """Experiments and runs with their params, metrics, tags and dataset inputs."""

    @property
    def answers_in_process(self) -> bool:
        """True when calls are served in this process without network waits (embedded SQLite)."""
        return False

    # -- experiments -----------------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_experiment(self, name: str, artifact_location: str | None, tags: Sequence[RunTag]) -> str:
        """Create an experiment and return its id; the artifact location defaults under the store's root.

        Raises ExperimentAlreadyExists when the name is taken, even by a deleted experiment.
        """

    @abc.abstractmethod
    def get_experiment(self, experiment_id: str) -> Experiment:
        """Raises ExperimentNotFound."""

    @abc.abstractmethod
    def get_experiment_by_name(self, name: str) -> Experiment | None: ...

    @abc.abstractmethod
    def search_experiments(
        self,
        view_type: ViewType,
        max_results: int,
        filters: Sequence[Comparison],
        order_by: Sequence[OrderBy],
        page_token: str | None,
    ) -> PagedList[Experiment]:
        """Default order: last_update_time DESC, then experiment_id ASC."""

    @abc.abstractmethod
    def rename_experiment(self, experiment_id: str, new_name: str) -> None: ...

    @abc.abstractmethod
    def delete_experiment(self, experiment_id: str) -> None:
        """Soft delete: the experiment and its runs move to the deleted lifecycle stage."""

    @abc.abstractmethod
    def restore_experiment(self, experiment_id: str) -> None: ...

    @abc.abstractmethod
    def set_experiment_tag(self, experiment_id: str, tag: RunTag) -> None: ...

    @abc.abstractmethod
    def delete_experiment_tag(self, experiment_id: str, key: str) -> None: ...

    # -- runs ------------------------------------------------------------------------------------------------
    @abc.abstractmethod
    def create_run(
        self,
        experiment_id: str,
        user_id: str,
        start_time: int,
        run_name: str,
        tags: Sequence[RunTag],
    ) -> Run:
        """Raises ExperimentNotFound, or ExperimentNotActive when the experiment is deleted."""

    @abc.abstractmethod
    def get_run(self, run_id: str) -> Run:
        """Raises RunNotFound."""

    @abc.abstractmethod
    def update_run_info(
        self, run_id: str, status: RunStatus | None, end_time: int | None, run_name: str | None
    ) -> RunInfo:
        """Change only the fields given; a new run_name also updates the ``mlflow.runName`` tag."""

    @abc.abstractmethod
    def delete_run(self, run_id: str) -> None: ...

    @abc.abstractmethod
    def restore_run(self, run_id: str) -> None: ...

    # -- run data: each call is one transaction; RunNotFound / RunNotActive leave nothing written ------------
    @abc.abstractmethod
    def log_metric(self, run_id: str, metric: Metric) -> None: ...

    @abc.abstractmethod
    def log_param(self, run_id: str, param: Param) -> None:
        """Logging the same value again is a no-op; a different value raises ParamOverwriteError."""

    @abc.abstractmethod
    def set_tag(self, run_id: str, tag: RunTag) -> None: ...

    @abc.abstractmethod
    def delete_tag(self, run_id: str, key: str) -> None:
        """Raises NotFound when the run has no such tag."""

    @abc.abstractmethod
    def log_batch(
        self, run_id: str, metrics: Sequence[Metric], params: Sequence[Param], tags: Sequence[RunTag]
    ) -> None:
        """All or nothing."""

    @abc.abstractmethod
    def log_inputs(self, run_id: str, datasets: Sequence[DatasetInput]) -> None:
        """A dataset is identified by (experiment, name, digest); logging it twice links it once."""

    @abc.abstractmethod
    def get_metric_history(
        self, run_id: str, key: str, max_results: int | None, page_token: str | None
    ) -> PagedList[Metric]:
        """Ordered by step, then timestamp."""

    @abc.abstractmethod
    def search_runs(
        self,
        experiment_ids: Sequence[str],
        filters: Sequence[Comparison],
        order_by: Sequence[OrderBy],
        view_type: ViewType,
        max_results: int,
        page_token: str | None,
    ) -> PagedList[Run]:
        """Default order: start_time DESC, then run_id ASC; missing sort values come last either way."""

    def close(self) -> None:  # noqa: B027 - optional hook; most stores have nothing to release
        """Release connections; the store must not be used afterwards."""

    # -- logged models (MLflow 3): each call is one transaction ----------------------------------------------
    @abc.abstractmethod
    def create_logged_model(
        self,
        experiment_id: str,
        name: str | None,
        source_run_id: str | None,
        tags: Sequence[RunTag],
        params: Sequence[Param],
        model_type: str | None,
    ) -> LoggedModel:
        """A new PENDING model ``m-<32 hex>``, its artifacts under the experiment's ``models/<id>/artifacts``.

        A missing name gets a generated one. Raises ExperimentNotFound, ExperimentNotActive, or RunNotFound
        when ``source_run_id`` names no run.
        """

    @abc.abstractmethod
    def get_logged_model(self, model_id: str, allow_deleted: bool = False) -> LoggedModel:
        """Raises LoggedModelNotFound (also for a deleted model unless ``allow_deleted``)."""

    def get_logged_model_header(self, model_id: str) -> LoggedModel:
        """An active model without its tags, params and metrics (left empty): enough to find its files or
        its source run, and cheaper where the store reads those from other tables. Raises LoggedModelNotFound.
        """
        return self.get_logged_model(model_id)

    @abc.abstractmethod
    def finalize_logged_model(self, model_id: str, status: LoggedModelStatus) -> LoggedModel:
        """Set the status (READY once the artifacts are uploaded, or FAILED) and return the model."""

    @abc.abstractmethod
    def set_logged_model_tags(self, model_id: str, tags: Sequence[RunTag]) -> None:
        """Insert or overwrite; the last value of a key repeated in ``tags`` wins."""

    @abc.abstractmethod
    def delete_logged_model_tag(self, model_id: str, key: str) -> None:
        """Raises NotFound when the model has no such tag."""

    @abc.abstractmethod
    def log_logged_model_params(self, model_id: str, params: Sequence[Param]) -> None:
        """Logging the same value again is a no-op; a different value raises ParamOverwriteError."""

    @abc.abstractmethod
    def delete_logged_model(self, model_id: str) -> None:
        """Soft delete: the model leaves searches and ``get_logged_model`` (unless allow_deleted)."""

    @abc.abstractmethod
    def search_logged_models(
        self,
        experiment_ids: Sequence[str],
        filters: Sequence[Comparison],
        datasets: Sequence[DatasetFilter],
        order_by: Sequence[LoggedModelOrderBy],
        max_results: int,
        page_token: str | None,
    ) -> PagedList[LoggedModel]:
        """Active models of the experiments; default order creation time DESC, then model_id ASC.

        ``datasets`` restricts metric comparisons to points on those datasets (and, without a metric
        comparison, keeps only models with a metric on one of them).
        """

    @abc.abstractmethod
    def log_outputs(self, run_id: str, models: Sequence[LoggedModelOutput]) -> None:
        """Record models as outputs of the run (``Run.outputs``). Raises RunNotFound, RunNotActive or
        LoggedModelNotFound; logging the same (model, step) twice records it once."""

    @abc.abstractmethod
    def log_logged_model_metrics(self, run_id: str, metrics: Sequence[LoggedModelMetric]) -> None:
        """Log metric points to the run and link them to the models they measure (``LoggedModel.metrics``),
        as MLflow's ``log-batch`` does with points that carry a ``model_id``.

        Points the run has already (the very same point) are kept once. Raises RunNotFound, RunNotActive or
        LoggedModelNotFound, writing nothing.
        """
