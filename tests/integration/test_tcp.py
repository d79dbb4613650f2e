"""TCP on real loopback sockets: connectTCP, listenTCP, the connector, errors,
producers and back-pressure.

Every test binds port 0 on 127.0.0.1 or ::1 and waits through ``runUntil``
(bounded); the ``reactor`` fixture checks that nothing is left registered.
"""

from __future__ import annotations

import logging
import os
import resource
import socket
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import pytest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from plait import error, tcp
from plait.address import IPv4Address, IPv6Address
from plait.defer import Deferred, fail
from plait.failure import Failure
from plait.interfaces import (
    IConsumer,
    IListeningPort,
    IPushProducer,
    IResolverSimple,
    ISystemHandle,
    ITCPTransport,
)
from plait.protocol import ClientFactory, Factory, Protocol, ServerFactory
from tests.helpers import runUntil

# -- helpers -----------------------------------------------------------------------------


class Recorder(Protocol):
    """Records data and the end; fires ``lostDeferred`` with the reason."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = []
        self.received = 0
        self.reasons: list[Failure] = []
        self.madeDeferred: Deferred[Recorder] = Deferred()
        self.lostDeferred: Deferred[tuple[Failure]] = Deferred()
        self.onMade: Callable[[Recorder], None] | None = None
        self.onData: Callable[[Recorder, bytes], None] | None = None

    def connectionMade(self) -> None:
        if self.onMade is not None:
            self.onMade(self)
        self.madeDeferred.callback(self)

    @property
    def data(self) -> bytes:
        if len(self._chunks) > 1:
            self._chunks[:] = [b"".join(self._chunks)]
        return self._chunks[0] if self._chunks else b""

    def dataReceived(self, data: bytes) -> None:
        self._chunks.append(data)
        self.received += len(data)
        if self.onData is not None:
            self.onData(self, data)

    def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
        self.reasons.append(reason)
        # Wrapped: a Deferred fired with a Failure would count as failed.
        self.lostDeferred.callback((reason,))


class Echo(Recorder):
    """Echoes everything back (and records, like every Recorder)."""

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


class EchoFactory(ServerFactory[Echo]):
    """Builds Echo protocols and keeps them, so a test can wait for their end."""

    protocol = Echo
    noisy = False

    def __init__(self) -> None:
        self.built: list[Echo] = []

    def buildProtocol(self, addr: Any) -> Echo | None:
        protocol = super().buildProtocol(addr)
        assert protocol is not None
        self.built.append(protocol)
        return protocol

    def waitAllGone(self, reactor: Any) -> None:
        for protocol in self.built:
            runUntil(reactor, protocol.lostDeferred)


class OneProtocolFactory(ClientFactory[Protocol]):
    """Hands out given protocol instances and records the connector's calls."""

    noisy = False

    def __init__(self, *protocols: Protocol) -> None:
        self.protocols = list(protocols)
        self.trace: list[Any] = []
        self.failed: Deferred[tuple[Failure]] = Deferred()
        self.lost: Deferred[tuple[Failure]] = Deferred()

    def doStart(self) -> None:
        self.trace.append("doStart")
        super().doStart()

    def doStop(self) -> None:
        self.trace.append("doStop")
        super().doStop()

    def startedConnecting(self, connector: Any) -> None:
        self.trace.append(("startedConnecting", connector.state))

    def buildProtocol(self, addr: Any) -> Protocol | None:
        self.trace.append(("buildProtocol", addr))
        protocol = self.protocols.pop(0)
        protocol.factory = self
        return protocol

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        self.trace.append(("clientConnectionFailed", reason.type))
        self.failed.callback((reason,))

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        self.trace.append(("clientConnectionLost", reason.type))
        self.lost.callback((reason,))


def waitFor(reactor: Any, d: Deferred[tuple[Failure]], timeout: float = 5.0) -> Failure:
    """Run until ``d`` (a lost/failed Deferred) fires; return the reason it carries."""
    reason: Failure = runUntil(reactor, d, timeout)[0]
    return reason


def serverFactoryFor(*protocols: Protocol) -> Factory[Any]:
    factory: Factory[Any] = Factory()
    factory.noisy = False
    queue = list(protocols)
    factory.buildProtocol = lambda addr: queue.pop(0)  # type: ignore[method-assign]
    return factory


