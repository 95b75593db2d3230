"""MLflow's registry search language, parsed with the tracking search parser.

Registered models filter on ``name`` and ``tags.<key>``; model versions on ``name``, ``run_id``,
``source_path``, ``version_number``, ``current_stage`` and ``tags.<key>``. Both order by their
timestamps and names, versions also by ``version_number``.
"""

from __future__ import annotations

from collections.abc import Sequence

from flowtrack.tracking import validation
from flowtrack.tracking.filters import Comparison, EntityKind, OrderBy

# The tracking parser is reused as is: only the schema (attributes, entity kinds) differs per search.
from flowtrack.tracking.search import _parse_filter, _parse_order_by, _Schema

__all__ = [
    "parse_model_version_filter",
    "parse_model_version_order_by",
    "parse_registered_model_filter",
    "parse_registered_model_order_by",
]

_KINDS = (EntityKind.ATTRIBUTE, EntityKind.TAG)
_TIMESTAMPS = {
    "creation_timestamp": "creation_timestamp",
    "timestamp": "last_updated_timestamp",
    "last_updated_timestamp": "last_updated_timestamp",
}
_NUMERIC = frozenset({"version_number", "creation_timestamp", "last_updated_timestamp"})
_MODEL_FILTER = _Schema("registered model", _KINDS, {"name": "name"}, frozenset())
_MODEL_ORDER = _Schema("registered model", (EntityKind.ATTRIBUTE,), {"name": "name", **_TIMESTAMPS}, _NUMERIC)
_VERSION_ATTRIBUTES = {
    "name": "name",
    "run_id": "run_id",
    "source_path": "source_path",
    "source": "source_path",
    "version_number": "version_number",
    "current_stage": "current_stage",
}
_VERSION_FILTER = _Schema("model version", _KINDS, _VERSION_ATTRIBUTES, _NUMERIC)
_VERSION_ORDER = _Schema(
    "model version",
    (EntityKind.ATTRIBUTE,),
    {"name": "name", "version_number": "version_number", **_TIMESTAMPS},
    _NUMERIC,
)
DEFAULT_MODEL_ORDER = (OrderBy(EntityKind.ATTRIBUTE, "name"),)
DEFAULT_VERSION_ORDER = (
    OrderBy(EntityKind.ATTRIBUTE, "last_updated_timestamp", ascending=False),
    OrderBy(EntityKind.ATTRIBUTE, "name"),
    OrderBy(EntityKind.ATTRIBUTE, "version_number", ascending=False),
)


def parse_registered_model_filter(text: str | None) -> list[Comparison]:
    """``name = 'x'``, ``name LIKE 'x%'``, ``name ILIKE``, ``tags.k = 'v'``, joined by AND; blank: all."""
    return _parse_filter(validation.validate_filter(text), _MODEL_FILTER)


def parse_registered_model_order_by(clauses: Sequence[str] | None) -> list[OrderBy]:
    """``name``, ``creation_timestamp``, ``last_updated_timestamp`` (or ``timestamp``), ASC or DESC."""
    return _parse_order_by(validation.validate_order_by(clauses), _MODEL_ORDER)


def parse_model_version_filter(text: str | None) -> list[Comparison]:
    """``name = 'x'``, ``run_id IN ('a', 'b')``, ``source_path LIKE 's3://%'``, ``version_number > 2``,
    ``tags.k = 'v'``, joined by AND; blank means all."""
    return _parse_filter(validation.validate_filter(text), _VERSION_FILTER)


def parse_model_version_order_by(clauses: Sequence[str] | None) -> list[OrderBy]:
    """``name``, ``version_number``, ``creation_timestamp``, ``last_updated_timestamp``, ASC or DESC."""
    return _parse_order_by(validation.validate_order_by(clauses), _VERSION_ORDER)
