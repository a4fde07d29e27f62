"""Role by role, what the pages show of ID numbers, phones and the caregivers dispatch weighed.

The pages render the same masked shapes as the API (tests/security/test_masking_matrix.py);
these tests read the HTML each account gets, so a template cannot undo or bypass the masks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from tests.builders import PASSWORD
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
    make_world,
)

OTHER = OTHER_PROVIDER_ADMIN


def id_in(html: str, real: str | None) -> str:
    assert real is not None
    if real in html:
        return FULL
    return MASKED if real[:6] + "*" * 12 in html else HIDDEN


def phone_in(html: str, real: str) -> str:
    if real in html:
        return FULL
    return MASKED if real[:3] + "****" + real[-4:] in html else HIDDEN


@pytest.fixture
def world(db: Session, clock: FakeClock) -> World:
    return make_world(db, clock)


def pages(
    client: TestClient,
    world: World,
    path: str,
    shown: Callable[[str], tuple[Any, ...]],
    accounts: tuple[str, ...] | None = None,
) -> dict[str, tuple[Any, ...]]:
    """What each account's page at `path` shows: the status, and `shown(html)` when 200."""
    seen = {}
    for key in accounts or tuple(world.users):
        client.cookies.clear()
        resp = client.post(
            "/login",
            data={"username": world.users[key].username, "password": PASSWORD},
            follow_redirects=False,
        )
        assert resp.status_code == 303, resp.text
        page = client.get(path + ("&" if "?" in path else "?") + "lang=en")
        assert USER_PHONE not in page.text and page.status_code < 500, page.text
        seen[key] = (200, *shown(page.text)) if page.status_code == 200 else (page.status_code,)
    return seen


def test_elder_page(client: TestClient, world: World) -> None:
    elder = world.elder

    def shown(html: str) -> tuple[str, ...]:
        born = FULL if elder.birth_date.isoformat() in html else HIDDEN
        assert born == FULL or "Not shown to your role" in html
        return (
            id_in(html, elder.id_number),
            born,
            phone_in(html, elder.phone or ""),
            phone_in(html, CONTACT_PHONE),
        )

    assert pages(client, world, f"/elders/{elder.id}", shown) == ELDER_RECORD_SEEN


def test_elder_list_page(client: TestClient, world: World) -> None:
    elder = world.elder

    def shown(html: str) -> tuple[str, ...]:
        return id_in(html, elder.id_number), phone_in(html, elder.phone or "")

    readers = ("district_admin", "community_staff", "operator", "auditor", "provider_admin")
    assert pages(client, world, f"/elders?q={elder.name}", shown, readers) == {
        "district_admin": (200, FULL, FULL),
        "community_staff": (200, FULL, FULL),
        "operator": (200, MASKED, FULL),
        "auditor": (200, MASKED, MASKED),
        "provider_admin": (403,),
    }


def test_staff_page(client: TestClient, world: World) -> None:
    carer = world.carer

    def shown(html: str) -> tuple[str, ...]:
        return phone_in(html, carer.phone), id_in(html, carer.id_number)

    assert pages(client, world, f"/staff/{carer.id}", shown) == STAFF_SEEN


def test_order_detail_page(client: TestClient, world: World) -> None:
    def shown(html: str) -> tuple[bool, ...]:
        others = any(w in html for w in (OTHER_NAME, REFUSAL, world.users[OTHER].display_name))
        return others, CARER_NAME in html, "A caregiver of another provider" in html

    dispatcher = (200, True, True, False)
    assert pages(client, world, f"/orders/{world.order.id}", shown) == {
        "district_admin": dispatcher,
        "street_admin": dispatcher,
        "community_staff": (200, False, True, False),
        "provider_admin": (200, False, True, True),  # its own caregiver named, the other not
        "caregiver": (200, False, True, False),
        "operator": dispatcher,
        "supervisor": dispatcher,
        "assessor": (403,),
        "elder": (200, False, True, False),
        "family": (200, False, True, False),
        "auditor": dispatcher,
        OTHER: (404,),
    }


def test_family_follow_page(client: TestClient, world: World) -> None:
    def shown(html: str) -> tuple[bool, ...]:
        coming = f"{CARER_NAME} of {world.d.f_a1.name} is coming" in html
        return OTHER_NAME in html or REFUSAL in html, coming

    family = ("elder", "family")
    assert pages(client, world, f"/m/orders/{world.order.id}", shown, family) == {
        "elder": (200, False, True),
        "family": (200, False, True),
    }


def test_caregiver_visit_pages(client: TestClient, world: World) -> None:
    def shown(html: str) -> tuple[str, ...]:
        return (phone_in(html, world.elder.phone or ""),)

    carer = ("caregiver",)
    assert pages(client, world, "/m/visits", shown, carer) == {"caregiver": (200, FULL)}
    visit = f"/m/visits/{world.order.id}"
    assert pages(client, world, visit, shown, carer) == {"caregiver": (200, FULL)}


def test_alert_page(client: TestClient, world: World) -> None:
    def shown(html: str) -> tuple[str, ...]:
        return (phone_in(html, world.elder.phone or ""),)

    assert pages(client, world, "/alerts", shown) == {
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
        OTHER: (200, HIDDEN),
    }


def test_call_centre_order_form(client: TestClient, world: World) -> None:
    elder = world.elder

    def shown(html: str) -> tuple[str, ...]:
        return id_in(html, elder.id_number), phone_in(html, elder.phone or "")

    path = f"/orders/new?q={elder.name}&elder_id={elder.id}"
    takers = ("operator", "community_staff", "family", "auditor")
    assert pages(client, world, path, shown, takers) == {
        "operator": (200, MASKED, FULL),  # it calls the elder back, it does not need the ID
        "community_staff": (200, FULL, FULL),
        "family": (403,),
        "auditor": (403,),
    }
