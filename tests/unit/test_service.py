"""ClientService and backoffPolicy (reference section 2.8), sans-IO.

Time is a ``Clock``; the endpoint is a fake whose ``connect`` returns a
Deferred the test fires by hand, after connecting the built protocol to a
``StringTransport`` (as a real endpoint would, ``connectionMade`` runs
before the Deferred fires).  ``connectionLost`` is delivered by the test,
as the reactor loop would deliver it after ``loseConnection()``.
"""

from __future__ import annotations

import inspect
import logging
import random
from collections.abc import Callable
from typing import Any

import pytest
from zope.interface import implementer
from zope.interface.verify import verifyObject

import plait
from plait import error
from plait.address import IPv4Address
from plait.defer import CancelledError, Deferred
from plait.failure import Failure
from plait.interfaces import (
    IHalfCloseableProtocol,
    ILoggingContext,
    IProtocol,
    IProtocolFactory,
    IStreamClientEndpoint,
)
from plait.protocol import Factory, Protocol
from plait.service import (
    ClientService,
    IService,
    Service,
    _DisconnectFactory,
    _ReconnectingProtocolProxy,
    _State,
    backoffPolicy,
)
from plait.task import Clock
from plait.testing import StringTransport
from tests.helpers import assertNoResult, failureResultOf, successResultOf

DESTINATION = IPv4Address("TCP", "127.0.0.1", 4321)


# --- doubles ------------------------------------------------------------------


class Recorder(Protocol):
    """A user protocol that records its lifecycle."""

    def __init__(self) -> None:
        self.events: list[Any] = []

    def connectionMade(self) -> None:
        self.events.append("connectionMade")

    def dataReceived(self, data: bytes) -> None:
        self.events.append(("dataReceived", data))

    def connectionLost(self, reason: Failure = None) -> None:  # type: ignore[assignment]
        self.events.append(("connectionLost", reason.type if reason else None))


class RecorderFactory(Factory[Recorder]):
    protocol = Recorder
    noisy = False

    def __init__(self) -> None:
        self.built: list[Recorder] = []
        self.refuse = False

    def buildProtocol(self, addr: Any) -> Recorder | None:
        if self.refuse:
            return None
        self.built.append(Recorder())
        return self.built[-1]


class Connect:
    """One ``FakeEndpoint.connect`` call, driven by the test."""

    def __init__(self, factory: Any) -> None:
        self.factory = factory
        self.deferred: Deferred[Any] = Deferred(self._cancel)
        self.cancelled = False
        self.proxy: Any = None
        self.transport = StringTransport()

    def _cancel(self, d: Deferred[Any]) -> None:
        self.cancelled = True
        d.errback(error.ConnectingCancelledError(DESTINATION))

    def connectProtocol(self) -> Any:
        """Build the protocol and connect it to a transport (connectionMade runs)."""
        self.proxy = self.factory.buildProtocol(DESTINATION)
        if self.proxy is not None:
            self.proxy.makeConnection(self.transport)
        return self.proxy

    def succeed(self) -> Any:
        """Connect, then fire the Deferred with the (proxied) protocol."""
        self.connectProtocol()
        if self.proxy is None:
            self.deferred.errback(error.NoProtocol())
        else:
            self.deferred.callback(self.proxy)
        return self.proxy

    def fail(self, exc: BaseException | None = None) -> None:
        self.deferred.errback(exc or error.ConnectionRefusedError("refused"))

    def lose(self, exc: BaseException | None = None) -> None:
        """The loop delivers connectionLost to the protocol."""
        self.proxy.connectionLost(Failure(exc or error.ConnectionDone()))


@implementer(IStreamClientEndpoint)
class FakeEndpoint:
    def __init__(self) -> None:
        self.connects: list[Connect] = []
        self.onConnect: Callable[[Connect], object] | None = None

    def connect(self, protocolFactory: Any) -> Deferred[Any]:
        attempt = Connect(protocolFactory)
        self.connects.append(attempt)
        if self.onConnect is not None:
            self.onConnect(attempt)
        return attempt.deferred

    def __repr__(self) -> str:
        return "<FakeEndpoint 127.0.0.1:4321>"


