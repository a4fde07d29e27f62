"""The report's figures from rows (pure): alarm times against the targets, continuity of
care, satisfaction and places in use. Order counters are the big screen's own
(console/screen/figures.order_counters), so both count an order the same way."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from yiyang.alarms.handling import rules as alarm_rules

# A responder on site 90 % of the time within 45 minutes (DOMAIN.md, UK telecare code).
ON_SITE_WITHIN = timedelta(minutes=45)
ON_SITE_TARGET = 0.90
CONTINUITY_DAYS = 30
CONTINUITY_BANDS = ("1", "2", "3", "4+")
SCORES = (5, 4, 3, 2, 1)


@dataclass(frozen=True)
class AlarmTimes:
    """One kind of alarm's counts and times in a period."""

    raised: int
    answered_60: int
    counted_60: int
    answered_180: int
    counted_180: int
    median_answer_s: float | None
    sent: int  # alarms a responder was sent to
    on_site: int  # of those, a responder there within ON_SITE_WITHIN
    on_site_counted: int  # arrived, or ON_SITE_WITHIN has passed since the first was sent
    median_on_site_min: float | None

    def share(self, part: int, whole: int) -> float | None:
        """part / whole, or None when nothing counts."""
        return part / whole if whole else None


def median(values: Sequence[float]) -> float | None:
    """The median, or None of nothing."""
    return statistics.median(values) if values else None


def alarm_times(alarms: Iterable[Mapping[str, Any]], now: datetime) -> AlarmTimes:
    """Answer times (alarms.handling.rules.compliance) and time to the first responder on
    site from the alarm being raised, for responders sent (a fresh one is not yet a miss)."""
    rows = list(alarms)
    c60, c180 = alarm_rules.compliance([(a["raised_at"], a["acknowledged_at"]) for a in rows], now)
    answers = [
        (a["acknowledged_at"] - a["raised_at"]).total_seconds()
        for a in rows
        if a["acknowledged_at"] is not None
    ]
    sent = [a for a in rows if a["sent_at"] is not None]
    on_site = counted = 0
    minutes = []
    for a in sent:
        if a["arrived_at"] is not None:
            took = a["arrived_at"] - a["raised_at"]
            minutes.append(took.total_seconds() / 60.0)
            counted += 1
            on_site += took <= ON_SITE_WITHIN
        elif now - a["raised_at"] > ON_SITE_WITHIN:
            counted += 1
    return AlarmTimes(
        raised=len(rows), answered_60=c60.answered, counted_60=c60.counted,
        answered_180=c180.answered, counted_180=c180.counted, median_answer_s=median(answers),
        sent=len(sent), on_site=on_site, on_site_counted=counted,
        median_on_site_min=median(minutes),
    )  # fmt: skip


def alarm_times_by_type(
    alarms: Iterable[Mapping[str, Any]], now: datetime
) -> dict[str, AlarmTimes]:
    """alarm_times per alarm type."""
    by_type: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for a in alarms:
        by_type[a["type"]].append(a)
    return {kind: alarm_times(rows, now) for kind, rows in sorted(by_type.items())}


def continuity(pairs: Iterable[tuple[int, int]]) -> tuple[Counter[str], float | None]:
    """Elders by how many distinct caregivers visited them (bands 1, 2, 3, 4+), and the mean."""
    per_elder: Counter[int] = Counter()
    for elder_id, _ in set(pairs):
        per_elder[elder_id] += 1
    bands: Counter[str] = Counter()
    for n in per_elder.values():
        bands[str(n) if n < 4 else "4+"] += 1
    mean = sum(per_elder.values()) / len(per_elder) if per_elder else None
    return bands, mean


def mean_score(scores: Iterable[int | None]) -> tuple[float | None, int]:
    """The mean of the scores given (None skipped) and how many there were."""
    given = [s for s in scores if s is not None]
    return (sum(given) / len(given) if given else None), len(given)


def places_used(
    places: Iterable[tuple[int, str, int]],
    in_use: Mapping[tuple[int, date], int],
    first: date,
    last: date,
) -> dict[str, tuple[int, float]]:
    """Per facility kind: (places, average places in use a day). A facility's use on a day is
    capped at its places, as the big screen caps it."""
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    out: dict[str, list[float]] = defaultdict(lambda: [0, 0.0])
    for facility_id, kind, n in places:
        used = sum(min(in_use.get((facility_id, d), 0), n) for d in days)
        out[kind][0] += n
        out[kind][1] += used / len(days)
    return {k: (int(v[0]), v[1]) for k, v in out.items()}
