"""Sans-IO tests of the connector state machine (``plait.connector.BaseConnector``)
and of ``plait.tcp.Connector``'s argument handling.

A ``_FakeTransport`` stands in for ``tcp.Client`` and a ``MemoryReactorClock``
for time; every test asserts a recorded trace of factory calls.
"""

from __future__ import annotations

from typing import Any

import pytest
from zope.interface.verify import verifyObject

from plait import error
from plait.address import IPv4Address, IPv6Address
from plait.connector import BaseConnector
from plait.failure import Failure
from plait.interfaces import IConnector
from plait.protocol import ClientFactory, Protocol
from plait.tcp import Connector
from plait.testing import MemoryReactorClock

DESTINATION = IPv4Address("TCP", "127.0.0.1", 4321)


class _FakeTransport:
    """What a connector needs of a client transport, driven by the test."""

    def __init__(self, connector: BaseConnector) -> None:
        self.connector = connector
        self.connecting = True
        self.lostConnection = 0

    def failIfNotConnected(self, err: Exception) -> None:
        if self.connecting:
            self.connecting = False
            self.connector.connectionFailed(Failure(err))

    def succeed(self) -> Any:
        self.connecting = False
        return self.connector.buildProtocol(DESTINATION)

    def lose(self, reason: Exception) -> None:
        self.connector.connectionLost(Failure(reason))

    def loseConnection(self) -> None:
        self.lostConnection += 1


class _Connector(BaseConnector):
    def __init__(self, factory: Any, timeout: float | None, reactor: Any) -> None:
        super().__init__(factory, timeout, reactor)
        self.transports: list[_FakeTransport] = []

    def _makeTransport(self) -> _FakeTransport:
        transport = _FakeTransport(self)
        self.transports.append(transport)
        return transport

    def getDestination(self) -> IPv4Address:
        return DESTINATION


class _TracingFactory(ClientFactory[Protocol]):
    """Records every call a connector makes, with the connector's state."""

    protocol = Protocol
    noisy = False

    def __init__(self) -> None:
        self.trace: list[Any] = []
        self.reconnectOnLost = 0
        self.reconnectOnFailed = 0
        self.reasons: list[Failure] = []

    def doStart(self) -> None:
        self.trace.append("doStart")
        super().doStart()

    def doStop(self) -> None:
        self.trace.append("doStop")
        super().doStop()

    def startedConnecting(self, connector: Any) -> None:
        self.trace.append(("startedConnecting", connector.state))

    def buildProtocol(self, addr: Any) -> Protocol | None:
        self.trace.append("buildProtocol")
        return super().buildProtocol(addr)

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        self.trace.append(("clientConnectionFailed", reason.type, connector.state))
        self.reasons.append(reason)
        if self.reconnectOnFailed:
            self.reconnectOnFailed -= 1
            connector.connect()

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        self.trace.append(("clientConnectionLost", reason.type, connector.state))
        self.reasons.append(reason)
        if self.reconnectOnLost:
            self.reconnectOnLost -= 1
            connector.connect()


@pytest.fixture
def memoryReactor() -> MemoryReactorClock:
    return MemoryReactorClock()


def _connector(
    reactor: MemoryReactorClock, timeout: float | None = 30.0
) -> tuple[_Connector, _TracingFactory]:
    factory = _TracingFactory()
    return _Connector(factory, timeout, reactor), factory


# -- call order --------------------------------------------------------------------


def test_successfulConnectionCallOrder(memoryReactor: MemoryReactorClock) -> None:
    """doStart -> startedConnecting -> buildProtocol ... clientConnectionLost -> doStop."""
    connector, factory = _connector(memoryReactor)
    connector.connect()
    assert connector.state == "connecting"
    assert factory.trace == ["doStart", ("startedConnecting", "connecting")]
    protocol = connector.transports[0].succeed()
    assert isinstance(protocol, Protocol)
    assert connector.state == "connected"
    connector.transports[0].lose(error.ConnectionDone())
    assert factory.trace == [
        "doStart",
        ("startedConnecting", "connecting"),
        "buildProtocol",
        ("clientConnectionLost", error.ConnectionDone, "disconnected"),
        "doStop",
    ]
    assert connector.state == "disconnected"
    assert factory.numPorts == 0


