"""Each stored verdict names the visit policy it was judged under

Revision ID: 0037
Revises: 0036
Create Date: 2026-12-03 16:00:00.000000

Verdicts stored before this have no policy (NULL): the worker judges them again, a batch at
a time, under the policy it runs with (visits/payment/rejudge.py), rather than assume which
thresholds the process that wrote them had.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("visit_verdict") as batch:
        batch.add_column(sa.Column("policy", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("visit_verdict") as batch:
        batch.drop_column("policy")
