"""The gateway's HTTP doors in `serve`: devices posting house messages, vendor-cloud webhooks.

Neither uses the session cookie, so neither needs (or has) a CSRF token: a device proves
itself with its own token as Bearer, a vendor cloud with an HMAC signature over the body;
a browser's cookies give no access to either door.
"""

from __future__ import annotations

import threading
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from yiyang.ingest.pipeline import Gateway, Outcome
from yiyang.protocols import signing
from yiyang.protocols.reasons import Reason

router = APIRouter(prefix="/ingest", tags=["ingest"])

STATUS_OF: dict[str, int] = {
    Reason.UNPARSEABLE: 400,
    Reason.BAD_TOKEN: 401,
    Reason.UNKNOWN_DEVICE: 401,
    Reason.BAD_SIGNATURE: 401,
    Reason.STALE_SIGNATURE: 401,
    Reason.RETIRED_DEVICE: 403,
    Reason.UNKNOWN_VENDOR: 404,
    Reason.REPLAY: 409,
    Reason.RATE_LIMITED: 429,
    Reason.FAILED: 503,
}


class IngestResult(BaseModel):
    """What became of a posted message (or of each event of a vendor batch)."""

    status: str
    reason: str | None = None
    detail: str | None = None
    alarm_ids: list[int] = []
    parts: list[IngestResult] = []


def _result(outcome: Outcome) -> IngestResult:
    return IngestResult(
        status=outcome.status,
        reason=outcome.reason,
        detail=outcome.detail,
        alarm_ids=list(outcome.alarm_ids),
        parts=[_result(p) for p in outcome.parts],
    )


def _answer(outcome: Outcome) -> JSONResponse:
    if outcome.accepted or outcome.status in {"accepted", "partial"}:
        code = 202
    elif not outcome.ack:
        code = 503
    else:
        code = STATUS_OF.get(outcome.reason or "", 422)
    headers = {"Retry-After": "60"} if code in {429, 503} else None
    body: dict[str, Any] = _result(outcome).model_dump()
    return JSONResponse(body, status_code=code, headers=headers)


_made = threading.Lock()


def _gateway(request: Request) -> Gateway:
    """The app's gateway, made on first use (after tests may have swapped the session factory)."""
    state = request.app.state
    gateway: Gateway | None = getattr(state, "gateway", None)
    if gateway is None:
        with _made:
            gateway = getattr(state, "gateway", None)
            if gateway is None:
                gateway = Gateway(state.session_factory, state.settings, state.clock)
                state.gateway = gateway
    return gateway


def _bearer(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


RESPONSES: dict[int | str, dict[str, Any]] = {
    code: {"model": IngestResult, "description": "refused; stored as a dead letter"}
    for code in (400, 401, 403, 404, 409, 422, 429, 503)
}


@router.post("/messages", status_code=202, response_model=IngestResult, responses=RESPONSES)
async def post_message(request: Request) -> JSONResponse:
    """A device's message in the house scheme (docs/devices.md), its token as Bearer."""
    raw = await request.body()
    outcome = await run_in_threadpool(_gateway(request).http, raw, _bearer(request))
    return _answer(outcome)


@router.post("/vendors/{vendor}", status_code=202, response_model=IngestResult, responses=RESPONSES)
async def post_vendor_batch(vendor: str, request: Request) -> JSONResponse:
    """A vendor cloud's signed batch of events (HMAC-SHA256, timestamp window, delivery id)."""
    raw = await request.body()
    headers = request.headers
    outcome = await run_in_threadpool(
        lambda: _gateway(request).webhook(
            vendor[:32],
            raw,
            timestamp=headers.get(signing.TIMESTAMP),
            signature=headers.get(signing.SIGNATURE),
            delivery_id=headers.get(signing.DELIVERY),
        )
    )
    return _answer(outcome)
