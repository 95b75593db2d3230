"""The scoring server: one loaded model behind MLflow's scoring protocol.

``GET /ping`` and ``GET /health`` answer 200 once the model is loaded. ``POST /invocations`` takes JSON with
exactly one of ``dataframe_split`` (``{"columns": [...], "data": [[...]]}``), ``dataframe_records``
(``[{"col": value}, ...]``), ``instances`` or ``inputs`` (rows, or a mapping of columns), plus optional
``params``; or ``text/csv`` with a header row. It answers ``{"predictions": [...]}``. Every bad request,
and a model that fails on the input it was given, gets a 400 whose message names the problem; an unsupported
content type gets 415 (as MLflow's server does).
"""

from __future__ import annotations

import io
import os
from typing import Any

import orjson
from fastapi import FastAPI, Request, Response

from flowtrack.exceptions import InvalidArgument
from flowtrack.models.flavors.base import PyFuncModel

__all__ = ["MODEL_URI_ENV", "app_from_environment", "create_scoring_app", "parse_request"]

MODEL_URI_ENV = "FLOWTRACK_SERVE_MODEL_URI"
INPUT_KEYS = ("dataframe_split", "dataframe_records", "instances", "inputs")
_JSON = "application/json"
_CSV = "text/csv"


class BadRequest(InvalidArgument):
    """The request cannot be turned into model input."""


def create_scoring_app(model: PyFuncModel) -> FastAPI:
    app = FastAPI(title="flowtrack scoring server", docs_url=None, redoc_url=None, openapi_url=None)

    @app.get("/ping")
    def ping() -> Response:
        return Response(status_code=200, content="\n", media_type="text/plain")

    @app.get("/health")
    def health() -> Response:
        return _json({"status": "ok", "model_id": model.model_id}, 200)

    @app.post("/invocations")
    async def invocations(request: Request) -> Response:
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in (_JSON, _CSV):
            message = f"unsupported content type {content_type or '(none)'!r}: send {_JSON} or {_CSV}"
            return _error(message, 415)
        body = await request.body()
        try:
            data, params = parse_request(body, content_type, model)
            predictions = model.predict(data, params)
        except InvalidArgument as exc:
            return _error(str(exc), 400)
        except Exception as exc:  # noqa: BLE001 - a model failing on its input is the caller's problem, not a 500
            return _error(f"the model failed on this input: {type(exc).__name__}: {exc}", 400)
        return _json({"predictions": _jsonable(predictions)}, 200)

    return app


def app_from_environment() -> FastAPI:
    """The app for the model named by ``$FLOWTRACK_SERVE_MODEL_URI`` (how the CLI passes it to workers)."""
    from flowtrack.models.flavors.pyfunc import load_model

    uri = os.environ.get(MODEL_URI_ENV)
    if not uri:
        raise InvalidArgument(f"set {MODEL_URI_ENV} to the URI of the model to serve", field="model_uri")
    return create_scoring_app(load_model(uri))


def parse_request(body: bytes, content_type: str, model: PyFuncModel) -> tuple[Any, dict[str, Any] | None]:
    if content_type == _CSV:
        return _csv_frame(body), None
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError as exc:
        raise BadRequest(f"the request body is not valid JSON: {exc}", field="body") from None
    if not isinstance(payload, dict):
        raise BadRequest(f"the JSON body must be an object with one of {list(INPUT_KEYS)}", field="body")
    keys = [key for key in INPUT_KEYS if key in payload]
    unknown = sorted(set(payload) - {*INPUT_KEYS, "params"})
    if len(keys) != 1 or unknown:
        found = sorted(payload)
        raise BadRequest(
            f"the JSON body must have exactly one of {list(INPUT_KEYS)} (and optionally 'params'); "
            f"it has {found}",
            field=(unknown or keys or ["body"])[0],
        )
    params = payload.get("params")
    if params is not None and not isinstance(params, dict):
        raise BadRequest("'params' must be an object", field="params")
    key = keys[0]
    return _parse_input(key, payload[key], model), params


def _parse_input(key: str, value: Any, model: PyFuncModel) -> Any:
    import pandas as pd

    if key == "dataframe_split":
        if not isinstance(value, dict) or not isinstance(value.get("data"), list):
            raise BadRequest("'dataframe_split' needs a 'data' list (and usually 'columns')", field=key)
        for part in ("columns", "index"):
            labels = value.get(part)
            if labels is not None and not (
                isinstance(labels, list) and all(_is_label(item) for item in labels)
            ):
                raise BadRequest(f"'dataframe_split.{part}' must be a list of names or numbers", field=key)
        widths = {len(row) if isinstance(row, list) else -1 for row in value["data"]}
        if len(widths) > 1 or -1 in widths:
            raise BadRequest(
                "every row of 'dataframe_split.data' must be a list of the same length", field=key
            )
        try:
            return pd.DataFrame(value["data"], columns=value.get("columns"), index=value.get("index"))
        except (ValueError, TypeError) as exc:
            raise BadRequest(f"'dataframe_split' does not form a table: {exc}", field=key) from None
    if key == "dataframe_records":
        if not isinstance(value, list) or not all(isinstance(row, dict) for row in value):
            raise BadRequest("'dataframe_records' must be a list of objects, one per row", field=key)
        return pd.DataFrame.from_records(value)
    return _instances(key, value, model)


def _is_label(item: Any) -> bool:
    return isinstance(item, str | int | float) and not isinstance(item, bool)


def _instances(key: str, value: Any, model: PyFuncModel) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(value, dict):
        return value  # columns by name: checked and shaped by the signature, like any other mapping
    if not isinstance(value, list):
        raise BadRequest(f"'{key}' must be a list of rows or an object of columns", field=key)
    if value and all(isinstance(row, dict) for row in value):
        return pd.DataFrame.from_records(value)
    schema = model.input_schema()
    if schema is not None and not schema.is_tensor_spec and schema.column_names:
        columns = schema.column_names
        rows = value if value and isinstance(value[0], list) else [[item] for item in value]
        if any(not isinstance(row, list) or len(row) != len(columns) for row in rows):
            raise BadRequest(f"each row of '{key}' must have {len(columns)} values: {columns}", field=key)
        return pd.DataFrame(rows, columns=columns)
    try:
        return np.asarray(value)
    except ValueError as exc:
        raise BadRequest(f"'{key}' is not a rectangular array: {exc}", field=key) from None


def _csv_frame(body: bytes) -> Any:
    import pandas as pd

    try:
        frame = pd.read_csv(io.BytesIO(body))
    except (ValueError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise BadRequest(f"the CSV body cannot be read: {exc}", field="body") from None
    return frame


def _jsonable(predictions: Any) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(predictions, pd.DataFrame):
        return predictions.to_dict(orient="records")
    if isinstance(predictions, pd.Series | np.ndarray):
        return predictions.tolist()
    return predictions


def _json(payload: Any, status: int) -> Response:
    options = orjson.OPT_SERIALIZE_NUMPY | orjson.OPT_NON_STR_KEYS
    return Response(orjson.dumps(payload, option=options, default=str), status_code=status, media_type=_JSON)


def _error(message: str, status: int) -> Response:
    return _json({"error_code": "BAD_REQUEST", "message": message}, status)
