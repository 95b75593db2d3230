"""Settings: environment variables override the profile file, which overrides defaults.

The profile file is ``$FLOWTRACK_HOME/config.toml``; ``flowtrack config set`` writes it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from flowtrack.exceptions import InvalidArgument

ENV_PREFIX = "FLOWTRACK_"


def flowtrack_home() -> Path:
    return Path(os.environ.get("FLOWTRACK_HOME") or Path.home() / ".flowtrack").expanduser()


def profile_path() -> Path:
    return flowtrack_home() / "config.toml"


class Settings(BaseSettings):
    """Everything a user may configure. Each field is also ``FLOWTRACK_<NAME>`` in the environment."""

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", validate_default=True)

    tracking_uri: str | None = Field(
        default=None,
        description="Where runs are stored: sqlite:///path, postgresql://..., mysql+pymysql://...",
    )
    artifact_root: str | None = Field(
        default=None, description="Where artifacts of new experiments go: a folder, file://... or s3://..."
    )
    api_url: str | None = Field(
        default=None, description="URL of a flowtrack server for orchestration calls."
    )
    flow_run_lease_seconds: float = Field(
        default=60.0,
        gt=0,
        description="A running flow run without a heartbeat for this long is read back as CRASHED.",
    )
    log_source_code: bool = Field(
        default=True, description="Save the entry script as an artifact of each run."
    )
    log_environment: bool = Field(
        default=True, description="Save the list of installed packages as an artifact of each run."
    )
    log_git_diff: bool = Field(
        default=True, description="Save the uncommitted git diff when the tree is dirty."
    )

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls, toml_file=profile_path()))

    @property
    def home(self) -> Path:
        return flowtrack_home()

    def resolved_tracking_uri(self) -> str:
        """The configured URI, else MLflow's variable (so migrated scripts keep working), else the default."""
        if self.tracking_uri:
            return self.tracking_uri
        if mlflow_uri := os.environ.get("MLFLOW_TRACKING_URI"):
            return mlflow_uri
        return self.default_tracking_uri()

    def default_tracking_uri(self) -> str:
        """The store used when none is configured: ``flowtrack.db`` in the flowtrack home folder."""
        return f"sqlite:///{self.home / 'flowtrack.db'}"

    def resolved_artifact_root(self) -> str:
        return self.artifact_root or str(self.home / "artifacts")


def load_settings(**overrides: Any) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        error = exc.errors()[0]
        name = ".".join(str(part) for part in error["loc"])
        raise InvalidArgument(f"invalid setting {name!r}: {error['msg']}", field=name) from exc


def setting_names() -> list[str]:
    return list(Settings.model_fields)
