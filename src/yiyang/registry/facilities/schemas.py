"""Pydantic shapes of facilities in and out: create, update, filter, read."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from yiyang.kit.types import Name, PlainText, RowId, SearchText
from yiyang.registry.elders.schemas import AreaRef
from yiyang.registry.providers.schemas import ProviderRef
from yiyang.registry.vocab import FacilityKind


class FacilityCreate(BaseModel):
    """A new facility; opening hours map weekdays (mon..sun) to ["HH:MM", "HH:MM"]."""

    code: PlainText = Field(min_length=1, max_length=32)
    name: Name = Field(min_length=1, max_length=128)
    kind: FacilityKind
    street_code: PlainText = Field(min_length=1, max_length=12)
    community_code: PlainText | None = Field(default=None, max_length=12)
    provider_id: RowId | None = None
    address: PlainText = Field(min_length=1, max_length=256)
    lat: float
    lon: float
    phone: PlainText | None = Field(default=None, max_length=20)
    beds_long_stay: int = Field(default=0, ge=0, le=100_000)
    day_places: int = Field(default=0, ge=0, le=100_000)
    meals_per_day: int = Field(default=0, ge=0, le=100_000)
    opening_hours: dict[str, list[str]] = Field(default_factory=dict)
    active: bool = True


class FacilityUpdate(BaseModel):
    """A partial change; only the fields given are changed (the code never changes)."""

    name: Name | None = Field(default=None, min_length=1, max_length=128)
    kind: FacilityKind | None = None
    street_code: PlainText | None = Field(default=None, max_length=12)
    community_code: PlainText | None = Field(default=None, max_length=12)
    provider_id: RowId | None = None
    address: PlainText | None = Field(default=None, min_length=1, max_length=256)
    lat: float | None = None
    lon: float | None = None
    phone: PlainText | None = Field(default=None, max_length=20)
    beds_long_stay: int | None = Field(default=None, ge=0, le=100_000)
    day_places: int | None = Field(default=None, ge=0, le=100_000)
    meals_per_day: int | None = Field(default=None, ge=0, le=100_000)
    opening_hours: dict[str, list[str]] | None = None
    active: bool | None = None


class FacilityFilter(BaseModel):
    """List filters; q searches name and address."""

    q: SearchText | None = Field(default=None, max_length=64)
    kind: FacilityKind | None = None
    street_code: PlainText | None = Field(default=None, max_length=12)
    community_code: PlainText | None = Field(default=None, max_length=12)
    provider_id: RowId | None = None
    active: bool | None = None
    offers: Literal["beds", "day_places", "meals"] | None = None  # what it has room for
    min_capacity: int | None = Field(default=None, ge=0, le=100_000)  # of that (or of any)


class FacilityRef(BaseModel):
    """A facility as shown next to a staff member."""

    id: int
    code: str
    name: str
    street_id: int


class FacilityRead(BaseModel):
    """A facility's record (the same shape in lists: nothing in it is sensitive)."""

    id: int
    code: str
    name: str
    kind: str
    street: AreaRef
    community: AreaRef | None
    provider: ProviderRef | None
    address: str
    lat: float
    lon: float
    phone: str | None
    beds_long_stay: int
    day_places: int
    meals_per_day: int
    opening_hours: dict[str, list[str]]
    active: bool
    created_at: datetime
    updated_at: datetime
