"""The LightGBM flavor: a ``Booster`` (saved in LightGBM's text format as ``model.lgb``) or a scikit-learn
style ``LGBMRegressor``/``LGBMClassifier`` (cloudpickled as ``model.pkl``), with MLflow's ``lightgbm``
flavor settings (``data``, ``model_class``, ``serialization_format``, ``lgb_version``)."""

from __future__ import annotations

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

FLAVOR_NAME = "lightgbm"
EXTRA = "lightgbm"
BOOSTER_CLASS = "lightgbm.basic.Booster"


def _lightgbm() -> Any:
    return require("lightgbm", "lightgbm", EXTRA)


def save_model(
    lgb_model: Any,
    path: str | Path,
    *,
    signature: SignatureArg = None,
    input_example: Any = None,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: dict[str, Any] | None = None,
    mlflow_model: Model | None = None,
) -> None:
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
        with (directory / data_file).open("wb") as handle:
            require("cloudpickle", "cloudpickle", EXTRA).dump(lgb_model, handle)
    add_pyfunc_flavor(model, "mlflow.lightgbm", data=data_file, code=None)
    model.add_flavor(
        FLAVOR_NAME, lgb_version=lgb.__version__, data=data_file,
        model_class=f"{type(lgb_model).__module__}.{type(lgb_model).__qualname__}",
        serialization_format=serialization_format, code=None,
    )  # fmt: skip
    options = SaveOptions(signature, input_example, pip_requirements, extra_pip_requirements, metadata)
    finish_model(model, directory, options, lgb_model.predict, ["lightgbm", "cloudpickle", "numpy", "pandas"])


def log_model(
    lgb_model: Any,
    artifact_path: str | None = None,
    *,
    name: str | None = None,
    registered_model_name: str | None = None,
    signature: SignatureArg = None,
    input_example: Any = None,
    pip_requirements: Sequence[str] | None = None,
    extra_pip_requirements: Sequence[str] | None = None,
    metadata: dict[str, Any] | None = None,
    params: Mapping[str, Any] | None = None,
    tags: Mapping[str, Any] | None = None,
    model_type: str | None = None,
    step: int = 0,
) -> ModelInfo:
    def write(directory: Path, model: Model) -> None:
        save_model(
            lgb_model, directory, signature=signature, input_example=input_example,
            pip_requirements=pip_requirements, extra_pip_requirements=extra_pip_requirements,
            metadata=metadata, mlflow_model=model,
        )  # fmt: skip

    return log_logged_model(
        write, name=name, artifact_path=artifact_path, registered_model_name=registered_model_name,
        params=params, tags=tags, model_type=model_type, step=step,
    )  # fmt: skip


def load_model(model_uri: str | Path, dst_path: str | Path | None = None) -> Any:
    directory = model_directory(model_uri, dst_path)
    return _load(directory, Model.load(directory))


def load_pyfunc(directory: Path, model: Model) -> _LightGBMPredictor:
    return _LightGBMPredictor(_load(directory, model))


class _LightGBMPredictor:
    def __init__(self, raw_model: Any) -> None:
        self.raw_model = raw_model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.raw_model.predict(data)


def _load(directory: Path, model: Model) -> Any:
    lgb = _lightgbm()
    settings = model.flavor(FLAVOR_NAME)
    data_file = model_file(directory, settings.get("data"), "model.lgb")
    if str(settings.get("model_class") or BOOSTER_CLASS) == BOOSTER_CLASS:
        return lgb.Booster(model_file=str(data_file))
    serialization_format = str(settings.get("serialization_format") or "cloudpickle")
    if serialization_format == "skops":
        skops_io = require("skops.io", "skops", "sklearn")
        trusted = settings.get("skops_trusted_types") or skops_io.get_untrusted_types(file=data_file)
        return skops_io.load(data_file, trusted=trusted)
    with data_file.open("rb") as handle:
        return require("cloudpickle", "cloudpickle", EXTRA).load(handle)
