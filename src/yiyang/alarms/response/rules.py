"""Pure rules of sending a responder: who is on duty, who is nearest, what counts as arrived.

Values and `now` in, decisions out: no session, no clock. The travel estimate is the
dispatch planner's (planner.travel), so an alarm and a visit agree on how far a person is.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from yiyang.errors import N_, Conflict, Invalid
from yiyang.kit.geo import haversine_m
from yiyang.planner.types import Point, TravelModel, Window

CAREGIVER, COMMUNITY_STAFF = "caregiver", "community_staff"
ROLE_WORDS = {CAREGIVER: N_("caregiver"), COMMUNITY_STAFF: N_("community worker")}


class State(StrEnum):
    """Where one responder is."""

    SENT = "sent"
    ACCEPTED = "accepted"
    ON_THE_WAY = "on_the_way"
    ARRIVED = "arrived"
    REPORTED = "reported"
    REFUSED = "refused"
    TIMED_OUT = "timed_out"


class Move(StrEnum):
    """What a responder (or the clock) does."""

    ACCEPT = "accept"
    REFUSE = "refuse"
    ON_THE_WAY = "on_the_way"
    ARRIVE = "arrive"
    REPORT = "report"
    TIME_OUT = "time_out"


# Responders still on the job: a new one is not sent while one of these stands.
ACTIVE = frozenset({State.SENT, State.ACCEPTED, State.ON_THE_WAY, State.ARRIVED})
# Waiting for the responder's hand: what their phone lists.
WAITING = frozenset({State.SENT, State.ACCEPTED, State.ON_THE_WAY, State.ARRIVED})

_MOVES: dict[tuple[State, Move], State] = {
    (State.SENT, Move.ACCEPT): State.ACCEPTED,
    (State.SENT, Move.REFUSE): State.REFUSED,
    (State.SENT, Move.TIME_OUT): State.TIMED_OUT,
    (State.SENT, Move.ON_THE_WAY): State.ON_THE_WAY,  # set out at once: accepting is implied
    (State.ACCEPTED, Move.REFUSE): State.REFUSED,  # cannot go after all
    (State.ACCEPTED, Move.ON_THE_WAY): State.ON_THE_WAY,
    (State.ACCEPTED, Move.ARRIVE): State.ARRIVED,
    (State.ON_THE_WAY, Move.ARRIVE): State.ARRIVED,
    (State.ARRIVED, Move.REPORT): State.REPORTED,
}

STATE_WORDS = {
    State.SENT: N_("Waiting for your answer"),
    State.ACCEPTED: N_("You accepted"),
    State.ON_THE_WAY: N_("On your way"),
    State.ARRIVED: N_("You are there"),
    State.REPORTED: N_("Reported"),
    State.REFUSED: N_("You refused"),
    State.TIMED_OUT: N_("Not answered in time"),
}

REFUSE_REASONS: dict[str, str] = {
    "too_far": N_("Too far away"),
    "with_elder": N_("With another elder I cannot leave"),
    "off_duty": N_("Not working now"),
    "unwell": N_("Unwell"),
    "other": N_("Another reason"),
}

OUTCOMES: dict[str, str] = {
    "elder_fine": N_("The elder is fine"),
    "helped": N_("Helped the elder (helped up, calmed down)"),
    "family_attended": N_("Family attended"),
    "ambulance": N_("Ambulance came, taken to hospital"),
    "false_alarm": N_("False alarm (pressed by mistake)"),
    "not_home": N_("Nobody at home"),
    "device_problem": N_("The device was faulty"),
    "other": N_("Something else (see the note)"),
}


def next_state(state: str, move: Move) -> State:
    """The responder's state after `move`, or a Conflict saying why it cannot happen now."""
    found = _MOVES.get((State(state), move))
    if found is None:
        raise Conflict(
            N_("This cannot be done now: the responder's step is “%(state)s”."),
            code="responder_state",
            state=STATE_WORDS[State(state)],
        )
    return found


@dataclass(frozen=True)
class Person:
    """Someone who might be sent: a field caregiver or a community worker.

    `at` is where they are believed to be now (None: unknown); `shifts` their working
    windows; `busy` the visits they are giving (service time).
    """

    key: str  # "staff:12" or "user:40"
    name: str
    role: str  # CAREGIVER | COMMUNITY_STAFF
    staff_id: int | None
    user_id: int | None
    community_id: int | None
    street_id: int | None
    at: Point | None
    travel_mode: str
    shifts: tuple[Window, ...]
    busy: tuple[Window, ...] = ()


