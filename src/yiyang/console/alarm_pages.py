"""The operators' alarm console: the live queue and the alarm screen with its actions.

`/console/alarms` lists the open alarms of the reader's scope, sorted by the handling rules
(severity, still active, risk, waiting time); the page follows `/console/alarms/stream`
(console/alarm_live.py) and reloads the queue fragment when an alarm changes. The alarm
screen shows the elder's card, the home's devices, contacts with key holders first, the last
visits and the timeline; each action form posts to the handling service and shows a refusal
in words on the form it came from.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from yiyang.alarms.handling import rules, shapes
from yiyang.alarms.handling import schemas as alarm_schemas
from yiyang.alarms.handling import service as handling
from yiyang.alarms.handling.schemas import AlarmRead, QueueFilter
from yiyang.alarms.kinds import LABELS as ALARM_LABELS
from yiyang.alarms.kinds import SEVERITY_LABELS, Severity
from yiyang.alarms.response import service as response_service
from yiyang.alarms.response.schemas import ResponderCandidate, SendIn
from yiyang.console import alarm_repository, alarm_words, place_maps
from yiyang.devices.kinds import KINDS, DeviceKind
from yiyang.kit.idcard import age_on
from yiyang.kit.localtime import local_text, local_today
from yiyang.orders.page_helpers import helpers
from yiyang.protocols.vocabulary import UNITS
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.deps import DbSession, FormBody, Locale, PageSubject, get_locale
from yiyang.web.forms import FormRefusal, submit_form
from yiyang.web.i18n import translate
from yiyang.web.templating import render

router = APIRouter(include_in_schema=False, dependencies=[Depends(get_locale)])

SEVERITY_CLASS = {
    Severity.CRITICAL: "sev-critical",
    Severity.MAJOR: "sev-major",
    Severity.WARNING: "sev-warning",
    Severity.INFO: "sev-info",
}
READINGS_HOURS = 24
CANDIDATES_SHOWN = 8
_UNITS = {str(m): unit for m, unit in UNITS.items()}


def _now(request: Request) -> datetime:
    now: datetime = request.app.state.clock()
    return now


def labels(locale: str) -> dict[str, Any]:
    def lab(table: dict[Any, str]) -> Callable[[Any], str]:
        def get(code: Any) -> str:
            if code is None or code == "":
                return ""
            source = table.get(code)
            return translate(locale, source) if source else str(code)

        return get

    kinds = {k: info.label for k, info in KINDS.items()}
    return helpers(locale) | {
        "alarm_label": lab(dict(ALARM_LABELS)),
        "severity_label": lab(dict(SEVERITY_LABELS)),
        "severity_class": lambda s: SEVERITY_CLASS.get(Severity(s), "sev-info"),
        "alarm_status_label": lab(alarm_words.STATUS_LABELS),
        "step_label": lab(alarm_words.STEP_LABELS),
        "mobility_label": lab(alarm_words.MOBILITY_LABELS),
        "capability_label": lab(alarm_words.CAPABILITY_LABELS),
        "escalation_label": lab(alarm_words.ESCALATION_LABELS),
        "review_label": lab(alarm_words.REVIEW_REASON_LABELS),
        "refusal_label": lab(alarm_words.TELEPHONY_REFUSALS),
        "device_label": lab(kinds),
        "metric_label": lab(alarm_words.METRIC_LABELS),
        "call_result_label": lab(dict(rules.CALL_RESULT_LABELS)),
        "disposition_label": lab(dict(rules.DISPOSITION_LABELS)),
        "call_results": list(rules.CallResult),
        "dispositions": list(rules.Disposition),
        "DeviceKind": DeviceKind,
    }


def _require(subject: Subject) -> None:
    subject.require(Perm.ALARM_HANDLE)


# --- the queue ------------------------------------------------------------------------------


def queue_context(db: Session, subject: Subject, now: datetime) -> dict[str, Any]:
    """The open alarms in order and the counts above them."""
    alarms: list[AlarmRead] = handling.queue(db, subject, QueueFilter(view="open"), now=now)
    counts = {
        "open": len(alarms),
        "waiting": sum(1 for a in alarms if a.status == "queued"),
        "critical": sum(1 for a in alarms if a.severity >= Severity.CRITICAL),
        "mine": sum(1 for a in alarms if a.acknowledged_by_id == subject.user_id),
        "late": sum(1 for a in alarms if a.status == "queued" and a.waiting_seconds > 60),
    }
    return {"alarms": alarms, "counts": counts, "now": now}


@router.get("/console/alarms", response_class=HTMLResponse)
def queue_page(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """The live queue of open alarms, most urgent first."""
    _require(subject)
    context = labels(locale) | queue_context(db, subject, _now(request))
    return render(request, "console/alarms.html", context)


@router.get("/console/alarms/queue", response_class=HTMLResponse)
def queue_fragment(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale
) -> HTMLResponse:
    """The counts and the queue alone (what the page reloads when an alarm changes)."""
    _require(subject)
    context = labels(locale) | queue_context(db, subject, _now(request))
    return render(request, "console/_alarm_queue.html", context)


# --- the alarm screen -----------------------------------------------------------------------


def _chart(readings: list[tuple[str, datetime, float]], locale: str) -> dict[str, Any] | None:
    """The readings as chart series per metric, times in local time (the page's words)."""
    series: dict[str, list[tuple[str, float]]] = {}
    for metric, at, value in readings:
        series.setdefault(metric, []).append((local_text(at, "%Y-%m-%d %H:%M:%S"), value))
    if not series:
        return None
    return {
        "series": [
            {
                "name": translate(locale, alarm_words.METRIC_LABELS.get(m, m)),
                "unit": _UNITS.get(m, ""),
                "points": p,
            }
            for m, p in series.items()
        ]
    }


def screen_context(
    db: Session, subject: Subject, alarm_id: int, now: datetime, locale: str
) -> dict[str, Any]:
    """Everything the alarm screen shows: the alarm and timeline, the elder's card, devices,
    whom to call (key holders first), the last visits."""
    alarm = handling.get(db, subject, alarm_id)
    detail = shapes.to_detail(db, alarm, now=now)
    elder = alarm.elder
    devices = alarm_repository.home_devices(db, elder.id) if elder is not None else []
    visits = alarm_repository.last_visits(db, elder.id) if elder is not None else []
    since = now - timedelta(hours=READINGS_HOURS)
    readings = (
        alarm_repository.recent_readings(db, elder.id, [d.id for d in devices], since)
        if elder is not None
        else []
    )
    callees = handling.call_list(db, subject, alarm_id) if elder is not None else []
    logged = {s.data.get("call_step_id") for s in detail.steps if s.action == "call_result"}
    calls = [
        s
        for s in detail.steps
        if s.action == "called" and not s.data.get("result") and s.id not in logged
    ]
    return {
        "alarm": detail,
        "alarm_row": alarm,
        "elder": elder,
        "device": alarm.device,
        "devices": devices,
        "visits": visits,
        "callees": callees,
        "open_calls": calls,
        "map": place_maps.home_map(elder, locale),
        "readings": _chart(readings, locale),
        "age": age_on(elder.birth_date, local_today(now)) if elder is not None else None,
        "now": now,
        "errors": {},
        "allowed": set(detail.allowed),
    }


def _minutes_since(now: datetime, then: datetime | None) -> int | None:
    if then is None:
        return None
    if then.tzinfo is None:
        then = then.replace(tzinfo=UTC)
    return max(0, int((now - then).total_seconds() // 60))


def _screen(
    request: Request, db: Session, subject: Subject, locale: str, alarm_id: int,
    *, errors: dict[str, str] | None = None, status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    now = _now(request)
    context = labels(locale) | screen_context(db, subject, alarm_id, now, locale)
    context["errors"] = errors or {}
    context["candidates"] = _candidates(request, db, context, locale)
    context["minutes_since"] = lambda then: _minutes_since(now, then)
    return render(request, "console/alarm.html", context, status_code=status_code)


def _candidates(
    request: Request, db: Session, context: dict[str, Any], locale: str
) -> list[ResponderCandidate]:
    """Whom the operator could send to the home now, nearest first (when sending is possible)."""
    if context["elder"] is None or "respond" not in context["allowed"]:
        return []
    choice = response_service.choice_for(
        db, context["alarm_row"], now=_now(request), settings=request.app.state.settings
    )
    return [ResponderCandidate.of(offer, locale) for offer in choice.offers[:CANDIDATES_SHOWN]]


@router.get("/console/alarms/{alarm_id}", response_class=HTMLResponse)
def alarm_screen(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, alarm_id: int
) -> HTMLResponse:
    """One alarm: the elder's card, the home's devices, contacts, last visits, the timeline."""
    _require(subject)
    return _screen(request, db, subject, locale, alarm_id)


@router.get("/console/alarms/{alarm_id}/timeline", response_class=HTMLResponse)
def alarm_timeline(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, alarm_id: int
) -> HTMLResponse:
    """The status and timeline alone (reloaded live while the screen is open)."""
    _require(subject)
    now = _now(request)
    context = labels(locale) | screen_context(db, subject, alarm_id, now, locale)
    return render(request, "console/_alarm_timeline.html", context)


# --- actions --------------------------------------------------------------------------------


def _form(form: Any, *names: str) -> dict[str, Any]:
    payload: dict[str, Any] = {}
    for name in names:
        value = form.get(name)
        if isinstance(value, str) and value.strip():
            payload[name] = value.strip()
    return payload


def _act(
    request: Request,
    db: Session,
    subject: Subject,
    locale: str,
    alarm_id: int,
    form_name: str,
    schema: type[BaseModel] | None,
    payload: dict[str, Any],
    do: Callable[[Any], object],
) -> Response:
    """Validate, run the action in a savepoint, then back to the screen; a refusal is shown in
    words on the form it came from (409/422) and nothing is written."""
    _require(subject)
    handling.get(db, subject, alarm_id)  # 404 outside the scope, before anything else
    result = submit_form(db, locale, schema or _Empty, payload, do)
    if isinstance(result, FormRefusal):
        return _screen(
            request, db, subject, locale, alarm_id,
            errors={form_name: result.message}, status_code=result.status_code,
        )  # fmt: skip
    return RedirectResponse(f"/console/alarms/{alarm_id}#timeline", status_code=303)


class _Empty(BaseModel):
    """An action without fields."""


@router.post("/console/alarms/{alarm_id}/acknowledge")
def acknowledge(
    request: Request, db: DbSession, subject: PageSubject, locale: Locale, alarm_id: int
) -> Response:
    """Take the alarm: the operator now holds it."""
    now = _now(request)
    return _act(
        request, db, subject, locale, alarm_id, "acknowledge", None, {},
        lambda _d: handling.acknowledge(db, subject, alarm_id, now=now),
    )  # fmt: skip


@router.post("/console/alarms/{alarm_id}/call")
def call(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    alarm_id: int,
    form: FormBody,
) -> Response:
    """Call the elder or a contact: by the voice port, or logged by hand with its result."""
    now = _now(request)
    payload = _form(form, "target", "contact_id", "result", "note")
    return _act(
        request, db, subject, locale, alarm_id, "call", alarm_schemas.CallRequest, payload,
        lambda d: handling.call(db, subject, alarm_id, d, now=now),
    )  # fmt: skip


@router.post("/console/alarms/{alarm_id}/log-call")
def log_call(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    alarm_id: int,
    form: FormBody,
) -> Response:
    """The result of a call made earlier through the voice port."""
    now = _now(request)
    payload = _form(form, "call_step_id", "result", "note")
    return _act(
        request, db, subject, locale, alarm_id, "log_call", alarm_schemas.CallLog, payload,
        lambda d: handling.log_call(db, subject, alarm_id, d, now=now),
    )  # fmt: skip


@router.post("/console/alarms/{alarm_id}/call-120")
def call_120(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    alarm_id: int,
    form: FormBody,
) -> Response:
    """120 was called (logged with what was said)."""
    now = _now(request)
    payload = _form(form, "note")
    return _act(
        request, db, subject, locale, alarm_id, "call_120", alarm_schemas.Call120, payload,
        lambda d: handling.call_120(db, subject, alarm_id, d, now=now),
    )  # fmt: skip


@router.post("/console/alarms/{alarm_id}/note")
def note(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    alarm_id: int,
    form: FormBody,
) -> Response:
    """A note on the timeline."""
    now = _now(request)
    payload = _form(form, "text")
    return _act(
        request, db, subject, locale, alarm_id, "note", alarm_schemas.NoteIn, payload,
        lambda d: handling.add_note(db, subject, alarm_id, d, now=now),
    )  # fmt: skip


@router.post("/console/alarms/{alarm_id}/resolve")
def resolve(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    alarm_id: int,
    form: FormBody,
) -> Response:
    """The situation is handled."""
    now = _now(request)
    payload = _form(form, "note")
    return _act(
        request, db, subject, locale, alarm_id, "resolve", alarm_schemas.ResolveIn, payload,
        lambda d: handling.resolve(db, subject, alarm_id, d, now=now),
    )  # fmt: skip


@router.post("/console/alarms/{alarm_id}/close")
def close(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    alarm_id: int,
    form: FormBody,
) -> Response:
    """Close with a disposition code."""
    now = _now(request)
    payload = _form(form, "disposition", "note")
    return _act(
        request, db, subject, locale, alarm_id, "close", alarm_schemas.CloseIn, payload,
        lambda d: handling.close(db, subject, alarm_id, d, now=now),
    )  # fmt: skip


@router.post("/console/alarms/{alarm_id}/responders")
def send_responder(
    request: Request,
    db: DbSession,
    subject: PageSubject,
    locale: Locale,
    alarm_id: int,
    form: FormBody,
) -> Response:
    """Send someone to the home: the nearest on duty, or the person chosen from the list."""
    now = _now(request)
    payload = _form(form, "person")
    return _act(
        request, db, subject, locale, alarm_id, "send_responder", SendIn, payload,
        lambda d: response_service.send_responder(
            db, subject, alarm_id, now=now, settings=request.app.state.settings, person=d.person
        ),
    )  # fmt: skip
