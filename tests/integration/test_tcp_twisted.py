"""TCP details of Twisted 26.10 that code written for Twisted relies on (issue 12).

Bind options (``makeBinding``), the ``Port`` attributes and hooks
(``createInternetSocket``, ``disconnected``, ``deferred``), the constructor
signatures subclasses call, IPv6 scope ids, the client's ``logstr`` and
``repr`` details, and the loopback close ordering.  Real sockets on
loopback; the scope-id test uses a link-local address of this machine's
own interfaces (found at run time; the traffic never leaves the host).
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from plait import error, tcp
from plait.address import IPv6Address
from plait.defer import Deferred
from plait.failure import Failure
from plait.protocol import ClientFactory, Factory, Protocol
from tests.helpers import runUntil
from tests.integration.test_tcp import (
    OneProtocolFactory,
    Recorder,
    closeBoth,
    connectPair,
    serverFactoryFor,
)

_DONE = Failure(error.ConnectionDone())


@pytest.fixture
def listen(reactor: Any) -> Iterator[Callable[..., Any]]:
    """``listen(factory)`` -> a port on 127.0.0.1, stopped after the test."""
    ports: list[Any] = []

    def _listen(factory: Any, interface: str = "127.0.0.1") -> Any:
        ports.append(reactor.listenTCP(0, factory, interface=interface))
        return ports[-1]

    yield _listen
    for port in ports:
        d = port.stopListening()
        if d is not None:
            runUntil(reactor, d)


# -- bind options ----------------------------------------------------------------------


def test_makeBinding() -> None:
    binding = tcp.makeBinding("127.0.0.1", 80, reuseAddress=True)
    assert binding == tcp.makeBinding("127.0.0.1", 80, True, False)
    assert hash(binding) == hash(tcp.makeBinding("127.0.0.1", 80, True))
    assert repr(binding) == "_Binding(_address='127.0.0.1', _port=80, _reuseAddress=True, _reusePort=False)"
    with pytest.raises(AttributeError):
        binding._port = 1  # type: ignore[misc]


def test_listenOnABindingWithReusePort(reactor: Any) -> None:
    """Two ports share one port number with reusePort, as SO_REUSEPORT allows."""
    factory = Factory.forProtocol(Protocol)
    first = reactor.listenTCP(tcp.makeBinding("127.0.0.1", 0, reusePort=True), factory)
    number = first.getHost().port
    second = reactor.listenTCP(tcp.makeBinding("127.0.0.1", number, reusePort=True), factory)
    try:
        assert second.getHost().port == number
        assert second.socket.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1
        assert second.socket.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) == 0
    finally:
        runUntil(reactor, first.stopListening())
        runUntil(reactor, second.stopListening())
    with pytest.raises(ValueError, match="Inconsistent interface vs Binding specifiers"):
        reactor.listenTCP(tcp.makeBinding("127.0.0.1", 0), factory, interface="::1")


def test_plainPortNumberReusesAddress(reactor: Any) -> None:
    port = reactor.listenTCP(0, Factory.forProtocol(Protocol), interface="127.0.0.1")
    try:
        assert port.socket.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) == 1
    finally:
        runUntil(reactor, port.stopListening())


def test_connectWithABindingAsBindAddress(reactor: Any, listen: Any) -> None:
    server = Recorder()
    port = listen(serverFactoryFor(server))
    client = Recorder()
    factory = OneProtocolFactory(client)
    reactor.connectTCP("127.0.0.1", port.getHost().port, factory,
                       bindAddress=tcp.makeBinding("127.0.0.1", 0, reuseAddress=True))
    runUntil(reactor, client.madeDeferred)
    runUntil(reactor, server.madeDeferred)
    assert client.transport.getHandle().getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR) == 1
    assert server.transport.getPeer().port == client.transport.getHost().port
    closeBoth(reactor, client, server)


def test_badBindAddressIsRefusedEarly(reactor: Any) -> None:
    with pytest.raises(TypeError, match="a Binding or None"):
        reactor.connectTCP("127.0.0.1", 1, ClientFactory(), bindAddress="127.0.0.1")


# -- Port attributes and hooks --------------------------------------------------------


class _MarkedPort(tcp.Port):
    """A subclass written for Twisted: one more socket option in createInternetSocket."""

    def createInternetSocket(self) -> socket.socket:
        skt = super().createInternetSocket()
        skt.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        return skt


def test_portAttributesAndCreateInternetSocket(reactor: Any) -> None:
    port = _MarkedPort(0, Factory.forProtocol(Protocol), interface="127.0.0.1", reactor=reactor)
    assert (port.addressFamily, port.socketType, port.disconnected, port.deferred) == (
        socket.AF_INET, socket.SOCK_STREAM, False, None)
    port.startListening()
    assert port.socket.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE) == 1
    port.numberAccepts = 7
    assert port.numberAccepts == 7
    d = port.stopListening()
    assert port.deferred is d
    runUntil(reactor, d)
    assert port.disconnected and not port.connected
    assert tcp.Port(0, Factory(), interface="::1").addressFamily == socket.AF_INET6


class _BrokenStopFactory(Factory):
    noisy = False

    def stopFactory(self) -> None:
        raise RuntimeError("stop failed")


def test_stopListeningFiresEvenIfStopFactoryRaises(reactor: Any) -> None:
    """The socket is closed and the Deferred fires (with the error), as Twisted's deferLater."""
    port = reactor.listenTCP(0, _BrokenStopFactory(), interface="127.0.0.1")
    d = port.stopListening()
    outcome: list[Any] = []
    d.addBoth(outcome.append)
    done: Deferred[None] = Deferred()
    reactor.callLater(0.01, done.callback, None)
    runUntil(reactor, done)
    [failure] = outcome
    assert isinstance(failure, Failure) and failure.check(RuntimeError)
    assert port.socket is None and port.disconnected
    assert port not in reactor.getReaders()


