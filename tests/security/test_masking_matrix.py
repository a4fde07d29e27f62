"""Role by role, what every API response carrying an ID number, a phone or a caregiver shows.

Each test reads one response as every account of the masking world and compares the whole
table with what docs/privacy.md promises: FULL (the real value), MASKED (the mask: an ID
number keeps only its area code, a phone its first three and last four digits), HIDDEN
(null or absent), or the status code when the role may not read it at all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.conftest import FakeClock
from tests.security.masking_world import (
    CARER_NAME,
    CONTACT_PHONE,
    ELDER_RECORD_SEEN,
    FULL,
    HIDDEN,
    MASKED,
    OTHER_NAME,
    OTHER_PROVIDER_ADMIN,
    REFUSAL,
    STAFF_SEEN,
    USER_PHONE,
    World,
    api_headers,
    make_world,
)
from yiyang.registry.elders.io_columns import COLUMNS

OTHER = OTHER_PROVIDER_ADMIN


def id_shown(value: str | None, real: str | None) -> str:
    """FULL, HIDDEN, or MASKED after checking that the mask keeps nothing but the area code."""
    if value is None or value == "":
        return HIDDEN
    if value == real:
        return FULL
    assert real is not None and value == real[:6] + "*" * 12, f"bad ID mask {value}"
    return MASKED


def phone_shown(value: str | None, real: str | None) -> str:
    """FULL, HIDDEN, or MASKED after checking the 3 + 4 digit mask."""
    if value is None or value == "":
        return HIDDEN
    if value == real:
        return FULL
    assert real is not None and value == real[:3] + "****" + real[-4:], f"bad phone mask {value}"
    return MASKED


def date_shown(value: str | None, real: date) -> str:
    """FULL or HIDDEN: a birth date is never shown in part."""
    if value is None:
        return HIDDEN
    assert value == real.isoformat(), value
    return FULL


@pytest.fixture
def world(db: Session, clock: FakeClock) -> World:
    return make_world(db, clock)


@pytest.fixture
def headers(client: TestClient, world: World) -> dict[str, dict[str, str]]:
    return api_headers(client, world)


def table(
    client: TestClient,
    headers: dict[str, dict[str, str]],
    path: str,
    shown: Callable[[Any], tuple[Any, ...]],
    params: dict[str, str] | None = None,
) -> dict[str, tuple[Any, ...]]:
    """What each account sees at `path`: the status, and `shown(response)` when it is 200."""
    seen = {}
    for key, header in headers.items():
        resp = client.get(path, params=params, headers=header)
        assert USER_PHONE not in resp.text, "an account's phone is in no response"
        assert resp.status_code < 500, resp.text
        seen[key] = (200, *shown(resp)) if resp.status_code == 200 else (resp.status_code,)
    return seen


def test_full_elder_record(client: TestClient, world: World, headers: Any) -> None:
    elder = world.elder
    contact = CONTACT_PHONE

    def shown(resp: Any) -> tuple[str, ...]:
        body = resp.json()
        return (
            id_shown(body["id_number"], elder.id_number),
            date_shown(body["birth_date"], elder.birth_date),
            phone_shown(body["phone"], elder.phone),
            phone_shown(body["contacts"][0]["phone"], contact),
        )

    assert table(client, headers, f"/api/v1/elders/{elder.id}", shown) == ELDER_RECORD_SEEN


def test_elder_list(client: TestClient, world: World, headers: Any) -> None:
    elder = world.elder

    def shown(resp: Any) -> tuple[str, ...]:
        item = next(i for i in resp.json()["items"] if i["id"] == elder.id)
        return id_shown(item["id_number"], elder.id_number), phone_shown(item["phone"], elder.phone)

    assert table(client, headers, "/api/v1/elders", shown, {"q": elder.name}) == {
        "district_admin": (200, FULL, FULL),
        "street_admin": (200, FULL, FULL),
        "community_staff": (200, FULL, FULL),
        "provider_admin": (403,),
        "caregiver": (403,),
        "operator": (200, MASKED, FULL),
        "supervisor": (200, MASKED, FULL),
        "assessor": (200, FULL, FULL),
        "elder": (403,),
        "family": (403,),
        "auditor": (200, MASKED, MASKED),
        OTHER: (403,),
    }


def test_elder_export(client: TestClient, world: World, headers: Any) -> None:
    elder = world.elder
    keys = [c.key for c in COLUMNS]

    def shown(resp: Any) -> tuple[str, ...]:
        rows = list(csv.reader(io.StringIO(resp.content.decode("utf-8-sig"))))
        row = next(r for r in rows[1:] if r[keys.index("name")] == elder.name)
        return (
            id_shown(row[keys.index("id_number")], elder.id_number),
            phone_shown(row[keys.index("phone")], elder.phone),
            phone_shown(row[keys.index("contact1_phone")], CONTACT_PHONE),
        )

    assert table(client, headers, "/api/v1/elders/export", shown, {"format": "csv"}) == {
        "district_admin": (200, FULL, FULL, FULL),
        "street_admin": (200, FULL, FULL, FULL),
        "community_staff": (200, FULL, FULL, FULL),
        "provider_admin": (403,),
        "caregiver": (403,),
        "operator": (403,),
        "supervisor": (403,),
        "assessor": (403,),
        "elder": (403,),
        "family": (403,),
        "auditor": (200, MASKED, MASKED, MASKED),
        OTHER: (403,),
    }


def test_staff_record(client: TestClient, world: World, headers: Any) -> None:
    carer = world.carer

    def shown(resp: Any) -> tuple[str, ...]:
        body = resp.json()
        return phone_shown(body["phone"], carer.phone), id_shown(body["id_number"], carer.id_number)

    assert table(client, headers, f"/api/v1/staff/{carer.id}", shown) == STAFF_SEEN


def test_staff_list(client: TestClient, world: World, headers: Any) -> None:
    carer = world.carer

    def shown(resp: Any) -> tuple[str, ...]:
        items = [i for i in resp.json()["items"] if i["id"] == carer.id]
        if not items:
            return ("not listed",)
        return phone_shown(items[0]["phone"], carer.phone), id_shown(
            items[0]["id_number"], carer.id_number
        )

    assert table(client, headers, "/api/v1/staff", shown, {"q": CARER_NAME}) == STAFF_SEEN | {
        OTHER: (200, "not listed")
    }


def test_visit(client: TestClient, world: World, headers: Any) -> None:
    elder = world.elder

    def shown(resp: Any) -> tuple[str | None, ...]:
        body = resp.json()
        return phone_shown(body["elder_phone"], elder.phone), body["staff_name"]

    serving = (200, FULL, CARER_NAME)
    assert table(client, headers, f"/api/v1/visits/{world.order.id}", shown) == {
        "district_admin": serving,
        "street_admin": serving,
        "community_staff": serving,
        "provider_admin": serving,  # its organisation serves the elder now
        "caregiver": serving,  # today's visit, accepted
        "operator": serving,
        "supervisor": serving,
        "assessor": (403,),
        "elder": serving,  # their own phone
        "family": serving,
        "auditor": (200, MASKED, CARER_NAME),
        OTHER: (404,),
    }


def test_alerts(client: TestClient, world: World, headers: Any) -> None:
    elder = world.elder

    def shown(resp: Any) -> tuple[str, ...]:
        items = [i for i in resp.json()["items"] if i["order_id"] == world.order.id]
        return (phone_shown(items[0]["elder_phone"], elder.phone),) if items else ("no alert",)

    assert table(client, headers, "/api/v1/visits/alerts", shown) == {
        "district_admin": (200, FULL),
        "street_admin": (200, FULL),
        "community_staff": (200, FULL),
        "provider_admin": (200, FULL),  # serving now
        "caregiver": (403,),
        "operator": (200, FULL),
        "supervisor": (200, FULL),
        "assessor": (403,),
        "elder": (403,),
        "family": (403,),
        "auditor": (200, MASKED),
        OTHER: (200, "no alert"),
    }


def names_other_provider(world: World, body: dict[str, Any], text: str) -> bool:
    """Whether an order detail shows anything of provider 2's people (names, ids, reasons)."""
    other, p2 = world.other, world.d.p2
    if any(word in text for word in (OTHER_NAME, REFUSAL, world.users[OTHER].display_name)):
        return True
    for d in body["decisions"]:
        if d["winner_staff_id"] == other.id or d["winner_provider_id"] == p2.id:
            return True
        if p2.id in d["rejected"].get("excluded_providers", []):
            return True
        for c in d["candidates"]:
            if c["staff_id"] == other.id or c["provider_id"] == p2.id:
                return True
    return any(
        e["detail"].get("staff_id") == other.id or e["detail"].get("provider_id") == p2.id
        for e in body["timeline"]
    )


