"""The programme figures page: the district administrator sets the month's budget, the
investment and the devices fitted from a day on (audited, kept as history), the big screen's
picture takes the value in force, a wrong value is said beside its field and nothing is kept,
and other roles are refused in words."""

from __future__ import annotations

from datetime import date, timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import make_tree, make_user
from tests.conftest import FakeClock
from tests.web.test_order_pages import login
from tests.web.text_scan import assert_words
from yiyang.config import Settings
from yiyang.console.screen import picture, programme
from yiyang.console.screen.programme_models import ProgrammeFigure
from yiyang.kit.localtime import local_today
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role

SETTINGS = Settings(secret_key="x", screen_budget_month_yuan=1000, screen_investment_yuan=5000)


def _post(client: TestClient, csrf: str, key: str, **form: str) -> int:
    resp = client.post(
        f"/screen/figures/{key}?lang=en", data={"csrf_token": csrf, **form},
        follow_redirects=False,
    )  # fmt: skip
    return resp.status_code


def test_the_admin_sets_the_budget_from_a_month_and_the_screen_takes_it(
    client: TestClient, db: Session, clock: FakeClock
) -> None:
    make_tree(db)
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    csrf = login(client, admin, "/screen/figures")
    today = local_today(clock.now)
    next_month = (today.replace(day=1) + timedelta(days=32)).strftime("%Y-%m")
    assert _post(client, csrf, "budget_month_fen", value="1,500,000",
                 effective_from=today.strftime("%Y-%m")) == 303  # fmt: skip
    assert _post(client, csrf, "budget_month_fen", value="2000000",
                 effective_from=next_month) == 303  # fmt: skip
    assert _post(client, csrf, "devices_fitted", value="2220",
                 effective_from=today.isoformat()) == 303  # fmt: skip
    shown = programme.current(db, SETTINGS, today)
    assert shown[programme.Key.BUDGET] == 150_000_000  # this month's, not next month's
    assert shown[programme.Key.INVESTMENT] == 500_000  # nothing set: the settings'
    later = programme.current(db, SETTINGS, date.fromisoformat(f"{next_month}-15"))
    assert later[programme.Key.BUDGET] == 200_000_000
    totals = picture.programme(db, SETTINGS, today)
    assert totals["budget_fen"] == 150_000_000 and totals["devices_fitted"] == 2220
    page = client.get("/screen/figures?lang=en").text
    assert "¥1,500,000" in page and "2,220" in page
    assert page.count("<tr>") >= 3  # the history lists each change
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.entity == "programme_figure"))
    assert list(actions).count("programme_figure") == 3
    assert _post(client, csrf, "devices_fitted", value="", effective_from=today.isoformat()) == 303
    assert picture.programme(db, SETTINGS, today)["devices_fitted"] == 0  # counted: none fitted


def test_a_wrong_value_is_said_beside_its_field_and_nothing_is_kept(
    client: TestClient, db: Session
) -> None:
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    csrf = login(client, admin, "/screen/figures")
    for key, form in (
        ("budget_month_fen", {"value": "", "effective_from": "2026-12"}),
        ("budget_month_fen", {"value": "lots", "effective_from": "2026-12"}),
        ("investment_fen", {"value": "100", "effective_from": "someday"}),
        ("devices_fitted", {"value": "-3", "effective_from": "2026-12-01"}),
    ):
        resp = client.post(f"/screen/figures/{key}?lang=en", data={"csrf_token": csrf, **form})
        assert resp.status_code == 422, (key, form, resp.text)
        assert f'value="{form["value"]}"' in resp.text  # what was typed stays
        assert "invalid" in resp.text
    unknown = client.post("/screen/figures/nonsense?lang=en", data={"csrf_token": csrf})
    assert unknown.status_code == 404  # no such figure: the page is not found
    assert db.scalar(select(func.count(ProgrammeFigure.id))) == 0


def test_other_roles_are_refused_and_the_page_reads_in_words(
    client: TestClient, db: Session
) -> None:
    tree = make_tree(db)
    street, _ = make_user(db, Role.STREET_ADMIN, area=tree.street_a)
    login(client, street)
    refused = client.get("/screen/figures?lang=en")
    assert refused.status_code == 403
    assert "Only the district administrator sets the programme" in refused.text
    admin, _ = make_user(db, Role.DISTRICT_ADMIN)
    login(client, admin)
    for lang, locale in (("zh", "zh_CN"), ("en", "en")):
        page = client.get(f"/screen/figures?lang={lang}").text
        assert_words(page, locale, allowed=[admin.username, admin.display_name, "中文"])