# -- constructor signatures subclasses call ----------------------------------------------


def test_connectionConstructorIsTwisteds(reactor: Any) -> None:
    """Connection(skt, protocol, reactor=None): the family comes from the socket."""
    a, b = socket.socketpair()
    try:
        connection = tcp.Connection(a, Protocol(), reactor)
        assert connection.fileno() == a.fileno()
        assert connection._family == a.family
    finally:
        a.close()
        b.close()


def test_serverReprAndRepstr(reactor: Any, listen: Any) -> None:
    client, server, _, _ = connectPair(reactor, listen)
    transport = server.transport
    port = transport.server.getHost().port
    assert repr(transport) == transport.repstr == f"<Recorder #0 on {port}>"
    closeBoth(reactor, client, server)


def test_adoptedConnectionReprShowsTheLocalPort(reactor: Any, listen: Any) -> None:
    """An adopted connection's repr is "#<peer port> on <our port>", as Twisted's."""
    server = Recorder()
    port = listen(serverFactoryFor(Recorder()))
    peer = socket.create_connection(("127.0.0.1", port.getHost().port))
    try:
        transport = reactor.adoptStreamConnection(peer.fileno(), socket.AF_INET, serverFactoryFor(server))
        local, remote = peer.getsockname()[1], peer.getpeername()[1]
        assert repr(transport) == f"<Recorder #{remote} on {local}>"
        transport.loseConnection()
        runUntil(reactor, server.lostDeferred)
    finally:
        peer.close()


# -- the client ----------------------------------------------------------------------------


def test_clientLogstrFollowsTheState(reactor: Any, listen: Any) -> None:
    """logstr is "Uninitialized" while connecting and "<Proto>,client" after."""
    server = Recorder()
    port = listen(serverFactoryFor(server))
    client = Recorder()
    seenWhileConnecting: list[str] = []
    connector = reactor.connectTCP("127.0.0.1", port.getHost().port, OneProtocolFactory(client))
    seenWhileConnecting.append(connector.transport.logstr)
    runUntil(reactor, client.madeDeferred)
    runUntil(reactor, server.madeDeferred)
    assert seenWhileConnecting == ["Uninitialized"]
    assert client.transport.logstr == client.transport.logPrefix() == "Recorder,client"
    closeBoth(reactor, client, server)


def test_clientTwistedMethods(reactor: Any) -> None:
    """addressFamily, createInternetSocket, stopConnecting as Twisted's client has them."""
    factory = OneProtocolFactory(Recorder())
    connector = reactor.connectTCP("127.0.0.1", 1, factory)
    client = connector.transport
    assert (client.addressFamily, client.socketType) == (socket.AF_INET, socket.SOCK_STREAM)
    extra = client.createInternetSocket()
    assert not extra.getblocking()
    extra.close()
    assert client.doConnect() is None  # not resolved yet: nothing to do
    client.stopConnecting()
    [reason] = runUntil(reactor, factory.failed)
    assert reason.check(error.UserError)


