"""A covering index of the active elders for the big screen's reads of the register

Revision ID: 0041
Revises: 0040
Create Date: 2026-12-04 19:10:00.000000

On PostgreSQL: the choropleth's count of elders alike (street, age, living situation,
economic status, capability level) and the 15-minute circle's homes (street, lat, lon) read
every active elder; with this index they read it (16 MB at 200,000 elders) instead of the
table (116 MB), by an index-only scan. SQLite keeps its plain indexes.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0041"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE INDEX ix_elder_active_screen ON elder (street_id, birth_date,"
            " living_situation, economic_status, capability_level) INCLUDE (id, lat, lon)"
            " WHERE status = 'active'"
        )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_elder_active_screen")
