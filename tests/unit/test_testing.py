"""The test doubles themselves (plait.testing, reference section 13.1)."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from plait import error
from plait.address import IPv4Address, IPv6Address, UNIXAddress
from plait.defer import Deferred
from plait.failure import Failure
from plait.interfaces import (
    IConnector,
    IConsumer,
    IHostnameResolver,
    IListeningPort,
    IPushProducer,
    IReactorCore,
    IReactorFDSet,
    IReactorPluggableNameResolver,
    IReactorSocket,
    IReactorSSL,
    IReactorTCP,
    IReactorTime,
    IReactorUNIX,
    ITCPTransport,
    ITransport,
    IUDPTransport,
)
from plait.protocol import ClientFactory, Factory, Protocol
from plait.testing import (
    AccumulatingProtocol,
    FakeDatagramTransport,
    LineSendingProtocol,
    MemoryReactor,
    MemoryReactorClock,
    NonStreamingProducer,
    RaisingMemoryReactor,
    StringIOWithoutClosing,
    StringTransport,
    StringTransportWithDisconnection,
    SynchronousResolver,
    _FakeConnector,
    _FakePort,
    waitUntilAllDisconnected,
)
from tests.helpers import assertNoResult, successResultOf

# --- StringTransport -------------------------------------------------------------------


def test_stringTransportProvidesItsInterfaces() -> None:
    """StringTransport provides ITransport, IConsumer and IPushProducer."""
    t = StringTransport()
    for iface in (ITransport, IConsumer, IPushProducer):
        assert verifyObject(iface, t)


def test_stringTransportInitialState() -> None:
    """The attributes start as Twisted's."""
    t = StringTransport()
    assert (t.disconnecting, t.disconnected, t.connected) == (False, False, True)
    assert (t.producer, t.streaming, t.producerState) == (None, None, "producing")
    assert (t.hostAddr, t.peerAddr) == (None, None)
    assert t.value() == b"" and t.io.getvalue() == b""


def test_stringTransportDefaultAddresses() -> None:
    """getPeer/getHost default to Twisted's fixed IPv4 addresses, or the given ones."""
    t = StringTransport()
    assert t.getPeer() == IPv4Address("TCP", "192.168.1.1", 54321)
    assert t.getHost() == IPv4Address("TCP", "10.0.0.1", 12345)
    host, peer = IPv4Address("TCP", "127.0.0.1", 1), IPv4Address("TCP", "127.0.0.1", 2)
    t = StringTransport(hostAddress=host, peerAddress=peer)
    assert (t.getHost(), t.getPeer()) == (host, peer)


def test_stringTransportWriteValueClear() -> None:
    """write and writeSequence accumulate; clear() forgets."""
    t = StringTransport()
    t.write(b"ab")
    t.writeSequence([b"c", b"d"])
    assert t.value() == b"abcd"
    t.clear()
    assert t.value() == b""


@pytest.mark.parametrize("data", ["text", bytearray(b"x"), memoryview(b"x"), 1])
def test_stringTransportWriteRejectsNonBytes(data: Any) -> None:
    """write() of anything but bytes raises TypeError('Data must be bytes')."""
    with pytest.raises(TypeError, match="^Data must be bytes"):
        StringTransport().write(data)


def test_stringTransportLoseConnectionDoesNotCallConnectionLost() -> None:
    """loseConnection only sets disconnecting (reference section 14, item 15)."""
    p = AccumulatingProtocol()
    t = StringTransport()
    p.makeConnection(t)
    t.loseConnection()
    assert t.disconnecting and not t.disconnected
    assert p.closed == 0


def test_stringTransportAbortConnection() -> None:
    """abortConnection sets both disconnected and disconnecting."""
    t = StringTransport()
    t.abortConnection()
    assert t.disconnected and t.disconnecting


def test_stringTransportProducerRegistration() -> None:
    """Registering two producers or unregistering none raises RuntimeError."""
    t, producer = StringTransport(), object()
    t.registerProducer(producer, True)
    assert (t.producer, t.streaming) == (producer, True)
    with pytest.raises(RuntimeError, match="^Cannot register two producers$"):
        t.registerProducer(object(), False)
    t.unregisterProducer()
    assert (t.producer, t.streaming) == (None, None)
    with pytest.raises(RuntimeError, match="unless one is registered"):
        t.unregisterProducer()


