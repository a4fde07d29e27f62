"""Pydantic shapes of staff in and out: create, update, filter, list item, full record."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from yiyang.kit.types import Name, PlainText, RowId, SaneDate, SearchText
from yiyang.registry.facilities.schemas import FacilityRef
from yiyang.registry.providers.schemas import ProviderRef
from yiyang.registry.vocab import Sex, Skill, StaffRole, StaffStatus, TravelMode
from yiyang.security.disclosure import Kind, Sensitive


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

    kind: PlainText = Field(min_length=1, max_length=64)
    number: PlainText | None = Field(default=None, max_length=64)
    issued_date: SaneDate | None = None
    expires_date: SaneDate | None = None


class CertificateOut(BaseModel):
    """A certificate as stored (read as it is: rows older than the input rules still read)."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    kind: str
    number: str | None = None
    issued_date: date | None = None
    expires_date: date | None = None


class StaffCreate(BaseModel):
    """A new staff member; with an ID number the sex is derived from it."""

    code: PlainText = Field(min_length=1, max_length=32)
    name: Name = Field(min_length=1, max_length=64)
    sex: Sex | None = None
    phone: PlainText = Field(min_length=1, max_length=20)
    id_number: PlainText | None = Field(default=None, max_length=32)
    provider_id: RowId
    facility_id: RowId | None = None
    roles: list[StaffRole] = Field(min_length=1, max_length=9)
    travel_mode: TravelMode = TravelMode.EBIKE
    working_pattern: dict[str, list[str]] = Field(default_factory=dict)
    status: StaffStatus = StaffStatus.ACTIVE
    hired_date: SaneDate | None = None
    skills: list[SkillIn] = Field(default_factory=list, max_length=30)
    certificates: list[CertificateIn] = Field(default_factory=list, max_length=20)


class StaffUpdate(BaseModel):
    """A partial change; lists given replace the stored ones (the code never changes)."""

    name: Name | None = Field(default=None, min_length=1, max_length=64)
    sex: Sex | None = None
    phone: PlainText | None = Field(default=None, min_length=1, max_length=20)
    id_number: PlainText | None = Field(default=None, max_length=32)
    provider_id: RowId | None = None
    facility_id: RowId | None = None
    roles: list[StaffRole] | None = Field(default=None, min_length=1, max_length=9)
    travel_mode: TravelMode | None = None
    working_pattern: dict[str, list[str]] | None = None
    status: StaffStatus | None = None
    hired_date: SaneDate | None = None
    skills: list[SkillIn] | None = Field(default=None, max_length=30)
    certificates: list[CertificateIn] | None = Field(default=None, max_length=20)


class StaffFilter(BaseModel):
    """List filters; q searches name and phone."""

    q: SearchText | None = Field(default=None, max_length=64)
    provider_id: RowId | None = None
    facility_id: RowId | None = None
    role: StaffRole | None = None
    skill: Skill | None = None
    status: StaffStatus | None = None


class StaffListItem(BaseModel):
    """A staff member in a list; phone and ID number masked unless the role needs them."""

    id: int
    code: str
    name: str
    sex: str
    phone: Annotated[str, Sensitive(Kind.STAFF_PHONE)]
    id_number: Annotated[str | None, Sensitive(Kind.STAFF_ID_NUMBER)]
    provider: ProviderRef
    facility: FacilityRef | None
    roles: list[str]
    travel_mode: str
    status: str
    skills: list[SkillOut]


class StaffRead(StaffListItem):
    """A staff member's full record, masked as in lists (the person sees their own)."""

    working_pattern: dict[str, list[str]]
    hired_date: date | None
    certificates: list[CertificateOut]
    created_at: datetime
    updated_at: datetime
