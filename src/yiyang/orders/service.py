"""Order use cases: quote, create (idempotent), move along the state machine, cancel, list.

Automatic dispatch on creation lives one layer up (`dispatch.service.submit_order`), since
dispatch depends on orders and never the other way round.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from yiyang.config import Settings
from yiyang.errors import N_, FieldProblem, Forbidden, Invalid
from yiyang.kit.idcard import age_on
from yiyang.kit.localtime import local_today
from yiyang.kit.pagination import Page, PageParams
from yiyang.orders import repository, rules, subsidy_words
from yiyang.orders import subsidy_rules as subsidy
from yiyang.orders.disclosure import order_viewer
from yiyang.orders.events import publish_timeline
from yiyang.orders.models import OrderEvent, ServiceOrder
from yiyang.orders.schemas import OrderCreate, OrderFilter, OrderListItem, Quote, QuoteRequest
from yiyang.registry.catalog import repository as catalog_repository
from yiyang.registry.catalog.models import ServiceItem
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders.models import Elder
from yiyang.security.disclosure import disclosed
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject

# An order list counts this far: past it, "more than 10,000" (not a count(*) of every order).
COUNT_CAP = 10_000


@dataclass(frozen=True)
class Priced:
    """An elder, an item and the quote for one window (what an order is made of)."""

    elder: Elder
    item: ServiceItem
    quote: Quote


def _raise_if(problems: list[FieldProblem]) -> None:
    if problems:
        fields = ", ".join(dict.fromkeys(p.field for p in problems))
        raise Invalid(
            N_("Some fields are not valid: %(fields)s."), problems=problems, fields=fields
        )


_INACTIVE = {
    "deceased": N_("This elder has passed away: no new orders can be placed."),
    "moved": N_("This elder has moved away: no new orders can be placed."),
}


def load_elder(session: Session, subject: Subject, elder_id: int) -> Elder | FieldProblem:
    """A readable, active elder with groups loaded, or the problem naming why not."""
    elder = session.scalar(
        elder_repository.readable(subject)
        .where(Elder.id == elder_id)
        .options(selectinload(Elder.groups))
    )
    if elder is None:
        return FieldProblem(
            "elder_id", "unknown_elder", N_("Elder %(id)s not found."), {"id": elder_id}
        )
    if elder.status != "active":
        message = _INACTIVE.get(elder.status, N_("This elder is no longer served (%(status)s)."))
        return FieldProblem("elder_id", "elder_inactive", message, {"status": elder.status})
    return elder


def load_item(session: Session, code: str) -> ServiceItem | FieldProblem:
    """An active home-visit item with its prices, or the problem naming why it cannot be ordered."""
    item = catalog_repository.item_with_prices(session, code=code)
    if item is None:
        return FieldProblem(
            "item_code", "unknown_item", N_("Unknown service %(item)s."), {"item": code}
        )
    if not item.home_visit:
        return FieldProblem(
            "item_code",
            "not_home_visit",
            N_("This service is given at a centre, not at home: it cannot be ordered here."),
        )
    return item


def price_on(item: ServiceItem, day: date) -> rules.PriceFacts | None:
    """The item's price version in force on a day (prices loaded)."""
    return rules.price_for(
        [
            rules.PriceFacts(p.id, p.effective_date, p.price_fen, p.standard_minutes)
            for p in item.prices
        ],
        day,
    )


def elder_facts(elder: Elder, on: Any) -> subsidy.ElderFacts:
    """The eligibility facts of an elder on a date (groups must be loaded)."""
    return subsidy.ElderFacts(
        age=age_on(elder.birth_date, on),
        special_groups=frozenset(g.code for g in elder.groups),
        economic_status=elder.economic_status,
        living_situation=elder.living_situation,
        capability_level=elder.capability_level,
    )


