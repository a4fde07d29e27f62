"""Judge a stored device message by the alarm rules with their stored state; raise or clear.

Called by `intake.take` inside the ingest transaction. Thresholds on readings, the bed-exit
watch, the last motion or door opening and water use (read later by the passive sweeps),
back online, low battery, and a device reset (which never clears what needs a person).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from yiyang.alarms import rule_repository, rules, service_requests
from yiyang.alarms.events import AlarmSnapshot, AlarmStepped
from yiyang.alarms.kinds import AlarmType, StepAction
from yiyang.alarms.models import Alarm
from yiyang.alarms.raising import Origin, add_step, raise_or_repeat
from yiyang.alarms.repository import open_alarm_for_update
from yiyang.alarms.rule_states import StateKey, StateRow, book_of
from yiyang.alarms.rules import Action, Reason
from yiyang.config import Settings
from yiyang.devices.kinds import KINDS, DeviceKind
from yiyang.devices.models import Device
from yiyang.events import bus
from yiyang.events.types import Actor
from yiyang.jobs import timers
from yiyang.kit.localtime import CHINA_TZ
from yiyang.protocols.message import DeviceMessage, MessageKind
from yiyang.protocols.vocabulary import Metric, Signal

log = logging.getLogger(__name__)

BED_EXIT_TIMER = "alarm.bed_exit"
ACTIVITY: dict[Signal, tuple[str, AlarmType]] = {
    Signal.MOTION: ("motion", AlarmType.NO_MOTION),
    Signal.DOOR_OPEN: ("door", AlarmType.NO_DOOR),
}


@dataclass
class Outcome:
    """What one message did: alarms raised or repeated, alarms cleared, and each rule's reason."""

    raised: list[Alarm] = field(default_factory=list)
    cleared: list[Alarm] = field(default_factory=list)
    reasons: dict[str, Reason] = field(default_factory=dict)
    order_id: int | None = None


def device_origin(origin: Origin) -> Origin:
    """The origin of an alarm about the device itself (offline, battery): one per device."""
    return Origin(
        originator=f"device:{origin.device_id}",
        elder_id=origin.elder_id,
        home_id=origin.home_id,
        device_id=origin.device_id,
        street_id=origin.street_id,
        community_id=origin.community_id,
    )


def clear(session: Session, alarm: Alarm, now: datetime, reason: Reason) -> bool:
    """Mark an open alarm cleared (its cause went away) with a timeline step; not closed."""
    if alarm.cleared_at is not None or alarm.closed_at is not None:
        return False
    alarm.cleared_at = now
    add_step(session, alarm, StepAction.CLEARED, now, Actor.of(None), None, {"reason": reason})
    session.flush()
    bus.publish(
        session,
        AlarmStepped(
            occurred_at=now,
            actor=Actor.of(None),
            alarm=AlarmSnapshot.of(alarm),
            action=StepAction.CLEARED,
        ),
    )
    return True


def clear_open(
    session: Session, originator: str, type_: AlarmType, now: datetime, reason: Reason
) -> Alarm | None:
    """Clear the open alarm of this originator and type, if there is one not yet cleared."""
    alarm = open_alarm_for_update(session, originator, str(type_))
    if alarm is not None and clear(session, alarm, now, reason):
        return alarm
    return None


def _state(session: Session, device: Device, key: str, now: datetime) -> StateRow:
    owner = f"device:{device.id}"
    return book_of(session).get(owner, key, device_id=device.id, elder_id=device.elder_id)


