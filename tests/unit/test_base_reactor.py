"""ReactorBase on fake time and fake I/O: lifecycle, triggers, timers, thread queue, resolution."""

from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from typing import Any

import pytest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from plait import error
from plait.base import DelayedCall, ReactorBase, _ReactorState
from plait.defer import Deferred, fail, succeed
from plait.interfaces import (
    IHostnameResolver,
    IReactorCore,
    IReactorPluggableNameResolver,
    IReactorPluggableResolver,
    IReactorThreads,
    IReactorTime,
    IResolutionReceiver,
    IResolverSimple,
)
from tests.helpers import failureResultOf, successResultOf


class FakeReactor(ReactorBase):
    """ReactorBase whose clock is a number and whose I/O wait advances it.

    ``ioEvents`` are callables run (one per iteration) instead of sleeping,
    standing in for descriptors becoming ready.
    """

    def __init__(self) -> None:
        self.now = 1000.0
        self.timeouts: list[float | None] = []
        self.ioEvents: list[Callable[[], object]] = []
        self.wakeups = 0
        super().__init__()

    def seconds(self) -> float:
        return self.now

    def doIteration(self, timeout: float | None) -> None:
        self.timeouts.append(timeout)
        if self.ioEvents:
            self.ioEvents.pop(0)()
        elif timeout is None:
            raise AssertionError("the loop would block forever")
        else:
            self.now += timeout

    def wakeUp(self) -> None:
        self.wakeups += 1


@pytest.fixture
def fake() -> FakeReactor:
    return FakeReactor()


def runToStop(r: FakeReactor) -> None:
    r.run(installSignalHandlers=False)


def test_fakeReactorProvidesTheCoreInterfaces(fake: FakeReactor) -> None:
    """ReactorBase declares and implements the time, core, thread and resolver interfaces."""
    for iface in (
        IReactorCore, IReactorTime, IReactorThreads,
        IReactorPluggableResolver, IReactorPluggableNameResolver,
    ):
        assert verifyObject(iface, fake)


# -- lifecycle -------------------------------------------------------------------


def test_startupPhasesRunInOrderAndSeeRunning(fake: FakeReactor) -> None:
    """Startup fires before (not running), during (running), after (running)."""
    trace: list[tuple[str, bool]] = []
    for phase in ("after", "during", "before"):
        fake.addSystemEventTrigger(phase, "startup", lambda p=phase: trace.append((p, fake.running)))
    fake.callWhenRunning(fake.stop)
    runToStop(fake)
    assert trace == [("before", False), ("during", True), ("after", True)]


def test_callWhenRunningBeforeRunReturnsATriggerID(fake: FakeReactor) -> None:
    """Before run, callWhenRunning defers to after-startup and returns its ID; while running it calls at once."""
    seen: list[str] = []
    triggerID = fake.callWhenRunning(seen.append, "later")
    assert triggerID == ("startup", ("after", seen.append, ("later",), {}))

    def whileRunning() -> None:
        assert fake.callWhenRunning(seen.append, "now") is None
        assert seen == ["later", "now"]
        fake.stop()

    fake.callWhenRunning(whileRunning)
    runToStop(fake)
    assert seen == ["later", "now"]


def test_stopWhenNotRunningRaisesReactorNotRunning(fake: FakeReactor) -> None:
    """stop() before run raises ReactorNotRunning with Twisted's message."""
    with pytest.raises(error.ReactorNotRunning, match=r"^Can't stop reactor that isn't running\.$"):
        fake.stop()


def test_secondStopRaisesReactorNotRunning(fake: FakeReactor) -> None:
    """A second stop() while the first is pending raises ReactorNotRunning."""
    raised: list[BaseException] = []

    def stopTwice() -> None:
        fake.stop()
        try:
            fake.stop()
        except error.ReactorNotRunning as e:
            raised.append(e)

    fake.callWhenRunning(stopTwice)
    runToStop(fake)
    assert len(raised) == 1


