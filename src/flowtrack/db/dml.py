"""Statement helpers every domain's SQL store shares."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa


def dialect_insert(table: sa.Table, dialect: str) -> Any:
    """The dialect's own INSERT, which knows its upsert and ignore forms.

    Each dialect module is imported when first needed: PostgreSQL's pulls in its async drivers' modules too,
    tens of milliseconds that a SQLite-only process (every embedded script) should not pay at start-up.
    """
    if dialect == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(table)
    if dialect == "mysql":
        from sqlalchemy.dialects import mysql

        return mysql.insert(table)
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(table)
