"""plait.task on fake time: LoopingCall, deferLater, react, Cooperator."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from plait import task
from plait.base import ReactorBase
from plait.defer import CancelledError, Deferred, NotACoroutineError, fail
from plait.failure import Failure
from plait.task import (
    Clock,
    Cooperator,
    LoopingCall,
    NotPaused,
    SchedulerStopped,
    TaskDone,
    TaskFailed,
    TaskStopped,
    deferLater,
    react,
)
from tests.helpers import assertNoResult, failureResultOf, successResultOf

_moduleLambda = lambda: None


def looping(clock: Clock, f: Callable[..., Any], *a: Any, **kw: Any) -> LoopingCall:
    lc = LoopingCall(f, *a, **kw)
    lc.clock = clock
    return lc


# -- LoopingCall ---------------------------------------------------------------------


def test_loopingCallRunsNowThenEveryInterval(clock: Clock) -> None:
    """start(interval) calls f at once, then every interval seconds, with its arguments."""
    seen: list[tuple[float, Any]] = []
    lc = looping(clock, lambda x: seen.append((clock.seconds(), x)), "arg")
    lc.start(2)
    assert seen == [(0, "arg")]
    clock.pump([1, 1, 1, 1])
    assert seen == [(0, "arg"), (2, "arg"), (4, "arg")]
    assert lc.running
    lc.stop()


def test_loopingCallWithNowFalseWaitsAnInterval(clock: Clock) -> None:
    """start(interval, now=False) makes the first call after one interval."""
    seen: list[float] = []
    lc = looping(clock, lambda: seen.append(clock.seconds()))
    lc.start(1.5, now=False)
    assert seen == []
    clock.advance(1.5)
    assert seen == [1.5]
    lc.stop()


def test_loopingCallStartTwiceRaises(clock: Clock) -> None:
    """Starting a running LoopingCall raises Twisted's AssertionError."""
    lc = looping(clock, lambda: None)
    lc.start(1)
    with pytest.raises(AssertionError, match=r"^Tried to start an already running LoopingCall\.$"):
        lc.start(1)
    lc.stop()


def test_loopingCallRejectsNegativeInterval(clock: Clock) -> None:
    """A negative interval raises ValueError('interval must be >= 0') and nothing starts."""
    lc = looping(clock, lambda: None)
    with pytest.raises(ValueError, match=r"^interval must be >= 0$"):
        lc.start(-1)
    assert not lc.running


def test_loopingCallStopAndResetWhenNotRunningRaise(clock: Clock) -> None:
    """stop() and reset() on a stopped LoopingCall raise Twisted's AssertionErrors."""
    lc = looping(clock, lambda: None)
    with pytest.raises(AssertionError, match=r"^Tried to stop a LoopingCall that was not running\.$"):
        lc.stop()
    with pytest.raises(AssertionError, match=r"^Tried to reset a LoopingCall that was not running\.$"):
        lc.reset()


def test_loopingCallStopFiresStartDeferredWithItself(clock: Clock) -> None:
    """stop() fires the start Deferred with the LoopingCall and cancels the pending call."""
    seen: list[int] = []
    lc = looping(clock, seen.append, 1)
    d = lc.start(1)
    lc.stop()
    assert successResultOf(d) is lc
    assert not lc.running
    assert clock.getDelayedCalls() == []
    clock.advance(5)
    assert seen == [1]


def test_loopingCallExceptionStopsAndFailsTheDeferred(clock: Clock) -> None:
    """An exception from f stops the loop (running False) and fails the start Deferred."""
    calls: list[int] = []

    def f() -> None:
        calls.append(1)
        if len(calls) == 2:
            raise ValueError("second call")

    lc = looping(clock, f)
    d = lc.start(1)
    clock.advance(1)
    failureResultOf(d, ValueError)
    assert not lc.running
    clock.advance(5)
    assert len(calls) == 2


def test_loopingCallWaitsForDeferredBeforeRescheduling(clock: Clock) -> None:
    """If f returns a Deferred, the next call is scheduled only once it fires."""
    pending: list[Deferred[None]] = []
    lc = looping(clock, lambda: pending.append(Deferred()) or pending[-1])
    lc.start(1)
    clock.advance(5)
    assert len(pending) == 1
    assert clock.getDelayedCalls() == []
    pending[0].callback(None)
    clock.advance(1)
    assert len(pending) == 2
    lc.stop()


def test_loopingCallFailedDeferredStopsTheLoop(clock: Clock) -> None:
    """A failing Deferred from f errbacks the start Deferred with that failure."""
    lc = looping(clock, lambda: fail(KeyError("k")))
    d = lc.start(1)
    failureResultOf(d, KeyError)
    assert not lc.running


