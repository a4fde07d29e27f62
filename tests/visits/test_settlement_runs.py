"""Settlement runs on a real database: draft → reviewed → closed, frozen months, adjustments,
totals equal to the lines, the workbook equal to the page."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook
from sqlalchemy.orm import Session

from tests.builders import make_user
from tests.conftest import FakeClock
from tests.visits.pay_scene import bad_visit, street_b_visit
from tests.visits.scene import POLICY, make_scene
from tests.web.test_order_pages import login
from yiyang.errors import Conflict, Forbidden, NotFound
from yiyang.kit.pagination import PageParams
from yiyang.security.roles import Role
from yiyang.security.subject import Subject
from yiyang.visits import feedback
from yiyang.visits.payment import exceptions, repository, settlements
from yiyang.visits.payment.rules import LineMoney, RunTotals, totals
from yiyang.visits.payment.schemas import ReviewIn, RunCreate
from yiyang.visits.schemas import ComplaintIn

NOV, DEC = "2026-11", "2026-12"
FIRST = PageParams()


def _draft(db: Session, who: Subject, clock: FakeClock, month: str, provider_id: int):  # type: ignore[no-untyped-def]
    [run] = settlements.create_runs(
        db, who, RunCreate(month=month, provider_id=provider_id), now=clock.now, policy=POLICY
    )
    return run


def _kinds(db: Session, run_id: int) -> list[tuple[str, int, int]]:
    return [(ln.kind, ln.order_id, ln.price_fen) for ln in repository.lines_of(db, run_id)]


def _lines_total(db: Session, who: Subject, run_ids: list[int]) -> RunTotals:
    """What the rules add up from the runs' lines the reader sees (a street: its own)."""
    street = who.scope.bound_id if who.role == Role.STREET_ADMIN else None
    lines = [ln for run_id in run_ids for ln in repository.lines_of(db, run_id, street)]
    return totals(LineMoney(ln.kind, ln.price_fen, ln.government_fen, ln.elder_fen) for ln in lines)


def _street_money(db: Session, who: Subject, run_id: int) -> int:
    return _lines_total(db, who, [run_id]).total_fen


def _decide(db: Session, who: Subject, order_id: int, decision: str, clock: FakeClock) -> None:
    exceptions.review(
        db, who, order_id, ReviewIn(decision=decision, reason="checked with the family"),
        now=clock.now, policy=POLICY, locale="en",
    )  # fmt: skip


