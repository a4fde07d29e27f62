"""Handling an alarm: the call centre's actions, each a step on the timeline, an event, an audit.

Every function takes the caller's Subject and `now`, and never commits (the edge does).

Public functions (all `(session, subject, alarm_id, …, *, now)` unless said; they return
the alarm re-read through `get`, timeline loaded):

    get(session, subject, alarm_id)                 steps, elder (contacts, areas), device; 404
    queue(session, subject, flt, *, now)            list[AlarmRead]: severity, active before
                                                    cleared, risk, longest waiting
    call_list(session, subject, alarm_id)           list[rules.Callee]: key holders first
    acknowledge(session, subject, alarm_id, *, now) take it; 409 another took it; own: no-op
    call(…, data: CallRequest, *, now)              voice call via the outbox, or by hand with
                                                    `result`; 409 state/holder, 422 contact
    log_call(…, data: CallLog, *, now)              result of an earlier call; 422 call_step_id
    call_120(…, data: Call120, *, now)              120 was called (logged)
    add_note(…, data: NoteIn, *, now)               a note; 409 once closed
    resolve(…, data: ResolveIn, *, now)             handled; a visit alarm resolves its alert
    close(…, data: CloseIn, *, now)                 disposition code; 422 disposition / note
    review(…, data: ReviewIn, *, now)               supervisor's finding; closes its tickets
    mark_responding(session, alarm, *, now, actor, action, text, data)
                                                    for alarms/response; 409 when not handled
    clear(session, alarm, *, now, actor, text, data) the cause went away; never closes
    (the JSON shapes, to_read and to_detail, are in handling/shapes.py)

Actions after the acknowledgement are the holder's (or a supervisor's): 409 for others.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from yiyang.alarms import repository
from yiyang.alarms.events import AlarmSnapshot, AlarmStepped
from yiyang.alarms.handling import repository as review_queries
from yiyang.alarms.handling import rules
from yiyang.alarms.handling.models import AlarmReview
from yiyang.alarms.handling.rules import Action, Callee
from yiyang.alarms.handling.schemas import (
    AlarmRead,
    Call120,
    CallLog,
    CallRequest,
    CloseIn,
    NoteIn,
    QueueFilter,
    ResolveIn,
    ReviewIn,
)
from yiyang.alarms.handling.shapes import to_read
from yiyang.alarms.kinds import LABELS, AlarmStatus, AlarmType, StepAction
from yiyang.alarms.models import Alarm, AlarmStep
from yiyang.alarms.raising import ESCALATE_TIMER, add_step
from yiyang.errors import N_, Conflict, Invalid, NotFound
from yiyang.events import bus, outbox
from yiyang.events.types import Actor
from yiyang.jobs import timers
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject, system_subject
from yiyang.visits import alerts as visit_alerts
from yiyang.visits.schemas import AlertNote
from yiyang.web.i18n import translate

VOICE_LOCALE = "zh_CN"
VOICE_TEXT = N_(
    '[Yiyang] This is the call centre, calling about the alarm "%(alarm)s" of %(elder)s.'
    " Please stay on the line."
)
# Visit supervision alarms resolve their visit alert when a person resolves or closes them.
VISIT_TYPES = frozenset({AlarmType.VISIT_LATE, AlarmType.VISIT_NO_SHOW, AlarmType.VISIT_GEOFENCE})


# A responder already sent may still accept, arrive and report after the alarm is resolved.
FOLLOWED_UP = frozenset({AlarmStatus.RESPONDING, AlarmStatus.RESOLVED})


# --- reading ----------------------------------------------------------------------------------


def get(session: Session, subject: Subject, alarm_id: int) -> Alarm:
    """One readable alarm with its timeline, elder and device (404 outside the scope)."""
    subject.require(Perm.ALARM_READ)
    return repository.get(session, subject, alarm_id)


def queue(
    session: Session, subject: Subject, flt: QueueFilter, *, now: datetime
) -> list[AlarmRead]:
    """The queue: severity first, still-active before cleared, then risk, then longest waiting.
    `closed` lists today's closed alarms, latest first."""
    subject.require(Perm.ALARM_READ)
    since = rules.day_start(now) if flt.view == "closed" else None
    rows = repository.queue(
        session, subject, view=flt.view, type_=flt.type, street_code=flt.street_code, since=since
    )
    read = [to_read(a, now=now) for a in rows]
    if flt.view != "closed":
        read.sort(
            key=lambda r: rules.queue_key(r.severity, r.risk, r.raised_at, r.cleared_at is not None)
        )
    return read


