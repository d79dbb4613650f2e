"""Protocols, factories, adapters and datagram protocols (plait.protocol)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from plait import error
from plait.address import IPv4Address
from plait.failure import Failure
from plait.interfaces import IConsumer, ILoggingContext, IProtocol, IProtocolFactory
from plait.protocol import (
    AbstractDatagramProtocol,
    BaseProtocol,
    ClientFactory,
    ConnectedDatagramProtocol,
    ConsumerToProtocolAdapter,
    DatagramProtocol,
    Factory,
    Protocol,
    ProtocolToConsumerAdapter,
    ReconnectingClientFactory,
    ServerFactory,
    connectionDone,
)
from plait.testing import StringTransport

ADDR = IPv4Address("TCP", "127.0.0.1", 4321)


@pytest.fixture
def logLines(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    """The informational lines logged through plait.log during the test."""
    caplog.set_level(logging.INFO, logger="plait")
    return lambda: [r.getMessage() for r in caplog.records if r.name.startswith("plait")]


# --- BaseProtocol / Protocol ---------------------------------------------------------


def test_makeConnectionSetsTransportThenCallsConnectionMade() -> None:
    """makeConnection sets connected=1 and transport before connectionMade runs."""
    seen: list[Any] = []

    class P(Protocol):
        def connectionMade(self) -> None:
            seen.append((self.connected, self.transport))

    p, t = P(), StringTransport()
    assert (p.connected, p.transport) == (0, None)
    p.makeConnection(t)
    assert seen == [(1, t)]


def test_connectedStaysOneAfterConnectionLost() -> None:
    """Nothing resets connected, not even connectionLost (Twisted's behaviour)."""
    p = Protocol()
    p.makeConnection(StringTransport())
    p.connectionLost(connectionDone)
    assert p.connected == 1


def test_baseProtocolHasNoDataReceived() -> None:
    """BaseProtocol is the common part only: makeConnection and connectionMade."""
    p = BaseProtocol()
    p.makeConnection(StringTransport())
    assert p.connected == 1
    assert not hasattr(p, "dataReceived")


def test_protocolProvidesItsInterfaces() -> None:
    """Protocol provides IProtocol and ILoggingContext."""
    p = Protocol()
    assert verifyObject(IProtocol, p)
    assert verifyObject(ILoggingContext, p)


def test_protocolLogPrefixIsTheClassName() -> None:
    """logPrefix() is the class name, the base of transport log prefixes."""

    class Echo(Protocol):
        pass

    assert Echo().logPrefix() == "Echo"


def test_protocolDefaults() -> None:
    """factory is None by default; dataReceived and connectionLost are no-ops."""
    p = Protocol()
    assert p.factory is None
    assert p.dataReceived(b"x") is None
    assert p.connectionLost() is None


def test_connectionLostDefaultIsConnectionDone() -> None:
    """The default reason of connectionLost is the module-level connectionDone."""
    import inspect

    default = inspect.signature(Protocol.connectionLost).parameters["reason"].default
    assert default is connectionDone


def test_connectionDoneIsACleanedFailure() -> None:
    """connectionDone wraps ConnectionDone, has its message and no traceback."""
    assert isinstance(connectionDone, Failure)
    assert connectionDone.check(error.ConnectionDone)
    assert connectionDone.getErrorMessage() == "Connection was closed cleanly."
    assert connectionDone.tb is None


# --- adapters --------------------------------------------------------------------------


def test_protocolAdaptsToConsumer() -> None:
    """IConsumer(protocol) writes into dataReceived; producers are ignored."""
    received: list[bytes] = []

    class P(Protocol):
        def dataReceived(self, data: bytes) -> None:
            received.append(data)

    consumer = IConsumer(P())
    assert isinstance(consumer, ProtocolToConsumerAdapter)
    consumer.write(b"hello")
    consumer.registerProducer(object(), True)
    consumer.unregisterProducer()
    assert received == [b"hello"]


def test_consumerAdaptsToProtocol() -> None:
    """IProtocol(consumer) turns dataReceived into consumer.write."""
    transport = StringTransport()
    protocol = IProtocol(transport)
    assert isinstance(protocol, ConsumerToProtocolAdapter)
    protocol.makeConnection(StringTransport())
    protocol.connectionMade()
    protocol.dataReceived(b"abc")
    protocol.connectionLost(connectionDone)
    assert transport.value() == b"abc"


def test_unrelatedObjectsDoNotAdapt() -> None:
    """The adapter hook answers only for the registered pairs."""
    assert IConsumer(object(), None) is None


# --- Factory -----------------------------------------------------------------------------


def test_factoryDefaults() -> None:
    """Factory's class attributes are Twisted's."""
    assert (Factory.protocol, Factory.numPorts, Factory.noisy) == (None, 0, True)


def test_factoryProvidesItsInterfaces() -> None:
    """Factory provides IProtocolFactory and ILoggingContext."""
    f = Factory()
    assert verifyObject(IProtocolFactory, f)
    assert verifyObject(ILoggingContext, f)


def test_forProtocolBuildsTheSubclassWithArguments() -> None:
    """forProtocol(protocol, *args, **kwargs) constructs cls(*args, **kwargs)."""

    class MyFactory(ClientFactory[Any]):
        def __init__(self, a: int, b: int = 0) -> None:
            self.a, self.b = a, b

    f = MyFactory.forProtocol(Protocol, 1, b=2)
    assert isinstance(f, MyFactory)
    assert (f.protocol, f.a, f.b) == (Protocol, 1, 2)


def test_buildProtocolCallsProtocolWithNoArgumentsAndSetsFactory() -> None:
    """buildProtocol calls self.protocol() and sets p.factory = self."""
    f = Factory.forProtocol(Protocol)
    p = f.buildProtocol(ADDR)
    assert isinstance(p, Protocol)
    assert p.factory is f


def test_buildProtocolWithoutProtocolRaisesClearly() -> None:
    """A factory whose protocol is None raises a TypeError naming the fix."""
    with pytest.raises(TypeError, match="protocol is None"):
        Factory().buildProtocol(ADDR)


def test_factoryLogPrefixIsTheClassName() -> None:
    """Factory.logPrefix() is the class name."""

    class EchoFactory(Factory[Any]):
        pass

    assert EchoFactory().logPrefix() == "EchoFactory"


class _CountingFactory(Factory[Any]):
    def __init__(self) -> None:
        self.events: list[str] = []

    def startFactory(self) -> None:
        self.events.append("start")

    def stopFactory(self) -> None:
        self.events.append("stop")


def test_doStartDoStopCountUsers() -> None:
    """startFactory runs on 0 -> 1 only and stopFactory on 1 -> 0 only."""
    f = _CountingFactory()
    f.doStart()
    f.doStart()
    assert (f.numPorts, f.events) == (2, ["start"])
    f.doStop()
    assert (f.numPorts, f.events) == (1, ["start"])
    f.doStop()
    assert (f.numPorts, f.events) == (0, ["start", "stop"])
    f.doStart()
    assert f.events == ["start", "stop", "start"]


def test_unbalancedDoStopIsIgnored() -> None:
    """doStop with numPorts == 0 returns silently."""
    f = _CountingFactory()
    f.doStop()
    assert (f.numPorts, f.events) == (0, [])


def test_noisyFactoryLogsStartAndStop(logLines: Callable[[], list[str]]) -> None:
    """A noisy factory logs 'Starting factory <repr>' and 'Stopping factory <repr>'."""
    f = _CountingFactory()
    f.doStart()
    f.doStart()
    f.doStop()
    f.doStop()
    assert logLines() == [f"Starting factory {f!r}", f"Stopping factory {f!r}"]
    assert repr(f).startswith("<tests.unit.test_protocol._CountingFactory object at 0x")


def test_quietFactoryDoesNotLog(logLines: Callable[[], list[str]]) -> None:
    """With noisy = False nothing is logged, but the hooks still run."""
    f = _CountingFactory()
    f.noisy = False
    f.doStart()
    f.doStop()
    assert logLines() == []
    assert f.events == ["start", "stop"]


def test_factoryLogLinesAreNotBuiltWhenNobodyListens(caplog: pytest.LogCaptureFixture) -> None:
    """With INFO disabled the factory never formats its repr (a hot path)."""
    caplog.set_level(logging.WARNING, logger="plait")
    calls: list[int] = []

    class Watched(Factory[Any]):
        def __repr__(self) -> str:
            calls.append(1)
            return "<Watched>"

    f = Watched()
    f.doStart()
    f.doStop()
    assert calls == []


def test_clientFactoryHooksAreNoOps() -> None:
    """ClientFactory's three hooks exist and do nothing."""
    f = ClientFactory()
    reason = Failure(error.ConnectionRefusedError())
    assert f.startedConnecting(object()) is None
    assert f.clientConnectionFailed(object(), reason) is None
    assert f.clientConnectionLost(object(), reason) is None


def test_serverFactoryIsAFactory() -> None:
    """ServerFactory is a marker subclass of Factory."""
    assert issubclass(ServerFactory, Factory)
    assert ServerFactory.forProtocol(Protocol).buildProtocol(ADDR) is not None


def test_reconnectingClientFactoryProvidesItsInterfaces() -> None:
    """ReconnectingClientFactory provides IProtocolFactory and ILoggingContext."""
    f = ReconnectingClientFactory()
    assert verifyObject(IProtocolFactory, f)
    assert verifyObject(ILoggingContext, f)


# --- datagram protocols -------------------------------------------------------------------


class _RecordingDatagram(DatagramProtocol):
    def __init__(self) -> None:
        self.events: list[str] = []

    def startProtocol(self) -> None:
        self.events.append("start")

    def stopProtocol(self) -> None:
        self.events.append("stop")


def test_datagramMakeConnectionStartsTheProtocol(logLines: Callable[[], list[str]]) -> None:
    """makeConnection sets transport and starts; doStop clears it and stops, with logs."""
    p = _RecordingDatagram()
    transport = object()
    p.makeConnection(transport)
    assert (p.transport, p.numPorts, p.events) == (transport, 1, ["start"])
    p.doStop()
    assert (p.transport, p.numPorts, p.events) == (None, 0, ["start", "stop"])
    assert logLines() == [f"Starting protocol {p}", f"Stopping protocol {p}"]


def test_datagramMakeConnectionTwiceIsAnError() -> None:
    """A datagram protocol serves one port: a second makeConnection raises."""
    p = DatagramProtocol()
    p.makeConnection(object())
    with pytest.raises(RuntimeError, match="already attached"):
        p.makeConnection(object())


def test_datagramDoStopWithoutStartIsAnError() -> None:
    """doStop without doStart raises (Twisted asserts)."""
    with pytest.raises(RuntimeError, match="more often than doStart"):
        DatagramProtocol().doStop()


def test_datagramProtocolHooks() -> None:
    """DatagramProtocol has logPrefix, datagramReceived and connectionRefused."""
    p = DatagramProtocol()
    assert verifyObject(ILoggingContext, p)
    assert p.logPrefix() == "DatagramProtocol"
    assert p.datagramReceived(b"x", ("127.0.0.1", 53)) is None
    assert p.connectionRefused() is None
    assert isinstance(p, AbstractDatagramProtocol)


def test_datagramStateDropsTransport() -> None:
    """__getstate__ drops the transport (as Twisted's does)."""
    p = DatagramProtocol()
    p.makeConnection(object())
    assert p.__getstate__()["transport"] is None


def test_connectedDatagramProtocolHooks() -> None:
    """ConnectedDatagramProtocol takes one-argument datagramReceived and connectionFailed."""
    p = ConnectedDatagramProtocol()
    assert p.datagramReceived(b"x") is None
    assert p.connectionFailed(Failure(error.ConnectionRefusedError())) is None


@implementer(IProtocol)
class _NotAProtocolSubclass:
    """Factories accept any IProtocol provider as their protocol."""

    factory: Any = None

    def makeConnection(self, transport: Any) -> None:
        pass

    def connectionMade(self) -> None:
        pass

    def dataReceived(self, data: bytes) -> None:
        pass

    def connectionLost(self, reason: Failure) -> None:
        pass


def test_factoryBuildsAnyProtocolProvider() -> None:
    """buildProtocol works for IProtocol providers that do not subclass Protocol."""
    f = Factory.forProtocol(_NotAProtocolSubclass)
    p = f.buildProtocol(ADDR)
    assert isinstance(p, _NotAProtocolSubclass) and p.factory is f


# -- FileWrapper (issue 12) ---------------------------------------------------------------


def test_fileWrapperIsATransportOverAFile(loggedErrors: Any) -> None:
    import io

    from plait.protocol import FileWrapper, Protocol

    out = io.BytesIO()
    wrapper = FileWrapper(out)
    proto = Protocol()
    proto.makeConnection(wrapper)
    wrapper.write(b"ab")
    wrapper.writeSequence([b"c", b"d"])
    assert out.getvalue() == b"abcd"
    assert (wrapper.getPeer(), wrapper.getHost()) == (("file", "file"), "file")

    class Pull:
        resumed = 0

        def resumeProducing(self) -> None:
            self.resumed += 1

        def stopProducing(self) -> None:
            pass

    producer = Pull()
    wrapper.registerProducer(producer, False)
    assert producer.resumed == 1 and wrapper.producer is producer
    wrapper.stopConsuming()
    assert wrapper.producer is None and wrapper.closed and out.closed
    wrapper.write(b"late")  # closed file: the ValueError is logged, not raised
    [failure] = loggedErrors.flush(ValueError)
    assert "closed file" in failure.getErrorMessage()
