"""Each flow run records the lease its process promised to heartbeat within.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-26

Readers used to judge every run by their own lease setting; a reader with a shorter lease than a writer's
heartbeat interval read live runs as CRASHED. Existing rows keep NULL and are still judged by the reader's.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | tuple[str, ...] | None = None
depends_on: str | tuple[str, ...] | None = None


def upgrade() -> None:
    op.add_column("flow_runs", sa.Column("lease_ms", sa.BigInteger, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("flow_runs") as batch:
        batch.drop_column("lease_ms")