def call_list(session: Session, subject: Subject, alarm_id: int) -> list[Callee]:
    """Who to call about the alarm: contacts with a key first, then the others, then the elder."""
    alarm = get(session, subject, alarm_id)
    return _callees(alarm)


def _callees(alarm: Alarm) -> list[Callee]:
    elder = alarm.elder
    if elder is None:
        return []
    people = [
        Callee("contact", c.id, c.name, c.relationship, c.phone, c.has_key, c.priority)
        for c in elder.contacts
    ]
    people.append(Callee("elder", None, elder.name, None, elder.phone, False, 0))
    return rules.call_order(people)


# --- the common step ------------------------------------------------------------------------


def record_step(
    session: Session,
    alarm: Alarm,
    step_action: StepAction,
    *,
    now: datetime,
    actor: Actor,
    text: str | None = None,
    data: dict[str, Any] | None = None,
) -> AlarmStep:
    """Add the timeline entry and tell the bus (console, family page, big screen)."""
    step = add_step(session, alarm, step_action, now, actor, text, data or {})
    session.flush()
    bus.publish(
        session,
        AlarmStepped(
            occurred_at=now, actor=actor, alarm=AlarmSnapshot.of(alarm), action=str(step_action)
        ),
    )
    return step


def _load_for(
    session: Session, subject: Subject, alarm_id: int, action: Action, perm: Perm
) -> Alarm:
    """Lock and load the alarm, check permission, state and holder; returns it."""
    subject.require(perm)
    alarm = repository.get(session, subject, alarm_id, lock=True)
    if action is not Action.ACKNOWLEDGE:
        rules.holder_check(
            action,
            alarm.acknowledged_by_id,
            repository.user_name(session, alarm.acknowledged_by_id),
            subject.user_id,
            subject.can(Perm.ALARM_SUPERVISE),
        )
    return alarm


def _done(
    session: Session,
    subject: Subject,
    alarm: Alarm,
    audit_action: str,
    *,
    now: datetime,
    after: dict[str, Any],
) -> Alarm:
    audit.record(
        session, subject, audit_action, "alarm", alarm.id,
        after={"type": alarm.type, "status": alarm.status, **after}, at=now,
    )  # fmt: skip
    session.flush()
    return repository.get(session, subject, alarm.id)


def _clean(text: str | None) -> str | None:
    return text.strip() or None if text else None


# --- the actions --------------------------------------------------------------------------------


def acknowledge(session: Session, subject: Subject, alarm_id: int, *, now: datetime) -> Alarm:
    """Take the alarm: 409 when another operator already did; again by the same one, a no-op.
    The escalation timers are cancelled."""
    alarm = _load_for(session, subject, alarm_id, Action.ACKNOWLEDGE, Perm.ALARM_HANDLE)
    if alarm.acknowledged_at is not None:
        rules.acknowledge_conflict(
            alarm.acknowledged_by_id,
            repository.user_name(session, alarm.acknowledged_by_id),
            subject.user_id,
        )
        if alarm.status != AlarmStatus.CLOSED:
            return alarm
    alarm.status = rules.transition(alarm.status, Action.ACKNOWLEDGE)
    alarm.acknowledged_at, alarm.acknowledged_by_id = now, subject.user_id
    timers.cancel(session, ESCALATE_TIMER, alarm.id, now=now)
    waited = int((now - alarm.raised_at).total_seconds())
    record_step(
        session, alarm, StepAction.ACKNOWLEDGED, now=now, actor=Actor.of(subject),
        data={"waited_seconds": waited},
    )  # fmt: skip
    return _done(session, subject, alarm, "acknowledge", now=now, after={"waited_seconds": waited})


def _callee(alarm: Alarm, data: CallRequest) -> Callee:
    for person in _callees(alarm):
        if person.target == data.target and (
            data.target == "elder" or person.contact_id == data.contact_id
        ):
            return person
    if data.target == "contact":
        raise Invalid(
            N_("Choose one of the elder's contacts."), field="contact_id", code="contact_unknown"
        )
    raise Invalid(N_("This alarm has no elder to call."), field="target", code="no_elder")


