"""``flowtrack.lightgbm``: save, log and load lightgbm models (MLflow's ``mlflow.lightgbm`` calls)."""

from flowtrack.models.flavors.lightgbm import FLAVOR_NAME, load_model, log_model, save_model

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]
