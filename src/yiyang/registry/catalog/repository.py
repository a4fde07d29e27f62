"""Every query on the service catalog; inactive items are hidden from non-editors."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Select, select
from sqlalchemy.orm import Session, joinedload, selectinload

from yiyang.errors import N_, NotFound
from yiyang.registry.catalog.models import ServiceCategory, ServiceItem, ServicePrice
from yiyang.registry.catalog.schemas import ItemFilter
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject


def readable(subject: Subject) -> Select[tuple[ServiceItem]]:
    """Items the subject may see: all for catalog editors, active ones for everybody else."""
    stmt = select(ServiceItem)
    if subject.can(Perm.CATALOG_WRITE):
        return stmt
    return stmt.where(ServiceItem.active.is_(True))


def categories(session: Session) -> list[ServiceCategory]:
    """Every category in display order."""
    return list(
        session.scalars(
            select(ServiceCategory).order_by(ServiceCategory.sort, ServiceCategory.code)
        )
    )


def category_by_code(session: Session, code: str) -> ServiceCategory | None:
    """The category with this code, if any."""
    return session.scalar(select(ServiceCategory).where(ServiceCategory.code == code.strip()))


def _loaded(stmt: Select[tuple[ServiceItem]]) -> Select[tuple[ServiceItem]]:
    return stmt.options(joinedload(ServiceItem.category), selectinload(ServiceItem.prices))


def search(session: Session, subject: Subject, flt: ItemFilter) -> list[ServiceItem]:
    """Matching items with category and prices loaded (the catalog is small: no paging)."""
    stmt = readable(subject)
    if flt.category:
        stmt = stmt.join(ServiceItem.category).where(ServiceCategory.code == flt.category)
    if flt.government_purchasable is not None:
        stmt = stmt.where(ServiceItem.government_purchasable == flt.government_purchasable)
    if flt.active is not None:
        stmt = stmt.where(ServiceItem.active == flt.active)
    return list(session.scalars(_loaded(stmt).order_by(ServiceItem.code)).unique())


def names(session: Session, subject: Subject) -> list[tuple[str, str, str]]:
    """Every readable item's code and names, by code (a filter needs no prices)."""
    stmt = readable(subject).with_only_columns(
        ServiceItem.code, ServiceItem.name_zh, ServiceItem.name_en
    )
    return list(session.execute(stmt.order_by(ServiceItem.code)).tuples())


def get_by_code(session: Session, subject: Subject, code: str) -> ServiceItem:
    """One readable item with category and price history loaded, or NotFound."""
    item = session.scalar(_loaded(readable(subject).where(ServiceItem.code == code.strip())))
    if item is None:
        raise NotFound(N_("Service item %(value)s not found."), value=code)
    return item


def code_taken(session: Session, code: str) -> bool:
    """Whether an item already uses this code."""
    return session.scalar(select(ServiceItem.id).where(ServiceItem.code == code)) is not None


def price_in_force(session: Session, item_id: int, day: date) -> ServicePrice | None:
    """The price version of an item in force on a day (for pricing orders), or None."""
    return session.scalar(
        select(ServicePrice)
        .where(ServicePrice.item_id == item_id, ServicePrice.effective_date <= day)
        .order_by(ServicePrice.effective_date.desc())
        .limit(1)
    )


def item_with_prices(
    session: Session, *, code: str | None = None, item_id: int | None = None
) -> ServiceItem | None:
    """One item by code (active only) or by id (any), with its price versions freshly loaded."""
    stmt = select(ServiceItem).options(selectinload(ServiceItem.prices))
    if code is not None:
        stmt = stmt.where(ServiceItem.code == code, ServiceItem.active.is_(True))
    else:
        stmt = stmt.where(ServiceItem.id == item_id)
    return session.scalar(stmt.execution_options(populate_existing=True))


def item_name_zh(session: Session, item_id: int) -> str | None:
    """The Chinese name of a service item."""
    return session.scalar(select(ServiceItem.name_zh).where(ServiceItem.id == item_id))
