"""The supervisors' alarm screen: queue depth, today's answer times against the targets,
each operator's load and the review tickets still open (alarms/figures.py).

The page follows the same live stream as the queue and reloads its figures when an alarm
changes; the telephone webhook's refusals of this process are counted beside them.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from sqlalchemy.orm import Session

from yiyang.alarms import figures
from yiyang.console.alarm_pages import labels
from yiyang.console.telephony import gate_of
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, Locale, PageSubject, get_locale
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])


def _context(request: Request, db: Session, subject: Subject, locale: str) -> dict[str, Any]:
    subject.require(Perm.ALARM_SUPERVISE)
    now: datetime = request.app.state.clock()
    return labels(locale) | {
        "figures": figures.figures(db, subject, now=now),
        "refused": dict(gate_of(request).refused),
    }


@router.get("/console/alarms/supervision", response_class=HTMLResponse)
def supervision(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """Queue depth, answer-time compliance today, operators' load, open review tickets."""
    return render(request, "console/alarm_supervision.html", _context(request, db, subject, locale))


@router.get("/console/alarms/supervision/figures", response_class=HTMLResponse)
def supervision_figures(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """The figures alone (reloaded live)."""
    context = _context(request, db, subject, locale)
    return render(request, "console/_alarm_figures.html", context)
