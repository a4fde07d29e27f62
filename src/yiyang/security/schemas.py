"""Shapes of login, tokens, accounts and password changes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from yiyang.security.roles import Role


class TokenRequest(BaseModel):
    """Credentials exchanged for an API bearer token."""

    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class TokenResponse(BaseModel):
    """A bearer token, shown once."""

    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class PasswordChange(BaseModel):
    """One's own password change."""

    current_password: str = Field(min_length=1, max_length=256)
    new_password: str = Field(min_length=1, max_length=256)


class Me(BaseModel):
    """Who the caller is and what their scope is."""

    user_id: int | None
    username: str
    display_name: str
    role: Role
    street_id: int | None
    community_id: int | None
    provider_id: int | None
    staff_id: int | None
    elder_id: int | None
    permissions: list[str]


class UserCreate(BaseModel):
    """A new account with the binding its role needs."""

    username: str = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    password: str = Field(min_length=1, max_length=256)
    display_name: str = Field(min_length=1, max_length=64)
    role: Role
    area_code: str | None = None
    provider_id: int | None = None
    staff_id: int | None = None
    elder_id: int | None = None


class UserRead(BaseModel):
    """An account as shown to administrators."""

    id: int
    username: str
    display_name: str
    role: Role
    active: bool
