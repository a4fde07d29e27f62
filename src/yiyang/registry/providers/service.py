"""Provider use cases: list/search, read, create and change (audited)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, FieldProblem, Invalid
from yiyang.kit.pagination import Page, PageParams
from yiyang.registry.elders import rules as elder_rules
from yiyang.registry.providers import repository as provider_repository
from yiyang.registry.providers import rules
from yiyang.registry.providers.models import Provider
from yiyang.registry.providers.schemas import (
    ProviderCreate,
    ProviderFilter,
    ProviderRead,
    ProviderRef,
    ProviderUpdate,
)
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject

CHOICES_MAX = 500  # a district has tens of providers; a filter never lists a whole table
SNAPSHOT_FIELDS = ("code", "name", "credit_code", "contact_name", "phone", "address", "active")


def snapshot(provider: Provider) -> dict[str, Any]:
    """The audited view of a provider."""
    return {name: getattr(provider, name) for name in SNAPSHOT_FIELDS}


def _raise_if(problems: list[FieldProblem]) -> None:
    if problems:
        fields = ", ".join(dict.fromkeys(p.field for p in problems))
        raise Invalid(
            N_("Some fields are not valid: %(fields)s."), problems=problems, fields=fields
        )


def _duplicate_credit_code() -> Conflict:
    return Conflict(
        N_("Another provider already has this credit code."),
        field="credit_code",
        code="duplicate_credit_code",
    )


def _strip(value: str | None) -> str | None:
    return (value.strip() or None) if value is not None else None


def create_provider(
    session: Session, subject: Subject, data: ProviderCreate, *, now: datetime
) -> Provider:
    """Register a provider; all problems are reported together, duplicates are 409."""
    subject.require(Perm.PROVIDER_WRITE)
    problems: list[FieldProblem] = []
    phone = elder_rules.normalise_phone(data.phone)
    if bad := elder_rules.phone_problem(phone, "phone"):
        problems.append(bad)
    credit = rules.normalise_credit_code(data.credit_code)
    if bad := rules.credit_code_problem(credit):
        problems.append(bad)
    _raise_if(problems)
    code = data.code.strip()
    if provider_repository.code_taken(session, code):
        raise Conflict(
            N_("Another provider already uses the code %(value)s."),
            field="code",
            code="duplicate_code",
            value=code,
        )
    if credit and provider_repository.credit_code_taken(session, credit):
        raise _duplicate_credit_code()
    provider = Provider(
        code=code,
        name=data.name.strip(),
        credit_code=credit,
        contact_name=_strip(data.contact_name),
        phone=phone,
        address=_strip(data.address),
        active=data.active,
        created_at=now,
    )
    session.add(provider)
    session.flush()
    audit.record(
        session, subject, "create", "provider", provider.id, after=snapshot(provider), at=now
    )
    return provider


def update_provider(
    session: Session, subject: Subject, provider_id: int, data: ProviderUpdate, *, now: datetime
) -> Provider:
    """Change the fields given; the audit row keeps what changed, before and after."""
    subject.require(Perm.PROVIDER_WRITE)
    provider = provider_repository.get(session, subject, provider_id)
    before = snapshot(provider)
    given = data.model_dump(exclude_unset=True)
    problems: list[FieldProblem] = []
    changes: dict[str, Any] = {}
    if "phone" in given:
        changes["phone"] = elder_rules.normalise_phone(data.phone)
        if bad := elder_rules.phone_problem(changes["phone"], "phone"):
            problems.append(bad)
    if "credit_code" in given:
        changes["credit_code"] = rules.normalise_credit_code(data.credit_code)
        if bad := rules.credit_code_problem(changes["credit_code"]):
            problems.append(bad)
    for name in ("name", "contact_name", "address"):
        if name in given:
            changes[name] = _strip(given[name])
    if "name" in given and not changes["name"]:
        problems.append(FieldProblem("name", "required", N_("A name is required.")))
    if given.get("active") is not None:
        changes["active"] = given["active"]
    _raise_if(problems)
    credit = changes.get("credit_code")
    if credit and provider_repository.credit_code_taken(session, credit, except_id=provider.id):
        raise _duplicate_credit_code()
    for name, value in changes.items():
        setattr(provider, name, value)
    session.flush()
    old, new = audit.changed_fields(before, snapshot(provider))
    if new:
        audit.record(
            session, subject, "update", "provider", provider.id, before=old, after=new, at=now
        )
    return provider


def to_read(provider: Provider) -> ProviderRead:
    """The record shape of a provider."""
    return ProviderRead.model_validate(provider)


def read_provider(session: Session, subject: Subject, provider_id: int) -> ProviderRead:
    """One provider in scope, or NotFound."""
    subject.require(Perm.PROVIDER_READ)
    return to_read(provider_repository.get(session, subject, provider_id))


def list_providers(
    session: Session, subject: Subject, flt: ProviderFilter, page: PageParams, *, now: datetime
) -> Page[ProviderRead]:
    """A page of providers in scope, searched by name, code or credit code."""
    subject.require(Perm.PROVIDER_READ)
    rows, total = provider_repository.search(session, subject, flt, page)
    return Page(items=[to_read(p) for p in rows], total=total, page=page.page, size=page.size)


def provider_choices(session: Session, subject: Subject) -> list[ProviderRef]:
    """Providers in scope to pick in a filter or form: id, code and name, with no count."""
    subject.require(Perm.PROVIDER_READ)
    rows = provider_repository.choices(session, subject, CHOICES_MAX)
    return [ProviderRef(id=id_, code=code, name=name) for id_, code, name in rows]
