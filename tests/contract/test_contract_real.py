"""The transport contract on real TCP connections over IPv4 and IPv6 loopback.

Each pair is a ``listenTCP`` port on ``127.0.0.1``/``::1`` port 0 and a
``connectTCP`` client, driven by a real ``SelectorReactor`` one iteration at a
time until the test's condition holds (bounded by a timeout).

Tests: the suite in ``transport_contract.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from plait.protocol import ClientFactory, Factory

from .transport_contract import RecordingProtocol, TransportContract


class _TCPPair:
    """A connected client/server pair on one reactor (see the pair protocol)."""

    def __init__(
        self, reactor: Any, interface: str, client: RecordingProtocol, server: RecordingProtocol
    ) -> None:
        self.reactor = reactor
        self.client = client
        self.server = server
        serverFactory = Factory()
        serverFactory.buildProtocol = lambda addr: server  # type: ignore[method-assign]
        clientFactory = ClientFactory()
        clientFactory.buildProtocol = lambda addr: client  # type: ignore[method-assign]
        self.port = reactor.listenTCP(0, serverFactory, interface=interface)
        self.connector = reactor.connectTCP(interface, self.port.getHost().port, clientFactory)
        self.run(lambda: "connectionMade" in client.events and "connectionMade" in server.events)

    def run(self, until: Callable[[], bool], timeout: float = 5.0) -> None:
        deadline = time.monotonic() + timeout
        while not until():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not reached within {timeout} s")
            self.reactor.iterate(0.01)

    def close(self) -> None:
        for side in (self.client, self.server):
            if not side.lost and side.transport is not None:
                side.transport.abortConnection()
        self.run(lambda: self.client.lost and self.server.lost)
        stopped: list[object] = []
        d = self.port.stopListening()
        if d is not None:
            d.addCallback(stopped.append)
            self.run(lambda: bool(stopped))


class _RealContract(TransportContract):
    interface = ""

    @pytest.fixture(autouse=True)
    def _useReactor(self, reactor: Any) -> None:
        self.reactor = reactor

    def makePair(self, client: RecordingProtocol, server: RecordingProtocol) -> _TCPPair:
        return _TCPPair(self.reactor, self.interface, client, server)


class TestTCP4Contract(_RealContract):
    interface = "127.0.0.1"


class TestTCP6Contract(_RealContract):
    interface = "::1"
