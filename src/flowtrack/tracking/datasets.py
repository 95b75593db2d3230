"""Describe a dataset for ``log_input``: name, content digest, source and schema, never the data itself."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from flowtrack.exceptions import InvalidArgument
from flowtrack.tracking.entities import Dataset

_DIGEST_SAMPLE_ROWS = 10_000


def from_pandas(
    df: Any, source: str | None = None, targets: str | None = None, name: str | None = None
) -> Dataset:
    """A pandas DataFrame; the digest hashes up to the first 10,000 rows plus the shape."""
    import pandas as pd

    if not isinstance(df, pd.DataFrame):
        raise InvalidArgument(f"expected a pandas DataFrame, got {type(df).__name__}", field="df")
    sample = pd.util.hash_pandas_object(df.head(_DIGEST_SAMPLE_ROWS), index=False).to_numpy().tobytes()
    schema: dict[str, Any] = {
        "columns": [{"name": str(col), "type": str(dtype)} for col, dtype in df.dtypes.items()]
    }
    if targets is not None:
        schema["targets"] = targets
    return _dataset(name or "dataset", sample + repr(df.shape).encode(), source, "pandas", schema, df.shape)


def from_numpy(
    features: Any, source: str | None = None, targets: Any = None, name: str | None = None
) -> Dataset:
    """A numpy array (and optional targets); the digest hashes the bytes of a leading sample."""
    import numpy as np

    array = np.asarray(features)
    payload = array[:_DIGEST_SAMPLE_ROWS].tobytes() + repr(array.shape).encode()
    schema: dict[str, Any] = {"features": {"dtype": str(array.dtype), "shape": list(array.shape)}}
    if targets is not None:
        target_array = np.asarray(targets)
        payload += target_array[:_DIGEST_SAMPLE_ROWS].tobytes()
        schema["targets"] = {"dtype": str(target_array.dtype), "shape": list(target_array.shape)}
    return _dataset(name or "dataset", payload, source, "numpy", schema, array.shape)


def _dataset(
    name: str, payload: bytes, source: str | None, kind: str, schema: dict[str, Any], shape: tuple[int, ...]
) -> Dataset:
    return Dataset(
        name=name,
        digest=hashlib.sha256(payload).hexdigest()[:8],
        source_type="local" if source is None else _source_type(source),
        source=json.dumps({"uri": source or f"<in-memory {kind}>"}),
        schema=json.dumps(schema),
        profile=json.dumps({"num_rows": shape[0] if shape else 0}),
    )


def _source_type(source: str) -> str:
    scheme, sep, _ = source.partition("://")
    return scheme if sep else "local"
