"""The exceptions queue on a real database: what is listed, reviews, scope, bad input, audit."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import FakeClock
from tests.visits.pay_scene import bad_visit, street_b_visit
from tests.visits.scene import POLICY, make_scene
from tests.visits.test_api import auth
from tests.web.test_order_pages import login
from yiyang.errors import Conflict, Forbidden, Invalid, NotFound
from yiyang.kit.pagination import PageParams
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role
from yiyang.visits import repository as visit_repository
from yiyang.visits import rules as visit_rules
from yiyang.visits.payment import assessing, exceptions, tally
from yiyang.visits.payment import repository as payment_repository
from yiyang.visits.payment.models import VisitReview, VisitVerdict
from yiyang.visits.payment.schemas import ExceptionFilter, ReviewIn

MONTH = "2026-11"
FIRST = PageParams()


def _queue(db: Session, who, clock: FakeClock, **flt: object) -> list[int]:  # type: ignore[no-untyped-def]
    found = exceptions.list_exceptions(
        db, who, ExceptionFilter(month=MONTH, **flt), FIRST, now=clock.now, locale="en"
    )
    return [i.order_id for i in found.items]


def test_an_unverified_visit_waits_in_the_queue_with_its_reasons(
    db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    order = bad_visit(db, scene, clock)
    _, district = make_user(db, Role.DISTRICT_ADMIN)
    [item] = exceptions.list_exceptions(
        db, district, ExceptionFilter(month=MONTH), FIRST, now=clock.now, locale="zh_CN"
    ).items
    assert item.order_id == order.id and not item.payable and item.state == "open"
    assert [r.code for r in item.reasons] == ["outside_geofence", "early_arrival"]
    assert item.reasons[0].words == "签到或签退位置在老人电子围栏之外"
    assert _queue(db, district, clock, reason="early_arrival") == [order.id]
    assert _queue(db, district, clock, reason="manual_times") == []
    assert _queue(db, district, clock, provider_id=scene.d.p3.id) == []


def test_approve_reject_ask_and_answer_are_appended_and_audited(
    db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    order = bad_visit(db, scene, clock)
    _, street = make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_a)
    asked = exceptions.review(
        db, street, order.id, ReviewIn(decision="ask", reason="Why 3 h early?"), now=clock.now,
        policy=POLICY, locale="en",
    )  # fmt: skip
    assert asked.state == "asked" and asked.reasons[-1].code == "asked_provider"
    assert _queue(db, scene.provider_admin, clock, state="asked") == [order.id]
    with pytest.raises(Invalid) as exc:
        exceptions.review(
            db, scene.provider_admin, order.id, ReviewIn(decision="answer", reason=" "),
            now=clock.now, policy=POLICY, locale="en",
        )  # fmt: skip
    assert exc.value.field == "reason"
    with pytest.raises(Invalid) as exc:  # a provider cannot approve its own visit
        exceptions.review(
            db, scene.provider_admin, order.id, ReviewIn(decision="approve", reason="ok"),
            now=clock.now, policy=POLICY, locale="en",
        )  # fmt: skip
    assert exc.value.field == "decision"
    answered = exceptions.review(
        db, scene.provider_admin, order.id,
        ReviewIn(decision="answer", reason="The elder asked us to come the evening before."),
        now=clock.now, policy=POLICY, locale="en",
    )  # fmt: skip
    assert answered.state == "open"
    with pytest.raises(Conflict):  # nobody asks again: no second answer
        exceptions.review(
            db, scene.provider_admin, order.id, ReviewIn(decision="answer", reason="again"),
            now=clock.now, policy=POLICY, locale="en",
        )  # fmt: skip
    approved = exceptions.review(
        db, street, order.id, ReviewIn(decision="approve", reason="Confirmed with the family."),
        now=clock.now, policy=POLICY, locale="en",
    )  # fmt: skip
    assert approved.payable and approved.state == "approved"
    assert [r.decision for r in approved.reviews] == ["ask", "answer", "approve"]
    assert _queue(db, street, clock) == []
    assert _queue(db, street, clock, state="approved") == [order.id]
    rows = db.scalars(select(VisitReview).where(VisitReview.order_id == order.id)).all()
    assert len(rows) == 3 and rows[0].reason == "Why 3 h early?"
    actions = db.scalars(
        select(AuditEvent.action).where(AuditEvent.entity_id == order.id).order_by(AuditEvent.id)
    ).all()
    assert [a for a in actions if a.startswith("visit_review")] == [
        "visit_review.ask", "visit_review.answer", "visit_review.approve",
    ]  # fmt: skip


def test_scope_another_streets_exception_is_not_found(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    b = street_b_visit(db, scene, clock)
    _, street_a = make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_a)
    with pytest.raises(NotFound):
        exceptions.review(
            db, street_a, b.order.id, ReviewIn(decision="approve", reason="x"), now=clock.now,
            policy=POLICY, locale="en",
        )  # fmt: skip
    with pytest.raises(NotFound):
        exceptions.read_exception(db, street_a, b.order.id, policy=POLICY, locale="en")


def test_a_clean_visit_has_nothing_to_review_and_others_may_not(
    db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    b = street_b_visit(db, scene, clock)
    _, district = make_user(db, Role.DISTRICT_ADMIN)
    with pytest.raises(Conflict):
        exceptions.review(
            db, district, b.order.id, ReviewIn(decision="approve", reason="x"), now=clock.now,
            policy=POLICY, locale="en",
        )  # fmt: skip
    with pytest.raises(Forbidden):
        exceptions.list_exceptions(
            db, scene.operator, ExceptionFilter(), FIRST, now=clock.now, locale="en"
        )


def test_api_scope_and_missing_reason(client: TestClient, db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    order = bad_visit(db, scene, clock)
    b = street_b_visit(db, scene, clock)
    user_b, _ = make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_b)
    user_a, _ = make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_a)
    street_b, street_a = auth(client, user_b.username), auth(client, user_a.username)
    resp = client.get("/api/v1/exceptions", params={"month": MONTH}, headers=street_b)
    assert resp.status_code == 200 and resp.json()["items"] == [] and resp.json()["total"] == 0
    url = f"/api/v1/exceptions/{order.id}"
    assert client.get(url, headers=street_b).status_code == 404
    resp = client.post(f"{url}/reviews", json={"decision": "approve"}, headers=street_b)
    assert resp.status_code == 404
    resp = client.post(f"{url}/reviews", json={"decision": "approve"}, headers=street_a)
    assert resp.status_code == 422 and resp.json()["error"]["field"] == "reason"
    assert db.scalar(select(VisitReview).where(VisitReview.order_id == order.id)) is None
    resp = client.post(
        f"{url}/reviews", json={"decision": "maybe", "reason": "x"}, headers=street_a
    )
    assert resp.status_code == 422 and resp.json()["error"]["field"] == "decision"
    resp = client.post(
        f"{url}/reviews", json={"decision": "approve", "reason": "Family confirmed."},
        headers=street_a,
    )  # fmt: skip
    assert resp.status_code == 201 and resp.json()["payable"] is True
    assert client.get(f"/api/v1/exceptions/{b.order.id}", headers=street_a).status_code == 404
    resp = client.get("/api/v1/exceptions", params={"month": "2026-13"}, headers=street_a)
    assert resp.status_code == 422


def test_exceptions_page_lists_and_decides(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    order = bad_visit(db, scene, clock)
    user, _ = make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_a)
    csrf = login(client, user, "/exceptions")
    page = client.get("/exceptions", params={"month": MONTH, "lang": "en"})
    assert page.status_code == 200
    assert "Checked in long before the time window" in page.text
    assert f'data-order="{order.id}"' in page.text
    resp = client.post(
        f"/exceptions/{order.id}/review", follow_redirects=False,
        data={"csrf_token": csrf, "decision": "reject", "reason": "Not at the elder's home.",
              "next": f"/exceptions?month={MONTH}"},
    )  # fmt: skip
    assert resp.status_code == 303 and resp.headers["location"] == f"/exceptions?month={MONTH}"
    page = client.get("/exceptions", params={"month": MONTH, "state": "rejected", "lang": "en"})
    assert (
        "A reviewer rejected payment" in page.text and "Not at the elder&#39;s home." in page.text
    )
    resp = client.post(  # last: the failed form rolls the test session back
        f"/exceptions/{order.id}/review",
        data={"csrf_token": csrf, "decision": "approve", "reason": "", "next": "/exceptions"},
    )
    assert resp.status_code == 422
    assert "Write the reason for this decision." in resp.text or "请填写审核理由。" in resp.text


def test_the_reviewers_home_lists_what_waits_and_forgets_it_once_approved(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    order = bad_visit(db, scene, clock)
    user, district = make_user(db, Role.DISTRICT_ADMIN)
    login(client, user)
    home = client.get("/?lang=en").text
    assert home.count('data-testid="work-exception"') == 1 and f'/orders/{order.id}"' in home
    assert "Checked in long before the time window" in home
    exceptions.review(
        db, district, order.id, ReviewIn(decision="approve", reason="Agreed with the family"),
        now=clock.now, policy=POLICY, locale="en",
    )  # fmt: skip
    assert 'data-testid="work-exception"' not in client.get("/?lang=en").text
    other, _ = make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_b)
    login(client, other)  # another street's reviewer sees nothing of it
    assert 'data-testid="work-exception"' not in client.get("/?lang=en").text


def test_the_reports_tally_counts_as_the_queue_judges_from_verdicts_or_rows(
    db: Session, clock: FakeClock
) -> None:
    """The report reads the stored verdicts; one judged under other thresholds it judges from
    rows: both give the queue's own figures."""
    scene = make_scene(db, clock)
    bad = bad_visit(db, scene, clock)
    b = street_b_visit(db, scene, clock)
    _, district = make_user(db, Role.DISTRICT_ADMIN)
    exceptions.review(
        db, district, bad.id, ReviewIn(decision="ask", reason="Why so early?"), now=clock.now,
        policy=POLICY, locale="en",
    )  # fmt: skip
    start, end = visit_rules.month_bounds(MONTH)
    assessed = assessing.delivered_in(db, district, MONTH, None, POLICY)
    ids = visit_repository.delivered_ids_between(district, start, end)
    rows = {j.order_id: (j.pay, j.state) for j in tally.judged(db, ids, POLICY)}
    assert rows == {a.order.id: (a.pay, a.state) for a in assessed}
    expected = tally.Tally(delivered=len(assessed))
    for a in assessed:
        if a.pay.reasons:
            expected.per_provider[a.order.provider_id] += 1
            expected.states[a.state] += 1
            expected.reasons.update(str(r) for r in a.pay.reasons)
    assert expected.states["asked"] == 1 and expected.delivered >= 2

    def counted() -> tally.Tally:
        return tally.tally_between(
            db, district, start, end, provider_id=None, street_ids=None, policy=POLICY
        )

    stale = payment_repository.stale_among(ids, visit_rules.policy_key(POLICY))
    assert payment_repository.count_of(db, stale) == 0  # every figure above read from verdicts
    assert counted() == expected
    db.execute(update(VisitVerdict).values(policy="older"))  # as if judged under other numbers
    assert counted() == expected
    db.execute(delete(VisitVerdict))  # and as if delivered in bulk, never judged
    assert counted() == expected
    only_b = tally.tally_between(
        db, district, start, end, provider_id=None,
        street_ids=[scene.d.tree.street_b.id], policy=POLICY,
    )  # fmt: skip
    assert only_b == tally.Tally(delivered=1) and b.order.id in rows
