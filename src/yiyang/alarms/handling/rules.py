"""Pure rules of handling an alarm: which action is allowed in which state, what it leads to,
the disposition codes, the escalation decision and the order of the queue.

Values in (the alarm's status and facts, `now`), decisions out; no session, no clock.
Acknowledged (a person took it) and cleared (the cause went away) are separate facts: a clear
never changes the status, and an alarm a person must handle (SOS, fall, smoke, gas) is closed
only by a person, never by a device reset or the signal going away.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from yiyang.alarms.kinds import NEEDS_A_PERSON, AlarmStatus
from yiyang.errors import N_, Conflict, Invalid
from yiyang.kit.localtime import CHINA_TZ, local_today

S = AlarmStatus


class Action(StrEnum):
    """What a person (or the response flow) can do to an alarm."""

    ACKNOWLEDGE = "acknowledge"
    CALL = "call"  # call the elder or a contact (voice port, or logged by hand)
    LOG_CALL = "log_call"  # the result of an earlier call
    CALL_120 = "call_120"
    RESPOND = "respond"  # a responder was sent (alarms/response)
    NOTE = "note"
    RESOLVE = "resolve"
    CLOSE = "close"
    REVIEW = "review"


A = Action
_HANDLING = (S.ACKNOWLEDGED, S.RESPONDING)
_OPEN = (S.QUEUED, S.ACKNOWLEDGED, S.RESPONDING, S.RESOLVED)

# (status, action) → the status after it.
TRANSITIONS: dict[tuple[AlarmStatus, Action], AlarmStatus] = {
    (S.QUEUED, A.ACKNOWLEDGE): S.ACKNOWLEDGED,
    **{(s, a): S.RESPONDING for s in _HANDLING for a in (A.CALL, A.CALL_120, A.RESPOND)},
    **{(s, A.LOG_CALL): s for s in (*_HANDLING, S.RESOLVED)},
    (S.RESOLVED, A.CALL): S.RESOLVED,  # telling the family afterwards
    **{(s, A.NOTE): s for s in _OPEN},
    **{(s, A.RESOLVE): S.RESOLVED for s in _HANDLING},
    **{(s, A.CLOSE): S.CLOSED for s in (*_HANDLING, S.RESOLVED)},
    (S.CLOSED, A.REVIEW): S.CLOSED,
}

# Actions only the operator holding the alarm (or a supervisor) may take.
HOLDER_ONLY = frozenset({A.CALL, A.LOG_CALL, A.CALL_120, A.RESOLVE, A.CLOSE})


class NotAllowed(Conflict):
    """The action does not fit the alarm's state; the message says what to do instead."""

    code = "alarm_action_not_allowed"


_WHY: dict[AlarmStatus, str] = {
    S.QUEUED: N_("Acknowledge the alarm first: nobody has taken it yet."),
    S.CLOSED: N_("This alarm is closed; only a review can be added."),
}


def transition(status: str, action: str) -> AlarmStatus:
    """The status after `action`, or NotAllowed (409) saying why and what to do."""
    try:
        key = (AlarmStatus(status), Action(action))
    except ValueError:
        raise NotAllowed(
            N_("The action %(action)s is not possible on an alarm that is %(status)s."),
            action=str(action),
            status=str(status),
        ) from None
    if key in TRANSITIONS:
        return TRANSITIONS[key]
    st, act = key
    if act is A.ACKNOWLEDGE and st is not S.CLOSED:
        raise NotAllowed(
            N_("This alarm has already been acknowledged."), code="already_acknowledged"
        )
    if act is A.REVIEW:
        raise NotAllowed(N_("Close the alarm before reviewing it."), code="not_closed")
    if st is S.RESOLVED and act in (A.CALL_120, A.RESPOND, A.RESOLVE):
        raise NotAllowed(N_("This alarm is already resolved."), code="already_resolved")
    raise NotAllowed(_WHY.get(st, N_("This action is not possible now.")), code=f"alarm_{st}")


def allowed(status: str) -> list[Action]:
    """The actions possible in a status (for the console's buttons)."""
    return [a for a in Action if (AlarmStatus(status), a) in TRANSITIONS]