@pytest.fixture
def listen(reactor: Any) -> Iterator[Callable[..., Any]]:
    """``listen(factory, interface)`` -> a listening port, stopped after the test."""
    ports: list[Any] = []

    def _listen(factory: Any, interface: str = "127.0.0.1") -> Any:
        port = reactor.listenTCP(0, factory, interface=interface)
        ports.append(port)
        return port

    yield _listen
    for port in ports:
        d = port.stopListening()
        if d is not None:
            runUntil(reactor, d)


def connectPair(
    reactor: Any, listen: Callable[..., Any], interface: str = "127.0.0.1"
) -> tuple[Recorder, Recorder, OneProtocolFactory, Any]:
    """A connected (client, server, clientFactory, connector) on loopback."""
    client, server = Recorder(), Recorder()
    port = listen(serverFactoryFor(server), interface)
    factory = OneProtocolFactory(client)
    connector = reactor.connectTCP(interface, port.getHost().port, factory)
    runUntil(reactor, client.madeDeferred)
    runUntil(reactor, server.madeDeferred)
    return client, server, factory, connector


def closeBoth(reactor: Any, *protocols: Recorder) -> None:
    for p in protocols:
        if not p.reasons:
            p.transport.abortConnection()
    for p in protocols:
        waitFor(reactor, p.lostDeferred)


# -- connecting ------------------------------------------------------------------------------


@pytest.mark.parametrize("interface", ["127.0.0.1", "::1"])
def test_connectAndEcho(anyReactor: Any, interface: str) -> None:
    """A client connects to an echo server (IPv4 and IPv6, every selector) and
    the factory sees Twisted's call order."""
    reactor = anyReactor
    server = Recorder()
    server.onData = lambda p, data: p.transport.write(data)
    port = reactor.listenTCP(0, serverFactoryFor(server), interface=interface)
    client = Recorder()
    client.onMade = lambda p: p.transport.write(b"hello")
    client.onData = lambda p, d: p.transport.loseConnection() if p.data == b"hello" else None
    factory = OneProtocolFactory(client)
    connector = reactor.connectTCP(interface, port.getHost().port, factory)
    assert connector.state == "connecting"
    reason = waitFor(reactor, factory.lost)
    assert reason.check(error.ConnectionDone)
    assert client.data == b"hello"
    addressType = IPv6Address if ":" in interface else IPv4Address
    assert factory.trace == [
        "doStart",
        ("startedConnecting", "connecting"),
        ("buildProtocol", addressType("TCP", interface, port.getHost().port)),
        ("clientConnectionLost", error.ConnectionDone),
        "doStop",
    ]
    assert connector.state == "disconnected"
    assert waitFor(reactor, server.lostDeferred).check(error.ConnectionDone)
    runUntil(reactor, port.stopListening())


def test_cleanCloseReasonIsShared(reactor: Any, listen: Callable[..., Any]) -> None:
    """Every clean close hands connectionLost the same Failure (Twisted's
    reactor shares one too), and it behaves as a fresh one would."""
    reasons: list[Failure] = []
    for _ in range(2):
        client, server, _factory, _connector = connectPair(reactor, listen)
        client.transport.loseConnection()
        reasons.append(waitFor(reactor, client.lostDeferred))
        reasons.append(waitFor(reactor, server.lostDeferred))
    assert all(reason is reasons[0] for reason in reasons)
    reason = reasons[0]
    assert reason.check(error.ConnectionDone) is error.ConnectionDone
    assert reason.trap(error.ConnectionClosed) is error.ConnectionClosed
    assert type(reason.value) is error.ConnectionDone and reason.value.args == ()
    assert reason.getErrorMessage() == "Connection was closed cleanly."
    assert reason.tb is None


def test_connectByHostName(reactor: Any, listen: Callable[..., Any]) -> None:
    """A host name is resolved through reactor.resolve; getDestination keeps the name."""
    server = Recorder()
    port = listen(serverFactoryFor(server))
    client = Recorder()
    factory = OneProtocolFactory(client)
    connector = reactor.connectTCP("localhost", port.getHost().port, factory)
    assert connector.getDestination() == IPv4Address("TCP", "localhost", port.getHost().port)
    runUntil(reactor, client.madeDeferred)
    assert client.transport.getPeer() == IPv4Address("TCP", "127.0.0.1", port.getHost().port)
    runUntil(reactor, server.madeDeferred)
    closeBoth(reactor, client, server)


