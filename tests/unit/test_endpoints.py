"""TCP endpoints, connectProtocol and HostnameEndpoint on memory reactors."""

from __future__ import annotations

import socket
from typing import Any

import pytest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from plait import error
from plait.address import HostnameAddress, IPv4Address, IPv6Address
from plait.defer import maybeDeferred, succeed
from plait.endpoints import (
    HostnameEndpoint,
    TCP4ClientEndpoint,
    TCP4ServerEndpoint,
    TCP6ClientEndpoint,
    TCP6ServerEndpoint,
    connectProtocol,
)
from plait.failure import Failure
from plait.interfaces import (
    IHalfCloseableProtocol,
    IHandshakeListener,
    IHostnameResolver,
    IStreamClientEndpoint,
    IStreamServerEndpoint,
)
from plait.protocol import ClientFactory, Factory, Protocol, ReconnectingClientFactory
from plait.testing import (
    MemoryReactor,
    MemoryReactorClock,
    RaisingMemoryReactor,
    StringTransport,
)
from tests.helpers import assertNoResult, failureResultOf, successResultOf

DEST = IPv4Address("TCP", "127.0.0.1", 4321)


class _Recording(Protocol):
    """Records its events; connectionMade can be made to raise."""

    raiseInConnectionMade = False

    def __init__(self) -> None:
        self.events: list[Any] = []

    def connectionMade(self) -> None:
        self.events.append("connectionMade")
        if self.raiseInConnectionMade:
            raise ValueError("connectionMade exploded")

    def dataReceived(self, data: bytes) -> None:
        self.events.append(("dataReceived", data))

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        self.events.append(("connectionLost", reason))


class _RecordingFactory(ClientFactory[Any]):
    protocol = _Recording

    def __init__(self) -> None:
        self.events: list[str] = []

    def doStart(self) -> None:
        self.events.append("doStart")

    def doStop(self) -> None:
        self.events.append("doStop")

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        self.events.append("clientConnectionFailed")

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        self.events.append("clientConnectionLost")


def _connectTCP4(**kwargs: Any) -> tuple[MemoryReactor, Any, Any, _RecordingFactory]:
    reactor = MemoryReactor()
    userFactory = _RecordingFactory()
    d = TCP4ClientEndpoint(reactor, "127.0.0.1", 4321, **kwargs).connect(userFactory)
    return reactor, d, reactor.tcpClients[0][2], userFactory


def _cancel(d: Any) -> None:
    """Cancel ``d`` and consume the resulting failure."""
    d.cancel()
    failureResultOf(d)


def _establish(wrappingFactory: Any) -> tuple[Any, StringTransport]:
    transport = StringTransport()
    proto = wrappingFactory.buildProtocol(DEST)
    proto.makeConnection(transport)
    return proto, transport


# --- the wrapping factory ---------------------------------------------------------------


def test_tcp4ConnectCallsConnectTCP() -> None:
    """connect() calls reactor.connectTCP with host, port, timeout and bindAddress."""
    reactor, d, _, _ = _connectTCP4(timeout=5, bindAddress=("127.0.0.1", 0))
    host, port, _, timeout, bindAddress = reactor.tcpClients[0]
    assert (host, port, timeout, bindAddress) == ("127.0.0.1", 4321, 5, ("127.0.0.1", 0))
    assertNoResult(d)
    reactor2, _, _, _ = _connectTCP4()
    assert reactor2.tcpClients[0][3:] == (30, None)


def test_endpointsProvideTheirInterfaces() -> None:
    """Client and server endpoints verify against IStream*Endpoint."""
    r = MemoryReactorClock()
    for ep in (
        TCP4ClientEndpoint(r, "127.0.0.1", 1),
        TCP6ClientEndpoint(r, "::1", 1),
        HostnameEndpoint(r, "localhost", 1),
    ):
        assert verifyObject(IStreamClientEndpoint, ep)
    for sep in (TCP4ServerEndpoint(r, 1), TCP6ServerEndpoint(r, 1)):
        assert verifyObject(IStreamServerEndpoint, sep)


