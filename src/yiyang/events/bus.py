"""Publish typed events: store the row, run in-transaction subscribers, tell listeners after commit.

Subscribers run inside the transaction of the change and only write rows (outbox messages);
they never do I/O. Live screens register an after-commit listener instead: it is called with
the events of a transaction once that transaction has committed, never for a rolled-back one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import UUID

from sqlalchemy import event as sa_event
from sqlalchemy import select
from sqlalchemy.orm import Session, SessionTransaction

from yiyang.events.models import DomainEventRow
from yiyang.events.types import DomainEvent

log = logging.getLogger(__name__)

Subscriber = Callable[[Session, Any], None]
Listener = Callable[[list[DomainEvent]], None]
CommitHook = Callable[[Session, list[DomainEvent]], None]
S = TypeVar("S", bound=Subscriber)
_PENDING = "events.pending"  # [(event, transaction it was published in)]
_LAST = "events.last"  # {(entity, entity_id): event id} within the transaction


@dataclass
class Bus:
    """In-transaction subscribers by event class, and after-commit listeners."""

    subscribers: list[tuple[tuple[type[DomainEvent], ...], Subscriber]] = field(
        default_factory=list
    )
    listeners: list[Listener] = field(default_factory=list)
    commit_hooks: list[CommitHook] = field(default_factory=list)

    def subscribe(self, *types: type[DomainEvent]) -> Callable[[S], S]:
        """Run the decorated function for events of these classes (or their subclasses)."""

        def register(fn: S) -> S:
            self.subscribers.append((types, fn))
            return fn

        return register

    def on_commit(self, listener: Listener) -> Listener:
        """Call `listener` with each committed transaction's events (in-process, best effort)."""
        self.listeners.append(listener)
        return listener

    def before_commit(self, hook: CommitHook) -> CommitHook:
        """Call `hook(session, events)` in each transaction just before it commits, with all
        its events at once (those of savepoints rolled back left out): one statement where
        there would otherwise be one per event."""
        self.commit_hooks.append(hook)
        return hook


BUS = Bus()


def _transaction(session: Session) -> SessionTransaction | None:
    return session.get_nested_transaction() or session.get_transaction()


def publish(session: Session, event: DomainEvent, *, bus: Bus = BUS) -> DomainEventRow:
    """Store the event in the caller's transaction and run its subscribers there."""
    row = DomainEventRow(
        id=event.id,
        type=event.TYPE,
        occurred_at=event.occurred_at,
        actor_kind=event.actor.kind,
        actor_user_id=event.actor.user_id,
        actor_name=event.actor.name[:64],
        actor_role=event.actor.role,
        cause_id=event.cause_id,
        entity=event.ENTITY,
        entity_id=event.entity_id(),
        payload=event.payload(),
    )
    session.add(row)
    session.info.setdefault(_PENDING, []).append((event, _transaction(session), bus))
    session.info.setdefault(_LAST, {})[(event.ENTITY, event.entity_id())] = event.id
    for types, subscriber in bus.subscribers:
        if isinstance(event, types):
            subscriber(session, event)
    return row


def last_event_of(session: Session, entity: str, entity_id: int | None) -> UUID | None:
    """The id of the latest event about a record in this transaction (the cause of the next)."""
    last: dict[tuple[str, int | None], UUID] = session.info.get(_LAST, {})
    return last.get((entity, entity_id))


def latest_stored(session: Session, entity: str, entity_id: int) -> UUID | None:
    """The id of the latest stored event about a record (from earlier transactions too)."""
    return session.scalar(
        select(DomainEventRow.id)
        .where(DomainEventRow.entity == entity, DomainEventRow.entity_id == entity_id)
        .order_by(DomainEventRow.seq.desc())
        .limit(1)
    )


def _within(trans: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while trans is not None:
        if trans is ended:
            return True
        trans = trans.parent
    return False


@sa_event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous: SessionTransaction) -> None:
    """Events published in a rolled-back transaction or savepoint were never made."""
    pending = session.info.get(_PENDING)
    if pending:
        kept = [p for p in pending if not _within(p[1], previous)]
        session.info[_PENDING] = kept
        forgotten = {p[0].id for p in pending} - {p[0].id for p in kept}
        last = session.info.get(_LAST, {})
        for key in [k for k, v in last.items() if v in forgotten]:
            del last[key]


def _by_bus(pending: list[tuple[DomainEvent, Any, Bus]]) -> list[tuple[Bus, list[DomainEvent]]]:
    by_bus: dict[int, tuple[Bus, list[DomainEvent]]] = {}
    for event, _trans, bus in pending:
        by_bus.setdefault(id(bus), (bus, []))[1].append(event)
    return list(by_bus.values())


@sa_event.listens_for(Session, "before_commit")
def _run_commit_hooks(session: Session) -> None:
    """The outermost transaction is about to commit (a savepoint's release fires this too)."""
    if session.in_nested_transaction():
        return
    for bus, events in _by_bus(session.info.get(_PENDING, [])):
        for hook in bus.commit_hooks:
            hook(session, events)


@sa_event.listens_for(Session, "after_commit")
def _tell_listeners(session: Session) -> None:
    """Hand each bus's committed events to its listeners; a failing listener is only logged."""
    pending = session.info.pop(_PENDING, [])
    session.info.pop(_LAST, None)
    for bus, events in _by_bus(pending):
        for listener in bus.listeners:
            try:
                listener(events)
            except Exception:
                log.exception("after-commit listener %r failed", listener)


@sa_event.listens_for(Session, "after_transaction_end")
def _clear(session: Session, transaction: SessionTransaction) -> None:
    """A session's outermost transaction ended: nothing of it stays pending."""
    if transaction.parent is None and not transaction.nested:
        session.info.pop(_PENDING, None)
        session.info.pop(_LAST, None)
