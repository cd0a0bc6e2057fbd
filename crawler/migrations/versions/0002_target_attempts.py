"""Distributed crawls: how many times a target was handed to a worker.

A target whose worker died is re-queued by the coordinator; `attempts` counts the hand-outs so a page
that keeps killing workers is given up (with an outcome) instead of being re-queued forever.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("targets") as batch:
        batch.add_column(sa.Column("attempts", sa.SmallInteger(), nullable=False, server_default="0"))


def downgrade() -> None:
    with op.batch_alter_table("targets") as batch:
        batch.drop_column("attempts")