def test_order_detail(client: TestClient, world: World, headers: Any) -> None:
    carer = world.carer

    def shown(resp: Any) -> tuple[Any, ...]:
        body = resp.json()
        weighed = [c for d in body["decisions"] for c in d["candidates"]]
        own_named = any(c["staff_id"] == carer.id and c["name"] == CARER_NAME for c in weighed)
        carer_rows = [e for e in body["timeline"] if e["actor_role"] == "caregiver"]
        assert carer_rows, "the caregiver accepted the order"
        return (
            len(body["decisions"]),
            names_other_provider(world, body, resp.text),
            own_named and all(e["actor_name"] for e in carer_rows),
            body["staff_name"],
        )

    dispatcher = (200, 2, True, True, CARER_NAME)
    assert table(client, headers, f"/api/v1/orders/{world.order.id}", shown) == {
        "district_admin": dispatcher,
        "street_admin": dispatcher,
        "community_staff": (200, 2, False, False, CARER_NAME),
        "provider_admin": (200, 2, False, True, CARER_NAME),  # own staff named, others not
        "caregiver": (200, 0, False, False, CARER_NAME),
        "operator": dispatcher,
        "supervisor": dispatcher,
        "assessor": (403,),
        "elder": (200, 0, False, False, CARER_NAME),
        "family": (200, 0, False, False, CARER_NAME),
        "auditor": dispatcher,
        OTHER: (404,),
    }