def test_failedConnectionCallOrder(memoryReactor: MemoryReactorClock) -> None:
    """doStart -> startedConnecting -> clientConnectionFailed -> doStop."""
    connector, factory = _connector(memoryReactor)
    connector.connect()
    connector.transport.failIfNotConnected(error.ConnectionRefusedError(111, "Connection refused"))
    assert factory.trace == [
        "doStart",
        ("startedConnecting", "connecting"),
        ("clientConnectionFailed", error.ConnectionRefusedError, "disconnected"),
        "doStop",
    ]
    assert connector.transport is None


def test_stateIsTwistedString(memoryReactor: MemoryReactorClock) -> None:
    """``state`` is a plain str, comparable as Twisted code does."""
    connector, _ = _connector(memoryReactor)
    assert type(connector.state) is str
    assert connector.state == "disconnected"


def test_providesIConnector(memoryReactor: MemoryReactorClock) -> None:
    """Connectors provide IConnector."""
    connector, _ = _connector(memoryReactor)
    assert verifyObject(IConnector, connector)
    assert verifyObject(IConnector, Connector("127.0.0.1", 1, ClientFactory(), 30, None, memoryReactor))


# -- reconnecting ------------------------------------------------------------------


def test_reconnectFromClientConnectionLost(memoryReactor: MemoryReactorClock) -> None:
    """connect() inside clientConnectionLost reconnects with no doStop/doStart."""
    connector, factory = _connector(memoryReactor)
    factory.reconnectOnLost = 1
    connector.connect()
    connector.transports[0].succeed()
    connector.transports[0].lose(error.ConnectionLost())
    assert factory.trace[-2:] == [
        ("clientConnectionLost", error.ConnectionLost, "disconnected"),
        ("startedConnecting", "connecting"),
    ]
    assert factory.trace.count("doStart") == 1
    assert "doStop" not in factory.trace
    assert connector.state == "connecting"
    assert len(connector.transports) == 2
    assert factory.numPorts == 1


def test_reconnectFromClientConnectionFailed(memoryReactor: MemoryReactorClock) -> None:
    """connect() inside clientConnectionFailed retries; the factory stays started."""
    connector, factory = _connector(memoryReactor)
    factory.reconnectOnFailed = 2
    connector.connect()
    for attempt in range(3):
        connector.transports[attempt].failIfNotConnected(error.ConnectError())
    assert factory.trace.count("doStart") == 1
    assert factory.trace.count(("startedConnecting", "connecting")) == 3
    assert factory.trace[-1] == "doStop"
    assert factory.trace.count("doStop") == 1
    assert connector.state == "disconnected"


def test_connectAgainAfterStopStartsFactoryAgain(memoryReactor: MemoryReactorClock) -> None:
    """A later connect() after the factory was stopped starts it again."""
    connector, factory = _connector(memoryReactor)
    connector.connect()
    connector.transport.failIfNotConnected(error.ConnectError())
    connector.connect()
    assert factory.trace.count("doStart") == 2
    assert factory.numPorts == 1
    connector.stopConnecting()


def test_reconnectThenStopInsideCallbackStopsFactoryOnce(memoryReactor: MemoryReactorClock) -> None:
    """Reconnecting and then stopping inside the callback stops the factory once."""
    connector, factory = _connector(memoryReactor)
    original = factory.clientConnectionFailed
    calls = []

    def retryThenGiveUp(c: Any, reason: Failure) -> None:
        original(c, reason)
        if not calls:
            calls.append(1)
            c.connect()
            c.stopConnecting()

    factory.clientConnectionFailed = retryThenGiveUp  # type: ignore[method-assign]
    connector.connect()
    connector.transport.failIfNotConnected(error.ConnectError())
    assert factory.trace.count("doStop") == 1
    assert factory.numPorts == 0


# -- timeout -----------------------------------------------------------------------


