"""audit hash chain, archive manifests and append-only triggers

Revision ID: 0009
Revises: 0007
Create Date: 2026-11-30 09:00:00.000000

audit_event gets `seq`, `prev_hash` and `row_hash` (filled by the sealer) and indexes for the
audit page's filters; audit_archive records each archive file. Triggers refuse UPDATE and
DELETE on both tables (and TRUNCATE on PostgreSQL), except:
- the sealer filling the chain columns of a still-unsealed row without touching its content
  (on PostgreSQL only with the transaction-local setting yiyang.audit_seal = on);
- the archive job deleting sealed rows that a manifest covers (on PostgreSQL only with
  yiyang.audit_archive = on).
A superuser (or, on SQLite, anyone with the file) can still drop the triggers: the hash chain,
verified by `yiyang audit verify`, and archive files kept elsewhere are what reveal that.
Note for later migrations: a batch (copy-and-move) rebuild of audit_event on SQLite drops its
triggers; create them again afterwards with `create_sqlite_triggers()`.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import yiyang.db

revision: str = "0009"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BigId = sa.BigInteger().with_variant(sa.INTEGER(), "sqlite")
CONTENT = (
    "id", "at", "actor_id", "actor_name", "actor_role", "action", "entity", "entity_id",
    "before", "after", "ip", "detail",
)  # fmt: skip
REFUSED = "audit_event is append-only: rows cannot be changed or deleted"
ARCHIVE_REFUSED = "audit_archive is append-only: manifests cannot be changed or deleted"

PG_FUNCTIONS = f"""
CREATE FUNCTION audit_event_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    IF NEW.seq IS NOT NULL OR NEW.prev_hash IS NOT NULL OR NEW.row_hash IS NOT NULL THEN
      RAISE EXCEPTION 'audit rows are inserted unsealed; only the sealer chains them'
        USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
  ELSIF TG_OP = 'UPDATE' THEN
    IF current_setting('yiyang.audit_seal', true) = 'on'
       AND OLD.seq IS NULL AND NEW.seq IS NOT NULL AND NEW.row_hash IS NOT NULL
       AND (to_jsonb(NEW) - 'seq' - 'prev_hash' - 'row_hash')
           = (to_jsonb(OLD) - 'seq' - 'prev_hash' - 'row_hash') THEN
      RETURN NEW;
    END IF;
  ELSIF TG_OP = 'DELETE' THEN
    IF current_setting('yiyang.audit_archive', true) = 'on' AND OLD.seq IS NOT NULL
       AND EXISTS (SELECT 1 FROM audit_archive a
                   WHERE a.first_seq <= OLD.seq AND a.last_seq >= OLD.seq) THEN
      RETURN OLD;
    END IF;
  END IF;
  RAISE EXCEPTION '{REFUSED}' USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE FUNCTION audit_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION '% is append-only: rows cannot be changed or deleted', TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END $$;
"""

PG_TRIGGERS = (
    "CREATE TRIGGER audit_event_append_only BEFORE INSERT OR UPDATE OR DELETE ON audit_event "
    "FOR EACH ROW EXECUTE FUNCTION audit_event_guard()",
    "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()",
    "CREATE TRIGGER audit_archive_append_only BEFORE UPDATE OR DELETE ON audit_archive "
    "FOR EACH ROW EXECUTE FUNCTION audit_refuse()",
    "CREATE TRIGGER audit_archive_no_truncate BEFORE TRUNCATE ON audit_archive "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_refuse()",
)


def sqlite_triggers() -> tuple[str, ...]:
    """The SQLite triggers (no settings there: the conditions alone decide)."""
    changed = " OR ".join(f'NEW."{c}" IS NOT OLD."{c}"' for c in CONTENT)
    return (
        "CREATE TRIGGER audit_event_insert_unsealed BEFORE INSERT ON audit_event "
        "WHEN NEW.seq IS NOT NULL OR NEW.prev_hash IS NOT NULL OR NEW.row_hash IS NOT NULL "
        "BEGIN SELECT RAISE(ABORT, 'audit rows are inserted unsealed; only the sealer chains "
        "them'); END",
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event "
        f"WHEN OLD.seq IS NOT NULL OR NEW.seq IS NULL OR NEW.row_hash IS NULL OR {changed} "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event "
        "WHEN OLD.seq IS NULL OR NOT EXISTS (SELECT 1 FROM audit_archive a "
        "WHERE a.first_seq <= OLD.seq AND a.last_seq >= OLD.seq) "
        f"BEGIN SELECT RAISE(ABORT, '{REFUSED}'); END",
        "CREATE TRIGGER audit_archive_no_update BEFORE UPDATE ON audit_archive "
        f"BEGIN SELECT RAISE(ABORT, '{ARCHIVE_REFUSED}'); END",
        "CREATE TRIGGER audit_archive_no_delete BEFORE DELETE ON audit_archive "
        f"BEGIN SELECT RAISE(ABORT, '{ARCHIVE_REFUSED}'); END",
    )


SQLITE_TRIGGER_NAMES = (
    "audit_event_insert_unsealed", "audit_event_no_update", "audit_event_no_delete",
    "audit_archive_no_update", "audit_archive_no_delete",
)  # fmt: skip


def create_sqlite_triggers() -> None:
    """(Re)create the SQLite triggers, e.g. after a batch rebuild of audit_event."""
    for statement in sqlite_triggers():
        op.execute(statement)


def upgrade() -> None:
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("row_hash", sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f("ix_audit_event_seq"), ["seq"], unique=True)
        batch_op.create_index(batch_op.f("ix_audit_event_actor_name"), ["actor_name"])
        batch_op.create_index(batch_op.f("ix_audit_event_ip"), ["ip"])
        batch_op.create_index(
            "ix_audit_event_unsealed",
            ["at", "id"],
            postgresql_where=sa.text("seq IS NULL"),
            sqlite_where=sa.text("seq IS NULL"),
        )
    op.create_table(
        "audit_archive",
        sa.Column("id", BigId, nullable=False),
        sa.Column("file_name", sa.String(length=200), nullable=False),
        sa.Column("first_seq", sa.BigInteger(), nullable=False),
        sa.Column("last_seq", sa.BigInteger(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("last_hash", sa.String(length=64), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("first_at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("last_at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("archived_at", yiyang.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_archive")),
        sa.UniqueConstraint("file_name", name=op.f("uq_audit_archive_file_name")),
        sa.UniqueConstraint("first_seq", name=op.f("uq_audit_archive_first_seq")),
        sa.UniqueConstraint("last_seq", name=op.f("uq_audit_archive_last_seq")),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTIONS)
        for statement in PG_TRIGGERS:
            op.execute(statement)
    else:
        create_sqlite_triggers()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_archive_no_truncate ON audit_archive")
        op.execute("DROP TRIGGER IF EXISTS audit_archive_append_only ON audit_archive")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_truncate ON audit_event")
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_refuse()")
        op.execute("DROP FUNCTION IF EXISTS audit_event_guard()")
    else:
        for name in SQLITE_TRIGGER_NAMES:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
    op.drop_table("audit_archive")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_unsealed")
        batch_op.drop_index(batch_op.f("ix_audit_event_ip"))
        batch_op.drop_index(batch_op.f("ix_audit_event_actor_name"))
        batch_op.drop_index(batch_op.f("ix_audit_event_seq"))
        batch_op.drop_column("row_hash")
        batch_op.drop_column("prev_hash")
        batch_op.drop_column("seq")