@implementer(IResolverSimple)
class _UnknownNames:
    """A resolver that knows no names (so no query ever leaves the machine)."""

    def getHostByName(self, name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        return fail(error.DNSLookupError(name))


def test_unknownHostName(reactor: Any) -> None:
    """A name that does not resolve fails the attempt with DNSLookupError."""
    reactor.installResolver(_UnknownNames())
    factory = OneProtocolFactory()
    reactor.connectTCP("no-such-host.invalid", 80, factory)
    reason = waitFor(reactor, factory.failed)
    assert reason.check(error.DNSLookupError)
    assert str(reason.value) == "DNS lookup failed: no-such-host.invalid."
    assert factory.trace[-2:] == [("clientConnectionFailed", error.DNSLookupError), "doStop"]


def test_connectionRefused(reactor: Any) -> None:
    """A port that is bound but not listening refuses: ConnectionRefusedError, from the loop."""
    with socket.socket() as reserved:
        reserved.bind(("127.0.0.1", 0))
        factory = OneProtocolFactory()
        reactor.connectTCP("127.0.0.1", reserved.getsockname()[1], factory)
        assert factory.trace == ["doStart", ("startedConnecting", "connecting")]
        reason = waitFor(reactor, factory.failed)
    assert reason.check(error.ConnectionRefusedError)
    assert str(reason.value) == "Connection was refused by other side: 111: Connection refused."
    assert factory.trace[-2:] == [("clientConnectionFailed", error.ConnectionRefusedError), "doStop"]


def test_connectTimeout(reactor: Any) -> None:
    """With the accept queue full the SYN is dropped; the timeout fails the attempt."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            factory = OneProtocolFactory()
            connector = reactor.connectTCP("127.0.0.1", port, factory, timeout=0.3)
            reason = waitFor(reactor, factory.failed)
    assert reason.check(error.TimeoutError)
    assert str(reason.value) == "User timeout caused connection failure."
    assert connector.state == "disconnected"


def test_zeroTimeout(reactor: Any, listen: Callable[..., Any]) -> None:
    """timeout=0 fails the attempt on the next iteration, even towards a
    listener that would accept at once."""
    port = listen(EchoFactory())
    factory = OneProtocolFactory(Recorder())
    reactor.connectTCP("127.0.0.1", port.getHost().port, factory, timeout=0)
    reason = waitFor(reactor, factory.failed)
    assert reason.check(error.TimeoutError)
    assert factory.protocols  # never built


def test_stopConnecting(reactor: Any) -> None:
    """stopConnecting before the attempt even started: UserError, nothing left behind."""
    factory = OneProtocolFactory()
    connector = reactor.connectTCP("127.0.0.1", 9, factory)
    connector.stopConnecting()
    assert factory.trace[-2:] == [("clientConnectionFailed", error.UserError), "doStop"]
    with pytest.raises(error.NotConnectingError):
        connector.stopConnecting()


def test_bindAddress(reactor: Any, listen: Callable[..., Any]) -> None:
    """bindAddress picks the client's local address."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        localPort = probe.getsockname()[1]
    server = Recorder()
    port = listen(serverFactoryFor(server))
    client = Recorder()
    reactor.connectTCP(
        "127.0.0.1", port.getHost().port, OneProtocolFactory(client),
        bindAddress=("127.0.0.1", localPort),
    )
    runUntil(reactor, server.madeDeferred)
    assert server.transport.getPeer() == IPv4Address("TCP", "127.0.0.1", localPort)
    runUntil(reactor, client.madeDeferred)
    assert client.transport.getHost().port == localPort
    closeBoth(reactor, client, server)


def test_bindAddressInUse(reactor: Any) -> None:
    """A bindAddress that cannot be bound fails the attempt asynchronously with ConnectBindError."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        factory = OneProtocolFactory()
        reactor.connectTCP("127.0.0.1", 9, factory, bindAddress=holder.getsockname())
        assert factory.trace == ["doStart", ("startedConnecting", "connecting")]
        reason = waitFor(reactor, factory.failed)
    assert reason.check(error.ConnectBindError)
    assert str(reason.value) == "Couldn't bind: 98: Address already in use."


def test_serviceNamePort(reactor: Any) -> None:
    """A service name becomes its port; an unknown one raises before anything happens."""
    factory = OneProtocolFactory()
    connector = reactor.connectTCP("127.0.0.1", "echo", factory, timeout=None)
    assert connector.port == 7
    connector.stopConnecting()
    with pytest.raises(error.ServiceNameUnknownError):
        reactor.connectTCP("127.0.0.1", "nosuchsvc", OneProtocolFactory())
    assert reactor.getDelayedCalls() == []


def test_reconnectFromClientConnectionLost(reactor: Any, listen: Callable[..., Any]) -> None:
    """The howto pattern: connector.connect() in clientConnectionLost reconnects."""

    class Hangup(Protocol):
        def connectionMade(self) -> None:
            self.transport.loseConnection()

    port = listen(Factory.forProtocol(Hangup))
    port.factory.noisy = False
    done: Deferred[None] = Deferred()

    class Redialer(ClientFactory[Protocol]):
        protocol = Protocol
        noisy = False
        connections = 0

        def __init__(self) -> None:
            self.trace: list[str] = []

        def doStart(self) -> None:
            self.trace.append("doStart")

        def doStop(self) -> None:
            self.trace.append("doStop")
            done.callback(None)

        def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
            self.connections += 1
            if self.connections < 3:
                connector.connect()

    factory = Redialer()
    reactor.connectTCP("127.0.0.1", port.getHost().port, factory)
    runUntil(reactor, done)
    assert factory.connections == 3
    assert factory.trace == ["doStart", "doStop"]


def test_clientBuildProtocolReturnsNone(reactor: Any, listen: Callable[..., Any]) -> None:
    """A client factory refusing the connection gets clientConnectionLost; the server sees the close."""
    server = Recorder()
    port = listen(serverFactoryFor(server))

    class Refuser(OneProtocolFactory):
        def buildProtocol(self, addr: Any) -> None:
            self.trace.append("buildProtocol")

    factory = Refuser()
    reactor.connectTCP("127.0.0.1", port.getHost().port, factory)
    reason = waitFor(reactor, factory.lost)
    assert reason.check(error.ConnectionDone)
    assert waitFor(reactor, server.lostDeferred).check(error.ConnectionDone)


def test_serverBuildProtocolReturnsNone(reactor: Any, listen: Callable[..., Any]) -> None:
    """A server factory returning None closes the accepted socket; the port keeps listening."""
    factory: Factory[Any] = Factory()
    factory.noisy = False
    factory.buildProtocol = lambda addr: None  # type: ignore[method-assign]
    port = listen(factory)
    for _ in range(2):
        client = Recorder()
        reactor.connectTCP("127.0.0.1", port.getHost().port, OneProtocolFactory(client))
        assert waitFor(reactor, client.lostDeferred).check(error.ConnectionDone)


# -- listening ---------------------------------------------------------------------------------


def test_listenLogLinesAndStopListening(
    reactor: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """listenTCP logs '<factory> starting on <port>'; stopListening's Deferred fires
    on a later iteration after '(TCP Port <port> Closed)' and doStop."""
    caplog.set_level(logging.INFO, logger="plait")

    class LoudFactory(ServerFactory[Echo]):
        protocol = Echo
        stopped = 0

        def stopFactory(self) -> None:
            self.stopped += 1

    factory = LoudFactory()
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    number = port.getHost().port
    assert port.getHost() == IPv4Address("TCP", "127.0.0.1", number)
    assert repr(port) == f"<{type(port)} of {LoudFactory} on {number}>"
    verifyObject(IListeningPort, port)
    d = port.stopListening()
    assert port.stopListening() is None
    fired: list[object] = []
    d.addCallback(fired.append)
    assert fired == [] and factory.stopped == 0
    runUntil(reactor, d)
    assert factory.stopped == 1
    assert repr(port) == f"<{type(port)} of {LoudFactory} (not listening)>"
    messages = [r.getMessage() for r in caplog.records]
    starting = messages.index(f"LoudFactory starting on {number}")
    assert messages[starting + 1].startswith("Starting factory <")
    closed = messages.index(f"(TCP Port {number} Closed)")
    assert messages[closed + 1].startswith("Stopping factory <")
    with socket.socket() as s:
        assert s.connect_ex(("127.0.0.1", number)) != 0


def test_cannotListen(reactor: Any) -> None:
    """Binding a port somebody listens on raises CannotListenError synchronously."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen(1)
        number = holder.getsockname()[1]
        with pytest.raises(error.CannotListenError) as info:
            reactor.listenTCP(number, EchoFactory(), interface="127.0.0.1")
    assert str(info.value) == (
        f"Couldn't listen on 127.0.0.1:{number}: [Errno 98] Address already in use."
    )
    assert info.value.port == number


def test_acceptsManyAtOnce(reactor: Any, listen: Callable[..., Any]) -> None:
    """Several connections arriving together are all accepted and served."""
    port = listen(EchoFactory())
    clients = [Recorder() for _ in range(20)]
    for client in clients:
        client.onMade = lambda p: p.transport.write(b"x")
        client.onData = lambda p, d: p.transport.loseConnection()
        reactor.connectTCP("127.0.0.1", port.getHost().port, OneProtocolFactory(client))
    for client in clients:
        waitFor(reactor, client.lostDeferred)
        assert client.data == b"x"
    assert len(port.factory.built) == 20
    port.factory.waitAllGone(reactor)


def _lowestFreeDescriptor() -> int:
    used = {int(fd) for fd in os.listdir("/proc/self/fd")}
    return min(set(range(len(used) + 1)) - used)


def test_acceptClosesWaitingConnectionsOnEMFILE(
    reactor: Any, listen: Callable[..., Any], caplog: pytest.LogCaptureFixture
) -> None:
    """EMFILE on accept: the reserved descriptor is given up and the waiting
    connections are accepted and closed, so their peers see the end instead of
    hanging (Twisted's behaviour, with its log lines)."""
    caplog.set_level(logging.INFO, logger="plait")
    port = listen(EchoFactory())
    waiting = [socket.create_connection(("127.0.0.1", port.getHost().port)) for _ in range(3)]
    # No free descriptor below the limit but the reserved one: fill the holes
    # (until a new descriptor lands above every one in use), then limit there.
    highest = max(int(fd) for fd in os.listdir("/proc/self/fd"))
    fillers = [os.open(os.devnull, os.O_RDONLY)]
    while fillers[-1] < highest:
        fillers.append(os.open(os.devnull, os.O_RDONLY))
    limit = fillers.pop()
    os.close(limit)
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
        try:
            for _ in range(3):
                reactor.iterate(0.01)
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
            for fd in fillers:
                os.close(fd)
        messages = [r.getMessage() for r in caplog.records]
        assert "EMFILE encountered; releasing reserved file descriptor." in messages
        assert sum(m.startswith("EMFILE recovery: Closed socket from ('127.0.0.1', ") for m in messages) == 3
        assert "Re-reserving EMFILE recovery file descriptor." in messages
        for s in waiting:
            s.settimeout(5)
            assert s.recv(10) == b""  # closed by the server, not left hanging
        assert tcp._reservedFD.available()
    finally:
        for s in waiting:
            s.close()
    assert port.factory.built == []  # nothing reached the factory


def test_acceptBacksOffWhenNothingIsReserved(
    reactor: Any, listen: Callable[..., Any], caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """EMFILE with no reserved descriptor left: accepting pauses (logged) and the
    connections are served later, instead of spinning."""
    caplog.set_level(logging.INFO, logger="plait")
    port = listen(EchoFactory())
    monkeypatch.setattr(tcp._reservedFD, "available", lambda: False)
    waiting = [socket.create_connection(("127.0.0.1", port.getHost().port)) for _ in range(3)]
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (_lowestFreeDescriptor(), hard))
        try:
            for _ in range(3):
                reactor.iterate(0.01)
        finally:
            resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))
        assert any("Could not accept new connection (EMFILE)" in r.getMessage() for r in caplog.records)
        for s in waiting:
            s.settimeout(0)
            s.sendall(b"ping")
        for s in waiting:
            received = b""
            while received != b"ping":
                reactor.iterate(0.01)
                try:
                    received += s.recv(10)
                except BlockingIOError:
                    pass
    finally:
        for s in waiting:
            s.close()
    port.factory.waitAllGone(reactor)


