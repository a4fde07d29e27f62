"""service_order.idempotency_hash: the body an Idempotency-Key was first used with

Revision ID: 0013
Revises: 0011
Create Date: 2026-11-26 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("service_order") as batch:
        batch.add_column(sa.Column("idempotency_hash", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("service_order") as batch:
        batch.drop_column("idempotency_hash")
