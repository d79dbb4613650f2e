"""Endpoints on a real reactor over loopback (IPv4 and IPv6), port 0, bounded waits."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest
from zope.interface import implementer

from plait import error
from plait.address import IPv4Address, IPv6Address
from plait.defer import Deferred
from plait.endpoints import (
    HostnameEndpoint,
    TCP4ClientEndpoint,
    TCP4ServerEndpoint,
    TCP6ClientEndpoint,
    TCP6ServerEndpoint,
    clientFromString,
    connectProtocol,
    serverFromString,
)
from plait.failure import Failure
from plait.interfaces import IHostnameResolver
from plait.protocol import Factory, Protocol
from tests.helpers import assertNoResult, runUntil


class _Echo(Protocol):
    def __init__(self) -> None:
        self.lost: Deferred[None] = Deferred()

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        self.lost.callback(None)


class _EchoFactory(Factory[Any]):
    """Builds echo protocols and remembers them, so a test can wait for them."""

    def __init__(self) -> None:
        self.built: list[_Echo] = []

    def buildProtocol(self, addr: Any) -> _Echo:
        self.built.append(_Echo())
        return self.built[-1]


class _Client(Protocol):
    """Records events; ``received`` fires once ``expected`` bytes arrived."""

    def __init__(self, expected: int = 0) -> None:
        self.events: list[str] = []
        self.data = b""
        self.expected = expected
        self.received: Deferred[bytes] = Deferred()
        self.lost: Deferred[None] = Deferred()
        self.reason: Failure | None = None

    def connectionMade(self) -> None:
        self.events.append("connectionMade")

    def dataReceived(self, data: bytes) -> None:
        self.data += data
        if len(self.data) >= self.expected and not self.received.called:
            self.received.callback(self.data)

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        self.events.append("connectionLost")
        self.reason = reason
        self.lost.callback(None)


def _closeClient(reactor: Any, client: _Client) -> None:
    client.transport.loseConnection()
    runUntil(reactor, client.lost)


def _stop(reactor: Any, port: Any) -> None:
    """Wait for every server-side connection to end, then stop listening."""
    for built in getattr(port.factory, "built", []):
        runUntil(reactor, built.lost)
    d = port.stopListening()
    if d is not None:
        runUntil(reactor, d)


@pytest.fixture
def refusedPort() -> Iterator[tuple[str, int]]:
    """A loopback port that refuses connections: bound, never listening."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0))
    try:
        yield s.getsockname()
    finally:
        s.close()


def _echoRoundTrip(reactor: Any, client: _Client) -> None:
    assert client.events == ["connectionMade"]
    client.transport.write(b"ping")
    assert runUntil(reactor, client.received) == b"ping"
    _closeClient(reactor, client)


def test_tcp4EndpointsConnectAndEcho(reactor: Any) -> None:
    """TCP4 server and client endpoints on 127.0.0.1: fires after connectionMade, echoes."""
    port = runUntil(reactor, TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(_EchoFactory()))
    address = port.getHost()
    assert isinstance(address, IPv4Address) and address.port != 0
    client = _Client(expected=4)
    d = connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", address.port), client)
    assert runUntil(reactor, d) is client
    assert client.factory is None
    _echoRoundTrip(reactor, client)
    _stop(reactor, port)


def test_tcp6EndpointsConnectAndEcho(reactor: Any) -> None:
    """TCP6 server and client endpoints on ::1."""
    port = runUntil(reactor, TCP6ServerEndpoint(reactor, 0, interface="::1").listen(_EchoFactory()))
    assert isinstance(port.getHost(), IPv6Address)
    client = _Client(expected=4)
    d = connectProtocol(TCP6ClientEndpoint(reactor, "::1", port.getHost().port), client)
    assert runUntil(reactor, d) is client
    assert isinstance(client.transport.getPeer(), IPv6Address)
    _echoRoundTrip(reactor, client)
    _stop(reactor, port)


