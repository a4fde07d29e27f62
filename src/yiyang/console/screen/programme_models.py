"""The programme figures a district administrator sets for the big screen: the month's budget
for government-purchased services, the investment to date, and (when the register does not
hold every device fitted before the platform) the devices fitted. Each change is a new row
from its effective date; none is ever rewritten, so what the screen showed on a day is known.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from yiyang.db import Base, BigId


class ProgrammeFigure(Base):
    """One figure's value from a day on (None: counted from the records instead)."""

    __tablename__ = "programme_figure"
    __table_args__ = (Index("ix_programme_figure_key_from", "key", "effective_from"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    key: Mapped[str] = mapped_column(String(32))
    value: Mapped[int | None] = mapped_column(BigInteger)  # fen for money, a count otherwise
    effective_from: Mapped[date] = mapped_column(Date)
    set_at: Mapped[datetime] = mapped_column()
    set_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    set_by_name: Mapped[str] = mapped_column(String(64))
