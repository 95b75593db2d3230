"""The PyTorch flavor: a whole ``torch.nn.Module`` saved with ``torch.save`` (cloudpickle) as
``data/model.pth``, in MLflow's ``pytorch`` flavor layout (``model_data: data``, ``pytorch_version``).

Models MLflow 3 saved in its default ``pt2`` format (a ``torch.export`` program, ``data/model.pt2``) load
too. As a python-function model it takes a DataFrame or an array, runs the module in eval mode without
gradients on a float32 tensor, and returns a numpy array.
"""

from __future__ import annotations

import contextlib
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

FLAVOR_NAME = "pytorch"
EXTRA = "pytorch"
DATA_FOLDER = "data"
MODEL_FILE = "model.pth"
EXPORTED_FILE = "model.pt2"
# MLflow records which pickle module wrote the file in this file; its module re-exports cloudpickle.
PICKLE_MODULE_FILE = "pickle_module_info.txt"
PICKLE_MODULE = "mlflow.pytorch.pickle_module"


def _torch() -> Any:
    return require("torch", "torch", EXTRA)


@spelled_out(SaveArgs)
def save_model(
    pytorch_model: Any,
    path: str | Path,
    *,
    mlflow_model: Model | None = None,
    **arguments: Unpack[SaveArgs],
) -> None:
    options = save_options(arguments)
    torch = _torch()
    if not isinstance(pytorch_model, torch.nn.Module):
        raise InvalidArgument(
            f"expected a torch.nn.Module, got {type(pytorch_model).__name__}", field="pytorch_model"
        )
    cloudpickle = require("cloudpickle", "cloudpickle", EXTRA)
    directory = prepare_directory(path)
    data = directory / DATA_FOLDER
    data.mkdir()
    torch.save(pytorch_model, data / MODEL_FILE, pickle_module=cloudpickle)
    (data / PICKLE_MODULE_FILE).write_text(PICKLE_MODULE, encoding="utf-8")
    model = mlflow_model or Model()
    model.add_flavor(FLAVOR_NAME, model_data=DATA_FOLDER, pytorch_version=str(torch.__version__), code=None)
    add_pyfunc_flavor(
        model, "mlflow.pytorch", data=DATA_FOLDER, pickle_module_name=PICKLE_MODULE, code=None,
        model_config={"device": None},
    )  # fmt: skip
    finish_model(
        model, directory, options, _PyTorchPredictor(pytorch_model).predict, ["torch", "cloudpickle"]
    )


@spelled_out(LogArgs)
def log_model(
    pytorch_model: Any, artifact_path: str | None = None, **arguments: Unpack[LogArgs]
) -> ModelInfo:
    return log_flavor(partial(save_model, pytorch_model), artifact_path, arguments)


def load_model(model_uri: str | Path, dst_path: str | Path | None = None) -> Any:
    """The ``torch.nn.Module``."""
    return load_flavor(model_uri, dst_path, _load)


def load_pyfunc(directory: Path, model: Model) -> _PyTorchPredictor:
    return _PyTorchPredictor(_load(directory, model))


class _PyTorchPredictor(RawModelPredictor):
    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        import numpy as np
        import pandas as pd

        torch = _torch()
        if isinstance(data, pd.DataFrame | pd.Series):
            array = data.to_numpy(dtype=np.float32)
        elif isinstance(data, torch.Tensor):
            array = data.detach().cpu().numpy()
        else:
            array = np.asarray(data)
        tensor = torch.from_numpy(np.ascontiguousarray(array))
        if tensor.is_floating_point() and tensor.dtype != torch.float32:
            tensor = tensor.to(torch.float32)
        with contextlib.suppress(NotImplementedError):  # modules from torch.export have no eval mode
            self.raw_model.eval()
        with torch.no_grad():
            return self.raw_model(tensor).detach().cpu().numpy()


def _load(directory: Path, model: Model) -> Any:
    torch = _torch()
    settings = model.flavor(FLAVOR_NAME)
    data = model_file(directory, settings.get("model_data"), DATA_FOLDER)
    if (data / EXPORTED_FILE).is_file():  # MLflow 3's default: a torch.export program
        return torch.export.load(data / EXPORTED_FILE).module()
    # A whole module is a pickle: loading it means trusting the model's author, as with MLflow.
    return torch.load(data / MODEL_FILE, weights_only=False)
