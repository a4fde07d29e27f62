"""Schemathesis against the app's own OpenAPI: no 5xx, and every status it answers documented.

One test per operation, each on a private copy of the migrated database (the `live` fixture:
real per-request transactions), signed in as a district administrator with a small district
to find. The example count is bounded so that the run stays within minutes on SQLite and on
PostgreSQL; schemathesis' coverage phase adds the boundary values (huge ints, odd strings,
extreme dates) on top of the random examples.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import status_code_conformance

from tests.builders import PASSWORD, make_user
from tests.conftest import Live
from tests.orders.builders import make_caregiver, make_district
from yiyang.app import create_app
from yiyang.config import Settings
from yiyang.db import make_engine
from yiyang.security.roles import Role

MAX_EXAMPLES = 12
# Only the schema is read from this app; each test calls the app of its own `live` database.
_app = create_app(
    Settings(secret_key="fuzz", district_code="410105"), engine=make_engine("sqlite://")
)
schema = schemathesis.openapi.from_dict(_app.openapi())


@pytest.fixture
def token(live: Live) -> dict[str, str]:
    """A district administrator's bearer token, and a district with an elder and a caregiver."""
    with live.factory() as session:
        d = make_district(session)
        make_caregiver(session, d.f_a1)
        user, _ = make_user(session, Role.DISTRICT_ADMIN)
        session.commit()
        name = user.username
    resp = live.client.post("/api/v1/auth/token", json={"username": name, "password": PASSWORD})
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['access_token']}"}


@pytest.mark.fuzz
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_answers_5xx(case: schemathesis.Case, live: Live, token: dict[str, str]) -> None:
    case.call_and_validate(
        app=live.app,
        headers=token,
        checks=[not_a_server_error, status_code_conformance],
        timeout=60,  # a loaded CI machine is slow; a hang still fails
    )
