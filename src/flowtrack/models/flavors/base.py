"""What every flavor shares: writing a model directory, and loading one as a generic python-function model.

The ``python_function`` flavor of an MLmodel names a ``loader_module``. flowtrack writes MLflow's module
names (``mlflow.sklearn``, ``mlflow.pyfunc.model``, ...) with MLflow's file layout, so ``mlflow.pyfunc``
loads flowtrack's models too; when flowtrack loads a model, :data:`LOADER_MODULES` maps those names to
flowtrack's own flavor modules. Each flavor module provides ``load_pyfunc(directory, model)``.
"""

from __future__ import annotations

import importlib
import inspect
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypedDict, TypeVar, Unpack, cast

from flowtrack.exceptions import InvalidArgument
from flowtrack.models import files
from flowtrack.models.enforcement import enforce_schema, to_frame
from flowtrack.models.model import PYFUNC_FLAVOR, Model
from flowtrack.models.signature import ModelSignature, infer_signature

if TYPE_CHECKING:
    from flowtrack.models.model import ModelInfo

__all__ = [
    "LOADER_MODULES",
    "LogArgs",
    "PyFuncModel",
    "RawModelPredictor",
    "SaveArgs",
    "SaveOptions",
    "load_pyfunc_from_directory",
    "log_flavor",
    "prepare_directory",
    "save_options",
    "spelled_out",
]

logger = logging.getLogger(__name__)

_FLAVORS = "flowtrack.models.flavors"
LOADER_MODULES: dict[str, str] = {
    "mlflow.sklearn": f"{_FLAVORS}.sklearn",
    "mlflow.xgboost": f"{_FLAVORS}.xgboost",
    "mlflow.lightgbm": f"{_FLAVORS}.lightgbm",
    "mlflow.pytorch": f"{_FLAVORS}.pytorch",
    "mlflow.pyfunc.model": f"{_FLAVORS}.pyfunc",
    **{f"{_FLAVORS}.{name}": f"{_FLAVORS}.{name}" for name in ("sklearn", "xgboost", "lightgbm", "pytorch")},
    f"{_FLAVORS}.pyfunc": f"{_FLAVORS}.pyfunc",
}

SignatureArg = ModelSignature | Literal[False] | None


class PredictImpl(Protocol):
    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any: ...


class PyFuncModel:
    """A loaded model behind one ``predict``; inputs are checked against the signature first."""

    def __init__(self, metadata: Model, impl: PredictImpl, directory: Path) -> None:
        self.metadata = metadata
        self.model_directory = directory
        self._impl = impl

    @property
    def loader_module(self) -> str:
        return str(self.metadata.flavors[PYFUNC_FLAVOR]["loader_module"])

    @property
    def model_id(self) -> str | None:
        return self.metadata.model_id

    @property
    def input_example(self) -> Any:
        """The saved input example (a DataFrame or array), or None."""
        return files.load_input_example(self.model_directory, self.metadata)

    def input_schema(self) -> Any:
        return self.metadata.signature.inputs if self.metadata.signature else None

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        schema = self.input_schema()
        if schema is not None:
            data = enforce_schema(data, schema)
        elif isinstance(data, dict | list):
            data = to_frame(data)
        return self._impl.predict(data, params)

    def get_raw_model(self) -> Any:
        return getattr(self._impl, "raw_model", self._impl)

    def unwrap_python_model(self) -> Any:
        python_model = getattr(self._impl, "python_model", None)
        if python_model is None:
            raise InvalidArgument("this model was not made from a PythonModel", field="model")
        return python_model

    def __repr__(self) -> str:
        return f"PyFuncModel(loader_module={self.loader_module!r}, model_id={self.model_id!r})"


