"""Exact ID-number searches: counted per user in the database, refused past the hour's limit.

A masked ID number hides what makes it unique, but a search for a full number still says
whether a guess is right; the limit (a setting) and the audit row of every such search keep
guessing from being a way around the mask. What is limited is guesses: the same number
searched again within the hour (the next page, the search sent again) is not counted again.
The count lives in a table, so every web worker shares it.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.errors import N_, TooManyRequests
from yiyang.kit.localtime import CHINA_TZ
from yiyang.kit.masking import mask_id_number
from yiyang.registry.elders import repository as elder_repository
from yiyang.registry.elders import rules
from yiyang.security.audit import service as audit
from yiyang.security.subject import Subject


def allow(session: Session, subject: Subject, q: str | None, *, now: datetime, limit: int) -> None:
    """Count a search by full ID number (audited), or refuse it with 429 past the limit."""
    number = rules.id_lookup(q)
    if number is None or subject.user_id is None:
        return
    since = now - rules.LOOKUP_WINDOW
    digest = hashlib.sha256(number.encode()).hexdigest()
    recent = elder_repository.recent_lookups(session, subject.user_id, since)
    if digest not in recent:
        again = rules.lookup_allowed_again(list(recent.values()), limit, now)
        if again is not None:
            raise TooManyRequests(
                N_(
                    "You have searched for %(limit)s different ID numbers in the last hour, "
                    "the most allowed. Search by name, or try another ID number after %(time)s."
                ),
                field="q",
                limit=limit,
                time=again.astimezone(CHINA_TZ).strftime("%H:%M"),
            )
        elder_repository.add_lookup(session, subject.user_id, digest, now, since)
    found = elder_repository.id_with_number(session, subject, number)
    audit.record(
        session, subject, "id_lookup", "elder", found, detail=mask_id_number(number), at=now
    )
