"""The demo district's devices: 2,220 at 20,000 elders, spread over the elders who need them.

Need first: elders living alone, in a disabled group (失能, 重残) or 80 and over get devices
before anyone else. What each gets follows why: a pull cord by the bed (or a fixed SOS
button) for everyone chosen, a health bracelet for the 80+, a smart mattress for the
disabled, door and motion sensors for those living alone, and now and then a smoke, gas or
water sensor. Fixed devices are in a home made from the elder's address. Most are online;
a few are offline or low on battery, as in life. A few stay in the district's stock.

Each device gets a random secret of which only the sha256 is stored, as for real devices;
the simulator (`yiyang simulate devices`) gives the devices it drives fresh ones.
"""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Table, func, insert, select, text
from sqlalchemy.orm import Session

from yiyang.alarms.rule_models import RuleState
from yiyang.demo.activity import activity_rows
from yiyang.demo.records import DemoDistrict, ElderRec
from yiyang.devices.kinds import KINDS, DeviceKind
from yiyang.devices.models import Device, DeviceHistory, DeviceIdentity, Home, HomeResident
from yiyang.devices.rules import imei_check_digit, secret_hash

AT_FULL_SIZE = 2_220  # devices at 20,000 elders (DOMAIN.md)
FULL_SIZE = 20_000
IN_STOCK_SHARE = 0.02
CHUNK = 5_000

# Makers and models by kind; the first eight IMEI digits are the model's type code (TAC).
MODELS: dict[DeviceKind, tuple[str, str, str]] = {
    DeviceKind.PULL_CORD: ("颐家科技", "YJ-PC200", "86781203"),
    DeviceKind.SOS_BUTTON: ("颐家科技", "YJ-SB100", "86781204"),
    DeviceKind.WEARABLE_BUTTON: ("安康通", "AK-W3", "86920311"),
    DeviceKind.VITALS_BAND: ("华康智能", "HK-B7 GPS", "86455507"),
    DeviceKind.SMART_MATTRESS: ("睡安", "SA-M2", ""),
    DeviceKind.DOOR_SENSOR: ("绿米", "MCCGQ-02", ""),
    DeviceKind.MOTION_SENSOR: ("绿米", "RTCGQ-13", ""),
    DeviceKind.SMOKE_DETECTOR: ("海曼", "HM-608", ""),
    DeviceKind.GAS_DETECTOR: ("海曼", "HM-710", ""),
    DeviceKind.WATER_METER: ("宁水", "NS-DN15", ""),
}
PLACES: dict[DeviceKind, tuple[str, ...]] = {
    DeviceKind.PULL_CORD: ("床头", "卫生间", "客厅沙发旁"),
    DeviceKind.SOS_BUTTON: ("床头", "客厅"),
    DeviceKind.SMART_MATTRESS: ("卧室床上",),
    DeviceKind.DOOR_SENSOR: ("入户门",),
    DeviceKind.MOTION_SENSOR: ("客厅", "走廊"),
    DeviceKind.SMOKE_DETECTOR: ("厨房顶棚", "客厅顶棚"),
    DeviceKind.GAS_DETECTOR: ("厨房",),
    DeviceKind.WATER_METER: ("厨房水表井",),
}
FIRMWARE = ("2.3.1", "2.3.1", "2.3.1", "2.4.0", "2.2.7")
DISABLED = {"disabled", "severe_disability"}


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _package(
    elder: ElderRec, groups: set[str], age: int, rng: random.Random
) -> tuple[list[DeviceKind], int]:
    """The devices one elder gets, and how strongly they need them (0: not chosen)."""
    alone = elder.living_situation == "alone" or "living_alone" in groups
    disabled = bool(groups & DISABLED)
    old = age >= 80
    need = 2 * alone + 2 * disabled + old
    if need == 0 or elder.status != "active" or elder.living_situation == "in_institution":
        return [], 0
    kinds = [DeviceKind.SOS_BUTTON if rng.random() < 0.25 else DeviceKind.PULL_CORD]
    if old:
        kinds.append(DeviceKind.VITALS_BAND if rng.random() < 0.8 else DeviceKind.WEARABLE_BUTTON)
    if disabled:
        kinds.append(DeviceKind.SMART_MATTRESS)
    if alone:
        kinds.append(DeviceKind.DOOR_SENSOR)
        if rng.random() < 0.5:
            kinds.append(DeviceKind.MOTION_SENSOR)
    for kind, share in (
        (DeviceKind.SMOKE_DETECTOR, 0.12),
        (DeviceKind.GAS_DETECTOR, 0.06),
        (DeviceKind.WATER_METER, 0.05),
    ):
        if rng.random() < share:
            kinds.append(kind)
    return kinds, need