def price_order(
    session: Session,
    subject: Subject,
    *,
    elder_id: int,
    item_code: str,
    window_start: datetime,
    window_end: datetime | None,
    government_purchase: bool | None,
    now: datetime,
    settings: Settings,
    exclude_order_id: int | None = None,
) -> Priced:
    """Check elder, item and window; price from the version in force; split with subsidies."""
    problems: list[FieldProblem] = []
    elder = load_elder(session, subject, elder_id)
    item = load_item(session, item_code)
    for found in (elder, item):
        if isinstance(found, FieldProblem):
            problems.append(found)
    day = local_today(window_start)
    price = None
    if isinstance(item, ServiceItem):
        price = price_on(item, day)
        if price is None:
            problems.append(
                FieldProblem("item_code", "no_price", N_("This service has no price on that day."))
            )
    if price is not None:
        end = window_end or window_start + timedelta(minutes=price.standard_minutes)
        problems += rules.window_problems(
            window_start,
            end,
            now=now,
            standard_minutes=price.standard_minutes,
            max_days_ahead=settings.order_max_days_ahead,
        )
    _raise_if(problems)
    assert isinstance(elder, Elder) and isinstance(item, ServiceItem) and price is not None
    if government_purchase is False:
        split = subsidy.Split(0, price.price_fen, subsidy.NOT_REQUESTED)
    else:
        split = subsidy.best_split(
            price.price_fen,
            subsidy.in_force(repository.policies(session), day),
            elder_facts(elder, day),
            repository.usage(session, elder.id, day, exclude_order_id=exclude_order_id),
            item_code=item.code,
            government_purchasable=item.government_purchasable,
        )
        if government_purchase and split.reason in subsidy.INELIGIBLE_REASONS:
            raise Invalid(
                N_("This elder is not eligible for government purchase of this service."),
                field="government_purchase",
                code="not_eligible",
                problems=subsidy_words.problems(split.misses),
            )
    quote = Quote(
        item_code=item.code,
        price_id=price.id,
        price_effective_date=price.effective_date,
        price_fen=price.price_fen,
        standard_minutes=price.standard_minutes,
        government_fen=split.government_fen,
        elder_fen=split.elder_fen,
        subsidy_reason=split.reason,
        policy_id=split.policy_id if split.government_fen > 0 else None,
        policy_code=split.policy_code if split.government_fen > 0 else None,
        subsidy_misses=[subsidy_words.miss_read(m) for m in split.misses],
    )
    return Priced(elder, item, quote)


def quote(
    session: Session,
    subject: Subject,
    data: QuoteRequest,
    *,
    now: datetime,
    settings: Settings,
) -> Quote:
    """The price and who pays what, before confirming (nothing is written)."""
    subject.require(Perm.ORDER_CREATE)
    return price_order(
        session,
        subject,
        elder_id=data.elder_id,
        item_code=data.item_code,
        window_start=data.window_start,
        window_end=data.window_end,
        government_purchase=data.government_purchase,
        now=now,
        settings=settings,
    ).quote