def call(
    session: Session, subject: Subject, alarm_id: int, data: CallRequest, *, now: datetime
) -> Alarm:
    """Call the elder or a contact: without `result` through the voice port (an outbox message
    sent after commit); with `result`, a call made by hand and logged."""
    alarm = _load_for(session, subject, alarm_id, Action.CALL, Perm.ALARM_HANDLE)
    status = rules.transition(alarm.status, Action.CALL)
    person = _callee(alarm, data)
    if not person.phone:
        raise Invalid(
            N_("%(name)s has no phone number on record."), field="target", code="no_phone",
            name=person.name,
        )  # fmt: skip
    alarm.status = status
    step_data: dict[str, Any] = {
        "target": person.target,
        "contact_id": person.contact_id,
        "name": person.name,
        "relationship": person.relationship,
        "has_key": person.has_key,
        "via": "hand" if data.result else "voice",
    }
    if data.result:
        step_data["result"] = str(data.result)
    step = record_step(
        session, alarm, StepAction.CALLED, now=now, actor=Actor.of(subject),
        text=_clean(data.note), data=step_data,
    )  # fmt: skip
    if data.result is None:
        elder_name = alarm.elder.name if alarm.elder is not None else ""
        text = translate(
            VOICE_LOCALE,
            VOICE_TEXT,
            {"alarm": translate(VOICE_LOCALE, LABELS[AlarmType(alarm.type)]), "elder": elder_name},
        )
        outbox.enqueue(
            session,
            channel="voice",
            destination=person.phone,
            payload={"text": text, "alarm_id": alarm.id, "step_id": step.id},
            idempotency_key=f"voice:alarm:{alarm.id}:{step.id}",
            now=now,
        )
    return _done(session, subject, alarm, "call", now=now, after=step_data)


def log_call(
    session: Session, subject: Subject, alarm_id: int, data: CallLog, *, now: datetime
) -> Alarm:
    """The result of an earlier call of this alarm (answered, no answer, busy, wrong number)."""
    alarm = _load_for(session, subject, alarm_id, Action.LOG_CALL, Perm.ALARM_HANDLE)
    alarm.status = rules.transition(alarm.status, Action.LOG_CALL)
    called = next(
        (s for s in alarm.steps if s.id == data.call_step_id and s.action == StepAction.CALLED),
        None,
    )
    if called is None:
        raise Invalid(N_("Choose a call of this alarm."), field="call_step_id", code="call_unknown")
    step_data = {
        "call_step_id": called.id,
        "result": str(data.result),
        "name": called.data.get("name"),
        "target": called.data.get("target"),
        "contact_id": called.data.get("contact_id"),
    }
    record_step(
        session, alarm, StepAction.CALL_RESULT, now=now, actor=Actor.of(subject),
        text=_clean(data.note), data=step_data,
    )  # fmt: skip
    return _done(session, subject, alarm, "log_call", now=now, after=step_data)


def call_120(
    session: Session, subject: Subject, alarm_id: int, data: Call120, *, now: datetime
) -> Alarm:
    """120 (the emergency ambulance) was called: logged on the timeline."""
    alarm = _load_for(session, subject, alarm_id, Action.CALL_120, Perm.ALARM_HANDLE)
    alarm.status = rules.transition(alarm.status, Action.CALL_120)
    record_step(
        session, alarm, StepAction.CALLED_120, now=now, actor=Actor.of(subject),
        text=_clean(data.note),
    )  # fmt: skip
    return _done(session, subject, alarm, "call_120", now=now, after={})


def add_note(
    session: Session, subject: Subject, alarm_id: int, data: NoteIn, *, now: datetime
) -> Alarm:
    """A note on the timeline (anyone handling alarms, until it is closed)."""
    alarm = _load_for(session, subject, alarm_id, Action.NOTE, Perm.ALARM_HANDLE)
    text = _clean(data.text)
    if text is None:
        raise Invalid(N_("Write the note."), field="text", code="note_required")
    rules.transition(alarm.status, Action.NOTE)
    record_step(session, alarm, StepAction.NOTE, now=now, actor=Actor.of(subject), text=text)
    return _done(session, subject, alarm, "note", now=now, after={})


def _resolve_visit_alert(
    session: Session, subject: Subject, alarm: Alarm, note: str, now: datetime
) -> None:
    """A person handled a visit alarm: its visit alert is resolved too (if still open)."""
    alert_id = alarm.detail.get("alert_id")
    if alarm.type not in VISIT_TYPES or not isinstance(alert_id, int):
        return
    who = subject if subject.can(Perm.ALERT_ACK) else system_subject("alarms")
    try:
        visit_alerts.resolve(session, who, alert_id, AlertNote(note=note), now=now)
    except (Conflict, NotFound):
        return  # resolved on the alerts page already, or gone with its order


def resolve(
    session: Session, subject: Subject, alarm_id: int, data: ResolveIn, *, now: datetime
) -> Alarm:
    """The situation is handled (the alarm waits for its disposition)."""
    alarm = _load_for(session, subject, alarm_id, Action.RESOLVE, Perm.ALARM_HANDLE)
    alarm.status = rules.transition(alarm.status, Action.RESOLVE)
    alarm.resolved_at = now
    note = _clean(data.note)
    record_step(session, alarm, StepAction.RESOLVED, now=now, actor=Actor.of(subject), text=note)
    _resolve_visit_alert(
        session,
        subject,
        alarm,
        note or translate(VOICE_LOCALE, N_("Resolved in the call centre.")),
        now,
    )
    return _done(session, subject, alarm, "resolve", now=now, after={})


