"""Column types shared by every domain's tables, so strings compare alike in all of them."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine


class BinaryString(TypeDecorator[str]):
    """VARCHAR compared and sorted by code point (case- and trailing-space-sensitive) on every database."""

    impl = sa.String
    cache_ok = True

    def __init__(self, length: int) -> None:
        super().__init__(length)
        self.length = length

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        return dialect.type_descriptor(sa.String(self.length, collation=binary_collation(dialect)))


def binary_collation(dialect: Dialect) -> str | None:
    if dialect.name == "postgresql":
        return "C"
    if dialect.name in ("mysql", "mariadb"):
        return "utf8mb4_nopad_bin" if getattr(dialect, "is_mariadb", False) else "utf8mb4_0900_bin"
    return None


def long_text() -> TypeEngine[str]:
    """TEXT, as MEDIUMTEXT on MySQL/MariaDB, whose TEXT stops at 64 KiB."""
    return sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