def load_pyfunc_from_directory(directory: Path, model_config: dict[str, Any] | None = None) -> PyFuncModel:
    """``model_config`` overrides the saved config a ``PythonModel`` sees in ``context.model_config``."""
    metadata = Model.load(directory)
    settings = metadata.flavors.get(PYFUNC_FLAVOR)
    if not settings:
        found = ", ".join(sorted(metadata.flavors))
        raise InvalidArgument(
            f"the model has no python_function flavor (flavors: {found}); load it with its own flavor",
            field="flavor",
        )
    loader = str(settings.get("loader_module"))
    module_name = LOADER_MODULES.get(loader)
    if module_name is None:
        supported = ", ".join(sorted(name for name in LOADER_MODULES if name.startswith("mlflow.")))
        raise InvalidArgument(
            f"flowtrack cannot load models whose loader_module is {loader!r}; it loads {supported}",
            field="loader_module",
        )
    if model_config:
        settings["model_config"] = {**(settings.get("model_config") or {}), **model_config}
    module = importlib.import_module(module_name)
    impl: PredictImpl = module.load_pyfunc(directory, metadata)
    return PyFuncModel(metadata, impl, directory)


def prepare_directory(path: str | Path) -> Path:
    directory = Path(path).expanduser().absolute()
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise InvalidArgument(f"{directory} already exists and is not an empty directory", field="path")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


class SaveArgs(TypedDict, total=False):
    """The keyword arguments every flavor's ``save_model`` takes besides its own."""

    signature: SignatureArg
    input_example: Any
    pip_requirements: Sequence[str] | None
    extra_pip_requirements: Sequence[str] | None
    metadata: dict[str, Any] | None


class LogArgs(SaveArgs, total=False):
    """The keyword arguments every flavor's ``log_model`` takes besides its own."""

    name: str | None
    registered_model_name: str | None
    params: Mapping[str, Any] | None
    tags: Mapping[str, Any] | None
    model_type: str | None
    step: int


@dataclass(frozen=True)
class SaveOptions:
    """The arguments every flavor's ``save_model`` / ``log_model`` takes besides the model itself."""

    signature: SignatureArg = None
    input_example: Any = None
    pip_requirements: Sequence[str] | None = None
    extra_pip_requirements: Sequence[str] | None = None
    metadata: dict[str, Any] | None = None


class SaveInto(Protocol):
    """A flavor's ``save_model`` with the model and the flavor's own arguments bound (a ``partial``)."""

    def __call__(self, path: Path, *, mlflow_model: Model | None, **arguments: Unpack[SaveArgs]) -> None: ...


def log_flavor(save_into: SaveInto, artifact_path: str | None, arguments: LogArgs) -> ModelInfo:
    """A flavor's ``log_model``: log a model of the active run whose files ``save_into`` writes."""
    from flowtrack.models.persist import log_model

    _reject_unknown("log_model", arguments, LogArgs)
    shared: dict[str, Any] = dict(arguments)
    saving = cast(SaveArgs, {key: shared.pop(key) for key in SaveArgs.__annotations__ if key in shared})
    name = shared.pop("name", None)

    def write(directory: Path, model: Model) -> None:
        save_into(directory, mlflow_model=model, **saving)

    return log_model(write, name=name, artifact_path=artifact_path, **shared)


_CallableT = TypeVar("_CallableT", bound=Callable[..., Any])
_DEFAULTS: dict[str, Any] = {"step": 0}  # every other shared argument defaults to None


def spelled_out(shared: type) -> Callable[[_CallableT], _CallableT]:
    """Show the shared keyword arguments (``**arguments: Unpack[shared]``) one by one in ``help()`` and
    ``inspect.signature``, with their defaults, as a signature that lists them would."""

    def decorate(function: _CallableT) -> _CallableT:
        signature = inspect.signature(function)
        *own, _ = signature.parameters.values()
        listed = [
            inspect.Parameter(
                name, inspect.Parameter.KEYWORD_ONLY, default=_DEFAULTS.get(name),
                annotation=getattr(hint, "__forward_arg__", hint),
            )
            for name, hint in shared.__annotations__.items()
        ]  # fmt: skip
        function.__signature__ = signature.replace(parameters=[*own, *listed])  # type: ignore[attr-defined]
        return function

    return decorate