def test_stringTransportAsPushProducer() -> None:
    """pause/resume move producerState; stopped producers cannot resume."""
    t = StringTransport()
    t.pauseProducing()
    assert t.producerState == "paused"
    t.resumeProducing()
    assert t.producerState == "producing"
    t.stopProducing()
    assert t.producerState == "stopped"
    with pytest.raises(RuntimeError, match="^Cannot resume a stopped producer$"):
        t.resumeProducing()
    with pytest.raises(RuntimeError, match="^Cannot resume a stopped producer$"):
        t.pauseProducing()


def test_stringTransportRefusesResumeAfterLoseConnection() -> None:
    """After loseConnection, pause/resume raise unless the transport is lenient."""
    t = StringTransport()
    t.loseConnection()
    with pytest.raises(RuntimeError, match="^Cannot resume producing after loseConnection$"):
        t.resumeProducing()
    with pytest.raises(RuntimeError, match="after loseConnection"):
        t.pauseProducing()
    lenient = StringTransport(lenient=True)
    lenient.loseConnection()
    lenient.pauseProducing()
    lenient.resumeProducing()
    assert lenient.producerState == "producing"


def test_stringTransportWithDisconnectionCallsConnectionLostOnce() -> None:
    """loseConnection calls protocol.connectionLost(ConnectionDone('Bye.')) once."""
    p = AccumulatingProtocol()
    t = StringTransportWithDisconnection()
    t.protocol = p
    p.makeConnection(t)
    t.loseConnection()
    t.loseConnection()
    assert p.closed == 1 and t.connected is False
    assert p.closedReason is not None and p.closedReason.check(error.ConnectionDone)
    assert p.closedReason.getErrorMessage() == "Connection was closed cleanly: Bye.."


# --- simple protocols and producers ---------------------------------------------------


def test_accumulatingProtocol() -> None:
    """It records made/data/closed and fires the factory's and its own Deferreds."""
    factory = Factory.forProtocol(AccumulatingProtocol)
    made: Deferred[Any] = Deferred()
    factory.protocolConnectionMade = made  # type: ignore[attr-defined]
    p = factory.buildProtocol(None)
    assert p is not None
    closed: Deferred[None] = Deferred()
    p.closedDeferred = closed
    p.makeConnection(StringTransport())
    assert p.made == 1 and successResultOf(made) is p
    assert factory.protocolConnectionMade is None  # type: ignore[attr-defined]
    p.dataReceived(b"a")
    p.dataReceived(b"b")
    assert p.data == b"ab"
    reason = Failure(error.ConnectionDone())
    p.connectionLost(reason)
    assert (p.closed, p.closedReason, p.closedDeferred) == (1, reason, None)
    assert successResultOf(closed) is None


def test_accumulatingProtocolWithoutFactory() -> None:
    """Without a factory, connectionMade only sets made."""
    p = AccumulatingProtocol()
    p.makeConnection(StringTransport())
    assert p.made == 1


def test_lineSendingProtocolSendsOnConnect() -> None:
    """With start=True the lines go out on connectionMade; received lines are kept."""
    p = LineSendingProtocol([b"one", b"two"])
    t = StringTransport()
    p.makeConnection(t)
    assert t.value() == b"one\r\ntwo\r\n"
    p.dataReceived(b"reply\r\n")
    assert p.response == [b"reply"]
    p.connectionLost(Failure(error.ConnectionDone()))
    assert p.lostConn is True


def test_lineSendingProtocolSendsAfterFirstLine() -> None:
    """With start=False the lines go out after the first line received, once."""
    p = LineSendingProtocol([b"one"], start=False)
    t = StringTransport()
    p.makeConnection(t)
    assert t.value() == b""
    p.dataReceived(b"hi\r\nagain\r\n")
    assert t.value() == b"one\r\n"
    assert p.response == [b"hi", b"again"]


def test_nonStreamingProducerWritesTenTimes() -> None:
    """It writes 0..9, one per resumeProducing, then unregisters and fires result."""
    t = StringTransport()
    producer = NonStreamingProducer(t)
    t.registerProducer(producer, False)
    result = producer.result
    for _ in range(10):
        producer.resumeProducing()
    assert t.value() == b"0123456789"
    assert t.producer is None and successResultOf(result) is None
    with pytest.raises(RuntimeError, match="resume after unregister"):
        producer.resumeProducing()
    with pytest.raises(RuntimeError, match="pause should never be called"):
        producer.pauseProducing()