def test_reactorIsNotRestartableAfterStop(fake: FakeReactor) -> None:
    """run() after a stop() raises ReactorNotRestartable, and stop() then raises ReactorNotRunning."""
    fake.callWhenRunning(fake.stop)
    runToStop(fake)
    with pytest.raises(error.ReactorNotRestartable):
        fake.run(installSignalHandlers=False)
    with pytest.raises(error.ReactorNotRunning):
        fake.stop()


def test_runWhileRunningRaisesReactorAlreadyRunning(fake: FakeReactor) -> None:
    """run() from inside the running loop raises ReactorAlreadyRunning."""
    raised: list[BaseException] = []

    def reenter() -> None:
        try:
            fake.run(installSignalHandlers=False)
        except error.ReactorAlreadyRunning as e:
            raised.append(e)
        fake.stop()

    fake.callWhenRunning(reenter)
    runToStop(fake)
    assert len(raised) == 1


def test_crashedReactorCanRunAgain(fake: FakeReactor) -> None:
    """crash() ends run() without shutdown events; run() then works again, firing startup again."""
    trace: list[str] = []
    fake.addSystemEventTrigger("before", "shutdown", trace.append, "shutdown")
    fake.callWhenRunning(trace.append, "started 1")
    fake.callLater(1, fake.crash)
    runToStop(fake)
    assert not fake.running
    assert trace == ["started 1"]
    fake.callWhenRunning(trace.append, "started 2")
    fake.callLater(1, fake.stop)
    runToStop(fake)
    assert trace == ["started 1", "started 2", "shutdown"]


def test_crashWhenNotRunningIsANoOp(fake: FakeReactor) -> None:
    """crash() on a reactor that is not running changes nothing."""
    fake.crash()
    fake.callWhenRunning(fake.stop)
    runToStop(fake)
    fake.crash()
    assert fake._state is _ReactorState.STOPPED


def test_shutdownPhasesOrderAndRunningFlag(fake: FakeReactor) -> None:
    """Shutdown fires before (still running), then during and after (running already False)."""
    trace: list[tuple[str, bool]] = []
    for phase in ("after", "during", "before"):
        fake.addSystemEventTrigger(phase, "shutdown", lambda p=phase: trace.append((p, fake.running)))
    fake.callWhenRunning(fake.stop)
    runToStop(fake)
    assert trace == [("before", True), ("during", False), ("after", False)]


def test_stopFromATimerShutsDownAtTheEndOfThatPass(fake: FakeReactor) -> None:
    """stop() in a timer fires shutdown in the same pass, before any further I/O wait."""
    trace: list[str] = []
    fake.addSystemEventTrigger("before", "shutdown", lambda: trace.append(f"shutdown after {len(fake.timeouts)} waits"))
    fake.callLater(5, fake.stop)
    runToStop(fake)
    assert trace == ["shutdown after 1 waits"]
    assert fake.timeouts == [5.0]


def test_beforeShutdownDeferredIsAwaited(fake: FakeReactor) -> None:
    """During/after-shutdown triggers wait for a Deferred returned by a before trigger; the loop keeps running meanwhile."""
    trace: list[str] = []
    pending: Deferred[None] = Deferred()

    def before() -> Deferred[None]:
        fake.callLater(3, lambda: (trace.append("timer while waiting"), pending.callback(None)))
        return pending

    fake.addSystemEventTrigger("before", "shutdown", before)
    fake.addSystemEventTrigger("during", "shutdown", trace.append, "during")
    fake.callWhenRunning(fake.stop)
    runToStop(fake)
    assert trace == ["timer while waiting", "during"]


def test_failedBeforeShutdownDeferredIsLoggedAndShutdownContinues(fake: FakeReactor, loggedErrors: Any) -> None:
    """A before-shutdown Deferred that fails is logged; the other phases still run."""
    trace: list[str] = []
    fake.addSystemEventTrigger("before", "shutdown", lambda: fail(KeyError("x")))
    fake.addSystemEventTrigger("after", "shutdown", trace.append, "after")
    fake.callWhenRunning(fake.stop)
    runToStop(fake)
    assert trace == ["after"]
    assert len(loggedErrors.flush(KeyError)) == 1


