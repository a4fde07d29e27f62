"""Every query on providers; the one place where their data scope is applied."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from yiyang.errors import N_, NotFound
from yiyang.kit.pagination import PageParams
from yiyang.registry.providers.models import Provider
from yiyang.registry.providers.schemas import ProviderFilter
from yiyang.security.subject import Subject


def readable(subject: Subject) -> Select[tuple[Provider]]:
    """Providers the subject may see.

    District-wide roles and street admins see every provider (they are public organisations
    and dispatch crosses street borders); a provider admin sees only its own provider.
    """
    return select(Provider).where(subject.scope.where(street=True, provider=Provider.id))


def search(
    session: Session, subject: Subject, flt: ProviderFilter, page: PageParams
) -> tuple[list[Provider], int]:
    """One page of matching providers and the total count."""
    stmt = readable(subject)
    if flt.q:
        q = flt.q.strip()
        stmt = stmt.where(
            or_(
                Provider.name.contains(q, autoescape=True),
                Provider.code.contains(q, autoescape=True),
                Provider.credit_code.contains(q.upper(), autoescape=True),
            )
        )
    if flt.active is not None:
        stmt = stmt.where(Provider.active == flt.active)
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = session.scalars(stmt.order_by(Provider.code).offset(page.offset).limit(page.size))
    return list(rows), total


def choices(session: Session, subject: Subject, limit: int) -> list[tuple[int, str, str]]:
    """The first `limit` readable providers' id, code and name, by code (for filters)."""
    stmt = readable(subject).with_only_columns(Provider.id, Provider.code, Provider.name)
    return list(session.execute(stmt.order_by(Provider.code).limit(limit)).tuples())


def get(session: Session, subject: Subject, provider_id: int) -> Provider:
    """One readable provider, or NotFound (also when out of scope)."""
    provider = session.scalar(readable(subject).where(Provider.id == provider_id))
    if provider is None:
        raise NotFound(N_("Provider %(id)s not found."), id=provider_id)
    return provider


def code_taken(session: Session, code: str) -> bool:
    """Whether a provider already uses this code."""
    return session.scalar(select(Provider.id).where(Provider.code == code)) is not None


def credit_code_taken(session: Session, credit_code: str, except_id: int | None = None) -> bool:
    """Whether another provider already has this credit code."""
    stmt = select(Provider.id).where(Provider.credit_code == credit_code)
    if except_id is not None:
        stmt = stmt.where(Provider.id != except_id)
    return session.scalar(stmt) is not None
