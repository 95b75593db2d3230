"""Names of the tags flowtrack sets without being asked.

MLflow's names are kept where MLflow has one, so tools that read MLflow runs find them; the rest use
``flowtrack.``.
"""

from __future__ import annotations

RUN_NAME = "mlflow.runName"
USER = "mlflow.user"
SOURCE_NAME = "mlflow.source.name"
SOURCE_TYPE = "mlflow.source.type"
GIT_COMMIT = "mlflow.source.git.commit"
GIT_BRANCH = "mlflow.source.git.branch"
GIT_REPO_URL = "mlflow.source.git.repoURL"
GIT_REPO_URL_LEGACY = "mlflow.gitRepoURL"
PARENT_RUN_ID = "mlflow.parentRunId"
NOTE = "mlflow.note.content"
LOGGED_MODELS = "mlflow.log-model.history"

GIT_DIRTY = "flowtrack.git.dirty"
ENTRY_POINT = "flowtrack.source.entrypoint"
PYTHON_VERSION = "flowtrack.python.version"
PLATFORM = "flowtrack.platform"
HOSTNAME = "flowtrack.hostname"

# Artifact files written at run start, under this folder of the run's artifacts.
METADATA_DIR = "flowtrack"
GIT_DIFF_FILE = f"{METADATA_DIR}/git.diff"
REQUIREMENTS_FILE = f"{METADATA_DIR}/requirements.txt"
SOURCE_DIR = f"{METADATA_DIR}/source"
