"""Send a responder and follow them: accept, refuse (→ the next nearest), on the way, arrived,
reported. Each move is an AlarmStep, an AlarmStepped event and an audit row; never commits.

The alarm's status becomes "responding" when someone is sent, by the lifecycle's own rule
(alarms/handling/rules.py): only an alarm an operator is handling can have a responder sent.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from yiyang.alarms.events import AlarmSnapshot, AlarmStepped
from yiyang.alarms.handling import rules as handling_rules
from yiyang.alarms.kinds import AlarmStatus, StepAction
from yiyang.alarms.models import Alarm
from yiyang.alarms.raising import add_step
from yiyang.alarms.response import duty_repository, repository, rules
from yiyang.alarms.response.models import AlarmResponder
from yiyang.alarms.response.rules import CAREGIVER, COMMUNITY_STAFF, Move, Person, State
from yiyang.config import Settings
from yiyang.dispatch import picture
from yiyang.dispatch import states as dispatch_states
from yiyang.errors import N_, Conflict, Invalid
from yiyang.events import bus
from yiyang.events.types import Actor
from yiyang.jobs import timers
from yiyang.kit.localtime import local_today
from yiyang.planner.travel import StraightLineTravel
from yiyang.planner.types import Point
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject, system_subject

ACCEPT_TIMER = "alarm.responder_accept"
COMMUNITY_TRAVEL_MODE = "ebike"
WEEKDAYS = picture.WEEKDAY_KEYS


def _hours(text: str) -> dict[str, list[str]]:
    """The community workers' working pattern from "08:00-20:00" (every day)."""
    start, _, end = text.partition("-")
    return {day: [start.strip() or "00:00", end.strip() or "24:00"] for day in WEEKDAYS}


def people(session: Session, *, now: datetime, settings: Settings) -> list[Person]:
    """Everyone who might be sent: the field caregivers of the dispatch picture (with their
    shifts and the visits they are giving) and the community workers (their own duty hours,
    else the district's default office hours).

    Yesterday's shifts count too: a night shift that began before midnight is still running.
    """
    day = local_today(now)
    yesterday = day - timedelta(days=1)
    caregivers = dispatch_states.caregivers_for(session, day)
    overnight = picture.current(session).shifts(yesterday)
    accounts = repository.staff_accounts(session, [c.staff_id for c in caregivers])
    out: list[Person] = []
    for c in caregivers:
        user_id, name = accounts.get(c.staff_id, (None, ""))
        out.append(
            Person(
                key=f"staff:{c.staff_id}", name=name, role=CAREGIVER, staff_id=c.staff_id,
                user_id=user_id, community_id=c.community_id, street_id=c.street_id,
                at=rules.where_now(c.home, zip(c.busy, c.busy_points, strict=True), now),
                travel_mode=c.travel_mode, shifts=overnight.get(c.staff_id, ()) + c.shifts,
                busy=c.busy,
            )
        )  # fmt: skip
    default = _hours(settings.alarm_community_hours)
    stations = repository.community_points(session)
    workers = repository.community_workers(session)
    own = duty_repository.patterns(session, [w.user_id for w in workers])
    for w in workers:
        station = stations.get(w.community_id)
        pattern = own[w.user_id].pattern if w.user_id in own else default
        out.append(
            Person(
                key=f"user:{w.user_id}", name=w.name, role=COMMUNITY_STAFF, staff_id=None,
                user_id=w.user_id, community_id=w.community_id, street_id=w.street_id,
                at=Point(*station) if station else None, travel_mode=COMMUNITY_TRAVEL_MODE,
                shifts=picture.shifts_for(pattern, yesterday) + picture.shifts_for(pattern, day),
            )
        )  # fmt: skip
    return out


def _key(r: AlarmResponder) -> str:
    return f"staff:{r.staff_id}" if r.staff_id is not None else f"user:{r.user_id}"


def choice_for(
    session: Session, alarm: Alarm, *, now: datetime, settings: Settings
) -> rules.Choice:
    """Who may be sent to this alarm now, nearest first (those asked before left out)."""
    elder = alarm.elder
    if elder is None:
        raise Invalid(
            N_("This alarm is not about an elder at home: there is nowhere to send someone."),
            code="no_elder",
        )
    asked = frozenset(_key(r) for r in repository.responders(session, alarm.id))
    return rules.choose(
        Point(elder.lat, elder.lon), elder.community_id,
        people(session, now=now, settings=settings), StraightLineTravel(), now=now,
        reach_minutes=settings.alarm_responder_reach_minutes, excluded=asked,
    )  # fmt: skip


def _mark_responding(alarm: Alarm) -> None:
    """A responder is sent: the alarm is being responded to (409 when nobody handles it)."""
    if alarm.status != AlarmStatus.RESPONDING:
        alarm.status = handling_rules.transition(alarm.status, handling_rules.Action.RESPOND)


