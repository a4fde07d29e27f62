"""The account form as an administrator fills it: bindings by the codes people know."""

from __future__ import annotations

from pydantic import BaseModel, Field

from yiyang.kit.types import Name, PlainText, RowId
from yiyang.security.roles import Role


class AccountOpen(BaseModel):
    """A new account; the street, community, provider, staff code or elder's ID number
    its role needs (the others are ignored). The password is made for it."""

    username: Name = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    display_name: Name = Field(min_length=1, max_length=64)
    role: Role
    street_code: PlainText | None = Field(default=None, max_length=32)
    community_code: PlainText | None = Field(default=None, max_length=32)
    provider_id: RowId | None = None
    staff_code: PlainText | None = Field(default=None, max_length=32)
    elder_id_number: PlainText | None = Field(default=None, max_length=32)
