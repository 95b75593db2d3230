"""Settings: environment variables override the profile file, which overrides defaults.

The profile file is ``$FLOWTRACK_HOME/config.toml``; ``flowtrack config set`` writes it.

Every script that logs a run or calls a flow reads the settings first, so this module keeps to the standard
library: a flow's whole cold start is budgeted at half a second, and pydantic-settings alone took a fifth of
it to import. The fields are few and scalar; each is parsed by its declared kind below.
"""

from __future__ import annotations

import dataclasses
import math
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowtrack.exceptions import InvalidArgument

ENV_PREFIX = "FLOWTRACK_"

_TRUE = frozenset({"1", "true", "t", "yes", "y", "on"})
_FALSE = frozenset({"0", "false", "f", "no", "n", "off"})


def flowtrack_home() -> Path:
    return Path(os.environ.get("FLOWTRACK_HOME") or Path.home() / ".flowtrack").expanduser()


def profile_path() -> Path:
    return flowtrack_home() / "config.toml"


def _optional_text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ValueError("must be a string")


def _flag(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    raise ValueError("must be a boolean: true or false")


def _positive_seconds(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError("must be a number of seconds")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError):
        raise ValueError("must be a number of seconds") from None
    if not math.isfinite(number) or number <= 0:
        raise ValueError("must be greater than 0")
    return number


def _setting(default: Any, parse: Callable[[Any], Any], description: str) -> Any:
    return field(default=default, metadata={"parse": parse, "description": description})


@dataclass(frozen=True, slots=True)
class Settings:
    """Everything a user may configure. Each field is also ``FLOWTRACK_<NAME>`` in the environment."""

    tracking_uri: str | None = _setting(
        None, _optional_text, "Where runs are stored: sqlite:///path, postgresql://..., mysql+pymysql://..."
    )
    artifact_root: str | None = _setting(
        None, _optional_text, "Where artifacts of new experiments go: a folder, file://... or s3://..."
    )
    api_url: str | None = _setting(None, _optional_text, "URL of a flowtrack server for orchestration calls.")
    flow_run_lease_seconds: float = _setting(
        60.0,
        _positive_seconds,
        "A running flow run without a heartbeat for this long is read back as CRASHED.",
    )
    log_source_code: bool = _setting(True, _flag, "Save the entry script as an artifact of each run.")
    log_environment: bool = _setting(
        True, _flag, "Save the list of installed packages as an artifact of each run."
    )
    log_git_diff: bool = _setting(True, _flag, "Save the uncommitted git diff when the tree is dirty.")

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

    def values(self, names: set[str] | None = None) -> dict[str, Any]:
        return {name: getattr(self, name) for name in setting_names() if names is None or name in names}


def load_settings(**overrides: Any) -> Settings:
    """Settings from ``overrides``, else ``FLOWTRACK_<NAME>``, else the profile file, else the default."""
    profile = read_profile()
    parsed: dict[str, Any] = {}
    for setting in dataclasses.fields(Settings):
        raw = _raw_value(setting.name, overrides, profile)
        if raw is not _UNSET:
            parsed[setting.name] = _parse(setting, raw)
    return Settings(**parsed)


def setting_names() -> list[str]:
    return [setting.name for setting in dataclasses.fields(Settings)]


def setting_descriptions() -> dict[str, str]:
    return {setting.name: setting.metadata["description"] for setting in dataclasses.fields(Settings)}


_UNSET = object()


def _raw_value(name: str, overrides: Mapping[str, Any], profile: Mapping[str, Any]) -> Any:
    if name in overrides:
        return overrides[name]
    env_value = os.environ.get(ENV_PREFIX + name.upper())
    if env_value is not None:
        return env_value
    return profile.get(name, _UNSET)


def _parse(setting: dataclasses.Field[Any], raw: Any) -> Any:
    try:
        return setting.metadata["parse"](raw)
    except ValueError as exc:
        raise InvalidArgument(f"invalid setting {setting.name!r}: {exc}", field=setting.name) from None


def read_profile() -> dict[str, Any]:
    path = profile_path()
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise InvalidArgument(
            f"the profile file {path} is not valid TOML ({exc}); fix it or remove it", field="profile"
        ) from None
