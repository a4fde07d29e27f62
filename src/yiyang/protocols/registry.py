"""Which parser reads which protocol: `Device.protocol` (and a webhook's vendor) → parser."""

from __future__ import annotations

from collections.abc import Callable

from yiyang.protocols import house_json, vendor_cloud
from yiyang.protocols.message import DeviceMessage
from yiyang.protocols.vocabulary import IdentityScheme

# raw payload, and the device the MQTT topic names (None over HTTP) → the messages in it.
Parser = Callable[[bytes, IdentityScheme | None, str | None], list[DeviceMessage]]

HOUSE = "house"
PARSERS: dict[str, Parser] = {
    HOUSE: house_json.parse,
    vendor_cloud.NAME: vendor_cloud.parse,
}


def parser_for(protocol: str) -> Parser | None:
    """The parser of a protocol, or None when the platform does not speak it."""
    return PARSERS.get(protocol)