def test_timeoutFailsTheAttempt(memoryReactor: MemoryReactorClock) -> None:
    """When ``timeout`` seconds pass first, the attempt fails with error.TimeoutError."""
    connector, factory = _connector(memoryReactor, timeout=5)
    connector.connect()
    memoryReactor.advance(4.9)
    assert connector.state == "connecting"
    memoryReactor.advance(0.1)
    assert factory.trace[-2:] == [
        ("clientConnectionFailed", error.TimeoutError, "disconnected"),
        "doStop",
    ]
    assert factory.reasons[0].getErrorMessage() == "User timeout caused connection failure."
    assert memoryReactor.getDelayedCalls() == []


def test_timeoutZeroFailsOnNextIteration(memoryReactor: MemoryReactorClock) -> None:
    """timeout=0 fails the attempt on the next iteration, not inside connect()."""
    connector, factory = _connector(memoryReactor, timeout=0)
    connector.connect()
    assert connector.state == "connecting"
    memoryReactor.advance(0)
    assert factory.reasons[0].check(error.TimeoutError)


def test_noTimeout(memoryReactor: MemoryReactorClock) -> None:
    """timeout=None arms nothing."""
    connector, _ = _connector(memoryReactor, timeout=None)
    connector.connect()
    assert memoryReactor.getDelayedCalls() == []
    connector.stopConnecting()


def test_timeoutCancelledOnSuccess(memoryReactor: MemoryReactorClock) -> None:
    """Once connected, the timeout is disarmed."""
    connector, _ = _connector(memoryReactor, timeout=5)
    connector.connect()
    connector.transport.succeed()
    assert memoryReactor.getDelayedCalls() == []
    memoryReactor.advance(10)
    assert connector.state == "connected"


def test_timeoutCancelledOnFailure(memoryReactor: MemoryReactorClock) -> None:
    """A failed attempt disarms its timeout."""
    connector, _ = _connector(memoryReactor, timeout=5)
    connector.connect()
    connector.transport.failIfNotConnected(error.ConnectError())
    assert memoryReactor.getDelayedCalls() == []


class _LazyConnector(_Connector):
    """A connector whose transport arms the timeout when it has to wait."""

    _lazyTimeout = True


def test_lazyTimeoutIsOnlyADeadlineUntilTheConnectWaits(memoryReactor: MemoryReactorClock) -> None:
    """With a transport that says so, connect() arms nothing; _armTimeout()
    arms what is left of the deadline, and it then fails the attempt on time."""
    factory = _TracingFactory()
    connector = _LazyConnector(factory, 5, memoryReactor)
    connector.connect()
    assert memoryReactor.getDelayedCalls() == [] and connector.timeoutID is None
    memoryReactor.advance(2)
    assert not connector._deadlinePassed()  # the transport's first step: go on
    connector._armTimeout()  # ...and its connect has to wait
    [call] = memoryReactor.getDelayedCalls()
    assert call is connector.timeoutID and call.getTime() == 5
    connector._armTimeout()  # a second wait arms nothing more
    assert memoryReactor.getDelayedCalls() == [call]
    memoryReactor.advance(2.9)
    assert connector.state == "connecting"
    memoryReactor.advance(0.1)
    assert factory.trace[-2:] == [
        ("clientConnectionFailed", error.TimeoutError, "disconnected"),
        "doStop",
    ]
    assert memoryReactor.getDelayedCalls() == []


def test_lazyTimeoutDeadlinePassedFailsAtTheFirstStep(memoryReactor: MemoryReactorClock) -> None:
    """A deadline already gone when the transport first looks fails the
    attempt with TimeoutError there (Twisted's timer would be due by then)."""
    factory = _TracingFactory()
    connector = _LazyConnector(factory, 5, memoryReactor)
    connector.connect()
    memoryReactor.advance(5)
    assert connector._deadlinePassed()
    assert factory.reasons[0].check(error.TimeoutError)
    assert connector.state == "disconnected" and memoryReactor.getDelayedCalls() == []


