"""Checks on what callers pass to the registry, shared by the client and the server: each bad value is an
:class:`~flowtrack.exceptions.InvalidArgument` naming its field, raised before anything is written."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from flowtrack.exceptions import InvalidArgument
from flowtrack.tracking import validation
from flowtrack.tracking.entities import RunTag

MAX_NAME_LENGTH = 256
MAX_ALIAS_LENGTH = 255
MAX_DESCRIPTION_LENGTH = 5000
MAX_SOURCE_LENGTH = 1000
MAX_RUN_LINK_LENGTH = 1000
MAX_VERSION = 2**31 - 1
MAX_RESULTS_LIMIT = 200_000
_ALIAS = re.compile(r"^[\w\-.]+$")
_VERSION_LIKE = re.compile(r"^v\d+$", re.IGNORECASE)


def _text(value: object, field: str, limit: int, *, required: bool) -> str:
    if not isinstance(value, str):
        raise InvalidArgument(f"{field} must be a string, got {value!r}", field=field)
    if required and not value.strip():
        raise InvalidArgument(f"{field} must not be empty", field=field)
    if len(value) > limit:
        raise InvalidArgument(f"{field} is {len(value)} characters; the limit is {limit}", field=field)
    return validation.check_text(value, field)


def validate_name(name: object, field: str = "name") -> str:
    """A registered model's name: non-empty, at most 256 characters, no ``/`` (it separates the parts of
    ``models:/<name>/<version>``)."""
    checked = _text(name, field, MAX_NAME_LENGTH, required=True)
    if "/" in checked:
        raise InvalidArgument(f"{field} {checked!r} must not contain '/'", field=field)
    return checked


def validate_version(version: object, field: str = "version") -> int:
    """A version number, given as an integer or as its decimal text (``"3"``)."""
    number: int | None = None
    if isinstance(version, int) and not isinstance(version, bool):
        number = version
    elif isinstance(version, str) and version.strip().isdigit() and version.strip().isascii():
        number = int(version.strip())
    if number is None or not 1 <= number <= MAX_VERSION:
        raise InvalidArgument(f"{field} must be a positive integer, got {version!r}", field=field)
    return number


def validate_alias(alias: object) -> str:
    """An alias: letters, digits, ``_``, ``-`` and ``.``; ``latest`` and ``v<number>`` are reserved because
    ``models:/<name>@latest`` and version names would be ambiguous."""
    checked = _text(alias, "alias", MAX_ALIAS_LENGTH, required=True)
    if not _ALIAS.match(checked):
        raise InvalidArgument(
            f"alias {checked!r} may only contain letters, digits, '_', '-' and '.'", field="alias"
        )
    if checked.lower() == "latest" or _VERSION_LIKE.match(checked):
        raise InvalidArgument(f"alias {checked!r} is reserved (latest, v<number>)", field="alias")
    return checked


def validate_description(description: object) -> str | None:
    if description is None:
        return None
    return _text(description, "description", MAX_DESCRIPTION_LENGTH, required=False)


def validate_source(source: object) -> str:
    return _text(source, "source", MAX_SOURCE_LENGTH, required=True)


def validate_run_link(run_link: object) -> str | None:
    if run_link is None:
        return None
    return _text(run_link, "run_link", MAX_RUN_LINK_LENGTH, required=False)


def validate_optional_id(value: object, field: str) -> str | None:
    if value is None or value == "":
        return None
    if field == "run_id":
        return validation.validate_run_id(value)
    return _text(value, field, 64, required=True)


def validate_max_results(max_results: object) -> int:
    value = validation.integer("max_results", max_results)
    if not 1 <= value <= MAX_RESULTS_LIMIT:
        raise InvalidArgument(
            f"max_results must be between 1 and {MAX_RESULTS_LIMIT}, got {value}", field="max_results"
        )
    return value


def make_tags(tags: Mapping[str, Any] | None) -> list[RunTag]:
    if tags is not None and not isinstance(tags, Mapping):
        raise InvalidArgument(f"tags must be a dict of key to value, got {tags!r}", field="tags")
    return [validation.make_tag(key, value) for key, value in (tags or {}).items()]


def make_tag(key: object, value: object) -> RunTag:
    return validation.make_tag(key, value)


def validate_tag_key(key: object) -> str:
    return validation.validate_key(key, "tag")
