"""Shapes of subsidy policies in and out: a new version, a retirement, a version read."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from yiyang.kit.types import LongText, Name, PlainText, SaneDate
from yiyang.registry.vocab import EconomicStatus, LivingSituation, SpecialGroup

Yuan = Decimal


class ClauseIn(BaseModel):
    """One way to be eligible: every condition given must hold (empty lists: no condition)."""

    special_groups: list[SpecialGroup] = Field(default=[], max_length=7)
    economic_statuses: list[EconomicStatus] = Field(default=[], max_length=5)
    living_situations: list[LivingSituation] = Field(default=[], max_length=6)
    min_age: int | None = Field(default=None, ge=0, le=130)
    min_capability_level: int | None = Field(default=None, ge=0, le=4)

    def stored(self) -> dict[str, Any]:
        """The clause as the policy row keeps it (only the conditions given)."""
        return {k: v for k, v in self.model_dump(mode="json").items() if v not in (None, [])}


class PolicyVersionIn(BaseModel):
    """A new version of a policy, in force from `effective_date` (today or later)."""

    name: Name = Field(min_length=1, max_length=128)
    name_en: PlainText = Field(min_length=1, max_length=128)
    effective_date: SaneDate
    eligibility: list[ClauseIn] = Field(default=[], max_length=8)
    item_codes: list[PlainText] = Field(default=[], max_length=60)
    share_percent: int = Field(default=100, ge=0, le=100)
    per_order_cap_yuan: Yuan | None = Field(default=None, ge=0, le=100_000, decimal_places=2)
    monthly_quota_yuan: Yuan | None = Field(default=None, ge=0, le=100_000, decimal_places=2)
    monthly_quota_count: int | None = Field(default=None, ge=0, le=1000)
    weekly_quota_count: int | None = Field(default=None, ge=0, le=1000)
    priority: int = Field(default=0, ge=0, le=100)
    notes: LongText | None = Field(default=None, max_length=2000)


class PolicyCreate(PolicyVersionIn):
    """A policy new to the district: its code names every later version."""

    code: PlainText = Field(min_length=3, max_length=48, pattern=r"^[a-z][a-z0-9_]+$")


class PolicyRetire(BaseModel):
    """End a policy from a date (today or later): a retired version, history unchanged."""

    effective_date: SaneDate


class PolicyVersionRead(BaseModel):
    """One stored version."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    code: str
    name: str
    name_en: str | None
    effective_date: date
    end_date: date | None
    retired: bool
    eligibility: list[dict[str, Any]]
    item_codes: list[str]
    share_percent: int
    per_order_cap_fen: int | None
    monthly_quota_fen: int | None
    monthly_quota_count: int | None
    weekly_quota_count: int | None
    priority: int
    notes: str | None
    created_at: datetime


class PolicySummary(BaseModel):
    """A policy on the list: the version in force today, the next planned, how many in all."""

    code: str
    current: PolicyVersionRead | None
    upcoming: PolicyVersionRead | None
    latest: PolicyVersionRead
    versions: int
    state: str  # in_force, planned, retired