class Harness:
    """A service on a FakeEndpoint and a Clock; its policy records its calls."""

    def __init__(self, start: bool = True, **kw: Any) -> None:
        self.clock = Clock()
        self.endpoint = FakeEndpoint()
        self.factory = RecorderFactory()
        self.policyCalls: list[int] = []
        kw.setdefault("retryPolicy", self.policy)
        self.service = ClientService(self.endpoint, self.factory, clock=self.clock, **kw)
        if start:
            self.service.startService()

    def policy(self, attempt: int) -> float:
        self.policyCalls.append(attempt)
        return float(attempt * 10)

    @property
    def last(self) -> Connect:
        return self.endpoint.connects[-1]

    @property
    def state(self) -> _State:
        return self.service._state

    def pendingDelays(self) -> list[float]:
        return [c.getTime() - self.clock.seconds() for c in self.clock.getDelayedCalls()]


@pytest.fixture
def h() -> Harness:
    return Harness()


@pytest.fixture
def logLines(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    caplog.set_level(logging.INFO, logger="plait")
    return lambda: [r.getMessage() for r in caplog.records if r.name.startswith("plait")]


# --- backoffPolicy --------------------------------------------------------------


def test_backoffPolicySignature() -> None:
    """The signature and defaults are Twisted's."""
    parameters = inspect.signature(backoffPolicy).parameters
    assert list(parameters) == ["initialDelay", "maxDelay", "factor", "jitter"]
    assert [p.default for p in parameters.values()] == [1.0, 60.0, 1.5, random.random]


def test_backoffPolicySequence() -> None:
    """Without jitter, attempts 0..11 give the sequence of section 2.8."""
    policy = backoffPolicy(jitter=lambda: 0.0)
    delays = [policy(attempt) for attempt in range(12)]
    assert [round(d, 2) for d in delays] == [
        1.0, 1.5, 2.25, 3.38, 5.06, 7.59, 11.39, 17.09, 25.63, 38.44, 57.67, 60.0,
    ]
    assert delays[:5] == [1.0, 1.5, 2.25, 3.375, 5.0625]


def test_backoffPolicyJitterAddedAfterMaxDelay() -> None:
    """maxDelay caps the delay before jitter; jitter is called once per delay."""
    calls: list[None] = []

    def jitter() -> float:
        calls.append(None)
        return 0.5

    policy = backoffPolicy(initialDelay=2.0, maxDelay=10.0, factor=3.0, jitter=jitter)
    assert policy(0) == 2.5
    assert policy(1) == 6.5
    assert policy(5) == 10.5
    assert len(calls) == 3


def test_backoffPolicyDefaultJitterIsRandom() -> None:
    """The default jitter is random.random: the first retry waits 1.5 to 2.5 s."""
    policy = backoffPolicy()
    for _ in range(20):
        assert 1.5 <= policy(1) < 2.5


def test_backoffPolicyOverflowGivesMaxDelay() -> None:
    """A power too large for a float gives maxDelay instead of OverflowError."""
    policy = backoffPolicy(factor=1e10, maxDelay=42.0, jitter=lambda: 1.0)
    with pytest.raises(OverflowError):
        1e10**100  # noqa: B018 - the premise of this test
    assert policy(100) == 43.0
    assert policy(10**9) == 43.0


def test_backoffPolicyExponentStopsAt100() -> None:
    """Attempts past 100 are computed as attempt 100."""
    policy = backoffPolicy(initialDelay=1e-40, maxDelay=float("inf"), factor=2, jitter=lambda: 0.0)
    assert policy(100) == 1e-40 * 2**100
    assert policy(10**6) == policy(100)
    assert policy(99) < policy(100)


# --- Service ----------------------------------------------------------------------


class Parent:
    def __init__(self) -> None:
        self.added: list[Any] = []
        self.removed: list[Any] = []

    def addService(self, service: Any) -> None:
        self.added.append(service)

    def removeService(self, service: Any) -> str:
        self.removed.append(service)
        return "removed"


def test_serviceBasics() -> None:
    """Service keeps running/name/parent and flips running on start and stop."""
    service = Service()
    assert verifyObject(IService, service)
    assert (service.running, service.name, service.parent) == (False, None, None)
    service.privilegedStartService()
    assert service.running is False
    service.startService()
    assert service.running is True and service.running == 1
    assert service.stopService() is None
    assert service.running is False


def test_serviceNameAndParent() -> None:
    """setName works until a parent is set; parents are joined and left."""
    service = Service()
    service.setName("client")
    assert service.name == "client"
    first, second = Parent(), Parent()
    service.setServiceParent(first)
    assert service.parent is first and first.added == [service]
    with pytest.raises(RuntimeError, match="cannot change name when parent exists"):
        service.setName("other")
    service.setServiceParent(second)
    assert first.removed == [service] and second.added == [service]
    assert service.disownServiceParent() == "removed"
    assert service.parent is None
    with pytest.raises(RuntimeError, match="has no parent"):
        service.disownServiceParent()


def test_clientServiceIsAService() -> None:
    """ClientService provides IService and keeps the Service attributes."""
    h = Harness(start=False)
    assert verifyObject(IService, h.service)
    assert isinstance(h.service, Service)
    assert h.service.running is False
    h.service.startService()
    assert h.service.running is True
    h.service.stopService()
    assert h.service.running is False


def test_clockDefaultsToTheGlobalReactor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a clock, the global reactor schedules the retries."""
    globalClock = Clock()
    monkeypatch.setattr(plait, "reactor", globalClock, raising=False)
    endpoint = FakeEndpoint()
    service = ClientService(endpoint, RecorderFactory(), retryPolicy=lambda n: 3.0)
    service.startService()
    endpoint.connects[0].fail()
    assert [c.getTime() for c in globalClock.getDelayedCalls()] == [3.0]
    successResultOf(service.stopService())


def test_defaultRetryPolicyIsBackoffPolicy() -> None:
    """Without a policy, the first retry waits 1.5 s plus up to 1 s of jitter."""
    h = Harness(retryPolicy=None)
    h.last.fail()
    (delay,) = h.pendingDelays()
    assert 1.5 <= delay < 2.5


# --- the state machine -----------------------------------------------------------


def test_invalidTransitionNamesBothStates() -> None:
    """_setState refuses transitions that are not in the table, naming them."""
    h = Harness(start=False)
    with pytest.raises(RuntimeError, match="cannot go from INIT to CONNECTED"):
        h.service._setState(_State.CONNECTED)
    assert h.state is _State.INIT


def test_startConnectsImmediately(h: Harness) -> None:
    """startService calls endpoint.connect once, with the wrapped factory."""
    assert h.state is _State.CONNECTING
    assert len(h.endpoint.connects) == 1
    assert repr(h.last.factory) == f"<_DisconnectFactory wrapping {h.factory!r}>"


def test_duplicateStartLogsAWarning(logLines: Callable[[], list[str]], caplog: Any) -> None:
    """A second startService while running logs a warning and does nothing else."""
    h = Harness()
    h.service.startService()
    assert len(h.endpoint.connects) == 1
    (line,) = logLines()
    assert line == f"Duplicate ClientService.startService {h.service!r}"
    assert caplog.records[-1].levelno == logging.WARNING


def test_connectHandsOutTheUnwrappedProtocol(h: Harness) -> None:
    """whenConnected fires with the user's protocol, not the proxy."""
    d = h.service.whenConnected()
    assertNoResult(d)
    proxy = h.last.succeed()
    assert isinstance(proxy, _ReconnectingProtocolProxy)
    protocol = successResultOf(d)
    assert protocol is h.factory.built[0]
    assert protocol.events == ["connectionMade"]
    assert h.state is _State.CONNECTED
    assert successResultOf(h.service.whenConnected()) is protocol


def test_whenConnectedBeforeStartWaits() -> None:
    """whenConnected before startService waits for the first connection."""
    h = Harness(start=False)
    d = h.service.whenConnected()
    assertNoResult(d)
    h.service.startService()
    h.last.succeed()
    assert successResultOf(d) is h.factory.built[0]


def test_failureSchedulesARetry(logLines: Callable[[], list[str]]) -> None:
    """A failed attempt logs the retry and waits retryPolicy(1) before connecting again."""
    h = Harness()
    h.last.fail()
    assert h.state is _State.WAITING
    assert h.policyCalls == [1]
    assert h.pendingDelays() == [10.0]
    assert logLines() == ["Scheduling retry 1 to connect <FakeEndpoint 127.0.0.1:4321> in 10.0 seconds."]
    h.clock.advance(9.9)
    assert len(h.endpoint.connects) == 1
    h.clock.advance(0.1)
    assert len(h.endpoint.connects) == 2
    assert h.state is _State.CONNECTING


def test_failNTimesThenSucceed(logLines: Callable[[], list[str]]) -> None:
    """The counter grows by one per consecutive failure; success resets it."""
    h = Harness()
    for n in range(1, 4):
        h.last.fail()
        assert h.pendingDelays() == [n * 10.0]
        h.clock.advance(n * 10.0)
    d = h.service.whenConnected()
    h.last.succeed()
    assert successResultOf(d) is h.factory.built[0]
    assert h.policyCalls == [1, 2, 3]
    assert len(h.endpoint.connects) == 4
    assert [line.split(" to ")[0] for line in logLines()] == [
        "Scheduling retry 1", "Scheduling retry 2", "Scheduling retry 3",
    ]
    # After the success the counter starts again: a lost connection waits policy(1).
    h.last.lose()
    assert h.policyCalls == [1, 2, 3, 1]
    assert h.pendingDelays() == [10.0]


def test_lostConnectionReconnects(h: Harness) -> None:
    """A lost connection goes back to WAITING with policy(1), then reconnects."""
    h.last.succeed()
    h.last.lose(error.ConnectionLost())
    protocol = h.factory.built[0]
    assert protocol.events == ["connectionMade", ("connectionLost", error.ConnectionLost)]
    assert h.state is _State.WAITING
    assert h.policyCalls == [1]
    d = h.service.whenConnected()
    assertNoResult(d)
    h.clock.advance(10)
    h.last.succeed()
    assert successResultOf(d) is h.factory.built[1]


def test_userConnectionLostRaisingStillReportsTheLoss(h: Harness) -> None:
    """If the user's connectionLost raises, the service still learns of the loss."""
    h.last.succeed()

    def explode(reason: Failure) -> None:
        raise ValueError("boom")

    h.factory.built[0].connectionLost = explode  # type: ignore[method-assign]
    with pytest.raises(ValueError):
        h.last.lose()
    assert h.state is _State.WAITING


def test_endpointRaisingCountsAsAFailure() -> None:
    """endpoint.connect raising is a failed attempt, not an exception from startService."""
    h = Harness(start=False)

    def explode(attempt: Connect) -> None:
        raise OSError("no")

    h.endpoint.onConnect = explode
    d = h.service.whenConnected(failAfterFailures=1)
    h.service.startService()
    assert failureResultOf(d, OSError)
    assert h.state is _State.WAITING


def test_synchronousEndpoint() -> None:
    """An endpoint that fires inside connect() connects at once."""
    h = Harness(start=False)
    h.endpoint.onConnect = Connect.succeed
    h.service.startService()
    assert h.state is _State.CONNECTED
    assert successResultOf(h.service.whenConnected()) is h.factory.built[0]


def test_factoryRefusingCountsAsAFailure(h: Harness) -> None:
    """A factory returning None makes the attempt fail (NoProtocol) and retry."""
    h.factory.refuse = True
    d = h.service.whenConnected(failAfterFailures=1)
    h.last.succeed()
    failureResultOf(d, error.NoProtocol)
    assert h.state is _State.WAITING


# --- whenConnected(failAfterFailures) ---------------------------------------------


def test_failAfterFailures(h: Harness) -> None:
    """Each waiter fails with the N-th consecutive failure counted from its call."""
    forever = h.service.whenConnected()
    afterOne = h.service.whenConnected(failAfterFailures=1)
    afterTwo = h.service.whenConnected(failAfterFailures=2)
    h.last.fail(error.ConnectionRefusedError("first"))
    assert str(failureResultOf(afterOne, error.ConnectionRefusedError).value).endswith("first.")
    assertNoResult(afterTwo)
    later = h.service.whenConnected(failAfterFailures=2)
    h.clock.advance(10)
    h.last.fail(error.TimeoutError())
    failureResultOf(afterTwo, error.TimeoutError)
    assertNoResult(later)
    assertNoResult(forever)
    h.clock.advance(20)
    h.last.succeed()
    assert successResultOf(later) is h.factory.built[0]
    assert successResultOf(forever) is h.factory.built[0]


def test_failAfterZeroFailsOnTheFirstFailure(h: Harness) -> None:
    """failAfterFailures=0 behaves like 1 (Twisted compares with <= 1)."""
    d = h.service.whenConnected(failAfterFailures=0)
    h.last.fail()
    failureResultOf(d, error.ConnectionRefusedError)


def test_waiterMayStopTheService(h: Harness) -> None:
    """A failing waiter may call stopService: the service is already WAITING."""
    d = h.service.whenConnected(failAfterFailures=1)
    stops: list[Deferred[None]] = []
    d.addErrback(lambda f: stops.append(h.service.stopService()))
    h.last.fail()
    successResultOf(stops[0])
    assert h.state is _State.STOPPED
    assert h.clock.getDelayedCalls() == []


# --- stopService ---------------------------------------------------------------------


def test_stopBeforeStart() -> None:
    """Stopping a never-started service succeeds at once and cancels its waiters."""
    h = Harness(start=False)
    waiter = h.service.whenConnected()
    assert successResultOf(h.service.stopService()) is None
    assert h.state is _State.STOPPED
    failureResultOf(waiter, CancelledError)
    assert h.endpoint.connects == []


def test_stopWhileConnectingCancelsTheAttempt(h: Harness) -> None:
    """Stop while connecting cancels the endpoint's Deferred; waiters fail."""
    waiter = h.service.whenConnected()
    stopped = h.service.stopService()
    assert h.last.cancelled
    assert successResultOf(stopped) is None
    assert h.state is _State.STOPPED
    failureResultOf(waiter, CancelledError)
    assert h.clock.getDelayedCalls() == []
    assert h.policyCalls == []


def test_stopWhileWaitingCancelsTheTimer(h: Harness) -> None:
    """Stop during the retry wait cancels the timer and fires at once."""
    h.last.fail()
    waiter = h.service.whenConnected()
    assert successResultOf(h.service.stopService()) is None
    assert h.clock.getDelayedCalls() == []
    failureResultOf(waiter, CancelledError)
    h.clock.advance(1000)
    assert len(h.endpoint.connects) == 1


def test_stopWhileConnectedWaitsForConnectionLost(h: Harness) -> None:
    """Stop while connected calls loseConnection and fires after connectionLost."""
    h.last.succeed()
    stopped = h.service.stopService()
    assert h.last.transport.disconnecting
    assert h.state is _State.DISCONNECTING
    assertNoResult(stopped)
    again = h.service.stopService()
    waiter = h.service.whenConnected()
    assertNoResult(waiter)
    h.last.lose()
    assert successResultOf(stopped) is None
    assert successResultOf(again) is None
    failureResultOf(waiter, CancelledError)
    assert h.state is _State.STOPPED
    assert h.clock.getDelayedCalls() == []
    assert h.policyCalls == []


def test_whenConnectedAfterStopFails(h: Harness) -> None:
    """Once stopped, whenConnected fails immediately with CancelledError."""
    successResultOf(h.service.stopService())
    failureResultOf(h.service.whenConnected(), CancelledError)
    failureResultOf(h.service.whenConnected(failAfterFailures=1), CancelledError)
    assert successResultOf(h.service.stopService()) is None


def test_restartAfterStop(h: Harness) -> None:
    """A stopped service can be started again; it connects immediately."""
    successResultOf(h.service.stopService())
    h.service.startService()
    assert h.state is _State.CONNECTING
    assert len(h.endpoint.connects) == 2
    h.last.succeed()
    assert successResultOf(h.service.whenConnected()) is h.factory.built[0]


def test_startWhileDisconnectingRestarts(h: Harness) -> None:
    """Start during a stop waits for the disconnect, fires the stop, then connects."""
    h.last.succeed()
    stopped = h.service.stopService()
    h.service.startService()
    assert h.state is _State.RESTARTING
    waiter = h.service.whenConnected()
    h.last.lose()
    assert successResultOf(stopped) is None
    assert h.state is _State.CONNECTING
    assert len(h.endpoint.connects) == 2
    assertNoResult(waiter)
    h.last.succeed()
    assert successResultOf(waiter) is h.factory.built[1]


def test_stopWhileRestarting(h: Harness) -> None:
    """Stop during a restart goes back to disconnecting and ends stopped."""
    h.last.succeed()
    first = h.service.stopService()
    h.service.startService()
    waiter = h.service.whenConnected()
    second = h.service.stopService()
    assert h.state is _State.DISCONNECTING
    h.last.lose()
    successResultOf(first)
    successResultOf(second)
    failureResultOf(waiter, CancelledError)
    assert h.state is _State.STOPPED
    assert len(h.endpoint.connects) == 1


def test_stopWaiterMayStopTheRestartedService(h: Harness) -> None:
    """During a restart the new attempt exists before the stop Deferreds fire."""
    h.last.succeed()
    stopped = h.service.stopService()
    h.service.startService()
    results: list[Deferred[None]] = []
    stopped.addCallback(lambda _: results.append(h.service.stopService()))
    h.last.lose()
    assert len(h.endpoint.connects) == 2
    assert h.last.cancelled
    successResultOf(results[0])
    assert h.state is _State.STOPPED


def test_stopInsideASynchronousConnect() -> None:
    """stopService from the user's connectionMade, inside connect(), still stops cleanly."""
    h = Harness(start=False)
    stops: list[Deferred[None]] = []

    def connectAndStop(attempt: Connect) -> None:
        attempt.connectProtocol()
        stops.append(h.service.stopService())
        attempt.deferred.callback(attempt.proxy)

    h.endpoint.onConnect = connectAndStop
    h.service.startService()
    assert h.state is _State.DISCONNECTING
    assert h.last.transport.disconnecting  # the unwanted connection is closed
    assertNoResult(stops[0])
    h.last.lose()
    successResultOf(stops[0])
    assert h.state is _State.STOPPED


def test_stopInsideConnectBeforeItFires() -> None:
    """A stop during connect() cancels the attempt as soon as connect() returns."""
    h = Harness(start=False)
    stops: list[Deferred[None]] = []
    h.endpoint.onConnect = lambda attempt: stops.append(h.service.stopService())
    h.service.startService()
    assert h.last.cancelled
    successResultOf(stops[0])
    assert h.state is _State.STOPPED


# --- the proxies -------------------------------------------------------------------------


def test_protocolProxyForwards(h: Harness) -> None:
    """The proxy forwards attributes and events, and reprs as Twisted's does."""
    proxy = h.last.succeed()
    protocol = h.factory.built[0]
    assert repr(proxy) == f"<_ReconnectingProtocolProxy wrapping {protocol!r}>"
    assert proxy.transport is h.last.transport
    assert proxy.events is protocol.events
    proxy.dataReceived(b"hi")
    proxy.connectionMade()
    assert protocol.events == ["connectionMade", ("dataReceived", b"hi"), "connectionMade"]
    assert verifyObject(IProtocol, proxy)
    assert ILoggingContext.providedBy(proxy)
    with pytest.raises(AttributeError):
        proxy.__deepcopy__  # noqa: B018


def test_protocolProxyProvidesTheProtocolsInterfaces() -> None:
    """Optional interfaces of the user's protocol are provided by its proxy."""

    @implementer(IHalfCloseableProtocol)
    class HalfCloser(Protocol):
        def readConnectionLost(self) -> None:
            pass

        def writeConnectionLost(self) -> None:
            pass

    proxy = _ReconnectingProtocolProxy(HalfCloser(), lambda p: None, lambda p, r: None)
    assert IHalfCloseableProtocol.providedBy(proxy)
    plain = _ReconnectingProtocolProxy(Protocol(), lambda p: None, lambda p, r: None)
    assert not IHalfCloseableProtocol.providedBy(plain)


def test_factoryProxyForwards(h: Harness) -> None:
    """The factory proxy forwards doStart/doStop and attributes; None passes through."""
    wrapper = h.last.factory
    assert verifyObject(IProtocolFactory, wrapper)
    wrapper.doStart()
    assert h.factory.numPorts == 1
    wrapper.doStop()
    assert h.factory.numPorts == 0
    assert wrapper.logPrefix() == "RecorderFactory"
    assert wrapper.noisy is False
    h.factory.refuse = True
    assert wrapper.buildProtocol(DESTINATION) is None


def test_proxiesWithoutStateDoNotRecurse() -> None:
    """An uninitialised proxy raises AttributeError instead of recursing."""
    for cls in (_ReconnectingProtocolProxy, _DisconnectFactory):
        bare = object.__new__(cls)
        with pytest.raises(AttributeError):
            bare.anything  # noqa: B018


# --- connections lost before they were handed out ------------------------------------------


def test_connectionMadeRaising(h: Harness) -> None:
    """A connection lost before the endpoint delivered it fails the attempt."""
    d = h.service.whenConnected(failAfterFailures=1)
    attempt = h.last
    attempt.connectProtocol()
    attempt.lose(ValueError("connectionMade blew up"))
    failureResultOf(d, ValueError)
    assert h.state is _State.WAITING
    # If the endpoint delivers it anyway, nothing happens: the attempt is over.
    attempt.deferred.callback(attempt.proxy)
    assert h.state is _State.WAITING
    assert h.pendingDelays() == [10.0]


# --- prepareConnection ------------------------------------------------------------------------


def test_prepareConnectionCalledWithTheProxy() -> None:
    """prepareConnection gets the (forwarding) proxy after connectionMade; its value is ignored."""
    seen: list[Any] = []

    def prepare(protocol: Any) -> object:
        seen.append((protocol, list(protocol.events)))
        return "ignored"

    h = Harness(prepareConnection=prepare)
    proxy = h.last.succeed()
    assert seen == [(proxy, ["connectionMade"])]
    assert successResultOf(h.service.whenConnected()) is h.factory.built[0]


def test_prepareConnectionCalledOnEachConnection() -> None:
    """Every new connection is prepared."""
    seen: list[Any] = []
    h = Harness(prepareConnection=seen.append)
    h.last.succeed()
    h.last.lose()
    h.clock.advance(10)
    h.last.succeed()
    assert [p._protocol for p in seen] == h.factory.built


def test_prepareConnectionDeferred() -> None:
    """Waiters fire only once prepareConnection's Deferred fires."""
    preparing: Deferred[None] = Deferred()
    h = Harness(prepareConnection=lambda p: preparing)
    d = h.service.whenConnected()
    h.last.succeed()
    assert h.state is _State.CONNECTING
    assertNoResult(d)
    preparing.callback(None)
    assert successResultOf(d) is h.factory.built[0]
    assert h.state is _State.CONNECTED


@pytest.mark.parametrize("how", ["raise", "fail"])
def test_prepareConnectionFailure(how: str) -> None:
    """A rejected connection is closed and counts as a failed attempt."""

    def prepare(protocol: Any) -> Deferred[None]:
        if how == "raise":
            raise ValueError("not healthy")
        d: Deferred[None] = Deferred()
        d.errback(ValueError("not healthy"))
        return d

    h = Harness(prepareConnection=prepare)
    d = h.service.whenConnected(failAfterFailures=2)
    h.last.succeed()
    assert h.last.transport.disconnecting
    assert h.state is _State.WAITING
    assert h.policyCalls == [1]
    assertNoResult(d)
    h.last.lose()  # the rejected connection closes later; nothing changes
    assert h.state is _State.WAITING
    assert h.policyCalls == [1]
    h.clock.advance(10)
    h.last.succeed()
    failureResultOf(d, ValueError)
    assert h.policyCalls == [1, 2]


def test_stopWaitsForARejectedConnection() -> None:
    """A connection rejected by prepareConnection must close before stop fires."""
    h = Harness(prepareConnection=lambda p: 1 / 0)
    h.last.succeed()
    rejected = h.last
    stopped = h.service.stopService()
    assert h.clock.getDelayedCalls() == []
    assertNoResult(stopped)
    rejected.lose()
    successResultOf(stopped)


def test_stopWhilePreparing() -> None:
    """Stop during prepareConnection cancels it, closes the connection, then fires."""
    cancelled: list[Deferred[None]] = []
    preparing: Deferred[None] = Deferred(cancelled.append)
    h = Harness(prepareConnection=lambda p: preparing)
    waiter = h.service.whenConnected()
    h.last.succeed()
    stopped = h.service.stopService()
    assert cancelled == [preparing]
    assert h.last.transport.disconnecting
    assertNoResult(stopped)
    assertNoResult(waiter)
    h.last.lose()
    successResultOf(stopped)
    failureResultOf(waiter, CancelledError)
    assert h.state is _State.STOPPED
    assert h.policyCalls == []


def test_connectionLostWhilePreparing() -> None:
    """Losing the connection during prepareConnection fails the attempt with the loss."""
    cancelled: list[Deferred[None]] = []
    preparing: Deferred[None] = Deferred(cancelled.append)
    h = Harness(prepareConnection=lambda p: preparing)
    d = h.service.whenConnected(failAfterFailures=1)
    h.last.succeed()
    h.last.lose(error.ConnectionLost())
    failureResultOf(d, error.ConnectionLost)
    assert cancelled == [preparing]
    assert h.state is _State.WAITING
    assert h.policyCalls == [1]


def test_preparationSucceedingAfterTheLossIsIgnored() -> None:
    """A prepareConnection Deferred that succeeds when cancelled changes nothing."""
    preparing: Deferred[None] = Deferred(lambda d: d.callback(None))
    h = Harness(prepareConnection=lambda p: preparing)
    h.last.succeed()
    h.last.lose()
    assert h.state is _State.WAITING
    assert h.service._connection is None
    assert h.pendingDelays() == [10.0]
    assertNoResult(h.service.whenConnected())


def test_stopFromPrepareConnection() -> None:
    """prepareConnection may stop the service; the fresh connection is then closed."""
    stops: list[Deferred[None]] = []
    h = Harness(start=False, prepareConnection=lambda p: stops.append(h.service.stopService()))
    h.service.startService()
    h.last.succeed()
    assert h.last.transport.disconnecting
    assertNoResult(stops[0])
    h.last.lose()
    successResultOf(stops[0])
    assert h.state is _State.STOPPED
