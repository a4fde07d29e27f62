"""Records behind the alarm and device pages' path parameters, for the XSS run: a device
whose note is a payload, an SOS with a payload in its notes and a caregiver sent to it, a
telephone call, and a delivery-batch import named by a payload."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.browser.conftest import LiveApp
from yiyang.alarms.handling import service as handling
from yiyang.alarms.kinds import AlarmType
from yiyang.alarms.raising import Origin, raise_or_repeat
from yiyang.alarms.response.models import AlarmResponder
from yiyang.console.telephony import CallReceived
from yiyang.devices import io as device_io
from yiyang.devices import io_jobs as device_io_jobs
from yiyang.devices.models import Device, DeviceIdentity
from yiyang.events.bus import publish
from yiyang.events.types import Actor
from yiyang.registry.elders.models import Elder
from yiyang.registry.staff.models import Staff
from yiyang.security.models import UserAccount
from yiyang.security.service import subject_for
from yiyang.security.subject import Subject


def alarm_records(
    s: Session, live_app: LiveApp, elder: Elder, operator: Subject, carer: Subject,
    staff: Staff, payload: str, *, now: datetime,
) -> tuple[dict[str, str], int]:  # fmt: skip
    """The path parameters (alarm_id, device_id, call_id) and the device import's job id."""
    assert live_app.app is not None
    device = Device(
        kind="pull_cord", vendor="颐安", model="PC-2", status="installed", elder_id=elder.id,
        street_id=elder.street_id, community_id=elder.community_id, online=True,
        battery_pct=70, last_seen_at=now, installed_at=now, location_note=payload[:128],
    )  # fmt: skip
    device.identities = [DeviceIdentity(scheme="serial", value="XSS-0001")]
    s.add(device)
    s.flush()
    alarm, _ = raise_or_repeat(
        s, AlarmType.SOS,
        Origin(originator=f"elder:{elder.id}", elder_id=elder.id, device_id=device.id,
               street_id=elder.street_id, community_id=elder.community_id),
        now=now, text=payload,
    )  # fmt: skip
    handling.acknowledge(s, operator, alarm.id, now=now)
    s.add(
        AlarmResponder(
            alarm_id=alarm.id, staff_id=staff.id, user_id=carer.user_id, name=staff.name,
            role="caregiver", rank=1, state="sent", travel_mode="walk", travel_minutes=8,
            sent_at=now, sent_by_id=operator.user_id,
        )
    )  # fmt: skip
    call = CallReceived(
        occurred_at=now, actor=Actor(kind="system", name="telephony"), call_id=payload[:64],
        phone=elder.phone or "13800000000",
    )  # fmt: skip
    publish(s, call)
    admin = s.scalars(select(UserAccount).where(UserAccount.username == "admin")).one()
    batch = device_io_jobs.submit_import(
        s, subject_for(admin, "127.0.0.1"), device_io.template_bytes("zh_CN"),
        f"{payload}.xlsx", now=now, settings=live_app.app.state.settings, locale="zh_CN",
    )  # fmt: skip
    params = {"alarm_id": str(alarm.id), "device_id": str(device.id), "call_id": str(call.id)}
    assert isinstance(call.id, UUID)
    return params, batch.id