def test_tcp6NameResolvedInTheReactorThreadPool(reactor: Any) -> None:
    """A TCP6 name is resolved by _getaddrinfo run in the reactor's thread pool."""
    port = runUntil(reactor, TCP6ServerEndpoint(reactor, 0, interface="::1").listen(_EchoFactory()))
    ep = TCP6ClientEndpoint(reactor, "localhost", port.getHost().port)
    ep._getaddrinfo = lambda host, p, family: [  # type: ignore[method-assign,assignment]
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 0, 0, 0))
    ]
    client = _Client(expected=4)
    assert runUntil(reactor, connectProtocol(ep, client)) is client
    _echoRoundTrip(reactor, client)
    _stop(reactor, port)


def test_refusedPortGivesConnectionRefusedError(reactor: Any, refusedPort: tuple[str, int]) -> None:
    """Connecting to a port nobody listens on fails with ConnectionRefusedError."""
    d = TCP4ClientEndpoint(reactor, *refusedPort).connect(Factory.forProtocol(_Client))
    with pytest.raises(error.ConnectionRefusedError):
        runUntil(reactor, d)


def test_cancelBeforeTheReactorRuns(reactor: Any, refusedPort: tuple[str, int]) -> None:
    """Cancelling at once fails with ConnectingCancelledError(destination), leaving no trace."""
    d = TCP4ClientEndpoint(reactor, *refusedPort).connect(Factory.forProtocol(_Client))
    d.cancel()
    with pytest.raises(error.ConnectingCancelledError) as info:
        runUntil(reactor, d)
    assert info.value.address == IPv4Address("TCP", *refusedPort)
    reactor.iterate(0)


def test_connectionMadeRaisingNeverFiresTheDeferred(reactor: Any, loggedErrors: Any) -> None:
    """If the user's connectionMade raises, the error is logged and d never fires."""
    # The client may be gone before the server even accepts, so wait for the
    # server's protocol explicitly rather than assuming it exists.
    built: Deferred[_Client] = Deferred()

    class ServerFactory(Factory[Any]):
        def buildProtocol(self, addr: Any) -> _Client:
            server = _Client()
            built.callback(server)
            return server

    class Exploding(_Client):
        def connectionMade(self) -> None:
            raise ValueError("connectionMade exploded")

    port = runUntil(reactor, TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(ServerFactory()))
    client = Exploding()
    d = connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port), client)
    runUntil(reactor, client.lost)
    runUntil(reactor, runUntil(reactor, built).lost)
    assertNoResult(d)
    assert loggedErrors.flush(ValueError)
    _stop(reactor, port)


def test_stringDescriptions(reactor: Any) -> None:
    """serverFromString/clientFromString endpoints work end to end."""
    port = runUntil(reactor, serverFromString(reactor, "tcp:0:interface=127.0.0.1").listen(_EchoFactory()))
    client = _Client(expected=4)
    endpoint = clientFromString(reactor, f"tcp:127.0.0.1:{port.getHost().port}:timeout=5")
    assert runUntil(reactor, connectProtocol(endpoint, client)) is client
    _echoRoundTrip(reactor, client)
    _stop(reactor, port)


def test_serverEndpointPortInUse(reactor: Any) -> None:
    """Listening on a port already taken fails with CannotListenError."""
    port = runUntil(reactor, TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(_EchoFactory()))
    d = TCP4ServerEndpoint(reactor, port.getHost().port, interface="127.0.0.1").listen(_EchoFactory())
    with pytest.raises(error.CannotListenError):
        runUntil(reactor, d)
    _stop(reactor, port)