# -- protocol errors ---------------------------------------------------------------------------


def test_dataReceivedRaises(reactor: Any, listen: Callable[..., Any], loggedErrors: Any) -> None:
    """An exception from dataReceived is logged and closes the connection with it as the reason."""
    client, server, _, _ = connectPair(reactor, listen)

    def boom(p: Recorder, data: bytes) -> None:
        raise ValueError("boom")

    server.onData = boom
    client.transport.write(b"trigger")
    reason = waitFor(reactor, server.lostDeferred)
    assert reason.check(ValueError)
    assert waitFor(reactor, client.lostDeferred).check(error.ConnectionDone)
    assert len(loggedErrors.flush(ValueError)) == 1


def test_serverConnectionMadeRaises(reactor: Any, listen: Callable[..., Any], loggedErrors: Any) -> None:
    """A server protocol whose connectionMade raises is closed; the port keeps listening."""
    bad = Recorder()

    def boom(p: Recorder) -> None:
        raise KeyError("made")

    bad.onMade = boom
    good = Recorder()
    port = listen(serverFactoryFor(bad, good))
    first = Recorder()
    reactor.connectTCP("127.0.0.1", port.getHost().port, OneProtocolFactory(first))
    assert waitFor(reactor, bad.lostDeferred).check(KeyError)
    assert waitFor(reactor, first.lostDeferred).check(error.ConnectionDone)
    assert len(loggedErrors.flush(KeyError)) == 1
    second = Recorder()
    reactor.connectTCP("127.0.0.1", port.getHost().port, OneProtocolFactory(second))
    runUntil(reactor, good.madeDeferred)
    closeBoth(reactor, second, good)


