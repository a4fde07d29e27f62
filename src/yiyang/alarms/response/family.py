"""An alarm told in the family's words: what happened, who took it, who is coming, how it ended.

"SOS call from the pull-cord alarm · 12:03", "The call centre took it · 12:03", "李明 (community
worker) is on the way, about 8 min · 12:04", "Arrived · 12:12", "Closed: family attended".
No internal codes: only words, names and China times.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from yiyang.alarms.kinds import LABELS, AlarmType, Severity, StepAction
from yiyang.alarms.models import Alarm, AlarmStep
from yiyang.alarms.response import repository
from yiyang.alarms.response.models import AlarmResponder
from yiyang.alarms.response.rules import OUTCOMES, ROLE_WORDS, State
from yiyang.devices.kinds import KINDS, DeviceKind
from yiyang.errors import N_
from yiyang.kit.localtime import CHINA_TZ
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject
from yiyang.web.i18n import translate

SHOWN_AFTER_CLOSE = timedelta(hours=12)  # a closed alarm stays on the home page this long
MIN_SEVERITY = Severity.MAJOR  # a low battery is not news for the family's home page
# Responders the family does not hear about: they never went.
PASSED_OVER = frozenset({State.REFUSED, State.TIMED_OUT})


@dataclass(frozen=True)
class Line:
    """One thing that happened, with its China time."""

    time: str
    words: str


@dataclass(frozen=True)
class FamilyAlarm:
    """One alarm as the family sees it."""

    open: bool
    title: str
    lines: tuple[Line, ...]


def hhmm(at: datetime) -> str:
    """'12:03' in China time."""
    return at.astimezone(CHINA_TZ).strftime("%H:%M")


def alarm_words(locale: str, alarm: Alarm, device_kind: str | None) -> str:
    """'SOS call from the pull-cord alarm' (or just the alarm's name)."""
    label = translate(locale, LABELS.get(AlarmType(alarm.type), N_("Alarm")))
    if device_kind is None or device_kind not in set(DeviceKind):
        return label
    device = translate(locale, KINDS[DeviceKind(device_kind)].label)
    return translate(
        locale, N_("%(alarm)s from the %(device)s"), {"alarm": label, "device": device}
    )


def received_words(locale: str, device_kind: str | None) -> str:
    """'Received from the pull-cord alarm' (or just 'Received')."""
    if device_kind is None or device_kind not in set(DeviceKind):
        return translate(locale, N_("Received"))
    device = translate(locale, KINDS[DeviceKind(device_kind)].label)
    return translate(locale, N_("Received from the %(device)s"), {"device": device})


def who_words(locale: str, name: str, role: str) -> str:
    """'李明 (community worker)'."""
    role_text = translate(locale, ROLE_WORDS.get(role, N_("responder")))
    return translate(locale, N_("%(name)s (%(role)s)"), {"name": name, "role": role_text})


def _responder_lines(locale: str, r: AlarmResponder) -> list[tuple[datetime, str]]:
    who = who_words(locale, r.name, r.role)
    out: list[tuple[datetime, str]] = [
        (r.sent_at, translate(locale, N_("%(who)s was asked to go"), {"who": who}))
    ]
    if r.on_the_way_at is not None:
        out.append(
            (
                r.on_the_way_at,
                translate(
                    locale,
                    N_("%(who)s is on the way, about %(minutes)s min"),
                    {"who": who, "minutes": r.travel_minutes},
                ),
            )
        )
    elif r.accepted_at is not None:
        out.append((r.accepted_at, translate(locale, N_("%(who)s is coming"), {"who": who})))
    if r.arrived_at is not None:
        out.append((r.arrived_at, translate(locale, N_("%(name)s arrived"), {"name": r.name})))
    if r.reported_at is not None and r.outcome:
        out.append(
            (
                r.reported_at,
                translate(
                    locale,
                    N_("%(name)s reports: %(outcome)s"),
                    {"name": r.name, "outcome": translate(locale, OUTCOMES[r.outcome])},
                ),
            )
        )
    return out


STEP_WORDS = {
    StepAction.ACKNOWLEDGED: N_("The call centre took it"),
    StepAction.CALLED_120: N_("An ambulance (120) was called"),
    StepAction.RESOLVED: N_("Handled"),
}


def story(
    locale: str,
    alarm: Alarm,
    steps: list[AlarmStep],
    responders: list[AlarmResponder],
    device_kind: str | None,
) -> FamilyAlarm:
    """The alarm's timeline as the family reads it, oldest first."""
    title = translate(locale, LABELS.get(AlarmType(alarm.type), N_("Alarm")))
    dated: list[tuple[datetime, str]] = [(alarm.raised_at, received_words(locale, device_kind))]
    for step in steps:
        words = STEP_WORDS.get(StepAction(step.action)) if step.action in set(StepAction) else None
        if words is not None:
            dated.append((step.at, translate(locale, words)))
    for r in responders:
        if r.state not in PASSED_OVER:
            dated.extend(_responder_lines(locale, r))
    if alarm.closed_at is not None:
        reported = [r.outcome for r in responders if r.outcome]
        closed = translate(locale, N_("Closed"))
        if reported:
            outcome = translate(locale, OUTCOMES[reported[-1]])
            closed = translate(locale, N_("Closed: %(outcome)s"), {"outcome": outcome})
        dated.append((alarm.closed_at, closed))
    dated.sort(key=lambda d: d[0])
    return FamilyAlarm(
        open=alarm.closed_at is None,
        title=title,
        lines=tuple(Line(hhmm(at), words) for at, words in dated),
    )


def family_alarms(
    session: Session, subject: Subject, locale: str, *, now: datetime
) -> list[FamilyAlarm]:
    """The elder's open alarms (and those closed in the last hours), for the phone home."""
    if not subject.can(Perm.ALARM_READ) or subject.elder_id is None:
        return []
    alarms = repository.family_alarms(
        session, subject.elder_id, since=now - SHOWN_AFTER_CLOSE, min_severity=MIN_SEVERITY
    )
    return [
        story(
            locale,
            a,
            repository.steps(session, a.id),
            repository.responders(session, a.id),
            a.device.kind if a.device is not None else None,
        )
        for a in alarms
    ]