def test_lazyTimeoutNothingLeftOnSuccess(memoryReactor: MemoryReactorClock) -> None:
    """Connected without waiting: no timer was ever made, no deadline is left
    for a later attempt."""
    factory = _TracingFactory()
    factory.reconnectOnLost = 1
    connector = _LazyConnector(factory, 5, memoryReactor)
    connector.connect()
    connector.transports[0].succeed()
    assert connector._deadline is None and memoryReactor.getDelayedCalls() == []
    memoryReactor.advance(10)
    connector.transports[0].lose(error.ConnectionDone())  # reconnects: a fresh deadline
    assert connector._deadline == 15 and not connector._deadlinePassed()


def test_lazyTimeoutZeroIsArmedAtOnce(memoryReactor: MemoryReactorClock) -> None:
    """timeout=0 still fails on the next iteration: it is armed in connect()."""
    factory = _TracingFactory()
    connector = _LazyConnector(factory, 0, memoryReactor)
    connector.connect()
    assert connector.timeoutID is not None
    memoryReactor.advance(0)
    assert factory.reasons[0].check(error.TimeoutError)


def test_negativeTimeoutRejected(memoryReactor: MemoryReactorClock) -> None:
    """A negative timeout is a ValueError at construction."""
    with pytest.raises(ValueError, match="timeout"):
        _Connector(_TracingFactory(), -1, memoryReactor)
    with pytest.raises(TypeError, match="timeout"):
        _Connector(_TracingFactory(), "30", memoryReactor)  # type: ignore[arg-type]


# -- stopConnecting / disconnect / connect in each state -----------------------------


def test_stopConnecting(memoryReactor: MemoryReactorClock) -> None:
    """stopConnecting reports clientConnectionFailed(UserError) before returning."""
    connector, factory = _connector(memoryReactor)
    connector.connect()
    connector.stopConnecting()
    assert factory.trace[-2:] == [
        ("clientConnectionFailed", error.UserError, "disconnected"),
        "doStop",
    ]
    assert factory.reasons[0].getErrorMessage() == "User aborted connection."
    assert connector.state == "disconnected"
    assert memoryReactor.getDelayedCalls() == []


@pytest.mark.parametrize("state", ["disconnected", "connected"])
def test_stopConnectingWhenNotConnecting(memoryReactor: MemoryReactorClock, state: str) -> None:
    """stopConnecting outside "connecting" raises NotConnectingError."""
    connector, _ = _connector(memoryReactor)
    if state == "connected":
        connector.connect()
        connector.transport.succeed()
    with pytest.raises(error.NotConnectingError) as info:
        connector.stopConnecting()
    assert str(info.value) == (
        "The Connector was not connecting when it was asked to stop connecting: "
        "we're not trying to connect."
    )
    assert connector.state == state


def test_disconnectWhileDisconnected(memoryReactor: MemoryReactorClock) -> None:
    """disconnect() does nothing when disconnected."""
    connector, factory = _connector(memoryReactor)
    connector.disconnect()
    assert factory.trace == []


def test_disconnectWhileConnecting(memoryReactor: MemoryReactorClock) -> None:
    """disconnect() while connecting is stopConnecting()."""
    connector, factory = _connector(memoryReactor)
    connector.connect()
    connector.disconnect()
    assert factory.reasons[0].check(error.UserError)
    assert connector.state == "disconnected"


def test_disconnectWhileConnected(memoryReactor: MemoryReactorClock) -> None:
    """disconnect() while connected asks the transport to loseConnection."""
    connector, _ = _connector(memoryReactor)
    connector.connect()
    transport = connector.transport
    transport.succeed()
    connector.disconnect()
    assert transport.lostConnection == 1
    assert connector.state == "connected"  # until the transport reports the loss


@pytest.mark.parametrize("state", ["connecting", "connected"])
def test_connectInWrongStateNamesTheState(memoryReactor: MemoryReactorClock, state: str) -> None:
    """connect() is only for a disconnected connector; the error names the state."""
    connector, _ = _connector(memoryReactor)
    connector.connect()
    if state == "connected":
        connector.transport.succeed()
    with pytest.raises(RuntimeError, match=f"^can't connect in this state \\({state}\\)$"):
        connector.connect()


