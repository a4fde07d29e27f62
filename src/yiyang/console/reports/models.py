"""Issued monthly reports: the figures of a month as the bureau issued them, frozen.

A report is issued once its month is over; issuing again (a late correction) appends the next
version with its reason and never rewrites an earlier one. Each version keeps the report as
it read then in every language of the product, so that what was issued is what is shown.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from yiyang.db import Base, BigId, Json


class IssuedReport(Base):
    """One version of a month's report for the district, a street or a provider."""

    __tablename__ = "issued_report"
    __table_args__ = (UniqueConstraint("month", "scope_key", "version"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    # The street's id and the provider's id ("-" for none): one key, never NULL, so that
    # the unique version per month and scope holds for the whole district too.
    scope_key: Mapped[str] = mapped_column(String(48))
    version: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column()
    issued_by: Mapped[int | None] = mapped_column(ForeignKey("user_account.id"))
    issued_by_name: Mapped[str] = mapped_column(String(64))
    reason: Mapped[str | None] = mapped_column(String(200))
    content: Mapped[dict[str, Any]] = mapped_column(Json)  # {locale: the report as data}
