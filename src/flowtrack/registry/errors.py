"""Registry errors: the flowtrack exception classes a registry caller may want to catch by name."""

from __future__ import annotations

from flowtrack.exceptions import AlreadyExists, NotFound

__all__ = ["AliasNotFound", "ModelVersionNotFound", "RegisteredModelAlreadyExists", "RegisteredModelNotFound"]


class RegisteredModelNotFound(NotFound):
    """No registered model with that name."""


class ModelVersionNotFound(NotFound):
    """The registered model has no version with that number."""


class AliasNotFound(NotFound):
    """The registered model has no such alias."""


class RegisteredModelAlreadyExists(AlreadyExists):
    """A registered model with that name exists already."""


def model_not_found(name: str) -> RegisteredModelNotFound:
    return RegisteredModelNotFound(f"Registered Model with name={name} not found")


def version_not_found(name: str, version: int | str) -> ModelVersionNotFound:
    return ModelVersionNotFound(f"Model Version (name={name}, version={version}) not found")


def alias_not_found(name: str, alias: str) -> AliasNotFound:
    return AliasNotFound(f"Registered model alias {alias} not found for model {name}.")
