"""ClientService on a real reactor over loopback: reconnecting after the server closes.

Everything runs on 127.0.0.1 with port 0; every wait goes through
``runUntil`` (bounded); the ``reactor`` fixture checks that no timer,
reader or writer is left behind.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from plait import error
from plait.defer import CancelledError, Deferred
from plait.endpoints import TCP4ClientEndpoint
from plait.failure import Failure
from plait.protocol import Factory, Protocol
from plait.service import ClientService
from tests.helpers import failureResultOf, runUntil, successResultOf


class _Peer(Protocol):
    """Either side of a connection; ``lost`` fires on connectionLost."""

    def __init__(self, closeAtOnce: bool = False) -> None:
        self.closeAtOnce = closeAtOnce
        self.lost: Deferred[None] = Deferred()
        self.received: Deferred[bytes] = Deferred()

    def connectionMade(self) -> None:
        if self.closeAtOnce:
            self.transport.loseConnection()

    def dataReceived(self, data: bytes) -> None:
        if self.factory is not None and self.factory.echo:
            self.transport.write(data)
        if not self.received.called:
            self.received.callback(data)

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        self.lost.callback(None)


class _ServerFactory(Factory[_Peer]):
    """Closes the first connection as soon as it is made; echoes on the others."""

    noisy = False
    echo = True

    def __init__(self) -> None:
        self.built: list[_Peer] = []

    def buildProtocol(self, addr: Any) -> _Peer:
        self.built.append(_Peer(closeAtOnce=not self.built))
        self.built[-1].factory = self
        return self.built[-1]


class _ClientFactory(Factory[_Peer]):
    noisy = False

    def __init__(self) -> None:
        self.built: list[_Peer] = []

    def buildProtocol(self, addr: Any) -> _Peer:
        self.built.append(_Peer())
        return self.built[-1]


class _Policy:
    """Retry at once, remembering the attempt numbers it was asked about."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def __call__(self, attempt: int) -> float:
        self.calls.append(attempt)
        return 0.0


@pytest.fixture
def refusedPort() -> Iterator[tuple[str, int]]:
    """A loopback port that refuses connections: bound, never listening."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    try:
        yield s.getsockname()
    finally:
        s.close()


def test_reconnectsAfterTheServerCloses(reactor: Any) -> None:
    """The server drops the first connection; the service reconnects; stop waits for connectionLost."""
    serverFactory = _ServerFactory()
    port = reactor.listenTCP(0, serverFactory, interface="127.0.0.1")
    clientFactory = _ClientFactory()
    policy = _Policy()
    endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port, timeout=5)
    service = ClientService(endpoint, clientFactory, retryPolicy=policy, clock=reactor)
    service.startService()

    first = runUntil(reactor, service.whenConnected())
    assert first is clientFactory.built[0]
    runUntil(reactor, first.lost)  # the server closed it

    second = runUntil(reactor, service.whenConnected())
    assert second is clientFactory.built[1]
    assert policy.calls == [1]  # a lost connection waits retryPolicy(1)
    second.transport.write(b"still here")
    assert runUntil(reactor, second.received) == b"still here"  # echoed: really connected

    stopped = service.stopService()
    assert not stopped.called  # connectionLost comes from the loop, later
    assert runUntil(reactor, stopped) is None
    assert second.lost.called
    failureResultOf(service.whenConnected(), CancelledError)

    for peer in serverFactory.built:
        runUntil(reactor, peer.lost)
    d = port.stopListening()
    if d is not None:
        runUntil(reactor, d)


def test_failAfterFailuresOnARefusedPort(reactor: Any, refusedPort: tuple[str, int]) -> None:
    """whenConnected(failAfterFailures=2) fails with the second ConnectionRefusedError."""
    policy = _Policy()
    endpoint = TCP4ClientEndpoint(reactor, *refusedPort, timeout=5)
    service = ClientService(endpoint, _ClientFactory(), retryPolicy=policy, clock=reactor)
    service.startService()
    with pytest.raises(error.ConnectionRefusedError):
        runUntil(reactor, service.whenConnected(failAfterFailures=2))
    assert policy.calls == [1, 2]
    # The third attempt's timer (or the attempt itself) is pending; stop ends it.
    assert runUntil(reactor, service.stopService()) is None


def test_stopWhileConnecting(reactor: Any, refusedPort: tuple[str, int]) -> None:
    """Stopping before the attempt completes cancels it and fires at once."""
    endpoint = TCP4ClientEndpoint(reactor, *refusedPort, timeout=5)
    service = ClientService(endpoint, _ClientFactory(), retryPolicy=_Policy(), clock=reactor)
    service.startService()
    waiter = service.whenConnected()
    assert successResultOf(service.stopService()) is None
    failureResultOf(waiter, CancelledError)
    reactor.iterate(0)
