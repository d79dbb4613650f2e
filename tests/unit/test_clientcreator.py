"""ClientCreator on a MemoryReactorClock (reference section 1.9)."""

from __future__ import annotations

from typing import Any

import pytest

from plait import error
from plait.defer import CancelledError
from plait.failure import Failure
from plait.protocol import ClientCreator, Protocol
from plait.testing import MemoryReactorClock, StringTransport
from tests.helpers import assertNoResult, failureResultOf, successResultOf

ADDR = ("127.0.0.1", 4321)


class _Recording(Protocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args, self.kwargs = args, kwargs
        self.events: list[str] = []

    def connectionMade(self) -> None:
        self.events.append("connectionMade")


def _connect(reactor: MemoryReactorClock, **kwargs: Any) -> tuple[Any, Any]:
    d = ClientCreator(reactor, _Recording, 1, two=2).connectTCP(*ADDR, **kwargs)
    return d, reactor.tcpClients[-1][2]


def test_connectTCPPassesArgumentsWithDefaults() -> None:
    """connectTCP(host, port) calls reactor.connectTCP with timeout=30, bindAddress=None."""
    reactor = MemoryReactorClock()
    _connect(reactor)
    host, port, _, timeout, bindAddress = reactor.tcpClients[0]
    assert (host, port, timeout, bindAddress) == ("127.0.0.1", 4321, 30, None)
    _connect(reactor, timeout=5, bindAddress=("127.0.0.1", 0))
    assert reactor.tcpClients[1][3:] == (5, ("127.0.0.1", 0))


def test_resultArrivesOneTurnAfterBuildProtocol() -> None:
    """The Deferred fires via callLater(0) after buildProtocol, after connectionMade."""
    reactor = MemoryReactorClock()
    d, factory = _connect(reactor)
    proto = factory.buildProtocol(reactor.connectors[0].getDestination())
    proto.makeConnection(StringTransport())
    assertNoResult(d)
    assert [c.getTime() for c in reactor.getDelayedCalls()] == [0.0]
    reactor.advance(0)
    result = successResultOf(d)
    assert result is proto
    assert result.events == ["connectionMade"]
    assert (result.args, result.kwargs) == ((1,), {"two": 2})


def test_protocolHasNoFactory() -> None:
    """The delivered protocol's factory attribute stays None."""
    reactor = MemoryReactorClock()
    d, factory = _connect(reactor)
    factory.buildProtocol(None).makeConnection(StringTransport())
    reactor.advance(0)
    assert successResultOf(d).factory is None


def test_protocolIsBuiltEagerlyPerConnect() -> None:
    """Each connect call constructs a fresh protocol instance right away."""
    reactor = MemoryReactorClock()
    creator = ClientCreator(reactor, _Recording)
    creator.connectTCP(*ADDR)
    creator.connectTCP(*ADDR)
    first = reactor.tcpClients[0][2].buildProtocol(None)
    second = reactor.tcpClients[1][2].buildProtocol(None)
    assert isinstance(first, _Recording) and first is not second


def test_internalFactoryIsQuiet() -> None:
    """The internal factory is not noisy."""
    reactor = MemoryReactorClock()
    _, factory = _connect(reactor)
    assert factory.noisy is False


def test_connectionFailureArrivesOneTurnLater() -> None:
    """clientConnectionFailed fails the Deferred with the reason, one turn later."""
    reactor = MemoryReactorClock()
    d, factory = _connect(reactor)
    factory.clientConnectionFailed(reactor.connectors[0], Failure(error.ConnectionRefusedError()))
    assertNoResult(d)
    reactor.advance(0)
    failureResultOf(d, error.ConnectionRefusedError)


def test_cancelBeforeConnectingDisconnectsTheConnector() -> None:
    """Cancelling calls connector.disconnect() and fails with CancelledError."""
    reactor = MemoryReactorClock()
    d, _ = _connect(reactor)
    d.cancel()
    failureResultOf(d, CancelledError)
    assert reactor.connectors[0]._disconnected
    assert reactor.getDelayedCalls() == []


def test_cancelBeforeDeliveryWithdrawsTheResult() -> None:
    """Cancelling between buildProtocol and delivery cancels the pending call."""
    reactor = MemoryReactorClock()
    d, factory = _connect(reactor)
    factory.buildProtocol(None).makeConnection(StringTransport())
    d.cancel()
    failureResultOf(d, CancelledError)
    assert reactor.getDelayedCalls() == []
    assert reactor.connectors[0]._disconnected


def test_cancelAfterStopConnectingReportsCancelled() -> None:
    """A connector whose disconnect() reports the failure synchronously still cancels."""
    reactor = MemoryReactorClock()
    d, factory = _connect(reactor)
    connector = reactor.connectors[0]

    def disconnect() -> None:
        factory.clientConnectionFailed(connector, Failure(error.UserError()))

    connector.disconnect = disconnect  # type: ignore[method-assign]
    d.cancel()
    failureResultOf(d, CancelledError)
    assert reactor.getDelayedCalls() == []


def test_connectUNIXAndConnectSSLUseTheReactor() -> None:
    """connectUNIX and connectSSL call reactor.connectUNIX / connectSSL with defaults."""
    reactor = MemoryReactorClock()
    creator = ClientCreator(reactor, _Recording)
    creator.connectUNIX("/tmp/sock")
    assert reactor.unixClients[0][0] == "/tmp/sock"
    assert reactor.unixClients[0][2:] == (30, False)
    context = object()
    creator.connectSSL("127.0.0.1", 443, context)
    host, port, _, ctx, timeout, bindAddress = reactor.sslClients[0]
    assert (host, port, ctx, timeout, bindAddress) == ("127.0.0.1", 443, context, 30, None)


def test_unsupportedConnectionKindFailsTheDeferred(clock: Any) -> None:
    """A reactor without connectUNIX gives a failed Deferred that says so."""

    class TCPOnly:
        def connectTCP(self, *args: Any, **kwargs: Any) -> None:
            raise AssertionError("not called")

    for d in (
        ClientCreator(TCPOnly(), _Recording).connectUNIX("/tmp/sock"),
        ClientCreator(TCPOnly(), _Recording).connectSSL("127.0.0.1", 443, object()),
    ):
        f = failureResultOf(d, NotImplementedError)
        assert "does not support" in f.getErrorMessage()


def test_synchronousReactorErrorsPropagate() -> None:
    """A reactor that raises from connectTCP raises to the caller, as in Twisted."""
    from plait.testing import RaisingMemoryReactor

    reactor = RaisingMemoryReactor(connectException=ValueError("boom"))
    with pytest.raises(ValueError, match="boom"):
        ClientCreator(reactor, _Recording).connectTCP(*ADDR)
