"""``flowtrack.pytorch``: save, log and load pytorch models (MLflow's ``mlflow.pytorch`` calls)."""

from flowtrack.models.flavors.pytorch import FLAVOR_NAME, load_model, log_model, save_model

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]
