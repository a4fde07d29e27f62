"""The data scope value: one binding per role, and the same answer for reads and writes."""

from __future__ import annotations

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, select

from yiyang.security.roles import Role
from yiyang.security.scope import Binding, Scope
from yiyang.security.subject import Subject

thing = Table(
    "thing",
    MetaData(),
    Column("street_id", Integer),
    Column("community_id", Integer),
    Column("provider_id", Integer),
)


def _sql(scope: Scope) -> str:
    stmt = select(thing.c.street_id).where(
        scope.where(street=thing.c.street_id, provider=thing.c.provider_id)
    )
    return str(stmt.compile(compile_kwargs={"literal_binds": True})).split("WHERE", 1)[-1].strip()


@pytest.mark.parametrize(
    ("role", "fields", "expected"),
    [
        (Role.DISTRICT_ADMIN, {}, Scope(Binding.DISTRICT)),
        (Role.AUDITOR, {}, Scope(Binding.DISTRICT)),
        (Role.STREET_ADMIN, {"street_id": 7}, Scope(Binding.STREET, 7)),
        (Role.COMMUNITY_STAFF, {"community_id": 9}, Scope(Binding.COMMUNITY, 9)),
        (Role.PROVIDER_ADMIN, {"provider_id": 3}, Scope(Binding.PROVIDER, 3)),
        (Role.CAREGIVER, {"staff_id": 5, "provider_id": 3}, Scope(Binding.STAFF, 5)),
        (Role.FAMILY, {"elder_id": 11}, Scope(Binding.ELDER, 11)),
        (Role.STREET_ADMIN, {}, Scope(Binding.NONE)),
    ],
)
def test_each_role_has_one_binding(role: Role, fields: dict[str, int], expected: Scope) -> None:
    assert Subject(1, "u", "u", role, **fields).scope == expected


def test_a_binding_the_entity_relates_to_compares_its_column() -> None:
    assert _sql(Scope(Binding.STREET, 7)) == "thing.street_id = 7"
    assert _sql(Scope(Binding.PROVIDER, 3)) == "thing.provider_id = 3"


def test_a_binding_the_entity_does_not_relate_to_sees_nothing() -> None:
    assert _sql(Scope(Binding.COMMUNITY, 9)) == "false"
    assert _sql(Scope(Binding.NONE)) == "false"


def test_the_district_sees_everything() -> None:
    assert _sql(Scope(Binding.DISTRICT)) == "true"


def test_a_function_builds_the_condition_from_the_bound_id() -> None:
    scope = Scope(Binding.COMMUNITY, 9)
    stmt = select(thing.c.street_id).where(
        scope.where(community=lambda cid: thing.c.community_id.in_([cid, cid + 1]))
    )
    assert "thing.community_id IN (9, 10)" in str(
        stmt.compile(compile_kwargs={"literal_binds": True})
    )


def test_writes_are_checked_against_the_same_binding() -> None:
    street = Scope(Binding.STREET, 7)
    assert street.covers(street_id=7, community_id=70)
    assert not street.covers(street_id=8, community_id=70)
    community = Scope(Binding.COMMUNITY, 70)
    assert community.covers(street_id=8, community_id=70)
    assert not community.covers(street_id=7)
    assert Scope(Binding.DISTRICT).covers()
    assert not Scope(Binding.NONE).covers(street_id=7)
