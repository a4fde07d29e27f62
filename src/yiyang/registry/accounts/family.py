"""Which elders a family account follows, and which one of them it is looking at now.

A son may look after his mother and his father-in-law: the account follows each through a
link the district administrator records. The account's data scope stays one elder at a time
(the one it chose, `UserAccount.elder_id`), so every repository's `readable(subject)` keeps
its single binding; switching is refused, as not found, for an elder the account does not
follow.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.errors import N_, Invalid, NotFound
from yiyang.registry.elders.models import Elder
from yiyang.security import repository as security_repository
from yiyang.security.audit import service as audit
from yiyang.security.models import FamilyLink, UserAccount
from yiyang.security.roles import Perm, Role
from yiyang.security.subject import Subject


def family_account(session: Session, user_id: int) -> UserAccount:
    """The family account, locked (for a change or a consistent read); others follow nobody."""
    user = security_repository.user_for_update(session, user_id)
    if user is None:
        raise NotFound(N_("Account not found."))
    if user.role != Role.FAMILY:
        raise Invalid(N_("Only a family account follows elders."), field="user_id")
    return user


def link_elder(
    session: Session,
    actor: Subject,
    user_id: int,
    elder_id: int,
    *,
    relationship: str | None,
    now: datetime,
) -> FamilyLink:
    """The account follows the elder too (again: the relationship is updated); audited."""
    actor.require(Perm.USER_MANAGE)
    user = family_account(session, user_id)
    if session.get(Elder, elder_id) is None:
        raise Invalid(N_("Nothing with this number exists: %(value)s."), field="elder_id",
                      value=elder_id)  # fmt: skip
    words = (relationship or "").strip()[:32] or None
    link = security_repository.family_link(session, user.id, elder_id)
    if link is None:
        link = FamilyLink(user_id=user.id, elder_id=elder_id, relationship=words, linked_at=now)
        session.add(link)
    else:
        link.relationship = words
    if user.elder_id is None:
        user.elder_id = elder_id
    session.flush()
    audit.record(session, actor, "family_link", "user", user.id,
                 after={"elder_id": elder_id, "relationship": words}, at=now)  # fmt: skip
    return link


def link_by_username(
    session: Session,
    actor: Subject,
    username: str,
    elder_id: int,
    *,
    relationship: str | None,
    now: datetime,
) -> FamilyLink:
    """The family account with this sign-in name follows the elder too (the admin's page)."""
    actor.require(Perm.USER_MANAGE)
    name = username.strip()
    if not name:
        raise Invalid(N_("Enter the family member's sign-in name."), field="username")
    user = security_repository.user_by_username(session, name)
    if user is None:
        raise Invalid(N_("No account signs in as %(value)s."), field="username", value=name[:64])
    if user.role != Role.FAMILY:
        raise Invalid(N_("Only a family account follows elders."), field="username")
    return link_elder(session, actor, user.id, elder_id, relationship=relationship, now=now)


def unlink_elder(
    session: Session, actor: Subject, user_id: int, elder_id: int, *, now: datetime
) -> None:
    """The account stops following the elder; if it was looking at them, it turns to the next."""
    actor.require(Perm.USER_MANAGE)
    user = family_account(session, user_id)
    link = security_repository.family_link(session, user.id, elder_id)
    if link is None:
        raise NotFound(N_("This account does not follow elder %(id)s."), id=elder_id)
    session.delete(link)
    session.flush()
    if user.elder_id == elder_id:
        rest = security_repository.family_links(session, user.id)
        user.elder_id = rest[0].elder_id if rest else None
    audit.record(session, actor, "family_unlink", "user", user.id,
                 before={"elder_id": elder_id}, at=now)  # fmt: skip


def look_at(session: Session, subject: Subject, elder_id: int, *, now: datetime) -> None:
    """The family member turns to another elder they follow; any other elder is not found."""
    if subject.role != Role.FAMILY or subject.user_id is None:
        raise NotFound(N_("Elder %(id)s not found."), id=elder_id)
    user = family_account(session, subject.user_id)
    if security_repository.family_link(session, user.id, elder_id) is None:
        raise NotFound(N_("Elder %(id)s not found."), id=elder_id)
    if user.elder_id != elder_id:
        before = user.elder_id
        user.elder_id = elder_id
        audit.record(session, subject, "family_switch", "user", user.id,
                     before={"elder_id": before}, after={"elder_id": elder_id}, at=now)  # fmt: skip


def followed(session: Session, subject: Subject) -> list[FamilyLink]:
    """The elders the caller follows (none for anyone but a family account)."""
    if subject.role != Role.FAMILY or subject.user_id is None:
        return []
    return security_repository.family_links(session, subject.user_id)