def test_loopingCallStopWhileDeferredPendingFiresWhenItCompletes(clock: Clock) -> None:
    """stop() while f's Deferred is pending: the start Deferred fires when that Deferred does."""
    inner: Deferred[None] = Deferred()
    lc = looping(clock, lambda: inner)
    d = lc.start(1)
    lc.stop()
    assertNoResult(d)
    inner.callback(None)
    assert successResultOf(d) is lc


def test_loopingCallSkipsMissedIntervals(clock: Clock) -> None:
    """After an overrun the next call is at the next slot of the grid; missed slots are skipped."""
    times: list[float] = []
    lc = looping(clock, lambda: times.append(clock.seconds()))
    lc.start(1, now=False)
    clock.advance(3.5)
    assert times == [3.5]
    assert clock.getDelayedCalls()[0].getTime() == 4
    lc.stop()


def test_withCountReportsElapsedIntervals(clock: Clock) -> None:
    """withCount passes the intervals elapsed since the last call: 3 after a long stall, then 1."""
    counts: list[int] = []
    lc = LoopingCall.withCount(counts.append)
    lc.clock = clock
    lc.start(1, now=False)
    clock.advance(3.5)
    clock.advance(1)
    assert counts == [3, 1]
    lc.stop()


def test_withCountStartingNowCountsOne(clock: Clock) -> None:
    """withCount with now=True reports 1 for the immediate call and for each punctual call."""
    counts: list[int] = []
    lc = LoopingCall.withCount(counts.append)
    lc.clock = clock
    lc.start(2)
    clock.pump([2, 2])
    assert counts == [1, 1, 1]
    lc.stop()


def test_zeroIntervalRunsEveryPassWithCountOne(clock: Clock) -> None:
    """interval 0 reschedules with delay 0; withCount then always reports 1."""
    counts: list[int] = []
    lc = LoopingCall.withCount(counts.append)
    lc.clock = clock
    lc.start(0)
    assert counts == [1]
    assert clock.getDelayedCalls()[0].getTime() == 0
    lc.stop()


def test_resetRestartsTheGridFromNow(clock: Clock) -> None:
    """reset() moves the next call one interval from now."""
    times: list[float] = []
    lc = looping(clock, lambda: times.append(clock.seconds()))
    lc.start(2, now=False)
    clock.advance(1.5)
    lc.reset()
    clock.advance(1.5)
    assert times == []
    clock.advance(0.5)
    assert times == [3.5]
    lc.stop()


def test_loopingCallRepr() -> None:
    """repr shows interval, function name, args and kwargs like Twisted's."""
    lc = LoopingCall(_moduleLambda)
    assert repr(lc) == "LoopingCall<None>(<lambda>, *(), **{})"
    lc.interval = 2
    assert repr(lc) == "LoopingCall<2>(<lambda>, *(), **{})"
    assert repr(LoopingCall(print, 1, k=2)) == "LoopingCall<None>(print, *(1,), **{'k': 2})"


def test_deferredAttributeIsDeprecated(clock: Clock) -> None:
    """LoopingCall.deferred still answers but warns, as in Twisted."""
    lc = looping(clock, lambda: None)
    d = lc.start(1)
    with pytest.warns(DeprecationWarning, match="use the deferred returned by start"):
        assert lc.deferred is d
    lc.stop()


def test_loopingCallDoesNotTouchTheGlobalReactorWhenGivenAClock(clock: Clock) -> None:
    """Assigning a clock before start means the global reactor is never looked up."""
    lc = LoopingCall(lambda: None)
    lc.clock = clock
    lc.start(1)
    lc.stop()
    assert lc._clock is clock


# -- deferLater ---------------------------------------------------------------------------


def test_deferLaterFiresWithTheResultAfterTheDelay(clock: Clock) -> None:
    """deferLater fires with callable(*args, **kw) once the delay has passed."""
    d = deferLater(clock, 2, lambda a, b: a + b, 1, b=2)
    clock.advance(1.9)
    assertNoResult(d)
    clock.advance(0.1)
    assert successResultOf(d) == 3


def test_deferLaterWithoutCallableFiresWithNone(clock: Clock) -> None:
    """deferLater(clock, delay) fires with None."""
    d = deferLater(clock, 1)
    clock.advance(1)
    assert successResultOf(d) is None


def test_deferLaterCancelCancelsTheTimer(clock: Clock) -> None:
    """Cancelling the Deferred cancels the timer and fails with CancelledError."""
    called: list[int] = []
    d = deferLater(clock, 1, called.append, 1)
    d.cancel()
    failureResultOf(d, CancelledError)
    assert clock.getDelayedCalls() == []
    clock.advance(2)
    assert called == []


