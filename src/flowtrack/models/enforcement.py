"""Check and convert a prediction input against a model's input schema, before the model sees it.

Columns the schema requires must be there; each is converted to the schema's type when that is safe (an
integer column for a ``double``), and refused with an error naming the column and both types when it is not
(strings for a ``double``, floats for a ``long``). Extra columns are dropped and the schema's order kept,
as MLflow does. Tensor schemas check the dtype and every fixed dimension of the shape.
"""

from __future__ import annotations

from typing import Any

from flowtrack.exceptions import InvalidArgument
from flowtrack.models.signature import COLUMN_TYPES, ColSpec, Schema, TensorSpec

__all__ = ["ModelInputError", "enforce_schema", "to_frame"]

_NUMERIC_TARGETS = {"integer": "int32", "long": "int64", "float": "float32", "double": "float64"}


class ModelInputError(InvalidArgument):
    """The prediction input does not match the model's signature; ``field`` names the column (or input)."""


def to_frame(data: Any) -> Any:
    """A DataFrame from a DataFrame, Series, dict of columns, list of records or 1-2 dimensional array."""
    import pandas as pd

    if isinstance(data, pd.DataFrame):
        return data
    if isinstance(data, pd.Series):
        return data.to_frame()
    try:
        return _build_frame(data)
    except (ValueError, TypeError, OverflowError) as exc:  # pandas and numpy refusing a ragged or odd shape
        raise ModelInputError(f"model input does not form a table: {exc}", field="input") from None


def _build_frame(data: Any) -> Any:
    import numpy as np
    import pandas as pd

    if isinstance(data, dict):
        columns = {str(key): _column(value) for key, value in data.items()}
        lengths = {len(column) for column in columns.values()}
        if len(lengths) > 1:
            raise ModelInputError(f"model input columns differ in length: {sorted(lengths)}", field="input")
        return pd.DataFrame(columns)
    if isinstance(data, list) and data and all(isinstance(row, dict) for row in data):
        return pd.DataFrame.from_records(data)
    if isinstance(data, list | tuple | np.ndarray):
        array = np.asarray(data)
        if array.ndim > 2:
            raise ModelInputError(
                f"a {array.ndim}-dimensional array is not a table of columns", field="input"
            )
        return pd.DataFrame(array if array.ndim == 2 else array.reshape(-1, 1))
    raise ModelInputError(f"cannot use a {type(data).__name__} as model input", field="input")


def _column(value: Any) -> Any:
    import numpy as np

    column = np.atleast_1d(np.asarray(value, dtype=object if _is_text(value) else None))
    if column.ndim != 1:
        raise ModelInputError(
            f"a column must be a flat list of values, got shape {list(column.shape)}", field="input"
        )
    return column


def _is_text(value: Any) -> bool:
    items = value if isinstance(value, list | tuple) else [value]
    return any(isinstance(item, str | bytes) for item in items)


def enforce_schema(data: Any, schema: Schema) -> Any:
    if schema.is_tensor_spec:
        return _enforce_tensor(data, schema)
    return _enforce_columns(to_frame(data), schema)


def _enforce_columns(frame: Any, schema: Schema) -> Any:
    specs = [spec for spec in schema.inputs if isinstance(spec, ColSpec)]
    if not any(spec.name for spec in specs):
        return _enforce_unnamed(frame, specs)
    frame = frame.rename(columns=str)
    missing = [spec.name for spec in specs if spec.required and spec.name not in frame.columns]
    if missing:
        raise ModelInputError(
            f"model input is missing required column(s) {missing}; it has {list(frame.columns)}",
            field=str(missing[0]),
        )
    present = [spec for spec in specs if spec.name in frame.columns]
    columns = {spec.name: _convert(frame[spec.name], spec) for spec in present}
    import pandas as pd

    return pd.DataFrame(columns, index=frame.index)


def _enforce_unnamed(frame: Any, specs: list[ColSpec]) -> Any:
    if len(frame.columns) != len(specs):
        raise ModelInputError(
            f"model input has {len(frame.columns)} column(s); the signature expects {len(specs)}",
            field="input",
        )
    for position, spec in enumerate(specs):
        frame[frame.columns[position]] = _convert(frame[frame.columns[position]], spec)
    return frame


def _convert(series: Any, spec: ColSpec) -> Any:
    import numpy as np
    import pandas as pd

    name = spec.name or str(series.name)
    kind = series.dtype
    if spec.type not in COLUMN_TYPES:
        return series
    if spec.type in _NUMERIC_TARGETS:
        target = np.dtype(_NUMERIC_TARGETS[spec.type])
        if _is_numeric(kind) and np.can_cast(kind, target, casting="safe"):
            return series.astype(target)
        if _is_object(kind) and _all_match(series, int) and spec.type in ("long", "double"):
            try:
                return series.astype(target)
            except (
                OverflowError,
                TypeError,
                ValueError,
            ):  # too large, or missing values in an integer column
                raise _mismatch(name, spec.type, kind) from None
        raise _mismatch(name, spec.type, kind)
    if spec.type == "boolean":
        if str(kind) == "bool" or _all_match(series, bool):
            return series.astype(bool)
        raise _mismatch(name, spec.type, kind)
    if spec.type == "string":
        if _all_match(series, str):
            return series
        raise _mismatch(name, spec.type, kind)
    if spec.type == "binary":
        if _all_match(series, bytes | bytearray):
            return series
        raise _mismatch(name, spec.type, kind)
    try:
        return pd.to_datetime(series)
    except (ValueError, TypeError):
        raise _mismatch(name, spec.type, kind) from None


def _is_numeric(kind: Any) -> bool:
    return getattr(kind, "kind", "") in "biuf"


def _is_object(kind: Any) -> bool:
    return str(kind) == "object"


def _all_match(series: Any, kind: Any) -> bool:
    values = series.dropna()
    return all(isinstance(value, kind) and not (kind is int and isinstance(value, bool)) for value in values)


def _mismatch(column: str, expected: str, found: Any) -> ModelInputError:
    return ModelInputError(
        f"column {column!r}: expected type {expected}, got {found} which cannot be converted safely",
        field=column,
    )


def _enforce_tensor(data: Any, schema: Schema) -> Any:
    import numpy as np
    import pandas as pd

    spec = schema.inputs[0]
    assert isinstance(spec, TensorSpec)
    array = data.to_numpy() if isinstance(data, pd.DataFrame | pd.Series) else np.asarray(data)
    if array.dtype == object:
        raise ModelInputError(f"input: expected dtype {spec.dtype}, got non-numeric values", field="input")
    target = np.dtype(spec.dtype)
    if not np.can_cast(array.dtype, target, casting="same_kind"):
        raise ModelInputError(f"input: expected dtype {spec.dtype}, got {array.dtype}", field="input")
    if array.ndim != len(spec.shape) or any(
        want not in (-1, got) for want, got in zip(spec.shape, array.shape, strict=False)
    ):
        raise ModelInputError(
            f"input: expected shape {list(spec.shape)}, got {list(array.shape)}", field="input"
        )
    return array.astype(target, copy=False)