def test_nonStreamingProducerStop() -> None:
    """stopProducing marks it stopped and fires result."""
    producer = NonStreamingProducer(StringTransport())
    result = producer.result
    producer.stopProducing()
    assert producer.stopped is True and successResultOf(result) is None


def test_fakeDatagramTransportRecordsWrites() -> None:
    """FakeDatagramTransport records (packet, addr), with a marker for no address."""
    t = FakeDatagramTransport()
    assert verifyObject(IUDPTransport, t)
    t.write(b"a", ("127.0.0.1", 53))
    t.write(b"b")
    assert t.written == [(b"a", ("127.0.0.1", 53)), (b"b", FakeDatagramTransport.noAddr)]


def test_stringIOWithoutClosing() -> None:
    """close() leaves the buffer readable."""
    f = StringIOWithoutClosing()
    f.write(b"x")
    f.close()
    assert f.getvalue() == b"x"


# --- MemoryReactor ---------------------------------------------------------------------


def test_memoryReactorProvidesItsInterfaces() -> None:
    """MemoryReactor and MemoryReactorClock verify against everything they declare."""
    for reactor in (MemoryReactor(), MemoryReactorClock()):
        for iface in (
            IReactorCore,
            IReactorTCP,
            IReactorSSL,
            IReactorUNIX,
            IReactorSocket,
            IReactorFDSet,
            IReactorPluggableNameResolver,
        ):
            assert verifyObject(iface, reactor)
    assert verifyObject(IReactorTime, MemoryReactorClock())


def test_memoryReactorInitialState() -> None:
    """Every list starts empty and every flag false."""
    r = MemoryReactor()
    for name in (
        "tcpClients", "tcpServers", "sslClients", "sslServers", "unixClients",
        "unixServers", "adoptedPorts", "adoptedStreamConnections", "connectors",
        "whenRunningHooks",
    ):
        assert getattr(r, name) == [], name
    assert (r.readers, r.writers, r.triggers) == (set(), set(), {})
    assert not (r.hasInstalled or r.running or r.hasRun or r.hasStopped or r.hasCrashed)
    assert isinstance(r.nameResolver, SynchronousResolver)


def test_memoryReactorConnectTCPRecordsAndStartsConnecting() -> None:
    """connectTCP records its arguments, calls startedConnecting, never connects."""
    r = MemoryReactor()
    started: list[Any] = []

    class F(ClientFactory[Any]):
        def startedConnecting(self, connector: Any) -> None:
            started.append(connector)

    f = F()
    c = r.connectTCP("127.0.0.1", 4321, f)
    assert r.tcpClients == [("127.0.0.1", 4321, f, 30, None)]
    assert started == [c] and r.connectors == [c]
    assert c.getDestination() == IPv4Address("TCP", "127.0.0.1", 4321)
    c6 = r.connectTCP("::1", 4321, f, timeout=5, bindAddress=("::1", 0))
    assert c6.getDestination() == IPv6Address("TCP", "::1", 4321)
    assert r.tcpClients[1] == ("::1", 4321, f, 5, ("::1", 0))


def test_fakeConnector() -> None:
    """_FakeConnector records stopConnecting and disconnect; connect does nothing."""
    c = _FakeConnector(IPv4Address("TCP", "127.0.0.1", 1))
    assert verifyObject(IConnector, c)
    assert (c.stoppedConnecting, c._disconnected) == (False, False)
    c.connect()
    c.stopConnecting()
    c.disconnect()
    assert (c.stoppedConnecting, c._disconnected) == (True, True)


def test_memoryReactorListenTCP() -> None:
    """listenTCP records and returns a _FakePort on 0.0.0.0 or the IPv6 interface."""
    r, f = MemoryReactor(), Factory()
    port = r.listenTCP(4321, f)
    assert r.tcpServers == [(4321, f, 50, "")]
    assert isinstance(port, _FakePort) and verifyObject(IListeningPort, port)
    assert port.getHost() == IPv4Address("TCP", "0.0.0.0", 4321)
    assert r.listenTCP(4321, f, interface="::1").getHost() == IPv6Address("TCP", "::1", 4321)
    assert r.listenTCP(4321, f, interface="127.0.0.1").getHost() == IPv4Address("TCP", "0.0.0.0", 4321)
    port.startListening()
    port.stopListening()


