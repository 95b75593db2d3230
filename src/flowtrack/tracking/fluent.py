"""The module-level API: ``flowtrack.start_run()``, ``flowtrack.log_metric()`` and friends.

Names, arguments and behaviour follow MLflow's fluent API so ``import flowtrack as mlflow`` works. Every call
goes through :class:`~flowtrack.tracking.client.TrackingClient`; this module only tracks what is active.
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Literal

from flowtrack._internal.clock import now_ms
from flowtrack.exceptions import InvalidArgument, NoActiveRun, RunAlreadyActive
from flowtrack.tracking import context, run_metadata, system_tags, tracking_uri, validation
from flowtrack.tracking.client import TrackingClient
from flowtrack.tracking.entities import (
    Dataset,
    DatasetInput,
    Experiment,
    PagedList,
    Run,
    RunData,
    RunInfo,
    RunStatus,
    ViewType,
)

_state_lock = threading.RLock()
_client: TrackingClient | None = None
_active_experiment_id: str | None = None
_last_active_run_id: str | None = None
_exit_hooks_installed = False
_exit_status: RunStatus | None = None

DEFAULT_EXPERIMENT_ID = "0"
SEARCH_PAGE_SIZE = 50_000


# -- configuration -------------------------------------------------------------------------------------------
def set_tracking_uri(uri: str | Path) -> None:
    """Point every later call at ``uri``: ``sqlite:///file.db``, ``postgresql://...``, ``mysql+pymysql://...``"""
    global _client, _active_experiment_id
    with _state_lock:
        tracking_uri.set_tracking_uri(str(uri))
        _client = None
        _active_experiment_id = None


def get_tracking_uri() -> str:
    return tracking_uri.get_tracking_uri()


def client() -> TrackingClient:
    global _client
    existing = _client
    if existing is not None:  # every log call comes here; take the lock only to create the client
        return existing
    with _state_lock:
        if _client is None:
            _client = TrackingClient(get_tracking_uri())
        return _client


# -- experiments ---------------------------------------------------------------------------------------------
def set_experiment(experiment_name: str | None = None, experiment_id: str | None = None) -> Experiment:
    """Make an experiment active for later runs, creating it by name when it does not exist."""
    global _active_experiment_id
    if (experiment_name is None) == (experiment_id is None):
        raise InvalidArgument("pass exactly one of experiment_name or experiment_id", field="experiment_name")
    experiment = _experiment_for(experiment_name, experiment_id)
    if experiment.lifecycle_stage != "active":
        raise InvalidArgument(
            f"experiment {experiment.name!r} is deleted; restore it with "
            f"`flowtrack experiments restore {experiment.experiment_id}` or pick another name",
            field="experiment_name",
        )
    _active_experiment_id = experiment.experiment_id
    return experiment


def _experiment_for(name: str | None, experiment_id: str | None) -> Experiment:
    tracking = client()
    if experiment_id is not None:
        return tracking.get_experiment(experiment_id)
    assert name is not None
    # checked before the lookup, so a name no experiment may have is the same error embedded and over REST
    existing = tracking.get_experiment_by_name(validation.validate_experiment_name(name))
    if existing is not None:
        return existing
    from flowtrack.exceptions import ExperimentAlreadyExists

    try:
        return tracking.get_experiment(tracking.create_experiment(name))
    except ExperimentAlreadyExists:  # another process created it between our read and our write
        found = tracking.get_experiment_by_name(name)
        assert found is not None
        return found


def create_experiment(
    name: str, artifact_location: str | None = None, tags: dict[str, Any] | None = None
) -> str:
    return client().create_experiment(name, artifact_location, tags)


def get_experiment(experiment_id: str) -> Experiment:
    return client().get_experiment(experiment_id)


def get_experiment_by_name(name: str) -> Experiment | None:
    return client().get_experiment_by_name(name)


def search_experiments(
    view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int | None = None,
    filter_string: str | None = None,
    order_by: Sequence[str] | None = None,
) -> list[Experiment]:
    """All matching experiments (every page), or the first ``max_results``."""
    results: list[Experiment] = []
    token: str | None = None
    while True:
        page_size = (
            SEARCH_PAGE_SIZE if max_results is None else min(SEARCH_PAGE_SIZE, max_results - len(results))
        )
        page = client().search_experiments(view_type, page_size, filter_string, order_by, token)
        results.extend(page)
        token = page.token
        if token is None or (max_results is not None and len(results) >= max_results):
            return results


