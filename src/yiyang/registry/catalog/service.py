"""Service catalog use cases: browse with prices on a date, edit items, add price versions."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from yiyang.errors import N_, Conflict, FieldProblem, Invalid
from yiyang.kit.localtime import local_today
from yiyang.registry.catalog import repository as catalog_repository
from yiyang.registry.catalog import rules
from yiyang.registry.catalog.models import ServiceCategory, ServiceItem, ServicePrice
from yiyang.registry.catalog.schemas import (
    CategoryOut,
    CategoryRef,
    ItemCreate,
    ItemFilter,
    ItemListItem,
    ItemRead,
    ItemRef,
    ItemUpdate,
    PriceIn,
    PriceOut,
)
from yiyang.security.audit import service as audit
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject

SNAPSHOT_FIELDS = (
    "code", "category_id", "name_zh", "name_en", "unit", "required_skills",
    "government_purchasable", "home_visit", "active",
)  # fmt: skip


def snapshot(item: ServiceItem) -> dict[str, Any]:
    """The audited view of an item (prices are audited as their own additions)."""
    data = {name: getattr(item, name) for name in SNAPSHOT_FIELDS}
    data["required_skills"] = list(item.required_skills or [])
    return data


def _price_snapshot(price: ServicePrice) -> dict[str, Any]:
    return {
        "effective_date": price.effective_date,
        "price_fen": price.price_fen,
        "standard_minutes": price.standard_minutes,
    }


def _category(session: Session, code: str) -> ServiceCategory:
    category = catalog_repository.category_by_code(session, code)
    if category is None:
        raise Invalid(N_("Unknown service category %(value)s."), field="category_code", value=code)
    return category


def list_categories(session: Session, subject: Subject) -> list[CategoryOut]:
    """Every service category in display order."""
    subject.require(Perm.CATALOG_READ)
    return [CategoryOut.model_validate(c) for c in catalog_repository.categories(session)]


def to_list_item(item: ServiceItem, day: date) -> ItemListItem:
    """An item with the price in force on a day (category and prices must be loaded)."""
    price = rules.price_on(item.prices, day)
    category = item.category
    return ItemListItem(
        id=item.id,
        code=item.code,
        category=CategoryRef(
            code=category.code, name_zh=category.name_zh, name_en=category.name_en
        ),
        name_zh=item.name_zh,
        name_en=item.name_en,
        unit=item.unit,
        required_skills=list(item.required_skills or []),
        government_purchasable=item.government_purchasable,
        home_visit=item.home_visit,
        active=item.active,
        on=day,
        price_fen=price.price_fen if price else None,
        standard_minutes=price.standard_minutes if price else None,
        price_effective_date=price.effective_date if price else None,
    )


def to_read(item: ServiceItem, day: date) -> ItemRead:
    """An item with the price in force on a day and its whole price history."""
    history = sorted(item.prices, key=lambda p: p.effective_date)
    return ItemRead(
        **to_list_item(item, day).model_dump(),
        prices=[PriceOut.model_validate(p) for p in history],
    )


def list_items(
    session: Session, subject: Subject, flt: ItemFilter, *, now: datetime
) -> list[ItemListItem]:
    """Items with the price in force on `flt.on` (default: today in China)."""
    subject.require(Perm.CATALOG_READ)
    day = flt.on or local_today(now)
    return [to_list_item(i, day) for i in catalog_repository.search(session, subject, flt)]


def item_choices(session: Session, subject: Subject) -> list[ItemRef]:
    """Items to pick in a filter: code and names, without reading prices or categories."""
    subject.require(Perm.CATALOG_READ)
    rows = catalog_repository.names(session, subject)
    return [ItemRef(code=code, name_zh=zh, name_en=en) for code, zh, en in rows]


def read_item(
    session: Session, subject: Subject, code: str, *, now: datetime, on: date | None = None
) -> ItemRead:
    """One item with its price history, or NotFound."""
    subject.require(Perm.CATALOG_READ)
    item = catalog_repository.get_by_code(session, subject, code)
    return to_read(item, on or local_today(now))


def create_item(
    session: Session, subject: Subject, data: ItemCreate, *, now: datetime
) -> ServiceItem:
    """Add an item with its first price version (taking effect today or later)."""
    subject.require(Perm.CATALOG_WRITE)
    problems: list[FieldProblem] = []
    category: ServiceCategory | None = None
    try:
        category = _category(session, data.category_code)
    except Invalid as exc:
        problems += exc.problems
    if bad := rules.new_version_problem(data.price.effective_date, local_today(now)):
        problems.append(FieldProblem(f"price.{bad.field}", bad.code, bad.message, bad.params))
    if problems:
        fields = ", ".join(dict.fromkeys(p.field for p in problems))
        raise Invalid(
            N_("Some fields are not valid: %(fields)s."), problems=problems, fields=fields
        )
    assert category is not None
    code = data.code.strip()
    if catalog_repository.code_taken(session, code):
        raise Conflict(
            N_("Another service item already uses the code %(value)s."),
            field="code",
            code="duplicate_code",
            value=code,
        )
    item = ServiceItem(
        code=code,
        category=category,
        name_zh=data.name_zh.strip(),
        name_en=data.name_en.strip(),
        unit=data.unit.strip(),
        required_skills=list(dict.fromkeys(str(s) for s in data.required_skills)),
        government_purchasable=data.government_purchasable,
        home_visit=data.home_visit,
        active=data.active,
    )
    item.prices = [ServicePrice(created_at=now, **data.price.model_dump())]
    session.add(item)
    session.flush()
    after = snapshot(item) | {"prices": [_price_snapshot(p) for p in item.prices]}
    audit.record(session, subject, "create", "service_item", item.id, after=after, at=now)
    return item


def update_item(
    session: Session, subject: Subject, code: str, data: ItemUpdate, *, now: datetime
) -> ServiceItem:
    """Change an item's description; the audit row keeps what changed, before and after."""
    subject.require(Perm.CATALOG_WRITE)
    item = catalog_repository.get_by_code(session, subject, code)
    before = snapshot(item)
    given = data.model_dump(exclude_unset=True)
    if data.category_code is not None:
        item.category = _category(session, data.category_code)
    for name in ("name_zh", "name_en", "unit"):
        if given.get(name) is not None:
            setattr(item, name, given[name].strip())
    for name in ("government_purchasable", "home_visit", "active"):
        if given.get(name) is not None:
            setattr(item, name, given[name])
    if data.required_skills is not None:
        item.required_skills = list(dict.fromkeys(str(s) for s in data.required_skills))
    session.flush()
    old, new = audit.changed_fields(before, snapshot(item))
    if new:
        audit.record(
            session, subject, "update", "service_item", item.id, before=old, after=new, at=now
        )
    return item


def add_price(
    session: Session, subject: Subject, code: str, data: PriceIn, *, now: datetime
) -> ServiceItem:
    """Add a price version from a date on; past versions are never edited (orders keep theirs)."""
    subject.require(Perm.CATALOG_WRITE)
    item = catalog_repository.get_by_code(session, subject, code)
    if bad := rules.new_version_problem(data.effective_date, local_today(now)):
        raise Invalid(bad.message, field=bad.field, code=bad.code, **bad.params)
    if rules.is_duplicate_version(data.effective_date, (p.effective_date for p in item.prices)):
        raise Conflict(
            N_("This item already has a price taking effect on %(day)s."),
            field="effective_date",
            code="duplicate_effective_date",
            day=data.effective_date.isoformat(),
        )
    price = ServicePrice(created_at=now, **data.model_dump())
    item.prices.append(price)
    session.flush()
    audit.record(
        session,
        subject,
        "add_price",
        "service_item",
        item.id,
        before=None,
        after=_price_snapshot(price),
        at=now,
    )
    return item
