"""A gateway on a private database whose rows are really committed, with two installed devices."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.builders import make_elder, make_tree
from tests.conftest import Live
from tests.ingest.builders import make_device
from yiyang.config import Settings
from yiyang.devices.message_models import DeadLetter, DeviceMessage
from yiyang.ingest.pipeline import Gateway

VENDOR_SECRET = "vendor-secret-for-tests"


@dataclass
class Rig:
    """The live app, its gateway and the devices the tests speak as."""

    live: Live
    gateway: Gateway
    settings: Settings
    cord: int  # a pull cord (house scheme) by an elder's bed: imei 861000000000001
    band: int  # a vitals band of another elder: imei 861000000000002
    cloud: int  # a mattress reporting through the vendor cloud: serial KY2300017
    elder_id: int

    def session(self) -> Session:
        return self.live.factory()

    def dead(self) -> list[tuple[str, int]]:
        """(reason, count) of every dead letter, in order of arrival."""
        with self.session() as s:
            rows = s.execute(select(DeadLetter.reason, DeadLetter.count).order_by(DeadLetter.id))
            return [(r, n) for r, n in rows]

    def stored(self) -> int:
        with self.session() as s:
            return s.scalar(select(func.count(DeviceMessage.id))) or 0


@pytest.fixture
def rig(live: Live) -> Iterator[Rig]:
    settings = live.settings.model_copy(
        update={"vendor_secrets": {"cloudcare": VENDOR_SECRET}, "ingest_burst": 5,
                "ingest_rate_per_minute": 6.0}
    )  # fmt: skip
    with live.factory() as s:
        tree = make_tree(s)
        elder = make_elder(s, tree.comm_a1)
        other = make_elder(s, tree.comm_b1, name="张建国")
        cord = make_device(s, tree.comm_a1, elder=elder, identity="861000000000001")
        band = make_device(
            s, tree.comm_b1, elder=other, kind="vitals_band", identity="861000000000002"
        )
        cloud = make_device(
            s, tree.comm_a1, elder=elder, kind="smart_mattress", protocol="cloudcare",
            scheme="serial", identity="KY2300017", token=None,
        )  # fmt: skip
        s.commit()
        ids = (cord.id, band.id, cloud.id, elder.id)
    gateway = Gateway(live.factory, settings, live.clock)
    live.app.state.gateway = gateway
    yield Rig(live, gateway, settings, *ids)
