"""Page parameters and page results shared by every list endpoint."""

from __future__ import annotations

from typing import Generic, TypeVar

from pydantic import BaseModel, Field

from yiyang.kit.types import MAX_PAGE, MAX_PAGE_SIZE

T = TypeVar("T")


class PageParams(BaseModel):
    """1-based page number and page size, bounded so a list can never dump a whole table."""

    page: int = Field(default=1, ge=1, le=MAX_PAGE)
    size: int = Field(default=50, ge=1, le=MAX_PAGE_SIZE)

    @property
    def offset(self) -> int:
        """Rows to skip."""
        return (self.page - 1) * self.size


class Page(BaseModel, Generic[T]):
    """One page of results and the total count matching the filter (with `more`, a count
    that stopped at `total`: at least that many match)."""

    items: list[T]
    total: int
    page: int
    size: int
    more: bool = False
