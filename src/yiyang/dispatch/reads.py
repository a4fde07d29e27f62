"""The full read of an order: its record, timeline and dispatch decisions (API and pages).

Explanations and reason codes are stored as lines and codes; they are put into words here,
in the language of whoever asks. What each reader sees of the people dispatch weighed is
decided by security.disclosure: dispatchers and auditors see everyone; a provider sees its
own staff by name and others as another provider's; the elder, family and caregivers see
no decisions, only who is coming once a caregiver has accepted.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from datetime import date
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
from yiyang.orders.disclosure import elder_viewer, order_viewer
from yiyang.orders.models import OrderEvent, ServiceOrder
from yiyang.orders.schemas import OrderEventRead
from yiyang.planner.explain import Line, line
from yiyang.registry.elders import repository as elder_repository
from yiyang.security.disclosure import Kind, Relation, Viewer, disclosed, mask, may_see
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject

# Explanation params naming someone other than the winner (the runner-up).
OTHER_PEOPLE = frozenset({"other"})
# Timeline details that name a provider's people or carry an explanation with names.
PEOPLE_DETAIL = frozenset({"staff_id", "provider_id", "explanation"})
# Who each weighed caregiver is: name, staff code, provider and centre, by staff id.
Weighed = Mapping[int, tuple[str, str, str, str]]
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


def _weighed(c: Mapping[str, Any], viewer: Viewer, about: Weighed) -> WeighedCandidate:
    """One candidate as this reader may see it: name and centre, or only whose caregiver.

    A provider's reader is not told which other providers competed; everyone else who may
    not see the person reads "a caregiver of <provider>".
    """
    staff_id = int(c.get("staff_id") or 0)
    name, _, provider, centre = about.get(staff_id, (None, "", None, None))
    own = viewer.subject.provider_id
    shown_provider = provider if own is None or own == c.get("provider_id") else None
    values = {**c, "name": name, "centre": centre, "provider_name": shown_provider}
    return disclosed(WeighedCandidate, _of_provider(viewer, c.get("provider_id")), values)


def decision_read(
    decision: DispatchDecision, locale: str, viewer: Viewer, about: Weighed
) -> DecisionRead:
    """One decision as this reader may see it, its explanation in the locale."""
    winner = _of_provider(viewer, decision.winner_provider_id)
    candidates = [_weighed(c, viewer, about) for c in decision.candidates]
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


def weighed_names(db: Session, decisions: Collection[DispatchDecision]) -> Weighed:
    """Name, code, provider and centre of everyone the decisions weighed (rows hold ids)."""
    ids = {c["staff_id"] for d in decisions for c in d.candidates if c.get("staff_id")}
    return dispatch_repository.staff_about(db, sorted(ids))


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


def _elder_values(db: Session, order: ServiceOrder) -> dict[str, Any]:
    """Where the elder lives and whom to call: the address, the phone, the first contact."""
    contact = next(
        iter(elder_repository.contacts_of(db, [order.elder_id]).get(order.elder_id, [])), None
    )
    return {
        "elder_address": order.elder.address,
        "elder_phone": order.elder.phone,
        "contact_name": contact.name if contact else None,
        "contact_relationship": contact.relationship if contact else None,
        "contact_phone": contact.phone if contact else None,
        "contact_has_key": bool(contact.has_key) if contact else False,
    }


def read_order(
    db: Session, subject: Subject, order_id: int, *, locale: str, today: date | None = None
) -> OrderDetail:
    """The full order with its timeline and dispatch decisions, as this subject may see it.

    Given `today`, a provider or caregiver serving the elder now sees the phone numbers.
    """
    subject.require(Perm.ORDER_READ)
    order = order_repository.get(db, subject, order_id)
    viewer = order_viewer(subject, order) if today is None else elder_viewer(subject, order, today)
    events = order_repository.timeline(db, order.id)
    providers = order_repository.actor_providers(db, order.id)
    decisions = []
    if may_see(viewer, Kind.DISPATCH_DECISIONS):
        stored = dispatch_repository.decisions(db, order.id)
        names = weighed_names(db, stored)
        decisions = [decision_read(d, locale, viewer, names) for d in stored]
    values = (
        order_service.list_values(order)
        | {
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
        | _elder_values(db, order)
    )
    return disclosed(OrderDetail, viewer, values)
