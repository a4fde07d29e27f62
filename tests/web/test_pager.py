"""The pager shows the ends, the gaps and two pages either side, and never walks every page."""

from __future__ import annotations

import re
from typing import Any

from yiyang.kit.pagination import Page
from yiyang.web.templating import env

PAGER = env.from_string('{% import "_macros.html" as m with context %}{{ m.pager(page, url) }}')


def expected(page: int, last: int) -> list[str]:
    """What the pager showed when it looked at every page number in turn."""
    shown = []
    for n in range(1, last + 1):
        if n == 1 or n == last or abs(n - page) <= 2:
            shown.append(f"[{n}]" if n == page else str(n))
        elif n in (2, last - 1):
            shown.append("…")
    return shown


def shown(page: int, total: int, more: bool = False) -> list[str]:
    html = PAGER.render(
        page=Page[Any](items=[], total=total, page=page, size=10, more=more),
        url=lambda n: f"/x?page={n}",
        _=lambda s: s,
    )
    nav = html.split('rel="prev"')[-1].split('rel="next"')[0]
    parts = re.findall(r'<span class="current"[^>]*>(\d+)</span>|>(\d+)</a>|(…)', nav)
    return [f"[{a}]" if a else b or c for a, b, c in parts]


def test_same_numbers_and_gaps_as_a_walk_over_every_page() -> None:
    for last in range(1, 14):
        for page in range(1, last + 3):
            assert shown(page, last * 10) == expected(page, last), (page, last)


def test_a_capped_count_offers_the_page_after_the_last_counted() -> None:
    assert shown(3, 30, more=True) == expected(3, 4)


class Watched:
    """A page whose number counts how often the template reads it (once a step of a loop)."""

    def __init__(self, page: int, total: int) -> None:
        self.total, self.size, self.more, self._page, self.reads = total, 10, False, page, 0

    @property
    def page(self) -> int:
        self.reads += 1
        return self._page


def test_two_hundred_thousand_rows_render_a_handful_of_links() -> None:
    assert shown(5000, 200_000) == ["1", "…", "4998", "4999", "[5000]", "5001", "5002", "…",
                                    "20000"]  # fmt: skip
    page = Watched(1, 200_000)
    PAGER.render(page=page, url=lambda n: f"/x?page={n}", _=lambda s: s)
    assert page.reads < 60  # not once per page of the 20,000
