"""Where webhooks may go: public addresses, and private networks only when a setting allows.

An administrator's subscriber URL must not turn the platform into a way into its own network
(the database, the broker, a cloud metadata service). Addresses written in the URL are
checked when the subscription is saved; names are resolved and checked before every try,
so a name that later points inside is refused too.
"""

from __future__ import annotations

import socket
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from urllib.parse import urlsplit

from yiyang.events.delivery import Undeliverable

Networks = Sequence[IPv4Network | IPv6Network]
LOCAL_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


class ForbiddenDestination(Undeliverable):
    """The URL leads to an address outside the public internet that no setting allows."""


def _allowed(address: str, allowed: Networks) -> bool:
    ip: IPv4Address | IPv6Address = ip_address(address.split("%", 1)[0])  # no IPv6 zone
    if isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped  # ::ffff:10.0.0.1 is 10.0.0.1
    return ip.is_global or any(ip in net for net in allowed if net.version == ip.version)


def literal_problem(url: str, allowed: Networks) -> str | None:
    """Why a URL's written host may not be posted to (an address or localhost), else None."""
    host = (urlsplit(url).hostname or "").lower()
    if host in LOCAL_NAMES or host.endswith(".localhost"):
        return "loopback" if not _allowed("127.0.0.1", allowed) else None
    try:
        return None if _allowed(host, allowed) else "private"
    except ValueError:
        return None  # a name: checked by what it resolves to, at delivery


def check_url(url: str, allowed: Networks) -> None:
    """Refuse (ForbiddenDestination) a URL any of whose addresses is private and not allowed.

    A name that does not resolve raises OSError: a failed try, retried later.
    """
    if literal_problem(url, allowed) is not None:
        raise ForbiddenDestination(f"{url} leads to a private address")
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        ip_address(host)
        return  # a written public (or allowed) address
    except ValueError:
        pass
    port = parts.port or (443 if parts.scheme == "https" else 80)
    for *_, sockaddr in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM):
        address = str(sockaddr[0])
        if not _allowed(address, allowed):
            raise ForbiddenDestination(f"{host} resolves to {address}, a private address")
