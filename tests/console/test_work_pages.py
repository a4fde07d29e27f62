"""Every role's home page lists its work first, within its scope; the call centre's work page
and its caller lookup."""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import make_elder, make_user
from tests.conftest import FakeClock
from tests.visits.scene import TwoStreets, make_two_streets
from tests.web.test_order_pages import login
from yiyang.console.work_pages import caller_digits
from yiyang.errors import Invalid
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Role


@dataclass
class World:
    """Two streets with an order and an alert each, and an elder in street a nobody visits."""

    two: TwoStreets
    forgotten: Elder  # alone in community a1, no order at all
    caller: Elder  # in street b; her daughter calls from 13712345678


def _world(db: Session, clock: FakeClock) -> World:
    two = make_two_streets(db, clock)
    tree = two.scene.d.tree
    forgotten = make_elder(db, tree.comm_a1, name="周翠花", phone="13800009999")
    caller = make_elder(
        db, tree.comm_b1, name="钱桂芝", phone="13800002222", living_situation="with_children"
    )
    caller.contacts[0].phone, caller.contacts[0].relationship = "13712345678", "daughter"
    db.flush()
    return World(two, forgotten, caller)


def _rows(html: str, testid: str) -> list[str]:
    """The data-order / data-elder values of the rows with this test id."""
    return re.findall(rf'data-testid="{testid}" data-(?:order|elder)="(\d+)"', html)


