"""Demo history: a week of delivered visits, some of them doubtful, and settlement runs.

Without it the exceptions queue and the settlement pages are empty. Visits go through the
real path (dispatch, the caregiver's check-in and check-out, the family's rating), so their
flags, alerts and payability are the product's own; one in ten is the review's bath (hours
early, a kilometre outside the fence, minutes long), a few are short or outside the fence.
Then the previous month is settled: drafts for every provider, one reviewed and closed, an
exception approved after closing (an adjustment in this month's draft), one asked about.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from yiyang.config import Settings
from yiyang.demo.day import seed_orders
from yiyang.dispatch import service as dispatch_service
from yiyang.errors import DomainError
from yiyang.kit.geo import haversine_m
from yiyang.kit.localtime import local_today
from yiyang.orders.models import ServiceOrder
from yiyang.security.roles import Role
from yiyang.security.subject import Subject, system_subject
from yiyang.visits import feedback, return_visits
from yiyang.visits import repository as visit_repository
from yiyang.visits import service as visit_service
from yiyang.visits.payment import assessing, exceptions, settlements
from yiyang.visits.payment.models import SettlementRun
from yiyang.visits.payment.rules import next_month
from yiyang.visits.payment.schemas import ReviewIn, RunCreate
from yiyang.visits.policy import policy_from
from yiyang.visits.schemas import CheckIn, CheckOut, Position, RatingIn

DAYS = 8
PER_DAY = 10
DEMO_CALL_BACK_PERCENT = 50


def _north(lat: float, lon: float, metres: float) -> tuple[float, float]:
    step = 0.0001
    return lat + metres / haversine_m(lat, lon, lat + step, lon) * step, lon


def _carer(order: ServiceOrder) -> Subject:
    name = order.staff.name if order.staff else ""
    return Subject(
        user_id=None, username="demo-caregiver", display_name=name,
        role=Role.CAREGIVER, staff_id=order.staff_id, provider_id=order.provider_id,
    )  # fmt: skip


def _deliver(session: Session, order: ServiceOrder, n: int, *, settings: Settings) -> None:
    """Check in and out as the caregiver would have; every tenth the review's bath."""
    policy = policy_from(settings)
    who = _carer(order)
    lat, lon = order.elder.lat, order.elder.lon
    start, minutes, away, reason = order.window_start_at, order.standard_minutes, 0.0, None
    if n % 10 == 0:
        start, minutes, away, reason = start - timedelta(hours=17), 0, 1016.0, "tasks_done"
    elif n % 10 == 4:
        minutes, reason = 8, "elder_not_home"
    elif n % 10 == 7:
        away = 420.0
    point = _north(lat, lon, away) if away else (lat, lon)
    position = Position(lat=point[0], lon=point[1], accuracy_m=12)
    key = settings.secret_key or "demo"
    visit_service.check_in(
        session, who, order.id, CheckIn(method="gps", position=position), now=start,
        secret_key=key, policy=policy,
    )  # fmt: skip
    out = CheckOut(method="gps", position=position, short_reason=reason)
    visit_service.check_out(
        session, who, order.id, out, now=start + timedelta(minutes=minutes), secret_key=key,
        policy=policy,
    )  # fmt: skip
    if n % 3 == 0:
        family = Subject(
            user_id=None, username="demo-family", display_name="family", role=Role.FAMILY,
            elder_id=order.elder_id,
        )  # fmt: skip
        score = 1 if n % 10 == 9 else 5
        feedback.confirm(
            session, family, order.id, RatingIn(score=score), now=start + timedelta(hours=3),
            policy=policy,
        )  # fmt: skip


