"""The elder's visit card (printed QR) and checking in with it on the caregiver's phone page."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.builders import make_elder, make_user
from tests.conftest import FakeClock
from tests.visits.scene import SECRET, make_scene
from tests.web.test_order_pages import login
from yiyang.orders.models import OrderEvent
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role
from yiyang.visits import rules
from yiyang.visits.cards import VisitCard
from yiyang.visits.models import Visit


def test_code_on_the_card_is_spaced_and_still_valid() -> None:
    code = rules.elder_card_code(42, SECRET)
    card = VisitCard(42, "王秀英", "文化路 1 号", "北林路街道", "文雅社区", code)
    assert card.spaced_code.startswith("E42.") and card.spaced_code.count(" ") == 4
    assert rules.card_code_valid(card.spaced_code.upper(), 42, SECRET)
    assert not rules.card_code_valid(card.spaced_code, 43, SECRET)
    assert not rules.card_code_valid("二维码", 42, SECRET)


def test_community_worker_prints_the_card(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    elder = scene.d.elder
    staff_user, _ = make_user(db, Role.COMMUNITY_STAFF, area=scene.d.tree.comm_a1)
    login(client, staff_user)
    view = client.get(f"/elders/{elder.id}")
    assert f'hx-get="/elders/{elder.id}/visit-card/preview"' in view.text
    preview = client.get(f"/elders/{elder.id}/visit-card/preview")
    assert preview.status_code == 200 and "<svg" in preview.text
    page = client.get(f"/elders/{elder.id}/visit-card")
    assert page.status_code == 200 and "<svg" in page.text and elder.name in page.text
    code = rules.elder_card_code(elder.id, "test-secret")
    assert VisitCard(elder.id, "", "", "", "", code).spaced_code in page.text
    printed = db.scalars(select(AuditEvent).where(AuditEvent.action == "print_card")).all()
    assert [(e.entity, e.entity_id) for e in printed] == [("elder", elder.id)]
    # another community's elder is not found; a role that does not register elders may not print
    other = make_elder(db, scene.d.tree.comm_b1, name="赵凤英")
    assert client.get(f"/elders/{other.id}/visit-card").status_code == 404
    login(client, make_user(db, Role.OPERATOR)[0])
    assert client.get(f"/elders/{elder.id}/visit-card").status_code == 403
    assert "visit-card/preview" not in client.get(f"/elders/{elder.id}").text


def test_qr_check_in_through_the_page(client: TestClient, db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    order = scene.order
    csrf = login(client, scene.carer_user, "/m/visits")
    db.commit()  # a refused check-in rolls the request back: keep the scene and the login
    page = client.get(f"/m/visits/{order.id}")
    assert 'data-testid="qr-fallback"' in page.text and 'src="/static/qr-scan.js"' in page.text
    url = f"/m/visits/{order.id}/check-in?lang=en"
    for code, message in (
        ("E1.0000 0000 0000 0000 0000", "This QR code is not the card of this elder."),
        ("", "Scan the QR code on the elder&#39;s card, or type the code printed under it."),
    ):
        form = {"csrf_token": csrf, "method": "qr", "qr_code": code}
        resp = client.post(url, data=form, follow_redirects=False)
        assert resp.status_code == 422
        assert message in resp.text and 'class="qr-error"' in resp.text
        assert 'data-testid="qr-form" >' in resp.text  # the card form stays open, not hidden
        db.expire_all()
        visit = db.scalar(select(Visit).where(Visit.order_id == order.id))
        assert visit is not None and visit.check_in_at is None
        assert db.get_one(type(order), order.id).status == "caregiver_accepted"
        events = db.scalars(select(OrderEvent.event).where(OrderEvent.order_id == order.id)).all()
        assert "check_in" not in events
    card = VisitCard(
        order.elder_id, "", "", "", "", rules.elder_card_code(order.elder_id, "test-secret")
    )
    form = {"csrf_token": csrf, "method": "qr", "qr_code": card.spaced_code.upper()}
    resp = client.post(url, data=form, follow_redirects=False)
    assert resp.status_code == 303
    db.expire_all()
    visit = db.scalar(select(Visit).where(Visit.order_id == order.id))
    assert visit is not None and visit.check_in_method == "qr" and visit.check_in_flag is None
    page = client.get(f"/m/visits/{order.id}")
    assert 'data-testid="check_in-fact" data-method="qr"' in page.text