def needed_states(device: Device, message: DeviceMessage) -> list[StateKey]:
    """The rule states `evaluate` will read for this message (a batch locks them at once)."""
    owner, kind = f"device:{device.id}", DeviceKind(device.kind)
    keys = []

    def key(rule_key: str) -> None:
        keys.append(StateKey(owner, rule_key, device.id, device.elder_id))

    if not device.online:
        key("offline")
    if message.battery_pct is not None and KINDS[kind].battery:
        key("battery")
    for metric in message.readings:
        if metric is Metric.WATER_M3 and kind is DeviceKind.WATER_METER:
            key("water")
        elif rules.rule_for(kind, metric) is not None:
            key(str(metric))
    if message.readings and kind is DeviceKind.SMART_MATTRESS:
        key("bed_exit")
    if message.kind is MessageKind.SIGNAL and message.signal is not None:
        if message.signal in ACTIVITY:
            key(ACTIVITY[message.signal][0])
        elif message.signal in (Signal.BED_EXIT, Signal.IN_BED):
            key("bed_exit")
    return keys


def evaluate(
    session: Session,
    device: Device,
    message: DeviceMessage,
    *,
    origin: Origin,
    now: datetime,
    settings: Settings,
) -> Outcome:
    """Apply every rule a message touches; returns what it raised and cleared, and why."""
    out = Outcome()
    # As read before the gateway marked it online. An online device's offline rule has not
    # fired: the sweep marks the device offline in the transaction that fires it.
    if not device.online:
        _back_online(session, device, origin, now, out)
    if message.battery_pct is not None:
        _battery(session, device, origin, message.battery_pct, now, settings, out)
    if message.readings:
        _readings(session, device, message, origin, now, out)
    if message.kind is MessageKind.SIGNAL and message.signal is not None:
        _signal(session, device, message, message.signal, origin, now, settings, out)
    return out


def _back_online(
    session: Session, device: Device, origin: Origin, now: datetime, out: Outcome
) -> None:
    st = _state(session, device, "offline", now)  # the gateway marked it online already
    if st.fired:
        st.fired, st.reason, st.updated_at = False, Reason.ONLINE, now
        if gone := clear_open(
            session, f"device:{device.id}", AlarmType.DEVICE_OFFLINE, now, Reason.ONLINE
        ):
            out.cleared.append(gone)
        out.reasons["offline"] = Reason.ONLINE


def _battery(
    session: Session,
    device: Device,
    origin: Origin,
    pct: int,
    now: datetime,
    settings: Settings,
    out: Outcome,
) -> None:
    if not KINDS[DeviceKind(device.kind)].battery:
        return
    st = _state(session, device, "battery", now)
    verdict = rules.battery(pct, low_pct=settings.alarm_low_battery_pct, fired=st.fired)
    st.last_value, st.reason, st.updated_at = float(pct), verdict.reason, now
    out.reasons["battery"] = verdict.reason
    if verdict.action is Action.RAISE:
        st.fired = True
        alarm, _ = raise_or_repeat(
            session, AlarmType.LOW_BATTERY, device_origin(origin), now=now,
            detail={"battery_pct": pct, "device_kind": device.kind},
        )  # fmt: skip
        out.raised.append(alarm)
    elif verdict.action is Action.CLEAR:
        st.fired = False
        if gone := clear_open(
            session, f"device:{device.id}", AlarmType.LOW_BATTERY, now, verdict.reason
        ):
            out.cleared.append(gone)


