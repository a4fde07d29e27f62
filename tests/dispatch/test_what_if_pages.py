"""The what-if page and API: a scenario is a job the page follows; bad input is a 422 form."""

from __future__ import annotations

import html
import json
import re

from tests.builders import PASSWORD, make_user
from tests.conftest import FakeClock, Live
from tests.dispatch.test_what_if import seed
from tests.web.test_order_pages import login
from yiyang.dispatch import whatif
from yiyang.jobs.models import Job
from yiyang.planner import replay as rp
from yiyang.planner.travel import StraightLineTravel
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role

JOB = re.compile(r"/planning/what-if\?job=(\d+)$")
CHART = re.compile(r"data-chart='(.*?)'")


def _token(live: Live, user: UserAccount) -> dict[str, str]:
    resp = live.client.post(
        "/api/v1/auth/token",
        json={"username": user.username, "password": PASSWORD},
    )
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def _seed(live: Live, clock: FakeClock) -> tuple[str, str, UserAccount, UserAccount, UserAccount]:
    with live.factory() as s:
        d = seed(s, clock)
        admin, _ = make_user(s, Role.DISTRICT_ADMIN)
        street_admin, _ = make_user(s, Role.STREET_ADMIN, area=d.tree.street_a)
        operator, _ = make_user(s, Role.OPERATOR)
        s.commit()
        return d.tree.street_a.code, d.tree.street_b.code, admin, street_admin, operator


def test_the_page_runs_a_replay_as_a_job_and_shows_what_the_pure_replay_says(
    live: Live, clock: FakeClock
) -> None:
    code_a, _, admin, _, _ = _seed(live, clock)
    client = live.client
    csrf = login(client, admin, "/planning/what-if")
    form = {"kind": "add", "street": code_a, "skill": "bathing", "count": "1", "csrf_token": csrf}
    resp = client.post("/planning/what-if", data=form, follow_redirects=False)
    assert resp.status_code == 303
    found = JOB.search(resp.headers["location"])
    assert found
    page = resp.headers["location"]
    waiting = client.get(page).text
    assert 'data-job-state="queued"' in waiting and 'hx-trigger="every 1s"' in waiting
    assert f'<option value="{code_a}" selected' in waiting  # the form keeps the scenario
    assert live.run_jobs()
    shown = client.get(page).text
    assert 'data-job-state="done"' in shown and 'data-testid="whatif-summary"' in shown
    assert '<div class="value" data-testid="whatif-more">+6</div>' in shown
    assert "在本街道内服务的订单增加" in shown  # zh-CN by default
    assert shown.count('data-testid="whatif-street"') == 2
    chart = json.loads(html.unescape(CHART.search(shown).group(1)))  # type: ignore[union-attr]
    assert sorted(chart["after"]) == [1, 6]
    english = client.get(page + "&lang=en").text
    assert "More orders served inside their own street" in english
    # The job kept what the pure replay gives on the same inputs.
    with live.factory() as s:
        job = s.get_one(Job, int(found.group(1)))
        data = (job.result or {}).get("data") or {}
        scenario = whatif.Scenario.of(data["scenario"])
        orders, workers = whatif.inputs(s, scenario.first, scenario.last)
        change = whatif.change_of(s, scenario)
    travel = StraightLineTravel()
    cmp = rp.compare(
        rp.replay(orders, workers, travel),
        rp.replay(orders, rp.apply_change(workers, change), travel),
    )
    assert data["more_in_street"] == cmp.more_in_street == 6
    assert data["before"]["served"] == cmp.before.served
    assert data["travel_saved_min"] == cmp.travel_saved_min

    bad = client.post("/planning/what-if", data=form | {"count": "500"}, follow_redirects=False)
    assert bad.status_code == 422 and 'data-testid="whatif-error"' in bad.text
    assert 'data-field="count"' in bad.text and "1 到 50" in bad.text
    unknown = client.post("/planning/what-if", data=form | {"street": "X"}, follow_redirects=False)
    assert unknown.status_code == 422 and 'data-field="street"' in unknown.text
    assert client.post("/planning/what-if", data={"kind": "add"}).status_code == 403  # no CSRF


def test_the_api_queues_a_replay_and_refuses_bad_input_by_field(
    live: Live, clock: FakeClock
) -> None:
    code_a, code_b, admin, _, _ = _seed(live, clock)
    client = live.client
    auth = _token(live, admin)
    body = {"kind": "move", "street": code_a, "skill": "bathing", "count": 2, "from_street": code_b}
    ok = client.post("/api/v1/planning/what-if", json=body, headers=auth)
    assert ok.status_code == 202 and ok.headers["location"].startswith("/api/v1/jobs/")
    live.run_jobs()
    job = client.get(ok.headers["location"], headers=auth).json()
    assert job["state"] == "done" and job["data"]["losers"]
    for change, field in (({"count": 0}, "count"), ({"skill": "x"}, "skill"),
                          ({"street": "nowhere"}, "street")):  # fmt: skip
        bad = client.post("/api/v1/planning/what-if", json=body | change, headers=auth)
        assert bad.status_code == 422, bad.text
        assert field in bad.text


def test_a_street_admin_sees_their_street_only_and_an_operator_is_refused(
    live: Live, clock: FakeClock
) -> None:
    code_a, code_b, _, street_admin, operator = _seed(live, clock)
    client = live.client
    csrf = login(client, street_admin, "/planning/what-if")
    page = client.get("/planning/what-if").text
    assert f'value="{code_a}"' in page and f'value="{code_b}"' not in page
    form = {"kind": "add", "street": code_b, "skill": "bathing", "count": "1", "csrf_token": csrf}
    assert client.post("/planning/what-if", data=form).status_code == 422
    resp = client.post("/planning/what-if", data=form | {"street": code_a}, follow_redirects=False)
    assert resp.status_code == 303
    live.run_jobs()
    shown = client.get(resp.headers["location"]).text
    assert shown.count('data-testid="whatif-street"') == 1
    login(client, operator, "/account/password")
    assert client.get("/planning/what-if").status_code == 403
    assert (
        client.post("/api/v1/planning/what-if", json={"kind": "add", "street": code_a}).status_code
        == 403
    )
