"""The family hears of an alarm: on the phone home in their words, and by text at the raise
and at the key steps (not at every repeat)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.alarms.response.world import World, make_world
from tests.conftest import FakeClock
from tests.web.test_order_pages import login
from yiyang.alarms.kinds import AlarmStatus, AlarmType
from yiyang.alarms.raising import Origin, raise_or_repeat
from yiyang.alarms.response import service
from yiyang.config import Settings
from yiyang.events.models import OutboxMessage
from yiyang.registry.elders.models import ElderContact
from yiyang.security.service import subject_for


@pytest.fixture
def world(db: Session, clock: FakeClock) -> World:
    return make_world(db, clock())


def texts(db: Session) -> list[tuple[str, str]]:
    rows = db.scalars(
        select(OutboxMessage).where(OutboxMessage.channel == "sms").order_by(OutboxMessage.id)
    )
    return [(m.destination, m.payload["text"]) for m in rows if "alarm_id" in m.payload]


def walk(db: Session, world: World, clock: FakeClock, settings: Settings) -> None:
    """Sent, on the way, arrived and reported: family attended."""
    service.send_responder(db, world.operator, world.alarm.id, now=clock(), settings=settings)
    me = subject_for(world.near)
    clock.advance(minutes=1)
    service.on_the_way(db, me, world.alarm.id, now=clock())
    clock.advance(minutes=8)
    lat, lon = world.elder.lat, world.elder.lon
    service.arrive(db, me, world.alarm.id, lat=lat, lon=lon, reason=None, now=clock())
    clock.advance(minutes=10)
    service.report(db, me, world.alarm.id, "family_attended", None, now=clock())


def test_the_raise_texts_every_family_contact_at_once(db: Session, clock: FakeClock) -> None:
    make_world(db, clock())
    sent = texts(db)
    assert len(sent) == 1  # the builder's elder has one contact
    phone, text = sent[0]
    assert phone == "13900005678"
    assert "王秀英" in text and "09:00" in text and "呼叫中心" in text
    assert db.scalars(select(OutboxMessage.event_type)).all()[-1] == "alarm.raised"


def test_a_repeat_texts_nobody_and_a_second_contact_is_texted_too(
    db: Session, world: World, clock: FakeClock
) -> None:
    db.add(
        ElderContact(
            elder_id=world.elder.id,
            priority=2,
            name="王芳",
            relationship="daughter",
            phone="13900009999",
            has_key=False,
        )
    )
    db.flush()
    origin = Origin(originator=f"elder:{world.elder.id}", elder_id=world.elder.id)
    raise_or_repeat(db, AlarmType.SOS, origin, now=clock() + timedelta(seconds=20))
    assert len(texts(db)) == 1
    _, created = raise_or_repeat(
        db, AlarmType.FALL, origin, now=clock() + timedelta(seconds=30)
    )  # a new alarm: both contacts
    assert created
    assert [p for p, _ in texts(db)][1:] == ["13900005678", "13900009999"]


def test_key_steps_text_the_family_in_their_words(
    db: Session, world: World, clock: FakeClock, settings: Settings
) -> None:
    walk(db, world, clock, settings)
    bodies = [t for _, t in texts(db)][1:]
    assert len(bodies) == 3  # on the way, arrived, reported (sent and accepted are not texted)
    assert "刘芳（护理员）" in bodies[0] and "3 分钟" in bodies[0]
    assert "09:09" in bodies[1]
    assert "家属已到场" in bodies[2]
    for body in bodies:
        assert "_" not in body and "responder" not in body


def test_the_family_home_tells_the_alarm_and_what_is_being_done(
    client: TestClient, db: Session, world: World, clock: FakeClock, settings: Settings
) -> None:
    walk(db, world, clock, settings)
    login(client, world.family, "/m/home")
    page = client.get("/m/home?lang=en")
    assert page.status_code == 200
    html = page.text
    assert 'data-testid="family-alarm"' in html and 'data-open="true"' in html
    for words in (
        "SOS call",
        "刘芳 (caregiver) is on the way, about 3 min",
        "刘芳 arrived",
        "刘芳 reports: Family attended",
    ):
        assert words in html
    assert "responder_" not in html and "family_attended" not in html
    zh = client.get("/m/home?lang=zh_CN").text
    assert "正在路上" in zh
    world.alarm.closed_at = clock()
    world.alarm.status = AlarmStatus.CLOSED
    db.flush()
    assert "Closed: Family attended" in client.get("/m/home?lang=en").text
    clock.advance(hours=13)
    assert 'data-testid="family-alarm"' not in client.get("/m/home?lang=en").text
