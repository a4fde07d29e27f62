"""Device test data: valid IMEIs and registered devices."""

from __future__ import annotations

import itertools
from datetime import datetime

from sqlalchemy.orm import Session

from yiyang.devices import rules, service
from yiyang.devices.models import Device
from yiyang.devices.schemas import DeviceCreate, IdentityIn
from yiyang.security.subject import Subject

_seq = itertools.count(1)


def new_imei(prefix: str = "86") -> str:
    """A fresh valid IMEI (Luhn check digit) for one test."""
    body = f"{prefix}{next(_seq):012d}"[:14]
    return body + rules.imei_check_digit(body)


def register(
    db: Session,
    subject: Subject,
    now: datetime,
    kind: str = "pull_cord",
    *,
    imei: str | None = None,
) -> tuple[Device, str]:
    """Register a device with one IMEI as `subject`."""
    data = DeviceCreate(
        kind=kind,
        vendor="颐家",
        model="PC-1",
        identities=[IdentityIn(scheme="imei", value=imei or new_imei())],
    )
    return service.register(db, subject, data, now=now)