def test_deferredFiresAfterUserConnectionMade() -> None:
    """The Deferred fires with the user protocol after its connectionMade."""
    _, d, wf, _ = _connectTCP4()
    order: list[str] = []
    d.addCallback(lambda p: order.append("fired") or p)
    proto, transport = _establish(wf)
    user = successResultOf(d)
    assert isinstance(user, _Recording)
    assert user.events == ["connectionMade"] and order == ["fired"]
    assert user.transport is transport
    assert transport is proto.transport


def test_deferredNeverFiresIfConnectionMadeRaises() -> None:
    """If the user's connectionMade raises, the error propagates and d never fires."""
    _, d, wf, _ = _connectTCP4()
    proto = wf.buildProtocol(DEST)
    proto._wrappedProtocol.raiseInConnectionMade = True
    with pytest.raises(ValueError, match="exploded"):
        proto.makeConnection(StringTransport())
    assertNoResult(d)


def test_eventsAreForwarded() -> None:
    """dataReceived and connectionLost reach the user protocol."""
    _, d, wf, _ = _connectTCP4()
    proto, _ = _establish(wf)
    proto.dataReceived(b"hi")
    reason = Failure(error.ConnectionDone())
    proto.connectionLost(reason)
    assert successResultOf(d).events == ["connectionMade", ("dataReceived", b"hi"), ("connectionLost", reason)]


def test_connectionFailedErrbacks() -> None:
    """clientConnectionFailed fails the Deferred with the reason; the user factory never sees it."""
    reactor, d, wf, userFactory = _connectTCP4()
    wf.clientConnectionFailed(reactor.connectors[0], Failure(error.ConnectionRefusedError()))
    failureResultOf(d, error.ConnectionRefusedError)
    assert "clientConnectionFailed" not in userFactory.events
    wf.clientConnectionFailed(reactor.connectors[0], Failure(error.UserError()))  # ignored


def test_connectionLostIsNotForwardedToTheFactory() -> None:
    """clientConnectionLost of the user's factory is never called."""
    reactor, d, wf, userFactory = _connectTCP4()
    _establish(wf)
    wf.clientConnectionLost(reactor.connectors[0], Failure(error.ConnectionDone()))
    assert "clientConnectionLost" not in userFactory.events
    successResultOf(d)


def test_doStartAndDoStopAreForwarded() -> None:
    """The wrapper forwards doStart and doStop to the user's factory."""
    _, _, wf, userFactory = _connectTCP4()
    wf.doStart()
    wf.doStop()
    assert userFactory.events == ["doStart", "doStop"]


def test_reconnectingFactoryGivenToAnEndpointNeverReconnects() -> None:
    """An RCF handed to an endpoint is never told about failures (reference 14.4)."""
    reactor = MemoryReactorClock()
    rcf: ReconnectingClientFactory[Any] = ReconnectingClientFactory.forProtocol(Protocol)
    rcf.clock = reactor
    d = TCP4ClientEndpoint(reactor, "127.0.0.1", 4321).connect(rcf)
    wf = reactor.tcpClients[0][2]
    wf.clientConnectionFailed(reactor.connectors[0], Failure(error.ConnectionRefusedError()))
    failureResultOf(d, error.ConnectionRefusedError)
    assert reactor.getDelayedCalls() == [] and rcf.retries == 0


def test_buildProtocolReturningNoneFailsWithNoProtocol() -> None:
    """A factory refusing the connection fails the Deferred with NoProtocol."""

    class Refusing(Factory[Any]):
        def buildProtocol(self, addr: Any) -> None:
            return None

    reactor = MemoryReactor()
    d = TCP4ClientEndpoint(reactor, "127.0.0.1", 4321).connect(Refusing())
    assert reactor.tcpClients[0][2].buildProtocol(DEST) is None
    failureResultOf(d, error.NoProtocol)


