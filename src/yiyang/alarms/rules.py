"""Alarm rules over readings and signals: pure decisions, values and `now` in (no I/O).

Thresholds are demo values from DOMAIN.md §7, per device kind and metric, overridable per
elder; they are not clinical advice. Blood pressure (our choice, for the demo): systolic major
≥160 or ≤90, critical ≥180 or ≤80; diastolic major ≥100, critical ≥110. A rule fires after
`consecutive` abnormal readings in a row, only inside its daily window (local time), and not
again during its silence period unless the reading got worse. Readings older than 60 s are not
evaluated. A value back in range clears the alarm (the cleared flag; closing is a person's).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta
from enum import StrEnum

from yiyang.alarms.kinds import NEEDS_A_PERSON, AlarmType, Severity
from yiyang.devices.kinds import DeviceKind
from yiyang.protocols.vocabulary import Metric

MAX_READING_AGE = timedelta(seconds=60)
INACTIVITY_PERIOD = timedelta(hours=24)
WATER_PERIOD = timedelta(hours=12)
WATER_MIN_M3 = 0.01
BED_EXIT_BACK_WITHIN = timedelta(minutes=20)
SERVICE_PRESS_QUIET = timedelta(minutes=10)
NIGHT = (time(22, 0), time(6, 0))


class Reason(StrEnum):
    """Why a rule decided what it did (kept on the state and shown in tests and logs)."""

    STALE = "stale"  # the reading is older than 60 s
    OUT_OF_ORDER = "out_of_order"  # older than one already evaluated
    NOT_WATCHED = "not_watched"  # no threshold for this metric on this kind of device
    NORMAL = "normal"
    BACK_TO_NORMAL = "back_to_normal"  # fired before, now in range: clear
    OUTSIDE_WINDOW = "outside_window"
    COUNTING = "counting"  # abnormal, not yet enough readings in a row
    SILENCED = "silenced"  # fired recently, the silence period runs
    CROSSED = "crossed"  # fire
    WORSE = "worse"  # fire again inside the silence period: it got more severe
    DAYTIME = "daytime"  # bed exit outside the night window
    BACK_IN_BED = "back_in_bed"
    NOT_BACK = "not_back"
    AWAY = "away"  # the elder is away from home: no inactivity alarm
    ACTIVE = "active"  # motion, door or water use seen recently
    INACTIVE = "inactive"
    ALREADY_FIRED = "already_fired"
    ONLINE = "online"
    OFFLINE = "offline"
    BATTERY_OK = "battery_ok"
    BATTERY_LOW = "battery_low"
    RECHARGED = "recharged"
    NEEDS_A_PERSON = "needs_a_person"  # a reset does not clear what nobody handled
    RESET_CLEARS = "reset_clears"
    ORDERED = "ordered"  # a service-button press became an order
    REPEAT_PRESS = "repeat_press"  # pressed again soon after: the first order stands
    NO_ELDER = "no_elder"  # the button is not bound to one elder: nobody to order for
    REFUSED = "refused"  # the order path refused (unknown service, elder not served, …)


class Action(StrEnum):
    """What the service does with a decision."""

    NONE = "none"
    RAISE = "raise"
    CLEAR = "clear"


@dataclass(frozen=True)
class Limits:
    """Major and critical limits of one metric; None: that side is not watched."""

    major_high: float | None = None
    critical_high: float | None = None
    major_low: float | None = None
    critical_low: float | None = None

    def problem(self) -> str | None:
        """Why these limits make no sense, or None (critical beyond major, low below high)."""
        values = [self.major_high, self.critical_high, self.major_low, self.critical_low]
        if all(v is None for v in values):
            return "no_limit"
        highs = [v for v in (self.major_high, self.critical_high) if v is not None]
        lows = [v for v in (self.major_low, self.critical_low) if v is not None]
        if highs and lows and max(lows) >= min(highs):
            return "low_not_below_high"
        mh, ch, ml, cl = self.major_high, self.critical_high, self.major_low, self.critical_low
        if mh is not None and ch is not None and ch < mh:
            return "critical_high_below_major"
        if ml is not None and cl is not None and cl > ml:
            return "critical_low_above_major"
        return None


@dataclass(frozen=True)
class ReadingRule:
    """A threshold rule: limits, readings in a row, daily window (local), silence period."""

    metric: Metric
    limits: Limits
    consecutive: int = 1
    window: tuple[time, time] | None = None  # None: all day; may wrap past midnight
    silence: timedelta = timedelta(minutes=30)


DEFAULT_LIMITS: dict[Metric, Limits] = {
    Metric.HEART_RATE: Limits(major_high=120, critical_high=140, major_low=60, critical_low=50),
    Metric.TEMPERATURE: Limits(major_high=37.5, critical_high=38.5),
    Metric.SYSTOLIC: Limits(major_high=160, critical_high=180, major_low=90, critical_low=80),
    Metric.DIASTOLIC: Limits(major_high=100, critical_high=110),
}
# Two readings in a row for pulse and blood pressure: one bad cuff or strap reading is common.
DEFAULT_CONSECUTIVE: dict[Metric, int] = {
    Metric.HEART_RATE: 2,
    Metric.SYSTOLIC: 2,
    Metric.DIASTOLIC: 2,
    Metric.TEMPERATURE: 1,
}
# Which metrics each kind of device is judged on (a mattress's breathing rate is only shown).
WATCHED: dict[DeviceKind, frozenset[Metric]] = {
    DeviceKind.VITALS_BAND: frozenset(DEFAULT_LIMITS),
    DeviceKind.SMART_MATTRESS: frozenset({Metric.HEART_RATE}),
}
# A sleeping heart runs slower: the mattress only calls a low pulse below 50 (critical 45).
KIND_LIMITS: dict[tuple[DeviceKind, Metric], Limits] = {
    (DeviceKind.SMART_MATTRESS, Metric.HEART_RATE): Limits(
        major_high=120, critical_high=140, major_low=50, critical_low=45
    ),
}

HIGH_TYPE: dict[Metric, AlarmType] = {
    Metric.HEART_RATE: AlarmType.HEART_RATE_HIGH,
    Metric.TEMPERATURE: AlarmType.TEMPERATURE_HIGH,
    Metric.SYSTOLIC: AlarmType.BLOOD_PRESSURE_HIGH,
    Metric.DIASTOLIC: AlarmType.BLOOD_PRESSURE_HIGH,
}
LOW_TYPE: dict[Metric, AlarmType] = {
    Metric.HEART_RATE: AlarmType.HEART_RATE_LOW,
    Metric.SYSTOLIC: AlarmType.BLOOD_PRESSURE_LOW,
}


@dataclass(frozen=True)
class Override:
    """An elder's own settings for one metric (any field None keeps the default)."""

    limits: Limits
    consecutive: int | None = None
    window: tuple[time, time] | None = None
    silence: timedelta | None = None


