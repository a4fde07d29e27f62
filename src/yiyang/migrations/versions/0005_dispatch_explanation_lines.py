"""dispatch explanations as translatable lines; manual busy override

Decisions stored their explanation as English text; they now store the planner's lines
({"t": template, "p": params}) and are put into words in the reader's language. Old text
becomes one line that has no translation and so shows as it was. Queue items' "explanation"
detail moves the same way. A manual decision records whether the dispatcher overrode the
caregiver being busy.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 18:00:00
"""

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

JSON_TYPE = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")

TO_LINES = {
    "postgresql": (
        "UPDATE dispatch_decision SET explanation_lines = CASE WHEN explanation = '' "
        "THEN '[]'::jsonb ELSE jsonb_build_array(jsonb_build_object("
        "'t', explanation, 'p', '{}'::jsonb)) END",
        "UPDATE dispatch_queue_item SET detail = jsonb_set(detail, '{explanation}', "
        "jsonb_build_array(jsonb_build_object('t', detail->>'explanation', 'p', '{}'::jsonb))) "
        "WHERE jsonb_typeof(detail->'explanation') = 'string'",
    ),
    "sqlite": (
        "UPDATE dispatch_decision SET explanation_lines = CASE WHEN explanation = '' "
        "THEN json('[]') ELSE json_array(json_object('t', explanation, 'p', json('{}'))) END",
        "UPDATE dispatch_queue_item SET detail = json_set(detail, '$.explanation', "
        "json_array(json_object('t', json_extract(detail, '$.explanation'), 'p', json('{}')))) "
        "WHERE json_type(detail, '$.explanation') = 'text'",
    ),
}


def upgrade() -> None:
    with op.batch_alter_table("dispatch_decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("explanation_lines", JSON_TYPE, nullable=True))
        batch_op.add_column(
            sa.Column("busy_overridden", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    for statement in TO_LINES[op.get_bind().dialect.name]:
        op.execute(statement)
    with op.batch_alter_table("dispatch_decision", schema=None) as batch_op:
        batch_op.alter_column("explanation_lines", existing_type=JSON_TYPE, nullable=False)
        batch_op.drop_column("explanation")


def _english(lines: Any) -> str:
    """Lines back to plain English text: templates filled with raw values and codes."""

    def plain(value: Any) -> Any:
        if isinstance(value, dict):
            return value.get("msg") or value.get("time") or ", ".join(value.get("codes", []))
        return value

    out = []
    for row in lines or []:
        params = {k: plain(v) for k, v in (row.get("p") or {}).items()}
        out.append(row["t"] % params if params else row["t"])
    return " ".join(out)


def downgrade() -> None:
    with op.batch_alter_table("dispatch_decision", schema=None) as batch_op:
        batch_op.add_column(sa.Column("explanation", sa.Text(), nullable=False, server_default=""))
    bind = op.get_bind()
    decision = sa.table(
        "dispatch_decision",
        sa.column("id", sa.Integer),
        sa.column("explanation", sa.Text),
        sa.column("explanation_lines", JSON_TYPE),
    )
    for row_id, lines in bind.execute(sa.select(decision.c.id, decision.c.explanation_lines)):
        bind.execute(
            decision.update().where(decision.c.id == row_id).values(explanation=_english(lines))
        )
    queue = sa.table(
        "dispatch_queue_item", sa.column("id", sa.Integer), sa.column("detail", JSON_TYPE)
    )
    for row_id, detail in bind.execute(sa.select(queue.c.id, queue.c.detail)):
        if isinstance(detail, dict) and isinstance(detail.get("explanation"), list):
            changed = dict(detail, explanation=_english(detail["explanation"]))
            bind.execute(queue.update().where(queue.c.id == row_id).values(detail=changed))
    with op.batch_alter_table("dispatch_decision", schema=None) as batch_op:
        batch_op.drop_column("explanation_lines")
        batch_op.drop_column("busy_overridden")
