"""DelayedCall, task.Clock and the reactor's _TimerQueue, all on fake time."""

from __future__ import annotations

import re
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from plait import error
from plait.base import DelayedCall, _TimerQueue
from plait.interfaces import IDelayedCall, IReactorTime
from plait.task import Clock


def _noop(*args: object, **kw: object) -> None:
    pass


# -- DelayedCall through Clock -------------------------------------------------


def test_delayedCallProvidesIDelayedCall(clock: Clock) -> None:
    """A Clock's callLater returns an IDelayedCall provider; Clock is IReactorTime."""
    call = clock.callLater(1, _noop)
    assert verifyObject(IDelayedCall, call)
    assert verifyObject(IReactorTime, clock)


def test_getTimeIsScheduleTimePlusDelay(clock: Clock) -> None:
    """getTime() is the clock's time at scheduling plus the delay."""
    clock.advance(10)
    assert clock.callLater(2.5, _noop).getTime() == 12.5


def test_callRunsOnceWhenDue(clock: Clock) -> None:
    """The call runs with its arguments once its time comes, and only once."""
    seen: list[Any] = []
    call = clock.callLater(3, lambda *a, **kw: seen.append((a, kw)), 1, 2, x=3)
    clock.advance(2.9)
    assert seen == []
    assert call.active()
    clock.advance(0.1)
    assert seen == [((1, 2), {"x": 3})]
    assert call.called and not call.active()
    clock.advance(10)
    assert len(seen) == 1


def test_cancelPreventsTheCall(clock: Clock) -> None:
    """A cancelled call never runs, is inactive, and leaves getDelayedCalls."""
    seen: list[int] = []
    call = clock.callLater(1, seen.append, 1)
    call.cancel()
    clock.advance(5)
    assert seen == []
    assert call.cancelled and not call.active()
    assert clock.getDelayedCalls() == []


def test_cancelDropsFunctionAndArguments(clock: Clock) -> None:
    """Cancelling releases the function and arguments, as Twisted does."""
    call = clock.callLater(1, _noop, object())
    call.cancel()
    assert not hasattr(call, "func")
    assert not hasattr(call, "args")


@pytest.mark.parametrize("operation", ["cancel", "reset", "delay"])
def test_operationsAfterCallRaiseAlreadyCalled(clock: Clock, operation: str) -> None:
    """cancel/reset/delay on a call that ran raise AlreadyCalled."""
    call = clock.callLater(1, _noop)
    clock.advance(1)
    method = getattr(call, operation)
    with pytest.raises(error.AlreadyCalled):
        method() if operation == "cancel" else method(1)


@pytest.mark.parametrize("operation", ["cancel", "reset", "delay"])
def test_operationsAfterCancelRaiseAlreadyCancelled(clock: Clock, operation: str) -> None:
    """cancel/reset/delay on a cancelled call raise AlreadyCancelled."""
    call = clock.callLater(1, _noop)
    call.cancel()
    method = getattr(call, operation)
    with pytest.raises(error.AlreadyCancelled):
        method() if operation == "cancel" else method(1)


def test_resetMovesTheCallRelativeToNow(clock: Clock) -> None:
    """reset(n) reschedules the call n seconds from now, earlier or later."""
    seen: list[str] = []
    call = clock.callLater(10, seen.append, "x")
    clock.advance(2)
    call.reset(1)
    assert call.getTime() == 3
    clock.advance(1)
    assert seen == ["x"]
    later = clock.callLater(1, seen.append, "y")
    later.reset(5)
    clock.advance(4.5)
    assert seen == ["x"]
    clock.advance(0.5)
    assert seen == ["x", "y"]


def test_delayPushesTheCallLater(clock: Clock) -> None:
    """delay(n) adds n seconds to the due time; getTime reflects it."""
    seen: list[int] = []
    call = clock.callLater(3, seen.append, 1)
    call.delay(2)
    assert call.getTime() == 5
    assert call.delayed_time == 2
    clock.advance(4)
    assert seen == []
    clock.advance(1)
    assert seen == [1]


