"""The scikit-learn flavor: any estimator (or pipeline), pickled with cloudpickle by default.

Files and MLmodel settings follow MLflow's ``sklearn`` flavor (``pickled_model``, ``serialization_format``,
``sklearn_version``), so ``mlflow.sklearn.load_model`` reads flowtrack's models and flowtrack reads MLflow's,
including those MLflow saved in the ``skops`` format (skops is part of the ``sklearn`` extra).
"""

from __future__ import annotations

import pickle
from functools import partial
from pathlib import Path
from typing import Any, Unpack

from flowtrack.exceptions import InvalidArgument
from flowtrack.models.files import add_pyfunc_flavor
from flowtrack.models.flavors.base import (
    LogArgs,
    SaveArgs,
    finish_model,
    load_flavor,
    load_skops,
    log_flavor,
    model_file,
    prepare_directory,
    require,
    save_options,
    spelled_out,
)
from flowtrack.models.model import Model, ModelInfo

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "sklearn"
EXTRA = "sklearn"
SERIALIZATION_FORMATS = ("cloudpickle", "pickle", "skops")
_DATA_FILES = {"cloudpickle": "model.pkl", "pickle": "model.pkl", "skops": "model.skops"}


@spelled_out(SaveArgs)
def save_model(
    sk_model: Any,
    path: str | Path,
    *,
    serialization_format: str = "cloudpickle",
    pyfunc_predict_fn: str = "predict",
    mlflow_model: Model | None = None,
    **arguments: Unpack[SaveArgs],
) -> None:
    options = save_options(arguments)
    sklearn = require("sklearn", "scikit-learn", EXTRA)
    if serialization_format not in SERIALIZATION_FORMATS:
        raise InvalidArgument(
            f"unknown serialization_format {serialization_format!r}: use one of {SERIALIZATION_FORMATS}",
            field="serialization_format",
        )
    if not callable(getattr(sk_model, pyfunc_predict_fn, None)):
        raise InvalidArgument(
            f"{type(sk_model).__name__} has no method {pyfunc_predict_fn!r}", field="pyfunc_predict_fn"
        )
    directory = prepare_directory(path)
    model = mlflow_model or Model()
    data_file = _DATA_FILES[serialization_format]
    _dump(sk_model, directory / data_file, serialization_format)
    add_pyfunc_flavor(model, "mlflow.sklearn", model_path=data_file, predict_fn=pyfunc_predict_fn)
    model.add_flavor(
        FLAVOR_NAME,
        pickled_model=data_file,
        serialization_format=serialization_format,
        sklearn_version=sklearn.__version__,
        code=None,
    )
    distributions = ["scikit-learn", "cloudpickle", "numpy", "pandas"]
    if serialization_format == "skops":
        distributions.append("skops")
    finish_model(model, directory, options, getattr(sk_model, pyfunc_predict_fn), distributions)


@spelled_out(LogArgs)
def log_model(
    sk_model: Any,
    artifact_path: str | None = None,
    *,
    serialization_format: str = "cloudpickle",
    pyfunc_predict_fn: str = "predict",
    **arguments: Unpack[LogArgs],
) -> ModelInfo:
    """Log the estimator as a logged model of the active run; ``ModelInfo.model_uri`` loads it."""

    return log_flavor(
        partial(
            save_model,
            sk_model,
            serialization_format=serialization_format,
            pyfunc_predict_fn=pyfunc_predict_fn,
        ),
        artifact_path,
        arguments,
    )


def load_model(model_uri: str | Path, dst_path: str | Path | None = None) -> Any:
    """The estimator itself, from any model URI (``runs:/``, ``models:/``, a path, an artifact URI)."""
    return load_flavor(model_uri, dst_path, _load)


def load_pyfunc(directory: Path, model: Model) -> _SklearnPredictor:
    predict_fn = str(model.flavors.get("python_function", {}).get("predict_fn") or "predict")
    return _SklearnPredictor(_load(directory, model), predict_fn)


class _SklearnPredictor:
    def __init__(self, raw_model: Any, predict_fn: str) -> None:
        self.raw_model = raw_model
        self._predict = getattr(raw_model, predict_fn)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self._predict(data)


def _dump(sk_model: Any, target: Path, serialization_format: str) -> None:
    if serialization_format == "skops":
        skops_io = require("skops.io", "skops", EXTRA)
        skops_io.dump(sk_model, target)
        return
    with target.open("wb") as handle:
        if serialization_format == "pickle":
            pickle.dump(sk_model, handle)
        else:
            require("cloudpickle", "cloudpickle", EXTRA).dump(sk_model, handle)


def _load(directory: Path, model: Model) -> Any:
    require("sklearn", "scikit-learn", EXTRA)
    settings = model.flavor(FLAVOR_NAME)
    data_file = model_file(directory, settings.get("pickled_model"), "model.pkl")
    serialization_format = str(settings.get("serialization_format") or "pickle")
    if serialization_format == "skops":
        return load_skops(data_file, settings)
    with data_file.open("rb") as handle:
        if serialization_format == "cloudpickle":
            return require("cloudpickle", "cloudpickle", EXTRA).load(handle)
        return pickle.load(handle)