def test_memoryReactorSSLAndUNIX() -> None:
    """connectSSL/listenSSL/connectUNIX/listenUNIX record their arguments."""
    r, f, ctx = MemoryReactor(), ClientFactory(), object()
    c = r.connectSSL("127.0.0.1", 443, f, ctx)
    assert r.sslClients == [("127.0.0.1", 443, f, ctx, 30, None)]
    assert c.getDestination() == IPv4Address("TCP", "127.0.0.1", 443)
    r.listenSSL(443, f, ctx)
    assert r.sslServers == [(443, f, ctx, 50, "")]
    u = r.connectUNIX("/tmp/s", f)
    assert r.unixClients == [("/tmp/s", f, 30, False)]
    assert u.getDestination() == UNIXAddress("/tmp/s")
    assert r.listenUNIX("/tmp/s", f).getHost() == UNIXAddress("/tmp/s")
    assert r.unixServers == [("/tmp/s", f, 50, 0o666, False)]
    assert r.connectors == [c, u]


def test_memoryReactorAdopt() -> None:
    """adopt* record their arguments; an unknown family raises UnsupportedAddressFamily."""
    r, f = MemoryReactor(), Factory()
    assert r.adoptStreamPort(3, socket.AF_INET, f).getHost() == IPv4Address("TCP", "0.0.0.0", 1234)
    assert r.adoptDatagramPort(4, socket.AF_INET6, f).getHost() == IPv6Address("UDP", "::", 1234)
    r.adoptStreamConnection(5, socket.AF_INET, f)
    assert r.adoptedPorts == [(3, socket.AF_INET, f), (4, socket.AF_INET6, f, 8192)]
    assert r.adoptedStreamConnections == [(5, socket.AF_INET, f)]
    with pytest.raises(error.UnsupportedAddressFamily):
        r.adoptStreamPort(3, socket.AF_UNIX, f)


def test_memoryReactorRunSemantics() -> None:
    """run() calls the callWhenRunning hooks then stops; later hooks run at once."""
    r = MemoryReactor()
    calls: list[Any] = []
    r.callWhenRunning(calls.append, 1)
    assert calls == [] and r.whenRunningHooks == [(calls.append, (1,), {})]
    r.run()
    assert calls == [1]
    assert (r.running, r.hasRun, r.hasStopped) == (False, True, True)
    r.callWhenRunning(calls.append, 2)
    assert calls == [1, 2]
    r.crash()
    assert r.running is None and r.hasCrashed
    r.install()
    assert r.hasInstalled


def test_memoryReactorTriggersAndUnimplemented() -> None:
    """Triggers are recorded; resolve/iterate/fire/remove raise NotImplementedError."""
    r = MemoryReactor()
    f = lambda: None
    r.addSystemEventTrigger("before", "shutdown", f, 1, a=2)
    assert r.triggers == {"before": {"shutdown": [(f, (1,), {"a": 2})]}}
    for call in (
        lambda: r.resolve("localhost"),
        lambda: r.iterate(),
        lambda: r.fireSystemEvent("shutdown"),
        lambda: r.removeSystemEventTrigger(None),
    ):
        with pytest.raises(NotImplementedError):
            call()


def test_memoryReactorFDSet() -> None:
    """The FD set methods keep sets; removeAll returns and clears both."""
    r, a, b = MemoryReactor(), object(), object()
    r.addReader(a)
    r.addReader(a)
    r.addWriter(b)
    assert (r.getReaders(), r.getWriters()) == ([a], [b])
    assert set(r.removeAll()) == {a, b}
    assert (r.getReaders(), r.getWriters()) == ([], [])
    r.addReader(a)
    r.removeReader(a)
    r.removeReader(a)
    r.addWriter(b)
    r.removeWriter(b)
    assert (r.readers, r.writers) == (set(), set())


def test_synchronousResolver() -> None:
    """Every name resolves at once to 127.0.0.1 with the requested port."""
    events: list[Any] = []

    class Receiver:
        def resolutionBegan(self, resolution: Any) -> None:
            events.append(("began", resolution.name))

        def addressResolved(self, address: Any) -> None:
            events.append(address)

        def resolutionComplete(self) -> None:
            events.append("complete")

    resolver = MemoryReactor().nameResolver
    assert verifyObject(IHostnameResolver, resolver)
    resolution = resolver.resolveHostName(Receiver(), "example.invalid", 80)
    assert events == [("began", "example.invalid"), IPv4Address("TCP", "127.0.0.1", 80), "complete"]
    with pytest.raises(RuntimeError):
        resolution.cancel()


