"""Pure visit rules: geofence, timing, EVV facts, corrections, continuity, month bounds."""

from __future__ import annotations

import hashlib
import hmac
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import astuple, dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum

from yiyang.errors import N_, FieldProblem
from yiyang.kit.geo import haversine_m
from yiyang.kit.localtime import CHINA_TZ


@dataclass(frozen=True)
class VisitPolicy:
    """The configurable numbers of visit supervision (defaults from DOMAIN.md §6)."""

    default_geofence_m: int = 150
    poor_accuracy_m: float = 200.0
    late_after: timedelta = timedelta(minutes=15)
    no_show_after: timedelta = timedelta(minutes=30)
    min_visit: timedelta = timedelta(minutes=30)
    continuity_days: int = 30
    early_margin: timedelta = timedelta(minutes=60)  # check-in sooner before the window: early
    short_share: float = 0.5  # under this share of the item's standard minutes: short


def policy_key(policy: VisitPolicy) -> str:
    """A short fingerprint of a policy's numbers: a stored verdict judged under other numbers
    is known to be stale."""
    return hashlib.sha256(repr(astuple(policy)).encode()).hexdigest()[:16]


class CheckMethod(StrEnum):
    """How a check-in or check-out was captured."""

    GPS = "gps"
    QR = "qr"
    DEVICE_BUTTON = "device_button"
    MANUAL = "manual"


class GeofenceFlag(StrEnum):
    """Why a check-in or check-out position was flagged (never blocked)."""

    OUTSIDE = "outside_geofence"
    POOR_ACCURACY = "poor_accuracy"
    NO_POSITION = "no_position"


class AlertKind(StrEnum):
    """Alerts dispatchers and the call centre see."""

    LATE = "late"
    NO_SHOW = "no_show"
    GEOFENCE = "geofence"
    EARLY = "early"
    SHORT = "short"


class CorrectionReason(StrEnum):
    """The fixed list of reasons a person may give for correcting a visit by hand."""

    DEVICE_FAILURE = "device_failure"
    GPS_UNAVAILABLE = "gps_unavailable"
    FORGOT_TO_CHECK_IN = "forgot_to_check_in"
    FORGOT_TO_CHECK_OUT = "forgot_to_check_out"
    ELDER_REQUEST = "elder_request"
    OTHER_WITH_NOTE = "other_with_note"


class ShortVisitReason(StrEnum):
    """Why a visit ended before the minimum duration (NICE NG21 asks for a reason)."""

    TASKS_DONE = "tasks_done"
    ELDER_DECLINED = "elder_declined"
    ELDER_NOT_HOME = "elder_not_home"
    WELLBEING_CHECK = "wellbeing_check"
    EMERGENCY = "emergency"
    OTHER_WITH_NOTE = "other_with_note"


CORRECTABLE_FIELDS = ("check_in_at", "check_out_at")


# ---------------------------------------------------------------- geofence


@dataclass(frozen=True)
class GeofenceResult:
    """Where a check was captured against the elder's home: distance, radius and any flag."""

    distance_m: float | None
    radius_m: int
    accuracy_m: float | None
    flag: GeofenceFlag | None

    @property
    def flagged(self) -> bool:
        """True when the position deserves a look by a dispatcher."""
        return self.flag is not None


def check_geofence(
    home: tuple[float, float],
    position: tuple[float, float] | None,
    accuracy_m: float | None,
    radius_m: int | None,
    policy: VisitPolicy = VisitPolicy(),
) -> GeofenceResult:
    """Flag when even the best reading of the fix lies outside the radius, or the fix is poor."""
    radius = radius_m or policy.default_geofence_m
    if position is None:
        return GeofenceResult(None, radius, accuracy_m, GeofenceFlag.NO_POSITION)
    distance = haversine_m(home[0], home[1], position[0], position[1])
    slack = max(accuracy_m or 0.0, 0.0)
    flag: GeofenceFlag | None = None
    if distance - slack > radius:
        flag = GeofenceFlag.OUTSIDE
    elif accuracy_m is not None and accuracy_m > policy.poor_accuracy_m:
        flag = GeofenceFlag.POOR_ACCURACY
    return GeofenceResult(round(distance, 1), radius, accuracy_m, flag)


# ---------------------------------------------------------------- QR code on the elder's card


def elder_card_code(elder_id: int, secret_key: str) -> str:
    """The signed code printed as a QR on the elder's card: `E<id>.<hmac>`."""
    mac = hmac.new(secret_key.encode(), f"elder:{elder_id}".encode(), hashlib.sha256)
    return f"E{elder_id}.{mac.hexdigest()[:20]}"


def card_code_valid(code: str, elder_id: int, secret_key: str) -> bool:
    """Whether a scanned or typed code is this elder's card (spaces and case do not matter)."""
    typed = "".join(code.split()).lower().encode()
    return hmac.compare_digest(typed, elder_card_code(elder_id, secret_key).lower().encode())


# ---------------------------------------------------------------- times


