"""The words devices speak in: identities, signals and metrics with units and plausible ranges."""

from __future__ import annotations

from enum import StrEnum


class IdentityScheme(StrEnum):
    """How a device is named by its maker or network."""

    IMEI = "imei"
    SERIAL = "serial"
    MAC = "mac"


class Signal(StrEnum):
    """A one-off event a device sends."""

    SOS = "sos"
    FALL = "fall"
    BED_EXIT = "bed_exit"
    IN_BED = "in_bed"  # the mattress feels someone lying on it again (after a bed exit)
    BED_WET = "bed_wet"
    DOOR_OPEN = "door_open"
    MOTION = "motion"
    SMOKE = "smoke"
    GAS = "gas"
    WATER_LEAK = "water_leak"
    SERVICE_REQUEST = "service_request"
    TAMPER = "tamper"
    RESET = "reset"


# The signals that raise an alarm the moment they come (alarms.intake.IMMEDIATE, among them
# every alarm that needs a person, alarms.kinds.NEEDS_A_PERSON; both checked by a test): a
# device sends them on the urgent MQTT channel `.../alarm` (house_json.topic_for).
URGENT_SIGNALS: frozenset[Signal] = frozenset(
    {Signal.SOS, Signal.FALL, Signal.SMOKE, Signal.GAS, Signal.WATER_LEAK, Signal.BED_WET}
    | {Signal.TAMPER}
)


class Metric(StrEnum):
    """A measured quantity, with its unit in `UNITS`."""

    HEART_RATE = "heart_rate"
    SYSTOLIC = "systolic"
    DIASTOLIC = "diastolic"
    TEMPERATURE = "temperature"
    SPO2 = "spo2"
    RESPIRATION = "respiration"
    WATER_M3 = "water_m3"


UNITS: dict[Metric, str] = {
    Metric.HEART_RATE: "bpm",
    Metric.SYSTOLIC: "mmHg",
    Metric.DIASTOLIC: "mmHg",
    Metric.TEMPERATURE: "°C",
    Metric.SPO2: "%",
    Metric.RESPIRATION: "/min",
    Metric.WATER_M3: "m³",
}

# What a person could plausibly measure; anything outside is an absurd reading, dead-lettered.
PLAUSIBLE: dict[Metric, tuple[float, float]] = {
    Metric.HEART_RATE: (20, 250),
    Metric.SYSTOLIC: (50, 260),
    Metric.DIASTOLIC: (30, 160),
    Metric.TEMPERATURE: (30.0, 43.0),
    Metric.SPO2: (50, 100),
    Metric.RESPIRATION: (4, 60),
    Metric.WATER_M3: (0, 1_000_000),
}
