"""Webhooks reach the public internet only, unless a private network is allowed by a setting."""

from __future__ import annotations

import socket
from ipaddress import ip_network
from typing import Any

import pytest

from yiyang.ports.destinations import ForbiddenDestination, check_url, literal_problem

LOOPBACK = [ip_network("127.0.0.0/8")]


def _resolving_to(monkeypatch: pytest.MonkeyPatch, *addresses: str) -> None:
    def fake(host: str, port: Any, *args: Any, **kwargs: Any) -> list[Any]:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, 443)) for a in addresses]

    monkeypatch.setattr(socket, "getaddrinfo", fake)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.1.10/hook",
        "http://169.254.169.254/latest/meta-data",  # cloud metadata
        "http://0.0.0.0/hook",
        "http://[fd00::1]/hook",
        "http://100.64.0.1/hook",  # carrier-grade NAT
        "http://[::ffff:10.0.0.1]/hook",  # an IPv4 address written as IPv6
    ],
)
def test_private_loopback_and_metadata_addresses_are_refused(url: str) -> None:
    assert literal_problem(url, []) is not None
    with pytest.raises(ForbiddenDestination):
        check_url(url, [])


def test_a_public_address_is_allowed() -> None:
    assert literal_problem("https://8.8.8.8/hook", []) is None
    check_url("https://8.8.8.8/hook", [])


def test_an_allowed_private_network_may_be_reached() -> None:
    assert literal_problem("http://127.0.0.1:9/hook", LOOPBACK) is None
    check_url("http://127.0.0.1:9/hook", LOOPBACK)
    with pytest.raises(ForbiddenDestination):
        check_url("http://10.0.0.1/hook", LOOPBACK)


def test_a_name_is_checked_by_what_it_resolves_to(monkeypatch: pytest.MonkeyPatch) -> None:
    assert literal_problem("https://hooks.example.org/x", []) is None  # names: at delivery
    _resolving_to(monkeypatch, "93.184.215.14", "10.0.0.5")  # one private answer is enough
    with pytest.raises(ForbiddenDestination, match=r"10\.0\.0\.5"):
        check_url("https://hooks.example.org/x", [])
    _resolving_to(monkeypatch, "93.184.215.14")
    check_url("https://hooks.example.org/x", [])


def test_a_name_that_does_not_resolve_is_a_failed_try_not_a_forbidden_one(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fails(*args: Any, **kwargs: Any) -> Any:
        raise socket.gaierror("Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", fails)
    with pytest.raises(OSError):
        check_url("https://nowhere.invalid/x", [])
