"""``flowtrack.pyfunc``: load any model behind ``predict``, and save or log a custom ``PythonModel``."""

from flowtrack.models.flavors.pyfunc import (
    FLAVOR_NAME,
    PyFuncModel,
    PythonModel,
    PythonModelContext,
    load_model,
    log_model,
    save_model,
)
from flowtrack.models.signature import infer_signature

__all__ = [
    "FLAVOR_NAME",
    "PyFuncModel",
    "PythonModel",
    "PythonModelContext",
    "infer_signature",
    "load_model",
    "log_model",
    "save_model",
]