def test_buildProtocolRaisingFailsWithThatError() -> None:
    """An exception from the user's buildProtocol fails the Deferred with it."""

    class Raising(Factory[Any]):
        def buildProtocol(self, addr: Any) -> None:
            raise KeyError("nope")

    reactor = MemoryReactor()
    d = TCP4ClientEndpoint(reactor, "127.0.0.1", 4321).connect(Raising())
    assert reactor.tcpClients[0][2].buildProtocol(DEST) is None
    failureResultOf(d, KeyError)


def test_cancelStopsConnectingWithConnectingCancelledError() -> None:
    """Cancelling fails with ConnectingCancelledError(destination) and stops the connector."""
    reactor, d, _, _ = _connectTCP4()
    d.cancel()
    f = failureResultOf(d, error.ConnectingCancelledError)
    assert f.value.address == DEST
    assert reactor.connectors[0].stoppedConnecting


def test_cancelWithSynchronousUserErrorStillReportsCancellation() -> None:
    """A connector that reports UserError from stopConnecting does not win the race."""
    reactor, d, wf, _ = _connectTCP4()
    connector = reactor.connectors[0]
    connector.stopConnecting = lambda: wf.clientConnectionFailed(  # type: ignore[method-assign]
        connector, Failure(error.UserError())
    )
    d.cancel()
    failureResultOf(d, error.ConnectingCancelledError)


def test_synchronousReactorErrorBecomesFailedDeferred() -> None:
    """An exception from connectTCP becomes a failed Deferred."""
    reactor = RaisingMemoryReactor(connectException=error.ConnectBindError())
    d = TCP4ClientEndpoint(reactor, "127.0.0.1", 4321).connect(Factory())
    failureResultOf(d, error.ConnectBindError)


def test_logPrefixPassesThrough() -> None:
    """The wrapper's logPrefix is the user's, or the user class name without one."""
    _, _, wf, _ = _connectTCP4()
    proto, _ = _establish(wf)
    assert proto.logPrefix() == "_Recording"

    class Custom(Protocol):
        def logPrefix(self) -> str:
            return "Echo"

    reactor = MemoryReactor()
    TCP4ClientEndpoint(reactor, "127.0.0.1", 1).connect(Factory.forProtocol(Custom))
    assert reactor.tcpClients[0][2].buildProtocol(DEST).logPrefix() == "Echo"

    class Plain:
        def makeConnection(self, t: Any) -> None:
            pass

    reactor = MemoryReactor()
    TCP4ClientEndpoint(reactor, "127.0.0.1", 1).connect(Factory.forProtocol(Plain))  # type: ignore[arg-type]
    assert reactor.tcpClients[0][2].buildProtocol(DEST).logPrefix() == "Plain"


@implementer(IHalfCloseableProtocol, IHandshakeListener)
class _HalfCloseable(_Recording):
    def readConnectionLost(self) -> None:
        self.events.append("readConnectionLost")

    def writeConnectionLost(self) -> None:
        self.events.append("writeConnectionLost")

    def handshakeCompleted(self) -> None:
        self.events.append("handshakeCompleted")


def test_optionalInterfacesAreForwarded() -> None:
    """IHalfCloseableProtocol and IHandshakeListener are provided and forwarded."""
    reactor = MemoryReactor()
    d = TCP4ClientEndpoint(reactor, "127.0.0.1", 1).connect(Factory.forProtocol(_HalfCloseable))
    proto, _ = _establish(reactor.tcpClients[0][2])
    assert IHalfCloseableProtocol.providedBy(proto) and IHandshakeListener.providedBy(proto)
    proto.readConnectionLost()
    proto.writeConnectionLost()
    proto.handshakeCompleted()
    assert successResultOf(d).events[1:] == ["readConnectionLost", "writeConnectionLost", "handshakeCompleted"]


