"""MLflow 3 logged models: ``/logged-models`` (create, get, finalize, delete, tags, params, search, artifact
listing) and ``/runs/outputs``.

The mlflow client's ``log_model`` creates a model (PENDING), records it as an output of the run, uploads its
files through the artifact proxy to ``<experiment>/models/<model_id>/artifacts``, then finalizes it (READY).
It also searches logged models to resolve ``runs:/<run_id>/<name>`` URIs.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from flowtrack.server.api.mlflow import schemas, serialize
from flowtrack.server.api.mlflow.schemas import Text
from flowtrack.server.dependencies import Artifacts, LoggedModels
from flowtrack.server.responses import OrjsonResponse, empty
from flowtrack.tracking.entities import LoggedModelOutput, Param, RunTag
from flowtrack.tracking.logged_models import DatasetFilter

router = APIRouter(tags=["logged models"])


def _model(found: serialize.Json) -> Response:
    return OrjsonResponse({"model": found})


@router.post("/logged-models")
def create_logged_model(body: schemas.CreateLoggedModel, service: LoggedModels) -> Response:
    model = service.create(
        body.experiment_id,
        body.name,
        body.model_type,
        body.source_run_id,
        [RunTag(tag["key"], tag["value"]) for tag in body.tags],
        [Param(param["key"], param["value"]) for param in body.params],
    )
    return _model(serialize.logged_model(model))


@router.post("/logged-models/search")
def search_logged_models(body: schemas.SearchLoggedModels, service: LoggedModels) -> Response:
    found = service.search(
        body.experiment_ids,
        body.filter,
        [DatasetFilter(item.dataset_name or "", item.dataset_digest or None) for item in body.datasets],
        body.max_results or None,
        [item.model_dump() for item in body.order_by],
        body.page_token,
    )
    models = [serialize.logged_model(model) for model in found]
    return OrjsonResponse(serialize.page("models", models, found.token))


@router.get("/logged-models/{model_id}")
def get_logged_model(model_id: Text, service: LoggedModels, allow_deleted: Text = "false") -> Response:
    found = service.get(model_id, allow_deleted=allow_deleted.lower() == "true")
    return _model(serialize.logged_model(found))


@router.patch("/logged-models/{model_id}")
def finalize_logged_model(
    model_id: Text, body: schemas.FinalizeLoggedModel, service: LoggedModels
) -> Response:
    return _model(serialize.logged_model(service.finalize(model_id, body.status)))


@router.delete("/logged-models/{model_id}")
def delete_logged_model(model_id: Text, service: LoggedModels) -> Response:
    service.delete(model_id)
    return empty()


@router.patch("/logged-models/{model_id}/tags")
def set_logged_model_tags(
    model_id: Text, body: schemas.SetLoggedModelTags, service: LoggedModels
) -> Response:
    service.set_tags(model_id, [RunTag(tag["key"], tag["value"]) for tag in body.tags])
    return empty()


@router.delete("/logged-models/{model_id}/tags/{tag_key:path}")
def delete_logged_model_tag(model_id: Text, tag_key: Text, service: LoggedModels) -> Response:
    service.delete_tag(model_id, tag_key)
    return empty()


@router.post("/logged-models/{model_id}/params")
def log_logged_model_params(
    model_id: Text, body: schemas.LogLoggedModelParams, service: LoggedModels
) -> Response:
    service.log_params(model_id, [Param(param["key"], param["value"]) for param in body.params])
    return empty()


@router.get("/logged-models/{model_id}/artifacts/directories")
def list_logged_model_artifacts(
    model_id: Text,
    service: LoggedModels,
    artifacts: Artifacts,
    artifact_directory_path: str | None = None,
) -> Response:
    root_uri = service.get(model_id).artifact_location
    files = [
        serialize.file_info(info) for info in artifacts.list_run_artifacts(root_uri, artifact_directory_path)
    ]
    result: serialize.Json = {"root_uri": root_uri}
    if files:
        result["files"] = files
    return OrjsonResponse(result)


@router.post("/runs/outputs")
def log_outputs(body: schemas.LogOutputs, service: LoggedModels) -> Response:
    models = [LoggedModelOutput(item.model_id, item.step) for item in body.models]
    service.log_outputs(body.run_id or body.run_uuid, models)
    return empty()
