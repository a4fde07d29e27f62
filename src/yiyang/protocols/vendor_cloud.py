"""A vendor cloud's JSON, in the style of the elder-care device clouds that forward events.

The cloud posts a batch to our webhook, signed (see ingest/webhook.py), in its own words and
units — serial numbers, epoch milliseconds, temperature in tenths of a degree, signal as
GSM CSQ 0–31, its own alarm names:

    {"events": [{"msgId": "9f1c…", "deviceSn": "KY2300017", "eventTime": 1733025906000,
                 "eventType": "ALARM", "alarmType": "SOS", "power": 76, "csq": 21,
                 "vitals": {"hr": 71, "sbp": 128, "dbp": 82, "temp": 366, "spo2": 97},
                 "location": {"lat": 34.76, "lng": 113.65}}]}

Each event becomes one DeviceMessage named by its serial (pure).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from yiyang.protocols.house_json import load_object
from yiyang.protocols.message import DeviceMessage, MessageKind, ParseError
from yiyang.protocols.reasons import Reason, absurd
from yiyang.protocols.vocabulary import IdentityScheme, Metric, Signal

NAME = "cloudcare"
MAX_EVENTS = 500

KINDS = {
    "HEART": MessageKind.HEARTBEAT,  # the vendor's keep-alive
    "ALARM": MessageKind.SIGNAL,
    "VITAL": MessageKind.READING,
    "STATUS": MessageKind.STATUS,
}
ALARMS = {
    "SOS": Signal.SOS,
    "FALL": Signal.FALL,
    "LEAVE_BED": Signal.BED_EXIT,
    "IN_BED": Signal.IN_BED,
    "URINE": Signal.BED_WET,
    "DOOR": Signal.DOOR_OPEN,
    "PIR": Signal.MOTION,
    "SMOKE": Signal.SMOKE,
    "GAS": Signal.GAS,
    "WATER": Signal.WATER_LEAK,
    "SERVICE": Signal.SERVICE_REQUEST,
    "TAMPER": Signal.TAMPER,
    "RESET": Signal.RESET,
}
# Vendor name → (metric, factor to our unit).
VITALS: dict[str, tuple[Metric, float]] = {
    "hr": (Metric.HEART_RATE, 1),
    "sbp": (Metric.SYSTOLIC, 1),
    "dbp": (Metric.DIASTOLIC, 1),
    "temp": (Metric.TEMPERATURE, 0.1),
    "spo2": (Metric.SPO2, 1),
    "rr": (Metric.RESPIRATION, 1),
}


def _num(value: object, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParseError(Reason.INVALID, f"{what} must be a number")
    return float(value)


def _event(item: object, index: int) -> DeviceMessage:
    if not isinstance(item, dict):
        raise ParseError(Reason.INVALID, f"events[{index}] must be an object")
    where = f"events[{index}]"
    msg_id, serial = item.get("msgId"), item.get("deviceSn")
    if not isinstance(msg_id, str) or not 0 < len(msg_id) <= 64:
        raise ParseError(Reason.INVALID, f"{where}.msgId must be a text of 1–64 characters")
    if not isinstance(serial, str) or not 0 < len(serial) <= 64:
        raise ParseError(Reason.INVALID, f"{where}.deviceSn must be a text of 1–64 characters")
    kind = KINDS.get(str(item.get("eventType")))
    if kind is None:
        raise ParseError(Reason.INVALID, f"{where}.eventType must be one of {', '.join(KINDS)}")
    millis = _num(item.get("eventTime"), f"{where}.eventTime")
    try:
        sent_at = datetime.fromtimestamp(millis / 1000, UTC)
    except (OverflowError, OSError, ValueError):
        raise ParseError(Reason.INVALID, f"{where}.eventTime is not a time") from None
    signal = None
    if kind is MessageKind.SIGNAL:
        signal = ALARMS.get(str(item.get("alarmType")))
        if signal is None:
            raise ParseError(Reason.INVALID, f"{where}.alarmType is not one the platform knows")
    readings: dict[Metric, float] = {}
    vitals = item.get("vitals") or {}
    if not isinstance(vitals, dict):
        raise ParseError(Reason.INVALID, f"{where}.vitals must be an object")
    for key, value in vitals.items():
        if key not in VITALS:
            raise ParseError(Reason.INVALID, f"{where}.vitals.{str(key)[:20]} is not known")
        metric, factor = VITALS[key]
        readings[metric] = round(_num(value, f"{where}.vitals.{key}") * factor, 3)
    if kind is MessageKind.READING and not readings:
        raise ParseError(Reason.INVALID, f"{where}: a VITAL event carries vitals")
    battery = csq = None
    if item.get("power") is not None:
        battery = int(_num(item["power"], f"{where}.power"))
        if not 0 <= battery <= 100:
            raise ParseError(Reason.ABSURD_VALUE, f"{where}.power={battery} outside 0..100")
    if item.get("csq") is not None:
        csq = int(_num(item["csq"], f"{where}.csq"))
        if not 0 <= csq <= 31:
            raise ParseError(Reason.ABSURD_VALUE, f"{where}.csq={csq} outside 0..31")
    lat = lon = None
    location = item.get("location")
    if location is not None:
        if not isinstance(location, dict):
            raise ParseError(Reason.INVALID, f"{where}.location must be an object")
        lat = _num(location.get("lat"), f"{where}.location.lat")
        lon = _num(location.get("lng"), f"{where}.location.lng")
    firmware = item.get("fwVer")
    if firmware is not None and (not isinstance(firmware, str) or not 0 < len(firmware) <= 32):
        raise ParseError(Reason.INVALID, f"{where}.fwVer must be a text of at most 32 characters")
    message = DeviceMessage(
        message_id=f"{NAME}:{msg_id}",
        scheme=IdentityScheme.SERIAL,
        identity=serial,
        kind=kind,
        sent_at=sent_at,
        signal=signal,
        readings=readings,
        battery_pct=battery,
        signal_dbm=None if csq is None else -113 + 2 * csq,  # GSM CSQ → dBm
        firmware=firmware,
        lat=lat,
        lon=lon,
    )
    problem = absurd(message)
    if problem:
        raise ParseError(Reason.ABSURD_VALUE, f"{where}: {problem}")
    return message


def parse(
    raw: bytes, scheme: IdentityScheme | None = None, identity: str | None = None
) -> list[DeviceMessage]:
    """The events of a vendor batch; over MQTT one event whose serial is the topic's."""
    body: dict[str, Any] = load_object(raw, limit=512 * 1024)
    events = body.get("events")
    if events is None and "msgId" in body:
        events = [body]
    if not isinstance(events, list) or not events:
        raise ParseError(Reason.INVALID, "events must be a non-empty list")
    if len(events) > MAX_EVENTS:
        raise ParseError(Reason.INVALID, f"at most {MAX_EVENTS} events a batch")
    messages = [_event(item, index) for index, item in enumerate(events)]
    if identity is not None and any((m.scheme, m.identity) != (scheme, identity) for m in messages):
        raise ParseError(Reason.INVALID, "deviceSn differs from the device of the topic")
    return messages
