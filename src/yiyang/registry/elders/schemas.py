"""Pydantic shapes of elders in and out: create, update, filter, list item, full record."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from yiyang.kit.types import LongText, Name, PlainText, SaneDate, SearchText
from yiyang.registry.vocab import (
    AwayReason,
    EconomicStatus,
    ElderStatus,
    LivingSituation,
    Mobility,
    SpecialGroup,
)
from yiyang.security.disclosure import Kind, Sensitive


class ContactIn(BaseModel):
    """An emergency contact as entered; priority is its position in the list."""

    name: Name = Field(min_length=1, max_length=64)
    relationship: Name = Field(min_length=1, max_length=32)
    phone: PlainText = Field(min_length=5, max_length=20)
    has_key: bool = False


class ContactOut(BaseModel):
    """An emergency contact as stored; the phone masked for roles that may not call."""

    model_config = ConfigDict(from_attributes=True)
    priority: int
    name: str
    relationship: str
    phone: Annotated[str, Sensitive(Kind.CONTACT_PHONE)]
    has_key: bool


CONDITIONS_MAX = 500


class ElderBase(BaseModel):
    """Fields shared by create and full read."""

    name: Name = Field(min_length=1, max_length=64)
    phone: PlainText | None = Field(default=None, max_length=20)
    household_registration: PlainText | None = Field(default=None, max_length=256)
    address: PlainText = Field(min_length=1, max_length=256)
    lat: float
    lon: float
    geofence_m: int = Field(default=150, ge=50, le=500)
    living_situation: LivingSituation
    special_groups: list[SpecialGroup] = Field(default_factory=list)
    economic_status: EconomicStatus = EconomicStatus.NONE
    capability_level: int | None = Field(default=None, ge=0, le=4)
    consent_given: bool = False
    consent_date: SaneDate | None = None
    notes: LongText | None = Field(default=None, max_length=2000)
    mobility: Mobility | None = None
    conditions: LongText | None = Field(
        default=None, max_length=CONDITIONS_MAX, description="e.g. diabetes; hip replacement 2024"
    )
    contacts: list[ContactIn] = Field(default_factory=list, max_length=5)


class ElderCreate(ElderBase):
    """A new elder; birth date and sex are derived from the ID number."""

    id_number: PlainText = Field(min_length=1, max_length=32)
    community_code: PlainText = Field(min_length=1, max_length=12)


class ElderUpdate(BaseModel):
    """A partial change; only the fields given are changed."""

    id_number: PlainText | None = Field(default=None, max_length=32)
    community_code: PlainText | None = Field(default=None, max_length=12)
    name: Name | None = Field(default=None, min_length=1, max_length=64)
    phone: PlainText | None = Field(default=None, max_length=20)
    household_registration: PlainText | None = Field(default=None, max_length=256)
    address: PlainText | None = Field(default=None, min_length=1, max_length=256)
    lat: float | None = None
    lon: float | None = None
    geofence_m: int | None = Field(default=None, ge=50, le=500)
    living_situation: LivingSituation | None = None
    special_groups: list[SpecialGroup] | None = None
    economic_status: EconomicStatus | None = None
    capability_level: int | None = Field(default=None, ge=0, le=4)
    consent_given: bool | None = None
    consent_date: SaneDate | None = None
    status: ElderStatus | None = None
    status_date: SaneDate | None = None
    notes: LongText | None = Field(default=None, max_length=2000)
    mobility: Mobility | None = None
    conditions: LongText | None = Field(default=None, max_length=CONDITIONS_MAX)
    contacts: list[ContactIn] | None = Field(default=None, max_length=5)
    version: int | None = Field(
        default=None, ge=0, le=2**31 - 1, description="Optimistic lock: the version read"
    )


class ElderFilter(BaseModel):
    """List filters; q searches the name, a full ID number (an exact lookup, limited per
    hour) and, for roles that see phones, part of the phone number."""

    q: SearchText | None = Field(default=None, max_length=64)
    street_code: PlainText | None = None
    community_code: PlainText | None = None
    living_situation: LivingSituation | None = None
    special_group: SpecialGroup | None = None
    economic_status: EconomicStatus | None = None
    status: ElderStatus | None = None
    age_min: int | None = Field(default=None, ge=0, le=130)
    age_max: int | None = Field(default=None, ge=0, le=130)
    # "community": by street, community and name, so that namesakes sit side by side;
    # none: in registration order.
    sort: Literal["community"] | None = None


class AreaRef(BaseModel):
    """An area as shown next to a record."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str


class ElderListItem(BaseModel):
    """An elder in a list; identity and phone masked unless the role needs them."""

    id: int
    name: str
    sex: str
    age: int
    id_number: Annotated[str, Sensitive(Kind.ELDER_ID_NUMBER)]
    phone: Annotated[str | None, Sensitive(Kind.ELDER_PHONE)]
    address: str
    street: AreaRef
    community: AreaRef
    living_situation: str
    special_groups: list[str]
    economic_status: str
    status: str


class AwayIn(BaseModel):
    """Away from home until a time (at most 180 days ahead), and why."""

    until: datetime = Field(description="When the elder is expected home (with its time zone)")
    reason: AwayReason
    note: PlainText | None = Field(default=None, max_length=200)


class AwayRead(BaseModel):
    """Away from home: until when, and why (the reason is health data for some readers)."""

    until: datetime
    reason: Annotated[str | None, Sensitive(Kind.ELDER_HEALTH)]
    note: Annotated[str | None, Sensitive(Kind.ELDER_HEALTH)]


class AwayState(BaseModel):
    """Whether an elder is away from home now (the answer to marking or ending it)."""

    elder_id: int
    away: AwayRead | None


class ElderRead(BaseModel):
    """An elder's full record (reading it is audited); `birth_date` is null for roles that
    see the ID number masked, since it is part of it."""

    id: int
    id_number: Annotated[str, Sensitive(Kind.ELDER_ID_NUMBER)]
    name: str
    sex: str
    birth_date: Annotated[date | None, Sensitive(Kind.ELDER_BIRTH_DATE)]
    age: int
    phone: Annotated[str | None, Sensitive(Kind.ELDER_PHONE)]
    household_registration: str | None
    address: str
    street: AreaRef
    community: AreaRef
    lat: float
    lon: float
    geofence_m: int
    living_situation: str
    special_groups: list[str]
    economic_status: str
    capability_level: int | None
    risk_tier: str
    consent_given: bool
    consent_date: date | None
    status: str
    status_date: date | None
    notes: str | None
    mobility: Annotated[str | None, Sensitive(Kind.ELDER_HEALTH)]
    conditions: Annotated[str | None, Sensitive(Kind.ELDER_HEALTH)]
    away: AwayRead | None = Field(description="Set while the elder is away from home")
    contacts: list[ContactOut]
    version: int
    created_at: datetime
    updated_at: datetime
