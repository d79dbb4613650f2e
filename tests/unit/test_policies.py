"""plait.protocols.policies, sans-IO: StringTransport, task.Clock, the iosim pair."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from zope.interface import Interface, directlyProvides, implementer

from plait import error, log
from plait.address import IPv4Address
from plait.failure import Failure
from plait.interfaces import IConsumer, IProtocol, IPushProducer, ITransport
from plait.protocol import (
    ClientFactory,
    Factory,
    Protocol,
    ServerFactory,
    connectionDone,
)
from plait.protocols import policies
from plait.protocols.policies import (
    LimitConnectionsByPeer,
    LimitTotalConnectionsFactory,
    ProtocolWrapper,
    SpewingFactory,
    ThrottlingFactory,
    TimeoutFactory,
    TimeoutMixin,
    TimeoutProtocol,
    TrafficLoggingFactory,
    WrappingFactory,
)
from plait.task import Clock
from plait.testing import (
    StringTransport,
    StringTransportWithDisconnection,
    connectedServerAndClient,
)

PEER = IPv4Address("TCP", "127.0.0.1", 50000)


class Recorder(Protocol):
    """Records what it is told and what transport it got."""

    def __init__(self) -> None:
        self.received: list[bytes] = []
        self.lost: list[Failure] = []
        self.made = 0

    def connectionMade(self) -> None:
        self.made += 1

    def dataReceived(self, data: bytes) -> None:
        self.received.append(data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.lost.append(reason)


class RecordingFactory(ClientFactory[Recorder]):
    protocol = Recorder

    def __init__(self) -> None:
        self.events: list[Any] = []

    def startFactory(self) -> None:
        self.events.append("start")

    def stopFactory(self) -> None:
        self.events.append("stop")

    def startedConnecting(self, connector: Any) -> None:
        self.events.append(("started", connector))

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        self.events.append(("failed", connector, reason))

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        self.events.append(("lost", connector, reason))


def connect(factory: Any, transport: Any = None) -> tuple[Any, Any]:
    """Build a wrapper for PEER and connect it to a (String)transport."""
    wrapper = factory.buildProtocol(PEER)
    transport = transport if transport is not None else StringTransportWithDisconnection(peerAddress=PEER)
    transport.protocol = wrapper
    wrapper.makeConnection(transport)
    return wrapper, transport


@pytest.fixture
def messages() -> Iterator[list[str]]:
    received: list[str] = []

    def observer(event: dict[str, Any]) -> None:
        received.append(" ".join(str(m) for m in event.get("message", ())))

    log.addObserver(observer)
    yield received
    log.removeObserver(observer)


# --- ProtocolWrapper and WrappingFactory --------------------------------------------


def test_wrapperRelaysBothWaysAndRegisters() -> None:
    factory = WrappingFactory(RecordingFactory())
    wrapper, transport = connect(factory)
    inner = wrapper.wrappedProtocol
    assert isinstance(wrapper, ProtocolWrapper) and isinstance(inner, Recorder)
    assert factory.protocols == {wrapper: 1}
    assert inner.transport is wrapper and inner.made == 1 and wrapper.transport is transport
    wrapper.dataReceived(b"in")
    inner.transport.write(b"out")
    inner.transport.writeSequence([b"a", b"b"])
    assert inner.received == [b"in"] and transport.value() == b"outab"
    assert inner.transport.getPeer() == PEER and inner.transport.getHost() == transport.getHost()
    inner.transport.loseConnection()
    assert wrapper.disconnecting == 1 and not transport.connected
    # StringTransportWithDisconnection called connectionLost on the wrapper:
    assert factory.protocols == {}
    assert len(inner.lost) == 1 and wrapper.wrappedProtocol is None


def test_wrapperProvidesTheTransportsInterfaces() -> None:
    class IExtra(Interface):
        pass

    transport = StringTransport()
    directlyProvides(transport, IExtra)
    wrapper, _ = connect(WrappingFactory(RecordingFactory()), transport)
    assert IExtra.providedBy(wrapper)
    assert ITransport.providedBy(wrapper) and IConsumer.providedBy(wrapper) and IPushProducer.providedBy(wrapper)
    assert IProtocol.providedBy(wrapper)  # still a protocol for the transport


def test_wrapperForwardsUnknownAttributesToTheTransport() -> None:
    wrapper, transport = connect(WrappingFactory(RecordingFactory()))
    transport.someOption = 42
    assert wrapper.someOption == 42
    wrapper.abortConnection()
    assert not transport.connected and wrapper.wrappedProtocol is None  # lost through the wrapper
    with pytest.raises(AttributeError):
        wrapper.noSuchThing  # noqa: B018


def test_wrapperRelaysProducers() -> None:
    wrapper, transport = connect(WrappingFactory(RecordingFactory()))

    @implementer(IPushProducer)
    class Producer:
        def pauseProducing(self) -> None: ...
        def resumeProducing(self) -> None: ...
        def stopProducing(self) -> None: ...

    producer = Producer()
    wrapper.registerProducer(producer, True)
    assert transport.producer is producer and transport.streaming
    wrapper.unregisterProducer()
    assert transport.producer is None


def test_logPrefixes() -> None:
    wrapped = RecordingFactory()
    factory = WrappingFactory(wrapped)
    assert factory.logPrefix() == "RecordingFactory (WrappingFactory)"
    wrapper = factory.buildProtocol(PEER)
    assert wrapper is not None and wrapper.logPrefix() == "Recorder (ProtocolWrapper)"

    class Plain:
        pass

    assert ProtocolWrapper(factory, Plain()).logPrefix() == "Plain (ProtocolWrapper)"


def test_wrappingFactoryPassesLifecycleAndClientHooksOn() -> None:
    wrapped = RecordingFactory()
    factory = WrappingFactory(wrapped)
    factory.doStart()
    assert wrapped.events == ["start"] and wrapped.numPorts == 1 and factory.numPorts == 1
    reason = Failure(error.ConnectionRefusedError())
    factory.startedConnecting("c")
    factory.clientConnectionFailed("c", reason)
    factory.clientConnectionLost("c", reason)
    factory.doStop()
    assert wrapped.events == ["start", ("started", "c"), ("failed", "c", reason), ("lost", "c", reason), "stop"]
    assert factory.numPorts == 0


def test_wrappingFactoryOverTheIOSimPair() -> None:
    class Echo(Protocol):
        def dataReceived(self, data: bytes) -> None:
            self.transport.write(data)

    factory = WrappingFactory(Factory.forProtocol(Echo))
    client, server, pump = connectedServerAndClient(lambda: factory.buildProtocol(PEER), Recorder)
    assert list(factory.protocols) == [server]
    client.transport.write(b"ping")
    pump.flush()
    assert client.received == [b"ping"]
    client.transport.loseConnection()
    pump.flush()
    assert factory.protocols == {} and len(client.lost) == 1


# --- ThrottlingFactory -------------------------------------------------------------


def throttled(**kw: Any) -> tuple[ThrottlingFactory, Clock]:
    clock = Clock()
    factory = ThrottlingFactory(RecordingFactory(), **kw)
    factory.callLater = clock.callLater  # type: ignore[method-assign]
    return factory, clock


def test_throttlingDefaults() -> None:
    factory = ThrottlingFactory(RecordingFactory())
    assert factory.maxConnectionCount > 2**31 and factory.readLimit is None and factory.writeLimit is None
    assert (factory.connectionCount, factory.readThisSecond, factory.writtenThisSecond) == (0, 0, 0)
    assert factory.unthrottleReadsID is None and factory.checkReadBandwidthID is None


def test_throttlingMaxConnectionCount(messages: list[str]) -> None:
    factory, clock = throttled(maxConnectionCount=2)
    first, _ = connect(factory)
    connect(factory)
    assert factory.buildProtocol(PEER) is None
    assert "Max connection count reached!" in messages
    assert factory.connectionCount == 2
    first.connectionLost(connectionDone)
    assert factory.connectionCount == 1
    assert factory.buildProtocol(PEER) is not None
    assert clock.getDelayedCalls() == []  # no limits: no timers


def test_throttlingReads(messages: list[str]) -> None:
    factory, clock = throttled(readLimit=10)
    wrapper, transport = connect(factory)
    assert [c.getTime() for c in clock.getDelayedCalls()] == [1]
    wrapper.dataReceived(b"x" * 25)
    assert factory.readThisSecond == 25 and wrapper.wrappedProtocol.received == [b"x" * 25]
    clock.advance(1)
    # 25 bytes against 10 a second: paused for 25/10 - 1 = 1.5 seconds.
    assert transport.producerState == "paused"
    assert factory.readThisSecond == 0
    assert factory.unthrottleReadsID is not None and factory.unthrottleReadsID.getTime() == 2.5
    assert any(m.startswith("Throttling reads on") for m in messages)
    clock.advance(1)  # the next second: nothing read, nothing more throttled
    assert transport.producerState == "paused"
    clock.advance(0.5)
    assert transport.producerState == "producing" and factory.unthrottleReadsID is None
    assert any(m.startswith("Stopped throttling reads on") for m in messages)
    wrapper.connectionLost(connectionDone)
    assert clock.getDelayedCalls() == []


def test_throttlingWritesPausesTheProducer() -> None:
    factory, clock = throttled(writeLimit=4)
    wrapper, transport = connect(factory)
    states: list[str] = []

    @implementer(IPushProducer)
    class Producer:
        def pauseProducing(self) -> None:
            states.append("pause")

        def resumeProducing(self) -> None:
            states.append("resume")

        def stopProducing(self) -> None: ...

    inner = wrapper.wrappedProtocol
    inner.transport.registerProducer(Producer(), True)
    inner.transport.write(b"12345678")
    inner.transport.writeSequence(iter([b"ab", b"cd"]))  # a generator is counted and still written
    assert factory.writtenThisSecond == 12 and transport.value() == b"12345678abcd"
    clock.advance(1)
    assert states == ["pause"]
    clock.advance(2)  # 12/4 - 1 = 2 seconds
    assert states == ["pause", "resume"]
    inner.transport.unregisterProducer()
    wrapper.throttleWrites()  # no producer: nothing to pause
    assert states == ["pause", "resume"]
    wrapper.connectionLost(connectionDone)
    assert clock.getDelayedCalls() == []


def test_throttlingTimersStopWithTheLastConnection() -> None:
    factory, clock = throttled(readLimit=1, writeLimit=1)
    a, _ = connect(factory)
    b, _ = connect(factory)
    a.dataReceived(b"xxx")
    clock.advance(1)
    assert len(clock.getDelayedCalls()) == 3  # two checks and one unthrottle
    a.connectionLost(connectionDone)
    assert len(clock.getDelayedCalls()) == 3
    b.connectionLost(connectionDone)
    assert clock.getDelayedCalls() == []
    assert factory.checkReadBandwidthID is None and factory.unthrottleReadsID is None


# --- SpewingFactory ----------------------------------------------------------------


def test_spewingLogsBothDirections(messages: list[str]) -> None:
    wrapper, transport = connect(SpewingFactory(RecordingFactory()))
    wrapper.dataReceived(b"hello")
    wrapper.wrappedProtocol.transport.write(b"bye")
    assert "Received: b'hello'" in messages and "Sending: b'bye'" in messages
    assert transport.value() == b"bye" and wrapper.wrappedProtocol.received == [b"hello"]


# --- LimitConnectionsByPeer --------------------------------------------------------


def test_limitConnectionsByPeer() -> None:
    factory = LimitConnectionsByPeer(RecordingFactory())
    factory.maxConnectionsPerPeer = 2
    factory.doStart()
    first, _ = connect(factory)
    connect(factory)
    assert factory.buildProtocol(PEER) is None
    other = IPv4Address("TCP", "127.0.0.2", 50000)
    assert factory.buildProtocol(other) is not None
    assert factory.buildProtocol(("127.0.0.3", 1)) is not None  # a tuple works too
    assert factory.peerConnections == {"127.0.0.1": 2, "127.0.0.2": 1, "127.0.0.3": 1}
    first.connectionLost(connectionDone)
    assert factory.peerConnections["127.0.0.1"] == 1 and first not in factory.protocols
    assert factory.buildProtocol(PEER) is not None


def test_limitConnectionsByPeerForgetsAHostAtZero() -> None:
    factory = LimitConnectionsByPeer(RecordingFactory())
    factory.doStart()
    wrapper, _ = connect(factory)
    wrapper.connectionLost(connectionDone)
    assert factory.peerConnections == {} and factory.protocols == {}


# --- LimitTotalConnectionsFactory ---------------------------------------------------


class Busy(Protocol):
    def connectionMade(self) -> None:
        self.transport.write(b"busy\n")
        self.transport.loseConnection()


def test_limitTotalConnections() -> None:
    factory = LimitTotalConnectionsFactory()
    factory.protocol = Recorder
    assert factory.connectionLimit is None and factory.overflowProtocol is None
    factory.connectionLimit = 1
    first, _ = connect(factory)
    assert isinstance(first, ProtocolWrapper) and isinstance(first.wrappedProtocol, Recorder)
    assert first.wrappedProtocol.factory is factory and factory.connectionCount == 1
    assert factory.buildProtocol(PEER) is None  # no overflow protocol: refused
    factory.overflowProtocol = Busy
    overflow, transport = connect(factory, StringTransport())
    assert isinstance(overflow.wrappedProtocol, Busy) and transport.value() == b"busy\n"
    assert transport.disconnecting
    overflow.connectionLost(connectionDone)
    assert factory.connectionCount == 1  # the busy one hung up at once
    first.connectionLost(connectionDone)
    assert factory.connectionCount == 0
    again, _ = connect(factory)
    assert isinstance(again.wrappedProtocol, Recorder)
    assert isinstance(factory, ServerFactory)


def test_limitTotalConnectionsWithoutAProtocol() -> None:
    with pytest.raises(TypeError, match=r"LimitTotalConnectionsFactory.protocol is None"):
        LimitTotalConnectionsFactory().buildProtocol(PEER)


def test_throttleWritesIgnoresTheTransportsProducerAttribute() -> None:
    # A TCP transport has ``producer = None``; the wrapper forwards unknown
    # attributes to it, but only a producer registered through the wrapper
    # is paused.
    factory, _ = throttled(writeLimit=1)
    wrapper, _ = connect(factory, StringTransport())
    assert wrapper.producer is None  # forwarded from the transport
    wrapper.throttleWrites()
    wrapper.unthrottleWrites()


def test_limitTotalConnectionsUnlimited() -> None:
    factory = LimitTotalConnectionsFactory()
    factory.protocol = Recorder
    wrappers = [connect(factory)[0] for _ in range(20)]
    assert factory.connectionCount == 20
    for w in wrappers:
        w.connectionLost(connectionDone)
    assert factory.connectionCount == 0


# --- TimeoutFactory -----------------------------------------------------------------


def timeoutFactory(period: float = 3) -> tuple[TimeoutFactory, Clock]:
    clock = Clock()
    factory = TimeoutFactory(RecordingFactory(), timeoutPeriod=period)
    factory.callLater = clock.callLater  # type: ignore[method-assign]
    return factory, clock


def test_timeoutFactoryDefaultPeriod() -> None:
    assert TimeoutFactory(RecordingFactory()).timeoutPeriod == 30 * 60


def test_timeoutProtocolHangsUpWhenIdle() -> None:
    factory, clock = timeoutFactory(3)
    wrapper, transport = connect(factory)
    assert isinstance(wrapper, TimeoutProtocol) and wrapper.timeoutPeriod == 3
    clock.advance(2)
    wrapper.dataReceived(b"a")  # activity in: the period starts again
    clock.advance(2)
    wrapper.wrappedProtocol.transport.write(b"b")  # and out
    clock.advance(2)
    wrapper.wrappedProtocol.transport.writeSequence([b"c"])
    clock.advance(2.9)
    assert not transport.disconnecting
    clock.advance(0.1)
    assert wrapper.disconnecting and not transport.connected
    assert factory.protocols == {} and clock.getDelayedCalls() == []  # lost, so cancelled


def test_timeoutProtocolSetAndCancel() -> None:
    factory, clock = timeoutFactory(3)
    wrapper, transport = connect(factory)
    wrapper.setTimeout(10)
    assert [c.getTime() for c in clock.getDelayedCalls()] == [10]
    wrapper.cancelTimeout()
    assert clock.getDelayedCalls() == [] and wrapper.timeoutPeriod is None and wrapper.timeoutCall is None
    wrapper.cancelTimeout()  # harmless twice
    wrapper.resetTimeout()  # and resetting nothing is nothing
    wrapper.dataReceived(b"x")
    clock.advance(100)
    assert not transport.disconnecting
    wrapper.setTimeout()  # None: stays off
    assert clock.getDelayedCalls() == []


def test_timeoutProtocolConnectionLostCancels() -> None:
    factory, clock = timeoutFactory(3)
    wrapper, _ = connect(factory)
    wrapper.connectionLost(connectionDone)
    assert clock.getDelayedCalls() == []


def test_timeoutFuncOverride() -> None:
    fired: list[int] = []

    class Custom(TimeoutProtocol):
        def timeoutFunc(self) -> None:
            fired.append(1)

    factory, clock = timeoutFactory(1)
    factory.protocol = Custom
    wrapper, transport = connect(factory)
    clock.advance(1)
    assert fired == [1] and not transport.disconnecting
    wrapper.dataReceived(b"late")  # after the timeout ran: no error
    assert wrapper.wrappedProtocol.received == [b"late"]


# --- TrafficLoggingFactory ------------------------------------------------------------


class MemoryLogging(TrafficLoggingFactory):
    def open(self, name: str) -> Any:
        f = io.StringIO()
        self.opened.append((name, f))
        return f


def test_trafficLogging(tmp_path: Any) -> None:
    factory = MemoryLogging(RecordingFactory(), str(tmp_path / "traffic"), lengthLimit=20)
    factory.opened = []  # type: ignore[attr-defined]
    wrapper, transport = connect(factory)
    second, _ = connect(factory)
    names = [name for name, _ in factory.opened]  # type: ignore[attr-defined]
    assert names == [str(tmp_path / "traffic-1"), str(tmp_path / "traffic-2")]
    assert (wrapper._number, second._number) == (1, 2)
    inner = wrapper.wrappedProtocol
    wrapper.dataReceived(b"hello")
    inner.transport.write(b"x" * 30)
    inner.transport.writeSequence([b"a", b"b"])
    inner.transport.loseConnection()
    log = factory.opened[0][1].getvalue().splitlines()  # type: ignore[attr-defined]
    assert log[:4] == ["*", "C 1: b'hello'", "S 1: b'xxxxxxxx<... elided>'", "SV 1: [b'a', b'b']"]
    assert log[4] == "S 1: *"
    assert log[5].startswith("C 1: <") and "ConnectionDone" in log[5]
    assert transport.value() == b"x" * 30 + b"ab"
    factory.resetCounter()
    connect(factory)
    assert factory.opened[-1][0] == str(tmp_path / "traffic-1")  # type: ignore[attr-defined]


def test_trafficLoggingRealFile(tmp_path: Any) -> None:
    factory = TrafficLoggingFactory(RecordingFactory(), str(tmp_path / "log"))
    wrapper, _ = connect(factory)
    wrapper.dataReceived(b"abc")
    wrapper.logfile.close()
    assert (tmp_path / "log-1").read_text() == "*\nC 1: b'abc'\n"


# --- TimeoutMixin -----------------------------------------------------------------------


class TimingOut(Protocol, TimeoutMixin):
    timeOut = 5

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.timedOut = 0

    def callLater(self, period: float, func: Any) -> Any:
        return self.clock.callLater(period, func)

    def connectionMade(self) -> None:
        self.setTimeout(self.timeOut)

    def dataReceived(self, data: bytes) -> None:
        self.resetTimeout()

    def timeoutConnection(self) -> None:
        self.timedOut += 1
        TimeoutMixin.timeoutConnection(self)


def test_timeoutMixinTimesOut() -> None:
    clock = Clock()
    proto = TimingOut(clock)
    transport = StringTransport()
    proto.makeConnection(transport)
    clock.advance(4)
    proto.dataReceived(b"x")
    clock.advance(4.9)
    assert proto.timedOut == 0 and not transport.disconnecting
    clock.advance(0.1)
    assert proto.timedOut == 1 and transport.disconnecting
    assert proto._TimeoutMixin__timeoutCall is None  # type: ignore[attr-defined]
    proto.resetTimeout()  # after the timeout: nothing
    assert clock.getDelayedCalls() == []


def test_timeoutMixinResetMovesTheSameCall() -> None:
    clock = Clock()
    proto = TimingOut(clock)
    proto.makeConnection(StringTransport())
    (call,) = clock.getDelayedCalls()
    clock.advance(1)
    proto.resetTimeout()
    assert clock.getDelayedCalls() == [call] and call.getTime() == 6


def test_setTimeoutReturnsThePreviousPeriod() -> None:
    clock = Clock()
    proto = TimingOut(clock)
    assert proto.setTimeout(None) == 5 and clock.getDelayedCalls() == []
    assert proto.setTimeout(3) is None
    (call,) = clock.getDelayedCalls()
    assert proto.setTimeout(7) == 3
    assert clock.getDelayedCalls() == [call] and call.getTime() == 7  # moved, not re-created
    assert proto.setTimeout(None) == 7
    assert call.cancelled and clock.getDelayedCalls() == []
    assert proto.timeOut is None
    proto.resetTimeout()  # no timeout: nothing
    assert clock.getDelayedCalls() == []


def test_setTimeoutToleratesACallConsumedElsewhere() -> None:
    clock = Clock()
    proto = TimingOut(clock)
    proto.setTimeout(3)
    proto._TimeoutMixin__timeoutCall.cancel()  # type: ignore[attr-defined]
    assert proto.setTimeout(None) == 3  # AlreadyCancelled is swallowed


def test_timeoutMixinDefaults() -> None:
    class Plain(Protocol, TimeoutMixin):
        pass

    assert Plain.timeOut is None
    assert Plain().setTimeout(None) is None


def test_moduleNames() -> None:
    assert policies.WP.__bound__ is ProtocolWrapper  # type: ignore[attr-defined]
    assert issubclass(WrappingFactory, ClientFactory)
    for name in policies.__all__:
        assert getattr(policies, name).__module__ == "plait.protocols.policies"