def rule_for(
    kind: DeviceKind, metric: Metric, override: Override | None = None
) -> ReadingRule | None:
    """The rule a reading of this kind and metric is judged by, or None if it is not watched."""
    if metric not in WATCHED.get(kind, frozenset()):
        return None
    rule = ReadingRule(
        metric=metric,
        limits=KIND_LIMITS.get((kind, metric), DEFAULT_LIMITS[metric]),
        consecutive=DEFAULT_CONSECUTIVE.get(metric, 1),
    )
    if override is None:
        return rule
    return replace(
        rule,
        limits=override.limits,
        consecutive=override.consecutive or rule.consecutive,
        window=override.window or rule.window,
        silence=override.silence if override.silence is not None else rule.silence,
    )


def classify(value: float, limits: Limits, metric: Metric) -> tuple[AlarmType, Severity] | None:
    """The alarm type and severity a value calls for, or None when it is in range."""
    lim = limits
    if lim.critical_high is not None and value >= lim.critical_high:
        return HIGH_TYPE[metric], Severity.CRITICAL
    if lim.major_high is not None and value >= lim.major_high:
        return HIGH_TYPE[metric], Severity.MAJOR
    low = LOW_TYPE.get(metric)
    if low is None:
        return None
    if lim.critical_low is not None and value <= lim.critical_low:
        return low, Severity.CRITICAL
    if lim.major_low is not None and value <= lim.major_low:
        return low, Severity.MAJOR
    return None


def in_window(window: tuple[time, time] | None, local: time) -> bool:
    """Whether a local time of day is inside a daily window (which may wrap past midnight)."""
    if window is None:
        return True
    start, end = window
    if start <= end:
        return start <= local < end
    return local >= start or local < end