def _step(
    session: Session,
    alarm: Alarm,
    action: StepAction,
    now: datetime,
    actor: Actor,
    responder: AlarmResponder,
    *,
    text: str | None = None,
    **data: Any,
) -> None:
    """Timeline entry + event for one move of a responder."""
    facts = {
        "responder_id": responder.id, "name": responder.name, "role": responder.role,
        "minutes": responder.travel_minutes, **data,
    }  # fmt: skip
    add_step(session, alarm, action, now, actor, text, facts)
    alarm.last_at = max(alarm.last_at, now)
    session.flush()
    bus.publish(
        session,
        AlarmStepped(occurred_at=now, actor=actor, alarm=AlarmSnapshot.of(alarm), action=action),
    )


def send_responder(
    session: Session,
    subject: Subject,
    alarm_id: int,
    *,
    now: datetime,
    settings: Settings,
    person: str | None = None,
) -> AlarmResponder:
    """The operator sends the nearest person on duty (or the one they picked from the list)."""
    subject.require(Perm.ALARM_HANDLE)
    alarm = repository.get_alarm(session, subject, alarm_id, lock=True)
    sent = _send_next(session, alarm, subject, now=now, settings=settings, person=person)
    if sent is None:
        raise Conflict(
            N_("Nobody on duty can be sent now: call the family's key holder or 120."),
            code="nobody_on_duty",
        )
    return sent


def _send_next(
    session: Session,
    alarm: Alarm,
    subject: Subject,
    *,
    now: datetime,
    settings: Settings,
    person: str | None = None,
) -> AlarmResponder | None:
    """Offer the alarm to the next person; None when nobody is left to ask."""
    if alarm.closed_at is not None:
        raise Conflict(N_("This alarm is closed."), code="alarm_closed")
    earlier = repository.responders(session, alarm.id)
    standing = next((r for r in earlier if r.state in rules.ACTIVE), None)
    if standing is not None:
        raise Conflict(
            N_("%(name)s is already sent to this alarm."), code="responder_sent",
            name=standing.name,
        )  # fmt: skip
    choice = choice_for(session, alarm, now=now, settings=settings)
    if person is not None:
        offer = next((o for o in choice.offers if o.person.key == person), None)
        if offer is None:
            raise Invalid(
                N_("This person cannot be sent now: choose someone from the list."),
                field="person",
            )
    elif choice.first is None:
        return None
    else:
        offer = choice.first
    who = offer.person
    responder = AlarmResponder(
        alarm_id=alarm.id, staff_id=who.staff_id, user_id=who.user_id, name=who.name[:64],
        role=who.role, rank=len(earlier) + 1, state=State.SENT, travel_mode=who.travel_mode,
        travel_minutes=offer.minutes, sent_at=now, sent_by_id=subject.user_id,
    )  # fmt: skip
    session.add(responder)
    session.flush()
    _mark_responding(alarm)
    _step(
        session, alarm, StepAction.RESPONDER_SENT, now, Actor.of(subject), responder,
        rank=responder.rank, local=offer.local, reasons=list(offer.reasons),
    )  # fmt: skip
    timers.schedule(
        session, ACCEPT_TIMER, responder.id,
        now + timedelta(minutes=settings.alarm_responder_accept_minutes),
        {"alarm_id": alarm.id},
    )  # fmt: skip
    audit.record(
        session, subject, "send_responder", "alarm", alarm.id, at=now,
        after={"responder_id": responder.id, "person": who.key, "minutes": offer.minutes},
    )  # fmt: skip
    return responder


def _own(
    session: Session, subject: Subject, alarm_id: int, move: Move
) -> tuple[Alarm, AlarmResponder, State]:
    subject.require(Perm.ALARM_RESPOND)
    alarm = repository.get_alarm(session, subject, alarm_id, lock=True)
    responder = repository.own_responder(session, subject, alarm_id)
    if alarm.closed_at is not None and move is not Move.REPORT:
        raise Conflict(N_("This alarm is closed: there is nothing more to do."), code="closed")
    return alarm, responder, rules.next_state(responder.state, move)


def _audit(
    session: Session, subject: Subject, action: str, responder: AlarmResponder, now: datetime,
    **after: Any,
) -> None:  # fmt: skip
    audit.record(
        session, subject, action, "alarm", responder.alarm_id, at=now,
        after={"responder_id": responder.id, "state": responder.state, **after},
    )  # fmt: skip


def accept(session: Session, subject: Subject, alarm_id: int, *, now: datetime) -> AlarmResponder:
    """The responder says they will go."""
    alarm, responder, state = _own(session, subject, alarm_id, Move.ACCEPT)
    responder.state, responder.accepted_at = state, now
    timers.cancel(session, ACCEPT_TIMER, responder.id, now=now)
    _step(session, alarm, StepAction.RESPONDER_ACCEPTED, now, Actor.of(subject), responder)
    _audit(session, subject, "responder_accept", responder, now)
    return responder