@dataclass(frozen=True)
class Offer:
    """A person who may be sent, with the estimated travel and why they rank where they do."""

    person: Person
    minutes: int
    local: bool  # same community as the elder
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class Choice:
    """Who may be sent, nearest first, and who was left out for which reason."""

    offers: tuple[Offer, ...]
    rejected: Mapping[str, int]  # reason code -> how many

    @property
    def first(self) -> Offer | None:
        """The person to ask first, if anyone."""
        return self.offers[0] if self.offers else None


REJECT_WORDS = {
    "off_duty": N_("not working now"),
    "busy": N_("giving a visit now"),
    "no_account": N_("no phone account"),
    "asked_before": N_("already asked for this alarm"),
    "no_place": N_("whereabouts unknown"),
}


def duty_problem(person: Person, now: datetime) -> str | None:
    """Why this person cannot be sent now ("off_duty", "busy", "no_account"), or None."""
    if person.user_id is None:
        return "no_account"
    if not any(w.start <= now < w.end for w in person.shifts):
        return "off_duty"
    if any(w.start <= now < w.end for w in person.busy):
        return "busy"
    return None


def where_now(home: Point, busy: Iterable[tuple[Window, Point]], now: datetime) -> Point:
    """Where a caregiver is now: at the latest visit begun before now, else at their centre."""
    begun = [(w.start, p) for w, p in busy if w.start <= now]
    return max(begun, key=lambda sp: sp[0])[1] if begun else home


def choose(
    elder_at: Point,
    community_id: int,
    people: Iterable[Person],
    travel: TravelModel,
    *,
    now: datetime,
    reach_minutes: int,
    excluded: frozenset[str] = frozenset(),
    unknown_minutes: int = 30,
) -> Choice:
    """Everyone on duty who may be sent, ordered: people of the elder's community who can be
    there within `reach_minutes`, nearest first; then everyone else nearest first (another
    community of the street or the district when nobody local is near or on duty).

    A person whose whereabouts are unknown is estimated at `unknown_minutes`.
    """
    rejected: Counter[str] = Counter()
    offers: list[Offer] = []
    for person in people:
        if person.key in excluded:
            rejected["asked_before"] += 1
            continue
        problem = duty_problem(person, now)
        if problem is not None:
            rejected[problem] += 1
            continue
        if person.at is None:
            minutes = unknown_minutes
            reasons: list[str] = ["no_place"]
        else:
            minutes = round(travel.minutes(person.at, elder_at, person.travel_mode))
            reasons = []
        local = person.community_id == community_id
        reasons.append("same_community" if local else "other_community")
        offers.append(Offer(person, minutes, local, tuple(reasons)))
    offers.sort(
        key=lambda o: (not (o.local and o.minutes <= reach_minutes), o.minutes, o.person.key)
    )
    return Choice(tuple(offers), dict(rejected))


@dataclass(frozen=True)
class Arrival:
    """Where the responder said they arrived and how far that is from the home."""

    lat: float | None
    lon: float | None
    distance_m: int | None
    inside: bool
    reason: str | None


def arrival(
    home: Point, geofence_m: int, lat: float | None, lon: float | None, reason: str | None
) -> Arrival:
    """Arrived means inside the elder's geofence; outside it, or with no location (refused or
    unavailable), the responder must say why. Bad coordinates are refused with a reason."""
    reason = (reason or "").strip() or None
    if (lat is None) != (lon is None):
        raise Invalid(N_("Give both latitude and longitude, or neither."), field="lat")
    if lat is None or lon is None:
        if reason is None:
            raise Invalid(
                N_("Your location could not be read: say where you are (“at the door”)."),
                field="reason",
            )
        return Arrival(None, None, None, False, reason)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise Invalid(N_("The location is not a place on Earth."), field="lat")
    distance = round(haversine_m(lat, lon, home.lat, home.lon))
    inside = distance <= geofence_m
    if not inside and reason is None:
        raise Invalid(
            N_(
                "You are %(distance)s m from the home (more than %(fence)s m): say why, for"
                " example “the elder is at the neighbour's”."
            ),
            field="reason",
            distance=distance,
            fence=geofence_m,
        )
    return Arrival(lat, lon, distance, inside, None if inside else reason)


def outcome_problem(outcome: str, note: str | None) -> Invalid | None:
    """An outcome must be one of OUTCOMES; "other" needs a note."""
    if outcome not in OUTCOMES:
        return Invalid(N_("Choose what happened from the list."), field="outcome")
    if outcome == "other" and not (note or "").strip():
        return Invalid(N_("Say in the note what happened."), field="note")
    return None


def refuse_problem(reason: str) -> Invalid | None:
    """A refusal names one of REFUSE_REASONS."""
    if reason not in REFUSE_REASONS:
        return Invalid(N_("Choose why you cannot go."), field="reason")
    return None
