"""Shapes of login, tokens, accounts and password changes."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from yiyang.kit.types import Name, PlainText, RowId
from yiyang.security.roles import Role


class TokenRequest(BaseModel):
    """Credentials exchanged for an API bearer token."""

    username: Name = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)
    otp: str | None = Field(
        default=None,
        max_length=32,
        description=(
            "For an account with two-factor sign-in: the 6-digit code its authenticator app"
            " shows now, or one of its single-use recovery codes. Without it such an account"
            " gets 401 with the error code `otp_required`; each code is accepted once."
        ),
        examples=["492039"],
    )


class TokenResponse(BaseModel):
    """A bearer token, shown once."""

    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class TokenCreate(BaseModel):
    """A named API token for oneself (a script, an integration)."""

    name: Name = Field(max_length=64, description="What the token is for")


class TokenCreated(BaseModel):
    """A new named API token; the value is shown this once and never again."""

    id: int
    name: str
    access_token: str
    token_type: str = "bearer"
    expires_at: datetime


class TokenRead(BaseModel):
    """One of one's own page sessions or API tokens (never its value)."""

    id: int
    kind: str
    name: str | None
    created_at: datetime
    last_used_at: datetime | None
    expires_at: datetime
    client_address: str | None
    current: bool = Field(description="True for the session or token of this very request")


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

    username: Name = Field(min_length=3, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
    password: str = Field(min_length=1, max_length=256)
    display_name: Name = Field(min_length=1, max_length=64)
    role: Role
    area_code: PlainText | None = None
    provider_id: RowId | None = None
    staff_id: RowId | None = None
    elder_id: RowId | None = None


class UserRead(BaseModel):
    """An account as shown to administrators."""

    id: int
    username: str
    display_name: str
    role: Role
    active: bool


class FamilyLinkBody(BaseModel):
    """How the family member is related to the elder they follow (son, daughter-in-law...)."""

    relationship: PlainText | None = Field(default=None, max_length=32)


class FamilyLinkRead(BaseModel):
    """An elder a family account follows; `current` is the one its pages show now."""

    elder_id: int
    relationship: str | None
    linked_at: datetime
    current: bool