def _readings(
    session: Session, device: Device, message: DeviceMessage, origin: Origin, now: datetime,
    out: Outcome,
) -> None:  # fmt: skip
    kind = DeviceKind(device.kind)
    overrides = book_of(session).overrides.get(origin.elder_id, {}) if origin.elder_id else {}
    local = message.sent_at.astimezone(CHINA_TZ).time()
    for metric, value in sorted(message.readings.items()):
        if metric is Metric.WATER_M3 and kind is DeviceKind.WATER_METER:
            _water(session, device, message.sent_at, value, origin, now, out)
            continue
        rule = rules.rule_for(kind, metric, overrides.get(metric))
        if rule is None:
            out.reasons[str(metric)] = Reason.NOT_WATCHED
            continue
        st = _state(session, device, str(metric), now)
        decision = rules.judge_reading(
            rule, _reading_state(st), value, sent_at=message.sent_at, now=now, local=local
        )
        out.reasons[str(metric)] = decision.reason
        _store_reading_state(st, decision, now)
        if decision.also_clear is not None and (
            gone := clear_open(session, origin.originator, decision.also_clear, now, Reason.NORMAL)
        ):
            out.cleared.append(gone)
        if decision.action is Action.RAISE and decision.alarm_type is not None:
            alarm, _ = raise_or_repeat(
                session, decision.alarm_type, origin, now=now, severity=decision.severity,
                detail={
                    "metric": str(metric), "value": value, "device_kind": device.kind,
                    "sent_at": message.sent_at.isoformat(), "reason": str(decision.reason),
                    "consecutive": decision.state.consecutive,
                },
            )  # fmt: skip
            out.raised.append(alarm)
        elif (
            decision.action is Action.CLEAR
            and decision.alarm_type is not None
            and (
                gone := clear_open(
                    session, origin.originator, decision.alarm_type, now, decision.reason
                )
            )
        ):
            out.cleared.append(gone)
    if kind is DeviceKind.SMART_MATTRESS:
        _back_in_bed(session, device, origin, message.sent_at, now, out)


def _reading_state(st: StateRow) -> rules.ReadingState:
    return rules.ReadingState(
        consecutive=st.consecutive,
        counting=AlarmType(st.data["counting"]) if st.data.get("counting") else None,
        last_value=st.last_value,
        last_reading_at=st.last_reading_at,
        fired_type=AlarmType(st.fired_type) if st.fired_type else None,
        level=rules.Severity(st.level) if st.level is not None else None,
        silence_until=st.silence_until,
    )


def _store_reading_state(st: StateRow, decision: rules.Decision, now: datetime) -> None:
    new = decision.state
    st.consecutive = new.consecutive
    st.data = {"counting": str(new.counting) if new.counting else None}
    st.last_value = new.last_value
    st.last_reading_at = new.last_reading_at
    st.fired_type = str(new.fired_type) if new.fired_type else None
    st.fired = new.fired_type is not None
    st.level = int(new.level) if new.level is not None else None
    st.silence_until = new.silence_until
    st.reason = decision.reason
    st.updated_at = now


def _water(
    session: Session, device: Device, at: datetime, value: float, origin: Origin, now: datetime,
    out: Outcome,
) -> None:  # fmt: skip
    st = _state(session, device, "water", now)
    track = _water_track(st)
    new = rules.track_water(track, at, value)
    st.data = {
        "since": new.since.isoformat(),
        "samples": [[t.isoformat(), v] for t, v in new.samples],
    }
    st.last_value, st.last_reading_at, st.updated_at = value, at, now
    used = st.last_event_at is not None and new.used_since > st.last_event_at
    st.last_event_at = new.used_since
    if st.fired and used:
        st.fired, st.reason = False, Reason.ACTIVE
        if gone := clear_open(
            session, origin.originator, AlarmType.LOW_WATER_USE, now, Reason.ACTIVE
        ):
            out.cleared.append(gone)
    out.reasons["water"] = Reason.ACTIVE if used else Reason.COUNTING


def _water_track(st: StateRow) -> rules.WaterTrack | None:
    if not st.data.get("samples"):
        return None
    samples = tuple((datetime.fromisoformat(t), float(v)) for t, v in st.data["samples"])
    assert st.last_event_at is not None
    return rules.WaterTrack(datetime.fromisoformat(st.data["since"]), samples, st.last_event_at)


