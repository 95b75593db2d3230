"""The MLmodel file: a model directory's metadata, in MLflow's layout so both tools read each other's models.

Top-level keys as MLflow writes them: ``artifact_path``, ``flavors`` (each flavor's own settings; the
``python_function`` one says which module loads the model generically), ``signature``,
``saved_input_example_info``, ``model_uuid``, ``model_id``, ``run_id``, ``utc_time_created``,
``mlflow_version`` (so MLflow's loader accepts the file) and ``flowtrack_version``.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml

from flowtrack.exceptions import InvalidArgument
from flowtrack.models.signature import ModelSignature, Schema
from flowtrack.models.versions import pinned_version

__all__ = ["MLMODEL_FILE", "PYFUNC_FLAVOR", "Model", "ModelInfo"]

# libyaml's safe loader and dumper when PyYAML has them: parsing dominated loading a model in pure Python.
_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_DUMPER: Any = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

MLMODEL_FILE = "MLmodel"
PYFUNC_FLAVOR = "python_function"
# The MLflow release whose MLmodel layout flowtrack writes; MLflow only warns when its own version differs.
MLFLOW_FORMAT_VERSION = "3.17.2"


def dump_yaml(data: Any, *, sort_keys: bool = False) -> str:
    text: str = yaml.dump(data, Dumper=_DUMPER, default_flow_style=False, sort_keys=sort_keys)
    return text


@dataclass
class Model:
    """A model directory's metadata while it is being written, and as read back."""

    artifact_path: str | None = None
    run_id: str | None = None
    model_id: str | None = None
    flavors: dict[str, dict[str, Any]] = field(default_factory=dict)
    signature: ModelSignature | None = None
    saved_input_example_info: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    model_uuid: str = field(default_factory=lambda: uuid.uuid4().hex)
    utc_time_created: str = field(default_factory=lambda: str(datetime.now(UTC).replace(tzinfo=None)))
    mlflow_version: str = MLFLOW_FORMAT_VERSION
    extra: dict[str, Any] = field(default_factory=dict)

    def add_flavor(self, name: str, **settings: Any) -> Model:
        self.flavors[name] = settings
        return self

    def flavor(self, name: str) -> dict[str, Any]:
        try:
            return self.flavors[name]
        except KeyError:
            found = ", ".join(sorted(self.flavors)) or "none"
            raise InvalidArgument(
                f"the model has no {name!r} flavor (it has: {found})", field="flavor"
            ) from None

    def get_input_schema(self) -> Schema | None:
        return self.signature.inputs if self.signature else None

    def get_output_schema(self) -> Schema | None:
        return self.signature.outputs if self.signature else None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {**self.extra}
        data.update(
            {
                "artifact_path": self.artifact_path,
                "flavors": self.flavors,
                "flowtrack_version": pinned_version("flowtrack"),
                "mlflow_version": self.mlflow_version,
                "model_uuid": self.model_uuid,
                "utc_time_created": self.utc_time_created,
            }
        )
        optional = {
            "run_id": self.run_id,
            "model_id": self.model_id,
            "signature": self.signature.to_dict() if self.signature else None,
            "saved_input_example_info": self.saved_input_example_info,
            "metadata": self.metadata,
        }
        data.update({key: value for key, value in optional.items() if value is not None})
        return data

    def to_yaml(self) -> str:
        return dump_yaml(self.to_dict(), sort_keys=True)

    def save(self, directory: str | Path) -> None:
        Path(directory, MLMODEL_FILE).write_text(self.to_yaml(), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> Model:
        """From a model directory or its MLmodel file."""
        file = Path(path)
        if file.is_dir():
            file = file / MLMODEL_FILE
        if not file.is_file():
            raise InvalidArgument(f"no MLmodel file at {file}: not a model directory", field="model_uri")
        try:
            data = yaml.load(file.read_text(encoding="utf-8"), Loader=_LOADER)
        except yaml.YAMLError as exc:
            raise InvalidArgument(f"{file} is not valid YAML: {exc}", field="model_uri") from None
        if not isinstance(data, dict) or not isinstance(data.get("flavors"), dict):
            raise InvalidArgument(f"{file} has no 'flavors' mapping", field="model_uri")
        try:
            return cls.from_dict(data)
        except (TypeError, ValueError, KeyError) as exc:  # InvalidArgument is a ValueError: keep its words
            raise InvalidArgument(f"{file} is not a valid MLmodel file: {exc}", field="model_uri") from None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Model:
        known = {
            "artifact_path", "run_id", "model_id", "flavors", "signature", "saved_input_example_info",
            "metadata", "model_uuid", "utc_time_created", "mlflow_version", "flowtrack_version",
        }  # fmt: skip
        signature = data.get("signature")
        return cls(
            artifact_path=data.get("artifact_path"),
            run_id=data.get("run_id"),
            model_id=data.get("model_id"),
            flavors=dict(data["flavors"]),
            signature=ModelSignature.from_dict(signature) if isinstance(signature, dict) else None,
            saved_input_example_info=data.get("saved_input_example_info"),
            metadata=data.get("metadata"),
            model_uuid=str(data.get("model_uuid") or uuid.uuid4().hex),
            utc_time_created=str(data.get("utc_time_created", "")),
            mlflow_version=str(data.get("mlflow_version") or MLFLOW_FORMAT_VERSION),
            extra={key: value for key, value in data.items() if key not in known},
        )


@dataclass(frozen=True, slots=True)
class ModelInfo:
    """What ``log_model`` returns: where the model is and what it is (MLflow's ``ModelInfo`` fields)."""

    model_uri: str
    artifact_path: str
    flavors: dict[str, dict[str, Any]]
    model_uuid: str
    utc_time_created: str
    run_id: str | None = None
    model_id: str | None = None
    name: str | None = None
    signature: ModelSignature | None = None
    saved_input_example_info: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None
    registered_model_version: int | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    mlflow_version: str = MLFLOW_FORMAT_VERSION

    @property
    def signature_dict(self) -> dict[str, Any] | None:
        return self.signature.to_dict() if self.signature else None
