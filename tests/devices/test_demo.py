"""The demo devices: spread by need, valid identities, realistic states, fast to build."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

from yiyang.demo.devices import device_rows
from yiyang.demo.generator import generate_district
from yiyang.devices.rules import luhn_ok

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


def test_devices_go_to_the_elders_who_need_them() -> None:
    district = generate_district(2_000, seed=2026)
    offsets = {t: 0 for t in ("home", "home_resident", "device", "device_identity",
                              "device_history", "elder", "area")}  # fmt: skip
    rows = device_rows(district, offsets, NOW)
    assert len(rows.devices) == 222  # 2,220 at 20,000 elders
    elders = {e.id: e for e in district.elders}
    groups: dict[int, set[str]] = {}
    for g in district.elder_groups:
        groups.setdefault(g.elder_id, set()).add(g.code)
    home_elder = {r["home_id"]: r["elder_id"] for r in rows.residents}
    for d in rows.devices:
        if d["status"] == "in_stock":
            assert d["elder_id"] is None and d["home_id"] is None and d["street_id"] is None
            continue
        owner = elders[d["elder_id"] or home_elder[d["home_id"]]]
        if d["kind"] == "smart_mattress":
            assert groups.get(owner.id, set()) & {"disabled", "severe_disability"}
        if d["kind"] == "vitals_band":
            assert (district.as_of.year - owner.birth_date.year) >= 80
        if d["kind"] in ("vitals_band", "wearable_button"):
            assert d["home_id"] is None
        else:
            assert d["elder_id"] is None and d["home_id"] is not None
    kinds = Counter(d["kind"] for d in rows.devices)
    assert kinds["pull_cord"] + kinds["sos_button"] > 50 and kinds["door_sensor"] > 0
    states = Counter(d["online"] for d in rows.devices if d["status"] == "installed")
    assert states[True] > 0.85 * sum(states.values()) and states[False] > 0
    assert any(d["battery_pct"] is not None and d["battery_pct"] < 20 for d in rows.devices)
    imeis = [i["value"] for i in rows.identities if i["scheme"] == "imei"]
    assert imeis and all(len(v) == 15 and luhn_ok(v) for v in imeis)
    pairs = [(i["scheme"], i["value"]) for i in rows.identities]
    assert len(pairs) == len(set(pairs))