def save_options(arguments: SaveArgs) -> SaveOptions:
    """The shared ``save_model`` arguments, checked as a plain signature would check them."""
    _reject_unknown("save_model", arguments, SaveArgs)
    return SaveOptions(**arguments)


def _reject_unknown(function: str, arguments: Mapping[str, Any], accepted: type) -> None:
    unknown = sorted(set(arguments) - set(accepted.__annotations__))
    if unknown:
        raise TypeError(f"{function}() got an unexpected keyword argument {unknown[0]!r}")


def finish_model(
    model: Model,
    directory: Path,
    options: SaveOptions,
    predict: Callable[[Any], Any] | None,
    distributions: Sequence[str],
) -> None:
    """Write the input example, the signature (inferred from the example when not given), the environment
    files and the MLmodel file."""
    example = None
    if options.input_example is not None:
        example = files.save_input_example(model, directory, options.input_example)
    signature = options.signature
    if signature is None and example is not None:
        signature = _infer(example, predict)
    model.signature = signature or None
    model.metadata = options.metadata
    files.write_environment(
        directory, distributions, options.pip_requirements, options.extra_pip_requirements
    )
    model.save(directory)


def _infer(example: Any, predict: Callable[[Any], Any] | None) -> ModelSignature:
    output = None
    if predict is not None:
        try:
            output = predict(example)
        except Exception as exc:  # noqa: BLE001 - the model may not accept the example; keep the input schema
            logger.warning("could not infer the output schema: predicting the input example failed: %s", exc)
    return infer_signature(example, output)


def load_flavor(
    model_uri: str | Path, dst_path: str | Path | None, load: Callable[[Path, Model], Any]
) -> Any:
    """A flavor's ``load_model``: fetch the model directory, then let ``load`` read the native model."""
    directory = model_directory(model_uri, dst_path)
    return load(directory, Model.load(directory))


class RawModelPredictor:
    """The python-function side of a flavor whose native model has a ``predict(data)`` of its own."""

    def __init__(self, raw_model: Any) -> None:
        self.raw_model = raw_model

    def predict(self, data: Any, params: dict[str, Any] | None = None) -> Any:
        return self.raw_model.predict(data)


def dump_cloudpickle(value: Any, target: Path, extra: str) -> None:
    with target.open("wb") as handle:
        require("cloudpickle", "cloudpickle", extra).dump(value, handle)


def load_skops(data_file: Path, settings: dict[str, Any]) -> Any:
    """A model MLflow saved with skops, trusting the types its MLmodel lists (or those the file names)."""
    skops_io = require("skops.io", "skops", "sklearn")
    trusted = settings.get("skops_trusted_types") or skops_io.get_untrusted_types(file=data_file)
    return skops_io.load(data_file, trusted=trusted)


def require(module: str, package: str, extra: str) -> Any:
    """Import an optional library, or raise MissingDependency naming the pip extra that installs it."""
    from flowtrack.exceptions import MissingDependency

    try:
        return importlib.import_module(module)
    except ImportError:
        raise MissingDependency(package, extra) from None


def model_directory(model_uri: str | Path, dst_path: str | Path | None = None) -> Path:
    """The local directory of the model at ``model_uri``, resolved with the current tracking URI."""
    from flowtrack.models.uris import download_model
    from flowtrack.tracking import fluent

    return download_model(str(model_uri), fluent.client(), dst_path)


def model_file(directory: Path, relative: object, default: str) -> Path:
    """A file or folder the MLmodel file names, which must lie inside the model directory."""
    name = str(relative or default)
    root = directory.resolve()
    target = (root / name).resolve()
    if target != root and root not in target.parents:
        raise InvalidArgument(
            f"the MLmodel file names {name!r}, outside the model directory", field="MLmodel"
        )
    return target