def delete_experiment(experiment_id: str) -> None:
    client().delete_experiment(experiment_id)


def _default_experiment_id() -> str:
    return _chosen_experiment_id() or DEFAULT_EXPERIMENT_ID


def _chosen_experiment_id() -> str | None:
    """The experiment set with set_experiment() or named in the environment; None when nobody chose one."""
    if _active_experiment_id is not None:
        return _active_experiment_id
    for variable in ("FLOWTRACK_EXPERIMENT_NAME", "MLFLOW_EXPERIMENT_NAME"):
        if name := os.environ.get(variable):
            return set_experiment(name).experiment_id
    for variable in ("FLOWTRACK_EXPERIMENT_ID", "MLFLOW_EXPERIMENT_ID"):
        if experiment_id := os.environ.get(variable):
            return experiment_id
    return None


def _experiment_of_new_run(experiment_id: str | None, parent_run_id: str | None) -> str:
    """A child run goes where its parent is, unless an experiment was chosen: a flow's run lives in the
    flow's experiment without any set_experiment(), and its children must show under it."""
    if experiment_id:
        return experiment_id
    chosen = _chosen_experiment_id()
    if chosen is not None:
        return chosen
    if parent_run_id:
        return client().get_run(parent_run_id).info.experiment_id
    return DEFAULT_EXPERIMENT_ID


# -- runs ----------------------------------------------------------------------------------------------------
class ActiveRun:
    """The run a ``with start_run():`` block logs to; leaving the block ends it.

    An exception leaves the run FAILED and KeyboardInterrupt leaves it KILLED; the exception propagates.
    """

    def __init__(self, run: Run) -> None:
        self._run = run

    @property
    def info(self) -> RunInfo:
        return self._run.info

    @property
    def data(self) -> RunData:
        return self._run.data

    def __enter__(self) -> ActiveRun:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self.info.run_id not in context.active_run_ids():
            return
        end_run(_status_for(exc_type))

    def __repr__(self) -> str:
        return f"<ActiveRun: run_id={self.info.run_id} name={self.info.run_name!r}>"


def _status_for(exc_type: type[BaseException] | None) -> RunStatus:
    if exc_type is None:
        return RunStatus.FINISHED
    if issubclass(exc_type, KeyboardInterrupt):
        return RunStatus.KILLED
    return RunStatus.FAILED


def start_run(
    run_id: str | None = None,
    experiment_id: str | None = None,
    run_name: str | None = None,
    nested: bool = False,
    parent_run_id: str | None = None,
    tags: dict[str, Any] | None = None,
    description: str | None = None,
    log_system_metrics: bool | None = None,
) -> ActiveRun:
    """Start a new run, or resume ``run_id``, and make it active; use it as a context manager."""
    active = context.current_run_id()
    if active is not None and not nested:
        raise RunAlreadyActive(
            f"run {active} is already active; call end_run() first, or start_run(nested=True) for a child run"
        )
    parent = parent_run_id or (active if nested else None)
    run = _resume(run_id) if run_id else _create(experiment_id, run_name, parent, tags, description)
    _install_exit_hooks()
    context.push(run.info.run_id)
    return ActiveRun(run)


def _resume(run_id: str) -> Run:
    tracking = client()
    run = tracking.get_run(run_id)
    if run.info.status != RunStatus.RUNNING:
        tracking.update_run(run_id, status=RunStatus.RUNNING)
        run = tracking.get_run(run_id)
    return run


def _create(
    experiment_id: str | None,
    run_name: str | None,
    parent_run_id: str | None,
    tags: dict[str, Any] | None,
    description: str | None,
) -> Run:
    metadata = run_metadata.process_metadata()
    all_tags: dict[str, Any] = {**metadata.tags, **(tags or {})}
    if parent_run_id:
        all_tags[system_tags.PARENT_RUN_ID] = parent_run_id
    if description:
        all_tags[system_tags.NOTE] = description
    target = _experiment_of_new_run(experiment_id, parent_run_id)
    run = client().create_run(target, tags=all_tags, run_name=run_name)
    _save_process_artifacts(run.info.run_id, metadata)
    return run


