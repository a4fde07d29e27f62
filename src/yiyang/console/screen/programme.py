"""The programme figures of the big screen: set by the district administrator from a day on
(audited), read as they stand on a day, the settings' values until anything was set."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.console.screen import programme_repository as repo
from yiyang.console.screen.programme_models import ProgrammeFigure
from yiyang.errors import N_, Invalid
from yiyang.kit.types import SaneDate
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject

MAX_FEN = 10**14  # a trillion yuan: anything above is a typing slip


class Key(StrEnum):
    """The figures a district sets by hand (the rest are counted from the records)."""

    BUDGET = "budget_month_fen"
    INVESTMENT = "investment_fen"
    FITTED = "devices_fitted"


class FigureIn(BaseModel):
    """A new value from a day on; devices fitted may be left to the register (None)."""

    key: Key
    value: int | None = Field(default=None, ge=0, le=MAX_FEN)
    effective_from: SaneDate


def set_figure(
    session: Session, subject: Subject, data: FigureIn, *, now: datetime
) -> ProgrammeFigure:
    """Record the value from its day on (a month's budget from the month's first day)."""
    subject.require(Perm.SCREEN_FIGURES)
    if data.value is None and data.key is not Key.FITTED:
        raise Invalid(N_("Give the amount in yuan."), field="value", code="required")
    start = data.effective_from
    if data.key is Key.BUDGET:
        start = start.replace(day=1)
    row = ProgrammeFigure(
        key=data.key.value, value=data.value, effective_from=start, set_at=now,
        set_by=subject.user_id, set_by_name=subject.display_name,
    )  # fmt: skip
    session.add(row)
    session.flush()
    audit.record(
        session, subject, "programme_figure", "programme_figure", row.id,
        after={"key": row.key, "value": row.value, "from": start.isoformat()}, at=now,
    )  # fmt: skip
    return row


def current(session: Session, settings: Settings, day: date) -> dict[Key, int | None]:
    """Each figure on `day`: the newest value set for it, else the settings' (None for
    devices fitted: count them)."""
    found = repo.in_force(session, day)
    defaults: dict[Key, int | None] = {
        Key.BUDGET: settings.screen_budget_month_yuan * 100,
        Key.INVESTMENT: settings.screen_investment_yuan * 100,
        Key.FITTED: settings.screen_devices_fitted,
    }
    return {k: found[k.value].value if k.value in found else v for k, v in defaults.items()}
