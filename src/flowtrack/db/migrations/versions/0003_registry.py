"""Registered models, model versions, their tags and aliases.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-26

Written by hand; it must not import flowtrack's table modules (see ``0001_tracking.py`` for the string and
metric-value conventions).
"""

from __future__ import annotations

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