def _save_process_artifacts(run_id: str, metadata: run_metadata.ProcessMetadata) -> None:
    settings = client().settings
    repository = client().artifact_repository(run_id)
    if settings.log_source_code and metadata.entry_point is not None:
        repository.log_artifact(metadata.entry_point, system_tags.SOURCE_DIR)
    if settings.log_environment:
        repository.write_bytes(system_tags.REQUIREMENTS_FILE, run_metadata.installed_packages().encode())
    if settings.log_git_diff and metadata.git is not None and metadata.git.diff:
        repository.write_bytes(system_tags.GIT_DIFF_FILE, metadata.git.diff.encode())


def end_run(status: str | RunStatus = RunStatus.FINISHED) -> None:
    """End the innermost active run; a no-op when none is active."""
    global _last_active_run_id
    run_id = context.current_run_id()
    if run_id is None:
        return
    try:
        client().set_terminated(run_id, str(status))
    finally:
        context.pop(run_id)
        _last_active_run_id = run_id


def active_run() -> ActiveRun | None:
    run_id = context.current_run_id()
    return ActiveRun(client().get_run(run_id)) if run_id else None


def last_active_run() -> Run | None:
    run_id = context.current_run_id() or _last_active_run_id
    return client().get_run(run_id) if run_id else None


def get_run(run_id: str) -> Run:
    return client().get_run(run_id)


def delete_run(run_id: str) -> None:
    client().delete_run(run_id)


def flush() -> None:
    """Wait until every logged value is stored; logging is synchronous, so each call has already committed."""


def _run_id(run_id: str | None = None) -> str:
    """The explicit run, else the active one, else a new run started on demand (as MLflow does)."""
    if run_id is not None:
        return run_id
    active = context.current_run_id()
    if active is not None:
        return active
    return start_run().info.run_id


def _require_active_run() -> str:
    run_id = context.current_run_id()
    if run_id is None:
        raise NoActiveRun("no active run; call flowtrack.start_run() first")
    return run_id


