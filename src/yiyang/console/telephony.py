"""The telephone system's webhook: a call comes in, the operators' consoles pop the caller.

`POST /api/v1/telephony/calls` is signed like our own webhooks (docs/webhooks.md: Standard
Webhooks, HMAC-SHA256 over `id.timestamp.body` with the `whsec_…` secret of
YIYANG_TELEPHONY_SECRET). A good call is stored as a `call.received` event (the call record,
with the number) and goes live to the consoles as its id alone; each console then opens
`/console/calls/{id}`, which looks the number up with the operator's own permissions (the
caller lookup of the work page). A refused call says why (401, 403, 409 or 422), is counted
per reason, and changes nothing else.
"""

from __future__ import annotations

import binascii
import hmac
import logging
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field, ValidationError

from yiyang.console import alarm_repository
from yiyang.console.work_pages import caller_digits, find_callers
from yiyang.devices import message_repository
from yiyang.errors import N_, Conflict, DomainError, Forbidden, Invalid, NotFound, Unauthorized
from yiyang.events import live
from yiyang.events.bus import publish
from yiyang.events.types import Actor, DomainEvent, event_type
from yiyang.ports.webhook import signature
from yiyang.security.roles import Perm
from yiyang.security.subject import system_subject
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.forms import error_message
from yiyang.web.templating import render

log = logging.getLogger(__name__)

api = APIRouter(tags=["telephony"])
pages = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

TOLERANCE_S = 300  # a signature older or newer than this is refused (replays, wrong clocks)
WEBHOOK_ID_MAX = 96
DELIVERIES = "telephony"  # webhook ids are kept with the vendors' deliveries, for a day


@event_type("call.received", "call")
class CallReceived(DomainEvent):
    """The telephone system says a call came in: its id, the calling number's digits and,
    when it knows, the operator whose seat rings."""

    call_id: str
    phone: str
    operator_user_id: int | None = None


live.share(CallReceived, lambda e: {"call_id": e.call_id, "user_id": e.operator_user_id})


class IncomingCall(BaseModel):
    """The body the telephone system posts."""

    call_id: str = Field(min_length=1, max_length=64)
    caller: str = Field(min_length=1, max_length=64, description="The calling number")
    operator_user_id: int | None = Field(
        default=None, description="The user whose seat the call rings at, when known"
    )


class CallAccepted(BaseModel):
    """The answer: the stored call's id, or that it was a repeat of one already stored."""

    id: UUID | None
    duplicate: bool = False


@dataclass
class Gate:
    """What this process counts of the webhook: refusals per reason."""

    refused: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def refuse(self, error: DomainError) -> DomainError:
        """Count a refusal by its code and hand the error back to raise."""
        with self.lock:
            self.refused[error.code] += 1
        log.warning("telephony webhook refused: %s", error.code)
        return error


def gate_of(request: Request) -> Gate:
    """The app's gate (made on first use)."""
    gate: Gate | None = getattr(request.app.state, "telephony_gate", None)
    if gate is None:
        gate = request.app.state.telephony_gate = Gate()
    return gate


def check_signature(secret: str | None, headers: Any, body: bytes, *, now: float) -> str:
    """The webhook id of a correctly signed request, or the refusal (401/403) saying why."""
    if not secret:
        raise Forbidden(
            N_("The telephone system is not set up here (YIYANG_TELEPHONY_SECRET is empty)."),
            code="telephony_not_configured",
        )
    webhook_id = headers.get("webhook-id")
    stamp = headers.get("webhook-timestamp")
    signatures = headers.get("webhook-signature")
    if not (webhook_id and stamp and signatures):
        raise Unauthorized(
            N_("Unsigned request: webhook-id, webhook-timestamp and webhook-signature are needed."),
            code="unsigned",
        )
    try:
        sent_at = int(stamp)
    except ValueError:
        raise Unauthorized(
            N_("webhook-timestamp must be Unix seconds."), code="bad_timestamp"
        ) from None
    if abs(now - sent_at) > TOLERANCE_S:
        raise Unauthorized(
            N_("The signature is over five minutes old or ahead: check the clock, do not replay."),
            code="stale_signature",
        )
    try:
        expected = signature(secret, webhook_id, sent_at, body)
    except (binascii.Error, ValueError):
        raise Forbidden(
            N_("The telephony secret is not a whsec_ secret; set YIYANG_TELEPHONY_SECRET again."),
            code="telephony_not_configured",
        ) from None
    if not any(hmac.compare_digest(expected, s) for s in signatures.split() if s.startswith("v1,")):
        raise Unauthorized(
            N_("The signature does not match: the body was changed or the secret is wrong."),
            code="bad_signature",
        )
    if len(webhook_id) > WEBHOOK_ID_MAX:
        raise Invalid(N_("webhook-id is longer than 96 characters."), code="bad_webhook_id")
    return str(webhook_id)


async def raw_body(request: Request) -> bytes:
    """The body as sent, before any parsing (the signature covers these bytes)."""
    return await request.body()


@api.post("/telephony/calls", status_code=202, response_model=CallAccepted)
def incoming_call(
    request: Request, db: DbSession, body: Annotated[bytes, Depends(raw_body)]
) -> CallAccepted:
    """A call comes in: the consoles of the operators pop the caller's record.

    Signed like docs/webhooks.md with YIYANG_TELEPHONY_SECRET; a repeat of a webhook id
    within five minutes is refused (409), a number that is no phone number is 422.
    """
    gate = gate_of(request)
    clock_now: datetime = request.app.state.clock()
    try:
        webhook_id = check_signature(
            request.app.state.settings.telephony_secret, request.headers, body,
            now=clock_now.timestamp(),
        )  # fmt: skip
        try:
            call = IncomingCall.model_validate_json(body)
        except ValidationError:
            raise Invalid(
                N_("The body must be JSON with call_id and caller (the calling number)."),
                code="bad_body",
            ) from None
        digits = caller_digits(call.caller)
        if not message_repository.claim_delivery(db, DELIVERIES, webhook_id, clock_now):
            raise Conflict(N_("This webhook id was already received."), code="replayed")
    except DomainError as exc:
        raise gate.refuse(exc) from None
    event = CallReceived(
        occurred_at=clock_now,
        actor=Actor.of(system_subject("telephony")),
        call_id=call.call_id,
        phone=digits,
        operator_user_id=call.operator_user_id,
    )
    publish(db, event)
    return CallAccepted(id=event.id)


@pages.get("/console/calls/{call_id}", response_class=HTMLResponse)
def call_pop(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, call_id: UUID
) -> HTMLResponse:
    """The screen-pop: who is calling on this call, looked up with the reader's permissions."""
    subject.require(Perm.ALARM_HANDLE)
    row = alarm_repository.stored_event(db, call_id, CallReceived.TYPE)
    if row is None:
        raise NotFound(N_("No such call."))
    phone = str(row.payload.get("phone", ""))
    context: dict[str, Any] = {"call_at": row.occurred_at, "phone": phone, "callers": None}
    try:
        context["callers"] = find_callers(db, subject, phone, now=request.app.state.clock())
        context["caller_error"] = None
    except Forbidden as exc:
        context["caller_error"] = error_message(locale, exc)
    return render(request, "console/call_pop.html", context)