def test_installNameResolverReturnsThePrevious() -> None:
    """installNameResolver swaps resolvers and returns the old one."""
    for r in (MemoryReactor(), RaisingMemoryReactor()):
        old, new = r.nameResolver, SynchronousResolver()
        assert r.installNameResolver(new) is old
        assert r.nameResolver is new


def test_memoryReactorClockIsAClock() -> None:
    """MemoryReactorClock adds callLater/advance/seconds to the MemoryReactor."""
    r = MemoryReactorClock()
    calls: list[int] = []
    r.callLater(1.0, calls.append, 1)
    assert r.seconds() == 0.0 and len(r.getDelayedCalls()) == 1
    r.advance(1.0)
    assert calls == [1] and r.seconds() == 1.0
    assert r.tcpClients == []


def test_raisingMemoryReactor() -> None:
    """listen* raise the listen exception; connect* and adopt* the connect exception."""
    listen, connect = ValueError("listen"), KeyError("connect")
    r = RaisingMemoryReactor(listenException=listen, connectException=connect)
    for iface in (IReactorTCP, IReactorSSL, IReactorUNIX, IReactorSocket, IReactorPluggableNameResolver):
        assert verifyObject(iface, r)
    f = Factory()
    for call in (
        lambda: r.listenTCP(0, f),
        lambda: r.listenSSL(0, f, None),
        lambda: r.listenUNIX("/tmp/s", f),
        lambda: r.adoptStreamPort(3, socket.AF_INET, f),
    ):
        with pytest.raises(ValueError, match="listen"):
            call()
    for call in (
        lambda: r.connectTCP("127.0.0.1", 1, f),
        lambda: r.connectSSL("127.0.0.1", 1, f, None),
        lambda: r.connectUNIX("/tmp/s", f),
        lambda: r.adoptStreamConnection(3, socket.AF_INET, f),
        lambda: r.adoptDatagramPort(3, socket.AF_INET, f, 8192),
    ):
        with pytest.raises(KeyError, match="connect"):
            call()


def test_raisingMemoryReactorWithoutExceptionSaysSo() -> None:
    """Asking for an exception that was not given raises a clear RuntimeError."""
    with pytest.raises(RuntimeError, match="no exception for connectTCP"):
        RaisingMemoryReactor().connectTCP("127.0.0.1", 1, Factory())


def test_waitUntilAllDisconnected() -> None:
    """The Deferred fires once every protocol's transport is disconnected."""
    r = MemoryReactorClock()
    protocols = [Protocol(), Protocol()]
    transports = [StringTransport(), StringTransport()]
    for p, t in zip(protocols, transports):
        p.makeConnection(t)
    d = waitUntilAllDisconnected(r, protocols)
    assertNoResult(d)
    transports[0].connected = False
    r.advance(0.01)
    assertNoResult(d)
    transports[1].connected = False
    r.advance(0.01)
    assert successResultOf(d) is None
    assert r.getDelayedCalls() == []


def test_waitUntilAllDisconnectedWithNothingConnected() -> None:
    """With no connected protocols it fires at once."""
    assert successResultOf(waitUntilAllDisconnected(MemoryReactorClock(), [])) is None


@implementer(IPushProducer)
class _PushProducer:
    def __init__(self) -> None:
        self.events: list[str] = []

    def pauseProducing(self) -> None:
        self.events.append("pause")

    def resumeProducing(self) -> None:
        self.events.append("resume")

    def stopProducing(self) -> None:
        self.events.append("stop")


def test_pairTransportsProvideTheirInterfaces() -> None:
    """The connected pair's transports verify as ITCPTransport, IConsumer, IPushProducer."""
    from plait.testing import connectedServerAndClient

    client, server, _ = connectedServerAndClient(Protocol, Protocol)
    for t in (client.transport, server.transport):
        for iface in (ITCPTransport, IConsumer, IPushProducer):
            assert verifyObject(iface, t)


# --- the connected pair (beyond the shared contract suite) --------------------------------


