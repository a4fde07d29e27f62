"""Large elder exports and imports run as jobs, through the API and the pages."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests.builders import PASSWORD, make_elder, make_tree, make_user
from tests.conftest import Live
from tests.registry.elders.io_files import csv_bytes, read_csv, read_xlsx, row, xlsx_bytes
from tests.registry.elders.test_io_api import auth
from yiyang.jobs import runner
from yiyang.jobs.models import Job, JobState
from yiyang.registry.elders import io_jobs
from yiyang.registry.elders.models import Elder
from yiyang.security.audit.models import AuditEvent
from yiyang.security.models import UserAccount
from yiyang.security.roles import Role

CSRF = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def _elders(live: Live) -> int:
    with live.factory() as s:
        return s.scalar(select(func.count(Elder.id))) or 0


def _login(live: Live, user: UserAccount, page: str) -> str:
    live.client.cookies.clear()
    resp = live.client.post(
        "/login", data={"username": user.username, "password": PASSWORD}, follow_redirects=False
    )
    assert resp.status_code == 303
    found = CSRF.search(live.client.get(page).text)
    assert found
    return found.group(1)


def test_api_export_past_the_limit_is_a_job_masked_for_the_owner(live: Live) -> None:
    with live.factory() as s:
        tree = make_tree(s)
        elders = [make_elder(s, tree.comm_a1, name=f"周{n}") for n in range(3)]
        auditor, _ = make_user(s, Role.AUDITOR)
        admin, _ = make_user(s, Role.DISTRICT_ADMIN)
        numbers = sorted(e.id_number for e in elders)
        s.commit()
    live.settings.job_sync_rows = 2
    client = live.client
    headers = auth(client, auditor.username)
    direct = client.get("/api/v1/elders/export", params={"format": "csv"}, headers=headers)
    assert direct.status_code == 409 and "3" in direct.json()["error"]["message"]
    queued = client.post("/api/v1/elders/export", params={"format": "csv"}, headers=headers)
    assert queued.status_code == 202 and queued.json()["state"] == "queued"
    assert live.run_jobs() == [queued.json()["id"]]
    job = client.get(queued.headers["location"], headers=headers).json()
    assert job["state"] == "done" and job["progress"]["done"] == job["progress"]["total"] == 3
    lines = read_csv(client.get(job["file"]["url"], headers=headers).content)
    assert len(lines) == 4 and all("*" in line[0] for line in lines[1:])  # masked for an auditor
    admin_headers = auth(client, admin.username)
    assert client.get(job["file"]["url"], headers=admin_headers).status_code == 404
    queued = client.post("/api/v1/elders/export", params={"format": "xlsx"}, headers=admin_headers)
    live.run_jobs()
    job = client.get(queued.headers["location"], headers=admin_headers).json()
    rows = read_xlsx(client.get(job["file"]["url"], headers=admin_headers).content)
    assert sorted(r[0] for r in rows[1:]) == numbers
    with live.factory() as s:
        audits = s.scalars(select(AuditEvent).where(AuditEvent.action == "export")).all()
        assert [(a.actor_id, a.after and a.after["count"]) for a in audits] == [
            (auditor.id, 3), (admin.id, 3),
        ]  # fmt: skip


def test_api_import_as_a_job_writes_all_or_reports_every_problem(live: Live) -> None:
    with live.factory() as s:
        tree = make_tree(s)
        admin, _ = make_user(s, Role.DISTRICT_ADMIN)
        s.commit()
    client = live.client
    headers = auth(client, admin.username) | {"Prefer": "respond-async"}
    before = _elders(live)
    good = xlsx_bytes([row(tree.comm_a1), row(tree.comm_a2)])
    queued = client.post("/api/v1/elders/import", files={"file": ("a.xlsx", good)}, headers=headers)
    assert queued.status_code == 202 and queued.json()["title"] == "从 a.xlsx 导入老人"
    assert _elders(live) == before  # the worker writes them
    live.run_jobs()
    job = client.get(queued.headers["location"], headers=headers).json()
    assert job["state"] == "done" and job["data"]["imported"] == 2 and _elders(live) == before + 2
    bad = csv_bytes([row(tree.comm_a1), row(tree.comm_a1, id_number="410105194503080010")])
    queued = client.post("/api/v1/elders/import", files={"file": ("b.csv", bad)}, headers=headers)
    live.run_jobs()
    job = client.get(queued.headers["location"], headers=headers).json()
    assert job["state"] == "failed" and job["error"]["code"] == "import_rejected"
    assert job["data"]["total"] == 1 and job["data"]["rows"][0]["row"] == 3
    report = read_csv(client.get(job["file"]["url"], headers=headers).content)
    assert report[1][:3] == ["3", "身份证号", "id_checksum"]
    assert _elders(live) == before + 2  # nothing of the bad file
    photo = client.post("/api/v1/elders/import", files={"file": ("p.xlsx", b"\x89PNG\r\n\x1a\n")},
                        headers=headers)  # fmt: skip
    assert photo.status_code == 422  # refused at once, no job
    uploads = live.settings.instance_dir / "jobs" / "uploads"
    assert list(uploads.iterdir()) == []  # inputs go when their job ends


def test_an_import_whose_worker_died_starts_again_and_imports_once(live: Live) -> None:
    with live.factory() as s:
        tree = make_tree(s)
        admin, _ = make_user(s, Role.DISTRICT_ADMIN)
        s.commit()
    headers = auth(live.client, admin.username) | {"Prefer": "respond-async"}
    content = xlsx_bytes([row(tree.comm_a1), row(tree.comm_b1)])
    queued = live.client.post(
        "/api/v1/elders/import", files={"file": ("a.xlsx", content)}, headers=headers
    )
    from yiyang.worker import load_tasks

    load_tasks()
    claimed = runner.claim(live.factory, live.clock, live.settings, worker="dead",
                           kinds=runner.KINDS)  # fmt: skip
    assert claimed is not None and claimed.kind == io_jobs.IMPORT  # then the worker died
    before = _elders(live)
    live.clock.advance(seconds=live.settings.job_lease_seconds + 1)
    assert live.run_jobs() == [queued.json()["id"]]
    with live.factory() as s:
        job = s.get_one(Job, queued.json()["id"])
        assert (job.state, job.attempts) == (JobState.DONE, 2)
    assert _elders(live) == before + 2


def test_pages_follow_a_large_import_to_its_result(live: Live) -> None:
    with live.factory() as s:
        tree = make_tree(s)
        admin, _ = make_user(s, Role.DISTRICT_ADMIN)
        s.commit()
    live.settings.job_sync_import_bytes = 10
    csrf = _login(live, admin, "/elders/import")
    content = xlsx_bytes([row(tree.comm_a1), row(tree.comm_a1, id_number="410105194503080010")])
    sent = live.client.post("/elders/import", data={"csrf_token": csrf},
                            files={"file": ("a.xlsx", content)}, follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303 and sent.headers["location"].startswith("/elders/import/jobs/")
    waiting = live.client.get(sent.headers["location"]).text
    assert 'data-job-state="queued"' in waiting and 'hx-trigger="every 1s"' in waiting
    live.run_jobs()
    shown = live.client.get(sent.headers["location"]).text
    assert 'data-job-state="failed"' in shown and "<td>3</td><td>身份证号</td>" in shown
    assert 'data-testid="import-report"' in shown and 'hx-trigger="every 1s"' not in shown
    sent = live.client.post("/elders/import", data={"csrf_token": csrf},
                            files={"file": ("b.xlsx", xlsx_bytes([row(tree.comm_a2)]))})  # fmt: skip
    live.run_jobs()
    done = live.client.get(sent.url.path).text
    assert 'data-testid="import-done"' in done


def test_pages_export_small_files_at_once_and_large_ones_as_jobs(live: Live) -> None:
    with live.factory() as s:
        tree = make_tree(s)
        for _ in range(3):
            make_elder(s, tree.comm_a1)
        make_elder(s, tree.comm_b1)
        admin, _ = make_user(s, Role.STREET_ADMIN, area=tree.street_a)
        s.commit()
    csrf = _login(live, admin, "/elders/export")
    form = live.client.get("/elders/export", params={"living_situation": "alone"})
    assert 'data-testid="export-count"' in form.text and "export-as-job" not in form.text
    small = live.client.post("/elders/export", data={"csrf_token": csrf, "format": "csv"})
    assert small.status_code == 200 and len(read_csv(small.content)) == 4  # own street only
    live.settings.job_sync_rows = 2
    assert "export-as-job" in live.client.get("/elders/export").text
    sent = live.client.post("/elders/export", data={"csrf_token": csrf, "format": "xlsx"},
                            follow_redirects=False)  # fmt: skip
    assert sent.status_code == 303 and sent.headers["location"].startswith("/jobs/")
    live.run_jobs()
    page = live.client.get(sent.headers["location"]).text
    assert 'data-job-state="done"' in page and 'data-testid="job-file"' in page
    assert "已导出 3 位老人" in page
