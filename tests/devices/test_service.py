"""Device use cases against the database: register, bind, homes, replace, retire, scope."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import make_elder, make_tree, make_user
from tests.conftest import FakeClock
from tests.devices.builders import new_imei, register
from yiyang.devices import reading, rules, service
from yiyang.devices import repository as repo
from yiyang.devices.models import DeviceHistory, HomeResident
from yiyang.devices.schemas import (
    BindIn,
    DeviceCreate,
    DeviceFilter,
    IdentityIn,
    ReasonIn,
    ReplaceIn,
)
from yiyang.errors import Conflict, Invalid, NotFound
from yiyang.events.models import DomainEventRow
from yiyang.kit.pagination import PageParams
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role


def test_register_keeps_only_the_hash_of_the_secret_shown_once(
    db: Session, clock: FakeClock
) -> None:
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    device, secret = register(db, admin, clock.now)
    assert len(secret) >= 32 and device.secret_hash == rules.secret_hash(secret)
    assert device.status == "in_stock" and device.street_id is None
    assert [h.action for h in repo.history(db, device.id)] == ["registered"]
    types = db.scalars(select(DomainEventRow.type).where(DomainEventRow.entity_id == device.id))
    assert "device.registered" in list(types)
    assert db.scalar(
        select(AuditEvent).where(AuditEvent.entity == "device", AuditEvent.entity_id == device.id)
    )
    again = service.rotate_credential(db, admin, device.id, now=clock.now)
    assert again != secret and device.secret_hash == rules.secret_hash(again)


def test_an_identity_belongs_to_one_device_ever(db: Session, clock: FakeClock) -> None:
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    imei = new_imei()
    first, _ = register(db, admin, clock.now, imei=imei)
    service.retire(db, admin, first.id, ReasonIn(reason="broken"), now=clock.now)
    with pytest.raises(Conflict) as exc:
        register(db, admin, clock.now, imei=imei)
    assert exc.value.code == "identity_taken" and exc.value.params["device"] == first.id
    assert exc.value.status_code == 409


def test_bad_identities_are_refused_before_anything_is_written(
    db: Session, clock: FakeClock
) -> None:
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    data = DeviceCreate(
        kind="pull_cord", vendor="v", model="m",
        identities=[IdentityIn(scheme="imei", value="490154203237519")],
    )  # fmt: skip
    with pytest.raises(Invalid) as exc:
        service.register(db, admin, data, now=clock.now)
    assert exc.value.field == "identities.0.value" and exc.value.status_code == 422


def test_fixed_devices_go_to_the_elders_home_and_worn_ones_to_the_elder(
    db: Session, clock: FakeClock
) -> None:
    t = make_tree(db)
    elder = make_elder(db, t.comm_a1)
    partner = make_elder(db, t.comm_a1, name="张建国", sex="M")
    _, street = make_user(db, Role.STREET_ADMIN, area=t.street_a)
    cord, _ = register(db, street, clock.now)
    assert (cord.street_id, cord.community_id) == (t.street_a.id, None)  # the street's stock
    service.bind(
        db, street, cord.id, BindIn(elder_id=elder.id, location_note="by the bed"), now=clock.now
    )
    cord = repo.get(db, street, cord.id)
    assert cord.home is not None and cord.elder_id is None and cord.status == "installed"
    assert (cord.street_id, cord.community_id) == (t.street_a.id, t.comm_a1.id)
    assert [r.elder_id for r in cord.home.residents] == [elder.id]
    home = service.add_resident(db, street, cord.home.id, partner.id, now=clock.now)
    assert {r.elder_id for r in home.residents} == {elder.id, partner.id}
    # A second fixed device for the partner lands in the same home.
    smoke, _ = register(db, street, clock.now, "smoke_detector")
    service.bind(db, street, smoke.id, BindIn(elder_id=partner.id), now=clock.now)
    assert repo.get(db, street, smoke.id).home_id == cord.home_id
    band, _ = register(db, street, clock.now, "vitals_band")
    service.bind(db, street, band.id, BindIn(elder_id=elder.id), now=clock.now)
    band = repo.get(db, street, band.id)
    assert band.elder_id == elder.id and band.home_id is None
    mine = repo.elder_devices(db, street, partner.id)
    assert {d.id for d in mine} == {cord.id, smoke.id}
    with pytest.raises(Conflict):
        service.add_resident(db, street, cord.home.id, partner.id, now=clock.now)
    with pytest.raises(Conflict):
        service.bind(db, street, band.id, BindIn(elder_id=elder.id), now=clock.now)
    with pytest.raises(Invalid) as exc:
        worn, _ = register(db, street, clock.now, "wearable_button")
        service.bind(db, street, worn.id, BindIn(), now=clock.now)
    assert exc.value.field == "elder_id"


def test_replace_moves_the_binding_and_links_both_histories(db: Session, clock: FakeClock) -> None:
    t = make_tree(db)
    elder = make_elder(db, t.comm_a1)
    _, staff = make_user(db, Role.COMMUNITY_STAFF, area=t.comm_a1)
    old, _ = register(db, staff, clock.now)
    assert (old.street_id, old.community_id) == (t.street_a.id, t.comm_a1.id)
    service.bind(
        db, staff, old.id, BindIn(elder_id=elder.id, location_note="卫生间"), now=clock.now
    )
    new, _ = register(db, staff, clock.now)
    clock.advance(minutes=5)
    service.replace(
        db, staff, old.id, ReplaceIn(new_device_id=new.id, reason="cord torn"), now=clock.now
    )
    old, new = repo.get(db, staff, old.id), repo.get(db, staff, new.id)
    assert old.status == "retired" and old.home_id is None and old.retired_at is not None
    assert new.status == "installed" and new.home_id is not None and new.location_note == "卫生间"
    h_old = {h.action: h for h in repo.history(db, old.id)}
    h_new = {h.action: h for h in repo.history(db, new.id)}
    assert (
        h_old["replaced"].other_device_id == new.id
        and h_new["replacement"].other_device_id == old.id
    )
    assert "文化路" in (h_new["replacement"].place or "")
    with pytest.raises(Conflict):
        service.replace(db, staff, old.id, ReplaceIn(new_device_id=new.id), now=clock.now)
    other, _ = register(db, staff, clock.now, "smoke_detector")
    with pytest.raises(Conflict):  # not the same kind
        service.replace(db, staff, new.id, ReplaceIn(new_device_id=other.id), now=clock.now)


def test_retire_needs_a_reason_and_is_final(db: Session, clock: FakeClock) -> None:
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    device, _ = register(db, admin, clock.now)
    with pytest.raises(Invalid) as exc:
        service.retire(db, admin, device.id, ReasonIn(reason="  "), now=clock.now)
    assert exc.value.field == "reason"
    service.retire(db, admin, device.id, ReasonIn(reason="lost"), now=clock.now)
    with pytest.raises(Conflict):
        service.retire(db, admin, device.id, ReasonIn(reason="lost"), now=clock.now)
    with pytest.raises(Conflict):
        service.bind(db, admin, device.id, BindIn(elder_id=1), now=clock.now)
    rows = db.scalars(select(DeviceHistory.action).where(DeviceHistory.device_id == device.id))
    assert list(rows) == ["registered", "retired"]


def test_unbind_returns_to_the_areas_stock(db: Session, clock: FakeClock) -> None:
    t = make_tree(db)
    elder = make_elder(db, t.comm_b1)
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    _, street_b = make_user(db, Role.STREET_ADMIN, area=t.street_b)
    band, _ = register(db, admin, clock.now, "vitals_band")
    with pytest.raises(NotFound):  # district stock: not the street's to see
        repo.get(db, street_b, band.id)
    service.bind(db, admin, band.id, BindIn(elder_id=elder.id), now=clock.now)
    service.unbind(db, street_b, band.id, ReasonIn(reason="in hospital"), now=clock.now)
    band = repo.get(db, street_b, band.id)
    assert band.status == "in_stock" and band.elder_id is None and band.street_id == t.street_b.id


def test_scope_hides_other_areas_devices(db: Session, clock: FakeClock) -> None:
    t = make_tree(db)
    elder_a, elder_b = make_elder(db, t.comm_a1), make_elder(db, t.comm_b1)
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    _, street_a = make_user(db, Role.STREET_ADMIN, area=t.street_a)
    _, comm_a2 = make_user(db, Role.COMMUNITY_STAFF, area=t.comm_a2)
    a, _ = register(db, admin, clock.now)
    b, _ = register(db, admin, clock.now)
    service.bind(db, admin, a.id, BindIn(elder_id=elder_a.id), now=clock.now)
    service.bind(db, admin, b.id, BindIn(elder_id=elder_b.id), now=clock.now)
    c, _ = register(db, street_a, clock.now)
    seen = reading.list_devices(db, street_a, DeviceFilter(), PageParams())
    assert [d.id for d in seen.items] == [c.id, a.id]
    assert reading.list_devices(db, comm_a2, DeviceFilter(), PageParams()).total == 0
    for call in (
        lambda: reading.read(db, street_a, b.id),
        lambda: service.retire(db, street_a, b.id, ReasonIn(reason="x"), now=clock.now),
        lambda: service.bind(db, street_a, c.id, BindIn(elder_id=elder_b.id), now=clock.now),
    ):
        with pytest.raises(NotFound):
            call()
    assert reading.counts(db, street_a).installed == 1
    assert db.scalar(select(HomeResident.elder_id).where(HomeResident.elder_id == elder_b.id))


def test_filters(db: Session, clock: FakeClock) -> None:
    _, admin = make_user(db, Role.DISTRICT_ADMIN)
    imei = new_imei()
    a, _ = register(db, admin, clock.now, imei=imei)
    b, _ = register(db, admin, clock.now, "door_sensor")
    a.online, a.battery_pct = True, 15
    a.status = b.status = "installed"
    db.flush()

    def ids(**kw: object) -> set[int]:
        page = reading.list_devices(db, admin, DeviceFilter(**kw), PageParams(size=500))
        return {d.id for d in page.items} & {a.id, b.id}

    assert ids(q=imei[-8:]) == {a.id}
    assert ids(kind="door_sensor") == {b.id}
    assert ids(connection="online") == {a.id} and ids(connection="offline") == {b.id}
    assert ids(low_battery=True) == {a.id}
    assert repo.find_one(db, admin, imei) == a.id
