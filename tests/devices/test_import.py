"""Delivery-batch import: a job, each row all or nothing, every row reported in words."""

from __future__ import annotations

import io

from openpyxl import Workbook, load_workbook

from tests.builders import make_elder, make_tree, make_user
from tests.conftest import Live
from tests.devices.builders import new_imei
from tests.web.test_registry_pages import login
from yiyang.devices import io as device_io
from yiyang.devices.models import Device
from yiyang.security.roles import Role


def _xlsx(rows: list[list[str]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(
        ["类型", "厂商", "型号", "IMEI", "Serial number", "MAC 地址", "老人身份证号", "安装位置"]
    )
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_batch_registers_good_rows_and_reports_the_others(live: Live) -> None:
    with live.factory() as db:
        t = make_tree(db)
        elder = make_elder(db, t.comm_a1)
        user, _ = make_user(db, Role.STREET_ADMIN, area=t.street_a)
        id_number, username = elder.id_number, user.username
        db.commit()
    imei = new_imei()
    content = _xlsx([
        ["拉绳报警器", "颐家科技", "YJ-PC200", imei, "", "", id_number, "床头"],
        ["Pull-cord alarm", "颐家科技", "YJ-PC200", "490154203237519", "", "", "", ""],
        ["pull_cord", "颐家科技", "YJ-PC200", imei, "", "", "", ""],
        ["烤面包机", "颐家科技", "X", "", "SN-000123", "", "", ""],
        ["door_sensor", "绿米", "MCCGQ-02", "", "", "54-ef-44-00-00-01", "", ""],
        ["wearable_button", "安康通", "AK-W3", "", "AK-1", "", "110101190001011234", ""],
    ])  # fmt: skip
    csrf = login(live.client, username)
    live.client.cookies.set("yiyang_lang", "en")
    resp = live.client.post(
        "/devices/import", data={"csrf_token": csrf},
        files={"file": ("batch.xlsx", content, "application/octet-stream")},
        follow_redirects=False,
    )  # fmt: skip
    assert resp.status_code == 303, resp.text
    page_url = resp.headers["location"]
    assert live.run_jobs()
    page = live.client.get(page_url)
    assert page.status_code == 200
    assert page.text.count('data-testid="import-row"') == 6
    assert "fails its check digit" in page.text and "already belongs to device" in page.text
    assert "No elder with this ID number" in page.text
    with live.factory() as db:
        devices = db.query(Device).order_by(Device.id).all()
        assert [d.kind for d in devices] == ["pull_cord", "door_sensor"]
        assert devices[0].status == "installed" and devices[0].location_note == "床头"
        assert devices[0].street_id == t.street_a.id
        assert devices[1].street_id == t.street_a.id and devices[1].status == "in_stock"


def test_template_has_translated_headers(live: Live) -> None:
    with live.factory() as db:
        user, _ = make_user(db, Role.DISTRICT_ADMIN)
        username = user.username
        db.commit()
    login(live.client, username)
    for lang, first in (("zh_CN", "类型"), ("en", "Kind")):
        resp = live.client.get(f"/devices/import/template.xlsx?lang={lang}")
        assert resp.status_code == 200
        sheet = load_workbook(io.BytesIO(resp.content)).active
        assert sheet is not None and sheet["A1"].value == first
        assert device_io.map_columns([c.value for c in sheet[1]])[0] == "kind"
