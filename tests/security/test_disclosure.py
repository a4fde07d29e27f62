"""The disclosure policy on its own: the table of who sees what, relations, and the guard
that keeps any response field with an ID number, a phone or a caregiver from going unmasked."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi import FastAPI

from yiyang.registry.elders.schemas import ElderListItem
from yiyang.security.disclosure import (
    MASKS,
    RULES,
    Kind,
    MissingViewer,
    Relation,
    Viewer,
    disclosed,
    mask,
    may_see,
)
from yiyang.security.roles import ROLE_PERMISSIONS, Perm, Role
from yiyang.security.subject import Subject

R = Role
# Who sees each kind in full by role alone (relations aside): the table of docs/privacy.md.
BY_ROLE: dict[Kind, set[Role]] = {
    Kind.ELDER_ID_NUMBER: {R.DISTRICT_ADMIN, R.STREET_ADMIN, R.COMMUNITY_STAFF, R.ASSESSOR},
    Kind.ELDER_BIRTH_DATE: {R.DISTRICT_ADMIN, R.STREET_ADMIN, R.COMMUNITY_STAFF, R.ASSESSOR},
    Kind.ELDER_PHONE: {
        R.DISTRICT_ADMIN, R.STREET_ADMIN, R.COMMUNITY_STAFF, R.OPERATOR, R.SUPERVISOR,
        R.ASSESSOR,
    },
    Kind.CONTACT_PHONE: {
        R.DISTRICT_ADMIN, R.STREET_ADMIN, R.COMMUNITY_STAFF, R.OPERATOR, R.SUPERVISOR,
        R.ASSESSOR,
    },
    Kind.STAFF_ID_NUMBER: {R.DISTRICT_ADMIN, R.PROVIDER_ADMIN},
    Kind.STAFF_PHONE: {R.DISTRICT_ADMIN, R.STREET_ADMIN, R.PROVIDER_ADMIN, R.OPERATOR, R.SUPERVISOR},
    Kind.ORDER_CAREGIVER: set(Role) - {R.ELDER, R.FAMILY, R.ASSESSOR},
    Kind.DISPATCH_DECISIONS: {
        R.DISTRICT_ADMIN, R.STREET_ADMIN, R.COMMUNITY_STAFF, R.PROVIDER_ADMIN, R.OPERATOR,
        R.SUPERVISOR, R.AUDITOR,
    },
    Kind.DISPATCHED_STAFF: {R.DISTRICT_ADMIN, R.STREET_ADMIN, R.OPERATOR, R.SUPERVISOR, R.AUDITOR},
    # Health data: those who care for or respond to the elder; never the provider admin or
    # the auditor (caregivers, the elder and family by relation, below).
    Kind.ELDER_HEALTH: {
        R.DISTRICT_ADMIN, R.STREET_ADMIN, R.COMMUNITY_STAFF, R.OPERATOR, R.SUPERVISOR,
        R.ASSESSOR,
    },
}  # fmt: skip


def reader(role: Role, **binding: int) -> Viewer:
    return Viewer(Subject(user_id=1, username="u", display_name="u", role=role, **binding))


@pytest.mark.parametrize("kind", list(Kind))
def test_who_sees_each_kind_by_role(kind: Kind) -> None:
    assert {r for r in Role if may_see(reader(r), kind)} == BY_ROLE[kind]


def test_every_kind_has_a_rule_and_a_mask() -> None:
    assert set(RULES) == set(MASKS) == set(Kind)


def test_relations_open_only_what_their_rule_names() -> None:
    provider = reader(R.PROVIDER_ADMIN, provider_id=3)
    assert not may_see(provider, Kind.ELDER_PHONE)
    assert may_see(provider.also(Relation.SERVING), Kind.ELDER_PHONE)
    assert not may_see(provider.also(Relation.SERVING), Kind.CONTACT_PHONE)
    assert may_see(reader(R.CAREGIVER, staff_id=4).also(Relation.AT_THE_DOOR), Kind.CONTACT_PHONE)
    assert not may_see(provider.also(Relation.SERVING), Kind.ELDER_ID_NUMBER)
    assert may_see(provider.also(Relation.SAME_PROVIDER), Kind.DISPATCHED_STAFF)
    family = reader(R.FAMILY, elder_id=9)
    assert not may_see(family, Kind.ORDER_CAREGIVER)
    assert may_see(family.also(Relation.COMING), Kind.ORDER_CAREGIVER)
    assert may_see(family.also(Relation.SELF), Kind.ELDER_PHONE)
    carer = reader(R.CAREGIVER, staff_id=4)
    assert may_see(carer.also(Relation.SELF), Kind.STAFF_ID_NUMBER)
    assert not may_see(carer, Kind.STAFF_PHONE)
    assert not may_see(carer, Kind.ELDER_HEALTH)
    assert may_see(carer.also(Relation.CARING), Kind.ELDER_HEALTH)
    assert may_see(family.also(Relation.SELF), Kind.ELDER_HEALTH)
    assert not may_see(provider.also(Relation.SERVING), Kind.ELDER_HEALTH)
    assert not may_see(provider.also(Relation.CARING), Kind.ELDER_PHONE)


def test_masks_by_kind() -> None:
    auditor = reader(R.AUDITOR)
    assert mask(Kind.ELDER_ID_NUMBER, "410105194803080021", auditor) == "410105" + "*" * 12
    assert mask(Kind.ELDER_PHONE, "13800001234", auditor) == "138****1234"
    assert mask(Kind.ELDER_BIRTH_DATE, "1948-03-08", auditor) is None
    assert mask(Kind.DISPATCHED_STAFF, "王芳", reader(R.COMMUNITY_STAFF)) is None
    assert mask(Kind.DISPATCH_DECISIONS, [1, 2], reader(R.FAMILY)) == []
    assert mask(Kind.ELDER_PHONE, None, auditor) is None
    assert mask(Kind.ELDER_HEALTH, "diabetes", auditor) is None
    assert mask(Kind.ELDER_HEALTH, "diabetes", reader(R.OPERATOR)) == "diabetes"


def test_every_dispatcher_sees_whom_they_dispatch() -> None:
    # The candidate picker names every caregiver: only for roles that see dispatched staff.
    for role, perms in ROLE_PERMISSIONS.items():
        if Perm.ORDER_DISPATCH in perms:
            assert Perm.DISPATCH_DETAIL in perms, role


def test_every_editor_sees_the_numbers_their_forms_are_filled_with() -> None:
    # The edit forms start from the record as its reader sees it; a masked number posted
    # back would be refused (or worse, saved).
    for role, perms in ROLE_PERMISSIONS.items():
        if Perm.ELDER_WRITE in perms:
            assert {Perm.ELDER_IDENTITY, Perm.ELDER_PHONE, Perm.ELDER_HEALTH} <= perms, role
        if Perm.STAFF_WRITE in perms:
            assert {Perm.STAFF_IDENTITY, Perm.STAFF_PHONE} <= perms, role


def test_a_sensitive_shape_cannot_be_built_without_a_reader() -> None:
    values: dict[str, Any] = {
        "id": 1, "name": "王秀英", "sex": "F", "age": 80, "id_number": "410105194803080021",
        "phone": "13800001234", "street": {"id": 1, "code": "s", "name": "s"},
        "community": {"id": 2, "code": "c", "name": "c"}, "living_situation": "alone",
        "special_groups": [], "economic_status": "none", "status": "active", "address": "a",
    }  # fmt: skip
    with pytest.raises(MissingViewer):
        ElderListItem(**values)
    with pytest.raises(MissingViewer):
        ElderListItem.model_validate(values)
    shown = disclosed(ElderListItem, reader(R.OPERATOR), values)
    assert shown.phone == "13800001234" and shown.id_number == "410105" + "*" * 12


# Response fields that hold a person's ID number, phone or a caregiver's name or id.
PERSONAL = re.compile(r"(^|_)(id_number|phone)$|^(staff|winner_staff|winner_provider)_(id|name)$")
# Not a person's detail: organisations' own phones (an office, a centre's front desk) and the
# caller's own staff binding.
PUBLIC = {("ProviderRead", "phone"), ("FacilityRead", "phone"), ("Me", "staff_id")}
# Shapes only dispatchers reach (the permission is checked before they are built), and the
# accounts only a district administrator manages (the staff member an account belongs to).
DISPATCHERS_ONLY = {"CandidateRead"}
ADMINS_ONLY = {"AccountView"}


def _response_schemas(openapi: dict[str, Any]) -> set[str]:
    """Every component schema reachable from a response."""
    schemas = openapi["components"]["schemas"]
    seen: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in seen:
                    seen.add(name)
                    walk(schemas[name])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for path in openapi["paths"].values():
        for operation in path.values():
            walk(operation.get("responses", {}))
    return seen


def test_no_response_field_with_personal_details_goes_unmasked(app: FastAPI) -> None:
    openapi = app.openapi()
    schemas = openapi["components"]["schemas"]
    unmasked = [
        (name, field)
        for name in _response_schemas(openapi) - DISPATCHERS_ONLY - ADMINS_ONLY
        for field, spec in schemas[name].get("properties", {}).items()
        if PERSONAL.search(field) and "x-masked-unless" not in spec and (name, field) not in PUBLIC
    ]
    assert unmasked == []
