"""Shapes of the audit trail: the filter readers narrow it by, and a row as the API returns it."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, Field

from yiyang.kit.types import PlainText, RowId, SaneDate
from yiyang.security.roles import Role

MAX_ID = 2**63 - 1
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)


class AuditFields(BaseModel):
    """Who did what to which record, when (local dates, both ends included) and from where."""

    person: PlainText | None = Field(default=None, min_length=1, max_length=64)
    role: Role | None = None
    action: PlainText | None = Field(default=None, max_length=32, pattern=r"^[a-z][a-z0-9_.]*$")
    entity: PlainText | None = Field(default=None, max_length=32, pattern=r"^[a-z][a-z0-9_]*$")
    entity_id: RowId | None = Field(default=None, ge=1, le=MAX_ID)
    date_from: SaneDate | None = Field(default=None, ge=FIRST_DAY, le=LAST_DAY)
    date_to: SaneDate | None = Field(default=None, ge=FIRST_DAY, le=LAST_DAY)
    ip: PlainText | None = Field(default=None, max_length=45, pattern=r"^[0-9A-Fa-f:.]+$")


class AuditFilter(AuditFields):
    """The filter the service applies; an elder search arrives as the ids it found."""

    entity_ids: list[int] | None = Field(default=None, max_length=500)


class AuditEntry(BaseModel):
    """One audit row for API readers: codes with their words, before/after masked by role."""

    id: int
    seq: int | None = Field(description="Place in the hash chain; empty until sealed")
    at: datetime
    actor_id: int | None
    actor_name: str = Field(description="User name at the time (typed name for failed logins)")
    actor_display_name: str | None
    actor_role: str
    actor_role_label: str
    action: str
    action_label: str
    entity: str
    entity_label: str
    entity_id: int | None
    entity_name: str | None
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    ip: str | None
    detail: str | None
    prev_hash: str | None
    row_hash: str | None
