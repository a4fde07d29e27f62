"""The day plan page: a preview or an apply is a job the page follows to its result."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from tests.builders import make_user
from tests.conftest import FakeClock, Live
from tests.dispatch.test_day_plan import crossed, tomorrow
from tests.orders.builders import make_district
from tests.web.test_order_pages import login
from yiyang.orders.models import ServiceOrder
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role

JOB = re.compile(r"/dispatch/day-plan\?job=(\d+)$")


def _submitted(client: TestClient, path: str, data: dict[str, str]) -> str:
    """Post the form; the answer sends the browser to the job's page."""
    resp = client.post(path, data=data, follow_redirects=False)
    assert resp.status_code == 303, resp.text
    assert JOB.search(resp.headers["location"])
    return resp.headers["location"]


def _staff(live: Live, order_id: int) -> int | None:
    with live.factory() as s:
        return s.get_one(ServiceOrder, order_id).staff_id


def test_preview_then_apply_run_as_jobs_the_page_follows(live: Live, clock: FakeClock) -> None:
    with live.factory() as s:
        d = make_district(s)
        near, far, (first, second) = crossed(s, d, clock)
        admin, _ = make_user(s, Role.DISTRICT_ADMIN)
        s.commit()
        ids = (near.id, far.id, first.id, second.id)
    near_id, far_id, first_id, second_id = ids
    client = live.client
    csrf = login(client, admin, "/dispatch/day-plan")
    day = tomorrow(clock, "00:00").date().isoformat()
    form = {"day": day, "keep": "0", "csrf_token": csrf}
    page = _submitted(client, "/dispatch/day-plan/preview", form)
    waiting = client.get(page)
    assert waiting.status_code == 200 and 'data-job-state="queued"' in waiting.text
    assert 'hx-trigger="every 1s"' in waiting.text  # the page follows the job
    assert live.run_jobs()
    shown = client.get(page)
    assert 'data-job-state="done"' in shown.text and 'hx-trigger="every' not in shown.text
    assert shown.text.count('data-testid="plan-move"') == 2 and "plan-apply" in shown.text
    assert 'data-testid="plan-tradeoff"' in shown.text  # what it costs beside what it saves
    assert 'data-map="rounds"' in shown.text and "data-map-json='{&#34;" not in shown.text
    english = client.get(page + ("&" if "?" in page else "?") + "lang=en").text
    assert "Changes the caregiver on 2 of " in english and "min of travel in total" in english
    assert _staff(live, first_id) == far_id  # a preview changes nothing
    capped = _submitted(client, "/dispatch/day-plan/preview", form | {"cap": "0"})
    live.run_jobs()
    capped_page = client.get(capped).text
    assert 'name="cap" min="0"' in capped_page and 'value="0" placeholder' in capped_page
    assert capped_page.count('data-testid="plan-move"') < 2  # no caregiver changes
    bad = client.post(
        "/dispatch/day-plan/preview", data=form | {"cap": "many"}, follow_redirects=False
    )
    assert bad.status_code == 422 and 'data-testid="plan-error"' in bad.text
    assert "服务人员更换次数" in bad.text  # the field named in words
    calm = _submitted(client, "/dispatch/day-plan/preview", form | {"keep": "8"})
    live.run_jobs()
    calm_page = client.get(calm).text
    assert 'data-testid="plan-move"' not in calm_page and 'value="8" selected' in calm_page
    refused = client.post("/dispatch/day-plan", data={"day": day}, follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token
    applied = _submitted(client, "/dispatch/day-plan", form)
    assert _staff(live, first_id) == far_id  # not before the worker ran it
    live.run_jobs()
    done = client.get(applied).text
    assert 'data-testid="plan-applied"' in done and done.count('data-testid="plan-move"') == 2
    assert (_staff(live, first_id), _staff(live, second_id)) == (near_id, far_id)
    order_page = client.get(f"/orders/{first_id}").text
    assert "与当天其他服务统一重新规划" in order_page and ">day_plan<" not in order_page
    mine = client.get("/jobs").text
    assert mine.count('data-testid="job"') == 4  # preview, capped preview, calm preview, apply


def test_a_job_whose_owner_lost_the_right_fails_saying_why(live: Live, clock: FakeClock) -> None:
    with live.factory() as s:
        admin, _ = make_user(s, Role.DISTRICT_ADMIN)
        s.commit()
    csrf = login(live.client, admin, "/dispatch/day-plan")
    day = tomorrow(clock, "00:00").date().isoformat()
    page = _submitted(live.client, "/dispatch/day-plan", {"day": day, "csrf_token": csrf})
    with live.factory() as s:
        s.get_one(UserAccount, admin.id).role = Role.AUDITOR  # moved to another post meanwhile
        s.commit()
    live.run_jobs()
    assert live.client.get(page).status_code == 403  # the page is no longer theirs either
    job = live.client.get(f"/jobs/{page.rsplit('=', 1)[1]}").text
    assert 'data-job-state="failed"' in job and 'data-testid="job-error"' in job


def test_bad_day_and_wrong_roles_are_refused_clearly(live: Live, clock: FakeClock) -> None:
    with live.factory() as s:
        d = make_district(s)
        admin, _ = make_user(s, Role.DISTRICT_ADMIN)
        street, _ = make_user(s, Role.STREET_ADMIN, area=d.tree.street_a)
        family, _ = make_user(s, Role.FAMILY, elder=d.elder)
        s.commit()
    client = live.client
    csrf = login(client, admin, "/dispatch/day-plan")
    post = "/dispatch/day-plan/preview"
    bad = client.post(post, data={"day": "24/11/2026", "csrf_token": csrf})
    assert bad.status_code == 422 and 'data-testid="plan-error"' in bad.text
    keep = client.post(post, data={"keep": "many", "csrf_token": csrf})
    assert keep.status_code == 422 and 'data-testid="plan-error"' in keep.text
    past = client.post(post, data={"day": "2026-01-01", "csrf_token": csrf})
    assert past.status_code == 422 and "2026-01-01" in past.text
    assert live.run_jobs() == []  # nothing was queued
    assert client.get("/dispatch/day-plan", params={"job": "99"}).status_code == 404
    assert client.get("/dispatch/day-plan", params={"job": "²"}).status_code == 404
    csrf = login(client, street, "/orders")
    assert client.post(post, data={"csrf_token": csrf}).status_code == 403
    login(client, family, "/m/orders")
    assert client.get("/dispatch/day-plan").status_code == 403
