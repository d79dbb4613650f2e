"""Test helpers shipped with linecount: an endpoint that connects in memory.

``MemoryEndpoint(serverFactory, clock)`` connects each client to a new
protocol of ``serverFactory`` through plait's in-memory transport pair
(``plait.testing.connectedServerAndClient``): no sockets, no real time.
``flush()`` moves the bytes both ways; ``refuse = True`` makes the next
attempts fail as a refused connection would.
"""

from __future__ import annotations

from typing import Any

from zope.interface import implementer

from plait.defer import Deferred, fail, succeed
from plait.error import ConnectionRefusedError
from plait.interfaces import IStreamClientEndpoint
from plait.testing import IOPump, connectedServerAndClient


@implementer(IStreamClientEndpoint)
class MemoryEndpoint:
    def __init__(self, serverFactory: Any, clock: Any) -> None:
        self.serverFactory = serverFactory
        self.clock = clock
        self.pumps: list[IOPump] = []
        self.refuse = False
        self.attempts = 0

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        self.attempts += 1
        if self.refuse:
            return fail(ConnectionRefusedError("127.0.0.1", 4321))
        client, _, pump = connectedServerAndClient(
            lambda: self.serverFactory.buildProtocol(None),
            lambda: protocolFactory.buildProtocol(None),
            clock=self.clock,
        )
        self.pumps.append(pump)
        return succeed(client)

    def flush(self) -> None:
        """Deliver everything written, on every connection, until quiet."""
        for pump in self.pumps:
            pump.flush()