def test_clientConnectionMadeRaises(reactor: Any, listen: Callable[..., Any], loggedErrors: Any) -> None:
    """A client protocol whose connectionMade raises: logged, closed, clientConnectionLost."""
    server = Recorder()
    port = listen(serverFactoryFor(server))
    client = Recorder()

    def boom(p: Recorder) -> None:
        raise ZeroDivisionError()

    client.onMade = boom
    factory = OneProtocolFactory(client)
    reactor.connectTCP("127.0.0.1", port.getHost().port, factory)
    assert waitFor(reactor, factory.lost).check(ZeroDivisionError)
    waitFor(reactor, server.lostDeferred)
    failures = loggedErrors.flush(ZeroDivisionError)
    assert len(failures) == 1


# -- the transport's face -------------------------------------------------------------------


def test_transportDescribesItself(reactor: Any, listen: Callable[..., Any]) -> None:
    """Interfaces, addresses, log prefixes, reprs and the socket handle."""
    client, server, _, _ = connectPair(reactor, listen)
    c, s = client.transport, server.transport
    for t in (c, s):
        verifyObject(ITCPTransport, t)
        verifyObject(ISystemHandle, t)
        verifyObject(IConsumer, t)
        verifyObject(IPushProducer, t)
        assert isinstance(t.getHandle(), socket.socket)
        assert t.connected and not t.disconnecting and not t.disconnected
    portNumber = c.getPeer().port
    assert c.logPrefix() == "Recorder,client"
    assert s.logPrefix() == "Recorder,0,127.0.0.1"
    assert repr(c) == f"<{type(c)} to ('127.0.0.1', {portNumber}) at {id(c):x}>"
    assert repr(s) == f"<Recorder #0 on {portNumber}>"
    closeBoth(reactor, client, server)
    assert c.disconnected and not c.connected


