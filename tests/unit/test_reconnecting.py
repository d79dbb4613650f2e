"""ReconnectingClientFactory: the back-off algorithm of reference section 1.8."""

from __future__ import annotations

import logging
import math
import pickle
import random
from collections.abc import Callable
from typing import Any

import pytest

import plait
from plait import error
from plait.failure import Failure
from plait.protocol import Protocol, ReconnectingClientFactory
from plait.task import Clock
from plait.testing import MemoryReactorClock

REFUSED = Failure(error.ConnectionRefusedError())


class _Connector:
    """A connector that records connect() and stopConnecting() calls."""

    def __init__(self, stopRaises: bool = False) -> None:
        self.connects = 0
        self.stops = 0
        self._stopRaises = stopRaises

    def connect(self) -> None:
        self.connects += 1

    def stopConnecting(self) -> None:
        self.stops += 1
        if self._stopRaises:
            raise error.NotConnectingError("we're not trying to connect")

    def __repr__(self) -> str:
        return "<Connector>"


@pytest.fixture
def logLines(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:
    caplog.set_level(logging.INFO, logger="plait")
    return lambda: [r.getMessage() for r in caplog.records if r.name.startswith("plait")]


def _factory(clock: Clock, **attrs: Any) -> ReconnectingClientFactory[Any]:
    f: ReconnectingClientFactory[Any] = ReconnectingClientFactory.forProtocol(Protocol)
    f.clock = clock
    for name, value in attrs.items():
        setattr(f, name, value)
    return f


def _scheduledDelays(f: ReconnectingClientFactory[Any], clock: Clock, n: int) -> list[float]:
    """Fail n times, running each scheduled retry; return the delays used."""
    connector = _Connector()
    delays = []
    for _ in range(n):
        before = clock.seconds()
        f.clientConnectionFailed(connector, REFUSED)
        (call,) = clock.getDelayedCalls()
        delays.append(call.getTime() - before)
        clock.advance(call.getTime() - before)
    assert connector.connects == n
    return delays


def test_classDefaults() -> None:
    """The class attributes are Twisted 26.10's, exactly."""
    f = ReconnectingClientFactory
    assert f.maxDelay == 3600
    assert f.initialDelay == 1.0
    assert f.factor == 2.7182818284590451
    assert f.jitter == 0.119626565582
    assert f.delay == 1.0
    assert f.retries == 0
    assert f.maxRetries is None
    assert f._callID is None
    assert f.connector is None
    assert f.clock is None
    assert f.continueTrying == 1 and type(f.continueTrying) is int
    assert f.noisy is True


def test_subclassInitialDelayDoesNotChangeClassDelay() -> None:
    """Overriding initialDelay in a subclass leaves delay at 1.0 (Twisted #5103)."""

    class Slow(ReconnectingClientFactory[Any]):
        initialDelay = 10.0

    assert Slow.delay == 1.0


def test_delaysWithoutJitterAreInitialThenPowersOfE(clock: Clock) -> None:
    """With jitter off the delays are 1.0, e, e**2, e**3 (first == initialDelay)."""
    f = _factory(clock, jitter=None, noisy=False)
    delays = _scheduledDelays(f, clock, 4)
    assert delays == pytest.approx([1.0, math.e, math.e**2, math.e**3])


def test_delayIsCappedAtMaxDelay(clock: Clock) -> None:
    """The next delay is min(delay * factor, maxDelay)."""
    f = _factory(clock, jitter=None, noisy=False, maxDelay=5)
    assert _scheduledDelays(f, clock, 4) == pytest.approx([1.0, math.e, 5, 5])


def test_clientConnectionLostAlsoRetries(clock: Clock) -> None:
    """A lost connection schedules a retry just like a failed attempt."""
    f = _factory(clock, jitter=None, noisy=False)
    connector = _Connector()
    f.clientConnectionLost(connector, Failure(error.ConnectionLost()))
    assert f.connector is connector
    clock.advance(1.0)
    assert connector.connects == 1


def test_reconnectorClearsCallIDBeforeConnecting(clock: Clock) -> None:
    """The scheduled call clears _callID, then calls connector.connect()."""
    f = _factory(clock, jitter=None, noisy=False)
    seen: list[Any] = []

    class Watching(_Connector):
        def connect(self) -> None:
            seen.append(f._callID)

    f.clientConnectionFailed(Watching(), REFUSED)
    assert f._callID is not None and f._callID.active()
    clock.advance(1.0)
    assert seen == [None]


def test_retryLogLines(clock: Clock, logLines: Callable[[], list[str]]) -> None:
    """Each retry logs '<connector> will retry in <int(delay)> seconds'."""
    f = _factory(clock, jitter=None)
    _scheduledDelays(f, clock, 3)
    assert logLines() == [
        "<Connector> will retry in 1 seconds",
        "<Connector> will retry in 2 seconds",
        "<Connector> will retry in 7 seconds",
    ]


def test_maxRetriesCountsRetriesAndLogsAbandoning(clock: Clock, logLines: Callable[[], list[str]]) -> None:
    """With maxRetries = 3, three retries are scheduled; the fourth failure gives up."""
    f = _factory(clock, jitter=None, maxRetries=3)
    connector = _Connector()
    for _ in range(3):
        f.clientConnectionFailed(connector, REFUSED)
        clock.advance(clock.getDelayedCalls()[0].getTime() - clock.seconds())
    f.clientConnectionFailed(connector, REFUSED)
    assert clock.getDelayedCalls() == []
    assert connector.connects == 3
    assert logLines()[-1] == "Abandoning <Connector> after 4 retries."
    f.clientConnectionFailed(connector, REFUSED)
    assert f.retries == 5  # the counter keeps counting
    assert logLines()[-1] == "Abandoning <Connector> after 5 retries."


def test_quietFactoryDoesNotLog(clock: Clock, logLines: Callable[[], list[str]]) -> None:
    """noisy = False silences the retry lines."""
    f = _factory(clock, jitter=None, noisy=False, maxRetries=0)
    f.clientConnectionFailed(_Connector(), REFUSED)
    assert logLines() == []


def test_stopTrying(clock: Clock, logLines: Callable[[], list[str]]) -> None:
    """stopTrying cancels the pending retry, stops the connector and stops retrying."""
    f = _factory(clock, jitter=None)
    connector = _Connector()
    f.clientConnectionFailed(connector, REFUSED)
    call = f._callID
    f.stopTrying()
    assert not call.active()
    assert (f._callID, f.continueTrying, connector.stops) == (None, 0, 1)
    assert clock.getDelayedCalls() == []
    f.clientConnectionFailed(connector, REFUSED)
    assert clock.getDelayedCalls() == []
    f.retry()
    assert logLines()[-1] == "Abandoning None on explicit request"
    f.retry(connector)
    assert logLines()[-1] == "Abandoning <Connector> on explicit request"


def test_stopTryingSwallowsNotConnectingError(clock: Clock) -> None:
    """A connector that is not connecting is fine to stop."""
    f = _factory(clock, jitter=None, noisy=False)
    f.connector = _Connector(stopRaises=True)
    f.stopTrying()
    assert f.continueTrying == 0


def test_stopTryingWithoutConnector() -> None:
    """stopTrying before any connection attempt just stops."""
    f = ReconnectingClientFactory()
    f.stopTrying()
    assert f.continueTrying == 0


def test_resetDelay(clock: Clock) -> None:
    """resetDelay restores initialDelay, zero retries and continueTrying."""
    f = _factory(clock, jitter=None, noisy=False, initialDelay=2.0)
    _scheduledDelays(f, clock, 2)
    f.stopTrying()
    f.resetDelay()
    assert (f.delay, f.retries, f._callID, f.continueTrying) == (2.0, 0, None, 1)
    assert _scheduledDelays(f, clock, 1) == pytest.approx([2.0])


def test_retryWithoutConnectorRaises() -> None:
    """retry() with no connector given or remembered raises ValueError."""
    with pytest.raises(ValueError, match="^no connector to retry$"):
        ReconnectingClientFactory().retry()


def test_retryUsesTheGivenConnector(clock: Clock) -> None:
    """retry(connector) reconnects that connector."""
    f = _factory(clock, jitter=None, noisy=False)
    connector = _Connector()
    f.retry(connector)
    clock.advance(1.0)
    assert connector.connects == 1


def test_seededJitterIsReproducible(clock: Clock) -> None:
    """The jittered delays follow normalvariate on the stored delay, compounding."""
    f = _factory(clock, noisy=False)
    f._random = random.Random(1234)
    delays = _scheduledDelays(f, clock, 5)

    reference = random.Random(1234)
    expected, delay = [], 1.0
    for _ in range(5):
        delay = reference.normalvariate(delay, delay * f.jitter)  # type: ignore[operator]
        expected.append(delay)
        delay = min(delay * f.factor, f.maxDelay)
    assert delays == pytest.approx(expected)
    assert delays != pytest.approx([1.0, math.e, math.e**2, math.e**3, math.e**4])


def test_negativeJitteredDelayIsClampedToZero(clock: Clock) -> None:
    """A negative draw retries at once instead of crashing callLater (Twisted #8714)."""

    class Unlucky:
        def normalvariate(self, mu: float, sigma: float) -> float:
            return -5.0

    f = _factory(clock, noisy=False)
    f._random = Unlucky()
    connector = _Connector()
    f.clientConnectionFailed(connector, REFUSED)
    assert clock.getDelayedCalls()[0].getTime() == 0.0
    clock.advance(0)
    assert connector.connects == 1
    assert f.delay == 0.0


def test_clockDefaultsToTheGlobalReactor(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a clock, the first retry uses the global reactor, imported then."""
    fakeReactor = Clock()
    monkeypatch.setattr(plait, "reactor", fakeReactor, raising=False)
    f = ReconnectingClientFactory()
    f.jitter = None
    f.noisy = False
    f.clientConnectionFailed(_Connector(), REFUSED)
    assert f.clock is fakeReactor
    assert len(fakeReactor.getDelayedCalls()) == 1


def test_getstateDropsTransientState(clock: Clock) -> None:
    """Pickling drops connector, retries, delay, continueTrying, _callID and clock."""
    f = _factory(clock, jitter=None, noisy=False)
    f.clientConnectionFailed(_Connector(), REFUSED)
    state = f.__getstate__()
    for key in ("connector", "retries", "delay", "continueTrying", "_callID", "clock"):
        assert key not in state
    assert state["jitter"] is None
    f._callID.cancel()
    f._callID = None
    f.clock = None
    f.connector = None
    restored = pickle.loads(pickle.dumps(f))
    assert (restored.delay, restored.retries) == (1.0, 0)


def test_retriesThroughAMemoryReactorConnector() -> None:
    """Driven by a connector from MemoryReactorClock, a refused attempt is retried."""
    reactor = MemoryReactorClock()
    f = _factory(reactor, jitter=None, noisy=False)  # type: ignore[arg-type]
    connector = reactor.connectTCP("127.0.0.1", 4321, f)
    f.clientConnectionFailed(connector, REFUSED)
    assert f.connector is connector
    assert [c.getTime() for c in reactor.getDelayedCalls()] == [1.0]
    reactor.advance(1.0)
    assert reactor.getDelayedCalls() == []
