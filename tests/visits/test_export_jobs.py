"""EVV and settlement exports past the direct-answer limit: 409 on GET, a job on POST."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from tests.builders import make_user
from tests.conftest import FakeClock, Live
from tests.visits.test_api import _two_providers_delivered, auth
from yiyang.security.audit.models import AuditEvent
from yiyang.security.roles import Role


def _follow(live: Live, resp_json: dict[str, object], headers: dict[str, str]) -> dict:  # type: ignore[type-arg]
    assert resp_json["state"] == "queued"
    live.run_jobs()
    job = live.client.get(f"/api/v1/jobs/{resp_json['id']}", headers=headers)
    assert job.status_code == 200
    return job.json()  # type: ignore[no-any-return]


def test_a_large_evv_export_runs_as_a_job_whose_file_only_its_owner_gets(
    live: Live, clock: FakeClock
) -> None:
    with live.factory() as s:
        scene, orders = _two_providers_delivered(s, clock)
        admin, _ = make_user(s, Role.DISTRICT_ADMIN)
        other, _ = make_user(s, Role.DISTRICT_ADMIN)
        p3_admin, _ = make_user(s, Role.PROVIDER_ADMIN, provider=scene.d.p3)
        day, ids, p3_order = (
            orders[0].service_date.isoformat(),
            [o.id for o in orders],
            orders[2].id,
        )
        s.commit()
    live.settings.job_sync_rows = 2
    client = live.client
    headers = auth(client, admin.username)
    params = {"from": day, "to": day, "format": "csv"}
    direct = client.get("/api/v1/visits/evv-export", params=params, headers=headers)
    assert direct.status_code == 409 and direct.json()["error"]["code"] == "export_needs_job"
    resp = client.post("/api/v1/visits/evv-export", params=params, headers=headers)
    assert (
        resp.status_code == 202 and resp.headers["location"] == f"/api/v1/jobs/{resp.json()['id']}"
    )
    job = _follow(live, resp.json(), headers)
    assert job["state"] == "done" and job["summary"] == "已导出 3 条服务记录。"
    file = client.get(job["file"]["url"], headers=headers)
    assert file.status_code == 200 and "evv-" in file.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(file.content.decode("utf-8-sig"))))
    assert [int(r["order_id"]) for r in rows] == ids
    assert client.get(job["file"]["url"], headers=auth(client, other.username)).status_code == 404
    p3 = auth(client, p3_admin.username)  # a provider's job sees that provider's visits only
    mine = _follow(
        live, client.post("/api/v1/visits/evv-export", params=params, headers=p3).json(), p3
    )
    rows = list(
        csv.DictReader(
            io.StringIO(client.get(mine["file"]["url"], headers=p3).content.decode("utf-8-sig"))
        )
    )
    assert [int(r["order_id"]) for r in rows] == [p3_order]
    bad = client.post("/api/v1/visits/evv-export", params={**params, "from": "2026-12-01"},
                      headers=headers)  # fmt: skip
    assert bad.status_code == 422  # refused when asked, not as a failed job
    carer = client.post("/api/v1/visits/evv-export", params=params,
                        headers=auth(client, scene.carer_user.username))  # fmt: skip
    assert carer.status_code == 403
    with live.factory() as s:
        audits = s.scalars(select(AuditEvent).where(AuditEvent.action == "evv_export")).all()
        assert [a.actor_id for a in audits] == [admin.id, p3_admin.id]


def test_every_providers_month_is_prepared_as_a_job(live: Live, clock: FakeClock) -> None:
    with live.factory() as s:
        _two_providers_delivered(s, clock)
        admin, _ = make_user(s, Role.DISTRICT_ADMIN)
        s.commit()
    headers = auth(live.client, admin.username)
    month = clock.now.strftime("%Y-%m")
    resp = live.client.post("/api/v1/settlements/jobs", json={"month": month}, headers=headers)
    assert resp.status_code == 202
    job = _follow(live, resp.json(), headers)
    assert job["state"] == "done", job
    runs = live.client.get("/api/v1/settlements", params={"month": month}, headers=headers)
    found = runs.json()
    assert found["total"] == 2 and {r["status"] for r in found["items"]} == {"draft"}
    future = live.client.post(
        "/api/v1/settlements/jobs", json={"month": "2099-01"}, headers=headers
    )
    assert future.status_code == 422  # refused when asked, not as a failed job
