"""The ingest processes of a group share each device's allowance.

The broker hands each message of the shared subscription `/up` to one process of the group,
so with N processes each sees about one N-th of a device's messages: each process allows a
device one N-th of the rate and burst, and the group together allows the device its rate.
N is counted in the database: each process says it is alive every BEAT_S and counts those
seen within GRACE_S (a process killed drops out of the count after that). The urgent channel
`/alarm` is every process's own subscription, so there each allows the whole rate.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy.orm import Session, sessionmaker

from yiyang.db import unit_of_work
from yiyang.devices import gateway_repository
from yiyang.kit.clock import Clock

log = logging.getLogger(__name__)

BEAT_S = 15.0  # how often a process says it is alive and counts the others
GRACE_S = 45.0  # a process not heard from for this long no longer counts


@dataclass
class Membership:
    """One ingest process's place in its group."""

    factory: sessionmaker[Session]
    group: str
    client_id: str
    clock: Clock
    beat_s: float = BEAT_S
    _due: float = 0.0  # monotonic time of the next beat

    def beat(self) -> int | None:
        """When a beat is due: say this process is alive and count the group (at least 1);
        None when it is not due or the database is away (the share stays as it was)."""
        if time.monotonic() < self._due:
            return None
        self._due = time.monotonic() + self.beat_s
        now = self.clock()
        try:
            with unit_of_work(self.factory) as session:
                gateway_repository.seen(session, self.client_id, self.group, now)
                members = gateway_repository.alive(
                    session, self.group, now - timedelta(seconds=GRACE_S)
                )
        except Exception:
            log.warning("could not count the ingest group %s", self.group, exc_info=True)
            return None
        return max(1, members)

    def leave(self) -> None:
        """This process stops: the others take its share at their next beat."""
        try:
            with unit_of_work(self.factory) as session:
                gateway_repository.left(session, self.client_id)
        except Exception:
            log.warning("could not leave the ingest group %s", self.group, exc_info=True)
