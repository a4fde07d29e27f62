"""A period's delivered visits counted by payability for the reports: read from the stored
verdicts, and judged here from rows only where a verdict is missing or was judged under
other thresholds than this process's (the worker is judging those again meanwhile)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import Select
from sqlalchemy.orm import Session

from yiyang.security.subject import Subject
from yiyang.visits import repository as visit_repository
from yiyang.visits.payment import repository
from yiyang.visits.payment.rules import Payability, VisitFacts, payability, state_of
from yiyang.visits.rules import VisitPolicy, policy_key


@dataclass(frozen=True)
class Judged:
    """A delivered visit judged from its rows: its provider, payability and standing."""

    order_id: int
    provider_id: int | None
    pay: Payability
    state: str


@dataclass
class Tally:
    """Delivered visits of a period; of those with reasons: each reason, state and provider."""

    delivered: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    states: Counter[str] = field(default_factory=Counter)
    per_provider: Counter[int | None] = field(default_factory=Counter)


def judged(session: Session, ids: Select[tuple[int]], policy: VisitPolicy) -> list[Judged]:
    """Payability of the delivered orders `ids` selects, judged as the queue judges them,
    from rows (a report's month is too many for objects)."""
    rows = visit_repository.delivered_facts(session, ids)
    complaints = visit_repository.open_complaints(session, ids)
    scores = repository.ratings_of(session, ids)
    last = repository.last_decisions(session, ids)
    out = []
    for order_id, provider, window_start, minutes, c_in, c_out, f_in, f_out, why, manual in rows:
        facts = VisitFacts(
            window_start_at=window_start, check_in_at=c_in, check_out_at=c_out,
            standard_minutes=minutes, check_in_flag=f_in, check_out_flag=f_out,
            short_reason=why, manual=bool(manual), open_complaints=complaints.get(order_id, 0),
            rating_score=scores.get(order_id),
        )  # fmt: skip
        decision = last.get(order_id)
        pay = payability(facts, decision, policy)
        out.append(Judged(order_id, provider, pay, state_of(pay, decision)))
    return out


def tally_between(
    session: Session, subject: Subject, start: datetime, end: datetime, *,
    provider_id: int | None, street_ids: Sequence[int] | None, policy: VisitPolicy,
) -> Tally:  # fmt: skip
    """Every delivered visit in scope whose window started in [start, end), counted."""
    ids = visit_repository.delivered_ids_between(subject, start, end, provider_id, street_ids)
    key = policy_key(policy)
    tally = Tally(delivered=repository.count_of(session, ids))
    by_state, by_reason = repository.stored_tally(session, ids, key)
    for provider, state, n in by_state:
        tally.per_provider[provider] += n
        tally.states[state] += n
    for reason, n in by_reason:
        tally.reasons[reason] += n
    for item in judged(session, repository.stale_among(ids, key), policy):
        if item.pay.reasons:
            tally.per_provider[item.provider_id] += 1
            tally.states[item.state] += 1
            tally.reasons.update(str(r) for r in item.pay.reasons)
    return tally