def refuse(
    session: Session,
    subject: Subject,
    alarm_id: int,
    reason: str,
    *,
    now: datetime,
    settings: Settings,
) -> AlarmResponder:
    """The responder cannot go: the next nearest is asked at once."""
    problem = rules.refuse_problem(reason)
    if problem is not None:
        raise problem
    alarm, responder, state = _own(session, subject, alarm_id, Move.REFUSE)
    responder.state, responder.refused_at, responder.refused_reason = state, now, reason
    timers.cancel(session, ACCEPT_TIMER, responder.id, now=now)
    _step(
        session, alarm, StepAction.RESPONDER_REFUSED, now, Actor.of(subject), responder,
        reason=reason,
    )  # fmt: skip
    _audit(session, subject, "responder_refuse", responder, now, reason=reason)
    _ask_next(session, alarm, now=now, settings=settings)
    return responder


def _ask_next(session: Session, alarm: Alarm, *, now: datetime, settings: Settings) -> None:
    """After a refusal or a lapse, the platform asks the next one, or says nobody is left."""
    platform = system_subject("alarm responders")
    if _send_next(session, alarm, platform, now=now, settings=settings) is None:
        add_step(
            session, alarm, StepAction.NOTE, now, Actor.of(platform),
            "nobody_left", {"nobody_left": True},
        )  # fmt: skip
        session.flush()
        bus.publish(
            session,
            AlarmStepped(
                occurred_at=now, actor=Actor.of(platform), alarm=AlarmSnapshot.of(alarm),
                action=StepAction.NOTE,
            ),
        )  # fmt: skip


def on_the_way(
    session: Session, subject: Subject, alarm_id: int, *, now: datetime
) -> AlarmResponder:
    """The responder set out (accepting, if they had not yet)."""
    alarm, responder, state = _own(session, subject, alarm_id, Move.ON_THE_WAY)
    responder.state, responder.on_the_way_at = state, now
    responder.accepted_at = responder.accepted_at or now
    timers.cancel(session, ACCEPT_TIMER, responder.id, now=now)
    expected = now + timedelta(minutes=responder.travel_minutes)
    _step(
        session, alarm, StepAction.RESPONDER_ON_THE_WAY, now, Actor.of(subject), responder,
        expected_at=expected.isoformat(),
    )  # fmt: skip
    _audit(session, subject, "responder_on_the_way", responder, now)
    return responder


def arrive(
    session: Session,
    subject: Subject,
    alarm_id: int,
    *,
    lat: float | None,
    lon: float | None,
    reason: str | None,
    now: datetime,
) -> AlarmResponder:
    """The responder is at the home: inside the geofence, or outside it with a reason."""
    alarm, responder, state = _own(session, subject, alarm_id, Move.ARRIVE)
    elder = alarm.elder
    assert elder is not None  # nobody is sent to an alarm without an elder
    found = rules.arrival(Point(elder.lat, elder.lon), elder.geofence_m, lat, lon, reason)
    responder.state, responder.arrived_at = state, now
    responder.arrived_lat, responder.arrived_lon = found.lat, found.lon
    responder.arrived_distance_m, responder.arrived_reason = found.distance_m, found.reason
    _step(
        session, alarm, StepAction.RESPONDER_ARRIVED, now, Actor.of(subject), responder,
        text=found.reason, distance_m=found.distance_m, inside=found.inside,
    )  # fmt: skip
    _audit(
        session, subject, "responder_arrive", responder, now,
        distance_m=found.distance_m, inside=found.inside,
    )  # fmt: skip
    return responder


def report(
    session: Session,
    subject: Subject,
    alarm_id: int,
    outcome: str,
    note: str | None,
    *,
    now: datetime,
) -> AlarmResponder:
    """The responder says what they found and did (the operator then resolves the alarm)."""
    note = (note or "").strip() or None
    problem = rules.outcome_problem(outcome, note)
    if problem is not None:
        raise problem
    alarm, responder, state = _own(session, subject, alarm_id, Move.REPORT)
    responder.state, responder.reported_at = state, now
    responder.outcome, responder.note = outcome, note
    _step(
        session, alarm, StepAction.RESPONDER_REPORTED, now, Actor.of(subject), responder,
        text=note, outcome=outcome,
    )  # fmt: skip
    _audit(session, subject, "responder_report", responder, now, outcome=outcome)
    return responder


def expire(session: Session, responder_id: int, *, now: datetime, settings: Settings) -> None:
    """The accept timer fired: a responder still not answering is passed over for the next."""
    responder = repository.responder_for_update(session, responder_id)
    if responder is None or responder.state != State.SENT:
        return
    platform = system_subject("alarm responders")
    alarm = repository.get_alarm(session, platform, responder.alarm_id, lock=True)
    if alarm.closed_at is not None:
        return
    responder.state = rules.next_state(responder.state, Move.TIME_OUT)
    _step(session, alarm, StepAction.RESPONDER_TIMED_OUT, now, Actor.of(platform), responder)
    _ask_next(session, alarm, now=now, settings=settings)
