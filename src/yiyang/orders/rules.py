"""Pure order rules: the lifecycle state machine, the price in force and time-window checks."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum

from yiyang.errors import N_, Conflict, FieldProblem


class Status(StrEnum):
    """The lifecycle of DOMAIN.md §6 (plus `queued`: waiting for a dispatcher)."""

    CREATED = "created"
    PRICED = "priced"
    QUEUED = "queued"
    OFFERED = "offered"
    ORG_ACCEPTED = "org_accepted"
    ORG_REFUSED = "org_refused"
    ASSIGNED = "assigned"
    CAREGIVER_ACCEPTED = "caregiver_accepted"
    CAREGIVER_REFUSED = "caregiver_refused"
    ON_THE_WAY = "on_the_way"
    CHECKED_IN = "checked_in"
    CHECKED_OUT = "checked_out"
    COMPLETED = "completed"
    CONFIRMED = "confirmed"
    SETTLED = "settled"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"


class Event(StrEnum):
    """What can happen to an order; `transition` says where each leads from each status."""

    PRICE = "price"
    OFFER = "offer"  # offered to an organisation (automatic dispatch)
    QUEUE = "queue"  # no candidate: to the dispatcher queue
    ORG_ACCEPT = "org_accept"
    ORG_REFUSE = "org_refuse"
    ORG_TIMEOUT = "org_timeout"
    ASSIGN = "assign"  # offered to the caregiver after the organisation accepted
    CAREGIVER_ACCEPT = "caregiver_accept"
    CAREGIVER_REFUSE = "caregiver_refuse"
    CAREGIVER_TIMEOUT = "caregiver_timeout"
    CAREGIVER_UNAVAILABLE = "caregiver_unavailable"  # fell ill, late: re-dispatch
    REASSIGN = "reassign"  # a dispatcher's manual assignment
    DEPART = "depart"
    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"
    COMPLETE = "complete"
    CONFIRM = "confirm"
    SETTLE = "settle"
    CANCEL = "cancel"
    NO_SHOW = "no_show"


S, E = Status, Event
_CANCELLABLE = (
    S.CREATED, S.PRICED, S.QUEUED, S.OFFERED, S.ORG_REFUSED, S.ORG_ACCEPTED, S.ASSIGNED,
    S.CAREGIVER_REFUSED, S.CAREGIVER_ACCEPTED, S.ON_THE_WAY,
)  # fmt: skip
_REDISPATCHABLE = (S.PRICED, S.QUEUED, S.ORG_REFUSED, S.CAREGIVER_REFUSED)
_REASSIGNABLE = (
    S.PRICED, S.QUEUED, S.OFFERED, S.ORG_REFUSED, S.ORG_ACCEPTED, S.ASSIGNED,
    S.CAREGIVER_REFUSED, S.CAREGIVER_ACCEPTED, S.ON_THE_WAY,
)  # fmt: skip

TRANSITIONS: dict[tuple[Status, Event], Status] = {
    (S.CREATED, E.PRICE): S.PRICED,
    **{(s, E.OFFER): S.OFFERED for s in _REDISPATCHABLE},
    **{(s, E.QUEUE): S.QUEUED for s in (*_REDISPATCHABLE, S.ORG_ACCEPTED)},
    **{(s, E.REASSIGN): S.ASSIGNED for s in _REASSIGNABLE},
    **{(s, E.CANCEL): S.CANCELLED for s in _CANCELLABLE},
    (S.OFFERED, E.ORG_ACCEPT): S.ORG_ACCEPTED,
    (S.OFFERED, E.ORG_REFUSE): S.ORG_REFUSED,
    (S.OFFERED, E.ORG_TIMEOUT): S.ORG_REFUSED,
    (S.ORG_ACCEPTED, E.ASSIGN): S.ASSIGNED,
    (S.ASSIGNED, E.CAREGIVER_ACCEPT): S.CAREGIVER_ACCEPTED,
    (S.ASSIGNED, E.CAREGIVER_REFUSE): S.CAREGIVER_REFUSED,
    (S.ASSIGNED, E.CAREGIVER_TIMEOUT): S.CAREGIVER_REFUSED,
    (S.ASSIGNED, E.CAREGIVER_UNAVAILABLE): S.CAREGIVER_REFUSED,
    (S.CAREGIVER_ACCEPTED, E.CAREGIVER_UNAVAILABLE): S.CAREGIVER_REFUSED,
    (S.ON_THE_WAY, E.CAREGIVER_UNAVAILABLE): S.CAREGIVER_REFUSED,
    (S.CAREGIVER_ACCEPTED, E.DEPART): S.ON_THE_WAY,
    (S.CAREGIVER_ACCEPTED, E.CHECK_IN): S.CHECKED_IN,
    (S.ON_THE_WAY, E.CHECK_IN): S.CHECKED_IN,
    (S.CAREGIVER_ACCEPTED, E.NO_SHOW): S.NO_SHOW,
    (S.ON_THE_WAY, E.NO_SHOW): S.NO_SHOW,
    (S.CHECKED_IN, E.CHECK_OUT): S.CHECKED_OUT,
    (S.CHECKED_OUT, E.COMPLETE): S.COMPLETED,
    (S.COMPLETED, E.CONFIRM): S.CONFIRMED,
    (S.COMPLETED, E.SETTLE): S.SETTLED,
    (S.CONFIRMED, E.SETTLE): S.SETTLED,
}

TERMINAL = frozenset({S.SETTLED, S.CANCELLED, S.NO_SHOW})
# Orders that hold a caregiver's time (tentatively from the offer on).
HOLDS_CAREGIVER = frozenset(
    {S.OFFERED, S.ORG_ACCEPTED, S.ASSIGNED, S.CAREGIVER_ACCEPTED, S.ON_THE_WAY, S.CHECKED_IN}
)
# Orders that count against a subsidy quota (everything not cancelled or no-show).
COUNTS_FOR_QUOTA = frozenset(set(Status) - {S.CANCELLED, S.NO_SHOW})
AWAITING_DISPATCH = frozenset(_REDISPATCHABLE)
# A caregiver has said yes: the elder and family are told who is coming (and keep the name).
CAREGIVER_COMING = frozenset(
    {S.CAREGIVER_ACCEPTED, S.ON_THE_WAY, S.CHECKED_IN, S.CHECKED_OUT, S.COMPLETED, S.CONFIRMED,
     S.SETTLED, S.NO_SHOW}
)  # fmt: skip
# While the elder is being served, and so may need a call: the provider from its acceptance,
# the caregiver from theirs, both until check-out (docs/privacy.md).
PROVIDER_SERVING = frozenset(
    {S.ORG_ACCEPTED, S.ASSIGNED, S.CAREGIVER_ACCEPTED, S.ON_THE_WAY, S.CHECKED_IN}
)
CAREGIVER_SERVING = frozenset({S.CAREGIVER_ACCEPTED, S.ON_THE_WAY, S.CHECKED_IN})
# Open orders no caregiver has accepted yet: what a dispatcher keeps an eye on.
WITHOUT_CAREGIVER = frozenset({S.CREATED, *_REDISPATCHABLE, S.OFFERED, S.ORG_ACCEPTED, S.ASSIGNED})


class IllegalTransition(Conflict):
    """The event cannot happen to an order in its current status."""

    code = "illegal_transition"


def transition(status: str, event: str) -> Status:
    """The status an order moves to when `event` happens, or IllegalTransition naming the move."""
    try:
        key = (Status(status), Event(event))
    except ValueError:
        raise IllegalTransition(
            N_("Unknown order status or event: %(status)s / %(event)s."),
            status=status,
            event=event,
        ) from None
    new = TRANSITIONS.get(key)
    if new is None:
        raise IllegalTransition(
            N_("An order that is %(status)s cannot be moved by “%(event)s”."),
            status=status,
            event=event,
        )
    return new


def allowed_events(status: str) -> list[Event]:
    """Events that may happen next (pages show these as buttons)."""
    return [e for (s, e) in TRANSITIONS if s == status]


class Channel(StrEnum):
    """Where an order came from."""

    APP = "app"
    PHONE = "phone"
    API = "api"
    DEVICE = "device"
    RECURRING = "recurring"


@dataclass(frozen=True)
class PriceFacts:
    """One version of an item's price."""

    id: int
    effective_date: date
    price_fen: int
    standard_minutes: int


