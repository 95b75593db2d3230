"""uvicorn's HTTP protocol with ``TCP_NODELAY`` set on every accepted connection.

asyncio sets ``TCP_NODELAY`` only on sockets whose ``proto`` is ``IPPROTO_TCP``. With ``--workers N`` uvicorn
binds the listening socket in the supervisor and the workers receive it with ``proto == 0``, so accepted
connections keep Nagle's algorithm on. A keep-alive response written as two segments (headers, then body) then
waits for the client's delayed ACK, about 40 ms on Linux, on every request (uvicorn issue #3149; it is why
``mlflow server`` with its default 4 workers is slower per call than with 1). Setting the option here, when
each connection is made, fixes it for any worker count.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from uvicorn.protocols.http.h11_impl import H11Protocol as _BaseProtocol
else:
    try:  # httptools parses faster; uvicorn[standard] installs it
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as _BaseProtocol
    except ImportError:  # pragma: no cover - only without uvicorn's standard extras
        from uvicorn.protocols.http.h11_impl import H11Protocol as _BaseProtocol


def set_nodelay(transport: asyncio.BaseTransport) -> None:
    """Turn Nagle's algorithm off on a TCP transport; other transports (Unix sockets) are left alone."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHttpProtocol(_BaseProtocol):
    """The HTTP/1.1 protocol uvicorn would pick, plus ``TCP_NODELAY`` on the connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        set_nodelay(transport)
        super().connection_made(transport)
