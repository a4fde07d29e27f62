"""My jobs, page and API: one's own jobs only, progress while running, cancel, the file."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.builders import PASSWORD, make_user
from tests.conftest import Live
from yiyang.errors import N_
from yiyang.jobs import runner, service
from yiyang.jobs.context import Fence, JobContext, JobOutcome, ResultFile
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def _login(live: Live, user: UserAccount) -> str:
    live.client.cookies.clear()
    live.client.post("/login", data={"username": user.username, "password": PASSWORD})
    found = CSRF.search(live.client.get("/jobs").text)
    assert found
    return found.group(1)


def _token(live: Live, user: UserAccount) -> dict[str, str]:
    resp = live.client.post(
        "/api/v1/auth/token", json={"username": user.username, "password": PASSWORD}
    )
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


def _people(live: Live) -> tuple[UserAccount, UserAccount, int, int]:
    with live.factory() as s:
        owner, subject = make_user(s, Role.OPERATOR)
        other, _ = make_user(s, Role.OPERATOR)
        jobs = [
            service.submit(s, subject, "t.job", {}, title=N_("Day plan preview of %(day)s"),
                           title_params={"day": "2026-11-24"}, locale="zh_CN",
                           now=live.clock.now)
            for _ in range(2)
        ]  # fmt: skip
        s.commit()
        return owner, other, jobs[0].id, jobs[1].id


def _half_done(live: Live, job_id: int) -> None:
    """Claim the job and report half of it done, as a running worker would."""
    kinds = {"t.job": runner.JobKind(lambda ctx: JobOutcome(N_("Done.")), True)}
    job = runner.claim(live.factory, live.clock, live.settings, worker="w", kinds=kinds)
    assert job is not None and job.id == job_id
    lease = timedelta(seconds=live.settings.job_lease_seconds)
    fence = Fence(live.factory, job.id, job.attempts, live.clock, lease)
    fence.touch(progress_done=5, progress_total=10, progress_message=N_("Writing the file…"),
                progress_params={})  # fmt: skip


def test_my_jobs_shows_progress_then_the_result_and_polls_only_meanwhile(live: Live) -> None:
    owner, other, first, _ = _people(live)
    _login(live, owner)
    _half_done(live, first)
    page = live.client.get("/jobs").text
    assert page.count('data-testid="job"') == 2 and 'hx-trigger="every 2s"' in page
    assert "2026-11-24 的日程规划预览" in page and "正在写入文件…" in page
    assert '<progress max="10" value="5"' in page and "5 / 10 · 50%" in page
    en = live.client.get("/jobs", params={"lang": "en"}).text
    assert "Day plan preview of 2026-11-24" in en and "Writing the file…" in en

    def finish(ctx: JobContext) -> JobOutcome:
        path = ctx.result_path(".csv")
        path.write_text("x\n")
        return JobOutcome(N_("%(count)s elders exported."), {"count": 7},
                          file=ResultFile(path, "elders.csv", "text/csv"))  # fmt: skip

    live.clock.advance(minutes=5)  # the half-done run's worker went silent
    kinds = {"t.job": runner.JobKind(finish, True)}
    while runner.run_next(live.factory, live.clock, live.settings, kinds=kinds):
        pass
    page = live.client.get("/jobs").text
    assert 'hx-trigger="every 2s"' not in page and "已导出 7 位老人。" in page
    assert page.count('data-testid="job-file"') == 2
    one = live.client.get(f"/jobs/{first}").text
    assert 'data-job-state="done"' in one and f"/api/v1/jobs/{first}/file" in one
    assert live.client.get(f"/api/v1/jobs/{first}/file").text == "x\n"  # the page's cookie
    _login(live, other)
    assert 'data-testid="job"' not in live.client.get("/jobs").text
    assert live.client.get(f"/jobs/{first}").status_code == 404
    assert live.client.get(f"/api/v1/jobs/{first}/file").status_code == 404


def test_cancel_from_the_page_and_the_api(live: Live) -> None:
    owner, other, first, second = _people(live)
    csrf = _login(live, owner)
    refused = live.client.post(f"/jobs/{first}/cancel", data={}, follow_redirects=False)
    assert refused.status_code == 403  # no CSRF token
    done = live.client.post(f"/jobs/{first}/cancel", data={"csrf_token": csrf, "next": "//evil"},
                            follow_redirects=False)  # fmt: skip
    assert done.status_code == 303 and done.headers["location"] == f"/jobs/{first}"
    assert 'data-job-state="cancelled"' in live.client.get(f"/jobs/{first}").text
    headers = _token(live, owner)
    _half_done(live, second)
    answer = live.client.post(f"/api/v1/jobs/{second}/cancel", headers=headers)
    assert answer.status_code == 200 and answer.json()["cancel_requested"] is True
    assert answer.json()["state"] == "running"  # it stops at its next step
    assert "将在下一步停止" in live.client.get(f"/jobs/{second}").text
    again = live.client.post(f"/api/v1/jobs/{first}/cancel", headers=headers)
    assert again.status_code == 409 and again.json()["error"]["code"] == "job_ended"
    stranger = live.client.post(f"/api/v1/jobs/{second}/cancel", headers=_token(live, other))
    assert stranger.status_code == 404


def test_the_api_lists_and_reads_ones_jobs(live: Live) -> None:
    owner, other, first, second = _people(live)
    headers = _token(live, owner) | {"Accept-Language": "en"}
    listed = live.client.get("/api/v1/jobs", headers=headers).json()
    assert [j["id"] for j in listed] == [second, first]
    one = live.client.get(f"/api/v1/jobs/{first}", headers=headers).json()
    assert one["title"] == "Day plan preview of 2026-11-24" and one["state"] == "queued"
    assert one["progress"] == {"done": 0, "total": None, "percent": None, "message": None}
    assert live.client.get("/api/v1/jobs/99999999999999999999", headers=headers).status_code == 422
    assert live.client.get(f"/api/v1/jobs/{first}", headers=_token(live, other)).status_code == 404
    assert live.client.get(f"/api/v1/jobs/{first}/file", headers=headers).status_code == 404