@dataclass(frozen=True)
class ReadingState:
    """What a threshold rule remembers between readings (stored in `rule_state`)."""

    consecutive: int = 0
    counting: AlarmType | None = None  # which abnormal readings are being counted
    last_value: float | None = None
    last_reading_at: datetime | None = None
    fired_type: AlarmType | None = None  # the open alarm this rule raised, until cleared
    level: Severity | None = None
    silence_until: datetime | None = None


@dataclass(frozen=True)
class Decision:
    """What to do, why, at which severity, and the state to store.

    `also_clear`: an alarm of the other direction to clear first (a pulse that swung from
    too high to too low: the high alarm's cause is gone).
    """

    action: Action
    reason: Reason
    alarm_type: AlarmType | None = None
    severity: Severity | None = None
    state: ReadingState = field(default_factory=ReadingState)
    also_clear: AlarmType | None = None


def judge_reading(
    rule: ReadingRule,
    state: ReadingState,
    value: float,
    *,
    sent_at: datetime,
    now: datetime,
    local: time,
) -> Decision:
    """Judge one reading with what the rule remembers; `local` is sent_at's local time of day."""
    if now - sent_at > MAX_READING_AGE:
        return Decision(Action.NONE, Reason.STALE, state=state)
    if state.last_reading_at is not None and sent_at <= state.last_reading_at:
        return Decision(Action.NONE, Reason.OUT_OF_ORDER, state=state)
    seen = replace(state, last_value=value, last_reading_at=sent_at)
    found = classify(value, rule.limits, rule.metric)
    if found is None:
        seen = replace(seen, consecutive=0, counting=None)
        if state.fired_type is not None:
            cleared = replace(seen, fired_type=None, level=None, silence_until=None)
            return Decision(Action.CLEAR, Reason.BACK_TO_NORMAL, state.fired_type, state=cleared)
        return Decision(Action.NONE, Reason.NORMAL, state=seen)
    type_, severity = found
    also_clear = None
    if state.fired_type is not None and state.fired_type != type_:
        also_clear = state.fired_type
        seen = replace(seen, fired_type=None, level=None, silence_until=None)
    if not in_window(rule.window, local):
        quiet = replace(seen, consecutive=0, counting=None)
        return Decision(Action.NONE, Reason.OUTSIDE_WINDOW, type_, severity, quiet, also_clear)
    so_far = seen.consecutive if seen.counting == type_ else 0
    counted = replace(seen, consecutive=so_far + 1, counting=type_)
    if counted.consecutive < rule.consecutive:
        return Decision(Action.NONE, Reason.COUNTING, type_, severity, counted, also_clear)
    silenced = seen.silence_until is not None and sent_at < seen.silence_until
    worse = seen.level is not None and severity > seen.level
    if silenced and not worse:
        return Decision(Action.NONE, Reason.SILENCED, type_, severity, counted, also_clear)
    fired = replace(
        counted,
        fired_type=type_,
        level=max(severity, seen.level or severity),
        silence_until=sent_at + rule.silence,
    )
    reason = Reason.WORSE if silenced else Reason.CROSSED
    return Decision(Action.RAISE, reason, type_, severity, fired, also_clear)


@dataclass(frozen=True)
class Verdict:
    """A yes/no rule's outcome: act or not, and why."""

    action: Action
    reason: Reason


def bed_exit(local: time, night: tuple[time, time] = NIGHT) -> Verdict:
    """A bed exit starts the watch only at night; by day getting up is nothing to report."""
    if in_window(night, local):
        return Verdict(Action.RAISE, Reason.NOT_BACK)  # RAISE here: start waiting
    return Verdict(Action.NONE, Reason.DAYTIME)


def bed_exit_due(
    pending_since: datetime | None,
    exit_at: datetime,
    now: datetime,
    back_within: timedelta = BED_EXIT_BACK_WITHIN,
) -> Verdict:
    """When the watch of the exit at `exit_at` ends: raise if the elder is still not back."""
    if pending_since is None or pending_since != exit_at:
        return Verdict(Action.NONE, Reason.BACK_IN_BED)
    if now - pending_since < back_within:
        return Verdict(Action.NONE, Reason.COUNTING)
    return Verdict(Action.RAISE, Reason.NOT_BACK)