def check_start(window_start: datetime, accepted_at: datetime) -> datetime:
    """The time late/no-show checks count from: the window start, or a later acceptance.

    A caregiver who accepts a re-dispatched order after the window opened gets the same
    allowances from the moment of acceptance, instead of being late on arrival.
    """
    return max(window_start, accepted_at)


def late_at(window_start: datetime, policy: VisitPolicy = VisitPolicy()) -> datetime:
    """When a caregiver who has not checked in counts as late."""
    return window_start + policy.late_after


def no_show_at(window_start: datetime, policy: VisitPolicy = VisitPolicy()) -> datetime:
    """When a caregiver who has not checked in counts as a no-show."""
    return window_start + policy.no_show_after


def punctuality(
    window_start: datetime,
    checked_in_at: datetime | None,
    now: datetime,
    policy: VisitPolicy = VisitPolicy(),
) -> str:
    """The visit's punctuality in words a person can trust, from its check-in or, lacking one, now.

    Checked in: 'early' (more than the margin before the window), 'on_time' or 'late'. Not
    checked in: 'upcoming' before the window starts, 'expected' while the allowance runs,
    then 'late' and 'no_show' — never 'on_time' for a visit that has not happened.
    """
    if checked_in_at is not None:
        if checked_in_at < window_start - policy.early_margin:
            return "early"
        return "late" if checked_in_at >= late_at(window_start, policy) else "on_time"
    if now >= no_show_at(window_start, policy):
        return "no_show"
    if now >= late_at(window_start, policy):
        return "late"
    return "upcoming" if now < window_start else "expected"


