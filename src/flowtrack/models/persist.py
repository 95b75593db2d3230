"""``log_model`` as MLflow 3 does it: a logged-model entity owns the files.

1. a logged model is created (PENDING) in the active run's experiment, with the run as its source, the run's
   params plus the caller's, and the caller's tags;
2. the flavor writes the model directory locally, with the model id and run id in its MLmodel file;
3. the files are uploaded to the logged model's artifact location (``.../models/<model_id>/artifacts``);
4. the run lists the model among its outputs, and the run's latest metrics are linked to the model;
5. the model is marked READY (FAILED, and the error re-raised, when any step fails);
6. with ``registered_model_name``, the model is registered as a new version.
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from flowtrack.artifacts.fsspec_repository import LocalArtifactRepository
from flowtrack.artifacts.registry import get_artifact_repository
from flowtrack.models.model import Model, ModelInfo
from flowtrack.tracking import context, fluent
from flowtrack.tracking.client import TrackingClient
from flowtrack.tracking.entities import LoggedModelOutput, Run
from flowtrack.tracking.logged_models import LoggedModel, LoggedModelMetric, LoggedModelStatus

__all__ = ["log_model"]

DEFAULT_NAME = "model"
# Run tags MLflow copies onto the model so the model page says who made it and from what.
_COPIED_RUN_TAGS = ("mlflow.user", "mlflow.source.name", "mlflow.source.type", "mlflow.source.git.commit")


def log_model(
    write: Callable[[Path, Model], None],
    *,
    name: str | None,
    artifact_path: str | None = None,
    registered_model_name: str | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
) -> ModelInfo:
    """Create the logged model, let ``write(directory, model)`` save the flavor's files, upload them."""
    client = fluent.client()
    run_id = context.current_run_id()
    run = client.get_run(run_id) if run_id else None
    experiment_id = run.info.experiment_id if run else fluent._default_experiment_id()
    model_name = name or artifact_path or DEFAULT_NAME
    logged = client.create_logged_model(
        experiment_id,
        model_name,
        source_run_id=run_id,
        tags={**_run_tags(run), **(tags or {})},
        params={**(run.data.params if run else {}), **(params or {})},
        model_type=model_type,
    )
    try:
        model = Model(artifact_path=logged.artifact_location, run_id=run_id, model_id=logged.model_id)
        model.model_uuid = logged.model_id
        _write_and_upload(write, model, logged, client.tracking_uri)
        if run is not None:
            _link_run(client, run, logged, step)
        logged = client.finalize_logged_model(logged.model_id, LoggedModelStatus.READY)
    except BaseException:
        with contextlib.suppress(Exception):  # the first error is the one to report, not a failed update
            client.finalize_logged_model(logged.model_id, LoggedModelStatus.FAILED)
        raise
    version = _register(logged, registered_model_name) if registered_model_name else None
    return _info(model, logged, model_name, version)


def _run_tags(run: Run | None) -> dict[str, str]:
    if run is None:
        return {}
    return {key: value for key, value in run.data.tags.items() if key in _COPIED_RUN_TAGS}


def _write_and_upload(
    write: Callable[[Path, Model], None], model: Model, logged: LoggedModel, tracking_uri: str
) -> None:
    repository = get_artifact_repository(logged.artifact_location, tracking_uri=tracking_uri)
    if isinstance(repository, LocalArtifactRepository):
        write(Path(repository.root_dir), model)  # a local store: write in place, no staging copy
        return
    staging = Path(tempfile.mkdtemp(prefix="flowtrack-log-model-"))
    try:
        directory = staging / "model"
        directory.mkdir()
        write(directory, model)
        repository.log_artifacts(directory)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _link_run(client: TrackingClient, run: Run, logged: LoggedModel, step: int) -> None:
    run_id = run.info.run_id
    client.store.log_outputs(run_id, [LoggedModelOutput(logged.model_id, step)])
    points = [
        LoggedModelMetric(metric.key, metric.value, metric.timestamp, metric.step, run_id, logged.model_id)
        for metric in run.data.latest_metrics.values()
    ]
    if points:
        client.store.log_logged_model_metrics(run_id, points)


def _register(logged: LoggedModel, registered_model_name: str) -> int:
    from flowtrack.registry.fluent import register_model

    version = register_model(logged.model_uri, registered_model_name)
    return int(version.version)


def _info(model: Model, logged: LoggedModel, name: str, version: int | None) -> ModelInfo:
    return ModelInfo(
        model_uri=logged.model_uri,
        artifact_path=name,
        flavors=model.flavors,
        model_uuid=model.model_uuid,
        utc_time_created=model.utc_time_created,
        run_id=logged.source_run_id,
        model_id=logged.model_id,
        name=logged.name,
        signature=model.signature,
        saved_input_example_info=model.saved_input_example_info,
        metadata=model.metadata,
        registered_model_version=version,
        params=dict(logged.params),
        tags=dict(logged.tags),
    )