def acknowledge_conflict(holder_id: int | None, holder_name: str, user_id: int | None) -> None:
    """409 when another person holds the alarm already; nothing when it is free or one's own."""
    if holder_id is not None and holder_id != user_id:
        raise Conflict(
            N_("%(name)s has already acknowledged this alarm."),
            code="acknowledged_by_another",
            name=holder_name,
        )


def holder_check(
    action: Action, holder_id: int | None, holder_name: str, user_id: int | None, supervisor: bool
) -> None:
    """Only the operator holding the alarm, or a supervisor, calls, resolves and closes it."""
    if action in HOLDER_ONLY and holder_id is not None and holder_id != user_id and not supervisor:
        raise Conflict(
            N_("%(name)s is handling this alarm; ask them or a supervisor."),
            code="held_by_another",
            name=holder_name,
        )


# --- disposition codes ------------------------------------------------------------------------


class Disposition(StrEnum):
    """Why an alarm was closed (the code every close needs)."""

    FALSE_ALARM = "false_alarm"
    BY_PHONE = "resolved_by_phone"
    FAMILY_ATTENDED = "family_attended"
    RESPONDER_ATTENDED = "responder_attended"
    AMBULANCE_CALLED = "ambulance_called"
    TAKEN_TO_HOSPITAL = "taken_to_hospital"
    DEVICE_FAULT = "device_fault"
    NOT_AT_HOME = "not_at_home"
    SELF_CLEARED = "self_cleared"
    OTHER = "other"


DISPOSITION_LABELS: dict[Disposition, str] = {
    Disposition.FALSE_ALARM: N_("False alarm / pressed by mistake"),
    Disposition.BY_PHONE: N_("Resolved by phone"),
    Disposition.FAMILY_ATTENDED: N_("Family attended"),
    Disposition.RESPONDER_ATTENDED: N_("Responder attended"),
    Disposition.AMBULANCE_CALLED: N_("Ambulance called"),
    Disposition.TAKEN_TO_HOSPITAL: N_("Taken to hospital"),
    Disposition.DEVICE_FAULT: N_("Device fault"),
    Disposition.NOT_AT_HOME: N_("Elder not at home"),
    Disposition.SELF_CLEARED: N_("The cause went away by itself"),
    Disposition.OTHER: N_("Other (say what in the note)"),
}


def check_close(alarm_type: str, disposition: str | None, note: str | None, cleared: bool) -> str:
    """The disposition code to store, or Invalid (422) naming the field at fault."""
    if not disposition:
        raise Invalid(
            N_("Choose why the alarm is closed."), field="disposition", code="disposition_required"
        )
    try:
        code = Disposition(disposition)
    except ValueError:
        raise Invalid(
            N_("Choose a reason from the list."), field="disposition", code="disposition_unknown"
        ) from None
    if code is Disposition.OTHER and not (note or "").strip():
        raise Invalid(
            N_('Write what happened when the reason is "other".'),
            field="note",
            code="note_required",
        )
    if code is Disposition.SELF_CLEARED and (not cleared or alarm_type in NEEDS_A_PERSON):
        raise Invalid(
            N_("Only an alarm whose cause went away, and that no person must handle, can be"
               " closed as gone by itself."),
            field="disposition",
            code="not_self_cleared",
        )  # fmt: skip
    return str(code)


# --- calls ------------------------------------------------------------------------------------


class CallResult(StrEnum):
    """How a call went."""

    ANSWERED = "answered"
    NO_ANSWER = "no_answer"
    BUSY = "busy"
    WRONG_NUMBER = "wrong_number"


CALL_RESULT_LABELS: dict[CallResult, str] = {
    CallResult.ANSWERED: N_("Answered"),
    CallResult.NO_ANSWER: N_("No answer"),
    CallResult.BUSY: N_("Busy"),
    CallResult.WRONG_NUMBER: N_("Wrong number"),
}


@dataclass(frozen=True)
class Callee:
    """Someone the operator can call about the alarm: the elder or one of the contacts."""

    target: str  # "elder" or "contact"
    contact_id: int | None
    name: str
    relationship: str | None
    phone: str | None
    has_key: bool
    priority: int


def call_order(callees: list[Callee]) -> list[Callee]:
    """Who to call, in order: the contacts with a key first (by priority), then the others, then
    the elder (an elder who cannot get up is reached through someone who can open the door)."""
    return sorted(
        callees,
        key=lambda c: (c.target == "elder", not c.has_key, c.priority, c.contact_id or 0),
    )