class _Trace(Protocol):
    def __init__(self) -> None:
        self.events: list[Any] = []

    def connectionMade(self) -> None:
        self.events.append("made")

    def dataReceived(self, data: bytes) -> None:
        self.events.append(data)

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        self.events.append(("lost", reason.type if reason is not None else None))


def _pair(**kwargs: Any) -> tuple[_Trace, _Trace, Any]:
    from plait.testing import connectedServerAndClient

    return connectedServerAndClient(_Trace, _Trace, **kwargs)  # type: ignore[return-value]


def test_pairConnectsServerFirstAndGreets() -> None:
    """Both sides get connectionMade; what connectionMade wrote is delivered (greet)."""

    class Greeter(_Trace):
        def connectionMade(self) -> None:
            super().connectionMade()
            self.transport.write(b"hello")

    from plait.testing import connectedServerAndClient

    client, server, pump = connectedServerAndClient(Greeter, _Trace)
    assert client.events == ["made", b"hello"] and server.events == ["made"]
    client, server, pump = connectedServerAndClient(Greeter, _Trace, greet=False)
    assert client.events == ["made"]
    assert pump.flush() is True
    assert client.events == ["made", b"hello"]


def test_pairDeliversOnlyWhenPumped() -> None:
    """write() moves nothing until pump(); pump() says whether anything happened."""
    client, server, pump = _pair()
    client.transport.write(b"a")
    assert server.events == ["made"]
    assert pump.pump() is True
    assert server.events == ["made", b"a"]
    assert pump.pump() is False


def test_pairAddressesAreLoopback() -> None:
    """The pair's addresses are 127.0.0.1 and mirror each other."""
    client, server, _ = _pair()
    assert client.transport.getPeer() == server.transport.getHost() == IPv4Address("TCP", "127.0.0.1", 4321)
    assert client.transport.getHost() == server.transport.getPeer()
    assert client.transport.logPrefix() == "_Trace,client"
    assert server.transport.logPrefix() == "_Trace,server"


def test_pairTcpOptions() -> None:
    """The TCP option getters reflect the setters."""
    client, _, _ = _pair()
    t = client.transport
    assert (t.getTcpNoDelay(), t.getTcpKeepAlive()) == (False, False)
    t.setTcpNoDelay(True)
    t.setTcpKeepAlive(True)
    assert (t.getTcpNoDelay(), t.getTcpKeepAlive()) == (True, True)


def test_pairStatusFlags() -> None:
    """connected/disconnecting/disconnected follow the close sequence."""
    client, server, pump = _pair()
    t = client.transport
    assert (t.connected, t.disconnecting, t.disconnected) == (True, False, False)
    t.loseConnection()
    assert (t.connected, t.disconnecting, t.disconnected) == (True, True, False)
    pump.flush()
    assert (t.connected, t.disconnecting, t.disconnected) == (False, False, True)
    assert server.events[-1] == ("lost", error.ConnectionDone)


def test_pairPausedReaderReceivesNothingUntilResumed() -> None:
    """pauseProducing on a transport stops delivery to its protocol; resume delivers."""
    client, server, pump = _pair()
    server.transport.pauseProducing()
    client.transport.write(b"held")
    client.transport.loseConnection()
    assert pump.flush() is False
    assert server.events == ["made"] and client.events == ["made"]
    server.transport.resumeProducing()
    pump.flush()
    assert server.events == ["made", b"held", ("lost", error.ConnectionDone)]
    assert client.events == ["made", ("lost", error.ConnectionDone)]


def test_pairStreamingProducerIsPausedAndResumed() -> None:
    """A push producer is paused when the buffer passes bufferSize, resumed when drained."""
    client, server, pump = _pair()
    producer = _PushProducer()
    t = client.transport
    t.registerProducer(producer, True)
    t.write(b"x" * t.bufferSize)
    assert producer.events == []
    t.write(b"y")
    assert producer.events == ["pause"]
    pump.pump()
    assert producer.events == ["pause", "resume"]
    assert len(server.events[1]) == t.bufferSize + 1


def test_pairPullProducerIsPulledUntilDone() -> None:
    """A pull producer is resumed at registration and whenever the buffer drains."""
    client, server, pump = _pair()
    producer = NonStreamingProducer(client.transport)
    result = producer.result
    client.transport.registerProducer(producer, False)
    pump.flush()
    assert b"".join(e for e in server.events if isinstance(e, bytes)) == b"0123456789"
    assert client.transport.producer is None
    assert successResultOf(result) is None