@dataclass
class _Rows:
    homes: list[dict[str, Any]] = field(default_factory=list)
    residents: list[dict[str, Any]] = field(default_factory=list)
    devices: list[dict[str, Any]] = field(default_factory=list)
    identities: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)


class _Maker:
    """Builds device rows with ids past the offsets and realistic identities and state."""

    def __init__(self, offsets: dict[str, int], now: datetime, rng: random.Random) -> None:
        self.offsets, self.now, self.rng = offsets, now, rng
        self.rows = _Rows()
        self.serials = 0

    def _next(self, table: str) -> int:
        self.offsets[table] += 1
        return self.offsets[table]

    def home(self, elder: ElderRec, elder_id: int, area: int) -> int:
        home_id = self._next("home")
        self.rows.homes.append(
            {
                "id": home_id, "address": elder.address, "street_id": elder.street_id + area,
                "community_id": elder.community_id + area, "lat": elder.lat, "lon": elder.lon,
                "created_at": self.now,
            }
        )  # fmt: skip
        self.rows.residents.append(
            {"id": self._next("home_resident"), "home_id": home_id, "elder_id": elder_id}
        )
        return home_id

    def device(
        self,
        kind: DeviceKind,
        *,
        elder: ElderRec | None,
        elder_id: int | None,
        home_id: int | None,
        area: int,
    ) -> None:
        rng, now = self.rng, self.now
        device_id = self._next("device")
        vendor, model, tac = MODELS[kind]
        info = KINDS[kind]
        bound = elder is not None
        installed_at = now - timedelta(days=rng.randint(3, 400), minutes=rng.randint(0, 600))
        roll = rng.random()
        online = bound and roll >= 0.06
        if not bound:
            last_seen = None
        elif online:
            last_seen = now - timedelta(seconds=rng.randint(5, info.heartbeat_s))
        else:
            last_seen = now - timedelta(minutes=rng.randint(20, 60 * 72))
        battery = None
        if info.battery and bound:
            battery = rng.randint(4, 19) if rng.random() < 0.05 else rng.randint(35, 100)
        place = rng.choice(PLACES[kind]) if kind in PLACES and bound else None
        self.rows.devices.append(
            {
                "id": device_id, "kind": str(kind), "vendor": vendor, "model": model,
                "protocol": "house", "status": "installed" if bound else "in_stock",
                "elder_id": elder_id if info.worn else None,
                "home_id": None if info.worn else home_id,
                "street_id": elder.street_id + area if elder else None,
                "community_id": elder.community_id + area if elder else None,
                "location_note": place, "secret_hash": secret_hash(secrets.token_urlsafe(24)),
                "heartbeat_s": info.heartbeat_s, "installed_at": installed_at if bound else None,
                "retired_at": None, "online": online, "battery_pct": battery,
                "signal_dbm": rng.randint(-105, -58) if bound else None,
                "firmware": rng.choice(FIRMWARE), "last_seen_at": last_seen,
                "last_lat": elder.lat if elder and info.worn else None,
                "last_lon": elder.lon if elder and info.worn else None,
                "created_at": installed_at - timedelta(days=7), "version": 1,
            }
        )  # fmt: skip
        self.serials += 1
        names = [("serial", f"{model.split()[0]}-{2024 + self.serials % 3}{self.serials:06d}")]
        if tac:
            body = f"{tac}{device_id * 7919 % 1_000_000:06d}"  # distinct under a million
            names.append(("imei", body + imei_check_digit(body)))
        else:
            low = device_id * 2_654_435_761 % (1 << 24)  # an odd multiplier: distinct
            mac = [0x54, 0xEF, 0x44, low >> 16, (low >> 8) & 0xFF, low & 0xFF]
            names.append(("mac", ":".join(f"{b:02X}" for b in mac)))
        for scheme, value in names:
            self.rows.identities.append(
                {"id": self._next("device_identity"), "device_id": device_id,
                 "scheme": scheme, "value": value}
            )  # fmt: skip
        steps: list[tuple[str, datetime, str | None]] = [
            ("registered", installed_at - timedelta(days=7), None)
        ]
        if bound:
            where = " · ".join(p for p in (elder.address if elder else None, place) if p)
            steps += [("bound", installed_at, where), ("installed", installed_at, where)]
        for action, at, spot in steps:
            self.rows.history.append(
                {
                    "id": self._next("device_history"), "device_id": device_id, "action": action,
                    "at": at, "by_user_id": None, "by_name": "演示安装队", "place": spot,
                    "elder_id": elder_id if bound else None,
                    "home_id": None if info.worn else home_id, "other_device_id": None,
                    "note": None,
                }
            )  # fmt: skip