def test_optionalInterfacesAreNotInvented() -> None:
    """A plain user protocol's wrapper does not claim half-close support."""
    _, _, wf, _ = _connectTCP4()
    proto, _ = _establish(wf)
    assert not IHalfCloseableProtocol.providedBy(proto)
    assert not IHandshakeListener.providedBy(proto)


# --- TCP6ClientEndpoint ---------------------------------------------------------------------


def test_tcp6LiteralConnectsDirectly() -> None:
    """An IPv6 literal is connected without resolution."""
    reactor = MemoryReactor()
    d = TCP6ClientEndpoint(reactor, "::1", 4321, timeout=7).connect(_RecordingFactory())
    assert reactor.tcpClients[0][:2] == ("::1", 4321) and reactor.tcpClients[0][3] == 7
    assertNoResult(d)
    d.cancel()
    assert failureResultOf(d, error.ConnectingCancelledError).value.address == IPv6Address("TCP", "::1", 4321)


def test_tcp6NameIsResolvedWithGetaddrinfoInAThread() -> None:
    """A name goes through _deferToThread(_getaddrinfo, name, 0, AF_INET6); the first result wins."""
    reactor = MemoryReactor()
    ep = TCP6ClientEndpoint(reactor, "localhost", 4321)
    calls: list[Any] = []

    def fakeGetaddrinfo(host: str, port: int, family: int) -> list[Any]:
        calls.append((host, port, family))
        return [
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", 0, 0, 0)),
            (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::2", 0, 0, 0)),
        ]

    ep._getaddrinfo = fakeGetaddrinfo  # type: ignore[method-assign]
    ep._deferToThread = lambda f, *a: succeed(f(*a))  # type: ignore[method-assign]
    d = ep.connect(_RecordingFactory())
    assert calls == [("localhost", 0, socket.AF_INET6)]
    assert reactor.tcpClients[0][:2] == ("::1", 4321)
    _establish(reactor.tcpClients[0][2])
    assert isinstance(successResultOf(d), _Recording)


def test_tcp6ResolutionFailureFailsTheDeferred() -> None:
    """A failed lookup fails the Deferred with the lookup error."""
    ep = TCP6ClientEndpoint(MemoryReactor(), "nonexistent.invalid", 1)

    def fail(*args: Any) -> Any:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    ep._getaddrinfo = fail  # type: ignore[method-assign]
    ep._deferToThread = lambda f, *a: maybeDeferred(f, *a)  # type: ignore[method-assign]
    failureResultOf(ep.connect(Factory()), socket.gaierror)


# --- server endpoints -----------------------------------------------------------------------


def test_serverEndpointsListen() -> None:
    """listen() calls listenTCP with backlog and interface and fires with the port."""
    reactor, f = MemoryReactor(), Factory()
    port = successResultOf(TCP4ServerEndpoint(reactor, 4321).listen(f))
    assert reactor.tcpServers[0] == (4321, f, 50, "")
    assert port.getHost() == IPv4Address("TCP", "0.0.0.0", 4321)
    port6 = successResultOf(TCP6ServerEndpoint(reactor, 4321, backlog=5).listen(f))
    assert reactor.tcpServers[1] == (4321, f, 5, "::")
    assert port6.getHost() == IPv6Address("TCP", "::", 4321)
    TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(f)
    assert reactor.tcpServers[2] == (0, f, 50, "127.0.0.1")


def test_serverEndpointListenFailure() -> None:
    """A listen error becomes a failed Deferred."""
    exc = error.CannotListenError("", 4321, OSError(98, "Address already in use"))
    d = TCP4ServerEndpoint(RaisingMemoryReactor(listenException=exc), 4321).listen(Factory())
    assert failureResultOf(d, error.CannotListenError).value is exc


# --- connectProtocol ------------------------------------------------------------------------


def test_connectProtocolLeavesFactoryUnset() -> None:
    """connectProtocol connects the given instance; its factory stays None (14.16)."""
    reactor = MemoryReactor()
    proto = _Recording()
    d = connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", 4321), proto)
    wf = reactor.tcpClients[0][2]
    oneShot = wf._wrappedFactory
    assert type(oneShot).__name__ == "OneShotFactory" and oneShot.noisy
    _establish(wf)
    assert successResultOf(d) is proto
    assert proto.factory is None


# --- HostnameEndpoint ---------------------------------------------------------------------------


class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:
        raise AssertionError("the endpoint should not cancel the resolution")


@implementer(IHostnameResolver)
class _ManualResolver:
    """A name resolver whose answers the test delivers by hand."""

    def __init__(self) -> None:
        self.requests: list[tuple[Any, str, int]] = []

    def resolveHostName(
        self, receiver: Any, hostName: str, portNumber: int = 0, addressTypes: Any = None,
        transportSemantics: str = "TCP",
    ) -> Any:
        self.requests.append((receiver, hostName, portNumber))
        resolution = _Resolution(hostName)
        receiver.resolutionBegan(resolution)
        return resolution

    def answer(self, *addresses: Any) -> None:
        receiver = self.requests[-1][0]
        for address in addresses:
            receiver.addressResolved(address)
        receiver.resolutionComplete()


V6 = IPv6Address("TCP", "::1", 4321)
V4 = IPv4Address("TCP", "127.0.0.1", 4321)
V4B = IPv4Address("TCP", "127.0.0.2", 4321)


def _hostname(**kwargs: Any) -> tuple[MemoryReactorClock, _ManualResolver, Any]:
    reactor = MemoryReactorClock()
    resolver = _ManualResolver()
    reactor.installNameResolver(resolver)
    d = HostnameEndpoint(reactor, "localhost", 4321, **kwargs).connect(_RecordingFactory())
    return reactor, resolver, d


def test_hostnameResolvesThroughTheNameResolver() -> None:
    """connect() asks reactor.nameResolver for the text host and the port."""
    reactor, resolver, d = _hostname()
    assert [(h, p) for _, h, p in resolver.requests] == [("localhost", 4321)]
    assert reactor.tcpClients == []
    assertNoResult(d)
    _cancel(d)


def test_hostnameAttemptsAreStaggered() -> None:
    """Attempts start at t=0, then one per attemptDelay while earlier ones pend."""
    reactor, resolver, d = _hostname(timeout=9, bindAddress="127.0.0.1")
    resolver.answer(V6, V4, V4B)
    assert [c[:2] for c in reactor.tcpClients] == [("::1", 4321)]
    assert reactor.tcpClients[0][3:] == (9, ("127.0.0.1", 0))
    reactor.advance(0.29)
    assert len(reactor.tcpClients) == 1
    reactor.advance(0.01)
    assert [c[0] for c in reactor.tcpClients] == ["::1", "127.0.0.1"]
    reactor.advance(0.3)
    assert [c[0] for c in reactor.tcpClients] == ["::1", "127.0.0.1", "127.0.0.2"]
    _cancel(d)


def test_hostnameAttemptDelayIsConfigurable() -> None:
    """attemptDelay replaces the default 0.3 s."""
    assert HostnameEndpoint._DEFAULT_ATTEMPT_DELAY == 0.3
    reactor, resolver, d = _hostname(attemptDelay=2.0)
    resolver.answer(V6, V4)
    reactor.advance(1.9)
    assert len(reactor.tcpClients) == 1
    reactor.advance(0.1)
    assert len(reactor.tcpClients) == 2
    _cancel(d)


def test_hostnameFirstSuccessWinsAndOthersAreCancelled() -> None:
    """The first attempt to connect fires the Deferred; pending ones are stopped."""
    reactor, resolver, d = _hostname()
    resolver.answer(V6, V4, V4B)
    reactor.advance(0.3)
    _establish(reactor.tcpClients[1][2])
    assert isinstance(successResultOf(d), _Recording)
    assert reactor.connectors[0].stoppedConnecting
    assert not reactor.connectors[1].stoppedConnecting
    assert reactor.getDelayedCalls() == []
    assert len(reactor.tcpClients) == 2


def test_hostnameReportsTheLastFailureOneTickLate() -> None:
    """When every attempt fails, the last failure is reported one attemptDelay later."""
    reactor, resolver, d = _hostname()
    resolver.answer(V6, V4)
    reactor.tcpClients[0][2].clientConnectionFailed(
        reactor.connectors[0], Failure(error.ConnectionRefusedError("first"))
    )
    assertNoResult(d)
    reactor.advance(0.3)
    reactor.tcpClients[1][2].clientConnectionFailed(
        reactor.connectors[1], Failure(error.TimeoutError("last"))
    )
    assertNoResult(d)
    reactor.advance(0.3)
    f = failureResultOf(d, error.TimeoutError)
    assert "last" in f.getErrorMessage()
    assert reactor.getDelayedCalls() == []


def test_hostnameReportsAFailureAfterTheLastTick() -> None:
    """If the last attempt fails after the list ran out, it is reported at once."""
    reactor, resolver, d = _hostname()
    resolver.answer(V4)
    reactor.advance(0.3)
    assertNoResult(d)
    assert reactor.getDelayedCalls() == []
    reactor.tcpClients[0][2].clientConnectionFailed(
        reactor.connectors[0], Failure(error.ConnectionRefusedError())
    )
    failureResultOf(d, error.ConnectionRefusedError)


def test_hostnameNoResults() -> None:
    """An empty resolution fails with DNSLookupError('no results ...')."""
    reactor, resolver, d = _hostname()
    resolver.answer()
    f = failureResultOf(d, error.DNSLookupError)
    assert str(f.value) == "DNS lookup failed: no results for hostname lookup: localhost."
    assert reactor.getDelayedCalls() == []


def test_hostnameCancelDuringResolution() -> None:
    """Cancelling while resolving fails with DNSLookupError, not ConnectingCancelledError."""
    reactor, resolver, d = _hostname()
    d.cancel()
    f = failureResultOf(d, error.DNSLookupError)
    assert str(f.value) == "DNS lookup failed: Couldn't find the hostname 'localhost'."
    resolver.answer(V4)  # a late answer is ignored
    assert reactor.tcpClients == []


def test_hostnameCancelDuringAttempts() -> None:
    """Cancelling while connecting fails with ConnectingCancelledError(HostnameAddress)."""
    reactor, resolver, d = _hostname()
    resolver.answer(V6, V4)
    reactor.advance(0.3)
    d.cancel()
    f = failureResultOf(d, error.ConnectingCancelledError)
    assert f.value.address == HostnameAddress(b"localhost", 4321)
    assert all(c.stoppedConnecting for c in reactor.connectors)
    assert reactor.getDelayedCalls() == []


def test_hostnameWithTheSynchronousResolver() -> None:
    """MemoryReactor's resolver answers at once, so the first attempt starts at once."""
    reactor = MemoryReactorClock()
    d = HostnameEndpoint(reactor, "example.invalid", 80).connect(_RecordingFactory())
    assert reactor.tcpClients[0][:2] == ("127.0.0.1", 80)
    _establish(reactor.tcpClients[0][2])
    successResultOf(d)
    assert reactor.getDelayedCalls() == []


def test_hostnameRepr() -> None:
    """repr shows the host (punycode for IDN, brackets for IPv6) and port."""
    r = MemoryReactorClock()
    assert repr(HostnameEndpoint(r, "example.com", 80)) == "<HostnameEndpoint example.com:80>"
    assert repr(HostnameEndpoint(r, "::1", 80)) == "<HostnameEndpoint [::1]:80>"
    assert repr(HostnameEndpoint(r, "b\u00fccher.example", 80)) == "<HostnameEndpoint xn--bcher-kva.example:80>"
    assert repr(HostnameEndpoint(r, b"example.com", 80)) == "<HostnameEndpoint example.com:80>"


def test_hostnameIDNIsResolvedAsTextAndAddressedAsBytes() -> None:
    """The resolver gets text; a cancelled attempt names the IDNA bytes."""
    reactor = MemoryReactorClock()
    resolver = _ManualResolver()
    reactor.installNameResolver(resolver)
    d = HostnameEndpoint(reactor, "b\u00fccher.example", 80).connect(Factory())
    assert resolver.requests[0][1] == "b\u00fccher.example"
    resolver.answer(V4)
    d.cancel()
    f = failureResultOf(d, error.ConnectingCancelledError)
    assert f.value.address == HostnameAddress(b"xn--bcher-kva.example", 80)


def test_hostnameInvalidHostFailsOnConnect() -> None:
    """Undecodable bytes make connect() fail with ValueError('invalid hostname: ...')."""
    ep = HostnameEndpoint(MemoryReactorClock(), b"\xff\xfe", 80)
    f = failureResultOf(ep.connect(Factory()), ValueError)
    assert str(f.value) == "invalid hostname: \\xff\\xfe"
    assert repr(ep) == "<HostnameEndpoint \\xff\\xfe:80>"


def test_invalidTextHostnameIsEscapedInTheError() -> None:
    """A text hostname idna refuses is backslash-escaped in the error, as Twisted's."""
    ep = HostnameEndpoint(MemoryReactorClock(), "\xff\u2603" + "a" * 70, 80)
    f = failureResultOf(ep.connect(Factory()), ValueError)
    assert str(f.value) == "invalid hostname: \\xff\\u2603" + "a" * 70
    assert ep._hostBytes == str(f.value)[len("invalid hostname: "):].encode("ascii")


@pytest.mark.parametrize(
    "given, stored",
    [
        (None, None),
        ("127.0.0.1", ("127.0.0.1", 0)),
        (b"127.0.0.1", ("127.0.0.1", 0)),
        (("127.0.0.1", 5), ("127.0.0.1", 5)),
        ((b"127.0.0.1", 5), ("127.0.0.1", 5)),
    ],
)
def test_hostnameBindAddressIsNormalised(given: Any, stored: Any) -> None:
    """bindAddress may be None, str/bytes (port 0) or a (host, port) pair."""
    assert HostnameEndpoint(MemoryReactorClock(), "localhost", 80, bindAddress=given)._bindAddress == stored


def test_hostnameWarnsForAReactorWithoutNameResolver() -> None:
    """A reactor without IReactorPluggableNameResolver gets a DeprecationWarning and getaddrinfo."""

    class OldReactor(MemoryReactorClock):
        pass

    from zope.interface import classImplementsOnly, implementedBy

    from plait.interfaces import IReactorPluggableNameResolver

    classImplementsOnly(OldReactor, *[i for i in implementedBy(MemoryReactorClock) if i is not IReactorPluggableNameResolver])
    reactor = OldReactor()
    with pytest.warns(DeprecationWarning, match="does not provide IReactorPluggableNameResolver"):
        ep = HostnameEndpoint(reactor, "localhost", 4321)
    ep._getaddrinfo = lambda host, port, family, kind: [  # type: ignore[method-assign,assignment]
        (socket.AF_INET6, socket.SOCK_STREAM, 6, "", ("::1", port, 0, 0)),
        (socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port)),
    ]
    ep._deferToThread = lambda f, *a: succeed(f(*a))  # type: ignore[method-assign]
    with pytest.warns(DeprecationWarning):
        d = ep.connect(Factory())
    assert reactor.tcpClients[0][:2] == ("::1", 4321)
    reactor.advance(0.3)
    assert reactor.tcpClients[1][:2] == ("127.0.0.1", 4321)
    _cancel(d)
