"""Tell the elder's family about an alarm through the outbox: at once when it is raised, then
at the key steps (someone on the way, arrived, what they found, closed) — never per repeat.
And tell the call centre off-screen when nobody took an alarm: its escalation (60 s: every
supervisor; 180 s: every operator and the supervisors again, a review ticket is open) texts
each of them, since a console nobody watches shows the escalation to nobody.

Subscribers of the event bus: they run in the alarm's transaction and only write outbox rows,
sent by the worker after commit (the outbox row, with the alarm's id, is the record that the
family was told; no timeline step is added, so the timeline stays what people did). Written in
Chinese, like the visit texts of `notifications`.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiyang.alarms.events import AlarmEvent, AlarmRaised, AlarmStepped
from yiyang.alarms.kinds import StepAction
from yiyang.alarms.models import Alarm
from yiyang.alarms.response import repository
from yiyang.alarms.response.family import MIN_SEVERITY, alarm_words, hhmm, who_words
from yiyang.alarms.response.models import AlarmResponder
from yiyang.alarms.response.rules import OUTCOMES
from yiyang.console.notifications import SMS_LOCALE
from yiyang.errors import N_
from yiyang.events import outbox
from yiyang.events.bus import BUS
from yiyang.security import repository as accounts
from yiyang.security.roles import Role
from yiyang.web.i18n import translate

RAISED_TEXT = N_(
    "[Yiyang] %(elder)s: %(alarm)s at %(time)s. The call centre is handling it and will keep"
    " you informed."
)
STEP_TEXTS = {
    StepAction.RESPONDER_ON_THE_WAY: N_(
        "[Yiyang] %(who)s is on the way to %(elder)s, about %(minutes)s min."
    ),
    StepAction.RESPONDER_ARRIVED: N_("[Yiyang] %(who)s arrived at %(elder)s's home at %(time)s."),
    StepAction.RESPONDER_REPORTED: N_("[Yiyang] %(who)s reports about %(elder)s: %(outcome)s"),
    StepAction.CLOSED: N_("[Yiyang] The alarm for %(elder)s was closed at %(time)s."),
}

ESCALATION_TEXTS = {
    1: N_(
        "[Yiyang] Not answered for %(seconds)s s: %(alarm)s, %(elder)s, since %(time)s."
        " Please take it on the console."
    ),
    2: N_(
        "[Yiyang] Not answered for %(minutes)s min: %(alarm)s, %(elder)s, since %(time)s."
        " Every operator please take it; a review ticket is open."
    ),
}
ESCALATION_AUDIENCE = {1: (Role.SUPERVISOR,), 2: (Role.SUPERVISOR, Role.OPERATOR)}


def texts(session: Session, event: AlarmEvent) -> list[tuple[str, str]]:
    """The phones of the elder's family contacts and the text for this event (may be none)."""
    snap = event.alarm
    if snap.elder_id is None or snap.severity < MIN_SEVERITY:
        return []
    alarm = session.get(Alarm, snap.id)
    elder = repository.elder(session, snap.elder_id)
    if alarm is None or elder is None:
        return []
    params: dict[str, object] = {"elder": elder.name, "time": hhmm(event.occurred_at)}
    if isinstance(event, AlarmRaised):
        kind = repository.device_kind(session, snap.device_id)
        params["alarm"] = alarm_words(SMS_LOCALE, alarm, kind)
        template = RAISED_TEXT
    else:
        found = STEP_TEXTS.get(StepAction(event.action))
        if found is None:
            return []
        template = found
        if event.action != StepAction.CLOSED:
            responder = _latest_responder(session, snap.id)
            if responder is None:
                return []
            params["who"] = who_words(SMS_LOCALE, responder.name, responder.role)
            params["minutes"] = responder.travel_minutes
            params["outcome"] = (
                translate(SMS_LOCALE, OUTCOMES[responder.outcome]) if responder.outcome else ""
            )
    text = translate(SMS_LOCALE, template, params)
    phones = dict.fromkeys(p for _, _, p, _ in repository.contacts(session, snap.elder_id))
    return [(phone, text) for phone in phones]


def _latest_responder(session: Session, alarm_id: int) -> AlarmResponder | None:
    rows = repository.responders(session, alarm_id)
    return rows[-1] if rows else None


@BUS.subscribe(AlarmRaised, AlarmStepped)
def tell_family(session: Session, event: AlarmEvent) -> None:
    """One text per family contact at the raise and at each key step."""
    found = texts(session, event)
    for phone, text in found:
        outbox.enqueue(
            session,
            channel="sms",
            destination=phone,
            payload={"text": text, "alarm_id": event.alarm.id},
            idempotency_key=f"sms:{event.id}:{phone}",
            now=event.occurred_at,
            event=event,
        )


def escalation_texts(session: Session, event: AlarmStepped) -> list[tuple[str, str]]:
    """The phones of the call-centre staff this escalation goes to, and its text."""
    level = int(event.alarm.escalation)
    template = ESCALATION_TEXTS.get(min(level, max(ESCALATION_TEXTS)))
    alarm = session.get(Alarm, event.alarm.id)
    if template is None or alarm is None:
        return []
    waited = int((event.occurred_at - alarm.raised_at).total_seconds())
    elder = repository.elder(session, alarm.elder_id) if alarm.elder_id is not None else None
    params: dict[str, object] = {
        "alarm": alarm_words(SMS_LOCALE, alarm, repository.device_kind(session, alarm.device_id)),
        "elder": elder.name if elder else translate(SMS_LOCALE, N_("a home without a name")),
        "time": hhmm(alarm.raised_at),
        "seconds": waited,
        "minutes": max(1, round(waited / 60)),
    }
    text = translate(SMS_LOCALE, template, params)
    roles = ESCALATION_AUDIENCE[min(level, max(ESCALATION_AUDIENCE))]
    phones = dict.fromkeys(accounts.phones_of_roles(session, [str(r) for r in roles]))
    return [(phone, text) for phone in phones]


@BUS.subscribe(AlarmStepped)
def tell_call_centre(session: Session, event: AlarmStepped) -> None:
    """One text per supervisor (and, at the second level, per operator) on an escalation."""
    if event.action != StepAction.ESCALATED:
        return
    for phone, text in escalation_texts(session, event):
        outbox.enqueue(
            session,
            channel="sms",
            destination=phone,
            payload={
                "text": text,
                "alarm_id": event.alarm.id,
                "escalation": event.alarm.escalation,
            },
            idempotency_key=f"sms:{event.id}:{phone}",
            now=event.occurred_at,
            event=event,
        )
