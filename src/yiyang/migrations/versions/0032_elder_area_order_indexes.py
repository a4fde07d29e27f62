"""Elder lists of one street or community read in registration order from an index

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-03 11:30:00.000000

A street admin's elder list is `WHERE street_id = ? ORDER BY id LIMIT 20`. With an index on
street_id alone, PostgreSQL walks the primary key from the district's first elder and
filters (about 100,000 rows skipped for a street registered late, 20 ms); (street_id, id)
and (community_id, id) give the page straight from the index. They replace the single-column
indexes, which they cover.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AREAS = ("street_id", "community_id")


def upgrade() -> None:
    for column in AREAS:
        op.create_index(f"ix_elder_{column}_id", "elder", [column, "id"])
        op.drop_index(f"ix_elder_{column}", table_name="elder")


def downgrade() -> None:
    for column in AREAS:
        op.create_index(f"ix_elder_{column}", "elder", [column])
        op.drop_index(f"ix_elder_{column}_id", table_name="elder")
