"""Device kinds with their SCAIP device codes and what each reports (pure, no I/O).

SCAIP (Social Care Alarm Internet Protocol, SS 91100) numbers device types; kinds outside
its list (gas, water meter, the service button) have no code. `signals` are the one-off
events a kind sends (an SOS press, a fall); `metrics` the readings it measures.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from yiyang.errors import N_
from yiyang.protocols.vocabulary import Metric, Signal


class DeviceKind(StrEnum):
    """What a device is."""

    PULL_CORD = "pull_cord"
    SOS_BUTTON = "sos_button"
    WEARABLE_BUTTON = "wearable_button"
    FALL_DETECTOR = "fall_detector"
    SMART_MATTRESS = "smart_mattress"
    VITALS_BAND = "vitals_band"
    DOOR_SENSOR = "door_sensor"
    MOTION_SENSOR = "motion_sensor"
    SMOKE_DETECTOR = "smoke_detector"
    GAS_DETECTOR = "gas_detector"
    WATER_METER = "water_meter"
    SERVICE_BUTTON = "service_button"


@dataclass(frozen=True)
class KindInfo:
    """A kind's label, SCAIP code, signals, metrics, worn or fixed, and heartbeat period."""

    label: str
    scaip: str | None
    signals: frozenset[Signal]
    metrics: frozenset[Metric] = frozenset()
    worn: bool = False
    heartbeat_s: int = 300
    battery: bool = True


_BASIC = {Signal.TAMPER, Signal.RESET}

KINDS: dict[DeviceKind, KindInfo] = {
    DeviceKind.PULL_CORD: KindInfo(N_("Pull-cord alarm"), "0004", frozenset({Signal.SOS, *_BASIC})),
    DeviceKind.SOS_BUTTON: KindInfo(
        N_("Fixed SOS button"), "0004", frozenset({Signal.SOS, *_BASIC})
    ),
    DeviceKind.WEARABLE_BUTTON: KindInfo(
        N_("Wearable SOS button"), "0003", frozenset({Signal.SOS, *_BASIC}), worn=True
    ),
    DeviceKind.FALL_DETECTOR: KindInfo(
        N_("Fall detector"), "0005", frozenset({Signal.FALL, Signal.SOS, *_BASIC}), worn=True
    ),
    DeviceKind.SMART_MATTRESS: KindInfo(
        N_("Smart mattress"),
        "0012",
        frozenset({Signal.BED_EXIT, Signal.IN_BED, Signal.BED_WET, *_BASIC}),
        frozenset({Metric.HEART_RATE, Metric.RESPIRATION}),
        heartbeat_s=120,
        battery=False,
    ),
    DeviceKind.VITALS_BAND: KindInfo(
        N_("Health bracelet with GPS"),
        "0019",
        frozenset({Signal.SOS, Signal.FALL, *_BASIC}),
        frozenset(
            {Metric.HEART_RATE, Metric.SYSTOLIC, Metric.DIASTOLIC, Metric.TEMPERATURE, Metric.SPO2}
        ),
        worn=True,
        heartbeat_s=120,
    ),
    DeviceKind.DOOR_SENSOR: KindInfo(
        N_("Door sensor"), "0014", frozenset({Signal.DOOR_OPEN, *_BASIC})
    ),
    DeviceKind.MOTION_SENSOR: KindInfo(
        N_("Motion sensor"), "0010", frozenset({Signal.MOTION, *_BASIC})
    ),
    DeviceKind.SMOKE_DETECTOR: KindInfo(
        N_("Smoke detector"), "0023", frozenset({Signal.SMOKE, *_BASIC})
    ),
    DeviceKind.GAS_DETECTOR: KindInfo(
        N_("Gas detector"), None, frozenset({Signal.GAS, *_BASIC}), battery=False
    ),
    DeviceKind.WATER_METER: KindInfo(
        N_("Smart water meter"),
        None,
        frozenset({Signal.WATER_LEAK, *_BASIC}),
        frozenset({Metric.WATER_M3}),
        heartbeat_s=300,
        battery=False,
    ),
    DeviceKind.SERVICE_BUTTON: KindInfo(
        N_("Service button"), None, frozenset({Signal.SERVICE_REQUEST, Signal.SOS, *_BASIC})
    ),
}


class DeviceStatus(StrEnum):
    """Where a device is in its life."""

    IN_STOCK = "in_stock"  # registered, not yet fitted
    INSTALLED = "installed"
    RETIRED = "retired"


class HistoryAction(StrEnum):
    """What was done to a device (its history, never edited)."""

    REGISTERED = "registered"
    INSTALLED = "installed"
    BOUND = "bound"
    UNBOUND = "unbound"
    REPLACED = "replaced"
    REPLACEMENT = "replacement"  # the new device that took another's place
    RETIRED = "retired"
    CREDENTIAL_ROTATED = "credential_rotated"
