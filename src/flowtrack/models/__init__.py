"""Models on disk: the MLmodel metadata, signatures, flavors, model URIs and the scoring server.

``flowtrack.models`` offers what ``mlflow.models`` does for everyday use; the flavors live in
``flowtrack.sklearn``, ``flowtrack.xgboost``, ``flowtrack.lightgbm``, ``flowtrack.pytorch`` and
``flowtrack.pyfunc``. Nothing here imports an ML library until a model is saved or loaded.
"""

from flowtrack.models.model import Model, ModelInfo
from flowtrack.models.signature import ColSpec, ModelSignature, Schema, TensorSpec, infer_signature

__all__ = ["ColSpec", "Model", "ModelInfo", "ModelSignature", "Schema", "TensorSpec", "infer_signature"]