def test_triggerExceptionIsLoggedAndOthersRun(fake: FakeReactor, loggedErrors: Any) -> None:
    """A trigger that raises is logged and the remaining triggers of every phase still run."""
    trace: list[str] = []

    def boom() -> None:
        raise ValueError("boom")

    fake.addSystemEventTrigger("before", "custom", boom)
    fake.addSystemEventTrigger("before", "custom", trace.append, "before")
    fake.addSystemEventTrigger("during", "custom", boom)
    fake.addSystemEventTrigger("after", "custom", trace.append, "after")
    fake.fireSystemEvent("custom")
    assert trace == ["before", "after"]
    assert len(loggedErrors.flush(ValueError)) == 2


def test_systemEventTriggersAreConsumedByFiring(fake: FakeReactor) -> None:
    """Firing an event runs its triggers once; firing again runs nothing; unknown events are no-ops."""
    trace: list[str] = []
    fake.addSystemEventTrigger("during", "custom", trace.append, "x")
    fake.fireSystemEvent("custom")
    fake.fireSystemEvent("custom")
    fake.fireSystemEvent("never-registered")
    assert trace == ["x"]


def test_removedTriggerDoesNotRun(fake: FakeReactor) -> None:
    """A removed trigger does not run; removing it again raises Twisted's ValueError."""
    trace: list[str] = []
    triggerID = fake.addSystemEventTrigger("before", "custom", trace.append, "removed")
    fake.addSystemEventTrigger("before", "custom", trace.append, "kept")
    fake.removeSystemEventTrigger(triggerID)
    with pytest.raises(ValueError, match=r"^list\.remove\(x\): x not in list$"):
        fake.removeSystemEventTrigger(triggerID)
    fake.fireSystemEvent("custom")
    assert trace == ["kept"]


@pytest.mark.parametrize(
    "badID, exception",
    [
        (None, TypeError),
        (("custom",), ValueError),
        (("custom", 3), ValueError),
        (("custom", ("bogus", print, (), {})), KeyError),
        (("no-such-event", ("before", print, (), {})), KeyError),
    ],
)
def test_malformedTriggerIDsAreRejected(fake: FakeReactor, badID: Any, exception: type) -> None:
    """removeSystemEventTrigger rejects malformed IDs with ValueError, KeyError or TypeError."""
    fake.addSystemEventTrigger("before", "custom", print)
    with pytest.raises(exception):
        fake.removeSystemEventTrigger(badID)


def test_addTriggerValidatesPhaseAndCallable(fake: FakeReactor) -> None:
    """An unknown phase raises KeyError('invalid phase'); a non-callable raises AssertionError."""
    with pytest.raises(KeyError, match="invalid phase"):
        fake.addSystemEventTrigger("sometime", "startup", print)
    with pytest.raises(AssertionError, match=r"^3 is not callable$"):
        fake.addSystemEventTrigger("before", "startup", 3)


def test_stopDuringStartupStillCompletesStartup(fake: FakeReactor) -> None:
    """stop() in a before-startup trigger: startup completes (running True), then shutdown follows."""
    trace: list[tuple[str, bool]] = []
    fake.addSystemEventTrigger("before", "startup", fake.stop)
    fake.callWhenRunning(lambda: trace.append(("after startup", fake.running)))
    fake.addSystemEventTrigger("during", "shutdown", lambda: trace.append(("during shutdown", fake.running)))
    runToStop(fake)
    assert trace == [("after startup", True), ("during shutdown", False)]


def test_invalidTransitionNamesBothStates(fake: FakeReactor) -> None:
    """The state machine refuses an illegal transition with an error naming both states."""
    with pytest.raises(RuntimeError, match="reactor cannot go from idle to shutting down"):
        fake._setState(_ReactorState.SHUTTING_DOWN)


def test_mainLoopTerminatedIsLogged(fake: FakeReactor, caplog: pytest.LogCaptureFixture) -> None:
    """run() logs 'Main loop terminated.' when it returns."""
    caplog.set_level(logging.INFO, logger="plait")
    fake.callWhenRunning(fake.stop)
    runToStop(fake)
    assert "Main loop terminated." in [r.getMessage() for r in caplog.records]


