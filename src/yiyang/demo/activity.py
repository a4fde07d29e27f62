"""The demo homes' recent life: the last motion, door opening and water use of each sensor.

Without it every motion and door sensor of a freshly seeded district would count its quiet
from its installation, days ago, and the first sweep would raise a passive-monitoring alarm
for nearly each of them (hundreds at 3,000 elders). In life the door was opened this morning
and someone walked through the living room an hour ago: each installed sensor gets a last
event within the last hours, a sensor offline since gets one shortly before it fell silent,
and about one in a hundred homes has really been quiet for more than a day, so a freshly
started console shows a believable handful of "no movement for a day" alarms, not hundreds.

The rows are the alarm rules' own stored state (`rule_state`), as the gateway would have left
them after those messages; water meters carry the meter track the rules keep.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from yiyang.alarms import rules
from yiyang.devices.kinds import DeviceKind

QUIET_SHARE = 0.01  # homes where nothing moved for more than a day (the alarms worth a call)
PASSIVE: dict[str, str] = {
    str(DeviceKind.MOTION_SENSOR): "motion",
    str(DeviceKind.DOOR_SENSOR): "door",
    str(DeviceKind.WATER_METER): "water",
}


def _last_event(device: dict[str, Any], now: datetime, rng: random.Random) -> datetime:
    if rng.random() < QUIET_SHARE:
        return now - timedelta(hours=rng.uniform(25, 40))
    if device["online"]:
        # Motion or water: minutes to hours ago; a door: since this morning or last evening.
        hours = rng.uniform(0.2, 14) if device["kind"] == "door_sensor" else rng.uniform(0.05, 3)
        return now - timedelta(hours=hours)
    seen: datetime = device["last_seen_at"]
    return seen - timedelta(minutes=rng.randint(1, 90))


def _water(at: datetime, rng: random.Random) -> tuple[datetime, dict[str, Any]]:
    """A meter read twice: 30–80 litres used over the hours before `at`."""
    start = at - timedelta(hours=rng.uniform(1, 3))
    value = round(rng.uniform(20, 400), 3)
    track = rules.track_water(None, start, value)
    track = rules.track_water(track, at, value + rng.uniform(0.03, 0.08))
    data = {
        "since": track.since.isoformat(),
        "samples": [[t.isoformat(), v] for t, v in track.samples],
    }
    return track.used_since, data


def activity_rows(
    devices: list[dict[str, Any]], now: datetime, rng: random.Random
) -> list[dict[str, Any]]:
    """The `rule_state` rows of the passive sensors among the demo's device rows."""
    rows = []
    for device in devices:
        key = PASSIVE.get(device["kind"])
        if key is None or device["status"] != "installed":
            continue
        at = min(_last_event(device, now, rng), now)
        at = max(at, device["installed_at"])
        data: dict[str, Any] = {}
        last_value = None
        if key == "water":
            at, data = _water(at, rng)
            last_value = data["samples"][-1][1]
        rows.append(
            {
                "owner": f"device:{device['id']}", "rule_key": key, "device_id": device["id"],
                "elder_id": device["elder_id"], "consecutive": 0, "last_value": last_value,
                "last_reading_at": at if key == "water" else None, "fired": False,
                "fired_type": None, "level": None, "silence_until": None, "pending_since": None,
                "last_event_at": at, "reason": str(rules.Reason.ACTIVE), "data": data,
                "updated_at": now,
            }
        )  # fmt: skip
    return rows
