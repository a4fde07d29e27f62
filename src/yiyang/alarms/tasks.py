"""The alarm rules' timers: the recurring sweep (offline devices, no motion, no door
opening, almost no water) and the end of a night-time bed-exit watch.

The sweep re-arms itself every `alarm_sweep_seconds`; each run is one transaction and reads
only indexed candidates (devices silent past the shortest heartbeat's limit, rule states
quiet past their period), so its cost follows the few quiet devices, not all of them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from yiyang.alarms import rule_repository, rules
from yiyang.alarms.evaluation import BED_EXIT_TIMER, device_origin
from yiyang.alarms.intake import origin_of
from yiyang.alarms.kinds import AlarmType
from yiyang.alarms.raising import raise_or_repeat
from yiyang.alarms.rule_models import RuleState
from yiyang.alarms.rules import Action, Reason
from yiyang.config import Settings
from yiyang.devices.kinds import DeviceKind
from yiyang.devices.models import Device
from yiyang.jobs import timers
from yiyang.jobs.context import TimerContext
from yiyang.jobs.models import Timer
from yiyang.jobs.timer_runner import handles

log = logging.getLogger(__name__)

SWEEP = "alarm.sweep"
SHORTEST_HEARTBEAT_S = 60  # DOMAIN.md §7: heartbeats every 60–300 s
BATCH = 500
RECHECK = timedelta(hours=1)  # a quiet device put off (elder away, sibling active)
PASSIVE: tuple[tuple[str, DeviceKind, AlarmType, timedelta], ...] = (
    ("motion", DeviceKind.MOTION_SENSOR, AlarmType.NO_MOTION, rules.INACTIVITY_PERIOD),
    ("door", DeviceKind.DOOR_SENSOR, AlarmType.NO_DOOR, rules.INACTIVITY_PERIOD),
    ("water", DeviceKind.WATER_METER, AlarmType.LOW_WATER_USE, rules.WATER_PERIOD),
)


@dataclass
class SweepResult:
    """What one sweep found: devices gone offline, alarms raised, elders skipped as away."""

    offline: list[int] = field(default_factory=list)
    raised: dict[str, list[int]] = field(default_factory=dict)
    away: list[int] = field(default_factory=list)


def ensure_timer(session: Session, now: datetime) -> None:
    """Make sure one pending timer runs the sweep (it re-arms itself when it fires)."""
    if not timers.pending(session, SWEEP):
        timers.schedule(session, SWEEP, 0, now)


def sweep(session: Session, now: datetime, settings: Settings) -> SweepResult:
    """Mark silent devices offline and raise the passive-monitoring alarms that are due."""
    result = SweepResult()
    _offline(session, now, settings, result)
    for key, kind, type_, period in PASSIVE:
        _quiet(session, now, key, kind, type_, period, result)
    return result


def _offline(session: Session, now: datetime, settings: Settings, result: SweepResult) -> None:
    grace = timedelta(seconds=settings.alarm_offline_grace_seconds)
    seen_before = now - timedelta(seconds=2 * SHORTEST_HEARTBEAT_S) - grace
    for device in rule_repository.offline_candidates(session, seen_before, BATCH):
        verdict = rules.offline(device.last_seen_at, device.heartbeat_s, grace, now)
        if verdict.action is not Action.RAISE:
            continue
        device.online = False
        st = rule_repository.state(
            session, f"device:{device.id}", "offline", now=now, device_id=device.id,
            elder_id=device.elder_id,
        )  # fmt: skip
        st.reason, st.updated_at = verdict.reason, now
        result.offline.append(device.id)
        if st.fired:
            continue
        st.fired = True
        origin = origin_of(device, rule_repository.resident_ids(session, device.home_id))
        assert device.last_seen_at is not None
        raise_or_repeat(
            session, AlarmType.DEVICE_OFFLINE, device_origin(origin), now=now,
            detail={
                "device_kind": device.kind, "last_seen_at": device.last_seen_at.isoformat(),
                "heartbeat_s": device.heartbeat_s,
            },
        )  # fmt: skip


def _quiet(
    session: Session, now: datetime, key: str, kind: DeviceKind, type_: AlarmType,
    period: timedelta, result: SweepResult,
) -> None:  # fmt: skip
    before = now - period
    if key != "water":  # a sensor that never spoke counts from its installation
        for device in rule_repository.silent_since_installed(
            session, str(kind), key, before, BATCH
        ):
            st = rule_repository.state(
                session, f"device:{device.id}", key, now=now, device_id=device.id,
                elder_id=device.elder_id,
            )  # fmt: skip
            st.last_event_at = device.installed_at
    session.flush()
    for st, device in rule_repository.quiet_states(session, key, before, now, BATCH):
        _judge_quiet(session, now, st, device, key, type_, period, result)


def _judge_quiet(
    session: Session, now: datetime, st: RuleState, device: Device, key: str,
    type_: AlarmType, period: timedelta, result: SweepResult,
) -> None:  # fmt: skip
    assert st.last_event_at is not None
    residents = rule_repository.resident_ids(session, device.home_id)
    origin = origin_of(device, residents)
    elder_ids = [origin.elder_id] if origin.elder_id is not None else residents
    elders = rule_repository.elders(session, elder_ids)
    # Away: the elder (or, in a shared home, every resident) is away from home.
    away = [e.away_until for e in elders if e.away_until is not None and e.away_until > now]
    away_until = min(away) if elders and len(away) == len(elders) else None
    st.silence_until = None
    if rule_repository.active_sibling(session, device, key, now - period):
        verdict = rules.Verdict(Action.NONE, Reason.ACTIVE)
        st.silence_until = now + RECHECK  # look again later, not every sweep
    else:
        verdict = rules.inactivity(
            st.last_event_at, now=now, away_until=away_until, fired=st.fired, period=period
        )
    st.reason, st.updated_at = verdict.reason, now
    if verdict.reason is Reason.AWAY:
        result.away.append(device.id)
        # Nothing to judge while the elder is away; look again hourly (they may come back early).
        assert away_until is not None
        st.silence_until = min(away_until, now + RECHECK)
    if verdict.action is not Action.RAISE:
        return
    st.fired = True
    alarm, _ = raise_or_repeat(
        session, type_, origin, now=now,
        detail={
            "rule": key, "device_kind": device.kind,
            "quiet_since": st.last_event_at.isoformat(), "hours": period // timedelta(hours=1),
        },
    )  # fmt: skip
    result.raised.setdefault(key, []).append(alarm.id)


@handles(SWEEP)
def run_sweep(ctx: TimerContext, timer: Timer) -> None:
    """Sweep once, then arm the next sweep."""
    result = sweep(ctx.session, ctx.now, ctx.settings)
    if result.offline or result.raised:
        log.info("alarm sweep: offline %s, raised %s", result.offline, result.raised)
    if not any(t.id != timer.id for t in timers.pending(ctx.session, SWEEP)):
        due = ctx.now + timedelta(seconds=ctx.settings.alarm_sweep_seconds)
        timers.schedule(ctx.session, SWEEP, 0, due)


@handles(BED_EXIT_TIMER)
def bed_exit_due(ctx: TimerContext, timer: Timer) -> None:
    """The night-time watch of a bed exit ends: raise if the elder is not back in bed."""
    device = rule_repository.device(ctx.session, timer.ref_id)
    if device is None:
        return
    st = rule_repository.state(
        ctx.session, f"device:{device.id}", "bed_exit", now=ctx.now, device_id=device.id,
        elder_id=device.elder_id,
    )  # fmt: skip
    exit_at = datetime.fromisoformat(timer.payload["exit_at"])
    back_within = timedelta(minutes=ctx.settings.alarm_bed_exit_minutes)
    verdict = rules.bed_exit_due(st.pending_since, exit_at, ctx.now, back_within)
    st.reason, st.updated_at = verdict.reason, ctx.now
    if verdict.action is not Action.RAISE:
        return
    st.pending_since, st.fired = None, True
    origin = origin_of(device, rule_repository.resident_ids(ctx.session, device.home_id))
    raise_or_repeat(
        ctx.session, AlarmType.BED_EXIT, origin, now=ctx.now,
        detail={"device_kind": device.kind, "exit_at": exit_at.isoformat(),
                "minutes": back_within // timedelta(minutes=1)},
    )  # fmt: skip