def _back_in_bed(
    session: Session, device: Device, origin: Origin, sent_at: datetime, now: datetime,
    out: Outcome,
) -> None:  # fmt: skip
    """The elder is back: the mattress says so (`in_bed`), or measures a pulse, which it does
    only with someone lying on it. A pending watch ends; a raised bed-exit alarm is cleared,
    never closed: whether anyone took it or not, a person still closes it."""
    st = _state(session, device, "bed_exit", now)
    if st.pending_since is not None and sent_at > st.pending_since:
        st.pending_since, st.reason, st.updated_at = None, Reason.BACK_IN_BED, now
        out.reasons["bed_exit"] = Reason.BACK_IN_BED
    if st.fired and sent_at > (st.last_event_at or sent_at):
        st.fired, st.reason, st.updated_at = False, Reason.BACK_IN_BED, now
        out.reasons["bed_exit"] = Reason.BACK_IN_BED
        if gone := clear_open(
            session, origin.originator, AlarmType.BED_EXIT, now, Reason.BACK_IN_BED
        ):
            out.cleared.append(gone)


def _signal(
    session: Session, device: Device, message: DeviceMessage, signal: Signal, origin: Origin,
    now: datetime, settings: Settings, out: Outcome,
) -> None:  # fmt: skip
    if signal in ACTIVITY:
        _activity(session, device, signal, message.sent_at, origin, now, out)
    elif signal is Signal.BED_EXIT:
        _bed_exit(session, device, message.sent_at, now, settings, out)
    elif signal is Signal.IN_BED:
        _back_in_bed(session, device, origin, message.sent_at, now, out)
    elif signal is Signal.RESET:
        _reset(session, device, now, out)
    elif signal is Signal.SERVICE_REQUEST:
        result = service_requests.request(
            session, device, message, origin=origin, now=now, settings=settings
        )
        out.reasons["service"] = result.reason
        out.order_id = result.order_id


def _activity(
    session: Session, device: Device, signal: Signal, sent_at: datetime, origin: Origin,
    now: datetime, out: Outcome,
) -> None:  # fmt: skip
    key, type_ = ACTIVITY[signal]
    st = _state(session, device, key, now)
    if st.last_event_at is None or sent_at > st.last_event_at:
        st.last_event_at = sent_at
    st.reason, st.updated_at = Reason.ACTIVE, now
    out.reasons[key] = Reason.ACTIVE
    if st.fired:
        siblings = rule_repository.fired_sibling_rows(session, device, key)
        for other in book_of(session).adopt(siblings):
            other.fired, other.reason, other.updated_at = False, Reason.ACTIVE, now
        st.fired = False
        if gone := clear_open(session, origin.originator, type_, now, Reason.ACTIVE):
            out.cleared.append(gone)


def _bed_exit(
    session: Session, device: Device, sent_at: datetime, now: datetime, settings: Settings,
    out: Outcome,
) -> None:  # fmt: skip
    verdict = rules.bed_exit(sent_at.astimezone(CHINA_TZ).time())
    out.reasons["bed_exit"] = verdict.reason
    st = _state(session, device, "bed_exit", now)
    st.reason, st.updated_at = verdict.reason, now
    if verdict.action is not Action.RAISE:
        return
    if st.pending_since is None:
        st.pending_since = sent_at
        st.last_event_at = sent_at
        due = sent_at + timedelta(minutes=settings.alarm_bed_exit_minutes)
        timers.schedule(session, BED_EXIT_TIMER, device.id, due, {"exit_at": sent_at.isoformat()})


def _reset(session: Session, device: Device, now: datetime, out: Outcome) -> None:
    for alarm in rule_repository.open_alarms_of_device(session, device.id):
        verdict = rules.on_reset(AlarmType(alarm.type), alarm.acknowledged_at is not None)
        out.reasons[f"reset:{alarm.type}"] = verdict.reason
        if verdict.action is Action.CLEAR:
            if clear(session, alarm, now, verdict.reason):
                out.cleared.append(alarm)
        else:
            add_step(
                session, alarm, StepAction.NOTE, now, Actor.of(None), None,
                {"signal": str(Signal.RESET), "reason": str(verdict.reason)},
            )  # fmt: skip
