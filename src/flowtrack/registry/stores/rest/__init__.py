"""The registry store as a client of a tracking server (MLflow's REST API 2.0)."""
