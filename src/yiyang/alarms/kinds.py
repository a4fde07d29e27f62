"""Alarm types, severities and the steps of an alarm's life (pure, no I/O)."""

from __future__ import annotations

from enum import IntEnum, StrEnum

from yiyang.errors import N_


class Severity(IntEnum):
    """How urgent an alarm is; higher sorts first in the console."""

    INFO = 1
    WARNING = 2
    MAJOR = 3
    CRITICAL = 4


class AlarmType(StrEnum):
    """What an alarm is about."""

    SOS = "sos"
    FALL = "fall"
    BED_EXIT = "bed_exit"
    BED_WET = "bed_wet"
    SMOKE = "smoke"
    GAS = "gas"
    WATER_LEAK = "water_leak"
    HEART_RATE_HIGH = "heart_rate_high"
    HEART_RATE_LOW = "heart_rate_low"
    TEMPERATURE_HIGH = "temperature_high"
    BLOOD_PRESSURE_HIGH = "blood_pressure_high"
    BLOOD_PRESSURE_LOW = "blood_pressure_low"
    NO_MOTION = "no_motion"
    NO_DOOR = "no_door"
    LOW_WATER_USE = "low_water_use"
    DEVICE_OFFLINE = "device_offline"
    LOW_BATTERY = "low_battery"
    TAMPER = "tamper"
    VISIT_LATE = "visit_late"
    VISIT_NO_SHOW = "visit_no_show"
    VISIT_GEOFENCE = "visit_geofence"


LABELS: dict[AlarmType, str] = {
    AlarmType.SOS: N_("SOS call"),
    AlarmType.FALL: N_("Fall"),
    AlarmType.BED_EXIT: N_("Out of bed and not back"),
    AlarmType.BED_WET: N_("Wet mattress"),
    AlarmType.SMOKE: N_("Smoke"),
    AlarmType.GAS: N_("Gas leak"),
    AlarmType.WATER_LEAK: N_("Water leak"),
    AlarmType.HEART_RATE_HIGH: N_("Heart rate high"),
    AlarmType.HEART_RATE_LOW: N_("Heart rate low"),
    AlarmType.TEMPERATURE_HIGH: N_("Fever"),
    AlarmType.BLOOD_PRESSURE_HIGH: N_("Blood pressure high"),
    AlarmType.BLOOD_PRESSURE_LOW: N_("Blood pressure low"),
    AlarmType.NO_MOTION: N_("No movement at home for a day"),
    AlarmType.NO_DOOR: N_("Door not opened for a day"),
    AlarmType.LOW_WATER_USE: N_("Almost no water used"),
    AlarmType.DEVICE_OFFLINE: N_("Device offline"),
    AlarmType.LOW_BATTERY: N_("Battery low"),
    AlarmType.TAMPER: N_("Device tampered with"),
    AlarmType.VISIT_LATE: N_("Caregiver late"),
    AlarmType.VISIT_NO_SHOW: N_("Caregiver did not come"),
    AlarmType.VISIT_GEOFENCE: N_("Check-in away from the home"),
}

DEFAULT_SEVERITY: dict[AlarmType, Severity] = {
    AlarmType.SOS: Severity.CRITICAL,
    AlarmType.FALL: Severity.CRITICAL,
    AlarmType.SMOKE: Severity.CRITICAL,
    AlarmType.GAS: Severity.CRITICAL,
    AlarmType.BED_EXIT: Severity.MAJOR,
    AlarmType.WATER_LEAK: Severity.MAJOR,
    AlarmType.HEART_RATE_HIGH: Severity.MAJOR,
    AlarmType.HEART_RATE_LOW: Severity.MAJOR,
    AlarmType.TEMPERATURE_HIGH: Severity.MAJOR,
    AlarmType.BLOOD_PRESSURE_HIGH: Severity.MAJOR,
    AlarmType.BLOOD_PRESSURE_LOW: Severity.MAJOR,
    AlarmType.NO_MOTION: Severity.MAJOR,
    AlarmType.NO_DOOR: Severity.MAJOR,
    AlarmType.LOW_WATER_USE: Severity.MAJOR,
    AlarmType.VISIT_NO_SHOW: Severity.MAJOR,
    AlarmType.BED_WET: Severity.WARNING,
    AlarmType.DEVICE_OFFLINE: Severity.WARNING,
    AlarmType.TAMPER: Severity.WARNING,
    AlarmType.VISIT_LATE: Severity.WARNING,
    AlarmType.VISIT_GEOFENCE: Severity.WARNING,
    AlarmType.LOW_BATTERY: Severity.INFO,
}

SEVERITY_LABELS: dict[Severity, str] = {
    Severity.CRITICAL: N_("Critical"),
    Severity.MAJOR: N_("Major"),
    Severity.WARNING: N_("Warning"),
    Severity.INFO: N_("Notice"),
}

# A person must handle these: a device reset or the signal going away never closes them.
NEEDS_A_PERSON: frozenset[AlarmType] = frozenset(
    {AlarmType.SOS, AlarmType.FALL, AlarmType.SMOKE, AlarmType.GAS}
)


class AlarmStatus(StrEnum):
    """Where an alarm is (DOMAIN.md §7); `cleared` is a separate fact, not a status."""

    QUEUED = "queued"  # received and stored, waiting for an operator
    ACKNOWLEDGED = "acknowledged"  # an operator took it
    RESPONDING = "responding"  # calls made, a responder sent or 120 called
    RESOLVED = "resolved"  # the situation is handled; waiting for the disposition
    CLOSED = "closed"  # closed with a disposition code


class StepAction(StrEnum):
    """One entry of an alarm's timeline."""

    RAISED = "raised"
    REPEATED = "repeated"
    CLEARED = "cleared"
    ESCALATED = "escalated"
    ACKNOWLEDGED = "acknowledged"
    CALLED = "called"
    CALL_RESULT = "call_result"
    CALLED_120 = "called_120"
    RESPONDER_SENT = "responder_sent"
    RESPONDER_ACCEPTED = "responder_accepted"
    RESPONDER_REFUSED = "responder_refused"
    RESPONDER_TIMED_OUT = "responder_timed_out"
    RESPONDER_ON_THE_WAY = "responder_on_the_way"
    RESPONDER_ARRIVED = "responder_arrived"
    RESPONDER_REPORTED = "responder_reported"
    NOTE = "note"
    FAMILY_TOLD = "family_told"
    RESOLVED = "resolved"
    CLOSED = "closed"
    REVIEWED = "reviewed"
