"""Pydantic shapes of staff in and out: create, update, filter, list item, full record."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from yiyang.registry.facilities.schemas import FacilityRef
from yiyang.registry.providers.schemas import ProviderRef
from yiyang.registry.vocab import Sex, Skill, StaffRole, StaffStatus, TravelMode


class SkillIn(BaseModel):
    """A skill held, at a level from 1 (trainee) to 5 (expert)."""

    skill: Skill
    level: int = Field(default=1, ge=1, le=5)


class SkillOut(BaseModel):
    """A skill as stored."""

    model_config = ConfigDict(from_attributes=True)
    skill: str
    level: int


class CertificateIn(BaseModel):
    """A qualification certificate and its validity."""

    kind: str = Field(min_length=1, max_length=64)
    number: str | None = Field(default=None, max_length=64)
    issued_date: date | None = None
    expires_date: date | None = None


class CertificateOut(CertificateIn):
    """A certificate as stored."""

    model_config = ConfigDict(from_attributes=True)
    id: int


class StaffCreate(BaseModel):
    """A new staff member; with an ID number the sex is derived from it."""

    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=64)
    sex: Sex | None = None
    phone: str = Field(min_length=1, max_length=20)
    id_number: str | None = Field(default=None, max_length=32)
    provider_id: int
    facility_id: int | None = None
    roles: list[StaffRole] = Field(min_length=1, max_length=9)
    travel_mode: TravelMode = TravelMode.EBIKE
    working_pattern: dict[str, list[str]] = Field(default_factory=dict)
    status: StaffStatus = StaffStatus.ACTIVE
    hired_date: date | None = None
    skills: list[SkillIn] = Field(default_factory=list, max_length=30)
    certificates: list[CertificateIn] = Field(default_factory=list, max_length=20)


class StaffUpdate(BaseModel):
    """A partial change; lists given replace the stored ones (the code never changes)."""

    name: str | None = Field(default=None, min_length=1, max_length=64)
    sex: Sex | None = None
    phone: str | None = Field(default=None, min_length=1, max_length=20)
    id_number: str | None = Field(default=None, max_length=32)
    provider_id: int | None = None
    facility_id: int | None = None
    roles: list[StaffRole] | None = Field(default=None, min_length=1, max_length=9)
    travel_mode: TravelMode | None = None
    working_pattern: dict[str, list[str]] | None = None
    status: StaffStatus | None = None
    hired_date: date | None = None
    skills: list[SkillIn] | None = Field(default=None, max_length=30)
    certificates: list[CertificateIn] | None = Field(default=None, max_length=20)


class StaffFilter(BaseModel):
    """List filters; q searches name and phone."""

    q: str | None = Field(default=None, max_length=64)
    provider_id: int | None = None
    facility_id: int | None = None
    role: StaffRole | None = None
    skill: Skill | None = None
    status: StaffStatus | None = None


class StaffListItem(BaseModel):
    """A staff member in a list; the ID number is always masked here."""

    id: int
    code: str
    name: str
    sex: str
    phone: str
    id_number: str | None
    provider: ProviderRef
    facility: FacilityRef | None
    roles: list[str]
    travel_mode: str
    status: str
    skills: list[SkillOut]


class StaffRead(StaffListItem):
    """A staff member's full record (ID number unmasked for writers and the person)."""

    working_pattern: dict[str, list[str]]
    hired_date: date | None
    certificates: list[CertificateOut]
    created_at: datetime
    updated_at: datetime
