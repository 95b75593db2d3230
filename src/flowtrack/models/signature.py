"""Model signatures: what a model takes and returns, in MLflow's JSON schema form.

A column-based schema lists ``{"type": "double", "name": "a", "required": true}`` entries; a tensor-based one
lists ``{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}``. The MLmodel file keeps
each schema as a JSON string under ``signature.inputs`` / ``signature.outputs``, as MLflow does, so either
tool reads the other's signatures. Inference looks at an example input (and the model's output for it).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flowtrack.exceptions import InvalidArgument

__all__ = ["ColSpec", "ModelSignature", "Schema", "TensorSpec", "infer_signature"]

# MLflow's column types, and the numpy dtype each one holds after enforcement.
COLUMN_TYPES: dict[str, str] = {
    "boolean": "bool",
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "string": "object",
    "binary": "object",
    "datetime": "datetime64[ns]",
}
_DTYPE_TO_COLUMN_TYPE = {
    "bool": "boolean",
    "int8": "integer",
    "int16": "integer",
    "int32": "integer",
    "uint8": "integer",
    "uint16": "integer",
    "int64": "long",
    "uint32": "long",
    "float16": "float",
    "float32": "float",
    "float64": "double",
}


@dataclass(frozen=True, slots=True)
class ColSpec:
    """One named (or, for a single unnamed output, unnamed) column of an MLflow type."""

    type: str
    name: str | None = None
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        spec: dict[str, Any] = {"type": self.type}
        if self.name is not None:
            spec["name"] = self.name
        spec["required"] = self.required
        return spec


@dataclass(frozen=True, slots=True)
class TensorSpec:
    """An array of a numpy ``dtype``; ``-1`` in ``shape`` accepts any size (the batch dimension)."""

    dtype: str
    shape: tuple[int, ...]
    name: str | None = None

    def to_dict(self) -> dict[str, Any]:
        spec: dict[str, Any] = {
            "type": "tensor",
            "tensor-spec": {"dtype": self.dtype, "shape": list(self.shape)},
        }
        if self.name is not None:
            spec["name"] = self.name
        return spec


@dataclass(frozen=True, slots=True)
class Schema:
    inputs: tuple[ColSpec | TensorSpec, ...]

    @property
    def is_tensor_spec(self) -> bool:
        return bool(self.inputs) and isinstance(self.inputs[0], TensorSpec)

    @property
    def column_names(self) -> list[str]:
        return [spec.name for spec in self.inputs if spec.name is not None]

    def to_json(self) -> str:
        return json.dumps([spec.to_dict() for spec in self.inputs])

    def to_dict(self) -> list[dict[str, Any]]:
        return [spec.to_dict() for spec in self.inputs]

    @classmethod
    def from_json(cls, text: str) -> Schema:
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidArgument(f"schema is not valid JSON: {exc}", field="signature") from None
        if not isinstance(items, list):
            raise InvalidArgument("a schema must be a JSON list of column or tensor specs", field="signature")
        return cls(tuple(_spec_from_dict(item) for item in items))


def _spec_from_dict(item: Any) -> ColSpec | TensorSpec:
    if not isinstance(item, dict) or "type" not in item:
        raise InvalidArgument(f"schema entry {item!r} has no 'type'", field="signature")
    name = None if item.get("name") is None else str(item["name"])
    if item["type"] == "tensor":
        return _tensor_spec(item.get("tensor-spec"), name)
    # Object, array and map columns exist in MLflow too; they are kept but not enforced.
    return ColSpec(str(item["type"]), name, bool(item.get("required", True)))


def _tensor_spec(tensor: Any, name: str | None) -> TensorSpec:
    import numpy as np

    if not isinstance(tensor, dict) or not isinstance(tensor.get("shape", []), list):
        raise InvalidArgument(f"tensor spec {tensor!r} needs a dtype and a shape list", field="signature")
    try:
        dtype = np.dtype(str(tensor.get("dtype"))).name
        shape = tuple(int(size) for size in tensor.get("shape", []))
    except (TypeError, ValueError):
        raise InvalidArgument(
            f"tensor spec {tensor!r} has an unknown dtype or shape", field="signature"
        ) from None
    return TensorSpec(dtype, shape, name)


@dataclass(frozen=True, slots=True)
class ModelSignature:
    inputs: Schema | None = None
    outputs: Schema | None = None
    params: list[dict[str, Any]] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The MLmodel form: each schema as a JSON string."""
        return {
            "inputs": self.inputs.to_json() if self.inputs is not None else None,
            "outputs": self.outputs.to_json() if self.outputs is not None else None,
            "params": json.dumps(self.params) if self.params else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ModelSignature:
        inputs, outputs, params = data.get("inputs"), data.get("outputs"), data.get("params")
        return cls(
            Schema.from_json(inputs) if inputs else None,
            Schema.from_json(outputs) if outputs else None,
            json.loads(params) if isinstance(params, str) else params,
        )


def infer_signature(model_input: Any, model_output: Any = None) -> ModelSignature:
    """The signature of an example input (a DataFrame, dict of columns, list of records or numpy array)
    and, when given, of the model's output for it."""
    return ModelSignature(
        infer_schema(model_input), infer_schema(model_output) if model_output is not None else None
    )


def infer_schema(data: Any) -> Schema:
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return Schema(tuple(ColSpec(_column_type(data[col]), str(col)) for col in data.columns))
    if isinstance(data, pd.Series):
        return Schema((ColSpec(_column_type(data), None if data.name is None else str(data.name)),))
    if isinstance(data, np.ndarray):
        if data.ndim == 1:
            return Schema((ColSpec(_column_type(pd.Series(data))),))
        return Schema((TensorSpec(str(data.dtype), (-1, *data.shape[1:])),))
    if _is_torch_tensor(data):
        return infer_schema(data.detach().cpu().numpy())
    if isinstance(data, dict | list):
        return infer_schema(_records_frame(data))
    if isinstance(data, str | int | float | bool):
        return infer_schema(pd.Series([data]))
    raise InvalidArgument(
        f"cannot infer a schema from {type(data).__name__}: use a DataFrame, dict, list or numpy array",
        field="input_example",
    )


def _records_frame(data: dict[str, Any] | list[Any]) -> Any:
    import pandas as pd

    if isinstance(data, dict):
        values = {key: value if isinstance(value, list | tuple) else [value] for key, value in data.items()}
        return pd.DataFrame(values)
    if all(isinstance(row, dict) for row in data):
        return pd.DataFrame.from_records(data)
    return pd.DataFrame({"0": data}) if data and not isinstance(data[0], list | tuple) else pd.DataFrame(data)


def _column_type(series: Any) -> str:
    import pandas as pd

    kind = str(series.dtype)
    if kind in _DTYPE_TO_COLUMN_TYPE:
        return _DTYPE_TO_COLUMN_TYPE[kind]
    if kind.startswith("datetime64"):
        return "datetime"
    values = series.dropna()
    if pd.api.types.is_string_dtype(series.dtype) and all(isinstance(value, str) for value in values):
        return "string"
    if len(values) and all(isinstance(value, bytes | bytearray) for value in values):
        return "binary"
    if kind in ("Int64", "Int32", "boolean", "Float64"):
        return {"Int64": "long", "Int32": "integer", "boolean": "boolean", "Float64": "double"}[kind]
    raise InvalidArgument(
        f"cannot infer a column type for {series.name!r} (dtype {kind}): use numbers, booleans, strings, "
        "bytes or datetimes",
        field=str(series.name),
    )


def _is_torch_tensor(data: Any) -> bool:
    return type(data).__module__.startswith("torch") and hasattr(data, "detach")
