"""The operators' live stream: alarm events (and screen-pops) as server-sent events.

Alarm events are shared with the live hub (alarms/events.py, events/live.py) as their
snapshot: ids, type, status and flags, never a name or a number. A console subscribes to
`/console/alarms/stream` and reloads its queue (the server sorts it within the reader's
scope) when one arrives.
"""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse

from yiyang.events import live
from yiyang.events.live import Envelope, Hub
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.deps import PageSubject, get_locale

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

RETRY_MS = 3000


def wanted_by(subject: Subject) -> live.Scope:
    """Which envelopes a reader's stream carries: alarms inside its data scope, and the calls
    routed to it (or to every console when the telephone system names no operator)."""
    scope = subject.scope

    def wants(envelope: Envelope) -> bool:
        alarm = envelope.get("alarm")
        if isinstance(alarm, dict):
            return scope.covers(
                street_id=alarm.get("street_id"),
                community_id=alarm.get("community_id"),
                elder_id=alarm.get("elder_id"),
            )
        if envelope.get("type") == "call.received":
            target = envelope.get("user_id")
            return target is None or target == subject.user_id
        return False

    return wants


def hub_of(request: Request) -> Hub:
    """The app's live hub (app.py makes one per app)."""
    hub: Hub = request.app.state.hub
    return hub


@router.get("/console/alarms/stream")
async def stream(request: Request, subject: PageSubject) -> StreamingResponse:
    """The live alarm events of the reader's scope: `retry:`, a heartbeat every 15 s, and a
    `resync` when the browser reconnects (Last-Event-ID) or fell behind."""
    subject.require(Perm.ALARM_HANDLE)
    hub = hub_of(request)
    sub = hub.subscribe(wanted_by(subject))
    body = live.sse(
        sub,
        hub,
        retry_ms=RETRY_MS,
        resume=bool(request.headers.get("last-event-id")),
    )
    return StreamingResponse(
        body,
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )
