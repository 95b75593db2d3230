"""The LightGBM flavor: a ``Booster`` (saved in LightGBM's text format as ``model.lgb``) or a scikit-learn
style ``LGBMRegressor``/``LGBMClassifier`` (cloudpickled as ``model.pkl``), with MLflow's ``lightgbm``
flavor settings (``data``, ``model_class``, ``serialization_format``, ``lgb_version``)."""

from __future__ import annotations

from functools import partial
from pathlib import Path
from typing import Any, Unpack

from flowtrack.exceptions import InvalidArgument
from flowtrack.models.files import add_pyfunc_flavor
from flowtrack.models.flavors.base import (
    LogArgs,
    RawModelPredictor,
    SaveArgs,
    dump_cloudpickle,
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

FLAVOR_NAME = "lightgbm"
EXTRA = "lightgbm"
BOOSTER_CLASS = "lightgbm.basic.Booster"


def _lightgbm() -> Any:
    return require("lightgbm", "lightgbm", EXTRA)


@spelled_out(SaveArgs)
def save_model(
    lgb_model: Any,
    path: str | Path,
    *,
    mlflow_model: Model | None = None,
    **arguments: Unpack[SaveArgs],
) -> None:
    options = save_options(arguments)
    lgb = _lightgbm()
    if not isinstance(lgb_model, lgb.Booster | lgb.LGBMModel):
        raise InvalidArgument(f"expected a lightgbm model, got {type(lgb_model).__name__}", field="lgb_model")
    directory = prepare_directory(path)
    model = mlflow_model or Model()
    if isinstance(lgb_model, lgb.Booster):
        data_file, serialization_format = "model.lgb", None
        lgb_model.save_model(str(directory / data_file))
    else:
        data_file, serialization_format = "model.pkl", "cloudpickle"
        dump_cloudpickle(lgb_model, directory / data_file, EXTRA)
    add_pyfunc_flavor(model, "mlflow.lightgbm", data=data_file, code=None)
    model.add_flavor(
        FLAVOR_NAME, lgb_version=lgb.__version__, data=data_file,
        model_class=f"{type(lgb_model).__module__}.{type(lgb_model).__qualname__}",
        serialization_format=serialization_format, code=None,
    )  # fmt: skip
    finish_model(model, directory, options, lgb_model.predict, ["lightgbm", "cloudpickle", "numpy", "pandas"])


@spelled_out(LogArgs)
def log_model(lgb_model: Any, artifact_path: str | None = None, **arguments: Unpack[LogArgs]) -> ModelInfo:
    return log_flavor(partial(save_model, lgb_model), artifact_path, arguments)


def load_model(model_uri: str | Path, dst_path: str | Path | None = None) -> Any:
    return load_flavor(model_uri, dst_path, _load)


def load_pyfunc(directory: Path, model: Model) -> RawModelPredictor:
    return RawModelPredictor(_load(directory, model))


def _load(directory: Path, model: Model) -> Any:
    lgb = _lightgbm()
    settings = model.flavor(FLAVOR_NAME)
    data_file = model_file(directory, settings.get("data"), "model.lgb")
    if str(settings.get("model_class") or BOOSTER_CLASS) == BOOSTER_CLASS:
        return lgb.Booster(model_file=str(data_file))
    serialization_format = str(settings.get("serialization_format") or "cloudpickle")
    if serialization_format == "skops":
        return load_skops(data_file, settings)
    with data_file.open("rb") as handle:
        return require("cloudpickle", "cloudpickle", EXTRA).load(handle)