def inactivity(
    last_activity_at: datetime,
    *,
    now: datetime,
    away_until: datetime | None,
    fired: bool,
    period: timedelta = INACTIVITY_PERIOD,
) -> Verdict:
    """No motion, door opening or water use for `period`: raise once, unless the elder is away."""
    if away_until is not None and away_until > now:
        return Verdict(Action.NONE, Reason.AWAY)
    if now - last_activity_at < period:
        return Verdict(Action.NONE, Reason.ACTIVE)
    if fired:
        return Verdict(Action.NONE, Reason.ALREADY_FIRED)
    return Verdict(Action.RAISE, Reason.INACTIVE)


@dataclass(frozen=True)
class WaterTrack:
    """A cumulative meter's recent readings, enough to know when 0.01 m³ was last used up.

    `used_since`: the latest moment from which less than WATER_MIN_M3 has been used up to the
    last reading (the start of the quiet stretch); the sweep raises once it is 12 h old.
    """

    since: datetime  # the first reading (or the meter's reset)
    samples: tuple[tuple[datetime, float], ...]
    used_since: datetime


def track_water(track: WaterTrack | None, at: datetime, value: float) -> WaterTrack:
    """Add a meter reading; a meter that runs backwards (replaced, reset) starts afresh."""
    value = round(value, 4)
    if (
        track is None
        or not track.samples
        or value < track.samples[-1][1]
        or at <= track.samples[-1][0]
    ):
        if track is not None and track.samples and at <= track.samples[-1][0]:
            return track  # out of order: ignore
        return WaterTrack(since=at, samples=((at, value),), used_since=at)
    samples = list(track.samples)
    if samples[-1][1] == value and len(samples) > 1:
        samples[-1] = (at, value)  # a quiet run: only its latest moment matters
    else:
        samples.append((at, value))
    below = [i for i, (_, v) in enumerate(samples) if v <= value - WATER_MIN_M3 + 1e-9]
    if below:
        keep = below[-1]
        return WaterTrack(track.since, tuple(samples[keep:]), samples[keep][0])
    return WaterTrack(track.since, tuple(samples), track.since)


def offline(
    last_seen_at: datetime | None, heartbeat_s: int, grace: timedelta, now: datetime
) -> Verdict:
    """Offline after two missed heartbeats plus grace."""
    if last_seen_at is None:
        return Verdict(Action.NONE, Reason.ONLINE)
    if now - last_seen_at > timedelta(seconds=2 * heartbeat_s) + grace:
        return Verdict(Action.RAISE, Reason.OFFLINE)
    return Verdict(Action.NONE, Reason.ONLINE)


def battery(pct: int, *, low_pct: int, fired: bool, recharge_margin: int = 10) -> Verdict:
    """Low battery once until recharged (above low + margin, so a flickering level is quiet)."""
    if pct <= low_pct:
        return (
            Verdict(Action.NONE, Reason.ALREADY_FIRED)
            if fired
            else Verdict(Action.RAISE, Reason.BATTERY_LOW)
        )
    if fired and pct >= low_pct + recharge_margin:
        return Verdict(Action.CLEAR, Reason.RECHARGED)
    return Verdict(Action.NONE, Reason.BATTERY_OK)


def on_reset(type_: AlarmType, acknowledged: bool) -> Verdict:
    """A device reset clears its alarm, except one needing a person that nobody handled yet."""
    if type_ in NEEDS_A_PERSON and not acknowledged:
        return Verdict(Action.NONE, Reason.NEEDS_A_PERSON)
    return Verdict(Action.CLEAR, Reason.RESET_CLEARS)


def service_press(
    last_press_at: datetime | None,
    at: datetime,
    elder_id: int | None,
    quiet: timedelta = SERVICE_PRESS_QUIET,
) -> Verdict:
    """A service-button press orders a visit for its elder, once per press and not twice
    within `quiet` (an impatient second press is the same wish)."""
    if elder_id is None:
        return Verdict(Action.NONE, Reason.NO_ELDER)
    if last_press_at is not None and abs(at - last_press_at) < quiet:
        return Verdict(Action.NONE, Reason.REPEAT_PRESS)
    return Verdict(Action.RAISE, Reason.ORDERED)