def test_reprShowsTimeFlagsAndCall(clock: Clock) -> None:
    """repr matches Twisted's: address, seconds left, flags, function and args."""
    call = clock.callLater(5, print, "fired")
    assert re.fullmatch(r"<DelayedCall 0x[0-9a-f]+ \[5\.0s\] called=0 cancelled=0 print\('fired'\)>", repr(call))
    keyed = clock.callLater(1.5, _noop, 1, k=2)
    assert repr(keyed).endswith("[1.5s] called=0 cancelled=0 _noop(1, k=2)>")
    clock.advance(5)
    assert "called=1 cancelled=0 print('fired')" in repr(call)


def test_reprOfCancelledCallOmitsTheFunction(clock: Clock) -> None:
    """A cancelled call's repr shows cancelled=1 and no function."""
    call = clock.callLater(5, print, "fired")
    call.cancel()
    assert repr(call).endswith("[5.0s] called=0 cancelled=1>")


def test_debugRecordsTheCreationStack(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    """With DelayedCall.debug set, creator holds the stack and repr shows it."""
    monkeypatch.setattr(DelayedCall, "debug", True)
    call = clock.callLater(1, _noop)
    assert call.creator
    assert "traceback at creation" in repr(call)


# -- Clock ---------------------------------------------------------------------


def test_clockRunsCallsInDueOrder(clock: Clock) -> None:
    """advance runs due calls earliest first; equal times in scheduling order."""
    seen: list[str] = []
    clock.callLater(3, seen.append, "c")
    clock.callLater(1, seen.append, "a1")
    clock.callLater(2, seen.append, "b")
    clock.callLater(1, seen.append, "a2")
    clock.advance(10)
    assert seen == ["a1", "a2", "b", "c"]


def test_clockRunsCallsScheduledDuringAdvanceIfDue(clock: Clock) -> None:
    """A call scheduled during advance for no later than now runs in that advance."""
    seen: list[str] = []
    clock.callLater(1, lambda: clock.callLater(0, seen.append, "nested"))
    clock.callLater(1, lambda: clock.callLater(5, seen.append, "late"))
    clock.advance(1)
    assert seen == ["nested"]


def test_clockPropagatesExceptionsToAdvance(clock: Clock) -> None:
    """An exception in a call propagates to the caller of advance, unlogged."""

    def boom() -> None:
        raise ValueError("boom")

    call = clock.callLater(1, boom)
    with pytest.raises(ValueError):
        clock.advance(1)
    assert call.called


def test_clockGetDelayedCallsIsTheSortedCallsList(clock: Clock) -> None:
    """getDelayedCalls is the calls list itself, sorted by due time even after moves."""
    late = clock.callLater(5, _noop)
    early = clock.callLater(1, _noop)
    assert clock.getDelayedCalls() is clock.calls
    assert clock.calls == [early, late]
    early.reset(10)
    assert clock.calls == [late, early]


def test_clockPumpAdvancesByEachAmount(clock: Clock) -> None:
    """pump advances by each amount in turn."""
    times: list[float] = []
    for t in (1, 2, 3):
        clock.callLater(t, lambda: times.append(clock.seconds()))
    clock.pump([1, 1, 1])
    assert times == [1, 2, 3]
    assert clock.seconds() == 3


def test_clockRejectsNegativeDelay(clock: Clock) -> None:
    """Clock rejects a negative delay like the real reactor (a documented divergence)."""
    with pytest.raises(AssertionError, match=r"^-1 is not greater than or equal to 0 seconds$"):
        clock.callLater(-1, _noop)


# -- _TimerQueue ---------------------------------------------------------------


class _FakeTime:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def _schedule(q: _TimerQueue, now: float, delay: float, f: Any, *args: Any) -> DelayedCall:
    call = DelayedCall(now + delay, f, args, {}, q.cancelled, q.rescheduled, lambda: now)
    q.add(call, call.getTime())
    return call


def _makeQueue() -> tuple[_TimerQueue, _FakeTime]:
    t = _FakeTime()
    return _TimerQueue(t), t


def test_queueRunsDueCallsInOrderWithFIFOTies() -> None:
    """Due calls run earliest first; calls due at the same time run in scheduling order."""
    q, t = _makeQueue()
    seen: list[str] = []
    for name, delay in [("c", 3), ("a1", 1), ("b", 2), ("a2", 1), ("a3", 1)]:
        _schedule(q, t.now, delay, seen.append, name)
    t.now += 2
    q.runDue()
    assert seen == ["a1", "a2", "a3", "b"]
    t.now += 1
    q.runDue()
    assert seen == ["a1", "a2", "a3", "b", "c"]


def test_queueCallsAddedDuringAPassWaitForTheNext() -> None:
    """A call scheduled (even with delay 0) while due calls run waits for the next pass."""
    q, t = _makeQueue()
    seen: list[str] = []
    _schedule(q, t.now, 0, lambda: _schedule(q, t.now, 0, seen.append, "second"))
    q.runDue()
    assert seen == []
    q.runDue()
    assert seen == ["second"]


def test_queueTiesBetweenHeapAndRunKeepSchedulingOrder() -> None:
    """Entries merged in small batches (heap) and big batches (run) interleave by time, then age."""
    q, t = _makeQueue()
    seen: list[int] = []
    for i in range(20):  # one big batch: becomes the sorted run
        _schedule(q, t.now, 5, seen.append, i)
    q.runDue()
    _schedule(q, t.now, 5, seen.append, 20)  # a small batch: goes to the heap
    _schedule(q, t.now, 1, seen.append, -1)
    q.runDue()
    assert q._heap, "the small batch should have gone to the heap"
    t.now += 5
    q.runDue()
    assert seen == [-1, *range(21)]


def test_queueSmallBatchesGoToTheHeapEvenWithLittlePending() -> None:
    """A call or two per pass is pushed onto the heap, not re-sorted with the rest."""
    q, t = _makeQueue()
    seen: list[int] = []
    _schedule(q, t.now, 5, seen.append, 1)
    q.runDue()
    _schedule(q, t.now, 1, seen.append, 0)
    q.runDue()
    assert len(q._heap) == 2 and not q._runTimes
    for i in range(2, 2 + _TimerQueue._SORT_BATCH):  # a big batch still makes a run
        _schedule(q, t.now, 5, seen.append, i)
    q.runDue()
    assert len(q._runTimes) == 2 + _TimerQueue._SORT_BATCH and not q._heap
    t.now += 5
    q.runDue()
    assert seen == list(range(2 + _TimerQueue._SORT_BATCH))


def test_queueRunsALoneDueNewCallWithoutTheHeap() -> None:
    """One new due call, earlier than everything pending, runs straight from
    the new entries (_runFirstNew); what is pending stays where it was."""
    q, t = _makeQueue()
    seen: list[str] = []
    _schedule(q, t.now, 10, seen.append, "later")
    q.runDue()
    merged: list[int] = []
    q._merge = lambda: merged.append(1)  # type: ignore[method-assign]
    _schedule(q, t.now, 0, seen.append, "now")
    q.runDue()
    assert seen == ["now"] and merged == []
    assert len(q._heap) == 1 and not q._newTimes
    del q._merge
    t.now += 10
    q.runDue()
    assert seen == ["now", "later"]


def test_queueLoneNewCallWaitsForAnEarlierOrEqualPendingOne() -> None:
    """Equal due times run in scheduling order: a pending call filed earlier
    for the same time (or an earlier one) runs before the new call."""
    q, t = _makeQueue()
    seen: list[str] = []
    _schedule(q, t.now, 1, seen.append, "first")
    _schedule(q, t.now, 3, seen.append, "earlier")
    q.runDue()
    t.now += 1
    _schedule(q, t.now, 0, seen.append, "second")  # due at the same time as "first"
    q.runDue()
    assert seen == ["first", "second"]
    t.now += 3
    _schedule(q, t.now, 0, seen.append, "new")  # "earlier" was due before it
    q.runDue()
    assert seen == ["first", "second", "earlier", "new"]


def test_queueLoneNewCallSchedulingMoreWithTimersPending() -> None:
    """What a lone new call schedules waits for the next pass, as in the
    general path, even though pending timers make the pass go on."""
    q, t = _makeQueue()
    seen: list[str] = []
    _schedule(q, t.now, 10, seen.append, "later")
    q.runDue()
    _schedule(q, t.now, 0, lambda: _schedule(q, t.now, 0, seen.append, "next pass"))
    q.runDue()
    assert seen == []
    q.runDue()
    assert seen == ["next pass"]


def test_queueLoneNewCallCancelledOrMovedLater() -> None:
    """A cancelled lone new call is dropped (the dead count stays right); one
    moved later runs at its new time."""
    q, t = _makeQueue()
    seen: list[str] = []
    _schedule(q, t.now, 10, seen.append, "later")
    q.runDue()
    _schedule(q, t.now, 0, seen.append, "cancelled").cancel()
    assert q._dead == 1
    q.runDue()
    assert seen == [] and q._dead == 0 and len(q) == 1
    moved = _scheduleOn(q, t, 0, seen.append, "moved")
    moved.delay(5)
    q.runDue()
    assert seen == []
    t.now += 5
    q.runDue()
    assert seen == ["moved"]
    t.now += 5
    q.runDue()
    assert seen == ["moved", "later"]


def test_queueSkipsCancelledEntriesLazily() -> None:
    """Cancelled calls stay in the structure until reached, then are skipped."""
    q, t = _makeQueue()
    seen: list[int] = []
    calls = [_schedule(q, t.now, i, seen.append, i) for i in range(10)]
    calls[3].cancel()
    assert len(q) == 10
    t.now += 20
    q.runDue()
    assert seen == [0, 1, 2, 4, 5, 6, 7, 8, 9]
    assert len(q) == 0 and q._dead == 0


def test_queueCompactsWhenDeadEntriesExceedHalf() -> None:
    """Once cancelled entries are more than half of all entries, they are removed."""
    q, t = _makeQueue()
    calls = [_schedule(q, t.now, 1 + i, _noop) for i in range(100)]
    q.runDue()  # merge into the run
    for call in calls[:50]:
        call.cancel()
    assert len(q) == 100  # exactly half dead: not yet
    calls[50].cancel()
    assert len(q) == 49
    assert q._dead == 0
    assert q.pending() == calls[51:]


def test_queueResetAndDelayMoveTheLiveEntry() -> None:
    """After reset/delay the call runs once, at its new time, and the old entry is dead."""
    q, t = _makeQueue()
    seen: list[str] = []
    earlier = _schedule(q, t.now, 10, seen.append, "earlier")
    later = _schedule(q, t.now, 1, seen.append, "later")
    q.runDue()
    earlier.reset(2)  # relative to the call's clock (t.now at scheduling)
    later.delay(5)
    t.now += 2
    q.runDue()
    assert seen == ["earlier"]
    t.now += 10
    q.runDue()
    assert seen == ["earlier", "later"]
    assert q.pending() == []


def test_queueResetToTheSameTimeRunsOnce() -> None:
    """A call reset to its current due time has two entries but runs once."""
    q, t = _makeQueue()
    seen: list[int] = []
    call = _schedule(q, t.now, 1, seen.append, 1)
    call.reset(1)
    assert q.pending() == [call]
    t.now += 1
    q.runDue()
    assert seen == [1]
    assert len(q) == 0


def test_queueNextTimeSkipsDeadEntries() -> None:
    """nextTime reports the earliest live call, ignoring cancelled ones; None when empty."""
    q, t = _makeQueue()
    assert q.nextTime() is None
    first = _schedule(q, t.now, 1, _noop)
    _schedule(q, t.now, 2, _noop)
    first.cancel()
    assert q.nextTime() == t.now + 2


def test_queueLogsExceptionsAndContinues(loggedErrors: Any) -> None:
    """An exception in a timed call is logged and later calls still run."""
    q, t = _makeQueue()
    seen: list[int] = []

    def boom() -> None:
        raise ZeroDivisionError()

    _schedule(q, t.now, 0, boom)
    _schedule(q, t.now, 0, seen.append, 1)
    q.runDue()
    assert seen == [1]
    assert len(loggedErrors.flush(ZeroDivisionError)) == 1


def test_queuePendingListsLiveCallsOnly() -> None:
    """pending() lists calls neither run nor cancelled, wherever their entry is."""
    q, t = _makeQueue()
    ran = _schedule(q, t.now, 0, _noop)
    cancelled = _schedule(q, t.now, 5, _noop)
    waiting = _schedule(q, t.now, 5, _noop)
    cancelled.cancel()
    q.runDue()
    fresh = _schedule(q, t.now, 1, _noop)
    assert ran.called
    assert q.pending() == [waiting, fresh]


# -- Twisted 26.10's DelayedCall details (issue 12) --------------------------------


def test_delayedCallsOrderByTime(clock: Clock) -> None:
    """<, <=, >, >= compare the scheduled time, as Twisted's do."""
    early, late = clock.callLater(1, _noop), clock.callLater(2, _noop)
    same = clock.callLater(1, _noop)
    assert early < late and early <= late and late > early and late >= early
    assert early <= same and early >= same and not early < same
    assert sorted([late, early]) == [early, late]
    assert early != same  # ordering is not identity


def test_debugCanBeSetPerCall(clock: Clock) -> None:
    """debug is a class default that one call may override (and carry other attributes)."""
    call = clock.callLater(1, _noop)
    call.debug = True
    assert call.debug is True and DelayedCall.debug is False
    call.note = "mine"  # type: ignore[attr-defined]
    assert clock.callLater(1, _noop).debug is False


def test_debugRecordsTheCreator(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(DelayedCall, "debug", True)
    call = clock.callLater(1, _noop)
    assert "traceback at creation" in repr(call)
    assert any("test_debugRecordsTheCreator" in line for line in call.creator)


def test_activateDelay(clock: Clock) -> None:
    """activate_delay folds delayed_time into time; the due time stays."""
    call = clock.callLater(1, _noop)
    call.delay(2)
    due = call.getTime()
    call.activate_delay()
    assert (call.time, call.delayed_time, call.getTime()) == (due, 0.0, due)


# -- Lazy moves to a later time (issue 16: reset() per packet) ------------------------


def test_resetLaterOnlyGrowsDelayedTime(clock: Clock) -> None:
    """reset() to a later time keeps ``time`` and sets ``delayed_time``, as Twisted does."""
    call = clock.callLater(5, _noop)
    clock.advance(1)
    call.reset(10)
    assert (call.time, call.delayed_time, call.getTime()) == (5, 6, 11)
    call.reset(2)  # earlier than time: time moves, the delay is dropped
    assert (call.time, call.delayed_time, call.getTime()) == (3, 0.0, 3)
    call.delay(1)
    call.delay(-2)  # below time again: folded, time moves
    assert (call.time, call.delayed_time, call.getTime()) == (2, 0.0, 2)
    call.cancel()


def test_clockCallsStaySortedAfterALaterMove(clock: Clock) -> None:
    """A Clock's calls re-sort on every move, even the lazy ones, and run in due order."""
    seen: list[str] = []
    a = clock.callLater(1, seen.append, "a")
    clock.callLater(2, seen.append, "b")
    a.reset(3)
    assert [c.getTime() for c in clock.calls] == [2, 3]
    a.delay(-2.5)
    assert [c.getTime() for c in clock.calls] == [0.5, 2]
    clock.advance(3)
    assert seen == ["a", "b"]


def _scheduleOn(q: _TimerQueue, t: _FakeTime, delay: float, f: Any, *args: Any) -> DelayedCall:
    """Like _schedule, but the call reads the moving fake time (for reset())."""
    call = DelayedCall(t.now + delay, f, args, {}, q.cancelled, q.rescheduled, t)
    q.add(call, call.time)
    return call


def test_queueResetLaterFilesNothing() -> None:
    """Moving a call later adds no entry: the queue re-files it once, when its old time comes."""
    q, t = _makeQueue()
    seen: list[int] = []
    call = _scheduleOn(q, t, 1, seen.append, 1)
    q.runDue()
    for _ in range(1000):
        t.now += 0.001
        call.reset(1)  # an idle timeout pushed back on every packet
    assert len(q) == 1 and q._dead == 0
    assert call.time == 101.0 and call.getTime() == t.now + 1
    assert q.nextTime() == call.getTime()  # folded in: no early wake-up
    assert len(q) == 1 and call.delayed_time == 0.0
    t.now = call.getTime()
    q.runDue()
    assert seen == [1]
    assert len(q) == 0 and q._dead == 0


def test_queueLateCallRefiledInThePassThatReachesIt() -> None:
    """A moved call whose new time is also due runs in the pass that reaches its old entry."""
    q, t = _makeQueue()
    seen: list[str] = []
    moved = _schedule(q, t.now, 1, seen.append, "moved")
    _schedule(q, t.now, 2, seen.append, "other")
    moved.delay(0.5)
    t.now += 3
    q.runDue()
    assert seen == ["moved", "other"]
    assert len(q) == 0


def test_queueEarlierThenBackLaterRunsOnce() -> None:
    """Moved earlier (a new entry) and back to the old time (two live-looking entries): runs once."""
    q, t = _makeQueue()
    seen: list[int] = []
    call = _scheduleOn(q, t, 5, seen.append, 1)
    q.runDue()
    call.reset(1)  # earlier: a new entry, the old one dies
    call.reset(5)  # later again: only delayed_time
    assert q.pending() == [call]
    t.now += 1
    q.runDue()  # the early entry folds in and is re-filed at the old time
    assert seen == []
    t.now += 4
    q.runDue()
    assert seen == [1]
    assert len(q) == 0


def test_queueActivateDelayKeepsThePendingCall() -> None:
    """activate_delay() on a pending call re-files it: it still runs at its due time."""
    q, t = _makeQueue()
    seen: list[int] = []
    call = _schedule(q, t.now, 1, seen.append, 1)
    call.delay(2)
    call.activate_delay()
    assert (call.time, call.delayed_time) == (t.now + 3, 0.0)
    t.now += 1
    q.runDue()
    assert seen == []
    t.now += 2
    q.runDue()
    assert seen == [1]
    assert len(q) == 0 and q._dead == 0


def test_queueCompactionKeepsLateCalls() -> None:
    """Compaction keeps a live call that was moved later, and it runs at its new time."""
    q, t = _makeQueue()
    seen: list[str] = []
    late = _scheduleOn(q, t, 1, seen.append, "late")
    doomed = [_schedule(q, t.now, 2, _noop) for _ in range(10)]
    q.runDue()
    late.reset(50)
    for call in doomed:
        call.cancel()
    assert len(q) < 11  # compacted at least once, the late call's entry kept
    assert q.pending() == [late]
    t.now += 49
    q.runDue()
    assert seen == []
    t.now += 1
    q.runDue()
    assert seen == ["late"]