def seed_history(session: Session, *, now: datetime, settings: Settings) -> int:
    """Deliver a week of visits before `now` and settle the previous month; returns visits."""
    if session.scalar(select(func.count(SettlementRun.id))):
        return 0
    done = 0
    for back in range(DAYS, 0, -1):
        placed_at = now - timedelta(days=back + 1)
        seed_orders(session, now=placed_at, settings=settings, count=PER_DAY, seed=2026 + back)
    accepted = session.scalars(
        select(ServiceOrder)
        .where(ServiceOrder.status == "caregiver_accepted", ServiceOrder.window_end_at < now)
        .order_by(ServiceOrder.window_start_at, ServiceOrder.id)
    ).all()
    for n, order in enumerate(accepted):
        try:
            with session.begin_nested():
                full = visit_repository.get_order(session, system_subject("demo"), order.id)
                _deliver(session, full, n, settings=settings)
                done += 1
        except DomainError:
            continue
    _tidy(session, now=now, settings=settings)
    _settle(session, now=now, settings=settings)
    _call_backs(session, now=now, settings=settings)
    return done


def _call_backs(session: Session, *, now: datetime, settings: Settings) -> None:
    """The daily return-visit samples of the past week (half of each day, so the operators'
    queue has calls due today and overdue ones)."""
    demo = settings.model_copy(update={"return_visit_share_percent": DEMO_CALL_BACK_PERCENT})
    for back in range(DAYS, 0, -1):
        return_visits.sample_day(session, local_today(now) - timedelta(days=back), demo, now=now)


def _tidy(session: Session, *, now: datetime, settings: Settings) -> None:
    """Cancel what the past week left undelivered, so no stale offer or timer fires later."""
    stale = session.scalars(
        select(ServiceOrder.id).where(
            ServiceOrder.window_end_at < now,
            ServiceOrder.status.not_in(("completed", "confirmed", "settled", "cancelled")),
        )
    ).all()
    for order_id in stale:
        try:
            with session.begin_nested():
                dispatch_service.act(
                    session, system_subject("demo"), order_id, "cancel", now=now,
                    reason="demo history", settings=settings,
                )  # fmt: skip
        except DomainError:
            continue


def _settle(session: Session, *, now: datetime, settings: Settings) -> None:
    """Drafts for the week's first month; the largest provider's closed, then corrected."""
    admin = system_subject("demo")
    policy = policy_from(settings)
    first = session.scalar(
        select(func.min(ServiceOrder.window_start_at)).where(ServiceOrder.status == "completed")
    )
    if first is None:
        return
    month = assessing.month_of(first)
    runs = settlements.create_runs(session, admin, RunCreate(month=month), now=now, policy=policy)
    if not runs:
        return
    biggest = max(runs, key=lambda r: (r.count + r.excluded, -r.id))
    settlements.act(session, admin, biggest.id, "review", now=now, policy=policy)
    settlements.act(session, admin, biggest.id, "close", now=now, policy=policy)
    unpaid = [a for a in assessing.delivered_in(session, admin, month, None, policy)
              if not a.pay.payable]  # fmt: skip
    own = [a for a in unpaid if a.order.provider_id == biggest.provider_id]
    others: dict[int | None, list[assessing.Assessed]] = {}
    for a in unpaid:
        if a.order.provider_id != biggest.provider_id:
            others.setdefault(a.order.provider_id, []).append(a)
    words = {
        "approve": "家属电话确认服务已完成。",
        "ask": "请说明这次服务的实际情况，并提供家属的确认。",
        "reject": "签到位置离老人家一公里以上，不予支付。",
    }
    decided = [(a, "approve") for a in own[:1]] + [(a, "reject") for a in own[1:2]]
    decided += [(items[0], "ask") for items in others.values()]  # every provider has a question
    for item, decision in decided:
        exceptions.review(
            session, admin, item.order.id, ReviewIn(decision=decision, reason=words[decision]),
            now=now, policy=policy, locale="zh_CN",
        )  # fmt: skip
    if month < assessing.month_of(now):
        settlements.create_runs(
            session, admin, RunCreate(month=next_month(month), provider_id=biggest.provider_id),
            now=now, policy=policy,
        )  # fmt: skip
