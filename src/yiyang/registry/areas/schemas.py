"""Pydantic shapes of the area tree: an area, and an area with its children."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from yiyang.kit.types import PlainText
from yiyang.registry.vocab import AreaLevel


class AreaFilter(BaseModel):
    """List filters: a level and/or the code of the parent area."""

    level: AreaLevel | None = None
    parent_code: PlainText | None = Field(default=None, max_length=12)


class AreaOut(BaseModel):
    """One node of the district → street → community tree."""

    model_config = ConfigDict(from_attributes=True)
    id: int
    code: str
    name: str
    level: str
    parent_code: str | None = None


class AreaDetail(AreaOut):
    """An area with its direct children (streets of a district, communities of a street)."""

    children: list[AreaOut]