def test_deferLaterCallableExceptionFailsTheDeferred(clock: Clock) -> None:
    """An exception from the callable becomes the Deferred's failure."""
    d = deferLater(clock, 0, lambda: 1 / 0)
    clock.advance(0)
    failureResultOf(d, ZeroDivisionError)


# -- react ---------------------------------------------------------------------------------


class ClockReactor(ReactorBase):
    """ReactorBase on a fake clock: waiting for I/O just moves time."""

    def __init__(self) -> None:
        self.now = 0.0
        super().__init__()

    def seconds(self) -> float:
        return self.now

    def doIteration(self, timeout: float | None) -> None:
        if timeout is None:
            raise AssertionError("the loop would block forever")
        self.now += timeout


def reactExitCode(main: Callable[..., Any], argv: tuple[Any, ...] = (), reactor: Any = None) -> Any:
    r = reactor or ClockReactor()
    r.run = lambda: ReactorBase.run(r, installSignalHandlers=False)  # type: ignore[method-assign]
    with pytest.raises(SystemExit) as info:
        react(main, argv, _reactor=r)
    assert not r.running
    return info.value.code


def test_reactExitsZeroWhenMainSucceeds() -> None:
    """react runs main(reactor, *argv), stops the reactor when its Deferred fires, exits 0."""
    seen: list[Any] = []

    def main(reactor: Any, *argv: Any) -> Deferred[None]:
        seen.append(argv)
        return task.deferLater(reactor, 1, lambda: None)

    assert reactExitCode(main, ("a", "b")) == 0
    assert seen == [("a", "b")]


def test_reactAcceptsACoroutineFunction() -> None:
    """async def main works: its coroutine is wrapped with ensureDeferred."""

    async def main(reactor: Any) -> None:
        await task.deferLater(reactor, 1, lambda: None)

    assert reactExitCode(main) == 0


def test_reactExitsOneAndLogsWhenMainFails(loggedErrors: Any, caplog: pytest.LogCaptureFixture) -> None:
    """A failing main exits 1 after logging 'main function encountered error'."""
    assert reactExitCode(lambda reactor: fail(ValueError("bad"))) == 1
    [failure] = loggedErrors.flush(ValueError)
    assert isinstance(failure, Failure)
    assert any(r.getMessage().startswith("main function encountered error") for r in caplog.records)


def test_reactExitsWithTheCodeOfASystemExitFailure() -> None:
    """A SystemExit failure from main exits with that code."""
    assert reactExitCode(lambda reactor: fail(SystemExit(3))) == 3


def test_reactToleratesAnExternalShutdown() -> None:
    """If the reactor is already shutting down when main finishes, react does not stop it again."""
    done: Deferred[None] = Deferred()

    def main(reactor: Any) -> Deferred[None]:
        reactor.addSystemEventTrigger("before", "shutdown", done.callback, None)
        reactor.callLater(1, reactor.stop)
        return done

    assert reactExitCode(main) == 0


def test_reactRejectsAMainReturningNeitherDeferredNorCoroutine() -> None:
    """main returning a plain value raises NotACoroutineError before the reactor runs."""
    r = ClockReactor()
    with pytest.raises(NotACoroutineError):
        react(lambda reactor: 42, _reactor=r)
    assert r.getDelayedCalls() == []


# -- Cooperator ------------------------------------------------------------------------------


def unitsPerTick(n: int) -> Callable[[], Callable[[], bool]]:
    """A termination predicate factory allowing n work units per tick."""

    def factory() -> Callable[[], bool]:
        left = [n]

        def timeIsUp() -> bool:
            left[0] -= 1
            return left[0] <= 0

        return timeIsUp

    return factory


def cooperator(clock: Clock, n: int = 100, started: bool = True) -> Cooperator:
    return Cooperator(unitsPerTick(n), lambda f: clock.callLater(1, f), started)


def test_coiterateFiresWithTheIteratorWhenExhausted(clock: Clock) -> None:
    """coiterate's Deferred fires with the iterator once it is exhausted."""
    coop = cooperator(clock)
    it = iter(range(3))
    d = coop.coiterate(it)
    assertNoResult(d)
    clock.advance(1)
    assert successResultOf(d) is it


