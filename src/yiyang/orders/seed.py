"""Default government-purchase policies (DOMAIN.md §5 examples, verify locally)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from yiyang.orders.models import SubsidyPolicy

SPECIAL_DIFFICULTY = "special_difficulty_monthly"
MEAL = "meal_subsidy"


def seed_policies(session: Session, today: date, *, meal_items: tuple[str, ...] = ()) -> int:
    """Create the default policies once (by code); returns how many were added.

    `meal_items` names the catalog codes of meals; by default every item coded like a meal.
    """
    start = today.replace(month=1, day=1)
    existing = set(session.scalars(select(SubsidyPolicy.code)))
    added = 0
    if SPECIAL_DIFFICULTY not in existing:
        session.add(
            SubsidyPolicy(
                code=SPECIAL_DIFFICULTY,
                name="特殊困难老人政府购买服务（每月600元）",
                name_en="Government purchase for special-difficulty elders (600 yuan a month)",
                effective_date=start,
                eligibility=[
                    {"economic_statuses": ["extreme_poverty", "minimum_living"]},
                    {"special_groups": ["disabled", "severe_disability", "lost_only_child"]},
                    {"special_groups": ["no_family"]},
                    {"min_age": 80, "living_situations": ["alone"]},
                    {"min_capability_level": 3},
                ],
                item_codes=[],
                share_percent=100,
                monthly_quota_fen=60_000,
                priority=10,
                notes="DOMAIN.md §5 example (verify): 600 yuan of services a month.",
            )
        )
        added += 1
    if MEAL not in existing:
        session.add(
            SubsidyPolicy(
                code=MEAL,
                name="助餐补贴（每餐3元，每周至多5餐）",
                name_en="Meal subsidy (3 yuan a meal, at most 5 meals a week)",
                effective_date=start,
                eligibility=[{"min_age": 60}],
                item_codes=list(meal_items) or ["meal_delivery", "meal_centre"],
                share_percent=100,
                per_order_cap_fen=300,
                weekly_quota_count=5,
                priority=0,
                notes="DOMAIN.md §5 example (verify): 3 yuan a meal, at most 5 a week.",
            )
        )
        added += 1
    session.flush()
    return added