def close(
    session: Session, subject: Subject, alarm_id: int, data: CloseIn, *, now: datetime
) -> Alarm:
    """Close with a disposition code (422 without one; "other" needs a note). Only after a
    person acknowledged it: an alarm nobody took is never closed."""
    alarm = _load_for(session, subject, alarm_id, Action.CLOSE, Perm.ALARM_HANDLE)
    status = rules.transition(alarm.status, Action.CLOSE)
    note = _clean(data.note)
    disposition = rules.check_close(
        alarm.type, data.disposition, note, alarm.cleared_at is not None
    )
    was_resolved = alarm.resolved_at is not None
    alarm.status = status
    alarm.resolved_at = alarm.resolved_at or now
    alarm.closed_at, alarm.closed_by_id, alarm.disposition = now, subject.user_id, disposition
    timers.cancel(session, ESCALATE_TIMER, alarm.id, now=now)
    record_step(
        session, alarm, StepAction.CLOSED, now=now, actor=Actor.of(subject), text=note,
        data={"disposition": disposition},
    )  # fmt: skip
    if not was_resolved:
        label = translate(VOICE_LOCALE, rules.DISPOSITION_LABELS[rules.Disposition(disposition)])
        _resolve_visit_alert(session, subject, alarm, note or label, now)
    return _done(session, subject, alarm, "close", now=now, after={"disposition": disposition})


def review(
    session: Session, subject: Subject, alarm_id: int, data: ReviewIn, *, now: datetime
) -> Alarm:
    """A supervisor's finding on a closed alarm; its open review tickets are closed with it
    (without a ticket it is a spot check, recorded as one)."""
    alarm = _load_for(session, subject, alarm_id, Action.REVIEW, Perm.ALARM_SUPERVISE)
    rules.transition(alarm.status, Action.REVIEW)
    finding = _clean(data.finding)
    if finding is None:
        raise Invalid(N_("Write what the review found."), field="finding", code="finding_required")
    tickets = [r for r in review_queries.reviews_of(session, alarm.id) if r.reviewed_at is None]
    if not tickets:
        ticket = AlarmReview(alarm_id=alarm.id, reason=rules.ReviewReason.SPOT_CHECK, opened_at=now)
        session.add(ticket)
        tickets = [ticket]
    for ticket in tickets:
        ticket.reviewed_at, ticket.reviewed_by_id, ticket.finding = now, subject.user_id, finding
    record_step(
        session, alarm, StepAction.REVIEWED, now=now, actor=Actor.of(subject), text=finding,
        data={"tickets": len(tickets)},
    )  # fmt: skip
    return _done(session, subject, alarm, "review", now=now, after={"finding": finding})


# --- for other parts of alarms ------------------------------------------------------------------


def mark_responding(
    session: Session,
    alarm: Alarm,
    *,
    now: datetime,
    actor: Actor,
    action: StepAction = StepAction.RESPONDER_SENT,
    text: str | None = None,
    data: dict[str, Any] | None = None,
) -> AlarmStep:
    """For alarms/response: a responder was sent (or accepted, is on the way, arrived,
    reported): the alarm is `responding` and the step is on the timeline. The caller has
    locked the alarm, checked the person's rights and audits. Sending needs an alarm being
    handled (409 when nobody acknowledged it, or it is resolved or closed); the later steps of
    a responder already sent are recorded while it is responding or resolved."""
    follow_up = action is not StepAction.RESPONDER_SENT and alarm.status in FOLLOWED_UP
    if not follow_up:
        alarm.status = rules.transition(alarm.status, Action.RESPOND)
    return record_step(session, alarm, action, now=now, actor=actor, text=text, data=data)


def clear(
    session: Session,
    alarm: Alarm,
    *,
    now: datetime,
    actor: Actor | None = None,
    text: str | None = None,
    data: dict[str, Any] | None = None,
) -> bool:
    """The cause went away (the device reset, the caregiver arrived): `cleared_at` is set and
    the timeline says so; the status stays, so a person still closes it. False when the alarm
    was cleared or closed already."""
    if alarm.cleared_at is not None or alarm.closed_at is not None:
        return False
    alarm.cleared_at = now
    record_step(
        session,
        alarm,
        StepAction.CLEARED,
        now=now,
        actor=actor or Actor.of(None),
        text=text,
        data=data,
    )
    return True
