"""Create an account after checking that the binding its role needs exists in the registry."""

from __future__ import annotations

from sqlalchemy.orm import Session

from yiyang.errors import N_, Invalid
from yiyang.registry.accounts.schemas import AccountOpen
from yiyang.registry.areas import repository as area_repository
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders import rules as elder_rules
from yiyang.registry.elders.models import Elder
from yiyang.registry.providers.models import Provider
from yiyang.registry.staff import repository as staff_repository
from yiyang.registry.staff.models import Staff
from yiyang.security import service as security_service
from yiyang.security.models import FamilyLink, UserAccount
from yiyang.security.passwords import PasswordPolicy, temporary_password
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject

# The binding each role needs: the field that names it and, for areas, the level it must be.
NEEDS: dict[Role, tuple[str, str | None]] = {
    Role.STREET_ADMIN: ("area_code", "street"),
    Role.COMMUNITY_STAFF: ("area_code", "community"),
    Role.PROVIDER_ADMIN: ("provider_id", None),
    Role.CAREGIVER: ("staff_id", None),
    Role.ELDER: ("elder_id", None),
    Role.FAMILY: ("elder_id", None),
}


def _area_id(session: Session, code: str | None, level: str | None) -> int | None:
    if not code:
        return None
    area = area_repository.by_code(session, code.strip())
    if area is None:
        raise Invalid(N_("Unknown area code: %(value)s."), field="area_code", value=code)
    if level is not None and area.level != level:
        message = (
            N_("The area of this role must be a street.")
            if level == "street"
            else N_("The area of this role must be a community.")
        )
        raise Invalid(message, field="area_code")
    return area.id


def _check_exists(session: Session, model: type, value: int | None, field: str) -> None:
    if value is not None and session.get(model, value) is None:
        raise Invalid(N_("Nothing with this number exists: %(value)s."), field=field, value=value)


def create_account(
    session: Session,
    actor: Subject,
    *,
    username: str,
    password: str,
    display_name: str,
    role: Role,
    area_code: str | None = None,
    provider_id: int | None = None,
    staff_id: int | None = None,
    elder_id: int | None = None,
    policy: PasswordPolicy,
    must_change: bool = False,
) -> UserAccount:
    """An account whose role binding (street, community, provider, staff, elder) is real."""
    actor.require(Perm.USER_MANAGE)
    given = {
        "area_code": area_code,
        "provider_id": provider_id,
        "staff_id": staff_id,
        "elder_id": elder_id,
    }
    field, level = NEEDS.get(role, (None, None))
    if field is not None and given[field] in (None, ""):
        raise Invalid(N_("This role needs %(needed)s."), field=field, needed=field)
    area_id = _area_id(session, area_code, level if field == "area_code" else None)
    _check_exists(session, Provider, provider_id, "provider_id")
    _check_exists(session, Elder, elder_id, "elder_id")
    if staff_id is not None:
        staff = session.get(Staff, staff_id)
        if staff is None:
            raise Invalid(N_("Unknown staff member %(id)s."), field="staff_id", id=staff_id)
        if role == Role.CAREGIVER and provider_id is None:
            provider_id = staff.provider_id
    user = security_service.create_user(
        session,
        actor,
        username=username,
        password=password,
        display_name=display_name,
        role=role,
        area_id=area_id,
        provider_id=provider_id,
        staff_id=staff_id,
        elder_id=elder_id,
        policy=policy,
        must_change=must_change,
    )
    if role == Role.FAMILY and elder_id is not None:
        session.add(FamilyLink(user_id=user.id, elder_id=elder_id, linked_at=user.created_at))
        session.flush()
    return user


def _staff_by_code(session: Session, code: str | None) -> int | None:
    if not code:
        raise Invalid(N_("Give the staff member's code."), field="staff_code", code="required")
    staff_id = staff_repository.id_with_code(session, code.strip())
    if staff_id is None:
        raise Invalid(N_("No staff member has the code %(value)s."), field="staff_code",
                      value=code)  # fmt: skip
    return staff_id


def _elder_by_number(session: Session, actor: Subject, number: str | None) -> int | None:
    if not number:
        raise Invalid(N_("Give the elder's ID number."), field="elder_id_number", code="required")
    wanted = elder_rules.id_lookup(number)
    found = elder_repository.id_with_number(session, actor, wanted) if wanted else None
    if found is None:
        raise Invalid(N_("No elder in the registry has this ID number."),
                      field="elder_id_number")  # fmt: skip
    return found


def open_account(
    session: Session, actor: Subject, form: AccountOpen, *, policy: PasswordPolicy
) -> tuple[UserAccount, str]:
    """An account opened from the form, with a temporary password (returned once) that the
    person replaces at the first sign-in."""
    actor.require(Perm.USER_MANAGE)
    field, _ = NEEDS.get(form.role, (None, None))
    area_code = {Role.STREET_ADMIN: form.street_code, Role.COMMUNITY_STAFF: form.community_code}
    code = area_code.get(form.role)
    if field == "area_code" and not code:
        wrong = "street_code" if form.role == Role.STREET_ADMIN else "community_code"
        raise Invalid(N_("Choose the area this account works in."), field=wrong, code="required")
    if field == "provider_id" and form.provider_id is None:
        raise Invalid(N_("Choose the provider."), field="provider_id", code="required")
    password = temporary_password(policy, form.role, form.username, form.display_name)
    user = create_account(
        session,
        actor,
        username=form.username,
        password=password,
        display_name=form.display_name,
        role=form.role,
        area_code=code,
        provider_id=form.provider_id if field == "provider_id" else None,
        staff_id=_staff_by_code(session, form.staff_code) if field == "staff_id" else None,
        elder_id=(
            _elder_by_number(session, actor, form.elder_id_number) if field == "elder_id" else None
        ),
        policy=policy,
        must_change=True,
    )
    return user, password