def record(
    session: Session,
    order: ServiceOrder,
    event: str,
    *,
    actor: Subject | None,
    now: datetime,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> OrderEvent:
    """Apply one event through the state machine and write its timeline row (caller locked)."""
    new = rules.transition(order.status, event)
    row = OrderEvent(
        order_id=order.id,
        at=now,
        actor_user_id=actor.user_id if actor else None,
        actor_role=str(actor.role) if actor and actor.user_id is not None else "system",
        actor_name=actor.display_name if actor else "system",
        event=str(event),
        from_status=order.status,
        to_status=str(new),
        reason=reason,
        detail=detail or {},
    )
    provider_step, caregiver_step = rules.STEP_STATUS.get(rules.Event(event), (None, None))
    if provider_step:
        order.provider_status = provider_step
    if caregiver_step:
        order.caregiver_status = caregiver_step
    if event == rules.Event.CANCEL:
        order.cancel_reason = reason
    order.status = str(new)
    order.updated_at = now
    session.add(row)
    publish_timeline(session, order, row, actor)
    return row


def body_hash(data: OrderCreate) -> str:
    """SHA-256 of the validated body (times in UTC, defaults filled): the same request twice
    hashes the same however its JSON was spelled."""
    return hashlib.sha256(data.model_dump_json().encode()).hexdigest()


def _replayed(session: Session, subject: Subject, found: ServiceOrder, digest: str) -> ServiceOrder:
    """The first order of a reused key, unless the key now comes with another body."""
    if found.idempotency_hash is not None and found.idempotency_hash != digest:
        raise Invalid(
            N_("This Idempotency-Key was already used for a different order: use a new key."),
            code="idempotency_key_reused",
            field="idempotency_key",
        )
    return repository.get(session, subject, found.id)


def create_order(
    session: Session,
    subject: Subject,
    data: OrderCreate,
    *,
    now: datetime,
    idempotency_key: str | None = None,
    settings: Settings,
    recurring_id: int | None = None,
) -> tuple[ServiceOrder, bool]:
    """Create a priced order; the same key from the same creator returns the first order.

    Returns (order, created): created is False when the key was seen before.
    """
    subject.require(Perm.ORDER_CREATE)
    key = (idempotency_key or "").strip() or None
    if key is not None:
        if len(key) > 80:
            raise Invalid(N_("The idempotency key is too long."), field="idempotency_key")
        if found := repository.by_idempotency_key(session, subject.user_id, key):
            return _replayed(session, subject, found, body_hash(data)), False
    priced = price_order(
        session,
        subject,
        elder_id=data.elder_id,
        item_code=data.item_code,
        window_start=data.window_start,
        window_end=data.window_end,
        government_purchase=data.government_purchase,
        now=now,
        settings=settings,
    )
    q = priced.quote
    order = ServiceOrder(
        elder_id=priced.elder.id,
        item_id=priced.item.id,
        # Held by the order, the rows just read stay in the identity map for dispatch (the
        # session keeps only weak references to unchanged objects).
        elder=priced.elder,
        item=priced.item,
        channel=str(data.channel),
        window_start_at=data.window_start,
        window_end_at=data.window_end,
        service_date=local_today(data.window_start),
        status=rules.Status.CREATED,
        price_id=q.price_id,
        price_fen=q.price_fen,
        standard_minutes=q.standard_minutes,
        government_fen=q.government_fen,
        elder_fen=q.elder_fen,
        government_purchase=q.government_fen > 0,
        policy_id=q.policy_id,
        subsidy_reason=q.subsidy_reason,
        idempotency_key=key,
        idempotency_hash=body_hash(data) if key else None,
        recurring_id=recurring_id,
        created_by_id=subject.user_id,
        notes=data.notes,
        created_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(order)
            session.flush()
    except IntegrityError:
        # A concurrent submission with the same key won the race: hand back its order.
        found = repository.by_idempotency_key(session, subject.user_id, key) if key else None
        if found is None:
            raise
        return _replayed(session, subject, found, body_hash(data)), False
    created = OrderEvent(
        order_id=order.id,
        at=now,
        actor_user_id=subject.user_id,
        actor_role=str(subject.role) if subject.user_id is not None else "system",
        actor_name=subject.display_name,
        event="create",
        from_status=None,
        to_status=rules.Status.CREATED,
        detail={"channel": str(data.channel)},
    )
    session.add(created)
    publish_timeline(session, order, created, subject)
    record(
        session,
        order,
        rules.Event.PRICE,
        actor=None,
        now=now,
        detail={
            "price_fen": q.price_fen,
            "government_fen": q.government_fen,
            "elder_fen": q.elder_fen,
            "subsidy_reason": q.subsidy_reason,
            "policy_code": q.policy_code,
        },
    )
    session.flush()
    return order, True


def transition(
    session: Session,
    subject: Subject,
    order_id: int,
    event: str,
    *,
    now: datetime,
    reason: str | None = None,
    detail: dict[str, Any] | None = None,
) -> ServiceOrder:
    """Move a readable order by an event the subject's role may fire; one timeline row."""
    subject.require(Perm.ORDER_ACT)
    if not rules.may_fire(str(subject.role), event):
        raise Forbidden(
            N_("Your role may not take this step on an order."), event=event, code="event_forbidden"
        )
    order = repository.get(session, subject, order_id, lock=True)
    record(session, order, event, actor=subject, now=now, reason=reason, detail=detail)
    session.flush()
    return order


def cancel(
    session: Session, subject: Subject, order_id: int, *, now: datetime, reason: str | None
) -> ServiceOrder:
    """Cancel an order that has not started yet."""
    return transition(session, subject, order_id, rules.Event.CANCEL, now=now, reason=reason)


def list_values(order: ServiceOrder) -> dict[str, Any]:
    """The values of an order's list row (loaded as `repository.LIST_LOADS` says)."""
    staff = order.staff
    return dict(
        id=order.id,
        elder_id=order.elder_id,
        elder_name=order.elder.name,
        item_code=order.item.code,
        item_name=order.item.name_zh,
        item_name_en=order.item.name_en,
        channel=order.channel,
        window_start=order.window_start_at,
        window_end=order.window_end_at,
        service_date=order.service_date,
        status=order.status,
        provider_id=order.provider_id,
        provider_status=order.provider_status,
        staff_id=order.staff_id,
        caregiver_status=order.caregiver_status,
        price_fen=order.price_fen,
        government_fen=order.government_fen,
        elder_fen=order.elder_fen,
        created_at=order.created_at,
        street_name=order.elder.street.name,
        community_name=order.elder.community.name,
        provider_name=order.provider.name if order.provider else None,
        staff_name=staff.name if staff else None,
        facility_name=staff.facility.name if staff and staff.facility else None,
        facility_phone=staff.facility.phone if staff and staff.facility else None,
        planned_start=order.planned_start_at,
        cross_street=_cross_street(order),
    )


def _cross_street(order: ServiceOrder) -> bool:
    """Whether the order's caregiver is based at a centre in another street than the elder."""
    centre = order.staff.facility if order.staff is not None else None
    return centre is not None and centre.street_id != order.elder.street_id


def to_list_item(subject: Subject, order: ServiceOrder) -> OrderListItem:
    """An order as a list row for this subject (who serves it shown as their role allows)."""
    return disclosed(OrderListItem, order_viewer(subject, order), list_values(order))


def list_orders(
    session: Session, subject: Subject, flt: OrderFilter, page: PageParams
) -> Page[OrderListItem]:
    """A page of orders in scope; an inverted date range is refused, not silently empty."""
    subject.require(Perm.ORDER_READ)
    if flt.date_from and flt.date_to and flt.date_to < flt.date_from:
        raise Invalid(
            N_("The end date is before the start date."), field="date_to", code="inverted"
        )
    rows, total, more = repository.search(session, subject, flt, page, count_cap=COUNT_CAP)
    items = [to_list_item(subject, o) for o in rows]
    return Page(items=items, total=total, page=page.page, size=page.size, more=more)
