"""flowtrack's native API under ``/api/v1``: what MLflow's REST API lacks (fast UI reads, orchestration)."""
