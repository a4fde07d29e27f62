"""`serve --workers N` listens on a socket whose accepted connections get TCP_NODELAY from
asyncio (uvicorn's own listener for several workers loses it: Kludex/uvicorn#3149)."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor

from yiyang.cli import tcp_listener


def _nodelay_of_accepted(listener: socket.socket) -> int:
    seen: list[int] = []

    class Probe(asyncio.Protocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            sock = transport.get_extra_info("socket")
            seen.append(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            transport.close()

    async def run() -> None:
        server = await asyncio.get_running_loop().create_server(Probe, sock=listener)
        port = listener.getsockname()[1]
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        for _ in range(100):
            if seen:
                break
            await asyncio.sleep(0.01)
        writer.close()
        server.close()

    # A thread of its own: earlier tests (Playwright's sync API) may leave this one's loop running.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()
    return seen[0]


def test_accepted_connections_get_tcp_nodelay() -> None:
    listener = tcp_listener("127.0.0.1", 0)
    assert listener.proto == socket.IPPROTO_TCP
    assert _nodelay_of_accepted(listener) != 0


def test_a_listener_made_as_uvicorn_makes_it_loses_it() -> None:
    plain = socket.socket(socket.AF_INET)  # uvicorn's Config.bind_socket: proto left at 0
    plain.bind(("127.0.0.1", 0))
    assert _nodelay_of_accepted(plain) == 0