def test_socketOptions(reactor: Any, listen: Callable[..., Any]) -> None:
    """TCP_NODELAY and SO_KEEPALIVE start off and can be switched."""
    client, server, _, _ = connectPair(reactor, listen)
    t = client.transport
    assert t.getTcpNoDelay() is False and t.getTcpKeepAlive() is False
    t.setTcpNoDelay(True)
    t.setTcpKeepAlive(True)
    assert t.getTcpNoDelay() is True and t.getTcpKeepAlive() is True
    t.setTcpNoDelay(False)
    assert t.getTcpNoDelay() is False
    closeBoth(reactor, client, server)


def test_reactorShutdownDisconnects(reactor: Any, listen: Callable[..., Any]) -> None:
    """At reactor shutdown, open connections get ConnectionLost("Connection lost")
    and a connect in progress fails."""
    client, _server, factory, _ = connectPair(reactor, listen)
    pending = OneProtocolFactory()
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        filler = socket.create_connection(listener.getsockname(), timeout=2)
        reactor.connectTCP("127.0.0.1", listener.getsockname()[1], pending, timeout=None)
        for _ in range(3):
            reactor.iterate(0.01)
        reactor.callWhenRunning(reactor.stop)
        reactor.run(installSignalHandlers=False)
        filler.close()
    assert client.reasons[0].getErrorMessage() == (
        "Connection to the other side was lost in a non-clean fashion: Connection lost."
    )
    assert factory.trace[-2:] == [("clientConnectionLost", error.ConnectionLost), "doStop"]
    assert pending.trace[-2:] == [("clientConnectionFailed", error.ConnectError), "doStop"]


