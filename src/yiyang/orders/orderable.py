"""What one elder may order on a day: the services, their price and the government's share.

The one-tap phone page, the call-centre form and the API all show this list, so that what a
family sees is what an order would cost. Items nobody can order as a home visit (inactive, given
at a centre, or without a price that day) are left out; an elder who is no longer served gets
the same error an order would.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.errors import N_, FieldProblem, Invalid, NotFound
from yiyang.kit.localtime import local_today
from yiyang.orders import repository
from yiyang.orders import subsidy_rules as subsidy
from yiyang.orders.schemas import AllowanceRead, OrderableService, OrderableServices
from yiyang.orders.service import elder_facts, load_elder, price_on
from yiyang.registry.catalog import repository as catalog_repository
from yiyang.registry.catalog.schemas import ItemFilter
from yiyang.registry.elders.models import Elder
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject


def day_problem(
    day: date, today: date, max_days_ahead: int, *, field: str = "on"
) -> FieldProblem | None:
    """Why a service day cannot be ordered (past, or too far ahead), on the named field."""
    if day < today:
        return FieldProblem(field, "in_past", N_("That day is in the past."))
    if day > today + timedelta(days=max_days_ahead):
        return FieldProblem(
            field,
            "too_far",
            N_("Orders can be placed at most %(days)s days ahead."),
            {"days": max_days_ahead},
        )
    return None


def _elder(session: Session, subject: Subject, elder_id: int) -> Elder:
    found = load_elder(session, subject, elder_id)
    if isinstance(found, Elder):
        return found
    if found.code == "unknown_elder":
        raise NotFound(found.message, **found.params)
    raise Invalid(found.message, field=found.field, code=found.code, **found.params)


def _allowance(a: subsidy.Allowance) -> AllowanceRead:
    p = a.policy
    return AllowanceRead(
        policy_code=p.code,
        policy_name=p.name,
        policy_name_en=p.name_en,
        share_percent=p.share_percent,
        per_order_cap_fen=p.per_order_cap_fen,
        item_codes=sorted(p.item_codes),
        monthly_quota_fen=p.monthly_quota_fen,
        month_left_fen=a.month_left_fen,
        monthly_quota_count=p.monthly_quota_count,
        month_left_count=a.month_left_count,
        weekly_quota_count=p.weekly_quota_count,
        week_left_count=a.week_left_count,
    )


def orderable_services(
    session: Session,
    subject: Subject,
    elder_id: int,
    day: date,
    *,
    now: datetime,
    settings: Settings,
) -> OrderableServices:
    """The home-visit services this elder may order on `day`, each priced and split for them."""
    subject.require(Perm.ORDER_CREATE)
    elder = _elder(session, subject, elder_id)
    if bad := day_problem(day, local_today(now), settings.order_max_days_ahead):
        raise Invalid(bad.message, field=bad.field, code=bad.code, **bad.params)
    policies = subsidy.in_force(repository.policies(session), day)
    names = {p.code: p.name for p in policies}
    facts = elder_facts(elder, day)
    used = repository.usage(session, elder.id, day)
    services = []
    items = catalog_repository.search(session, subject, ItemFilter(active=True))
    for item in sorted(items, key=lambda i: (i.category.sort, i.code)):
        price = price_on(item, day)
        if not item.home_visit or price is None:
            continue
        split = subsidy.best_split(
            price.price_fen,
            policies,
            facts,
            used,
            item_code=item.code,
            government_purchasable=item.government_purchasable,
        )
        paid = split.government_fen > 0
        services.append(
            OrderableService(
                code=item.code,
                name_zh=item.name_zh,
                name_en=item.name_en,
                category_code=item.category.code,
                category_name_zh=item.category.name_zh,
                category_name_en=item.category.name_en,
                unit=item.unit,
                standard_minutes=price.standard_minutes,
                price_id=price.id,
                price_fen=price.price_fen,
                price_effective_date=price.effective_date,
                government_purchasable=item.government_purchasable,
                government_fen=split.government_fen,
                elder_fen=split.elder_fen,
                subsidy_reason=split.reason,
                policy_code=split.policy_code if paid else None,
                policy_name=names.get(split.policy_code or "") if paid else None,
            )
        )
    return OrderableServices(
        elder_id=elder.id,
        on=day,
        services=services,
        allowances=[_allowance(a) for a in subsidy.allowances(policies, facts, used)],
    )


def find(listing: OrderableServices, code: str) -> OrderableService:
    """One service of the list, or the error an order for it would get."""
    for service in listing.services:
        if service.code == code:
            return service
    raise Invalid(N_("This service cannot be ordered for this elder."), field="item_code")