def test_provider_admin_sees_offers_with_countdown_and_caregivers_day(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    w = _world(db, clock)
    d = w.two.scene.d
    p3_user, _ = make_user(db, Role.PROVIDER_ADMIN, provider=d.p3)
    login(client, p3_user)
    page = client.get("/").text
    assert _rows(page, "work-offer") == [str(w.two.order_b.id)]  # offered to p3, unanswered
    assert 'x-data="countdown"' in page and 'data-deadline="2026-11-23T01' in page
    assert page.index('data-testid="work"') < page.index('data-testid="figures"')
    assert 'data-testid="work-settlement"' in page and 'href="/settlements"' in page
    p1_user, _ = make_user(db, Role.PROVIDER_ADMIN, provider=d.p1)
    login(client, p1_user)
    page = client.get("/").text
    assert _rows(page, "work-offer") == []  # p1's order was accepted
    assert _rows(page, "caregiver-visit") == [str(w.two.scene.order.id)]
    assert "李娟" in page and str(w.two.order_b.id) not in _rows(page, "caregiver-visit")


def test_street_admin_sees_its_own_streets_day_only(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    w = _world(db, clock)
    tree = w.two.scene.d.tree
    clock.advance(minutes=150)  # past the planned start of street a's accepted order
    street_a, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    login(client, street_a)
    page = client.get("/").text
    assert _rows(page, "work-order") == [str(w.two.scene.order.id)]
    assert 'data-testid="work-order-late"' in page
    assert str(w.forgotten.id) in _rows(page, "work-due-elder")
    assert str(w.two.scene.d.elder.id) not in _rows(page, "work-due-elder")  # she has an order
    assert page.count('data-testid="work-alert"') == 1  # the late alert of street a
    assert page.count('data-testid="work-facility"') == 2  # the two centres of street a
    street_b, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_b)
    login(client, street_b)
    page = client.get("/").text
    assert _rows(page, "work-order") == [str(w.two.order_b.id)]  # offered, no caregiver yet
    assert str(w.forgotten.id) not in _rows(page, "work-due-elder")
    assert str(w.caller.id) not in _rows(page, "work-due-elder")  # lives with her children


def test_community_staff_sees_its_community(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    w = _world(db, clock)
    tree = w.two.scene.d.tree
    other = make_elder(db, tree.comm_a2, name="吴振华", phone="13800003333")
    staff, _ = make_user(db, Role.COMMUNITY_STAFF, area=tree.comm_a1)
    login(client, staff)
    page = client.get("/").text
    assert _rows(page, "work-order") == []  # accepted and not late yet
    due = _rows(page, "work-due-elder")
    assert str(w.forgotten.id) in due and str(other.id) not in due


def test_district_admin_work_first_statistics_second(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    w = _world(db, clock)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, admin)
    page = client.get("/").text
    assert 'href="/exceptions"' in page and 'data-testid="work-queue"' in page
    assert _rows(page, "work-order") == [str(w.two.order_b.id)]
    assert page.count('data-testid="work-alert"') == 2
    assert page.index('data-testid="work"') < page.index('data-testid="figures"')


def test_auditor_lands_on_the_audit_log(client: TestClient, db: Session) -> None:
    auditor, _ = make_user(db, Role.AUDITOR)
    login(client, auditor)
    resp = client.get("/", follow_redirects=False)
    assert resp.status_code == 303 and resp.headers["location"] == "/audit"


@pytest.mark.parametrize("role", [Role.OPERATOR, Role.SUPERVISOR])
def test_call_centre_home_is_the_work_page(
    client: TestClient, db: Session, clock: FakeClock, role: Role
) -> None:
    w = _world(db, clock)
    user, _ = make_user(db, role)
    login(client, user)
    page = client.get("/").text
    assert 'data-testid="work-live"' in page and 'hx-trigger="every 15s"' in page
    assert page.count('data-testid="work-alert"') == 2
    assert 'data-testid="new-order"' in page and 'href="/orders/new"' in page
    assert 'data-testid="caller-lookup"' in page and 'data-testid="work-return-visits"' in page
    assert 'data-testid="work-queue-total"' in page
    live = client.get("/work/live", headers={"HX-Request": "true"}).text
    assert "<html" not in live and live.count('data-testid="work-alert"') == 2
    assert client.get("/work").status_code == 200
    assert w.two.order_b.elder.name in live


def test_work_page_is_for_the_call_centre(client: TestClient, db: Session) -> None:
    staff, _ = make_user(db, Role.PROVIDER_ADMIN)
    login(client, staff)
    assert client.get("/work").status_code == 403


def test_caller_lookup_by_elder_and_by_contact(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    w = _world(db, clock)
    op, _ = make_user(db, Role.OPERATOR)
    login(client, op)
    page = client.get("/work/caller", params={"phone": "138 0000 2222"})
    assert page.status_code == 200 and "<html" in page.text  # the screen-pop opens a page
    assert _rows(page.text, "caller") == [str(w.caller.id)]
    assert 'data-matched="elder"' in page.text and "13800002222" in page.text  # in full
    by_tail = client.get("/work/caller", params={"phone": "2222"}, headers={"HX-Request": "true"})
    assert _rows(by_tail.text, "caller") == [str(w.caller.id)] and "<html" not in by_tail.text
    by_contact = client.get("/work/caller", params={"phone": "+86 137-1234-5678"}).text
    assert _rows(by_contact, "caller") == [str(w.caller.id)]
    assert 'data-matched="contact"' in by_contact and "13712345678" in by_contact
    assert "钱桂芝" in by_contact and "岁" in by_contact
    form = client.get("/work/caller")  # no number yet: the lookup form alone
    assert form.status_code == 200 and 'id="caller-phone"' in form.text
    nobody = client.get("/work/caller", params={"phone": "13100000000"})
    assert nobody.status_code == 200 and _rows(nobody.text, "caller") == []


def test_caller_lookup_keeps_to_scope_and_disclosure(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    w = _world(db, clock)
    street_a, _ = make_user(db, Role.STREET_ADMIN, area=w.two.scene.d.tree.street_a)
    login(client, street_a)
    page = client.get("/work/caller", params={"phone": "13712345678"}).text
    assert _rows(page, "caller") == []  # she lives in street b
    auditor, _ = make_user(db, Role.AUDITOR)  # sees elders, not their phone numbers
    login(client, auditor)
    resp = client.get("/work/caller", params={"phone": "13800002222"})
    assert resp.status_code == 403 and 'data-testid="caller-error"' in resp.text
    assert 'data-testid="caller"' not in resp.text
    assert "钱桂芝" not in resp.text
    provider, _ = make_user(db, Role.PROVIDER_ADMIN, provider=w.two.scene.d.p3)
    login(client, provider)
    resp = client.get("/work/caller", params={"phone": "13800002222", "lang": "en"})
    assert resp.status_code == 403 and "may not look callers up" in resp.text
    assert "elder.read" not in resp.text


@pytest.mark.parametrize(
    ("phone", "words"),
    [
        ("abcd", "only digits"),
        ("1380000123456789", "at most 12 digits"),
        ("12", "last four digits"),
        ("", "Enter a phone number"),
        ("١٢٣٤٥", "only digits"),  # Arabic-Indic digits are digits to Python, not to phones
    ],
)
def test_caller_lookup_refuses_bad_numbers_in_words(
    client: TestClient, db: Session, phone: str, words: str
) -> None:
    op, _ = make_user(db, Role.OPERATOR)
    login(client, op)
    resp = client.get("/work/caller", params={"phone": phone, "lang": "en"})
    assert resp.status_code == 422
    assert 'data-testid="caller-error"' in resp.text and words in resp.text
    assert "Phone number" in resp.text


def test_caller_digits() -> None:
    assert caller_digits(" (0371) 6000-0000 ") == "037160000000"
    assert caller_digits("0086 13800001234") == "13800001234"
    with pytest.raises(Invalid) as err:
        caller_digits("x" * 5000)
    assert err.value.problems[0].field == "phone"
