"""``flowtrack.xgboost``: save, log and load xgboost models (MLflow's ``mlflow.xgboost`` calls)."""

from flowtrack.models.flavors.xgboost import FLAVOR_NAME, load_model, log_model, save_model

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]
