"""The ingest processes of a group share a device's allowance: with N alive each allows an
N-th of the rate and burst on the shared channel and all of it on the urgent one, N being
counted in the database by the processes that said lately they are alive."""

from __future__ import annotations

import uuid

from tests.conftest import FakeClock
from tests.ingest.conftest import Rig
from tests.ingest.test_mqtt import running, wait_for
from tests.ingest.test_pipeline import payload
from yiyang.ingest.members import GRACE_S, Membership
from yiyang.ingest.mqtt import Subscriber
from yiyang.ingest.pipeline import Gateway

BAND_UP = "yiyang/v1/devices/imei:861000000000002/up"
CORD_ALARM = "yiyang/v1/devices/imei:861000000000001/alarm"


def _statuses(gateway: Gateway, items: list[tuple[str, bytes]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for outcome in gateway.mqtt_batch(items):
        out[outcome.status] = out.get(outcome.status, 0) + 1
    return out


def test_one_of_two_processes_allows_half_a_burst_on_the_shared_channel(rig: Rig) -> None:
    rig.gateway.share_among(2)  # the rig allows a burst of 5
    beats = [(BAND_UP, payload(rig, id=f"h{n}", type="heartbeat", signal=None)) for n in range(6)]
    assert _statuses(rig.gateway, beats) == {"seen": 3, "rate_limited": 3}


def test_the_urgent_channel_keeps_the_whole_burst_in_every_process(rig: Rig) -> None:
    rig.gateway.share_among(2)
    presses = [(CORD_ALARM, payload(rig, id=f"s{n}")) for n in range(6)]
    assert _statuses(rig.gateway, presses) == {"stored": 5, "rate_limited": 1}


def _member(rig: Rig, group: str, name: str, clock: FakeClock) -> Membership:
    return Membership(rig.live.factory, group, name, clock, beat_s=0)


def test_a_group_counts_the_processes_alive_in_it(rig: Rig, clock: FakeClock) -> None:
    group = f"g{uuid.uuid4().hex[:8]}"
    one, two = _member(rig, group, "one", clock), _member(rig, group, "two", clock)
    _member(rig, f"other-{group}", "three", clock).beat()  # another group's process

    assert one.beat() == 1
    assert two.beat() == 2 and one.beat() == 2
    two.leave()  # stopped
    assert one.beat() == 1


def test_a_killed_process_stops_counting_after_the_grace(rig: Rig, clock: FakeClock) -> None:
    group = f"g{uuid.uuid4().hex[:8]}"
    one, two = _member(rig, group, "one", clock), _member(rig, group, "two", clock)
    one.beat(), two.beat()
    clock.advance(seconds=GRACE_S - 1)
    assert one.beat() == 2
    clock.advance(seconds=2)  # two said nothing since it was killed
    assert one.beat() == 1


def test_running_processes_take_their_share_and_give_it_back_when_one_stops(rig: Rig) -> None:
    group = f"t{uuid.uuid4().hex[:8]}"
    clock = rig.live.clock
    subscribers = [
        Subscriber(
            Gateway(rig.live.factory, rig.settings, clock),
            rig.settings,
            f"{n}-{group}",
            group,
            Membership(rig.live.factory, group, f"{n}-{group}", clock, beat_s=0.1),
        )
        for n in ("a", "b")
    ]
    first, second = subscribers
    with running(first):
        with running(second):
            wait_for(lambda: all(s.gateway.buckets.burst == 3 for s in subscribers))
        wait_for(lambda: first.gateway.buckets.burst == 5)
    assert second.gateway.urgent_buckets.burst == 5