TABLES: tuple[tuple[str, Any], ...] = (
    ("homes", Home),
    ("residents", HomeResident),
    ("devices", Device),
    ("identities", DeviceIdentity),
    ("history", DeviceHistory),
)


def _table(model: Any) -> Table:
    table: Table = model.__table__
    return table


def device_rows(
    district: DemoDistrict, offsets: dict[str, int], now: datetime, *, seed: int | None = None
) -> _Rows:
    """The device, identity, history and home rows for a generated district (ids shifted)."""
    rng = random.Random((seed if seed is not None else district.seed) * 7919 + 11)
    target = round(AT_FULL_SIZE * len(district.elders) / FULL_SIZE)
    groups: dict[int, set[str]] = {}
    for g in district.elder_groups:
        groups.setdefault(g.elder_id, set()).add(g.code)
    chosen = []
    for elder in district.elders:
        kinds, need = _package(
            elder, groups.get(elder.id, set()), _age(elder.birth_date, district.as_of), rng
        )
        if need:
            chosen.append((-need, rng.random(), elder, kinds))
    chosen.sort(key=lambda c: (c[0], c[1]))
    ids = dict(offsets)
    maker = _Maker(ids, now, rng)
    elder_off, area_off = offsets["elder"], offsets["area"]
    stock = round(target * IN_STOCK_SHARE)
    made = 0
    for _, _, elder, kinds in chosen:
        if made + len(kinds) > target - stock:
            break
        elder_id = elder.id + elder_off
        home_id = maker.home(elder, elder_id, area_off)
        for kind in kinds:
            maker.device(kind, elder=elder, elder_id=elder_id, home_id=home_id, area=area_off)
        made += len(kinds)
    spare = (DeviceKind.PULL_CORD, DeviceKind.VITALS_BAND, DeviceKind.DOOR_SENSOR)
    for i in range(target - made):
        maker.device(spare[i % 3], elder=None, elder_id=None, home_id=None, area=area_off)
    return maker.rows


def device_offsets(session: Session) -> dict[str, int]:
    """The highest id in use in each device table."""
    return {
        _table(model).name: session.scalar(select(func.coalesce(func.max(_table(model).c.id), 0)))
        or 0
        for _, model in TABLES
    }


def load_devices(
    session: Session, district: DemoDistrict, *, elder_offset: int, area_offset: int, now: datetime
) -> dict[str, int]:
    """Insert the demo devices and homes in bulk; returns rows per table."""
    offsets = device_offsets(session) | {"elder": elder_offset, "area": area_offset}
    rows = device_rows(district, offsets, now)
    counts: dict[str, int] = {}
    for attr, model in TABLES:
        values = getattr(rows, attr)
        table = _table(model)
        for i in range(0, len(values), CHUNK):
            session.execute(insert(table), values[i : i + CHUNK])
        counts[table.name] = len(values)
    # The sensors' recent life, so the first sweep does not find every home quiet for days.
    rng = random.Random(district.seed * 31 + 5)
    states = activity_rows(rows.devices, now, rng)
    for i in range(0, len(states), CHUNK):
        session.execute(insert(_table(RuleState)), states[i : i + CHUNK])
    counts["rule_state"] = len(states)
    if session.get_bind().dialect.name == "postgresql":
        for _, model in TABLES:
            name = _table(model).name
            session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), max(id)) FROM {name} "
                    "HAVING max(id) IS NOT NULL"
                )
            )
    return counts
