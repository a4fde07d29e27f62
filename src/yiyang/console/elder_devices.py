"""The elder's devices on the elder page (registry pages cannot read devices, so they load
this fragment from the console): what the elder wears, what is fitted at home, their state."""

from __future__ import annotations

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse

from yiyang.devices import pages as device_pages
from yiyang.devices import repository as device_repository
from yiyang.devices import rules as device_rules
from yiyang.kit.types import RowId
from yiyang.registry.elders import repository as elder_repository
from yiyang.security.roles import Perm
from yiyang.web.deps import DbSession, PageSubject, get_locale
from yiyang.web.templating import render

router = APIRouter(
    prefix="/console/devices", include_in_schema=False, dependencies=[Depends(get_locale)]
)


@router.get("/elders/{elder_id}", response_class=HTMLResponse)
def elder_devices(
    request: Request, db: DbSession, subject: PageSubject, elder_id: RowId
) -> HTMLResponse:
    """The live devices the elder wears or that are fitted in their home, with their state."""
    subject.require(Perm.DEVICE_READ)
    elder = elder_repository.get(db, subject, elder_id)
    now = request.app.state.clock()
    context = {
        "elder": elder,
        "devices": device_repository.elder_devices(db, subject, elder.id),
        "home": device_repository.home_of(db, elder.id),
        "since": lambda at: device_pages.minutes_since(at, now),
        "low_battery": device_rules.is_low_battery,
        "may_write": subject.can(Perm.DEVICE_WRITE),
    }
    return render(request, "console/_elder_devices.html", context)