def price_for(prices: Iterable[PriceFacts], day: date) -> PriceFacts | None:
    """The price version in force on `day`: the latest effective on or before it."""
    in_force = [p for p in prices if p.effective_date <= day]
    return max(in_force, key=lambda p: p.effective_date) if in_force else None


MAX_WINDOW = timedelta(hours=12)  # a visit is asked for within a day, never "any time this year"


def window_problems(
    start: datetime,
    end: datetime,
    *,
    now: datetime,
    standard_minutes: int,
    max_days_ahead: int,
    grace_minutes: int = 5,
) -> list[FieldProblem]:
    """What is wrong with a requested time window (empty when it is acceptable)."""
    problems: list[FieldProblem] = []
    if start < now - timedelta(minutes=grace_minutes):
        problems.append(
            FieldProblem("window_start", "in_past", N_("The time window starts in the past."))
        )
    if end <= start:
        problems.append(
            FieldProblem("window_end", "inverted", N_("The time window ends before it starts."))
        )
    elif end - start > MAX_WINDOW:
        problems.append(
            FieldProblem(
                "window_end",
                "too_long",
                N_("The time window may be at most %(hours)s hours long."),
                {"hours": MAX_WINDOW // timedelta(hours=1)},
            )
        )
    elif end - start < timedelta(minutes=standard_minutes):
        problems.append(
            FieldProblem(
                "window_end",
                "too_short",
                N_("The time window must be at least %(minutes)s minutes long."),
                {"minutes": standard_minutes},
            )
        )
    if start > now + timedelta(days=max_days_ahead):
        problems.append(
            FieldProblem(
                "window_start",
                "too_far",
                N_("Orders can be placed at most %(days)s days ahead."),
                {"days": max_days_ahead},
            )
        )
    return problems


# Events only the platform fires (dispatch, timers) or that have their own path (reassign goes
# through a dispatcher's assignment with a caregiver and a reason): never a bare button.
# Fired by the platform only; an order is settled only by closing a settlement run.
PLATFORM_EVENTS = frozenset(
    {E.PRICE, E.OFFER, E.QUEUE, E.ASSIGN, E.ORG_TIMEOUT, E.CAREGIVER_TIMEOUT, E.REASSIGN,
     E.SETTLE}
)  # fmt: skip
# Who may fire which event by hand (district admins any but the platform's own). Accepting
# an offer is the provider's own word: dispatchers (call centre, street) do not give it for them.
_DISPATCHER_EVENTS = frozenset(
    {E.CANCEL, E.CONFIRM, E.ORG_REFUSE, E.CAREGIVER_UNAVAILABLE, E.NO_SHOW}
)
ROLE_EVENTS: dict[str, frozenset[Event]] = {
    "provider_admin": frozenset(
        {E.ORG_ACCEPT, E.ORG_REFUSE, E.CAREGIVER_UNAVAILABLE, E.COMPLETE, E.CANCEL}
    ),
    "caregiver": frozenset(
        {E.CAREGIVER_ACCEPT, E.CAREGIVER_REFUSE, E.CAREGIVER_UNAVAILABLE, E.DEPART}
        | {E.CHECK_IN, E.CHECK_OUT}
    ),
    "elder": frozenset({E.CANCEL, E.CONFIRM}),
    "family": frozenset({E.CANCEL, E.CONFIRM}),
    "community_staff": frozenset({E.CANCEL, E.CONFIRM}),
    "street_admin": _DISPATCHER_EVENTS,
    "operator": _DISPATCHER_EVENTS,
    "supervisor": _DISPATCHER_EVENTS,
}


def may_fire(role: str, event: str) -> bool:
    """Whether a role may fire an event by hand."""
    if event in PLATFORM_EVENTS:
        return False
    return role == "district_admin" or event in ROLE_EVENTS.get(role, frozenset())


# How the organisation and caregiver steps read after each event.
STEP_STATUS: dict[Event, tuple[str | None, str | None]] = {
    E.OFFER: ("offered", "proposed"),
    E.ORG_ACCEPT: ("accepted", None),
    E.ORG_REFUSE: ("refused", None),
    E.ORG_TIMEOUT: ("expired", None),
    E.ASSIGN: (None, "offered"),
    E.REASSIGN: ("accepted", "offered"),
    E.CAREGIVER_ACCEPT: (None, "accepted"),
    E.CAREGIVER_REFUSE: (None, "refused"),
    E.CAREGIVER_TIMEOUT: (None, "expired"),
    E.CAREGIVER_UNAVAILABLE: (None, "unavailable"),
}
