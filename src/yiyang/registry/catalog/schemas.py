"""Pydantic shapes of the service catalog: categories, items, price versions."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from yiyang.kit.types import PlainText, SaneDate
from yiyang.registry.vocab import Skill


class CategoryOut(BaseModel):
    """A GB/T 43153-2023 service category."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name_zh: str
    name_en: str
    sort: int


class PriceIn(BaseModel):
    """A price version: from this date on, the item costs this much and takes this long."""

    effective_date: SaneDate
    price_fen: int = Field(ge=0, le=100_000_000)
    standard_minutes: int = Field(gt=0, le=24 * 60)


class PriceOut(BaseModel):
    """A stored price version (read as it is: rows older than the input rules still read)."""

    model_config = ConfigDict(from_attributes=True)
    effective_date: date
    price_fen: int
    standard_minutes: int
    created_at: datetime


class ItemCreate(BaseModel):
    """A new service item with its first price version."""

    code: PlainText = Field(min_length=1, max_length=32)
    category_code: PlainText = Field(min_length=1, max_length=32)
    name_zh: PlainText = Field(min_length=1, max_length=64)
    name_en: PlainText = Field(min_length=1, max_length=64)
    unit: PlainText = Field(default="visit", min_length=1, max_length=16)
    required_skills: list[Skill] = Field(default_factory=list, max_length=10)
    government_purchasable: bool = False
    home_visit: bool = True
    active: bool = True
    price: PriceIn


class ItemUpdate(BaseModel):
    """A partial change of an item's description (prices change only by new versions)."""

    category_code: PlainText | None = Field(default=None, min_length=1, max_length=32)
    name_zh: PlainText | None = Field(default=None, min_length=1, max_length=64)
    name_en: PlainText | None = Field(default=None, min_length=1, max_length=64)
    unit: PlainText | None = Field(default=None, min_length=1, max_length=16)
    required_skills: list[Skill] | None = Field(default=None, max_length=10)
    government_purchasable: bool | None = None
    home_visit: bool | None = None
    active: bool | None = None


class ItemFilter(BaseModel):
    """List filters; `on` is the date whose prices are shown (default: today in China)."""

    category: PlainText | None = Field(default=None, max_length=32)
    government_purchasable: bool | None = None
    active: bool | None = None
    on: SaneDate | None = None


class CategoryRef(BaseModel):
    """A category as shown next to an item."""

    code: str
    name_zh: str
    name_en: str


class ItemRef(BaseModel):
    """An item as a choice in a filter: its code and names."""

    code: str
    name_zh: str
    name_en: str


class ItemListItem(BaseModel):
    """An item with the price and standard minutes in force on the date asked for."""

    id: int
    code: str
    category: CategoryRef
    name_zh: str
    name_en: str
    unit: str
    required_skills: list[str]
    government_purchasable: bool
    home_visit: bool
    active: bool
    on: date
    price_fen: int | None
    standard_minutes: int | None
    price_effective_date: date | None


class ItemRead(ItemListItem):
    """An item with its whole price history, oldest first."""

    prices: list[PriceOut]
