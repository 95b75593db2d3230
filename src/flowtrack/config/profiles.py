"""Read and write the profile file behind ``flowtrack config set|get|unset|view``."""

from __future__ import annotations

from typing import Any

import tomli_w

from flowtrack.config.settings import load_settings, profile_path, read_profile, setting_names
from flowtrack.exceptions import InvalidArgument


def _write_profile(values: dict[str, Any]) -> None:
    path = profile_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomli_w.dumps(values))
    tmp.replace(path)


def _check_name(name: str) -> str:
    normalized = name.strip().lower().removeprefix("flowtrack_")
    if normalized not in setting_names():
        known = ", ".join(setting_names())
        raise InvalidArgument(f"unknown setting {name!r}; known settings: {known}", field=name)
    return normalized


def set_values(assignments: dict[str, str]) -> dict[str, Any]:
    """Validate every assignment first so a bad one writes nothing, then store them all."""
    updates = {_check_name(name): value for name, value in assignments.items()}
    merged = {**read_profile(), **updates}
    validated = load_settings(**merged).values(set(merged))
    _write_profile({key: value for key, value in validated.items() if value is not None})
    return {key: validated[key] for key in updates}


def unset_values(names: list[str]) -> None:
    keys = [_check_name(name) for name in names]
    profile = read_profile()
    for key in keys:
        profile.pop(key, None)
    _write_profile(profile)


def get_value(name: str) -> Any:
    return getattr(load_settings(), _check_name(name))


__all__ = ["get_value", "read_profile", "set_values", "unset_values"]