# --- escalation and review


class ReviewReason(StrEnum):
    """Why a review ticket was opened."""

    NOT_ANSWERED = "not_answered_180s"  # nobody acknowledged the alarm within 180 s
    SPOT_CHECK = "spot_check"  # a supervisor reviewed it without a ticket


REVIEW_REASON_LABELS: dict[ReviewReason, str] = {
    ReviewReason.NOT_ANSWERED: N_("Not answered within 3 minutes"),
    ReviewReason.SPOT_CHECK: N_("Spot check"),
}
ESCALATION_LABELS: dict[int, str] = {
    1: N_("Not answered in 60 seconds: the supervisors are alerted"),
    2: N_("Not answered in 3 minutes: every operator is alerted and a review ticket opened"),
}
REVIEW_LEVEL = 2  # the escalation level that opens a review ticket


def escalation_due(status: str, acknowledged: bool, current_level: int, level: int) -> bool:
    """Whether an escalation timer of `level` should act: the alarm is still waiting for a
    person and has not reached that level yet (an acknowledged or closed alarm is left be)."""
    return not acknowledged and status == S.QUEUED and current_level < level


# --- the queue ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class RiskFacts:
    """What makes an elder more at risk when an alarm comes in."""

    living_alone: bool
    birth_date: date | None
    capability_level: int | None  # GB/T 42195: 0 capable … 4 completely dependent


def age_on(birth_date: date, today: date) -> int:
    """Whole years of age on `today`."""
    return (
        today.year
        - birth_date.year
        - ((today.month, today.day) < (birth_date.month, birth_date.day))
    )


def risk(facts: RiskFacts | None, today: date) -> int:
    """A risk score for the queue (higher first): living alone 2; aged 80+ 2, 90+ 3; the
    capability level 0–4 as it is (a dependent elder cannot help themselves). No elder → 0."""
    if facts is None:
        return 0
    score = 2 if facts.living_alone else 0
    if facts.birth_date is not None:
        age = age_on(facts.birth_date, today)
        score += 3 if age >= 90 else 2 if age >= 80 else 0
    score += max(0, min(4, facts.capability_level or 0))
    return score


def queue_key(
    severity: int, risk_score: int, raised_at: datetime, cleared: bool
) -> tuple[int, int, int, datetime]:
    """Sort key of the queue: severity, then still active before cleared, then risk, then the
    longest waiting first."""
    return (-severity, int(cleared), -risk_score, raised_at)


# --- figures ----------------------------------------------------------------------------------


def day_start(now: datetime) -> datetime:
    """Midnight of today in China (the figures' "today"), as an aware instant."""
    today = local_today(now)
    return datetime(today.year, today.month, today.day, tzinfo=CHINA_TZ)


ANSWER_TARGETS: tuple[tuple[timedelta, float], ...] = (
    (timedelta(seconds=60), 0.985),
    (timedelta(seconds=180), 0.995),
)


@dataclass(frozen=True)
class Compliance:
    """The share of alarms answered within a limit, against its target."""

    within: timedelta
    target: float
    answered: int  # acknowledged within the limit
    counted: int  # alarms whose limit has passed, or that were answered (the denominator)

    @property
    def share(self) -> float | None:
        """answered / counted, or None when nothing counts yet."""
        return self.answered / self.counted if self.counted else None

    @property
    def met(self) -> bool | None:
        """Whether the target is met (None when nothing counts yet)."""
        share = self.share
        return None if share is None else share >= self.target


def compliance(alarms: list[tuple[datetime, datetime | None]], now: datetime) -> list[Compliance]:
    """Answer-time compliance for (raised_at, acknowledged_at) pairs: an alarm counts once it
    was answered or once its limit has passed unanswered (so a fresh one is not a miss yet)."""
    out = []
    for within, target in ANSWER_TARGETS:
        answered = counted = 0
        for raised_at, acknowledged_at in alarms:
            if acknowledged_at is not None and acknowledged_at - raised_at <= within:
                answered += 1
                counted += 1
            elif acknowledged_at is not None or now - raised_at > within:
                counted += 1
        out.append(Compliance(within, target, answered, counted))
    return out
