"""Where a new model version's files are: ``runs:/``, ``models:/<model_id>`` and plain artifact URIs.

* ``runs:/<run_id>/<path>``: the logged model of that run named ``<path>`` when there is one (MLflow 3 keeps
  a model's files under the model, not the run), else ``<run artifact URI>/<path>``; the run id is recorded.
* ``models:/<model_id>``: the logged model's artifact location; the model id, and its source run, recorded.
* ``models:/<name>/<version>``, ``models:/<name>@<alias>``, ``models:/<name>/<stage>``: another registered
  version (a copy); the registry store resolves these, see :func:`registered_reference`.
* anything else is an artifact URI, stored as given.
"""

from __future__ import annotations

from dataclasses import dataclass

from flowtrack.exceptions import InvalidArgument, LoggedModelNotFound, RunNotFound
from flowtrack.tracking import search
from flowtrack.tracking.logged_models import LoggedModel, LoggedModelStatus, is_model_id
from flowtrack.tracking.stores.base import TrackingStore

RUNS_SCHEME = "runs:/"
MODELS_SCHEME = "models:/"
_RUN_MODELS = 100  # same-named models one run may log before the newest READY one is missed


@dataclass(frozen=True, slots=True)
class ResolvedSource:
    storage_location: str
    run_id: str | None
    model_id: str | None


@dataclass(frozen=True, slots=True)
class RegisteredReference:
    """``models:/<name>/<version>``, ``models:/<name>@<alias>`` or ``models:/<name>/<stage>``."""

    name: str
    version: int | None = None
    alias: str | None = None
    stage: str | None = None


def registered_reference(source: str) -> RegisteredReference | None:
    """The registered version ``source`` names, or None when it names something else."""
    if not source.startswith(MODELS_SCHEME):
        return None
    target = source.removeprefix(MODELS_SCHEME).strip("/")
    if is_model_id(target):
        return None
    if "/" not in target and "@" in target:
        name, _, alias = target.rpartition("@")
        return RegisteredReference(name, alias=alias) if name and alias else None
    name, _, tail = target.partition("/")
    if not name or not tail or "/" in tail:
        return None
    return (
        RegisteredReference(name, version=int(tail))
        if tail.isdigit()
        else RegisteredReference(name, stage=tail)
    )


def resolve_source(
    tracking: TrackingStore, source: str, run_id: str | None, model_id: str | None
) -> ResolvedSource:
    if source.startswith(RUNS_SCHEME):
        return _from_run(tracking, source, run_id, model_id)
    target = source.removeprefix(MODELS_SCHEME).strip("/")
    if source.startswith(MODELS_SCHEME) and is_model_id(target):
        return _from_logged_model(tracking, target, run_id)
    if model_id:
        logged = _logged_model(tracking, model_id, "model_id")
        return ResolvedSource(source, run_id or logged.source_run_id, model_id)
    return ResolvedSource(source, run_id, None)


def _from_run(
    tracking: TrackingStore, source: str, run_id: str | None, model_id: str | None
) -> ResolvedSource:
    source_run, _, path = source.removeprefix(RUNS_SCHEME).strip("/").partition("/")
    if not source_run:
        raise InvalidArgument(f"source {source!r} names no run: use runs:/<run_id>/<path>", field="source")
    try:
        run = tracking.get_run(source_run)
    except RunNotFound as exc:
        raise InvalidArgument(f"source {source!r}: no run with id {source_run!r}", field="source") from exc
    path = path.strip("/")
    logged = _run_model(tracking, run.info.experiment_id, source_run, path) if path else None
    if logged is not None and model_id in (None, logged.model_id):
        return ResolvedSource(logged.artifact_location, run_id or source_run, logged.model_id)
    base = run.info.artifact_uri.rstrip("/")
    return ResolvedSource(f"{base}/{path}" if path else base, run_id or source_run, model_id)


def _run_model(tracking: TrackingStore, experiment_id: str, run_id: str, name: str) -> LoggedModel | None:
    """The newest READY logged model of the run named ``name``, as ``runs:/`` URIs load (models/uris.py)."""
    quoted_name, quoted_run = (value.replace("'", "''") for value in (name, run_id))
    filters = search.parse_logged_model_filter(f"name = '{quoted_name}' AND source_run_id = '{quoted_run}'")
    newest_first = tracking.search_logged_models([experiment_id], filters, [], [], _RUN_MODELS, None)
    return next((logged for logged in newest_first if logged.status is LoggedModelStatus.READY), None)


def _from_logged_model(tracking: TrackingStore, model_id: str, run_id: str | None) -> ResolvedSource:
    logged = _logged_model(tracking, model_id, "source")
    return ResolvedSource(logged.artifact_location, run_id or logged.source_run_id, model_id)


def _logged_model(tracking: TrackingStore, model_id: str, field: str) -> LoggedModel:
    try:
        return tracking.get_logged_model_header(model_id)
    except LoggedModelNotFound as exc:
        raise InvalidArgument(f"no logged model with id {model_id!r}", field=field) from exc
