"""Build the bureau's report of a period: services, government purchase, punctuality,
supervision, complaints, satisfaction, continuity, alarms, devices and places in use.

Orders are counted by the big screen's own functions over the same rows, so a report of
today equals the screen (tests/console/reports/test_equals_screen.py). Everything a reader
sees is translated here; the page, the print and the workbook only lay it out.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from yiyang.alarms.handling.rules import ANSWER_TARGETS
from yiyang.alarms.kinds import LABELS as ALARM_LABELS
from yiyang.config import Settings
from yiyang.console.reports import figures as rf
from yiyang.console.reports import repository as queries
from yiyang.console.reports.model import Column, Figure, Report, Table
from yiyang.console.reports.period import Period
from yiyang.console.screen import figures as sf
from yiyang.console.screen import repository as screen_queries
from yiyang.devices import availability_repository
from yiyang.errors import N_
from yiyang.orders.page_helpers import CHANNEL_LABELS
from yiyang.registry.vocab import LABELS as VOCAB_LABELS
from yiyang.security.subject import Subject
from yiyang.visits.payment.rules import REASON_LABELS
from yiyang.visits.payment.tally import tally_between
from yiyang.visits.policy import policy_from
from yiyang.visits.wording import CATEGORY_WORDS, OUTCOME_WORDS
from yiyang.web.i18n import translate

TARGET_60, TARGET_180 = (target for _, target in ANSWER_TARGETS)
ALARM_WORDS: dict[str, str] = {kind.value: words for kind, words in ALARM_LABELS.items()}
STATE_OF = {"approved": "approved", "rejected": "rejected", "asked": "asked", "open": "pending"}
DECISION_WORDS = {
    "approved": N_("Approved by a reviewer"),
    "rejected": N_("Payment rejected"),
    "asked": N_("Provider asked to explain"),
    "pending": N_("Waiting for review"),
}


@dataclass(frozen=True)
class Scope:
    """Whom the report is for: some streets (None: the district) and perhaps one provider."""

    streets: set[int] | None
    street_name: str | None = None
    provider_id: int | None = None
    provider_name: str | None = None


def _share(part: float, whole: float) -> float | None:
    return part / whole if whole else None


class _Builder:
    """One report being put together (holds the rows read once, the words of one locale)."""

    def __init__(
        self, session: Session, subject: Subject, scope: Scope, period: Period, *,
        now: datetime, settings: Settings, locale: str,
    ) -> None:  # fmt: skip
        self.session, self.subject, self.scope, self.period = session, subject, scope, period
        self.now, self.settings, self.locale = now, settings, locale
        self.t: Callable[[str], str] = lambda s: translate(locale, s)
        self.tp: Callable[..., str] = lambda s, **params: translate(locale, s, params)
        rows = screen_queries.orders_of(
            session, between=(period.first, period.last), streets=scope.streets,
            provider_id=scope.provider_id,
        )  # fmt: skip
        checked = screen_queries.checked_in_between(session, period.first, period.last)
        self.rows = rows
        self.views = [
            sf.order_view(r, checked.get(r["id"])) | {"provider_id": r["provider_id"]} for r in rows
        ]
        # Completion counts the orders whose window is over (a month in progress is not
        # behind for the orders still to come); a served order is due whenever it was served.
        self.due: dict[str, Counter[Any]] = {
            key: Counter(
                v[key] for r, v in zip(rows, self.views, strict=True)
                if v["phase"] == "done"
                or (v["phase"] != "cancelled" and r["window_end_at"] <= now)
            )
            for key in ("street_id", "provider_id")
        }  # fmt: skip
        self.providers = queries.provider_names(session)
        self.streets = {i: n for i, _, n in screen_queries.streets(session)}

    def name(self, zh: str, en: str | None) -> str:
        return zh if self.locale == "zh_CN" or not en else en

    def col(self, label: str, kind: str = "count") -> Column:
        return Column(self.t(label), kind)

    def order_cells(self, c: Mapping[str, int], due: int) -> list[Any]:
        return [
            c["placed"], c["served"], _share(c["served"], due),
            _share(c["on_time"], c["timed"]), _share(c["cross"], c["with_centre"]),
            c["unplaceable"], c["gov_fen"],
        ]  # fmt: skip

    def order_columns(self, first: str) -> list[Column]:
        return [
            self.col(first, "text"), self.col(N_("Orders")), self.col(N_("Served")),
            self.col(N_("Completion of orders due"), "share"),
            self.col(N_("On time"), "share"),
            self.col(N_("Served from another street"), "share"),
            self.col(N_("Nobody available")), self.col(N_("Government purchase"), "fen"),
        ]  # fmt: skip

    # --- sections ---------------------------------------------------------------------

    def services(self) -> Table:
        cats = queries.categories(self.session)
        channels = sorted({r["channel"] for r in self.rows}, key=list(CHANNEL_LABELS).index)
        placed: dict[int, Counter[str]] = defaultdict(Counter)
        served: Counter[int] = Counter()
        for r, v in zip(self.rows, self.views, strict=True):
            if v["phase"] == "cancelled":
                continue
            placed[r["category_id"]][r["channel"]] += 1
            served[r["category_id"]] += v["phase"] == "done"
        channel_words = [self.t(CHANNEL_LABELS.get(c, c)) for c in channels]
        table = Table(
            "services", self.t(N_("Services by category and channel")),
            [self.col(N_("Category"), "text"), *(Column(w) for w in channel_words),
             self.col(N_("Orders")), self.col(N_("Served"))],
        )  # fmt: skip
        for cat_id, _, zh, en in cats:
            if cat_id not in placed:
                continue
            by = placed[cat_id]
            table.rows.append(
                [self.name(zh, en), *(by[c] for c in channels), sum(by.values()), served[cat_id]]
            )
        table.total = [self.t(N_("Totals")), *(sum(r[i + 1] for r in table.rows)
                       for i in range(len(channels) + 2))]  # fmt: skip
        table.chart = {
            "kind": "bar", "stack": True, "labels": [r[0] for r in table.rows],
            "series": [{"name": w, "values": [r[i + 1] for r in table.rows]}
                       for i, w in enumerate(channel_words)],
        }  # fmt: skip
        return table

    def by_street(self) -> Table:
        per = sf.order_counters(self.views)
        table = Table("streets", self.t(N_("By street")), self.order_columns(N_("Street")))
        for sid, name in self.streets.items():
            if sid in per:
                table.rows.append([name, *self.order_cells(per[sid], self.due["street_id"][sid])])
        due = sum(self.due["street_id"].values())
        table.total = [self.t(N_("Totals")), *self.order_cells(sf.summed(per, None), due)]
        table.chart = {
            "kind": "bar", "labels": [r[0] for r in table.rows],
            "series": [{"name": self.t(N_("Orders")), "values": [r[1] for r in table.rows]},
                       {"name": self.t(N_("Served")), "values": [r[2] for r in table.rows]}],
        }  # fmt: skip
        return table

    def by_provider(self, flagged: Mapping[int | None, int], complaints: Counter[int | None],
                    satisfaction: Mapping[int | None, list[int | None]],
                    caregivers: Mapping[int | None, float | None]) -> Table:  # fmt: skip
        per = sf.order_counters(self.views, key="provider_id")
        table = Table(
            "providers", self.t(N_("By provider")),
            [*self.order_columns(N_("Provider")), self.col(N_("Visits with exceptions")),
             self.col(N_("Complaints")), self.col(N_("Average satisfaction"), "score"),
             self.col(N_("Caregivers per elder (30 days)"), "score")],
        )  # fmt: skip
        for pid, c in sorted(per.items(), key=lambda kv: -kv[1]["placed"]):
            name = self.providers.get(pid, "") if pid else self.t(N_("Not yet with a provider"))
            mean, _ = rf.mean_score(satisfaction.get(pid, []))
            table.rows.append([
                name, *self.order_cells(c, self.due["provider_id"][pid]), flagged.get(pid, 0),
                complaints.get(pid, 0), mean, caregivers.get(pid),
            ])  # fmt: skip
        return table

    def government(self) -> tuple[Table, Table]:
        names = queries.policy_names(self.session)
        per: dict[int | None, list[int]] = defaultdict(lambda: [0, 0, 0])
        for r, v in zip(self.rows, self.views, strict=True):
            if v["phase"] == "done" and r["government_fen"]:
                cell = per[r["policy_id"]]
                cell[0] += 1
                cell[1] += r["government_fen"]
                cell[2] += r["elder_fen"]
        policy = Table(
            "policies", self.t(N_("Government purchase by policy")),
            [self.col(N_("Policy"), "text"), self.col(N_("Orders served")),
             self.col(N_("Government share"), "fen"), self.col(N_("Elder share"), "fen")],
        )  # fmt: skip
        for pid, (n, gov, own) in sorted(per.items(), key=lambda kv: -kv[1][1]):
            zh, en = names.get(pid, (self.t(N_("No policy")), None)) if pid else (
                self.t(N_("No policy")), None)  # fmt: skip
            policy.rows.append([self.name(zh, en), n, gov, own])
        policy.total = [self.t(N_("Totals")), *(sum(r[i] for r in policy.rows) for i in (1, 2, 3))]
        policy.chart = {
            "kind": "pie", "labels": [r[0] for r in policy.rows],
            "series": [{"name": self.t(N_("Government share")),
                        "values": [r[2] / 100 for r in policy.rows]}],
        }  # fmt: skip
        group = Table(
            "groups", self.t(N_("Government purchase by group")),
            [self.col(N_("Group"), "text"), self.col(N_("Elders served")),
             self.col(N_("Orders served")), self.col(N_("Government share"), "fen")],
            note=self.t(N_("An elder in two groups counts in both.")),
        )  # fmt: skip
        for code, elders, orders, fen in sorted(
            queries.groups_served(self.session, self.period.first, self.period.last,
                                  self.scope.streets, self.scope.provider_id),
            key=lambda g: -g[3],
        ):  # fmt: skip
            group.rows.append([self.t(VOCAB_LABELS.get(code, code)), elders, orders, fen])
        return policy, group

    def exceptions(self) -> tuple[Table, dict[int | None, int]]:
        streets = self.scope.streets
        tally = tally_between(
            self.session, self.subject, self.period.start, self.period.end,
            provider_id=self.scope.provider_id,
            street_ids=sorted(streets) if streets is not None else None,
            policy=policy_from(self.settings),
        )  # fmt: skip
        states: Counter[str] = Counter()
        for state, n in tally.states.items():
            states[STATE_OF.get(state, "pending")] += n
        table = Table(
            "exceptions", self.t(N_("Visits with exceptions")),
            [self.col(N_("Reason or review"), "text"), self.col(N_("Visits"))],
            note=self.tp(N_("%(n)s delivered visits; a visit may have several reasons."),
                         n=tally.delivered),
        )  # fmt: skip
        rank = {code: n for n, code in enumerate(REASON_LABELS)}  # ties in the rules' order
        for code, n in sorted(tally.reasons.items(), key=lambda kv: (-kv[1], rank.get(kv[0], 99))):
            table.rows.append([self.t(REASON_LABELS.get(code, code)), n])
        for state in DECISION_WORDS:
            table.rows.append([self.t(DECISION_WORDS[state]), states[state]])
        table.total = [self.t(N_("Visits with exceptions")), sum(tally.per_provider.values())]
        return table, dict(tally.per_provider)

    def complaints(self, rows: list[tuple[str, str, str | None, int | None]]) -> Table:
        outcomes = [o for o in OUTCOME_WORDS if any(r[2] == o for r in rows)]
        table = Table(
            "complaints", self.t(N_("Complaints and their outcomes")),
            [self.col(N_("Category"), "text"), self.col(N_("Filed")), self.col(N_("Still open")),
             *(self.col(OUTCOME_WORDS[o]) for o in outcomes)],
        )  # fmt: skip
        by: dict[str, Counter[str]] = defaultdict(Counter)
        for category, status, outcome, _ in rows:
            by[category]["filed"] += 1
            by[category]["open"] += status != "closed"
            if outcome:
                by[category][outcome] += 1
        for category, c in sorted(by.items(), key=lambda kv: -kv[1]["filed"]):
            words = self.t(CATEGORY_WORDS.get(category, category))
            table.rows.append([words, c["filed"], c["open"], *(c[o] for o in outcomes)])
        table.total = [self.t(N_("Totals")), *(sum(r[i] for r in table.rows)
                       for i in range(1, 3 + len(outcomes)))]  # fmt: skip
        return table

    def satisfaction(self, visits: list[tuple[bool, int | None, int | None]],
                     ratings: list[tuple[int, int | None]]) -> Table:  # fmt: skip
        called = Counter(s for reached, s, _ in visits if reached and s is not None)
        rated = Counter(s for s, _ in ratings)
        table = Table(
            "satisfaction", self.t(N_("Return-visit satisfaction")),
            [self.col(N_("Score"), "text"), self.col(N_("Return visits")),
             self.col(N_("Ratings by elders and families"))],
            note=self.tp(N_("Return visits made: %(made)s, elder reached: %(reached)s."),
                         made=len(visits), reached=sum(1 for r, _, _ in visits if r)),
        )  # fmt: skip
        for score in rf.SCORES:
            table.rows.append(["★" * score, called[score], rated[score]])
        mean_called, _ = rf.mean_score(s for r, s, _ in visits if r)
        mean_rated, _ = rf.mean_score(s for s, _ in ratings)
        table.total = [self.t(N_("Average")), mean_called, mean_rated]
        table.total_kinds = ["text", "score", "score"]
        table.chart = {
            "kind": "bar", "labels": [r[0] for r in table.rows],
            "series": [{"name": self.t(N_("Return visits")), "values": [r[1] for r in table.rows]},
                       {"name": self.t(N_("Ratings by elders and families")),
                        "values": [r[2] for r in table.rows]}],
        }  # fmt: skip
        return table

    def continuity(self, seen: list[tuple[int, int, int | None]]) -> tuple[Table, float | None]:
        bands, mean = rf.continuity((e, s) for e, s, _ in seen)
        table = Table(
            "continuity", self.t(N_("Continuity of care")),
            [self.col(N_("Distinct caregivers in 30 days"), "text"), self.col(N_("Elders"))],
            note=self.t(N_("The 30 days up to the last day of the period (or up to now).")),
        )  # fmt: skip
        for band in rf.CONTINUITY_BANDS:
            table.rows.append([band, bands[band]])
        table.total = [self.t(N_("Average caregivers per elder")), mean]
        table.total_kinds = ["text", "score"]
        return table, mean

    def alarms(self, rows: list[dict[str, Any]]) -> tuple[Table, rf.AlarmTimes]:
        every = rf.alarm_times(rows, self.now)
        table = Table(
            "alarms", self.t(N_("Alarms by type")),
            [self.col(N_("Type"), "text"), self.col(N_("Alarms")),
             self.col(N_("Answered within 60 s"), "share"),
             self.col(N_("Answered within 180 s"), "share"),
             self.col(N_("Median answer time"), "seconds"), self.col(N_("Responders sent")),
             self.col(N_("On site within 45 min"), "share"),
             self.col(N_("Median time to on site"), "minutes")],
            note=self.tp(N_("Targets: %(a60)s answered within 60 s, %(a180)s within 180 s, a "
                            "responder on site within 45 minutes %(site)s of the time."),
                         a60=f"{TARGET_60:.1%}", a180=f"{TARGET_180:.1%}",
                         site=f"{rf.ON_SITE_TARGET:.0%}"),
        )  # fmt: skip

        def cells(a: rf.AlarmTimes) -> list[Any]:
            return [
                a.raised, a.share(a.answered_60, a.counted_60),
                a.share(a.answered_180, a.counted_180), a.median_answer_s, a.sent,
                a.share(a.on_site, a.on_site_counted), a.median_on_site_min,
            ]  # fmt: skip

        for kind, times in rf.alarm_times_by_type(rows, self.now).items():
            table.rows.append([self.t(ALARM_WORDS.get(kind, kind)), *cells(times)])
        table.total = [self.t(N_("All alarms")), *cells(every)]
        return table, every

    def devices(self) -> tuple[Table, Counter[str]]:
        low = self.settings.alarm_low_battery_pct
        per = availability_repository.counts_by_street(self.session, low)
        until = min(self.period.end, self.now)
        sampled = availability_repository.over_period(self.session, self.period.start, until)
        table = Table(
            "devices", self.t(N_("Device availability")),
            [self.col(N_("Street"), "text"), self.col(N_("Installed")), self.col(N_("Online")),
             self.col(N_("Online share"), "share"), self.col(N_("Online over the period"), "share"),
             self.col(N_("Low battery"))],
            note=self.t(N_("Installed, online and low battery as the devices stand now; the share"
                           " over the period from the hourly counts of the period.")),
        )  # fmt: skip
        total: Counter[str] = Counter()
        for sid, name in self.streets.items():
            if sid not in per and sid not in sampled:
                continue
            if not (self.scope.streets is None or sid in self.scope.streets):
                continue
            installed, online, low = per.get(sid, (0, 0, 0))
            _, hours_installed, hours_online = sampled.get(sid, (0, 0, 0))
            total.update(installed=installed, online=online, low=low,
                         hours_installed=hours_installed, hours_online=hours_online)  # fmt: skip
            table.rows.append([
                name, installed, online, _share(online, installed),
                _share(hours_online, hours_installed), low,
            ])  # fmt: skip
        table.total = [
            self.t(N_("Totals")), total["installed"], total["online"],
            _share(total["online"], total["installed"]),
            _share(total["hours_online"], total["hours_installed"]), total["low"],
        ]  # fmt: skip
        return table, total

    def online_share(self, devices: Counter[str]) -> float | None:
        """Devices online: over the period once it is over (from the hourly counts), as they
        stand now while it runs (what the big screen shows)."""
        if self.period.end <= self.now:
            return _share(devices["hours_online"], devices["hours_installed"])
        return _share(devices["online"], devices["installed"])

    def places(self) -> tuple[Table, tuple[int, float]]:
        rows = queries.places(self.session, self.scope.streets, self.scope.provider_id)
        in_use = queries.places_in_use(self.session, self.period.first, self.period.last)
        kinds = rf.places_used(rows, in_use, self.period.first, self.period.last)
        table = Table(
            "places", self.t(N_("Beds and day places in use")),
            [self.col(N_("Facility type"), "text"), self.col(N_("Places")),
             self.col(N_("In use on an average day"), "score"),
             self.col(N_("Occupancy"), "share")],
        )  # fmt: skip
        for kind, (n, used) in sorted(kinds.items()):
            table.rows.append([self.t(VOCAB_LABELS.get(kind, kind)), n, used, _share(used, n)])
        places = sum(n for n, _ in kinds.values())
        used = sum(u for _, u in kinds.values())
        table.total = [self.t(N_("Totals")), places, used, _share(used, places)]
        return table, (places, used)

    # --- the whole ----------------------------------------------------------------------

    def build(self) -> Report:
        streets, pid, s = self.scope.streets, self.scope.provider_id, self.session
        complaint_rows = queries.complaints(s, self.period.start, self.period.end, streets, pid)
        visit_rows = queries.return_visits(s, self.period.start, self.period.end, streets, pid)
        rating_rows = queries.ratings(s, self.period.first, self.period.last, streets, pid)
        until = min(self.period.end, self.now)  # the 30 days up to the period's end, or now
        seen = queries.caregivers_seen(s, until, rf.CONTINUITY_DAYS, streets, pid)
        exceptions_table, flagged = self.exceptions()
        satisfaction: dict[int | None, list[int | None]] = defaultdict(list)
        for reached, score, provider in visit_rows:
            if reached:
                satisfaction[provider].append(score)
        caregivers = {
            p: rf.continuity((e, st) for e, st, q in seen if q == p)[1]
            for p in {q for _, _, q in seen}
        }
        policy_table, group_table = self.government()
        continuity_table, mean_caregivers = self.continuity(seen)
        alarm_table, alarm_times = self.alarms(
            queries.alarms(s, self.period.start, self.period.end, streets)
        )
        device_table, devices = self.devices()
        place_table, (places, used) = self.places()
        orders = sf.summed(sf.order_counters(self.views), None)
        mean_called, _ = rf.mean_score(sc for r, sc, _ in visit_rows if r)
        a = alarm_times
        tables = [
            self.services(), self.by_street(),
            self.by_provider(flagged, Counter(r[3] for r in complaint_rows), satisfaction,
                             caregivers),
            policy_table, group_table, exceptions_table, self.complaints(complaint_rows),
            self.satisfaction(visit_rows, rating_rows), continuity_table, alarm_table,
            device_table, place_table,
        ]  # fmt: skip
        figs = [
            Figure("placed", self.t(N_("Orders")), "count", orders["placed"]),
            Figure("served", self.t(N_("Served")), "count", orders["served"]),
            Figure("completion", self.t(N_("Completion")), "share",
                   _share(orders["served"], sum(self.due["street_id"].values()))),
            Figure("on_time", self.t(N_("On time")), "share",
                   _share(orders["on_time"], orders["timed"])),
            Figure("cross", self.t(N_("Served from another street")), "share",
                   _share(orders["cross"], orders["with_centre"])),
            Figure("unplaceable", self.t(N_("Nobody available")), "count", orders["unplaceable"]),
            Figure("spent", self.t(N_("Government purchase")), "fen", orders["gov_fen"]),
            Figure("exceptions", self.t(N_("Visits with exceptions")), "count",
                   sum(flagged.values())),
            Figure("complaints", self.t(N_("Complaints")), "count", len(complaint_rows)),
            Figure("satisfaction", self.t(N_("Average satisfaction")), "score", mean_called),
            Figure("caregivers", self.t(N_("Caregivers per elder (30 days)")), "score",
                   mean_caregivers),
            Figure("alarms", self.t(N_("Alarms")), "count", a.raised),
            Figure("within_60", self.t(N_("Answered within 60 s")), "share",
                   a.share(a.answered_60, a.counted_60), TARGET_60),
            Figure("within_180", self.t(N_("Answered within 180 s")), "share",
                   a.share(a.answered_180, a.counted_180), TARGET_180),
            Figure("on_site", self.t(N_("On site within 45 min")), "share",
                   a.share(a.on_site, a.on_site_counted), rf.ON_SITE_TARGET),
            Figure("online", self.t(N_("Devices online")), "share", self.online_share(devices)),
            Figure("occupancy", self.t(N_("Places in use")), "share", _share(used, places)),
        ]  # fmt: skip
        return Report(
            title=self.t(N_("Elderly-care services report")), scope=self.scope_words(),
            first=self.period.first, last=self.period.last, generated_at=self.now,
            figures=figs, tables=tables,
        )  # fmt: skip

    def scope_words(self) -> str:
        where = self.scope.street_name or self.t(N_("The whole district"))
        if self.scope.provider_name:
            return f"{where} · {self.scope.provider_name}"
        return where


def build(
    session: Session, subject: Subject, scope: Scope, period: Period, *,
    now: datetime, settings: Settings, locale: str,
) -> Report:  # fmt: skip
    """The report of a period for the scope, in the reader's language."""
    return _Builder(session, subject, scope, period, now=now, settings=settings,
                    locale=locale).build()  # fmt: skip
