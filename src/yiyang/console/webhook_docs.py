"""The webhooks in the OpenAPI document (3.1 `webhooks`): one entry per event type."""

from __future__ import annotations

import inspect
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from fastapi import APIRouter, Header
from pydantic import BaseModel, Field, create_model

import yiyang.orders.events  # noqa: F401  (registers the order and visit event types)
from yiyang.events.types import EVENT_TYPES, Actor, payload_model

DESCRIPTION = """Posted to each subscriber URL whose subscription includes `{type}`.

{doc}

Headers: `webhook-id` and `Idempotency-Key` (the same on every retry: de-duplicate on it),
`webhook-timestamp` (Unix seconds of this try) and `webhook-signature` (`v1,` + base64
HMAC-SHA256 of `webhook-id.webhook-timestamp.body` with the base64-decoded part of the
subscription's `whsec_` secret; the Standard Webhooks scheme). Answer 2xx within 10 s;
anything else is tried again with exponential back-off. See docs/webhooks.md.
"""


class Envelope(BaseModel):
    """What every webhook body carries: the event's context, its payload under `data`."""

    id: UUID = Field(description="The event's id")
    occurred_at: datetime
    actor: Actor = Field(description="The person, or the platform process, that caused it")
    cause_id: UUID | None = Field(description="The id of the event that led to this one")


def _endpoint(model: type[BaseModel]) -> Any:
    def receive(body: Any, idempotency_key: Any) -> None:
        """Documentation only: the subscriber implements this."""

    receive.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [
            inspect.Parameter("body", inspect.Parameter.KEYWORD_ONLY, annotation=model),
            inspect.Parameter(
                "idempotency_key",
                inspect.Parameter.KEYWORD_ONLY,
                annotation=str,
                default=Header(alias="Idempotency-Key"),
            ),
        ]
    )
    return receive


def router() -> APIRouter:
    """A router of documented (never served) webhook operations, for `app.webhooks`."""
    docs = APIRouter()
    for name, cls in sorted(EVENT_TYPES.items()):
        model = create_model(
            f"{cls.__name__}Webhook",
            __base__=Envelope,
            type=(Literal[name], Field(description="The event type")),  # type: ignore[arg-type]
            data=(payload_model(cls), ...),
        )
        docs.add_api_route(
            name,
            _endpoint(model),
            methods=["POST"],
            summary=(cls.__doc__ or name).strip().splitlines()[0],
            description=DESCRIPTION.format(type=name, doc=(cls.__doc__ or "").strip()),
            tags=["webhooks"],
            operation_id=name.replace(".", "_"),
            response_description="Received (any 2xx status)",
        )
    return docs
