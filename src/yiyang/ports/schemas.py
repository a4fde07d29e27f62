"""Shapes of webhook subscriptions in and out (the secret is shown once, on creation)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from yiyang.kit.types import LongText, PlainText

EventType = Annotated[PlainText, Field(min_length=1, max_length=64)]


class WebhookCreate(BaseModel):
    """A new subscription: where to post and which event types."""

    url: HttpUrl = Field(description="http(s) URL the events are posted to")
    event_types: list[EventType] = Field(
        min_length=1, max_length=64, description="e.g. visit.checked_in"
    )
    description: LongText | None = Field(default=None, max_length=200)


class WebhookUpdate(BaseModel):
    """Change a subscription; fields left out stay as they are."""

    url: HttpUrl | None = None
    event_types: list[EventType] | None = Field(default=None, min_length=1, max_length=64)
    description: LongText | None = Field(default=None, max_length=200)
    active: bool | None = None


class WebhookRead(BaseModel):
    """A subscription as listed (never with its secret)."""

    model_config = ConfigDict(from_attributes=True)

    id: int
    url: str
    event_types: list[EventType]
    description: str | None
    active: bool
    created_at: datetime
    updated_at: datetime


class WebhookCreated(WebhookRead):
    """The new subscription with its signing secret: store it now, it is never shown again."""

    secret: str