def test_tasksRunRoundRobinWithinTheTimeSlice(clock: Clock) -> None:
    """Tasks alternate one step at a time; a tick stops when the predicate says so, and the next resumes."""
    trace: list[str] = []

    def steps(name: str) -> Iterator[None]:
        for i in range(3):
            trace.append(f"{name}{i}")
            yield None

    coop = cooperator(clock, n=3)
    coop.cooperate(steps("a"))
    coop.cooperate(steps("b"))
    clock.advance(1)
    assert trace == ["a0", "b0", "a1"]
    clock.advance(1)
    assert trace == ["a0", "b0", "a1", "b1", "a2", "b2"]


def test_yieldedDeferredPausesTheTaskUntilItFires(clock: Clock) -> None:
    """A task that yields a Deferred does no more work until that Deferred fires."""
    gate: Deferred[None] = Deferred()
    trace: list[str] = []

    def steps() -> Iterator[Any]:
        trace.append("before")
        yield gate
        trace.append("after")

    coop = cooperator(clock)
    done = coop.cooperate(steps()).whenDone()
    clock.advance(5)
    assert trace == ["before"]
    gate.callback(None)
    clock.advance(1)
    assert trace == ["before", "after"]
    successResultOf(done)


def test_iteratorExceptionFailsTheTask(clock: Clock) -> None:
    """An exception from the iterator fails whenDone; stop() then raises TaskFailed."""

    def steps() -> Iterator[None]:
        yield None
        raise KeyError("broken")

    coop = cooperator(clock)
    t = coop.cooperate(steps())
    d = t.whenDone()
    clock.advance(1)
    failureResultOf(d, KeyError)
    with pytest.raises(TaskFailed):
        t.stop()


def test_failedYieldedDeferredFailsTheTask(clock: Clock) -> None:
    """A yielded Deferred that fails ends the task with that failure."""
    coop = cooperator(clock)
    t = coop.cooperate(iter([fail(ValueError("v"))]))
    d = t.whenDone()
    clock.advance(1)
    failureResultOf(d, ValueError)


def test_stopEndsTheTaskWithTaskStopped(clock: Clock) -> None:
    """stop() fails whenDone with TaskStopped; stopping again raises TaskStopped."""
    coop = cooperator(clock)
    t = coop.cooperate(iter(range(10)))
    d = t.whenDone()
    t.stop()
    failureResultOf(d, TaskStopped)
    with pytest.raises(TaskStopped):
        t.stop()
    assert clock.getDelayedCalls() == []


def test_finishedTaskRaisesTaskDoneAndWhenDoneFiresAtOnce(clock: Clock) -> None:
    """After completion pause()/stop() raise TaskDone and a new whenDone fires immediately."""
    coop = cooperator(clock)
    it = iter([1])
    t = coop.cooperate(it)
    clock.advance(1)
    assert successResultOf(t.whenDone()) is it
    with pytest.raises(TaskDone):
        t.pause()


def test_pauseAndResumeNest(clock: Clock) -> None:
    """Two pauses need two resumes; resume without pause raises NotPaused."""
    coop = cooperator(clock)
    t = coop.cooperate(iter([None]))
    t.pause()
    t.pause()
    clock.advance(1)
    t.resume()
    assert clock.getDelayedCalls() == []
    t.resume()
    with pytest.raises(NotPaused):
        t.resume()
    clock.advance(1)
    successResultOf(t.whenDone())


def test_stoppingTheCooperatorStopsItsTasks(clock: Clock) -> None:
    """Cooperator.stop() fails every task with SchedulerStopped, and later tasks too."""
    coop = cooperator(clock)
    d1 = coop.cooperate(iter(range(10))).whenDone()
    coop.stop()
    failureResultOf(d1, SchedulerStopped)
    assert not coop.running
    failureResultOf(coop.coiterate(iter(range(3))), SchedulerStopped)
    assert clock.getDelayedCalls() == []


def test_unstartedCooperatorWaitsForStart(clock: Clock) -> None:
    """Cooperator(started=False) schedules nothing until start()."""
    coop = cooperator(clock, started=False)
    d = coop.coiterate(iter(range(2)))
    assert not coop.running
    assert clock.getDelayedCalls() == []
    coop.start()
    assert coop.running
    clock.advance(1)
    successResultOf(d)


def test_moduleLevelHelpersUseTheGlobalCooperator(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    """task.cooperate and task.coiterate delegate to the module's Cooperator."""
    monkeypatch.setattr(task, "_theCooperator", cooperator(clock))
    d = task.coiterate(iter(range(2)))
    t = task.cooperate(iter(range(2)))
    clock.advance(1)
    successResultOf(d)
    successResultOf(t.whenDone())


def test_defaultTimeSliceIsTenMilliseconds() -> None:
    """The default termination predicate allows a 0.01 s slice."""
    assert task._TimeSlice.MAX_SLICE == 0.01
    assert task._TimeSlice()() is False
