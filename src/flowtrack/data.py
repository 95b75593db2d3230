"""Dataset descriptions for ``flowtrack.log_input``, under MLflow's module name."""

from flowtrack.tracking.datasets import from_numpy, from_pandas
from flowtrack.tracking.entities import Dataset

__all__ = ["Dataset", "from_numpy", "from_pandas"]