def test_clientClosingInConnectionMadeLetsTheServerAcceptFirst(reactor: Any, listen: Any) -> None:
    """On loopback the connect completes inside connect(2); a close made in
    connectionMade still finishes only after the server side has accepted."""
    order: list[str] = []
    server = Recorder()
    server.onMade = lambda p: order.append("server made")
    port = listen(serverFactoryFor(server))

    class Closer(Protocol):
        def connectionMade(self) -> None:
            order.append("client made")
            self.transport.loseConnection()

        def connectionLost(self, reason: Failure = _DONE) -> None:
            order.append("client lost")
            lost.callback(None)

    lost: Deferred[None] = Deferred()
    factory = ClientFactory.forProtocol(Closer)
    factory.noisy = False
    reactor.connectTCP("127.0.0.1", port.getHost().port, factory)
    runUntil(reactor, lost)
    runUntil(reactor, server.lostDeferred)
    assert order.index("server made") < order.index("client lost")


# -- IPv6 scope ids -------------------------------------------------------------------------


def test_scopeIdIsResolvedAndReported() -> None:
    """A "%iface" suffix becomes the scope id; addresses with one name the interface."""
    from plait._tcpconnection import _address, _sockaddr

    index = socket.if_nametoindex("lo")
    assert _sockaddr(socket.AF_INET6, "fe80::1%lo", 80) == ("fe80::1", 80, 0, index)
    assert _address(socket.AF_INET6, ("fe80::1", 80, 0, index)) == IPv6Address("TCP", "fe80::1%lo", 80, 0, index)
    assert _address(socket.AF_INET6, ("::1", 80, 0, 0)) == IPv6Address("TCP", "::1", 80)


def test_clientPeerCarriesTheScopeId(reactor: Any) -> None:
    """Connecting to fe80::1%lo uses (and reports) lo's scope id, even when it fails."""
    factory = OneProtocolFactory(Recorder())
    connector = reactor.connectTCP("fe80::1%lo", 9, factory, timeout=5)
    client = connector.transport
    runUntil(reactor, factory.failed)
    peer = client.getPeer()
    assert (peer.host, peer.port, peer.scopeID) == ("fe80::1", 9, socket.if_nametoindex("lo"))


def _linkLocalAddress() -> tuple[str, str] | None:
    """A link-local IPv6 address of this host and its interface, if it has one."""
    try:
        with open("/proc/net/if_inet6") as f:
            lines = f.read().splitlines()
    except OSError:
        return None
    for line in lines:
        hexAddress, _, _, scope, _, name = line.split()
        if scope == "20":  # link scope
            groups = ":".join(hexAddress[i:i + 4] for i in range(0, 32, 4))
            return socket.inet_ntop(socket.AF_INET6, socket.inet_pton(socket.AF_INET6, groups)), name
    return None


def test_listenAndConnectOnALinkLocalAddress(reactor: Any) -> None:
    """Binding and connecting on fe80::…%iface work; both ends report the scope id."""
    found = _linkLocalAddress()
    if found is None:
        pytest.skip("this host has no link-local IPv6 address")
    address, interface = found
    index = socket.if_nametoindex(interface)
    server = Recorder()
    port = reactor.listenTCP(0, serverFactoryFor(server), interface=f"{address}%{interface}")
    try:
        host = port.getHost()
        assert (host.host, host.scopeID) == (f"{address}%{interface}", index)
        client = Recorder()
        factory = OneProtocolFactory(client)
        reactor.connectTCP(f"{address}%{interface}", host.port, factory, timeout=5)
        runUntil(reactor, client.madeDeferred)
        runUntil(reactor, server.madeDeferred)
        assert client.transport.getPeer().scopeID == index
        assert server.transport.getPeer().scopeID == index
        assert server.transport.getPeer().host == f"{address}%{interface}"
        closeBoth(reactor, client, server)
    finally:
        runUntil(reactor, port.stopListening())


def test_portStopAndStartReading(reactor: Any) -> None:
    """Twisted's Port.stopReading/startReading pause and resume accepting."""
    port = reactor.listenTCP(0, Factory.forProtocol(Protocol), interface="127.0.0.1")
    try:
        port.stopReading()
        assert port not in reactor.getReaders()
        port.pauseProducing()
        port.resumeProducing()
        assert port in reactor.getReaders()
    finally:
        runUntil(reactor, port.stopListening())
    port.startReading()  # not listening any more: nothing to resume
    assert port not in reactor.getReaders()
