"""Model URIs: from ``runs:/``, ``models:/``, an artifact URI or a local path to a local model directory.

- ``runs:/<run_id>/<path>``: the newest READY logged model named ``<path>`` whose source is the run
  (MLflow 3), else the run's artifacts under ``<path>`` (models logged as run artifacts, MLflow 2 style);
- ``models:/m-<32 hex>``: a logged model by id;
- ``models:/<name>/<version>``, ``models:/<name>@<alias>``, ``models:/<name>/<stage>`` and
  ``models:/<name>/latest``: a registered model version, through the registry;
- any artifact URI (``s3://``, ``mlflow-artifacts:/``, ``file://``) or a plain path.

Remote files are downloaded into a fresh temporary directory; local ones are used where they are.
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from flowtrack.artifacts.fsspec_repository import LocalArtifactRepository
from flowtrack.artifacts.registry import artifact_uri_join, get_artifact_repository, uri_scheme
from flowtrack.exceptions import InvalidArgument, NotFound
from flowtrack.models.model import MLMODEL_FILE
from flowtrack.tracking.logged_models import LoggedModelStatus, is_model_id

if TYPE_CHECKING:
    from flowtrack.tracking.client import TrackingClient

__all__ = ["ModelUri", "download_model", "parse_model_uri", "resolve_artifact_uri"]

_FIELD = "model_uri"
_RUN_MODELS = 100  # same-named models one run may log before the newest READY one is missed
_STAGES = {"none": "None", "staging": "Staging", "production": "Production", "archived": "Archived"}
_RUNS = re.compile(r"^runs:/+([^/]+)/(.+?)/*$")
_MODELS = re.compile(r"^models:/+(.+?)/*$")


@dataclass(frozen=True, slots=True)
class ModelUri:
    """A parsed ``runs:/`` or ``models:/`` URI; exactly the fields its form has are set."""

    kind: str  # "run" | "logged_model" | "version" | "alias" | "stage" | "latest"
    run_id: str | None = None
    path: str | None = None
    model_id: str | None = None
    name: str | None = None
    version: str | None = None
    alias: str | None = None
    stage: str | None = None


def parse_model_uri(uri: str) -> ModelUri:
    if not isinstance(uri, str) or not uri.strip():
        raise InvalidArgument(f"model URI must be a non-empty string, got {uri!r}", field=_FIELD)
    if uri.startswith("runs:"):
        match = _RUNS.match(uri)
        if match is None:
            raise InvalidArgument(f"invalid runs URI {uri!r}: use runs:/<run_id>/<path>", field=_FIELD)
        return ModelUri("run", run_id=match.group(1), path=match.group(2))
    match = _MODELS.match(uri)
    if match is None:
        raise InvalidArgument(f"not a runs:/ or models:/ URI: {uri!r}", field=_FIELD)
    return _parse_models_path(uri, match.group(1))


def _parse_models_path(uri: str, body: str) -> ModelUri:
    usage = (
        "use models:/<model_id>, models:/<name>/<version>, models:/<name>@<alias> or models:/<name>/<stage>"
    )
    if "/" not in body and "@" not in body:
        if is_model_id(body):
            return ModelUri("logged_model", model_id=body)
        raise InvalidArgument(f"invalid model URI {uri!r}: {usage}", field=_FIELD)
    if "@" in body and "/" not in body.split("@", 1)[1]:
        name, alias = body.rsplit("@", 1)
        if name and alias:
            return ModelUri("alias", name=name, alias=alias)
    name, _, suffix = body.rpartition("/")
    if not name or not suffix:
        raise InvalidArgument(f"invalid model URI {uri!r}: {usage}", field=_FIELD)
    if suffix.isdigit():
        return ModelUri("version", name=name, version=suffix)
    if suffix.lower() == "latest":
        return ModelUri("latest", name=name)
    if suffix.lower() in _STAGES:
        return ModelUri("stage", name=name, stage=_STAGES[suffix.lower()])
    raise InvalidArgument(
        f"invalid model URI {uri!r}: {suffix!r} is no version number, stage or 'latest'; {usage}",
        field=_FIELD,
    )


def resolve_artifact_uri(uri: str, client: TrackingClient) -> str:
    """The artifact URI holding the model's files (an MLmodel file at its root)."""
    if not uri.startswith(("runs:", "models:")):
        return uri
    parsed = parse_model_uri(uri)
    if parsed.kind == "run":
        return _run_model_uri(parsed, client)
    if parsed.kind == "logged_model":
        return client.store.get_logged_model_header(str(parsed.model_id)).artifact_location
    return _registry_uri(parsed, client)


def _run_model_uri(parsed: ModelUri, client: TrackingClient) -> str:
    run = client.get_run(str(parsed.run_id))
    name, run_id = (str(value).replace("'", "''") for value in (parsed.path, parsed.run_id))
    # Status is checked here, not in the filter: MLflow's own server cannot filter logged models on it.
    newest_first = client.search_logged_models(
        [run.info.experiment_id], f"name = '{name}' AND source_run_id = '{run_id}'", max_results=_RUN_MODELS
    )
    for logged in newest_first:
        if logged.status is LoggedModelStatus.READY:
            return logged.artifact_location
    return artifact_uri_join(run.info.artifact_uri, str(parsed.path))


def _registry_uri(parsed: ModelUri, client: TrackingClient) -> str:
    from flowtrack.registry.fluent import registry_client

    registry = registry_client(client)
    name = str(parsed.name)
    if parsed.kind == "version":
        version = str(parsed.version)
    elif parsed.kind == "alias":
        version = str(registry.get_model_version_by_alias(name, str(parsed.alias)).version)
    else:
        stages = [str(parsed.stage)] if parsed.kind == "stage" else None
        versions = registry.get_latest_versions(name, stages)
        if not versions:
            raise NotFound(f"registered model {name!r} has no version in stage {parsed.stage or 'any'}")
        version = str(max(versions, key=lambda item: int(item.version)).version)
    return str(registry.get_model_version_download_uri(name, version))


def download_model(uri: str, client: TrackingClient, dst_path: str | Path | None = None) -> Path:
    """A local directory with the model's files: the model's own folder when it is local and no
    ``dst_path`` is asked for, otherwise a copy."""
    artifact_uri = resolve_artifact_uri(uri, client)
    scheme = uri_scheme(artifact_uri)
    repository = get_artifact_repository(artifact_uri, tracking_uri=client.tracking_uri)
    if dst_path is None and isinstance(repository, LocalArtifactRepository):
        directory = Path(repository.root_dir)
        if not (directory / MLMODEL_FILE).is_file():
            kind = "path" if scheme is None else "URI"
            raise InvalidArgument(f"no model at {kind} {artifact_uri} (no MLmodel file)", field=_FIELD)
        return directory
    target = Path(dst_path) if dst_path is not None else Path(tempfile.mkdtemp(prefix="flowtrack-model-"))
    target.mkdir(parents=True, exist_ok=True)
    if not repository.list_artifacts(None):
        raise InvalidArgument(f"no model at {artifact_uri} (nothing there)", field=_FIELD)
    local = repository.download_artifacts("", target)
    if not (local / MLMODEL_FILE).is_file():
        raise InvalidArgument(f"no model at {artifact_uri} (no MLmodel file)", field=_FIELD)
    return local
