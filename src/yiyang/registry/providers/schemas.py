"""Pydantic shapes of providers in and out: create, update, filter, read."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from yiyang.kit.types import Name, PlainText, SearchText


class ProviderCreate(BaseModel):
    """A new service organisation."""

    code: PlainText = Field(min_length=1, max_length=32)
    name: Name = Field(min_length=1, max_length=128)
    credit_code: PlainText | None = Field(default=None, max_length=24)
    contact_name: Name | None = Field(default=None, max_length=64)
    phone: PlainText | None = Field(default=None, max_length=20)
    address: PlainText | None = Field(default=None, max_length=256)
    active: bool = True


class ProviderUpdate(BaseModel):
    """A partial change; only the fields given are changed (the code never changes)."""

    name: Name | None = Field(default=None, min_length=1, max_length=128)
    credit_code: PlainText | None = Field(default=None, max_length=24)
    contact_name: Name | None = Field(default=None, max_length=64)
    phone: PlainText | None = Field(default=None, max_length=20)
    address: PlainText | None = Field(default=None, max_length=256)
    active: bool | None = None


class ProviderFilter(BaseModel):
    """List filters; q searches name, code and credit code."""

    q: SearchText | None = Field(default=None, max_length=64)
    active: bool | None = None


class ProviderRef(BaseModel):
    """A provider as shown next to a facility or a staff member."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str


class ProviderRead(BaseModel):
    """A provider's record."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    credit_code: str | None
    contact_name: str | None
    phone: str | None
    address: str | None
    active: bool
    created_at: datetime
