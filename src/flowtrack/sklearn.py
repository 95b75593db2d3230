"""``flowtrack.sklearn``: save, log and load scikit-learn models (MLflow's ``mlflow.sklearn`` calls)."""

from flowtrack.models.flavors.sklearn import FLAVOR_NAME, load_model, log_model, save_model

__all__ = ["FLAVOR_NAME", "load_model", "log_model", "save_model"]