def test_order_list(client: TestClient, world: World, headers: Any) -> None:
    def shown(resp: Any) -> tuple[Any, ...]:
        items = [i for i in resp.json()["items"] if i["id"] == world.order.id]
        if not items:
            return ("not listed",)
        return items[0]["staff_name"], items[0]["facility_name"]

    coming = (200, CARER_NAME, world.d.f_a1.name)
    assert table(client, headers, "/api/v1/orders", shown) == {
        "district_admin": coming,
        "street_admin": coming,
        "community_staff": coming,
        "provider_admin": coming,
        "caregiver": coming,
        "operator": coming,
        "supervisor": coming,
        "assessor": (403,),
        "elder": coming,
        "family": coming,
        "auditor": coming,
        OTHER: (200, "not listed"),
    }


def test_dispatch_candidates_only_for_dispatchers(
    client: TestClient, world: World, headers: Any
) -> None:
    def shown(resp: Any) -> tuple[bool, ...]:
        return (any(c["name"] == OTHER_NAME for c in resp.json()),)

    assert table(client, headers, f"/api/v1/orders/{world.order.id}/candidates", shown) == {
        "district_admin": (200, True),
        "street_admin": (200, True),
        "community_staff": (403,),
        "provider_admin": (403,),
        "caregiver": (403,),
        "operator": (200, True),
        "supervisor": (200, True),
        "assessor": (403,),
        "elder": (403,),
        "family": (403,),
        "auditor": (403,),
        OTHER: (403,),
    }


def test_caregiver_day(client: TestClient, world: World, headers: Any) -> None:
    def shown(resp: Any) -> tuple[str, ...]:
        items = [v for v in resp.json() if v["order_id"] == world.order.id]
        return (phone_shown(items[0]["elder_phone"], world.elder.phone),) if items else ("none",)

    seen = table(client, headers, "/api/v1/visits/mine", shown)
    # District administrators hold every permission but have no visits of their own.
    assert seen == {key: (403,) for key in headers} | {
        "caregiver": (200, FULL),
        "district_admin": (200, "none"),
    }
