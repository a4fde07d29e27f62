"""The full read of an order: its record, timeline and dispatch decisions (API and pages).

Explanations and reason codes are stored as lines and codes; they are put into words here,
in the language of whoever asks. What each reader sees of the people dispatch weighed is
decided by security.disclosure: dispatchers and auditors see everyone; a provider sees its
own staff by name and others as another provider's; the elder, family and caregivers see
no decisions, only who is coming once a caregiver has accepted.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy.orm import Session

from yiyang.dispatch import repository as dispatch_repository
from yiyang.dispatch import wording
from yiyang.dispatch.models import DispatchDecision
from yiyang.dispatch.schemas import DecisionRead, OrderDetail, WeighedCandidate
from yiyang.errors import N_
from yiyang.orders import repository as order_repository
from yiyang.orders import rules
from yiyang.orders import service as order_service
from yiyang.orders.disclosure import order_viewer
from yiyang.orders.models import OrderEvent
from yiyang.orders.schemas import OrderEventRead
from yiyang.planner.explain import Line, line
from yiyang.registry.staff import repository as staff_repository
from yiyang.security.disclosure import Kind, Relation, Viewer, disclosed, mask, may_see
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject

# Explanation params naming someone other than the winner (the runner-up).
OTHER_PEOPLE = frozenset({"other"})
# Timeline details that name a provider's people or carry an explanation with names.
PEOPLE_DETAIL = frozenset({"staff_id", "provider_id", "explanation"})
PROVIDER_SIDE = frozenset({str(Role.PROVIDER_ADMIN), str(Role.CAREGIVER)})
ANOTHER_PROVIDER = N_("Offered to a caregiver of another provider")
NOT_SHOWN = N_("Offered to a caregiver (who is not shown to your role)")


def _of_provider(viewer: Viewer, provider_id: int | None) -> Viewer:
    """The viewer, told whether a person of this provider works for the reader's provider."""
    own = viewer.subject.provider_id
    return viewer.also(Relation.SAME_PROVIDER) if own is not None and own == provider_id else viewer


def _lines(decision: DispatchDecision, viewer: Viewer, winner: Viewer) -> list[Line]:
    """The explanation without names the reader may not see."""
    lines: list[Line] = list(decision.explanation_lines)
    if may_see(viewer, Kind.DISPATCHED_STAFF):
        return lines
    if decision.winner_staff_id is not None and not may_see(winner, Kind.DISPATCHED_STAFF):
        return [line(ANOTHER_PROVIDER if viewer.subject.provider_id else NOT_SHOWN)]
    return [x for x in lines if not OTHER_PEOPLE & set(x["p"])]


def decision_read(
    decision: DispatchDecision, locale: str, viewer: Viewer, names: Mapping[int, str]
) -> DecisionRead:
    """One decision as this reader may see it, its explanation in the locale."""
    winner = _of_provider(viewer, decision.winner_provider_id)
    candidates = [
        disclosed(
            WeighedCandidate,
            _of_provider(viewer, c.get("provider_id")),
            {**c, "name": names.get(c.get("staff_id", 0))},
        )
        for c in decision.candidates
    ]
    rejected = dict(decision.rejected)
    if not may_see(viewer, Kind.DISPATCHED_STAFF):
        rejected.pop("excluded_providers", None)  # other providers, by id
    lines = _lines(decision, viewer, winner)
    shown: dict[str, Any] = {
        "candidates": candidates,
        "rejected": rejected,
        "explanation": wording.explanation(locale, lines),
        "explanation_lines": lines,
    }
    stored = {n: getattr(decision, n) for n in DecisionRead.model_fields if n not in shown}
    return disclosed(DecisionRead, winner, stored | shown)


def weighed_names(db: Session, decisions: Collection[DispatchDecision]) -> dict[int, str]:
    """The names of everyone the decisions weighed (the stored candidates hold only ids)."""
    ids = {c["staff_id"] for d in decisions for c in d.candidates if c.get("staff_id")}
    return staff_repository.names(db, ids)


def _event_read(
    event: OrderEvent, locale: str, viewer: Viewer, providers: Mapping[int, int | None]
) -> OrderEventRead:
    """A timeline row; a provider's person unnamed (with their words) unless visible."""
    row = OrderEventRead.model_validate(event)
    # Only the platform writes codes (also when it acts for a person, who is then the
    # actor: it says so in the detail); what people wrote stays as they wrote it.
    if event.actor_user_id is None or event.detail.get("reason_is_code"):
        row.reason_label = wording.reason_label(locale, event.reason)
    if may_see(viewer, Kind.DISPATCHED_STAFF):
        return row
    row.detail = {k: v for k, v in event.detail.items() if k not in PEOPLE_DETAIL}
    if event.actor_role in PROVIDER_SIDE:
        actor = _of_provider(viewer, providers.get(event.actor_user_id or 0))
        row.actor_name = mask(Kind.DISPATCHED_STAFF, row.actor_name, actor)
        row.reason = mask(Kind.DISPATCHED_STAFF, row.reason, actor)
    return row


def read_order(db: Session, subject: Subject, order_id: int, *, locale: str) -> OrderDetail:
    """The full order with its timeline and dispatch decisions, as this subject may see it."""
    subject.require(Perm.ORDER_READ)
    order = order_repository.get(db, subject, order_id)
    viewer = order_viewer(subject, order)
    events = order_repository.timeline(db, order.id)
    providers = order_repository.actor_providers(db, order.id)
    decisions = []
    if may_see(viewer, Kind.DISPATCH_DECISIONS):
        stored = dispatch_repository.decisions(db, order.id)
        names = weighed_names(db, stored)
        decisions = [decision_read(d, locale, viewer, names) for d in stored]
    values = order_service.list_values(order) | {
        "standard_minutes": order.standard_minutes,
        "price_id": order.price_id,
        "policy_id": order.policy_id,
        "subsidy_reason": order.subsidy_reason,
        "government_purchase": order.government_purchase,
        "pinned": order.pinned,
        "dispatch_attempts": order.dispatch_attempts,
        "recurring_id": order.recurring_id,
        "notes": order.notes,
        "cancel_reason": order.cancel_reason,
        "allowed_events": [str(e) for e in rules.allowed_events(order.status)],
        "timeline": [_event_read(e, locale, viewer, providers) for e in events],
        "decisions": decisions,
    }
    return disclosed(OrderDetail, viewer, values)
