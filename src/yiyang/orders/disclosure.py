"""How a reader relates to an order, for what disclosure shows them of its people.

The elder and family are the elder's own (SELF); a caregiver who accepted tells them who is
coming (COMING); the provider and caregiver serving the elder now may call them (SERVING):
the provider from its acceptance until check-out, the caregiver on the day of a visit they
accepted, until check-out.
"""

from __future__ import annotations

from datetime import date

from yiyang.orders import rules
from yiyang.orders.models import ServiceOrder
from yiyang.security.disclosure import Relation, Viewer
from yiyang.security.roles import Role
from yiyang.security.subject import Subject


def serving(subject: Subject, order: ServiceOrder, today: date) -> bool:
    """Whether the subject serves the order's elder now (and so may need to call them)."""
    if subject.role == Role.PROVIDER_ADMIN:
        return (
            subject.provider_id is not None
            and order.provider_id == subject.provider_id
            and order.status in rules.PROVIDER_SERVING
        )
    if subject.role == Role.CAREGIVER:
        return (
            subject.staff_id is not None
            and order.staff_id == subject.staff_id
            and order.status in rules.CAREGIVER_SERVING
            and order.service_date == today
        )
    return False


def order_viewer(subject: Subject, order: ServiceOrder) -> Viewer:
    """The subject reading this order: the elder's own, and whether a caregiver is coming."""
    relations = set()
    if subject.elder_id is not None and subject.elder_id == order.elder_id:
        relations.add(Relation.SELF)
    if order.status in rules.CAREGIVER_COMING:
        relations.add(Relation.COMING)
    return Viewer(subject, frozenset(relations))


def elder_viewer(subject: Subject, order: ServiceOrder, today: date) -> Viewer:
    """The subject reading the order's elder details (phone): also whether they serve now."""
    viewer = order_viewer(subject, order)
    if not serving(subject, order, today):
        return viewer
    if subject.role == Role.CAREGIVER:  # at the door: the key-holder may have to open it
        return viewer.also(Relation.SERVING, Relation.AT_THE_DOOR)
    return viewer.also(Relation.SERVING)
