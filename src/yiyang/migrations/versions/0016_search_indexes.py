"""Search indexes for elders (pg_trgm on PostgreSQL) and the caregiver picture's version

Revision ID: 0016
Revises: 0013
Create Date: 2026-12-01 17:30:00.000000

On PostgreSQL: pg_trgm (when the server has it) and trigram GIN indexes on elder.name and
elder.phone, so that part of a name (three characters or more) or of a phone number is an
index search, not a scan of every elder. SQLite keeps its plain indexes.

Both databases: dispatch_picture, one row whose token changes, by trigger, with every write
to staff, staff_skill and facility, in the writing transaction (ADR 0007). A random token,
not a counter: a rolled-back write cannot leave behind a value a later write repeats.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATCHED = ("staff", "staff_skill", "facility")
TRIGRAM = {"ix_elder_name_trgm": "name", "ix_elder_phone_trgm": "phone"}


def _has_trigrams(bind: sa.Connection) -> bool:
    """pg_trgm installed here, or installable by us; False (and nothing done) otherwise."""
    available = bind.scalar(
        sa.text("SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_trgm'")
    )
    if not available:
        return False
    try:
        with bind.begin_nested():
            bind.execute(sa.text("CREATE EXTENSION IF NOT EXISTS pg_trgm"))
    except sa.exc.DBAPIError:  # no privilege to create it: the plain indexes stay
        return False
    return True


def upgrade() -> None:
    bind = op.get_bind()
    op.create_table(
        "dispatch_picture",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("token", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dispatch_picture")),
    )
    op.execute("INSERT INTO dispatch_picture (id, token) VALUES (1, 0)")
    if bind.dialect.name == "postgresql":
        if _has_trigrams(bind):
            for name, column in TRIGRAM.items():
                op.execute(f"CREATE INDEX {name} ON elder USING gin ({column} gin_trgm_ops)")
        op.execute(
            """
            CREATE FUNCTION dispatch_picture_changed() RETURNS trigger AS $$
            BEGIN
              UPDATE dispatch_picture SET token = (random() * 9e15)::bigint WHERE id = 1;
              RETURN NULL;
            END $$ LANGUAGE plpgsql
            """
        )
        for table in WATCHED:
            op.execute(
                f"CREATE TRIGGER {table}_picture AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE"
                f" ON {table} FOR EACH STATEMENT EXECUTE FUNCTION dispatch_picture_changed()"
            )
    else:
        for table in WATCHED:
            for what in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f"CREATE TRIGGER {table}_picture_{what.lower()} AFTER {what} ON {table}"
                    " BEGIN UPDATE dispatch_picture SET token = random() WHERE id = 1; END"
                )


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_picture ON {table}")
        op.execute("DROP FUNCTION IF EXISTS dispatch_picture_changed()")
        for name in TRIGRAM:
            op.execute(f"DROP INDEX IF EXISTS {name}")
    else:
        for table in WATCHED:
            for what in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER IF EXISTS {table}_picture_{what}")
    op.drop_table("dispatch_picture")
