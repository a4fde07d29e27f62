"""Family accounts follow several elders

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-02 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yiyang.db

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "family_link",
        sa.Column("id", _ID, autoincrement=True, nullable=False),
        sa.Column("user_id", _ID, nullable=False),
        sa.Column("elder_id", _ID, nullable=False),
        sa.Column("relationship", sa.String(length=32), nullable=True),
        sa.Column("linked_at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user_account.id"],
            name=op.f("fk_family_link_user_id_user_account"), ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["elder_id"], ["elder.id"],
            name=op.f("fk_family_link_elder_id_elder"), ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_family_link")),
        sa.UniqueConstraint("user_id", "elder_id", name=op.f("uq_family_link_user_id_elder_id")),
    )  # fmt: skip
    op.create_index(op.f("ix_family_link_user_id"), "family_link", ["user_id"])
    op.create_index(op.f("ix_family_link_elder_id"), "family_link", ["elder_id"])
    # Every family account so far followed the one elder it was bound to.
    op.execute(
        "INSERT INTO family_link (user_id, elder_id, linked_at) "
        "SELECT id, elder_id, created_at FROM user_account "
        "WHERE role = 'family' AND elder_id IS NOT NULL"
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_family_link_elder_id"), table_name="family_link")
    op.drop_index(op.f("ix_family_link_user_id"), table_name="family_link")
    op.drop_table("family_link")
