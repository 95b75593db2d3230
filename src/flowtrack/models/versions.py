"""Installed versions of distributions, read from package metadata (never by importing the package)."""

from __future__ import annotations

from functools import cache
from importlib import metadata

# A distribution some packages are installed as, besides their usual name.
_ALTERNATIVES = {"xgboost": ("xgboost-cpu",)}


@cache
def pinned_version(distribution: str) -> str | None:
    for name in (distribution, *_ALTERNATIVES.get(distribution, ())):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return None