# -- timers ----------------------------------------------------------------------


def test_callLaterRejectsNegativeDelayWithTwistedsMessage(fake: FakeReactor) -> None:
    """callLater(-1) raises AssertionError('-1 is not greater than or equal to 0 seconds')."""
    with pytest.raises(AssertionError, match=r"^-1 is not greater than or equal to 0 seconds$"):
        fake.callLater(-1, print)
    with pytest.raises(AssertionError, match="is not greater than or equal to 0 seconds"):
        fake.callLater(float("nan"), print)


def test_secondsIsTheMonotonicClock() -> None:
    """ReactorBase.seconds() reads time.monotonic (a documented divergence from Twisted's time.time)."""
    import time

    before = time.monotonic()
    now = ReactorBase.seconds(FakeReactor())
    assert before <= now <= time.monotonic()


def test_callLaterRejectsANonCallable(fake: FakeReactor) -> None:
    """callLater with something not callable fails at once, not when due."""
    with pytest.raises(AssertionError, match=r"^3 is not callable$"):
        fake.callLater(1, 3)  # type: ignore[arg-type]


def test_timersFireInDueOrder(fake: FakeReactor) -> None:
    """Timers fire by due time whatever the scheduling order."""
    seen: list[int] = []
    for delay in (3, 1, 4, 1.5, 2):
        fake.callLater(delay, seen.append, delay)
    fake.callLater(5, fake.stop)
    runToStop(fake)
    assert seen == [1, 1.5, 2, 3, 4]


def test_callsScheduledByATimerWaitForTheNextPass(fake: FakeReactor) -> None:
    """A callLater(0) made while timers run is run after the next I/O wait, not in the same pass."""
    trace: list[tuple[str, int]] = []

    def first() -> None:
        trace.append(("first", len(fake.timeouts)))
        fake.callLater(0, lambda: (trace.append(("second", len(fake.timeouts))), fake.stop()))

    fake.callLater(0, first)
    runToStop(fake)
    assert trace == [("first", 0), ("second", 1)]
    assert fake.timeouts == [0.0]


def test_timerExceptionIsLoggedAndLoopContinues(fake: FakeReactor, loggedErrors: Any) -> None:
    """An exception in a timed call is logged and the reactor keeps running later timers."""

    def boom() -> None:
        raise ZeroDivisionError()

    fake.callLater(1, boom)
    fake.callLater(2, fake.stop)
    runToStop(fake)
    assert fake._state is _ReactorState.STOPPED
    assert len(loggedErrors.flush(ZeroDivisionError)) == 1


def test_timeoutIsTimeToNextTimerClamped(fake: FakeReactor) -> None:
    """timeout() is None with nothing to do, the time to the next timer, 0 if overdue, capped at 2147483 s."""
    assert fake.timeout() is None
    far = fake.callLater(10**9, print)
    assert fake.timeout() == 2147483.0
    near = fake.callLater(2, print)
    assert fake.timeout() == 2.0
    fake.now += 5
    assert fake.timeout() == 0.0
    near.cancel()
    far.cancel()
    assert fake.timeout() is None


def test_getDelayedCallsListsPendingCalls(fake: FakeReactor) -> None:
    """getDelayedCalls returns scheduled calls that neither ran nor were cancelled."""
    kept = fake.callLater(1, print)
    fake.callLater(1, print).cancel()
    assert fake.getDelayedCalls() == [kept]
    kept.cancel()


def test_iterateRunsDueCallsThenWaits(fake: FakeReactor) -> None:
    """iterate(delay) runs what is due, then waits for I/O at most delay seconds."""
    seen: list[int] = []
    fake.callLater(0, seen.append, 1)
    fake.iterate(0.25)
    assert seen == [1]
    assert fake.timeouts == [0.25]


# -- calls from threads ------------------------------------------------------------


