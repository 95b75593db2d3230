"""Turn in-memory objects (text, dicts, figures, images) into artifact bytes."""

from __future__ import annotations

import io
import json
from pathlib import PurePosixPath
from typing import Any

from flowtrack.exceptions import InvalidArgument, MissingDependency


def text_bytes(text: str) -> bytes:
    if not isinstance(text, str):
        raise InvalidArgument(f"text must be a string, got {type(text).__name__}", field="text")
    return text.encode("utf-8")


def dict_bytes(dictionary: Any, artifact_file: str) -> bytes:
    """JSON, or YAML when the file name ends in .yaml/.yml, as MLflow does."""
    suffix = PurePosixPath(artifact_file).suffix.lower()
    if suffix in (".yaml", ".yml"):
        import yaml

        return yaml.safe_dump(dictionary, sort_keys=False).encode("utf-8")
    try:
        return json.dumps(dictionary, indent=2).encode("utf-8")
    except TypeError as exc:
        raise InvalidArgument(f"dictionary is not JSON-serializable: {exc}", field="dictionary") from exc


def figure_bytes(figure: Any, artifact_file: str) -> bytes:
    """A matplotlib figure (anything with ``savefig``) or a plotly figure (``write_html``/``write_image``)."""
    suffix = PurePosixPath(artifact_file).suffix.lower().lstrip(".") or "png"
    buffer = io.BytesIO()
    if hasattr(figure, "savefig"):
        figure.savefig(buffer, format=suffix)
        return buffer.getvalue()
    if hasattr(figure, "write_html") and suffix == "html":
        return str(figure.to_html()).encode("utf-8")
    raise InvalidArgument(
        f"unsupported figure type {type(figure).__name__}; pass a matplotlib figure", field="figure"
    )


def image_bytes(image: Any, artifact_file: str) -> bytes:
    """A PIL image or a numpy array (HxW, HxWx3, HxWx4; floats in [0, 1] or integers in [0, 255])."""
    try:
        from PIL import Image
    except ImportError as exc:
        raise MissingDependency("pillow", "images") from exc
    if not isinstance(image, Image.Image):
        image = Image.fromarray(_to_uint8(image))
    suffix = PurePosixPath(artifact_file).suffix.lower().lstrip(".") or "png"
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG" if suffix in ("jpg", "jpeg") else suffix.upper())
    return buffer.getvalue()


def _to_uint8(array: Any) -> Any:
    import numpy as np

    values = np.asarray(array)
    if values.ndim not in (2, 3) or (values.ndim == 3 and values.shape[2] not in (1, 3, 4)):
        raise InvalidArgument(
            f"image array must be HxW, HxWx1, HxWx3 or HxWx4; got shape {values.shape}", field="image"
        )
    if values.ndim == 3 and values.shape[2] == 1:
        values = values[:, :, 0]
    if np.issubdtype(values.dtype, np.floating):
        if values.size and (values.min() < 0 or values.max() > 1):
            raise InvalidArgument("float image values must lie in [0, 1]", field="image")
        return (values * 255).round().astype(np.uint8)
    if values.size and (values.min() < 0 or values.max() > 255):
        raise InvalidArgument("integer image values must lie in [0, 255]", field="image")
    return values.astype(np.uint8)
