"""The XGBoost flavor: a ``Booster`` or a scikit-learn style ``XGBRegressor``/``XGBClassifier``, saved in
XGBoost's own format (UBJSON by default) with MLflow's ``xgboost`` flavor settings (``data``,
``model_class``, ``model_format``, ``xgb_version``), so MLflow and flowtrack load each other's models."""

from __future__ import annotations

import importlib
from functools import partial
from pathlib import Path
from typing import Any, Unpack

from flowtrack.exceptions import InvalidArgument
from flowtrack.models.files import add_pyfunc_flavor
from flowtrack.models.flavors.base import (
    LogArgs,
    RawModelPredictor,
    SaveArgs,
    finish_model,
    load_flavor,
    log_flavor,
    model_file,
    prepare_directory,
    require,
    save_options,
    spelled_out,
)
from flowtrack.models.model import Model, ModelInfo

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]

FLAVOR_NAME = "xgboost"
EXTRA = "xgboost"
MODEL_FORMATS = ("ubj", "json", "deprecated")


def _xgboost() -> Any:
    return require("xgboost", "xgboost", EXTRA)


@spelled_out(SaveArgs)
def save_model(
    xgb_model: Any,
    path: str | Path,
    *,
    model_format: str = "ubj",
    mlflow_model: Model | None = None,
    **arguments: Unpack[SaveArgs],
) -> None:
    options = save_options(arguments)
    xgb = _xgboost()
    if model_format not in MODEL_FORMATS:
        raise InvalidArgument(
            f"unknown model_format {model_format!r}: use one of {MODEL_FORMATS}", field="model_format"
        )
    if not isinstance(xgb_model, xgb.Booster | xgb.XGBModel):
        raise InvalidArgument(f"expected an xgboost model, got {type(xgb_model).__name__}", field="xgb_model")
    directory = prepare_directory(path)
    data_file = f"model.{model_format}"
    xgb_model.save_model(str(directory / data_file))
    model = mlflow_model or Model()
    add_pyfunc_flavor(model, "mlflow.xgboost", data=data_file, code=None)
    model.add_flavor(
        FLAVOR_NAME, xgb_version=xgb.__version__, data=data_file, model_class=_class_path(xgb_model),
        model_format=model_format, code=None,
    )  # fmt: skip
    predictor = _XGBoostPredictor(xgb_model)
    finish_model(model, directory, options, predictor.predict, ["xgboost", "numpy", "pandas"])


@spelled_out(LogArgs)
def log_model(
    xgb_model: Any,
    artifact_path: str | None = None,
    *,
    model_format: str = "ubj",
    **arguments: Unpack[LogArgs],
) -> ModelInfo:
    return log_flavor(partial(save_model, xgb_model, model_format=model_format), artifact_path, arguments)


def load_model(model_uri: str | Path, dst_path: str | Path | None = None) -> Any:
    """The model as saved: a ``Booster`` or the scikit-learn style estimator class it was."""
    return load_flavor(model_uri, dst_path, _load)


def load_pyfunc(directory: Path, model: Model) -> _XGBoostPredictor:
    return _XGBoostPredictor(_load(directory, model))


class _XGBoostPredictor(RawModelPredictor):
    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        xgb = _xgboost()
        if isinstance(self.raw_model, xgb.Booster):
            return self.raw_model.predict(xgb.DMatrix(data))
        return self.raw_model.predict(data)


def _load(directory: Path, model: Model) -> Any:
    xgb = _xgboost()
    settings = model.flavor(FLAVOR_NAME)
    model_class = str(settings.get("model_class") or "xgboost.core.Booster")
    module_name, _, class_name = model_class.rpartition(".")
    if not module_name.startswith("xgboost"):
        raise InvalidArgument(f"model_class {model_class!r} is not an xgboost class", field="model_class")
    instance = getattr(importlib.import_module(module_name), class_name)()
    instance.load_model(str(model_file(directory, settings.get("data"), "model.xgb")))
    assert isinstance(instance, xgb.Booster | xgb.XGBModel)
    return instance


def _class_path(value: Any) -> str:
    return f"{type(value).__module__}.{type(value).__qualname__}"