def test_illegalTransitionIsRejected(memoryReactor: MemoryReactorClock) -> None:
    """The transition table rejects a report that makes no sense in the state."""
    connector, _ = _connector(memoryReactor)
    with pytest.raises(RuntimeError, match="'disconnected' to 'connected'"):
        connector.buildProtocol(DESTINATION)


def test_repr(memoryReactor: MemoryReactorClock) -> None:
    """repr names the class, the state and the destination."""
    connector, _ = _connector(memoryReactor)
    text = repr(connector)
    assert text.startswith(f"<{__name__}._Connector instance at 0x")
    assert text.endswith(" disconnected IPv4Address(type='TCP', host='127.0.0.1', port=4321)>")


# -- tcp.Connector: arguments -------------------------------------------------------


def test_tcpConnectorDestination(memoryReactor: MemoryReactorClock) -> None:
    """getDestination keeps the name unresolved; IPv6 literals give IPv6Address."""
    factory = ClientFactory()
    byName = Connector("localhost", 1234, factory, 30, None, memoryReactor)
    assert byName.getDestination() == IPv4Address("TCP", "localhost", 1234)
    v6 = Connector("::1", 1234, factory, 30, None, memoryReactor)
    assert v6.getDestination() == IPv6Address("TCP", "::1", 1234)
    assert repr(v6).startswith("<plait.tcp.Connector instance at 0x")
    assert repr(v6).endswith(" disconnected IPv6Address(type='TCP', host='::1', port=1234, flowInfo=0, scopeID=0)>")


def test_tcpConnectorServiceName(memoryReactor: MemoryReactorClock) -> None:
    """A service name is looked up with getservbyname."""
    connector = Connector("127.0.0.1", "http", ClientFactory(), 30, None, memoryReactor)
    assert connector.port == 80


def test_tcpConnectorUnknownServiceName(memoryReactor: MemoryReactorClock) -> None:
    """An unknown service name raises ServiceNameUnknownError synchronously."""
    with pytest.raises(error.ServiceNameUnknownError) as info:
        Connector("127.0.0.1", "nosuchsvc", ClientFactory(), 30, None, memoryReactor)
    assert str(info.value) == (
        "Service name given as port is unknown: service/proto not found ('nosuchsvc')."
    )


@pytest.mark.parametrize("port", [-1, 65536, 1.5, None, True])
def test_tcpConnectorBadPort(memoryReactor: MemoryReactorClock, port: Any) -> None:
    """A port that is not 0..65535 is rejected before anything happens."""
    with pytest.raises(ValueError, match="port"):
        Connector("127.0.0.1", port, ClientFactory(), 30, None, memoryReactor)


def test_tcpConnectorBadHost(memoryReactor: MemoryReactorClock) -> None:
    """The host must be text."""
    with pytest.raises(TypeError, match="host"):
        Connector(b"127.0.0.1", 80, ClientFactory(), 30, None, memoryReactor)  # type: ignore[arg-type]


def test_transportCreationFailureUndoesConnect(memoryReactor: MemoryReactorClock) -> None:
    """If the transport cannot even be created, connect() raises and leaves
    the connector disconnected, the factory stopped and no timer behind."""
    connector, factory = _connector(memoryReactor, timeout=5)

    def broken() -> Any:
        raise OSError("no more sockets")

    connector._makeTransport = broken  # type: ignore[method-assign]
    with pytest.raises(OSError):
        connector.connect()
    assert connector.state == "disconnected"
    assert factory.trace == ["doStart", "doStop"]
    assert memoryReactor.getDelayedCalls() == []


def test_tcpConnectorBadBindAddress(memoryReactor: MemoryReactorClock) -> None:
    """bindAddress must be a (host, port) tuple."""
    with pytest.raises(TypeError, match="bindAddress"):
        Connector("127.0.0.1", 80, ClientFactory(), 30, "127.0.0.1", memoryReactor)