def test_callFromThreadRunsInOrderAtTheStartOfAPassAndWakes(fake: FakeReactor) -> None:
    """callFromThread queues FIFO, wakes the loop, and a call queued by a queued call waits a pass."""
    trace: list[tuple[str, int]] = []

    def first() -> None:
        trace.append(("first", len(fake.timeouts)))
        fake.callFromThread(lambda: (trace.append(("queued by first", len(fake.timeouts))), fake.stop()))

    fake.callFromThread(first)
    fake.callFromThread(lambda: trace.append(("second", len(fake.timeouts))))
    assert fake.wakeups == 2
    runToStop(fake)
    assert trace == [("first", 0), ("second", 0), ("queued by first", 1)]
    assert fake.timeouts == [0.0]  # a pending thread call means no sleeping


def test_callFromThreadExceptionIsLogged(fake: FakeReactor, loggedErrors: Any) -> None:
    """An exception from a thread call is logged and later calls still run."""
    seen: list[int] = []
    fake.callFromThread(lambda: 1 / 0)
    fake.callFromThread(seen.append, 1)
    fake.runUntilCurrent()
    assert seen == [1]
    assert len(loggedErrors.flush(ZeroDivisionError)) == 1


def test_threadPoolIsLazyStartedWhenRunningAndStoppedAtShutdown(fake: FakeReactor) -> None:
    """getThreadPool creates one pool (min 0, max 10), started once running and stopped at shutdown."""
    assert fake.threadpool is None
    pool = fake.getThreadPool()
    assert fake.getThreadPool() is pool
    assert (pool.min, pool.max, pool.started) == (0, 10, False)
    fake.suggestThreadPoolSize(4)
    assert pool.max == 4
    states: list[bool] = []
    fake.callWhenRunning(lambda: (states.append(pool.started), fake.stop()))
    runToStop(fake)
    assert states == [True]
    assert not pool.started and pool.joined
    assert fake.threadpool is None


# -- signals -------------------------------------------------------------------------


def test_signalStopsTheReactorThroughTheThreadQueue(fake: FakeReactor, caplog: pytest.LogCaptureFixture) -> None:
    """A SIGTERM handler call records the signal, logs it, and stops the reactor on the next pass."""
    caplog.set_level(logging.INFO, logger="plait")
    fake.callLater(1, fake._handleSignal, signal.SIGTERM, None)
    fake.callLater(1, lambda: fake._handleSignal(signal.SIGTERM, None))  # a second signal is harmless
    fake.callLater(100, print)
    runToStop(fake)
    assert fake._exitSignal == signal.SIGTERM
    assert fake._state is _ReactorState.STOPPED
    messages = [r.getMessage() for r in caplog.records]
    assert messages.count("Received SIGTERM, shutting down.") == 2
    for call in fake.getDelayedCalls():
        call.cancel()


# -- name resolution -------------------------------------------------------------------


@implementer(IResolverSimple)
class DictResolver:
    def __init__(self, names: dict[str, str]) -> None:
        self.names = names
        self.asked: list[tuple[str, Any]] = []

    def getHostByName(self, name: str, timeout: Any = ()) -> Deferred[str]:
        self.asked.append((name, timeout))
        if name in self.names:
            return succeed(self.names[name])
        return fail(error.DNSLookupError(name))


def test_resolveAnswersEmptyAndIPv4LiteralsWithoutAResolver(fake: FakeReactor) -> None:
    """resolve('') is 0.0.0.0 and an IPv4 literal is itself, without asking the resolver."""
    resolver = DictResolver({})
    fake.installResolver(resolver)
    assert successResultOf(fake.resolve("")) == "0.0.0.0"
    assert successResultOf(fake.resolve("127.0.0.1")) == "127.0.0.1"
    assert resolver.asked == []


def test_resolveAsksTheInstalledResolverWithTheTimeouts(fake: FakeReactor) -> None:
    """resolve(name) asks resolver.getHostByName(name, timeout), default (1, 3, 11, 45)."""
    resolver = DictResolver({"example.test": "127.0.0.5"})
    fake.installResolver(resolver)
    assert successResultOf(fake.resolve("example.test")) == "127.0.0.5"
    failureResultOf(fake.resolve("missing.test", (2,)), error.DNSLookupError)
    assert resolver.asked == [("example.test", (1, 3, 11, 45)), ("missing.test", (2,))]