@implementer(IHostnameResolver)
class _LoopbackResolver:
    """Resolves every name to ::1 then 127.0.0.1 (tests never use real DNS)."""

    def __init__(self, reactor: Any, addresses: list[type]) -> None:
        self._reactor = reactor
        self._addresses = addresses

    def resolveHostName(self, receiver: Any, hostName: str, portNumber: int = 0, *a: Any, **k: Any) -> Any:
        class Resolution:
            name = hostName

            def cancel(self) -> None:
                pass

        resolution = Resolution()
        receiver.resolutionBegan(resolution)

        def answer() -> None:
            for kind in self._addresses:
                host = "::1" if kind is IPv6Address else "127.0.0.1"
                receiver.addressResolved(kind("TCP", host, portNumber))
            receiver.resolutionComplete()

        self._reactor.callLater(0, answer)
        return resolution


def test_hostnameEndpointFallsBackToTheFamilyThatListens(reactor: Any) -> None:
    """::1 refuses, 127.0.0.1 listens: the IPv4 attempt wins."""
    reactor.installNameResolver(_LoopbackResolver(reactor, [IPv6Address, IPv4Address]))
    port = runUntil(reactor, TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(_EchoFactory()))
    client = _Client(expected=4)
    ep = HostnameEndpoint(reactor, "localhost", port.getHost().port, attemptDelay=0.05)
    assert runUntil(reactor, connectProtocol(ep, client)) is client
    assert client.transport.getPeer().host == "127.0.0.1"
    _echoRoundTrip(reactor, client)
    _stop(reactor, port)


def test_hostnameEndpointAllRefused(reactor: Any, refusedPort: tuple[str, int]) -> None:
    """When every address refuses, the last failure is reported."""
    reactor.installNameResolver(_LoopbackResolver(reactor, [IPv4Address, IPv4Address]))
    ep = HostnameEndpoint(reactor, "localhost", refusedPort[1], attemptDelay=0.05)
    with pytest.raises(error.ConnectionRefusedError):
        runUntil(reactor, ep.connect(Factory.forProtocol(_Client)))


def test_factoryRefusingTheConnectionFailsWithNoProtocol(reactor: Any) -> None:
    """A client factory whose buildProtocol returns None fails d with NoProtocol."""

    class Refusing(Factory[Any]):
        def buildProtocol(self, addr: Any) -> None:
            return None

    serverFactory = _EchoFactory()
    port = runUntil(reactor, TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(serverFactory))
    d = TCP4ClientEndpoint(reactor, "127.0.0.1", port.getHost().port).connect(Refusing())
    with pytest.raises(error.NoProtocol):
        runUntil(reactor, d)
    _stop(reactor, port)


# -- adopted (issue 12) -------------------------------------------------------------


def test_adoptedStreamServerEndpoint(reactor: Any) -> None:
    """A socket listening already is adopted once; the original descriptor is closed."""
    import os
    import socket

    from plait import error as plaitError
    from plait.endpoints import AdoptedStreamServerEndpoint, serverFromString
    from plait.protocol import Factory, Protocol
    from tests.helpers import failureResultOf, runUntil, successResultOf

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    listenerPort = listener.getsockname()[1]
    fileno = listener.detach()
    endpoint = serverFromString(reactor, f"fd:fileno={fileno}:domain=INET")
    assert isinstance(endpoint, AdoptedStreamServerEndpoint)
    factory = Factory.forProtocol(Protocol)
    factory.noisy = False
    port = successResultOf(endpoint.listen(factory))
    try:
        with pytest.raises(OSError):
            os.fstat(fileno)  # the original was closed
        assert port.getHost().port == listenerPort
        failureResultOf(endpoint.listen(factory), plaitError.AlreadyListened)
    finally:
        runUntil(reactor, port.stopListening())
    bad = AdoptedStreamServerEndpoint(reactor, 10**6, socket.AF_INET)
    failureResultOf(bad.listen(factory), OSError)
    with pytest.raises(ValueError, match="unknown domain 'APPLETALK'"):
        serverFromString(reactor, "fd:3:APPLETALK")
    assert serverFromString(reactor, "fd:3:UNIX").addressFamily == socket.AF_UNIX
