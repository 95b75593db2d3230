"""The python-function flavor: a user's ``PythonModel`` subclass plus the artifacts it needs, and the
generic loader every flavor goes through (``flowtrack.pyfunc.load_model(uri).predict(data)``).

The model object is saved with cloudpickle as ``python_model.pkl``; each artifact is copied under
``artifacts/`` and handed back at load time as a local path in ``context.artifacts[name]``. The MLmodel
settings are MLflow's (``loader_module: mlflow.pyfunc.model``, ``python_model``, ``artifacts``), so models
MLflow logged from its own ``PythonModel`` load here too when mlflow is importable.
"""

from __future__ import annotations

import inspect
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any, Unpack

from flowtrack.exceptions import InvalidArgument
from flowtrack.models.files import add_pyfunc_flavor
from flowtrack.models.flavors.base import (
    LogArgs,
    PyFuncModel,
    SaveArgs,
    finish_model,
    load_pyfunc_from_directory,
    log_flavor,
    model_directory,
    model_file,
    prepare_directory,
    require,
    save_options,
    spelled_out,
)
from flowtrack.models.model import PYFUNC_FLAVOR, Model, ModelInfo

__all__ = [
    "FLAVOR_NAME",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "load_model",
    "log_model",
    "save_model",
]

FLAVOR_NAME = PYFUNC_FLAVOR
LOADER_MODULE = "mlflow.pyfunc.model"
PYTHON_MODEL_FILE = "python_model.pkl"
ARTIFACTS_FOLDER = "artifacts"


@dataclass(frozen=True)
class PythonModelContext:
    """What ``load_context`` and ``predict`` receive: each artifact's local path, and the model config."""

    artifacts: dict[str, str] = field(default_factory=dict)
    model_config: dict[str, Any] = field(default_factory=dict)


class PythonModel:
    """Subclass and implement ``predict``; override ``load_context`` to read artifacts once at load time.

    ``predict(self, context, model_input, params=None)`` (MLflow's classic form) and
    ``predict(self, model_input, params=None)`` are both accepted.
    """

    def load_context(self, context: PythonModelContext) -> None:
        """Called once when the model is loaded."""

    def predict(
        self, context: PythonModelContext, model_input: Any, params: dict[str, Any] | None = None
    ) -> Any:
        raise NotImplementedError("PythonModel subclasses implement predict")


def load_model(
    model_uri: str | Path,
    suppress_warnings: bool = False,
    dst_path: str | Path | None = None,
    model_config: dict[str, Any] | None = None,
) -> PyFuncModel:
    """Any flowtrack or MLflow model (sklearn, xgboost, lightgbm, pytorch, pyfunc) behind ``predict``.

    The arguments are ``mlflow.pyfunc.load_model``'s; ``suppress_warnings`` is accepted for its sake.
    """
    return load_pyfunc_from_directory(model_directory(model_uri, dst_path), model_config)


@spelled_out(SaveArgs)
def save_model(
    path: str | Path,
    python_model: Any = None,
    artifacts: Mapping[str, str | Path] | None = None,
    *,
    model_config: dict[str, Any] | None = None,
    mlflow_model: Model | None = None,
    **arguments: Unpack[SaveArgs],
) -> None:
    options = save_options(arguments)
    cloudpickle = require("cloudpickle", "cloudpickle", "sklearn")
    if python_model is None or not callable(getattr(python_model, "predict", None)):
        raise InvalidArgument("python_model must be an object with a predict method", field="python_model")
    directory = prepare_directory(path)
    saved = _copy_artifacts(directory, artifacts or {})
    with (directory / PYTHON_MODEL_FILE).open("wb") as handle:
        cloudpickle.dump(python_model, handle)
    model = mlflow_model or Model()
    add_pyfunc_flavor(
        model, LOADER_MODULE, python_model=PYTHON_MODEL_FILE, artifacts=saved or None,
        cloudpickle_version=cloudpickle.__version__, model_config=model_config or None, code=None,
    )  # fmt: skip
    context = PythonModelContext({key: str(directory / item["path"]) for key, item in saved.items()},
                                 model_config or {})  # fmt: skip
    predictor = _PythonModelPredictor(python_model, context, loaded=False)
    finish_model(model, directory, options, predictor.predict_example, ["cloudpickle", "numpy", "pandas"])


@spelled_out(LogArgs)
def log_model(
    artifact_path: str | None = None,
    python_model: Any = None,
    artifacts: Mapping[str, str | Path] | None = None,
    *,
    model_config: dict[str, Any] | None = None,
    **arguments: Unpack[LogArgs],
) -> ModelInfo:
    return log_flavor(
        partial(save_model, python_model=python_model, artifacts=artifacts, model_config=model_config),
        artifact_path,
        arguments,
    )


def load_pyfunc(directory: Path, model: Model) -> _PythonModelPredictor:
    cloudpickle = require("cloudpickle", "cloudpickle", "sklearn")
    settings = model.flavor(PYFUNC_FLAVOR)
    with model_file(directory, settings.get("python_model"), PYTHON_MODEL_FILE).open("rb") as handle:
        python_model = cloudpickle.load(handle)
    artifacts = {
        key: str(model_file(directory, item.get("path"), key))
        for key, item in (settings.get("artifacts") or {}).items()
    }
    context = PythonModelContext(artifacts, dict(settings.get("model_config") or {}))
    return _PythonModelPredictor(python_model, context, loaded=True)


class _PythonModelPredictor:
    def __init__(self, python_model: Any, context: PythonModelContext, *, loaded: bool) -> None:
        self.python_model = python_model
        self.context = context
        self._context_loaded = False
        self._takes_context = "context" in inspect.signature(python_model.predict).parameters
        self._takes_params = "params" in inspect.signature(python_model.predict).parameters
        if loaded:
            self._load_context()

    def _load_context(self) -> None:
        if not self._context_loaded and callable(getattr(self.python_model, "load_context", None)):
            self.python_model.load_context(self.context)
        self._context_loaded = True

    def predict_example(self, data: Any) -> Any:
        self._load_context()
        return self.predict(data)

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        extra = {"params": params} if self._takes_params else {}
        if self._takes_context:
            return self.python_model.predict(self.context, data, **extra)
        return self.python_model.predict(data, **extra)


def _copy_artifacts(directory: Path, artifacts: Mapping[str, str | Path]) -> dict[str, dict[str, str]]:
    saved: dict[str, dict[str, str]] = {}
    for key, source in artifacts.items():
        local = Path(str(source).removeprefix("file://")).expanduser()
        if not local.exists():
            raise InvalidArgument(
                f"artifact {key!r}: no file or directory at {source}", field=f"artifacts.{key}"
            )
        relative = f"{ARTIFACTS_FOLDER}/{local.name}"
        target = directory / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if local.is_dir():
            shutil.copytree(local, target)
        else:
            shutil.copy2(local, target)
        saved[key] = {"path": relative, "uri": str(source)}
    return saved
