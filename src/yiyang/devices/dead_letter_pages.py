"""The dead-letter page: what the gateway refused, counted per reason and per device."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from yiyang.devices import message_repository as repo
from yiyang.devices.ingest_words import CHANNEL_LABELS, PERIODS, REASON_LABELS
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.deps import ApiSubject, DbSession, Locale, PageSubject, get_locale
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])
api_router = APIRouter(prefix="/ingest", tags=["ingest"])


def _hours(raw: str | None) -> int:
    """The period asked for; anything but a known choice is the last 24 hours."""
    return int(raw) if raw and raw.isdigit() and int(raw) in PERIODS else 24


class ReasonCountRead(BaseModel):
    """Refused messages of one reason."""

    reason: str
    count: int
    last_at: datetime


class DeviceCountRead(BaseModel):
    """Refused messages of one claimed identity (and its device, when known)."""

    identity: str
    device_id: int | None
    count: int
    last_at: datetime


class DeadLetterCounts(BaseModel):
    """What the gateway refused since `since`."""

    since: datetime
    by_reason: list[ReasonCountRead]
    by_device: list[DeviceCountRead]


def _counts(db: DbSession, subject: Subject, since: datetime) -> DeadLetterCounts:
    return DeadLetterCounts(
        since=since,
        by_reason=[
            ReasonCountRead(reason=c.key, count=c.count, last_at=c.last_at)
            for c in repo.counts_by_reason(db, subject, since)
        ],
        by_device=[
            DeviceCountRead(
                identity=c.identity, device_id=c.device_id, count=c.count, last_at=c.last_at
            )
            for c in repo.counts_by_device(db, subject, since, limit=20)
        ],
    )


@api_router.get("/dead-letters", response_model=DeadLetterCounts)
def dead_letter_counts(
    request: Request, db: DbSession, subject: ApiSubject, hours: int = 24
) -> DeadLetterCounts:
    """Refused device messages in the last 1, 24 or 168 hours, per reason and per device."""
    subject.require(Perm.DEVICE_READ)
    now: datetime = request.app.state.clock()
    return _counts(db, subject, now - timedelta(hours=_hours(str(hours))))


@router.get("/devices/dead-letters", response_class=HTMLResponse)
def dead_letters_page(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """The counts and the latest refused messages, for people who look after devices."""
    subject.require(Perm.DEVICE_READ)
    hours = _hours(request.query_params.get("hours"))
    reason = request.query_params.get("reason", "")
    reason = reason if reason in REASON_LABELS else ""
    now: datetime = request.app.state.clock()
    since = now - timedelta(hours=hours)
    counts = _counts(db, subject, since)
    recent = repo.recent_dead_letters(db, subject, since, reason=reason or None, limit=50)

    def lab(table: dict[str, str]) -> Any:
        return lambda code: translate(locale, table[code]) if code in table else code

    return render(
        request,
        "devices/dead_letters.html",
        {
            "hours": hours,
            "reason": reason,
            "periods": [(h, translate(locale, text)) for h, text in PERIODS.items()],
            "counts": counts,
            "total": sum(c.count for c in counts.by_reason),
            "recent": recent,
            "reason_label": lab(REASON_LABELS),
            "channel_label": lab(CHANNEL_LABELS),
        },
    )