def test_an_unverified_visit_is_not_payable_until_approved(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    order = bad_visit(db, scene, clock)
    _, district = make_user(db, Role.DISTRICT_ADMIN)
    run = _draft(db, district, clock, NOV, scene.d.p1.id)
    assert _kinds(db, run.id) == [("excluded", order.id, order.price_fen)]
    assert (run.count, run.total_fen, run.excluded) == (0, 0, 1)
    _decide(db, district, order.id, "approve", clock)
    settlements.act(db, district, run.id, "recompute", now=clock.now, policy=POLICY)
    assert _kinds(db, run.id) == [("visit", order.id, order.price_fen)]
    assert (run.count, run.total_fen, run.excluded) == (1, order.price_fen, 0)
    assert run.government_fen + run.elder_fen == run.total_fen


def test_a_closed_month_is_frozen_and_corrections_land_in_the_next(
    db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    bad = bad_visit(db, scene, clock)
    good = street_b_visit(db, scene, clock).order
    _, district = make_user(db, Role.DISTRICT_ADMIN)
    runs = settlements.create_runs(db, district, RunCreate(month=NOV), now=clock.now, policy=POLICY)
    assert sorted(r.provider_id for r in runs) == sorted([scene.d.p1.id, scene.d.p3.id])
    for run in runs:
        with pytest.raises(Conflict):  # a draft is reviewed before it is closed
            settlements.act(db, district, run.id, "close", now=clock.now, policy=POLICY)
        settlements.act(db, district, run.id, "review", now=clock.now, policy=POLICY)
        settlements.act(db, district, run.id, "close", now=clock.now, policy=POLICY)
    assert good.status == "settled" and bad.status == "completed"
    nov_p1 = repository.run_for(db, NOV, scene.d.p1.id)
    assert nov_p1 is not None and nov_p1.status == "closed"
    with pytest.raises(Conflict) as exc:
        settlements.act(db, district, nov_p1.id, "recompute", now=clock.now, policy=POLICY)
    assert exc.value.code == "run_frozen"
    with pytest.raises(Conflict):
        _draft(db, district, clock, NOV, scene.d.p1.id)
    # After closing: the bad visit is approved, the good one disputed and rejected.
    _decide(db, district, bad.id, "approve", clock)
    feedback.file_complaint(
        db, scene.operator, good.id, ComplaintIn(category="quality", text="Not done."),
        now=clock.now, policy=POLICY,
    )  # fmt: skip
    _decide(db, district, good.id, "reject", clock)
    assert _kinds(db, nov_p1.id) == [("excluded", bad.id, bad.price_fen)]  # frozen
    clock.now += timedelta(days=10)  # December
    dec_p1 = _draft(db, district, clock, DEC, scene.d.p1.id)
    dec_p3 = _draft(db, district, clock, DEC, scene.d.p3.id)
    assert _kinds(db, dec_p1.id) == [("adjustment", bad.id, bad.price_fen)]
    assert _kinds(db, dec_p3.id) == [("adjustment", good.id, -good.price_fen)]
    assert repository.lines_of(db, dec_p1.id)[0].for_month == NOV
    assert (dec_p1.count, dec_p1.total_fen) == (0, bad.price_fen)
    assert dec_p3.total_fen == -good.price_fen
    settlements.act(db, district, dec_p1.id, "review", now=clock.now, policy=POLICY)
    settlements.act(db, district, dec_p1.id, "close", now=clock.now, policy=POLICY)
    assert bad.status == "settled"
    clock.now += timedelta(days=31)  # January: nothing left to adjust for p1
    jan = _draft(db, district, clock, "2027-01", scene.d.p1.id)
    assert _kinds(db, jan.id) == []


def test_totals_equal_the_lines_and_roles_see_their_part(db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    bad = bad_visit(db, scene, clock)
    b = street_b_visit(db, scene, clock)
    _, district = make_user(db, Role.DISTRICT_ADMIN)
    _decide(db, district, bad.id, "approve", clock)
    [run] = settlements.create_runs(
        db, district, RunCreate(month=NOV, provider_id=scene.d.p1.id), now=clock.now,
        policy=POLICY,
    )  # fmt: skip
    read = settlements.read_run(db, district, run.id)
    paid = [ln for ln in read.lines if ln.kind != "excluded"]
    assert read.total_fen == sum(ln.price_fen for ln in paid)
    assert read.government_fen == sum(ln.government_fen for ln in paid)
    assert read.elder_fen == sum(ln.elder_fen for ln in paid)
    assert read.count == len([ln for ln in paid if ln.kind == "visit"])
    with pytest.raises(NotFound):  # another provider's run
        settlements.read_run(db, b.provider_admin, run.id)
    assert settlements.read_run(db, scene.provider_admin, run.id).total_fen == read.total_fen
    _, street_a = make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_a)
    _, street_b = make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_b)
    [listed] = settlements.list_runs(db, street_a, None, None, FIRST).items
    assert listed.id == run.id and listed.total_fen == _street_money(db, street_a, run.id)
    assert settlements.list_runs(db, street_b, None, None, FIRST).items == []
    with pytest.raises(NotFound):
        settlements.read_run(db, street_b, run.id)
    with pytest.raises(Forbidden):
        settlements.act(db, street_a, run.id, "review", now=clock.now, policy=POLICY)
    with pytest.raises(Forbidden):
        settlements.list_runs(db, scene.operator, None, None, FIRST)


def test_the_run_list_pages_and_sums_in_the_database_as_the_rules_add_up_the_lines(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    scene = make_scene(db, clock)
    bad = bad_visit(db, scene, clock)
    b = street_b_visit(db, scene, clock)
    user, district = make_user(db, Role.DISTRICT_ADMIN)
    _decide(db, district, bad.id, "approve", clock)
    runs = settlements.create_runs(db, district, RunCreate(month=NOV), now=clock.now, policy=POLICY)
    ids = sorted(r.id for r in runs)
    assert len(ids) == 2  # provider 1 and provider 3
    _, street_a = make_user(db, Role.STREET_ADMIN, area=scene.d.tree.street_a)
    for who in (district, street_a, scene.provider_admin, b.provider_admin):
        whole = settlements.list_runs(db, who, NOV, None, FIRST)
        seen = [r.id for r in whole.items]
        assert whole.sums.model_dump() == vars(_lines_total(db, who, seen))
        for run in whole.items:
            money = _lines_total(db, who, [run.id])
            assert (run.count, run.total_fen, run.excluded) == (
                money.count, money.total_fen, money.excluded
            )  # fmt: skip
    one = [
        settlements.list_runs(db, district, NOV, None, PageParams(page=n, size=1)) for n in (1, 2)
    ]
    assert [p.total for p in one] == [2, 2] and sorted(r.id for p in one for r in p.items) == ids
    assert one[0].sums == one[1].sums == settlements.list_runs(db, district, NOV, None, FIRST).sums
    login(client, user, "/settlements")
    page = client.get(
        "/settlements",
        params={"page": 2, "lang": "en"},
        headers={"HX-Request": "true", "HX-Target": "results"},
    )
    assert page.status_code == 200 and 'data-testid="run-results"' in page.text
    assert "<html" not in page.text and 'data-total="2"' in page.text
    assert page.headers["HX-Push-Url"] == "/settlements?page=2"


def _money(text: str) -> float:
    return float(re.sub(r"[¥,]", "", text))


def test_workbook_totals_equal_the_page(client: TestClient, db: Session, clock: FakeClock) -> None:
    scene = make_scene(db, clock)
    bad = bad_visit(db, scene, clock)
    user, district = make_user(db, Role.DISTRICT_ADMIN)
    _decide(db, district, bad.id, "approve", clock)
    run = _draft(db, district, clock, NOV, scene.d.p1.id)
    login(client, user, "/settlements")
    page = client.get(f"/settlements/{run.id}", params={"lang": "en"})
    assert page.status_code == 200
    shown = re.search(r'data-testid="total-money">([^<]+)<', page.text)
    assert shown and shown.group(1) == f"¥{bad.price_fen / 100:,.2f}"
    resp = client.get(f"/settlements/{run.id}/workbook.xlsx", params={"lang": "en"})
    assert resp.status_code == 200
    book = load_workbook(io.BytesIO(resp.content))
    assert book.sheetnames == ["Totals", "Lines"]
    totals = {row[0].value: row[1] for row in book["Totals"].iter_rows()}
    assert totals["Total"].value == _money(shown.group(1))
    assert "¥" in totals["Total"].number_format
    header = [c.value for c in book["Lines"][1]]
    assert header[:5] == ["Kind", "Service date", "Elder", "Service", "Price"]
    assert not any("_" in str(h) for h in header)
    assert sum(r[4].value for r in book["Lines"].iter_rows(min_row=2)) == totals["Total"].value
    zh = load_workbook(io.BytesIO(client.get(
        f"/settlements/{run.id}/workbook.xlsx", params={"lang": "zh-CN"}
    ).content))  # fmt: skip
    assert zh.sheetnames == ["合计", "明细"]
    listing = client.get("/settlements", params={"lang": "en"})
    assert f'data-run="{run.id}"' in listing.text and "Draft" in listing.text


def test_settlement_api_and_bad_input(client: TestClient, db: Session, clock: FakeClock) -> None:
    from tests.visits.test_api import auth

    scene = make_scene(db, clock)
    bad_visit(db, scene, clock)
    user, _ = make_user(db, Role.DISTRICT_ADMIN)
    headers = auth(client, user.username)
    resp = client.post("/api/v1/settlements", json={"month": "2026-13"}, headers=headers)
    assert resp.status_code == 422
    resp = client.post("/api/v1/settlements", json={"month": "2027-05"}, headers=headers)
    assert resp.status_code == 422 and resp.json()["error"]["field"] == "month"
    resp = client.post("/api/v1/settlements", json={"month": NOV}, headers=headers)
    assert resp.status_code == 201
    [run] = resp.json()
    assert run["status"] == "draft" and run["excluded"] == 1
    url = f"/api/v1/settlements/runs/{run['id']}"
    assert client.post(f"{url}/close", headers=headers).status_code == 409
    assert client.post(f"{url}/explode", headers=headers).status_code == 422
    assert client.post(f"{url}/review", headers=headers).json()["status"] == "reviewed"
    assert client.post(f"{url}/close", headers=headers).json()["status"] == "closed"
    assert client.post(f"{url}/close", headers=headers).status_code == 409
    assert client.get(url, headers=headers).json()["lines"][0]["kind"] == "excluded"
    assert client.get("/api/v1/settlements/runs/999999", headers=headers).status_code == 404
