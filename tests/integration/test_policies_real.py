"""plait.protocols.policies on real loopback TCP connections.

The silent server is a bare CPython listening socket (the kernel completes
the handshake; nothing is ever sent), and the clients of the limiting
servers include bare CPython sockets, so every wrapper is also seen from a
peer plait did not write.  Waits are bounded (``runUntil``); the ``reactor``
fixture checks that nothing is left registered or scheduled.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from plait import error
from plait.defer import Deferred
from plait.failure import Failure
from plait.interfaces import ITCPTransport
from plait.protocol import ClientFactory, Factory, Protocol, connectionDone
from plait.protocols.policies import (
    LimitTotalConnectionsFactory,
    TimeoutFactory,
    TimeoutMixin,
    WrappingFactory,
)
from tests.helpers import runUntil


class Watcher(Protocol):
    """Collects data; ``made``/``lost`` fire on connect and on loss."""

    def __init__(self) -> None:
        self.data = b""
        self.made: Deferred[Watcher] = Deferred()
        self.lost: Deferred[tuple[Failure]] = Deferred()

    def connectionMade(self) -> None:
        self.made.callback(self)

    def dataReceived(self, data: bytes) -> None:
        self.data += data

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.lost.callback((reason,))  # wrapped: a Failure result would count as failed


class Echo(Watcher):
    def dataReceived(self, data: bytes) -> None:
        Watcher.dataReceived(self, data)
        self.transport.write(data)


class Busy(Protocol):
    def connectionMade(self) -> None:
        self.transport.write(b"busy\n")
        self.transport.loseConnection()


class Keeper(ClientFactory[Watcher]):
    """Builds one given protocol."""

    def __init__(self, proto: Watcher) -> None:
        self.proto = proto

    def buildProtocol(self, addr: Any) -> Watcher:
        self.proto.factory = self
        return self.proto


@pytest.fixture
def silentServer() -> Iterator[socket.socket]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    yield listener
    listener.close()


def recvAll(sock: socket.socket) -> bytes:
    sock.settimeout(5)
    chunks = []
    while chunk := sock.recv(4096):
        chunks.append(chunk)
    return b"".join(chunks)


def test_timeoutMixinClientAgainstASilentServer(reactor: Any, silentServer: socket.socket) -> None:
    class Patient(Watcher, TimeoutMixin):
        def connectionMade(self) -> None:
            self.setTimeout(0.2)
            Watcher.connectionMade(self)

        def callLater(self, period: float, func: Any) -> Any:
            return reactor.callLater(period, func)

    proto = Patient()
    reactor.connectTCP("127.0.0.1", silentServer.getsockname()[1], Keeper(proto))
    runUntil(reactor, proto.made)
    started = time.monotonic()
    (reason,) = runUntil(reactor, proto.lost)
    assert time.monotonic() - started >= 0.19
    assert reason.check(error.ConnectionDone)
    assert proto.timeOut == 0.2 and proto._TimeoutMixin__timeoutCall is None  # type: ignore[attr-defined]


def test_wrappingFactoryServer(reactor: Any) -> None:
    made: list[Echo] = []

    def echo() -> Echo:
        p = Echo()
        made.append(p)
        return p

    factory = WrappingFactory(Factory.forProtocol(echo))
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    try:
        client = Watcher()
        reactor.connectTCP("127.0.0.1", port.getHost().port, Keeper(client))
        runUntil(reactor, client.made)
        client.transport.write(b"hello")
        runUntil(reactor, _until(reactor, lambda: client.data == b"hello"))
        (server,) = made
        (wrapper,) = factory.protocols
        assert server.transport is wrapper and wrapper.wrappedProtocol is server
        assert ITCPTransport.providedBy(wrapper)  # the TCP transport's interfaces
        assert verifyObject(ITCPTransport, wrapper)  # ...with every method, own or forwarded
        assert server.transport.getPeer() == client.transport.getHost()
        assert server.transport.getTcpNoDelay() in (0, 1, True, False)  # forwarded attribute
        assert wrapper.logPrefix() == "Echo (ProtocolWrapper)"
        server.transport.loseConnection()
        runUntil(reactor, server.lost)
        runUntil(reactor, client.lost)
        assert factory.protocols == {}
    finally:
        runUntil(reactor, port.stopListening())


def test_limitTotalConnectionsWithRealClients(reactor: Any) -> None:
    servers: list[Watcher] = []

    def watcher() -> Watcher:
        p = Watcher()
        servers.append(p)
        return p

    factory = LimitTotalConnectionsFactory()
    factory.protocol = watcher
    factory.connectionLimit = 1
    factory.overflowProtocol = Busy
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    address = ("127.0.0.1", port.getHost().port)
    first = socket.create_connection(address, timeout=5)
    try:
        runUntil(reactor, _until(reactor, lambda: factory.connectionCount == 1))
        # Over the limit: the overflow protocol answers and hangs up.
        second = socket.create_connection(address, timeout=5)
        result: list[bytes] = []
        d = _until(reactor, lambda: factory.connectionCount == 1 and _drained(second, result))
        runUntil(reactor, d)
        assert b"".join(result) == b"busy\n"
        second.close()
        # Without an overflow protocol the excess connection is just closed.
        factory.overflowProtocol = None
        third = socket.create_connection(address, timeout=5)
        got: list[bytes] = []
        runUntil(reactor, _until(reactor, lambda: _drained(third, got)))
        assert got == [b""] and factory.connectionCount == 1
        third.close()
        first.close()
        (server,) = servers
        runUntil(reactor, server.lost)
        assert factory.connectionCount == 0
    finally:
        first.close()
        runUntil(reactor, port.stopListening())


def test_timeoutFactoryDropsAnIdleRealClient(reactor: Any) -> None:
    factory = TimeoutFactory(Factory.forProtocol(Echo), timeoutPeriod=0.2)
    factory.callLater = reactor.callLater  # type: ignore[method-assign]
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    try:
        sock = socket.create_connection(("127.0.0.1", port.getHost().port), timeout=5)
        got: list[bytes] = []
        sock.sendall(b"ping")
        started = time.monotonic()
        runUntil(reactor, _until(reactor, lambda: _drained(sock, got)))
        assert b"".join(got) == b"ping"
        assert time.monotonic() - started >= 0.19
        sock.close()
        runUntil(reactor, _until(reactor, lambda: not factory.protocols))
    finally:
        runUntil(reactor, port.stopListening())


# -- helpers ---------------------------------------------------------------------------


def _drained(sock: socket.socket, into: list[bytes]) -> bool:
    """Read what ``sock`` has without blocking; True once the peer closed."""
    sock.setblocking(False)
    try:
        while True:
            chunk = sock.recv(4096)
            into.append(chunk)
            if not chunk:
                return True
    except BlockingIOError:
        return False


def _until(reactor: Any, condition: Any, interval: float = 0.01) -> Deferred[None]:
    """A Deferred that fires once ``condition()`` is true, polled on the reactor."""
    d: Deferred[None] = Deferred()

    def check() -> None:
        if condition():
            d.callback(None)
        else:
            pending.append(reactor.callLater(interval, check))

    pending: list[Any] = []
    check()

    def cancelPending(result: object) -> object:
        for call in pending:
            if call.active():
                call.cancel()
        return result

    d.addBoth(cancelPending)
    return d
