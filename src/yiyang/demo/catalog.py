"""The packaged service catalog (GB/T 43153-2023 categories, items, versioned prices)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from yiyang.demo.geography import DATA_DIR
from yiyang.registry.catalog.models import ServiceCategory, ServiceItem, ServicePrice
from yiyang.registry.vocab import Skill


@dataclass(frozen=True)
class PriceVersion:
    """One price of an item from an effective date on."""

    effective_date: date
    price_fen: int
    standard_minutes: int


@dataclass(frozen=True)
class CatalogCategory:
    """A GB/T 43153-2023 category."""

    code: str
    name_zh: str
    name_en: str
    sort: int


@dataclass(frozen=True)
class CatalogItem:
    """An orderable service with its skills, flags and price history."""

    code: str
    category: str
    name_zh: str
    name_en: str
    unit: str
    required_skills: tuple[str, ...]
    government_purchasable: bool
    home_visit: bool
    prices: tuple[PriceVersion, ...]

    def price_on(self, day: date) -> PriceVersion:
        """The price version in force on a day (the earliest one before any)."""
        current = self.prices[0]
        for version in self.prices:
            if version.effective_date <= day:
                current = version
        return current


@dataclass(frozen=True)
class Catalog:
    """The whole catalog as read from catalog.json."""

    categories: tuple[CatalogCategory, ...]
    items: tuple[CatalogItem, ...]


@lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """Read and validate the packaged catalog.json (skills must be known Skill values)."""
    raw: dict[str, Any] = json.loads((DATA_DIR / "catalog.json").read_text(encoding="utf-8"))
    categories = tuple(CatalogCategory(**c) for c in raw["categories"])
    known_categories = {c.code for c in categories}
    skills = {str(s) for s in Skill}
    items = []
    for it in raw["items"]:
        if it["category"] not in known_categories:
            raise ValueError(f"catalog item {it['code']}: unknown category {it['category']}")
        unknown = set(it["required_skills"]) - skills
        if unknown:
            raise ValueError(f"catalog item {it['code']}: unknown skills {sorted(unknown)}")
        prices = tuple(
            sorted(
                (
                    PriceVersion(
                        date.fromisoformat(p["effective_date"]),
                        int(p["price_fen"]),
                        int(p["standard_minutes"]),
                    )
                    for p in it["prices"]
                ),
                key=lambda p: p.effective_date,
            )
        )
        items.append(
            CatalogItem(
                code=it["code"],
                category=it["category"],
                name_zh=it["name_zh"],
                name_en=it["name_en"],
                unit=it["unit"],
                required_skills=tuple(it["required_skills"]),
                government_purchasable=bool(it["government_purchasable"]),
                home_visit=bool(it["home_visit"]),
                prices=prices,
            )
        )
    return Catalog(categories=categories, items=tuple(items))


def seed_catalog(session: Session) -> int:
    """Create or update the catalog by code (idempotent); returns the items inserted or changed."""
    catalog = load_catalog()
    existing_cats = {c.code: c for c in session.scalars(select(ServiceCategory))}
    for cat in catalog.categories:
        row = existing_cats.get(cat.code)
        if row is None:
            row = ServiceCategory(code=cat.code)
            session.add(row)
        row.name_zh, row.name_en, row.sort = cat.name_zh, cat.name_en, cat.sort
    session.flush()
    cat_ids = {c.code: c.id for c in session.scalars(select(ServiceCategory))}

    existing_items = {i.code: i for i in session.scalars(select(ServiceItem))}
    known_prices = set(
        session.execute(select(ServicePrice.item_id, ServicePrice.effective_date)).tuples()
    )
    written = 0
    new_prices: list[dict[str, Any]] = []
    for item in catalog.items:
        values = {
            "category_id": cat_ids[item.category],
            "name_zh": item.name_zh,
            "name_en": item.name_en,
            "unit": item.unit,
            "required_skills": list(item.required_skills),
            "government_purchasable": item.government_purchasable,
            "home_visit": item.home_visit,
        }
        item_row = existing_items.get(item.code)
        changed = item_row is None
        if item_row is None:
            item_row = ServiceItem(code=item.code, active=True, **values)
            session.add(item_row)
            session.flush()
        else:
            for key, value in values.items():
                if getattr(item_row, key) != value:
                    setattr(item_row, key, value)
                    changed = True
        # Price versions are history: add the missing ones, never rewrite an existing one.
        for version in item.prices:
            if (item_row.id, version.effective_date) not in known_prices:
                new_prices.append(
                    {
                        "item_id": item_row.id,
                        "effective_date": version.effective_date,
                        "price_fen": version.price_fen,
                        "standard_minutes": version.standard_minutes,
                    }
                )
                changed = True
        written += int(changed)
    if new_prices:
        session.execute(insert(ServicePrice), new_prices)
    session.flush()
    return written