def duration_minutes(check_in_at: datetime, check_out_at: datetime) -> int:
    """Whole minutes between check-in and check-out, rounded down."""
    return int((check_out_at - check_in_at).total_seconds() // 60)


def check_out_problem(check_in_at: datetime | None, check_out_at: datetime) -> FieldProblem | None:
    """A visit can be checked out only after it was checked in."""
    if check_in_at is None:
        return FieldProblem(
            "check_out_at", "not_checked_in", N_("Check in before checking out of a visit.")
        )
    if check_out_at < check_in_at:
        return FieldProblem(
            "check_out_at",
            "before_check_in",
            N_("Check-out cannot be earlier than check-in (%(check_in)s)."),
            {"check_in": check_in_at.isoformat()},
        )
    return None


def min_visit_minutes(standard_minutes: int | None, policy: VisitPolicy = VisitPolicy()) -> int:
    """The shortest visit without a reason: 30 minutes, or less for a service meant to be short."""
    floor = int(policy.min_visit.total_seconds() // 60)
    return min(floor, standard_minutes) if standard_minutes else floor


def short_visit_problem(
    minutes: int,
    standard_minutes: int | None,
    reason: str | None,
    note: str | None,
    policy: VisitPolicy = VisitPolicy(),
) -> FieldProblem | None:
    """A visit shorter than the minimum needs a reason from the list (NICE NG21)."""
    minimum = min_visit_minutes(standard_minutes, policy)
    if minutes >= minimum:
        return None
    if not reason:
        return FieldProblem(
            "short_reason",
            "short_visit",
            N_("The visit lasted %(minutes)s minutes, under %(minimum)s: give a reason."),
            {"minutes": minutes, "minimum": minimum},
        )
    if reason not in set(ShortVisitReason):
        return FieldProblem("short_reason", "unknown_reason", N_("Unknown reason code."))
    if reason == ShortVisitReason.OTHER_WITH_NOTE and not (note or "").strip():
        return FieldProblem("note", "note_required", N_("Describe the reason in a note."))
    return None


# ---------------------------------------------------------------- checklist


DEFAULT_CHECKLIST = ("greeted_and_identified", "service_delivered", "home_left_safe")
CATEGORY_CHECKLISTS: dict[str, tuple[str, ...]] = {
    "daily_living": ("greeted_and_identified", "service_delivered", "hygiene_checked",
                     "home_left_safe"),
    "basic_care": ("greeted_and_identified", "skin_checked", "service_delivered",
                   "home_left_safe"),
    "health": ("greeted_and_identified", "vitals_measured", "medication_checked",
               "home_left_safe"),
    "visiting": ("greeted_and_identified", "wellbeing_asked", "home_hazards_checked"),
    "companionship": ("greeted_and_identified", "conversation_held", "wellbeing_asked"),
}  # fmt: skip


def checklist_for(category_code: str | None) -> tuple[str, ...]:
    """The task checklist of a service, by its GB/T 43153 category."""
    return CATEGORY_CHECKLISTS.get(category_code or "", DEFAULT_CHECKLIST)


def checklist_problems(items: Sequence[str], results: dict[str, bool]) -> list[FieldProblem]:
    """Results may name only the service's own checklist items."""
    unknown = sorted(set(results) - set(items))
    return [
        FieldProblem(
            f"items.{name}",
            "unknown_item",
            N_("%(item)s is not on this checklist."),
            {"item": name},
        )
        for name in unknown
    ]


# ---------------------------------------------------------------- manual corrections


def correction_problems(
    field_name: str,
    reason: str | None,
    note: str | None,
    new_value: datetime | None,
    other_time: datetime | None,
    now: datetime,
) -> list[FieldProblem]:
    """A manual correction names a correctable field, a listed reason and a sensible time."""
    problems: list[FieldProblem] = []
    if field_name not in CORRECTABLE_FIELDS:
        problems.append(
            FieldProblem("field_name", "not_correctable", N_("This field cannot be corrected."))
        )
    if not reason:
        problems.append(
            FieldProblem("reason", "required", N_("A manual correction needs a reason code."))
        )
    elif reason not in set(CorrectionReason):
        problems.append(FieldProblem("reason", "unknown_reason", N_("Unknown reason code.")))
    elif reason == CorrectionReason.OTHER_WITH_NOTE and not (note or "").strip():
        problems.append(FieldProblem("note", "note_required", N_("Describe the reason in a note.")))
    if new_value is None:
        problems.append(FieldProblem("value", "required", N_("Give the corrected time.")))
    elif new_value > now:
        problems.append(
            FieldProblem("value", "future", N_("A visit time cannot be in the future."))
        )
    elif other_time is not None:
        if field_name == "check_in_at" and new_value > other_time:
            problems.append(
                FieldProblem("value", "after_check_out", N_("Check-in must precede check-out."))
            )
        if field_name == "check_out_at" and new_value < other_time:
            problems.append(
                FieldProblem("value", "before_check_in", N_("Check-out must follow check-in."))
            )
    return problems


# ---------------------------------------------------------------- the six EVV facts


@dataclass(frozen=True)
class EvvRecord:
    """The six facts of electronic visit verification, plus how they were captured."""

    order_id: int
    service_code: str
    service_name: str
    elder_id: int
    elder_name: str
    visit_date: date | None
    place: str
    lat: float | None
    lon: float | None
    caregiver_id: int | None
    caregiver_name: str
    start_at: datetime | None
    end_at: datetime | None
    check_in_method: str | None = None
    check_out_method: str | None = None
    geofence_flag: str | None = None
    manual: bool = False

    @property
    def complete(self) -> bool:
        """All six facts present."""
        return not evv_missing(self)


EVV_HEADERS = (
    "order_id", "service_code", "service_name", "elder_id", "elder_name", "visit_date",
    "place", "lat", "lon", "caregiver_id", "caregiver_name", "start_at", "end_at",
    "check_in_method", "check_out_method", "geofence_flag", "manual", "complete",
)  # fmt: skip


def evv_missing(record: EvvRecord) -> list[str]:
    """Which of the six facts a visit still lacks."""
    missing = []
    if not record.service_code:
        missing.append("service")
    if not record.elder_id:
        missing.append("elder")
    if record.visit_date is None:
        missing.append("date")
    if record.lat is None or record.lon is None:
        missing.append("place")
    if record.caregiver_id is None:
        missing.append("caregiver")
    if record.start_at is None or record.end_at is None:
        missing.append("time")
    return missing


def evv_row(record: EvvRecord) -> list[object]:
    """One export row in EVV_HEADERS order; times in China local time for people."""

    def local(at: datetime | None) -> str:
        return at.astimezone(CHINA_TZ).strftime("%Y-%m-%d %H:%M:%S") if at else ""

    return [
        record.order_id, record.service_code, record.service_name, record.elder_id,
        record.elder_name, record.visit_date.isoformat() if record.visit_date else "",
        record.place, record.lat, record.lon, record.caregiver_id, record.caregiver_name,
        local(record.start_at), local(record.end_at), record.check_in_method or "",
        record.check_out_method or "", record.geofence_flag or "", record.manual,
        record.complete,
    ]  # fmt: skip


def visit_date(start_at: datetime | None) -> date | None:
    """The visit's calendar date in China."""
    return start_at.astimezone(CHINA_TZ).date() if start_at else None


# ---------------------------------------------------------------- continuity


def continuity(
    visits: Iterable[tuple[int, int, datetime]], now: datetime, days: int = 30
) -> dict[int, int]:
    """Distinct caregivers per elder over the last `days` days, from (elder, caregiver, at)."""
    since = now - timedelta(days=days)
    seen: dict[int, set[int]] = defaultdict(set)
    for elder_id, caregiver_id, at in visits:
        if since <= at <= now:
            seen[elder_id].add(caregiver_id)
    return {elder_id: len(carers) for elder_id, carers in sorted(seen.items())}


# ---------------------------------------------------------------- monthly settlement


def month_bounds(month: str) -> tuple[datetime, datetime]:
    """'2026-11' → the UTC instants of its first and next month's first midnight in China."""
    try:
        year_s, month_s = month.split("-")
        year, mon = int(year_s), int(month_s)
        start = datetime(year, mon, 1, tzinfo=CHINA_TZ)
    except ValueError as exc:
        raise ValueError(f"not a month: {month!r}") from exc
    end = datetime(year + (mon == 12), mon % 12 + 1, 1, tzinfo=CHINA_TZ)
    return start.astimezone(UTC), end.astimezone(UTC)