def test_resolveRejectsNonStrNames(fake: FakeReactor) -> None:
    """resolve(b'...') raises TypeError at once."""
    with pytest.raises(TypeError):
        fake.resolve(b"localhost")  # type: ignore[arg-type]


def test_installResolverReturnsPreviousAndAdaptsNameResolver(fake: FakeReactor) -> None:
    """installResolver returns the old resolver and makes nameResolver an adapter over the new one."""
    resolver = DictResolver({"a.test": "127.0.0.9"})
    previous = fake.installResolver(resolver)
    assert IResolverSimple.providedBy(previous)
    assert fake.resolver is resolver
    assert IHostnameResolver.providedBy(fake.nameResolver)
    found: list[Any] = []

    @implementer(IResolutionReceiver)
    class Receiver:
        def resolutionBegan(self, resolution: Any) -> None:
            found.append(("began", resolution.name))

        def addressResolved(self, address: Any) -> None:
            found.append(address)

        def resolutionComplete(self) -> None:
            found.append("complete")

    fake.nameResolver.resolveHostName(Receiver(), "a.test", 80)
    assert [str(x) for x in found] == [
        "('began', 'a.test')", "IPv4Address(type='TCP', host='127.0.0.9', port=80)", "complete",
    ]
    with pytest.raises(TypeError):
        fake.installResolver(object())


def test_installNameResolverReturnsPreviousAndAdaptsResolver(fake: FakeReactor) -> None:
    """installNameResolver returns the old one and makes resolver a simplifier over the new one."""

    @implementer(IHostnameResolver)
    class Static:
        def resolveHostName(self, receiver: Any, hostName: str, portNumber: int = 0,
                            addressTypes: Any = None, transportSemantics: str = "TCP") -> Any:
            from plait.address import IPv4Address, IPv6Address

            receiver.resolutionBegan(type("R", (), {"name": hostName})())
            receiver.addressResolved(IPv6Address("TCP", "::1", portNumber))
            receiver.addressResolved(IPv4Address("TCP", "127.0.0.3", portNumber))
            receiver.resolutionComplete()

    previous = fake.nameResolver
    assert fake.installNameResolver(Static()) is previous
    assert successResultOf(fake.resolve("anything.test")) == "127.0.0.3"
    with pytest.raises(TypeError):
        fake.installNameResolver(object())


# -- Twisted 26.10 names and behaviours (issue 12) -------------------------------------


def test_instanceSecondsOverrideIsHonoured() -> None:
    """reactor.seconds = f: callLater and the timer queue use f; del restores."""

    class Plain(ReactorBase):
        def doIteration(self, timeout: float | None) -> None:
            raise AssertionError("not run")

    fake = Plain()
    now = [1000.0]
    fake.seconds = lambda: now[0]
    seen: list[str] = []
    call = fake.callLater(5, seen.append, "due")
    assert call.getTime() == 1005.0
    assert fake.seconds() == 1000.0
    assert fake.timeout() == 5.0
    fake.runUntilCurrent()
    assert seen == []
    now[0] = 1005.0
    assert fake.timeout() == 0.0
    fake.runUntilCurrent()
    assert seen == ["due"]
    del fake.seconds
    assert abs(fake.seconds() - ReactorBase.seconds(fake)) < 1.0
    with pytest.raises(TypeError):
        fake.seconds = 3


def test_fdSetMethodsAreTheSubclasses(fake: FakeReactor) -> None:
    """ReactorBase names IReactorFDSet's methods; a subclass must implement them."""
    base = ReactorBase()
    for name, args in [("addReader", (1,)), ("addWriter", (1,)), ("removeReader", (1,)),
                       ("removeWriter", (1,)), ("removeAll", ()), ("getReaders", ()),
                       ("getWriters", ()), ("installWaker", ())]:
        with pytest.raises(NotImplementedError, match=f"did not implement {name}"):
            getattr(base, name)(*args)
    assert (ReactorBase.installed, ReactorBase.waker, base.threadpoolShutdownID) == (False, None, None)