# -- exit handling -------------------------------------------------------------------------------------------
def _install_exit_hooks() -> None:
    global _exit_hooks_installed
    with _state_lock:
        if _exit_hooks_installed:
            return
        _exit_hooks_installed = True
    previous_hook = sys.excepthook

    def record_crash(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        global _exit_status
        _exit_status = _status_for(exc_type)
        previous_hook(exc_type, exc, tb)

    sys.excepthook = record_crash
    atexit.register(_end_open_runs)


def _end_open_runs() -> None:
    status = _exit_status or RunStatus.FINISHED
    for run_id in context.open_runs_newest_first():
        try:
            client().set_terminated(run_id, str(status))
        finally:
            context.pop(run_id)


# -- logging -------------------------------------------------------------------------------------------------
def log_param(key: str, value: Any, synchronous: bool | None = None, run_id: str | None = None) -> Any:
    return client().log_param(_run_id(run_id), key, value)


def log_params(params: dict[str, Any], synchronous: bool | None = None, run_id: str | None = None) -> None:
    target = _run_id(run_id)
    checked = [validation.make_param(key, value) for key, value in params.items()]
    for start in range(0, len(checked), validation.MAX_PARAMS_TAGS_PER_BATCH):
        client().log_batch(target, params=checked[start : start + validation.MAX_PARAMS_TAGS_PER_BATCH])


def log_metric(
    key: str,
    value: float,
    step: int | None = None,
    synchronous: bool | None = None,
    timestamp: int | None = None,
    run_id: str | None = None,
    **_ignored: Any,
) -> None:
    client().log_metric(_run_id(run_id), key, value, timestamp, step)


def log_metrics(
    metrics: dict[str, float],
    step: int | None = None,
    synchronous: bool | None = None,
    run_id: str | None = None,
    timestamp: int | None = None,
    **_ignored: Any,
) -> None:
    target = _run_id(run_id)
    moment = now_ms() if timestamp is None else timestamp
    checked = [validation.make_metric(key, value, moment, step or 0) for key, value in metrics.items()]
    for start in range(0, len(checked), validation.MAX_METRICS_PER_BATCH):
        client().log_batch(target, metrics=checked[start : start + validation.MAX_METRICS_PER_BATCH])


def set_tag(key: str, value: Any, synchronous: bool | None = None) -> None:
    client().set_tag(_run_id(), key, value)


def set_tags(tags: dict[str, Any], synchronous: bool | None = None) -> None:
    target = _run_id()
    checked = [validation.make_tag(key, value) for key, value in tags.items()]
    for start in range(0, len(checked), validation.MAX_PARAMS_TAGS_PER_BATCH):
        client().log_batch(target, tags=checked[start : start + validation.MAX_PARAMS_TAGS_PER_BATCH])


def delete_tag(key: str) -> None:
    client().delete_tag(_require_active_run(), key)


def log_input(
    dataset: Dataset, context: str | None = None, tags: dict[str, str] | None = None, **_ignored: Any
) -> None:
    """Record that the active run used ``dataset`` (see ``flowtrack.data.from_pandas`` / ``from_numpy``)."""
    checked = validation.validate_dataset(dataset)
    input_tags = [validation.make_input_tag(key, value) for key, value in (tags or {}).items()]
    if context:
        input_tags.append(validation.make_input_tag("mlflow.data.context", context))
    client().log_inputs(_run_id(), [DatasetInput(checked, tuple(input_tags))])


def log_artifact(local_path: str | Path, artifact_path: str | None = None, run_id: str | None = None) -> None:
    client().log_artifact(_run_id(run_id), local_path, artifact_path)


def log_artifacts(local_dir: str | Path, artifact_path: str | None = None, run_id: str | None = None) -> None:
    client().log_artifacts(_run_id(run_id), local_dir, artifact_path)


def log_text(text: str, artifact_file: str, run_id: str | None = None) -> None:
    client().log_text(_run_id(run_id), text, artifact_file)


def log_dict(dictionary: Any, artifact_file: str, run_id: str | None = None) -> None:
    client().log_dict(_run_id(run_id), dictionary, artifact_file)


def log_figure(figure: Any, artifact_file: str, *, save_kwargs: dict[str, Any] | None = None) -> None:
    client().log_figure(_run_id(), figure, artifact_file)


def log_image(image: Any, artifact_file: str | None = None, **_ignored: Any) -> None:
    if artifact_file is None:
        raise InvalidArgument("artifact_file is required, e.g. 'images/sample.png'", field="artifact_file")
    client().log_image(_run_id(), image, artifact_file)


def get_artifact_uri(artifact_path: str | None = None) -> str:
    base = client().artifact_uri(_require_active_run())
    return f"{base.rstrip('/')}/{artifact_path.lstrip('/')}" if artifact_path else base


# -- search --------------------------------------------------------------------------------------------------
def search_runs(
    experiment_ids: Sequence[str] | None = None,
    filter_string: str = "",
    run_view_type: ViewType | str | int = ViewType.ACTIVE_ONLY,
    max_results: int = 100_000,
    order_by: Sequence[str] | None = None,
    output_format: Literal["pandas", "list"] = "pandas",
    search_all_experiments: bool = False,
    experiment_names: Sequence[str] | None = None,
) -> Any:
    """Runs as a pandas DataFrame (a list of Run with ``output_format="list"`` or when pandas is missing)."""
    if output_format not in ("pandas", "list"):
        raise InvalidArgument("output_format must be 'pandas' or 'list'", field="output_format")
    ids = _search_experiment_ids(experiment_ids, experiment_names, search_all_experiments)
    runs = _all_pages(ids, filter_string, run_view_type, max_results, order_by)
    if output_format == "list":
        return runs
    try:
        from flowtrack.tracking.frames import runs_to_frame
    except ImportError:
        return runs
    return runs_to_frame(runs)


def _search_experiment_ids(
    experiment_ids: Sequence[str] | None, experiment_names: Sequence[str] | None, search_all: bool
) -> list[str]:
    if experiment_ids:
        return [str(value) for value in experiment_ids]
    if experiment_names:
        found = [client().get_experiment_by_name(name) for name in experiment_names]
        return [experiment.experiment_id for experiment in found if experiment is not None]
    if search_all:
        return [experiment.experiment_id for experiment in search_experiments(ViewType.ALL)]
    return [_default_experiment_id()]


def _all_pages(
    ids: list[str],
    filter_string: str,
    run_view_type: ViewType | str | int,
    max_results: int,
    order_by: Sequence[str] | None,
) -> PagedList[Run]:
    runs: PagedList[Run] = PagedList()
    if not ids:
        return runs
    token: str | None = None
    while len(runs) < max_results:
        page_size = min(SEARCH_PAGE_SIZE, max_results - len(runs))
        page = client().search_runs(ids, filter_string, run_view_type, page_size, order_by, token)
        runs.extend(page)
        token = page.token
        if token is None:
            break
    return runs
