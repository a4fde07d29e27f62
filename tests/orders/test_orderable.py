"""What an elder may order: items in force, home visits only, each priced and split for them."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import PASSWORD, make_elder, make_user
from tests.conftest import FakeClock
from tests.orders.builders import District, add_price, make_district, make_item, make_policy
from yiyang.config import Settings
from yiyang.errors import Invalid, NotFound
from yiyang.kit.localtime import local_today
from yiyang.orders import orderable, service
from yiyang.orders.models import ServiceOrder
from yiyang.orders.schemas import OrderableServices, OrderCreate, QuoteRequest
from yiyang.registry.elders.models import ElderGroup
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role

SETTINGS = Settings(secret_key="x")
TUESDAY = date(2026, 11, 24)


@pytest.fixture
def district(db: Session) -> District:
    """Bathing (purchasable), cleaning, meals, a centre-only bath, a retired item, a future one."""
    d = make_district(db)
    make_item(db, "cleaning", price_fen=4000, skills=("cleaning",))
    make_item(db, "meal_delivery", price_fen=1500, minutes=20, skills=("meals",))
    make_item(db, "companionship", price_fen=3000, purchasable=False, skills=("companionship",))
    make_item(db, "bath_centre", price_fen=3000, home_visit=False)
    make_item(db, "old_service", active=False)
    make_item(db, "new_service", effective=TUESDAY)
    make_policy(
        db, code="special", name="特殊困难老人", priority=10, monthly_quota_fen=12_000,
        eligibility=[
            {"economic_statuses": ["extreme_poverty"]},
            {"special_groups": ["disabled"]},
            {"min_age": 80, "living_situations": ["alone"]},
            {"min_capability_level": 3},
        ],
    )  # fmt: skip
    make_policy(
        db, code="meal", name="助餐补贴", item_codes=["meal_delivery"], per_order_cap_fen=300,
        weekly_quota_count=5, eligibility=[{"min_age": 60}],
    )  # fmt: skip
    d.elder.living_situation = "with_spouse"  # 86, no group, no poverty: not "special"
    db.flush()
    return d


def _listing(db: Session, subject, elder_id: int, day: date, clock: FakeClock) -> OrderableServices:  # type: ignore[no-untyped-def]
    return orderable.orderable_services(
        db, subject, elder_id, day, now=clock.now, settings=SETTINGS
    )


def _splits(listing: OrderableServices) -> dict[str, tuple[int, int, str]]:
    return {s.code: (s.price_fen, s.government_fen, s.subsidy_reason) for s in listing.services}


def test_only_items_in_force_and_ordered_at_home(
    db: Session, district: District, clock: FakeClock
) -> None:
    _, op = make_user(db, Role.OPERATOR)
    today = local_today(clock.now)
    codes = [s.code for s in _listing(db, op, district.elder.id, today, clock).services]
    assert sorted(codes) == ["bath_home", "cleaning", "companionship", "meal_delivery"]
    tomorrow = [s.code for s in _listing(db, op, district.elder.id, TUESDAY, clock).services]
    assert "new_service" in tomorrow  # its first price is in force from Tuesday
    add_price(db, district.item, TUESDAY, 6000, 90)
    db.expire_all()
    bath = orderable.find(_listing(db, op, district.elder.id, TUESDAY, clock), "bath_home")
    assert (bath.price_fen, bath.standard_minutes) == (6000, 90)
    with pytest.raises(Invalid):
        orderable.find(_listing(db, op, district.elder.id, today, clock), "bath_centre")


def test_an_ordinary_elder_pays_in_full_except_the_meal_subsidy(
    db: Session, district: District, clock: FakeClock
) -> None:
    _, op = make_user(db, Role.OPERATOR)
    listing = _listing(db, op, district.elder.id, local_today(clock.now), clock)
    assert _splits(listing) == {
        "bath_home": (5000, 0, "not_eligible"),
        "cleaning": (4000, 0, "not_eligible"),
        "companionship": (3000, 0, "item_not_covered"),
        "meal_delivery": (1500, 300, "subsidised"),
    }
    meal = orderable.find(listing, "meal_delivery")
    assert (meal.elder_fen, meal.policy_code, meal.policy_name) == (1200, "meal", "助餐补贴")
    assert [
        (a.policy_code, a.week_left_count, a.weekly_quota_count) for a in listing.allowances
    ] == [("meal", 5, 5)]


@pytest.mark.parametrize(
    ("change", "eligible"),
    [
        ({"economic_status": "extreme_poverty"}, True),
        ({"economic_status": "low_income"}, False),
        ({"groups": ("disabled",)}, True),
        ({"groups": ("empty_nest",)}, False),
        ({"living_situation": "alone"}, True),  # 80 and over, alone
        ({"living_situation": "alone", "born": date(1950, 1, 1)}, False),  # 76, alone
        ({"capability_level": 3}, True),
        ({"capability_level": 2}, False),
    ],
)
def test_eligibility_by_group_economy_age_and_capability(
    db: Session, district: District, clock: FakeClock, change: dict[str, object], eligible: bool
) -> None:
    elder = make_elder(
        db, district.tree.comm_a1, born=change.get("born", date(1940, 1, 1)),  # type: ignore[arg-type]
        living_situation=str(change.get("living_situation", "with_children")),
        groups=change.get("groups", ()),  # type: ignore[arg-type]
    )  # fmt: skip
    elder.economic_status = str(change.get("economic_status", "none"))
    elder.capability_level = change.get("capability_level")  # type: ignore[assignment]
    db.flush()
    _, op = make_user(db, Role.OPERATOR)
    listing = _listing(db, op, elder.id, local_today(clock.now), clock)
    bath = orderable.find(listing, "bath_home")
    assert (bath.government_fen, bath.elder_fen) == ((5000, 0) if eligible else (0, 5000))
    assert ("special" in {a.policy_code for a in listing.allowances}) is eligible


def test_the_monthly_quota_left_is_what_the_government_pays(
    db: Session, district: District, clock: FakeClock
) -> None:
    district.elder.economic_status = "extreme_poverty"
    db.flush()
    _, op = make_user(db, Role.OPERATOR)
    today = local_today(clock.now)
    for days in (1, 2):  # two baths this month: 100 of the 120 yuan used
        start = clock.now + timedelta(days=days)
        service.create_order(
            db, op,
            OrderCreate(elder_id=district.elder.id, item_code="bath_home", window_start=start,
                        window_end=start + timedelta(hours=1)),
            now=clock.now, settings=SETTINGS,
        )  # fmt: skip
    listing = _listing(db, op, district.elder.id, today, clock)
    special = next(a for a in listing.allowances if a.policy_code == "special")
    assert (special.month_left_fen, special.monthly_quota_fen) == (2000, 12_000)
    assert _splits(listing)["cleaning"] == (4000, 2000, "partly_subsidised")
    # What the list says is what a quote (and so an order) for that day gives.
    quote = service.quote(
        db, op,
        QuoteRequest(elder_id=district.elder.id, item_code="cleaning",
                     window_start=clock.now + timedelta(hours=3)),
        now=clock.now, settings=SETTINGS,
    )  # fmt: skip
    cleaning = orderable.find(listing, "cleaning")
    assert (quote.government_fen, quote.elder_fen) == (cleaning.government_fen, cleaning.elder_fen)
    next_month = _listing(db, op, district.elder.id, date(2026, 12, 1), clock)
    assert _splits(next_month)["cleaning"] == (4000, 4000, "subsidised")


def test_elder_no_longer_served_or_out_of_scope_or_bad_day(
    db: Session, district: District, clock: FakeClock
) -> None:
    _, op = make_user(db, Role.OPERATOR)
    today = local_today(clock.now)
    with pytest.raises(Invalid) as err:
        _listing(db, op, district.elder.id, today - timedelta(days=1), clock)
    assert (err.value.field, err.value.code) == ("on", "in_past")
    with pytest.raises(Invalid) as err:
        _listing(db, op, district.elder.id, today + timedelta(days=31), clock)
    assert err.value.code == "too_far"
    other = make_elder(db, district.tree.comm_b1)
    _, family = make_user(db, Role.FAMILY, elder=district.elder)
    with pytest.raises(NotFound):
        _listing(db, family, other.id, today, clock)
    with pytest.raises(NotFound):
        _listing(db, op, 999_999, today, clock)
    district.elder.status = "deceased"
    db.flush()
    with pytest.raises(Invalid) as err:
        _listing(db, op, district.elder.id, today, clock)
    assert (err.value.field, err.value.code) == ("elder_id", "elder_inactive")
    assert "passed away" in err.value.message


def test_a_centre_service_cannot_be_ordered_as_a_home_visit(
    db: Session, district: District, clock: FakeClock
) -> None:
    _, op = make_user(db, Role.OPERATOR)
    start = clock.now + timedelta(hours=3)
    with pytest.raises(Invalid) as err:
        service.create_order(
            db, op,
            OrderCreate(elder_id=district.elder.id, item_code="bath_centre", window_start=start,
                        window_end=start + timedelta(hours=1)),
            now=clock.now, settings=SETTINGS,
        )  # fmt: skip
    assert err.value.problems[0].code == "not_home_visit"
    assert db.scalar(select(func.count(ServiceOrder.id))) == 0


def _auth(client: TestClient, user: UserAccount) -> dict[str, str]:
    resp = client.post("/api/v1/auth/token", json={"username": user.username, "password": PASSWORD})
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def test_api_orderable_services(
    client: TestClient, db: Session, district: District, clock: FakeClock
) -> None:
    family, _ = make_user(db, Role.FAMILY, elder=district.elder)
    h = _auth(client, family)
    url = f"/api/v1/elders/{district.elder.id}/orderable-services"
    resp = client.get(url, headers=h)
    assert resp.status_code == 200, resp.text
    body = resp.json()
    assert body["on"] == "2026-11-23" and body["elder_id"] == district.elder.id
    meal = next(s for s in body["services"] if s["code"] == "meal_delivery")
    assert (meal["price_fen"], meal["government_fen"], meal["elder_fen"]) == (1500, 300, 1200)
    assert "bath_centre" not in {s["code"] for s in body["services"]}
    assert client.get(url, params={"on": "2026-11-24"}, headers=h).json()["on"] == "2026-11-24"
    past = client.get(url, params={"on": "2026-11-01"}, headers=h)
    assert past.status_code == 422 and past.json()["error"]["field"] == "on"
    other = make_elder(db, district.tree.comm_b1)
    assert client.get(f"/api/v1/elders/{other.id}/orderable-services", headers=h).status_code == 404
    caregiver, _ = make_user(db, Role.CAREGIVER)
    assert client.get(url, headers=_auth(client, caregiver)).status_code == 403


def _login(client: TestClient, user: UserAccount) -> None:
    client.cookies.clear()
    resp = client.post(
        "/login", data={"username": user.username, "password": PASSWORD}, follow_redirects=False
    )
    assert resp.status_code == 303, resp.text


def test_one_tap_page_shows_what_this_elder_may_order(
    client: TestClient, db: Session, district: District
) -> None:
    district.elder.groups.append(ElderGroup(code="disabled"))
    db.flush()
    family, _ = make_user(db, Role.FAMILY, elder=district.elder)
    _login(client, family)
    page = client.get("/m/order").text
    tiles = dict(re.findall(r'data-testid="tile-([a-z_]+)" data-government="(\d+)"', page))
    assert tiles == {
        "bath_home": "5000", "cleaning": "4000", "companionship": "0", "meal_delivery": "1500",
    }  # fmt: skip
    assert 'data-testid="allowance-special"' in page and "¥120.00" in page
    picker = client.get("/m/order/bath_centre")
    assert picker.status_code == 422  # not offered, and not reachable by typing its address
    district.elder.status = "moved"
    db.flush()
    page = client.get("/m/order").text
    assert 'data-testid="cannot-order"' in page and 'data-testid="tile-' not in page


def test_call_centre_page_lists_the_elders_services_with_the_subsidy(
    client: TestClient, db: Session, district: District
) -> None:
    district.elder.economic_status = "extreme_poverty"
    db.flush()
    operator, _ = make_user(db, Role.OPERATOR)
    _login(client, operator)
    blank = client.get("/orders/new").text
    assert 'data-testid="op-items"' not in blank
    page = client.get("/orders/new", params={"elder_id": district.elder.id}).text  # tomorrow
    rows = re.findall(r'data-testid="op-item-([a-z_]+)"', page)
    assert sorted(rows) == [
        "bath_home",
        "cleaning",
        "companionship",
        "meal_delivery",
        "new_service",
    ]
    today = client.get("/orders/new", params={"elder_id": district.elder.id, "date": "2026-11-23"})
    assert 'data-testid="op-item-new_service"' not in today.text  # priced from Tuesday only
    assert 'data-testid="op-allowance"' in page
    chosen = client.get(
        "/orders/new",
        params={"elder_id": district.elder.id, "item_code": "bath_home", "date": "2026-11-24",
                "start": "09:00", "end": "11:00"},
        headers={"HX-Request": "true", "HX-Target": "op-services"},
    )  # fmt: skip
    assert 'data-testid="op-government">¥50.00' in chosen.text
    district.elder.status = "deceased"
    db.flush()
    page = client.get("/orders/new", params={"elder_id": district.elder.id}).text
    assert 'data-testid="op-cannot-order"' in page and 'data-testid="op-items"' not in page