def test_threadpoolShutdownIDIsTheTrigger(fake: FakeReactor) -> None:
    fake.getThreadPool()
    try:
        assert fake.threadpoolShutdownID[0] == "shutdown"
    finally:
        fake._stopThreadPool()


def test_sigIntStopsTheReactor(fake: FakeReactor) -> None:
    """sigInt/sigTerm/sigBreak are Twisted's handler methods: stop from the loop."""
    assert ReactorBase.sigTerm is ReactorBase.sigInt is ReactorBase.sigBreak
    fake.startRunning(installSignalHandlers=False)
    fake.sigInt(signal.SIGINT)
    assert fake._exitSignal == signal.SIGINT
    fake.runUntilCurrent()  # the queued stop runs; shutdown fires on the next pass
    assert not fake.running


def test_blockingResolver() -> None:
    from plait.base import BlockingResolver

    resolver = BlockingResolver()
    assert successResultOf(resolver.getHostByName("localhost")) == "127.0.0.1"
    failure = failureResultOf(resolver.getHostByName("no-such-host.invalid"), error.DNSLookupError)
    assert failure.getErrorMessage() == "DNS lookup failed: address 'no-such-host.invalid' not found."


def test_baseHoldsTwistedsOtherNames() -> None:
    import plait.base
    from plait._threadpool import ThreadPool
    from plait.connector import BaseConnector

    assert plait.base.ThreadPool is ThreadPool and plait.base.BaseConnector is BaseConnector
    with pytest.raises(AttributeError):
        plait.base.NoSuchName  # noqa: B018


def test_timeoutFollowsACallMovedLater(fake: FakeReactor) -> None:
    """A call reset to a later time moves timeout() with it and fires once, at the new time."""
    seen: list[float] = []
    call = fake.callLater(2, lambda: seen.append(fake.now))
    call.reset(30)
    assert fake.timeout() == 30.0
    fake.now += 10
    call.reset(30)
    assert fake.timeout() == 30.0
    fake.callLater(45, fake.stop)
    runToStop(fake)
    assert seen == [1040.0]


def test_callLaterBuildsTheSameCallAsDelayedCallInit(fake: FakeReactor) -> None:
    """callLater fills a DelayedCall without __init__: every field must match."""
    call = fake.callLater(2, _record, 1, key="v")
    when = call.time
    built = DelayedCall(when, _record, (1,), {"key": "v"}, fake._cancelTimer, fake._moveTimer, fake._secondsFn)
    for name in DelayedCall.__slots__:
        if name in ("__dict__", "creator"):
            continue
        assert getattr(call, name) == getattr(built, name), name
    assert not hasattr(call, "creator") and not hasattr(built, "creator")
    assert call.getTime() == when and call.active()
    call.cancel()
    built.cancelled = True


def test_callLaterRecordsTheCreatorWhenDebugging(fake: FakeReactor, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DelayedCall, "debug", True)
    call = fake.callLater(1, _record)
    assert "test_callLaterRecordsTheCreatorWhenDebugging" in call.creator[-1]
    call.cancel()


def _record(*args: object, **kw: object) -> None:
    pass


def test_callLaterWithoutKeywordsSharesAReadOnlyEmptyMapping(fake: FakeReactor) -> None:
    """No per-call dict is kept for a call without keyword arguments (one GC
    object per pending call, not two); it still reads as empty, and nobody
    can put into it what every other call would then receive."""
    first, second = fake.callLater(1, _record), fake.callLater(2, _record, 1)
    assert first.kw == {} and second.kw == {} and not first.kw
    with pytest.raises(TypeError):
        first.kw["leak"] = True  # type: ignore[index]
    assert fake.callLater(3, _record, key="v").kw == {"key": "v"}
    for call in fake.getDelayedCalls():
        call.cancel()
