"""The server's configuration: one frozen value, built by the CLI and handed to ``create_app``."""

from __future__ import annotations

from dataclasses import dataclass

# MLflow's URI scheme for artifacts the server proxies; experiments created by a server that serves
# artifacts get ``mlflow-artifacts:/<experiment_id>`` as their artifact location.
PROXY_SCHEME = "mlflow-artifacts"
PROXY_ROOT = f"{PROXY_SCHEME}:"
DEFAULT_MAX_UPLOAD_BYTES = 5 * 2**30


@dataclass(frozen=True, slots=True)
class ServerConfig:
    """How one server process runs.

    Attributes:
        backend_store_uri: the tracking database (``sqlite:///…``, ``postgresql://…``, ``mysql://…``).
        default_artifact_root: artifact root of new experiments; None means ``mlflow-artifacts:`` when the
            server serves artifacts, else ``artifacts_destination``.
        artifacts_destination: where proxied artifacts (``mlflow-artifacts:/<path>``) are stored: a folder or
            any URI the artifact registry handles (``s3://…``).
        serve_artifacts: whether the artifact proxy routes (``/api/2.0/mlflow-artifacts/…``) are on.
        max_upload_bytes: the largest single artifact upload accepted (larger ones get 413).
    """

    backend_store_uri: str
    default_artifact_root: str | None
    artifacts_destination: str
    serve_artifacts: bool = True
    host: str = "127.0.0.1"
    port: int = 5000
    workers: int = 1
    max_upload_bytes: int = DEFAULT_MAX_UPLOAD_BYTES

    @property
    def store_artifact_root(self) -> str:
        """The artifact root handed to the tracking store, from which experiment locations are made."""
        if self.default_artifact_root:
            return self.default_artifact_root
        return PROXY_ROOT if self.serve_artifacts else self.artifacts_destination

    @property
    def url(self) -> str:
        """The URL clients on this machine use (a wildcard address is shown as the loopback one)."""
        host = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(self.host, self.host)
        return f"http://[{host}]:{self.port}" if ":" in host else f"http://{host}:{self.port}"
