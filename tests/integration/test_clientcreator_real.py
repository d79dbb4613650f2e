"""ClientCreator on a real reactor over loopback (listenTCP on 127.0.0.1, port 0)."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from plait import error
from plait.defer import CancelledError, Deferred
from plait.failure import Failure
from plait.protocol import ClientCreator, Factory, Protocol
from tests.helpers import runUntil


class _Echo(Protocol):
    def __init__(self) -> None:
        self.lost: Deferred[None] = Deferred()

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        self.lost.callback(None)


class _Client(Protocol):
    def __init__(self, greeting: bytes) -> None:
        self.greeting = greeting
        self.events: list[str] = []
        self.echoed: Deferred[bytes] = Deferred()
        self.lost: Deferred[None] = Deferred()
        self.reason: Failure | None = None

    def connectionMade(self) -> None:
        self.events.append("connectionMade")
        self.transport.write(self.greeting)

    def dataReceived(self, data: bytes) -> None:
        self.events.append("dataReceived")
        if not self.echoed.called:
            self.echoed.callback(data)

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        self.reason = reason
        self.lost.callback(None)


@pytest.fixture
def echoPort(reactor: Any) -> Iterator[int]:
    """An echo server on 127.0.0.1; afterwards waits for its connections to end."""
    built: list[_Echo] = []

    def build(addr: Any) -> _Echo:
        built.append(_Echo())
        return built[-1]

    factory = Factory()
    factory.buildProtocol = build  # type: ignore[method-assign]
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    try:
        yield port.getHost().port
    finally:
        for server in built:
            runUntil(reactor, server.lost)
        d = port.stopListening()
        if d is not None:
            runUntil(reactor, d)


def test_connectTCPFiresWithTheConnectedProtocol(reactor: Any, echoPort: int) -> None:
    """The Deferred fires with the protocol after connectionMade; factory stays None."""
    d = ClientCreator(reactor, _Client, b"hello").connectTCP("127.0.0.1", echoPort)
    client = runUntil(reactor, d)
    assert isinstance(client, _Client) and client.greeting == b"hello"
    assert client.events[0] == "connectionMade"
    assert client.factory is None
    assert runUntil(reactor, client.echoed) == b"hello"
    client.transport.loseConnection()
    runUntil(reactor, client.lost)
    assert client.reason is not None and client.reason.check(error.ConnectionDone)


def test_connectTCPRefused(reactor: Any) -> None:
    """A refused connection fails the Deferred with ConnectionRefusedError."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    try:
        d = ClientCreator(reactor, _Client, b"").connectTCP(*s.getsockname())
        with pytest.raises(error.ConnectionRefusedError):
            runUntil(reactor, d)
    finally:
        s.close()


def test_cancelBeforeConnecting(reactor: Any, echoPort: int) -> None:
    """Cancelling right away fails with CancelledError and leaves the reactor clean."""
    d = ClientCreator(reactor, _Client, b"").connectTCP("127.0.0.1", echoPort)
    d.cancel()
    with pytest.raises(CancelledError):
        runUntil(reactor, d)
    reactor.iterate(0)