def test_pairLoseConnectionWaitsForTheProducer() -> None:
    """With a producer registered, loseConnection waits until it is unregistered."""
    client, server, pump = _pair()
    producer = _PushProducer()
    client.transport.registerProducer(producer, True)
    client.transport.loseConnection()
    pump.flush()
    assert server.events == ["made"]
    client.transport.unregisterProducer()
    pump.flush()
    assert server.events == ["made", ("lost", error.ConnectionDone)]
    assert producer.events == []


def test_pairRegisterProducerAfterCloseStopsIt() -> None:
    """Registering a producer on a closed transport stops the producer at once."""
    client, _, pump = _pair()
    client.transport.loseConnection()
    pump.flush()
    producer = _PushProducer()
    client.transport.registerProducer(producer, True)
    assert producer.events == ["stop"] and client.transport.producer is None


def test_pairStopProducingLosesTheConnection() -> None:
    """The transport as a producer: stopProducing is loseConnection."""
    client, _, pump = _pair()
    client.transport.stopProducing()
    pump.flush()
    assert client.events[-1] == ("lost", error.ConnectionDone)


def test_pairLoseConnectionAfterHalfClose() -> None:
    """loseConnection after loseWriteConnection completes closes the connection once."""
    client, server, pump = _pair()
    client.transport.loseWriteConnection()
    client.transport.loseWriteConnection()
    pump.flush()
    assert server.events[-1] == ("lost", error.ConnectionDone)
    client.transport.loseConnection()
    pump.flush()
    assert client.events == ["made", ("lost", error.ConnectionDone)]


def test_pairExceptionInDataReceivedDropsTheConnection(loggedErrors: Any) -> None:
    """An exception from dataReceived is logged; that side loses the connection with it."""

    class Boom(_Trace):
        def dataReceived(self, data: bytes) -> None:
            raise ValueError("boom")

    from plait.testing import connectedServerAndClient

    client, server, pump = connectedServerAndClient(Boom, _Trace)
    client.transport.write(b"x")
    pump.flush()
    assert server.events[-1] == ("lost", ValueError)
    assert client.events[-1] == ("lost", error.ConnectionLost)
    (logged,) = loggedErrors.flush(ValueError)
    assert logged.getErrorMessage() == "boom"


def test_pairFlushGivesUpOnEndlessPingPong() -> None:
    """flush() raises instead of hanging when two protocols never stop talking."""

    class Echo(_Trace):
        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)

    from plait.testing import connectedServerAndClient

    client, _, pump = connectedServerAndClient(Echo, Echo)
    client.transport.write(b"x")
    with pytest.raises(RuntimeError, match="still busy after 50 rounds"):
        pump.flush(maxRounds=50)
    client.transport.abortConnection()
    pump.flush()


def test_pairWithClockRunsDueCalls() -> None:
    """With a clock, each pump first runs the calls that are due (callLater(0))."""
    from plait.task import Clock

    clock = Clock()
    client, server, pump = _pair(clock=clock)
    clock.callLater(0, client.transport.write, b"later")
    pump.flush()
    assert server.events == ["made", b"later"]


def test_pairIllegalTransitionNamesTheState() -> None:
    """The write-side state machine refuses transitions out of 'closed', by name."""
    client, _, pump = _pair()
    client.transport.abortConnection()
    pump.flush()
    with pytest.raises(RuntimeError, match="cannot go from closed to closing"):
        from plait._iosim import _WriteState

        client.transport._setState(_WriteState.CLOSING)


def test_doublesDeclareAndVerifyTheirInterfaces() -> None:
    """The remaining doubles verify against the interfaces they declare."""
    from plait.interfaces import IHostResolution, IProtocol, IPullProducer

    assert verifyObject(IProtocol, AccumulatingProtocol())
    assert verifyObject(IProtocol, LineSendingProtocol([]))
    assert verifyObject(IPullProducer, NonStreamingProducer(StringTransport()))
    resolution = SynchronousResolver().resolveHostName(
        type("R", (), {"resolutionBegan": lambda s, r: None, "addressResolved": lambda s, a: None,
                       "resolutionComplete": lambda s: None})(),
        "localhost",
    )
    assert verifyObject(IHostResolution, resolution)
