"""The scikit-learn flavor: any estimator (or pipeline), pickled with cloudpickle by default.

Files and MLmodel settings follow MLflow's ``sklearn`` flavor (``pickled_model``, ``serialization_format``,
``sklearn_version``), so ``mlflow.sklearn.load_model`` reads flowtrack's models and flowtrack reads MLflow's,
including those MLflow saved in the ``skops`` format (skops is part of the ``sklearn`` extra).
"""

from __future__ import annotations

import pickle
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from flowtrack.exceptions import InvalidArgument
from flowtrack.models.files import add_pyfunc_flavor
from flowtrack.models.flavors.base import (
    SaveOptions,
    SignatureArg,
    finish_model,
    model_directory,
    model_file,
    prepare_directory,
    require,
)
from flowtrack.models.model import Model, ModelInfo
from flowtrack.models.persist import log_model as log_logged_model

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "sklearn"
EXTRA = "sklearn"
SERIALIZATION_FORMATS = ("cloudpickle", "pickle", "skops")
_DATA_FILES = {"cloudpickle": "model.pkl", "pickle": "model.pkl", "skops": "model.skops"}


def save_model(
    sk_model: Any,
    path: str | Path,
    *,
    serialization_format: str = "cloudpickle",
    signature: SignatureArg = None,
    input_example: Any = None,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: dict[str, Any] | None = None,
    pyfunc_predict_fn: str = "predict",
    mlflow_model: Model | None = None,
) -> None:
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
    options = SaveOptions(signature, input_example, pip_requirements, extra_pip_requirements, metadata)
    distributions = ["scikit-learn", "cloudpickle", "numpy", "pandas"]
    if serialization_format == "skops":
        distributions.append("skops")
    finish_model(model, directory, options, getattr(sk_model, pyfunc_predict_fn), distributions)


def log_model(
    sk_model: Any,
    artifact_path: str | None = None,
    *,
    name: str | None = None,
    serialization_format: str = "cloudpickle",
    registered_model_name: str | None = None,
    signature: SignatureArg = None,
    input_example: Any = None,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: dict[str, Any] | None = None,
    pyfunc_predict_fn: str = "predict",
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
) -> ModelInfo:
    """Log the estimator as a logged model of the active run; ``ModelInfo.model_uri`` loads it."""

    def write(directory: Path, model: Model) -> None:
        save_model(
            sk_model, directory, serialization_format=serialization_format, signature=signature,
            input_example=input_example, pip_requirements=pip_requirements,
            extra_pip_requirements=extra_pip_requirements, metadata=metadata,
            pyfunc_predict_fn=pyfunc_predict_fn, mlflow_model=model,
        )  # fmt: skip

    return log_logged_model(
        write, name=name, artifact_path=artifact_path, registered_model_name=registered_model_name,
        params=params, tags=tags, model_type=model_type, step=step,
    )  # fmt: skip


def load_model(model_uri: str | Path, dst_path: str | Path | None = None) -> Any:
    """The estimator itself, from any model URI (``runs:/``, ``models:/``, a path, an artifact URI)."""
    directory = model_directory(model_uri, dst_path)
    return _load(directory, Model.load(directory))


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
        skops_io = require("skops.io", "skops", EXTRA)
        trusted = settings.get("skops_trusted_types") or skops_io.get_untrusted_types(file=data_file)
        return skops_io.load(data_file, trusted=trusted)
    with data_file.open("rb") as handle:
        if serialization_format == "cloudpickle":
            return require("cloudpickle", "cloudpickle", EXTRA).load(handle)
        return pickle.load(handle)
