"""What a supervisor watches: the queue now, today's answer times against the targets, each
operator's load and the review tickets still open.

Answer time is the time from raised to acknowledged. "Today" is the calendar day in China.
An alarm counts towards a limit once it was answered or once the limit has passed, so an
alarm raised a few seconds ago is not yet a miss (rules.compliance).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.alarms import repository
from yiyang.alarms.handling import repository as review_queries
from yiyang.alarms.handling import rules
from yiyang.alarms.handling.schemas import ComplianceRead, Figures, OperatorLoad, ReviewRead
from yiyang.security.roles import Perm
from yiyang.security.subject import Subject


def figures(session: Session, subject: Subject, *, now: datetime) -> Figures:
    """The supervisor's figures within the subject's scope (403 without ALARM_SUPERVISE)."""
    subject.require(Perm.ALARM_SUPERVISE)
    since = rules.day_start(now)
    open_, waiting = repository.queue_depth(session, subject)
    compliance = rules.compliance(repository.answer_times(session, subject, since), now)
    return Figures(
        at=now,
        open=open_,
        waiting=waiting,
        compliance=[
            ComplianceRead(
                within_seconds=int(c.within.total_seconds()),
                target=c.target,
                answered=c.answered,
                counted=c.counted,
                share=c.share,
                met=c.met,
            )
            for c in compliance
        ],
        operators=[
            OperatorLoad(user_id=uid, name=name, holding=held, handled_today=handled)
            for uid, name, held, handled in repository.operator_load(session, subject, since)
        ],
        open_reviews=[
            ReviewRead.model_validate(r) for r in review_queries.open_reviews(session, subject)
        ],
    )