# -- producers and back-pressure ----------------------------------------------------------------


@implementer(IPushProducer)
class ChunkProducer:
    """Writes ``chunk`` until ``total`` bytes are out, pausing when told to."""

    def __init__(self, reactor: Any, transport: Any, chunk: bytes, total: int) -> None:
        self.reactor = reactor
        self.transport = transport
        self.chunk = chunk
        self.remaining = total
        self.paused = False
        self.pauses = 0
        self.maxBuffered = 0
        self.done: Deferred[None] = Deferred()
        self.call: Any = reactor.callLater(0, self.produce)

    def produce(self) -> None:
        self.call = None
        while not self.paused and self.remaining > 0:
            piece = self.chunk[: self.remaining]
            self.remaining -= len(piece)
            self.transport.write(piece)
            self.maxBuffered = max(self.maxBuffered, self.transport._bufferedBytes)
        if self.remaining == 0 and not self.done.called:
            self.transport.unregisterProducer()
            self.done.callback(None)

    def pauseProducing(self) -> None:
        self.paused = True
        self.pauses += 1

    def resumeProducing(self) -> None:
        self.paused = False
        if self.call is None:
            self.call = self.reactor.callLater(0, self.produce)

    def stopProducing(self) -> None:
        self.paused = True


def test_slowReaderPausesPushProducer(reactor: Any, listen: Callable[..., Any]) -> None:
    """A reader that stops reading makes the writer's push producer pause, and the
    writer's buffer stays bounded; everything arrives once reading resumes."""
    client, server, _, _ = connectPair(reactor, listen)
    server.transport.pauseProducing()
    chunk = b"0123456789abcdef" * 4096  # 64 KiB
    total = 32 * 1024 * 1024
    producer = ChunkProducer(reactor, client.transport, chunk, total)
    client.transport.registerProducer(producer, True)
    paused: Deferred[None] = Deferred()

    def checkPaused() -> None:
        if producer.paused:
            paused.callback(None)
        else:
            reactor.callLater(0.005, checkPaused)

    checkPaused()
    runUntil(reactor, paused)
    assert producer.remaining > 0
    server.transport.resumeProducing()
    runUntil(reactor, producer.done, timeout=30)
    bound = client.transport.bufferSize + len(chunk)
    assert producer.maxBuffered <= bound
    assert producer.pauses >= 1
    client.transport.loseConnection()
    waitFor(reactor, server.lostDeferred, timeout=30)
    assert server.received == total


def test_pauseProducingStopsReading(reactor: Any, listen: Callable[..., Any]) -> None:
    """A paused transport is not a reader; resumed, it reads what waited."""
    client, server, _, _ = connectPair(reactor, listen)
    server.transport.pauseProducing()
    assert server.transport not in reactor.getReaders()
    client.transport.write(b"waiting")
    for _ in range(5):
        reactor.iterate(0.01)
    assert server.data == b""
    server.transport.resumeProducing()
    received: Deferred[None] = Deferred()
    server.onData = lambda p, d: received.callback(None) if p.data == b"waiting" else None
    runUntil(reactor, received)
    closeBoth(reactor, client, server)


# -- adopting ---------------------------------------------------------------------------------------


def test_adoptStreamConnectionAndPort(reactor: Any) -> None:
    """adoptStreamPort listens on a given socket; adoptStreamConnection wraps a connected one."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(5)
    server = Recorder()
    port = reactor.adoptStreamPort(listener.fileno(), socket.AF_INET, serverFactoryFor(server))
    listener.close()  # the port holds its own copy
    raw = socket.create_connection(("127.0.0.1", port.getHost().port))
    client = Recorder()
    reactor.adoptStreamConnection(raw.fileno(), socket.AF_INET, serverFactoryFor(client))
    raw.close()
    runUntil(reactor, server.madeDeferred)
    assert client.transport.getPeer() == server.transport.getHost()
    client.transport.write(b"adopted")
    received: Deferred[None] = Deferred()
    server.onData = lambda p, d: received.callback(None) if p.data == b"adopted" else None
    runUntil(reactor, received)
    closeBoth(reactor, client, server)
    runUntil(reactor, port.stopListening())
    with pytest.raises(error.UnsupportedAddressFamily):  # AF_UNIX is plait.unix's (test_unix.py)
        reactor.adoptStreamConnection(0, socket.AF_PACKET, EchoFactory())
