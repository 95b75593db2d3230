"""Database plumbing shared by every SQL store: engines (:mod:`.engine`), migrations (:mod:`.migrate`)."""

from __future__ import annotations

from flowtrack.db.engine import dispose_engine, get_engine, write_engine
from flowtrack.db.migrate import ensure_schema, upgrade

__all__ = ["dispose_engine", "ensure_schema", "get_engine", "upgrade", "write_engine"]
