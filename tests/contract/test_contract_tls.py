"""The transport contract on TLS: over real TCP sockets and over the in-memory pair.

* ``TestTLSOverTCP4Contract``: ``listenSSL``/``connectSSL`` on ``127.0.0.1``
  port 0, a real ``SelectorReactor`` iterated until the test's condition
  holds (as ``test_contract_real.py`` does for TCP).
* ``TestTLSOverMemoryContract``: ``TLSMemoryBIOFactory`` on both ends of
  ``plait.testing``'s connected pair, pumped with a ``task.Clock``.

Every test of the suite holds for TLS as written, half-close included:
``loseWriteConnection`` sends ``close_notify`` (TLS's end of one
direction), the peer reads it as ``readConnectionLost`` and may answer
(``plait.tls``'s module docstring).  The protocols under test are the
suite's own; the TLS layer sits between them and the transport, so the
``transport`` each one talks to is the TLS layer.

Tests: the suite in ``transport_contract.py``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from plait.protocol import ClientFactory, Factory
from plait.task import Clock
from plait.testing import IOPump, connectedServerAndClient
from plait.tls import TLSMemoryBIOFactory
from tests.tlshelpers import ADDRESS, Certs

from .transport_contract import RecordingProtocol, TransportContract


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certs:
    return Certs(tmp_path_factory.mktemp("contract-certs"))


class _TLSOverTCPPair:
    def __init__(self, reactor: Any, certs: Certs, client: RecordingProtocol, server: RecordingProtocol) -> None:
        self.reactor = reactor
        self.client = client
        self.server = server
        serverFactory = Factory()
        serverFactory.buildProtocol = lambda addr: server  # type: ignore[method-assign]
        clientFactory = ClientFactory()
        clientFactory.buildProtocol = lambda addr: client  # type: ignore[method-assign]
        self.port = reactor.listenSSL(0, serverFactory, certs.serverOptions(), interface="127.0.0.1")
        reactor.connectSSL("127.0.0.1", self.port.getHost().port, clientFactory, certs.clientOptions())
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


class TestTLSOverTCP4Contract(TransportContract):
    @pytest.fixture(autouse=True)
    def _setUp(self, reactor: Any, certs: Certs) -> None:
        self.reactor = reactor
        self.certs = certs

    def makePair(self, client: RecordingProtocol, server: RecordingProtocol) -> _TLSOverTCPPair:
        return _TLSOverTCPPair(self.reactor, self.certs, client, server)


class _TLSOverMemoryPair:
    def __init__(self, certs: Certs, client: RecordingProtocol, server: RecordingProtocol) -> None:
        self.client = client
        self.server = server
        self.clock = Clock()
        sf = TLSMemoryBIOFactory(certs.serverOptions(), False, Factory.forProtocol(lambda: server), self.clock)
        cf = TLSMemoryBIOFactory(certs.clientOptions(), True, Factory.forProtocol(lambda: client), self.clock)
        _, _, self.pump = connectedServerAndClient(
            lambda: sf.buildProtocol(ADDRESS), lambda: cf.buildProtocol(ADDRESS), clock=self.clock
        )

    def run(self, until: Callable[[], bool], timeout: float = 5.0) -> None:
        pump: IOPump = self.pump
        while not until():
            if not pump.pump() and not self.clock.getDelayedCalls():
                raise AssertionError("the pump went quiet before the condition held")

    def close(self) -> None:
        for side in (self.client, self.server):
            if not side.lost:
                side.transport.abortConnection()
        self.pump.flush()
        assert self.client.lost and self.server.lost
        assert self.clock.getDelayedCalls() == []


class TestTLSOverMemoryContract(TransportContract):
    @pytest.fixture(autouse=True)
    def _setUp(self, certs: Certs) -> None:
        self.certs = certs

    def makePair(self, client: RecordingProtocol, server: RecordingProtocol) -> _TLSOverMemoryPair:
        return _TLSOverMemoryPair(self.certs, client, server)
