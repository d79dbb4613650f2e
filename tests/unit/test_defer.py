"""Unit tests for plait.defer: Deferred, its constructors and its helpers.

Coroutine and asyncio bridges are in test_defer_coroutines.py; the
model-based tests are in test_defer_properties.py.
"""

from __future__ import annotations

import gc
import itertools
import sys
from typing import Any

import pytest

from plait import defer, error
from plait.defer import (
    AlreadyCalledError,
    CancelledError,
    Deferred,
    DeferredList,
    DeferredLock,
    DeferredQueue,
    DeferredSemaphore,
    FailureGroup,
    FirstError,
    QueueOverflow,
    QueueUnderflow,
)
from plait.failure import Failure, NoCurrentExceptionError
from tests.helpers import assertNoResult, failureResultOf, successResultOf


class Boom(Exception):
    """The exception these tests raise on purpose."""


@pytest.fixture
def debugging() -> Any:
    """Turn Deferred debugging on for one test."""
    defer.setDebugging(True)
    yield
    defer.setDebugging(False)


def recorder(trace: list[Any], name: str) -> Any:
    """A callback that records ``(name, result)`` and passes the result on."""

    def record(result: Any) -> Any:
        trace.append((name, result))
        return result

    return record


def returning(value: Any) -> Any:
    """A callback that ignores its argument and returns ``value``."""
    return lambda ignored: value


def collect() -> None:
    """Collect garbage so that dropped Deferreds report unhandled failures."""
    for _ in range(3):
        gc.collect()


# --- adding callbacks and firing ---------------------------------------------


def test_addMethodsReturnTheDeferredItself(clock: Any) -> None:
    """Every add* method (and chainDeferred) returns the Deferred it was called on."""
    d: Deferred[int] = Deferred()
    assert d.addCallback(lambda r: r) is d
    assert d.addErrback(lambda f: f) is d
    assert d.addBoth(lambda r: r) is d
    assert d.addCallbacks(lambda r: r, lambda f: f) is d
    assert d.addTimeout(1, clock) is d
    assert d.chainDeferred(Deferred()) is d
    d.callback(1)


def test_callbacksRunInOrderEachGettingThePreviousResult() -> None:
    """Each callback receives what the one before it returned."""
    d: Deferred[int] = Deferred()
    d.addCallback(lambda r: r + 1).addCallback(lambda r: r * 10)
    d.callback(1)
    assert successResultOf(d) == 20


def test_callbackArgumentsAndKeywordsArePassed() -> None:
    """Extra positional and keyword arguments follow the result."""
    d: Deferred[int] = Deferred()
    d.addCallback(lambda r, a, b=0: (r, a, b), 2, b=3)
    d.callback(1)
    assert successResultOf(d) == (1, 2, 3)


def test_addCallbacksPassesEachSideItsOwnArguments() -> None:
    """addCallbacks keeps callbackArgs/Keywords apart from errbackArgs/Keywords."""
    ok: Deferred[int] = Deferred()
    ok.addCallbacks(
        lambda r, a, k: ("cb", r, a, k),
        lambda f, a, k: ("eb", a, k),
        callbackArgs=(1,),
        callbackKeywords={"k": 2},
        errbackArgs=(3,),
        errbackKeywords={"k": 4},
    )
    ok.callback(0)
    assert successResultOf(ok) == ("cb", 0, 1, 2)
    bad: Deferred[int] = Deferred()
    bad.addCallbacks(
        lambda r, a, k: ("cb", a, k),
        lambda f, a, k: ("eb", f.check(Boom), a, k),
        callbackArgs=(1,),
        callbackKeywords={"k": 2},
        errbackArgs=(3,),
        errbackKeywords={"k": 4},
    )
    bad.errback(Boom())
    assert successResultOf(bad) == ("eb", Boom, 3, 4)


def test_addCallbacksToleratesNoneForArgumentsAndKeywords() -> None:
    """None for any args/keywords parameter means "none"."""
    d: Deferred[int] = Deferred()
    d.addCallbacks(lambda r: r + 1, None, None, None, None, None)
    d.callback(1)
    assert successResultOf(d) == 2


def test_addCallbacksWithoutErrbackPassesFailuresThrough() -> None:
    """errback=None leaves a failure untouched for the next errback."""
    d: Deferred[int] = Deferred()
    d.addCallbacks(lambda r: "not called")
    d.errback(Boom("x"))
    assert failureResultOf(d, Boom).getErrorMessage() == "x"


def test_callbackAddedAfterFiringRunsImmediately() -> None:
    """A callback added to a fired Deferred runs synchronously inside add*."""
    d = defer.succeed(5)
    seen: list[int] = []
    d.addCallback(seen.append)
    assert seen == [5]
    assert d.result is None


def test_exceptionInCallbackSwitchesToTheErrbackPath() -> None:
    """A raising callback skips later callbacks and reaches the next errback."""
    trace: list[Any] = []

    def explode(r: object) -> None:
        raise Boom("bad")

    d: Deferred[int] = Deferred()
    d.addCallback(explode)
    d.addCallback(recorder(trace, "skipped"))
    d.addErrback(lambda f: trace.append(("eb", f.value.args)) or "recovered")
    d.addCallback(recorder(trace, "after"))
    d.callback(1)
    assert trace == [("eb", ("bad",)), ("after", "recovered")]


def test_returningAFailureSwitchesToTheErrbackPath() -> None:
    """A callback returning a Failure selects the next errback."""
    d: Deferred[int] = Deferred()
    d.addCallback(lambda r: Failure(Boom(r)))
    d.callback(3)
    assert failureResultOf(d, Boom).value.args == (3,)


def test_addBothSeesResultsAndFailures() -> None:
    """addBoth's function is called on either path."""
    seen: list[Any] = []
    defer.succeed(1).addBoth(seen.append)
    defer.fail(Boom()).addBoth(seen.append)
    assert seen[0] == 1
    assert isinstance(seen[1], Failure) and seen[1].check(Boom)


def test_errbackReturningAValueResumesTheCallbackPath() -> None:
    """An errback that returns a non-Failure hands it to the next callback."""
    d: Deferred[int] = Deferred()
    d.addErrback(lambda f: 7).addCallback(lambda r: r + 1)
    d.errback(Boom())
    assert successResultOf(d) == 8


def test_callbackTwiceRaisesAlreadyCalledError() -> None:
    """A second callback or errback raises AlreadyCalledError with no message."""
    d: Deferred[int] = Deferred()
    d.callback(1)
    with pytest.raises(AlreadyCalledError) as info:
        d.callback(2)
    assert str(info.value) == ""
    with pytest.raises(AlreadyCalledError):
        d.errback(Boom())
    assert successResultOf(d) == 1


def test_alreadyCalledErrorNamesCreatorAndInvokerWhenDebugging(debugging: None) -> None:
    """With debugging on, AlreadyCalledError shows the creation and first-fire stacks."""
    d: Deferred[int] = Deferred()
    d.callback(1)
    with pytest.raises(AlreadyCalledError) as info:
        d.callback(2)
    message = str(info.value)
    assert " C: Deferred was created:" in message
    assert " I: First Invoker was:" in message
    assert "test_alreadyCalledErrorNamesCreatorAndInvokerWhenDebugging" in message


def test_callbackWithAFailureIsAnErrback() -> None:
    """callback(someFailure) behaves like errback(someFailure)."""
    d: Deferred[int] = Deferred()
    failure = Failure(Boom())
    d.callback(failure)  # type: ignore[arg-type]
    assert failureResultOf(d) is failure


def test_callbackWithADeferredStoresItWithoutChaining() -> None:
    """A Deferred passed to callback() is the result, not something to wait on."""
    inner: Deferred[int] = Deferred()
    d: Deferred[Any] = Deferred()
    d.callback(inner)
    assert d.result is inner
    seen: list[Any] = []
    d.addCallback(seen.append)
    assert seen == [inner]
    inner.callback(1)


def test_errbackWithoutArgumentCapturesTheCurrentException() -> None:
    """errback() inside an except block wraps the exception being handled."""
    d: Deferred[int] = Deferred()
    try:
        raise Boom("now")
    except Boom:
        d.errback()
    failure = failureResultOf(d, Boom)
    assert failure.getErrorMessage() == "now"
    assert failure.tb is not None


def test_errbackWithoutArgumentOutsideExceptRaises() -> None:
    """errback() with no exception being handled raises NoCurrentExceptionError."""
    with pytest.raises(NoCurrentExceptionError):
        Deferred().errback()


def test_errbackWithAnExceptionWrapsItInAFailure() -> None:
    """errback(exc) delivers Failure(exc), without a traceback."""
    d: Deferred[int] = Deferred()
    exc = Boom()
    d.errback(exc)
    failure = failureResultOf(d)
    assert failure.value is exc
    assert failure.tb is None


def test_resultIsAbsentBeforeFiring() -> None:
    """Reading result before the Deferred fires raises AttributeError."""
    d: Deferred[int] = Deferred()
    with pytest.raises(AttributeError):
        _ = d.result
    assert not d.called
    d.callback(1)
    assert d.called and d.result == 1


def test_classAttributesMatchTwisted() -> None:
    """called, paused and debug are class attributes with Twisted's defaults."""
    assert Deferred.called is False
    assert Deferred.paused == 0
    assert Deferred.debug is False
    assert Deferred._suppressAlreadyCalled is False
    assert Deferred._runningCallbacks is False
    assert Deferred._chainedTo is None


def test_reprShowsStateAndClassName() -> None:
    """repr reads <Name at 0x..>, with the result or what it waits on."""
    d: Deferred[int] = Deferred()
    assert repr(d) == f"<Deferred at 0x{id(d):x}>"
    assert str(d) == repr(d)
    d.callback(5)
    assert repr(d) == f"<Deferred at 0x{id(d):x} current result: 5>"
    inner: Deferred[int] = Deferred()
    outer: Deferred[int] = Deferred()
    outer.addCallback(lambda r: inner)
    outer.callback(0)
    assert repr(outer) == f"<Deferred at 0x{id(outer):x} waiting on Deferred at 0x{id(inner):x}>"
    dl = DeferredList([])
    assert repr(dl) == f"<DeferredList at 0x{id(dl):x} current result: []>"
    inner.callback(1)


@pytest.mark.parametrize("method", ["addCallback", "addErrback", "addBoth", "addCallbacks"])
def test_nonCallableCallbackRaisesTypeError(method: str) -> None:
    """Adding something that cannot be called fails at once with TypeError."""
    d: Deferred[int] = Deferred()
    with pytest.raises(TypeError, match="must be callable"):
        getattr(d, method)(42)
    assert d._callbacks == []


def test_nonCallableErrbackOrCancellerRaisesTypeError() -> None:
    """addCallbacks' errback and the canceller are checked too."""
    with pytest.raises(TypeError, match="errback must be callable"):
        Deferred().addCallbacks(lambda r: r, "nope")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="canceller must be callable"):
        Deferred("nope")  # type: ignore[arg-type]


def test_callbackAddedFromInsideACallbackRunsInTheSameLoop() -> None:
    """Re-entrant add* does not recurse: the new callback runs after the current one."""
    trace: list[Any] = []
    d: Deferred[int] = Deferred()

    def first(r: int) -> int:
        d.addCallback(recorder(trace, "added"))
        trace.append(("first done", r))
        return r + 1

    d.addCallback(first)
    d.addCallback(recorder(trace, "second"))
    d.callback(1)
    assert trace == [("first done", 1), ("second", 2), ("added", 2)]


def test_firingAgainFromInsideACallbackFailsTheChain() -> None:
    """A callback that calls callback() on its own Deferred gets AlreadyCalledError."""
    d: Deferred[int] = Deferred()
    d.addCallback(lambda r: d.callback(2))
    d.callback(1)
    failureResultOf(d, AlreadyCalledError)


def test_callbackCatchesBaseExceptions() -> None:
    """Even a BaseException from a callback becomes a Failure in the chain."""
    d: Deferred[int] = Deferred()

    def leave(r: object) -> None:
        raise SystemExit(3)

    d.addCallback(leave)
    d.callback(1)
    assert failureResultOf(d, SystemExit).value.code == 3


# --- chaining ------------------------------------------------------------------


def test_callbackReturningAFiredDeferredTakesItsResult() -> None:
    """The outer chain continues with the inner result; the inner keeps None."""
    inner = defer.succeed("inner")
    d: Deferred[int] = Deferred()
    d.addCallback(lambda r: inner)
    d.callback(1)
    assert successResultOf(d) == "inner"
    assert inner.result is None


def test_callbackReturningAnUnfiredDeferredWaitsForIt() -> None:
    """The outer chain pauses until the inner Deferred fires."""
    inner: Deferred[str] = Deferred()
    trace: list[Any] = []
    d: Deferred[int] = Deferred()
    d.addCallback(lambda r: inner).addCallback(recorder(trace, "after"))
    d.callback(1)
    assert trace == []
    assert d.paused == 1 and d._chainedTo is inner
    inner.callback("late")
    assert trace == [("after", "late")]
    assert d.paused == 0 and d._chainedTo is None
    assert inner.result is None


def test_innerFailureReachesTheOuterErrbacksAndIsNotReported(loggedErrors: Any) -> None:
    """A failure of the inner Deferred belongs to the outer one once taken."""
    inner: Deferred[str] = Deferred()
    d: Deferred[int] = Deferred()
    d.addCallback(returning(inner))
    d.callback(1)
    inner.errback(Boom())
    failureResultOf(d, Boom)
    del inner, d
    collect()
    assert loggedErrors.flush() == []


def test_waitingOnADeferredThatIsPausedWaitsForUnpause() -> None:
    """A fired but paused inner Deferred is waited for, not taken."""
    inner = defer.succeed(5)
    inner.pause()
    d: Deferred[int] = Deferred()
    d.addCallback(lambda r: inner)
    d.callback(0)
    assertNoResult(d)
    inner.unpause()
    assert successResultOf(d) == 5


def test_longChainOfWaitingDeferredsUnwindsWithoutRecursion() -> None:
    """100,000 Deferreds, each waiting on the next, all fire without RecursionError."""
    count = 100_000
    ds: list[Deferred[Any]] = [Deferred() for _ in range(count)]
    for here, there in itertools.pairwise(ds):
        here.addCallback(lambda ignored, there=there: there)
    for d in ds[:-1]:
        d.callback(None)
    assert ds[0].paused == 1
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        ds[-1].callback("done")
    finally:
        sys.setrecursionlimit(limit)
    assert successResultOf(ds[0]) == "done"
    assert all(d.result is None for d in ds[1:])


def test_longChainOfFiredDeferredsIsTakenWithoutRecursion() -> None:
    """Returning already-fired Deferreds 100,000 times uses no extra stack."""
    d: Deferred[int] = Deferred()
    for _ in range(100_000):
        d.addCallback(lambda r: defer.succeed(r + 1))
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        d.callback(0)
    finally:
        sys.setrecursionlimit(limit)
    assert successResultOf(d) == 100_000


def test_handingOffKeepsRunningTheInnerDeferredsLaterCallbacks() -> None:
    """After the waiting Deferred takes its result, the inner continues with None."""
    inner: Deferred[str] = Deferred()
    outer: Deferred[int] = Deferred()
    outer.addCallback(lambda r: inner)
    outer.callback(0)
    trace: list[Any] = []
    inner.addCallback(recorder(trace, "inner later"))
    outer.addCallback(recorder(trace, "outer"))
    inner.callback("x")
    assert trace == [("outer", "x"), ("inner later", None)]


def test_innerCallbacksRunEvenWhenTheWaiterIsPaused() -> None:
    """If the waiting Deferred is paused, the inner one still finishes its chain.

    Twisted leaves the inner Deferred's remaining callbacks queued here.
    """
    inner: Deferred[str] = Deferred()
    outer: Deferred[int] = Deferred()
    outer.addCallback(lambda r: inner)
    outer.callback(0)
    trace: list[Any] = []
    inner.addCallback(recorder(trace, "inner later"))
    outer.addCallback(recorder(trace, "outer"))
    outer.pause()
    inner.callback("x")
    assert trace == [("inner later", None)]
    assert outer.result == "x" and outer._chainedTo is None
    outer.unpause()
    assert trace == [("inner later", None), ("outer", "x")]


def test_nestedHandOffsFinishEveryDeferredsRemainingCallbacks() -> None:
    """A waits on B waits on C: the outermost chain runs first, then B's, then C's leftovers."""
    trace: list[Any] = []
    a: Deferred[Any] = Deferred()
    b: Deferred[Any] = Deferred()
    c: Deferred[Any] = Deferred()
    b.addCallback(lambda r: c)
    a.addCallback(lambda r: b)
    a.callback(None)  # a waits on b
    b.addCallback(recorder(trace, "b extra"))
    b.callback(None)  # b waits on c
    c.addCallback(recorder(trace, "c extra"))
    a.addCallback(recorder(trace, "a"))
    c.callback("v")
    assert trace == [("a", "v"), ("b extra", None), ("c extra", None)]


def test_pausedInnerFailureIsNotReportedOnceTheWaiterTakesIt(loggedErrors: Any) -> None:
    """A failure parked on a paused inner Deferred moves to its waiter on unpause."""
    inner: Deferred[Any] = Deferred()
    inner.pause()
    outer: Deferred[Any] = Deferred()
    outer.addCallback(returning(inner))
    outer.callback(None)
    inner.errback(Boom())
    assert inner._unhandled is not None
    inner.unpause()
    assert inner._unhandled is None and inner.result is None
    failureResultOf(outer, Boom)
    del inner, outer
    collect()
    assert loggedErrors.records == []


def test_callbackReturningItsOwnDeferredWarns() -> None:
    """Returning the Deferred from its own callback warns (and the chain stalls)."""
    d: Deferred[Any] = Deferred()
    d.addCallback(lambda r: d)
    with pytest.warns(DeprecationWarning, match="Callback returned the Deferred it was attached to"):
        d.callback(1)
    assert d.paused == 1


def test_selfReturnWarningForANonFunctionCallable() -> None:
    """The warning also works for callables without a code object."""

    class Returner:
        def __call__(self, result: object) -> object:
            return d

    d: Deferred[Any] = Deferred()
    d.addCallback(Returner())
    with pytest.warns(DeprecationWarning, match="breaks the callback chain"):
        d.callback(1)


def test_chainDeferredFiresTheOtherDeferred() -> None:
    """chainDeferred passes the result on; this chain continues with None."""
    source: Deferred[int] = Deferred()
    target: Deferred[int] = Deferred()
    source.chainDeferred(target)
    assert target._chainedTo is source
    assert "waiting on Deferred" in repr(target)
    source.callback(4)
    assert successResultOf(target) == 4
    assert source.result is None
    assert target._chainedTo is None


def test_chainDeferredPassesFailures() -> None:
    """chainDeferred hands a failure to the other Deferred's errbacks."""
    source: Deferred[int] = Deferred()
    target: Deferred[int] = Deferred()
    source.chainDeferred(target)
    source.errback(Boom())
    failureResultOf(target, Boom)
    assert source.result is None


# --- pausing -------------------------------------------------------------------


def test_pausedDeferredRunsNoCallbacksUntilUnpaused() -> None:
    """Callbacks wait for the pause count to return to zero."""
    trace: list[Any] = []
    d: Deferred[int] = Deferred()
    d.pause()
    d.pause()
    d.addCallback(recorder(trace, "cb"))
    d.callback(1)
    assert trace == [] and d.paused == 2
    d.unpause()
    assert trace == []
    d.unpause()
    assert trace == [("cb", 1)]


def test_unpauseBeforeFiringJustCounts() -> None:
    """Unpausing an unfired Deferred runs nothing."""
    d: Deferred[int] = Deferred()
    d.pause()
    d.unpause()
    assert d.paused == 0 and not d.called


def test_unpauseWhenNotPausedRaises() -> None:
    """unpause() without a matching pause() is an error, not a negative count."""
    d: Deferred[int] = Deferred()
    with pytest.raises(RuntimeError, match="not paused"):
        d.unpause()
    assert d.paused == 0


def test_pauseFromInsideACallbackStopsBeforeTheNextOne() -> None:
    """pause() inside a callback holds the rest of the chain (Twisted does not)."""
    trace: list[Any] = []
    d: Deferred[int] = Deferred()
    d.addCallback(lambda r: d.pause() or r + 1)
    d.addCallback(recorder(trace, "second"))
    d.callback(1)
    assert trace == []
    d.unpause()
    assert trace == [("second", 2)]


def test_pauseFromInsideAnErrbackStopsBeforeTheNextOne() -> None:
    """The same on the failure path (run by the general loop, not the first walk)."""
    trace: list[Any] = []
    d: Deferred[int] = Deferred()
    d.addErrback(lambda f: d.pause() or 5)
    d.addCallback(recorder(trace, "after"))
    d.errback(Boom())
    assert trace == []
    d.unpause()
    assert trace == [("after", 5)]


# --- the first walk (callback()'s own loop) handing over to _runCallbacks ------------


def test_waiterMetInTheFirstWalkGetsTheResultAtItsPlace() -> None:
    """A Deferred waiting on this one, queued between callbacks, gets the result there."""
    trace: list[Any] = []
    inner: Deferred[int] = Deferred()
    inner.addCallback(lambda r: r + 1)
    outer: Deferred[int] = Deferred()
    outer.addCallback(lambda ignored: inner)
    outer.addCallback(recorder(trace, "outer"))
    outer.callback(0)  # outer now waits: its continuation is inner's second entry
    inner.addCallback(recorder(trace, "inner after the hand-off"))
    inner.callback(1)
    assert trace == [("outer", 2), ("inner after the hand-off", None)]
    assert inner._callbacks == [] and outer._callbacks == []


def test_firstWalkTakesAFiredDeferredAndGoesOn() -> None:
    """A callback returning a fired Deferred: its result is taken and the walk goes on."""
    d: Deferred[int] = Deferred()
    d.addCallback(lambda r: defer.succeed(r + 1))
    d.addErrback(lambda f: 0)  # skipped: no failure
    d.addCallback(lambda r: r * 10)
    d.callback(1)
    assert successResultOf(d) == 20


def test_firstWalkHandsAFailedInnerResultToTheErrbacks() -> None:
    """A callback returning a failed Deferred: the next callbacks are skipped, errbacks run."""
    trace: list[Any] = []
    d: Deferred[int] = Deferred()
    d.addCallback(lambda r: defer.fail(Boom(r)))
    d.addCallback(recorder(trace, "skipped"))
    d.addErrback(lambda f: f.value.args[0] + 100)
    d.addCallback(recorder(trace, "after"))
    d.callback(1)
    assert trace == [("after", 101)]


def test_failureSubclassesMadeAnyTimeAreFailures() -> None:
    """A Failure subclass defined after import still switches to the errbacks."""

    class MyFailure(Failure):
        pass

    class MyDeferred(Deferred[Any]):
        pass

    seen: list[Any] = []
    d: Deferred[int] = Deferred()
    d.addCallback(lambda r: MyFailure(Boom()))
    d.addCallback(seen.append)
    d.addErrback(lambda f: seen.append(type(f)))
    d.addCallback(lambda ignored: MyDeferred())
    d.callback(1)
    assert seen == [MyFailure]
    assert d.paused == 1  # waiting on the MyDeferred


def test_errbackReturningItsOwnDeferredWarns() -> None:
    """The self-return warning on the failure path too."""
    d: Deferred[Any] = Deferred()
    d.addErrback(lambda f: d)
    with pytest.warns(DeprecationWarning, match="Callback returned the Deferred it was attached to"):
        d.errback(Boom())
    assert d.paused == 1


def test_failureOnAPausedDeferredIsStillReported(loggedErrors: Any) -> None:
    """A paused Deferred holding a failure reports it when collected."""
    d: Deferred[int] = Deferred()
    d.pause()
    d.errback(Boom())
    del d
    collect()
    assert len(loggedErrors.flush(Boom)) == 1


# --- cancelling ------------------------------------------------------------------


def test_cancelWithoutCancellerFailsWithCancelledError() -> None:
    """cancel() on an unfired Deferred with no canceller errbacks CancelledError."""
    d: Deferred[int] = Deferred()
    d.cancel()
    failureResultOf(d, CancelledError)


def test_cancelWithoutCancellerSwallowsTheNextFiringOnly() -> None:
    """The producer's later callback is silently ignored once; another one raises."""
    d: Deferred[int] = Deferred()
    d.cancel()
    d.callback(1)
    with pytest.raises(AlreadyCalledError):
        d.callback(2)
    failureResultOf(d, CancelledError)


def test_cancellerThatFiresDecidesTheResult() -> None:
    """A canceller that fires the Deferred replaces the CancelledError."""
    seen: list[Any] = []

    def canceller(d: Deferred[Any]) -> None:
        seen.append(d)
        d.callback("cancelled nicely")

    d: Deferred[str] = Deferred(canceller)
    d.cancel()
    assert seen == [d]
    assert successResultOf(d) == "cancelled nicely"


def test_cancellerThatDoesNotFireLeadsToCancelledError() -> None:
    """If the canceller leaves it unfired, CancelledError follows; later firing raises."""
    d: Deferred[int] = Deferred(lambda d: None)
    d.cancel()
    failureResultOf(d, CancelledError)
    with pytest.raises(AlreadyCalledError):
        d.callback(1)


def test_cancellerExceptionPropagatesFromCancel() -> None:
    """An exception from the canceller comes out of cancel()."""

    def canceller(d: Deferred[Any]) -> None:
        raise Boom()

    d: Deferred[int] = Deferred(canceller)
    with pytest.raises(Boom):
        d.cancel()


def test_cancelAfterFiringDoesNothing() -> None:
    """cancel() on a fired Deferred that is not waiting is a no-op."""
    calls: list[Any] = []
    d: Deferred[int] = Deferred(calls.append)
    d.callback(1)
    d.cancel()
    assert calls == [] and successResultOf(d) == 1


def test_cancelWhileWaitingCancelsTheInnerDeferred() -> None:
    """Cancelling a Deferred chained to another cancels the other one."""
    inner: Deferred[int] = Deferred()
    outer: Deferred[int] = Deferred()
    outer.addCallback(lambda r: inner)
    outer.callback(0)
    outer.cancel()
    assert inner.called and inner.result is None  # the failure moved to outer
    failureResultOf(outer, CancelledError)


def test_cancelledErrorIsNamedInPlaitDefer() -> None:
    """Public classes report plait.defer as their module."""
    assert Failure(CancelledError()).check("plait.defer.CancelledError")
    assert Deferred.__module__ == "plait.defer"


# --- timeouts ----------------------------------------------------------------------


def test_addTimeoutFailsWithDeferTimeoutError(clock: Any) -> None:
    """After the timeout the Deferred fails with defer.TimeoutError(timeout, "Deferred")."""
    d: Deferred[int] = Deferred()
    d.addTimeout(5, clock)
    clock.advance(4.9)
    assertNoResult(d)
    clock.advance(0.1)
    failure = failureResultOf(d, defer.TimeoutError)
    assert failure.value.args == (5, "Deferred")


def test_deferTimeoutErrorIsNotTheConnectTimeoutError() -> None:
    """defer.TimeoutError and error.TimeoutError are unrelated classes."""
    assert not issubclass(defer.TimeoutError, error.TimeoutError)
    assert not issubclass(error.TimeoutError, defer.TimeoutError)
    assert defer.TimeoutError is not TimeoutError


def test_addTimeoutIsCancelledWhenTheDeferredFiresFirst(clock: Any) -> None:
    """Firing in time cancels the pending delayed call and keeps the result."""
    d: Deferred[int] = Deferred()
    d.addTimeout(5, clock)
    assert len(clock.getDelayedCalls()) == 1
    d.callback(1)
    assert clock.getDelayedCalls() == []
    clock.advance(10)
    assert successResultOf(d) == 1


def test_addTimeoutCallsCustomOnTimeoutCancelOnlyOnTimeout(clock: Any) -> None:
    """onTimeoutCancel(result, timeout) translates the result after a timeout only."""
    calls: list[Any] = []

    def onTimeoutCancel(result: Any, timeout: float) -> str:
        calls.append((result.check(CancelledError), timeout))
        return "gave up"

    late: Deferred[int] = Deferred()
    late.addTimeout(2, clock, onTimeoutCancel=onTimeoutCancel)
    early: Deferred[int] = Deferred()
    early.addTimeout(2, clock, onTimeoutCancel=onTimeoutCancel)
    early.callback(1)
    clock.advance(2)
    assert successResultOf(late) == "gave up"
    assert successResultOf(early) == 1
    assert calls == [(CancelledError, 2)]


def test_addTimeoutOnlyCoversCallbacksAddedBefore(clock: Any) -> None:
    """Earlier callbacks see the raw CancelledError, later ones TimeoutError."""
    seen: list[Any] = []
    d: Deferred[int] = Deferred()
    d.addErrback(lambda f: seen.append(f.check(CancelledError)) or f)
    d.addTimeout(1, clock)
    d.addErrback(lambda f: seen.append(f.check(defer.TimeoutError)) or f)
    clock.advance(1)
    assert seen == [CancelledError, defer.TimeoutError]
    failureResultOf(d, defer.TimeoutError)


def test_addTimeoutKeepsAValueTheCancellerFiredWith(clock: Any) -> None:
    """If the canceller fires with a value, the default translation keeps it."""
    d: Deferred[str] = Deferred(lambda d: d.callback("partial"))
    d.addTimeout(1, clock)
    clock.advance(1)
    assert successResultOf(d) == "partial"


def test_addTimeoutKeepsAnotherFailureFromTheCanceller(clock: Any) -> None:
    """A canceller failure that is not CancelledError passes through unchanged."""
    d: Deferred[str] = Deferred(lambda d: d.errback(Boom()))
    d.addTimeout(1, clock)
    clock.advance(1)
    failureResultOf(d, Boom)


# --- debugging ---------------------------------------------------------------------


def test_setDebuggingTogglesTheClassSwitch() -> None:
    """setDebugging sets Deferred.debug; getDebugging reads it."""
    assert defer.getDebugging() is False
    defer.setDebugging(1)  # type: ignore[arg-type]
    try:
        assert defer.getDebugging() is True and Deferred.debug is True
    finally:
        defer.setDebugging(False)
    assert Deferred.debug is False


def test_debuggingCapturesVariablesInCallbackFailures(debugging: None) -> None:
    """With debugging on, a callback's exception is captured with frame variables."""
    d: Deferred[int] = Deferred()

    def explode(r: int) -> None:
        local = "visible"  # noqa: F841 - read back through the failure
        raise Boom()

    d.addCallback(explode)
    d.callback(1)
    failure = failureResultOf(d, Boom)
    assert failure.captureVars is True
    assert any(name == "local" for frame in failure.frames for name, _ in frame[3])


# --- unhandled failures ------------------------------------------------------------


def test_unhandledFailureIsLoggedWhenTheDeferredIsCollected(loggedErrors: Any) -> None:
    """A Deferred dropped while holding a Failure logs Twisted's two events:
    "Unhandled error in Deferred:" (critical, isError) then the failure."""
    from plait.logger import LogLevel, capturedLogs

    with capturedLogs() as events:
        d = defer.fail(Boom("boom"))
        assert loggedErrors.records == []
        del d
        collect()
    header, report = events
    assert (header["log_format"], header["isError"], header["log_level"]) == (
        "Unhandled error in Deferred:", True, LogLevel.critical)
    assert header["log_namespace"] == report["log_namespace"] == "plait.defer"
    assert (report["log_format"], report["debugInfo"], report["log_level"]) == ("", "", LogLevel.critical)
    (failure,) = loggedErrors.flush(Boom)
    assert failure.getErrorMessage() == "boom"
    assert report["log_failure"] is failure


def test_unhandledFailureInACycleIsLoggedByTheCollector(loggedErrors: Any) -> None:
    """A Deferred kept alive by a reference cycle reports when gc breaks the cycle."""
    d: Deferred[Any] = Deferred()
    d.cycle = d  # type: ignore[attr-defined]
    d.errback(Boom())
    del d
    collect()
    assert len(loggedErrors.flush(Boom)) == 1


def test_unhandledReportIncludesStacksWhenDebugging(loggedErrors: Any, debugging: None) -> None:
    """With debugging on, the report shows the creator and invoker stacks."""
    d: Deferred[int] = Deferred()
    d.errback(Boom())
    del d
    collect()
    (record,) = loggedErrors.records
    assert record.getMessage().startswith("(debug:  C: Deferred was created:")
    assert " I: First Invoker was:" in record.logEvent["debugInfo"]
    loggedErrors.flush(Boom)


def test_alreadyCalledCarriesTheInvokersFrame(debugging: None) -> None:
    """In debug mode the error names the line that fired the Deferred first."""
    d: Deferred[int] = Deferred()

    def firstInvoker() -> None:
        d.callback(1)

    firstInvoker()
    with pytest.raises(defer.AlreadyCalledError) as raised:
        d.callback(2)
    text = str(raised.value)
    assert " I: First Invoker was:" in text
    assert "in firstInvoker" in text and "d.callback(1)" in text
    e: Deferred[int] = Deferred()
    e.errback(Boom())
    with pytest.raises(defer.AlreadyCalledError) as again:
        e.errback(Boom())
    assert "e.errback(Boom())" in str(again.value)
    e.addErrback(lambda f: None)


def test_handledFailureIsNotLogged(loggedErrors: Any) -> None:
    """An errback that returns a value leaves nothing to report."""
    d = defer.fail(Boom())
    d.addErrback(lambda f: None)
    assert d._unhandled is None
    del d
    collect()
    assert loggedErrors.records == []


def test_successfulDeferredNeverCarriesATracker() -> None:
    """The unhandled-failure sentinel is attached only to failed Deferreds."""
    d: Deferred[int] = Deferred()
    d.addCallback(lambda r: r)
    d.callback(1)
    assert d._unhandled is None
    bad = defer.fail(Boom())
    assert bad._unhandled is not None
    bad.addErrback(lambda f: None)


def test_replacedFailureIsReportedOnceAsTheLatest(loggedErrors: Any) -> None:
    """An errback turning one failure into another leaves only the new one to report."""
    d = defer.fail(Boom("first"))
    d.addErrback(lambda f: Failure(ValueError("second")))
    d.addBoth(lambda r: r)  # a pass-through run keeps the same report armed
    del d
    collect()
    assert loggedErrors.flush(Boom) == []
    (failure,) = loggedErrors.flush(ValueError)
    assert failure.getErrorMessage() == "second"


def test_logErrorLogsAndReturnsTheFailure(loggedErrors: Any) -> None:
    """logError logs through plait.log.err and passes the failure along."""
    failure = Failure(Boom())
    assert defer.logError(failure) is failure
    assert loggedErrors.flush(Boom) == [failure]


# --- module functions ----------------------------------------------------------------


def test_succeedAndFail() -> None:
    """succeed and fail return Deferreds that have already fired."""
    assert successResultOf(defer.succeed(3)) == 3
    failure = Failure(Boom())
    assert failureResultOf(defer.fail(failure)) is failure
    failureResultOf(defer.fail(Boom()), Boom)
    try:
        raise Boom()
    except Boom:
        d = defer.fail()
    failureResultOf(d, Boom)


def test_executeCallsNowAndWrapsTheOutcome() -> None:
    """execute returns succeed(result) or a failed Deferred."""
    assert successResultOf(defer.execute(lambda a, b=0: a + b, 1, b=2)) == 3

    def explode() -> None:
        raise Boom()

    failureResultOf(defer.execute(explode), Boom)


def test_maybeDeferredHandlesEveryKindOfReturn() -> None:
    """maybeDeferred: Deferred as-is, Failure failed, value succeeded, raise failed."""
    d: Deferred[int] = Deferred()
    assert defer.maybeDeferred(lambda: d) is d
    failureResultOf(defer.maybeDeferred(lambda: Failure(Boom())), Boom)
    assert successResultOf(defer.maybeDeferred(lambda x: x * 2, 4)) == 8

    def explode() -> None:
        raise Boom()

    failureResultOf(defer.maybeDeferred(explode), Boom)

    def gen() -> Any:
        yield 1

    generator = gen()
    assert successResultOf(defer.maybeDeferred(lambda: generator)) is generator
    d.callback(1)


def test_passthruReturnsItsArgument() -> None:
    """passthru is the identity function."""
    marker = object()
    assert defer.passthru(marker) is marker


def test_successAndFailureConstants() -> None:
    """SUCCESS is True and FAILURE is False."""
    assert defer.SUCCESS is True and defer.FAILURE is False


def test_allNamesAreExported() -> None:
    """__all__ lists Twisted's public names that plait provides, all importable."""
    for name in [
        "Deferred", "DeferredList", "succeed", "fail", "FAILURE", "SUCCESS",
        "AlreadyCalledError", "TimeoutError", "gatherResults", "maybeDeferred",
        "ensureDeferred", "inlineCallbacks", "returnValue", "DeferredLock",
        "DeferredSemaphore", "DeferredQueue", "CancelledError", "execute", "race",
        "FirstError", "FailureGroup", "NotACoroutineError", "QueueOverflow",
        "QueueUnderflow", "passthru", "setDebugging", "getDebugging", "logError",
    ]:
        assert name in defer.__all__
        assert hasattr(defer, name)
    assert issubclass(defer.NotACoroutineError, TypeError)


def test_deferredIsAGenericAwaitable() -> None:
    """Deferred[int] is subscriptable and Deferred is an Awaitable."""
    from collections.abc import Awaitable

    assert issubclass(Deferred, Awaitable)
    assert Deferred[int] is not None
    assert isinstance(Deferred(), Awaitable)


def test_deferredsAcceptArbitraryAttributes() -> None:
    """Like Twisted's, a Deferred has a __dict__ for user attributes."""
    d: Deferred[int] = Deferred()
    d.label = "mine"  # type: ignore[attr-defined]
    assert d.label == "mine"  # type: ignore[attr-defined]


# --- DeferredList and gatherResults --------------------------------------------------


def test_deferredListFiresWithSuccessFlagsInInputOrder() -> None:
    """The default result is [(success, result or Failure), ...] once all fired."""
    a: Deferred[int] = Deferred()
    b: Deferred[int] = Deferred()
    dl = DeferredList([a, b])
    b.errback(KeyError("k"))
    assertNoResult(dl)
    assert dl.finishedCount == 1
    a.callback(1)
    result = successResultOf(dl)
    assert result[0] == (True, 1)
    assert result[1][0] is False and result[1][1].check(KeyError)
    assert dl.resultList is not None and dl.finishedCount == 2
    assert (dl.fireOnOneCallback, dl.fireOnOneErrback, dl.consumeErrors) == (False, False, False)
    failureResultOf(b, KeyError)


def test_emptyDeferredListFiresAtOnceUnlessFireOnOneCallback() -> None:
    """DeferredList([]) fires with []; with fireOnOneCallback it never fires."""
    assert successResultOf(DeferredList([])) == []
    assertNoResult(DeferredList([], fireOnOneCallback=True))


def test_deferredListFireOnOneCallback() -> None:
    """fireOnOneCallback fires with (result, index) on the first success."""
    a: Deferred[int] = Deferred()
    b: Deferred[int] = Deferred()
    dl = DeferredList([a, b], fireOnOneCallback=True)
    a.errback(Boom())
    assertNoResult(dl)
    b.callback("b")
    assert successResultOf(dl) == ("b", 1)
    failureResultOf(a, Boom)


def test_deferredListFireOnOneCallbackWithOnlyFailuresFiresTheList() -> None:
    """With fireOnOneCallback and no success, the full result list is delivered."""
    a: Deferred[int] = Deferred()
    dl = DeferredList([a], fireOnOneCallback=True, consumeErrors=True)
    a.errback(Boom())
    ((ok, failure),) = successResultOf(dl)
    assert ok is False and failure.check(Boom)


def test_deferredListFireOnOneErrbackWrapsTheFailureInFirstError() -> None:
    """fireOnOneErrback fails with FirstError(failure, index)."""
    a: Deferred[int] = Deferred()
    b: Deferred[int] = Deferred()
    dl = DeferredList([a, b], fireOnOneErrback=True, consumeErrors=True)
    b.errback(Boom("x"))
    failure = failureResultOf(dl, FirstError)
    assert failure.value.index == 1
    assert failure.value.subFailure.check(Boom)
    a.callback(1)


def test_deferredListConsumeErrorsLeavesNoneInTheMember(loggedErrors: Any) -> None:
    """consumeErrors makes a member continue with None after the list saw its failure."""
    a: Deferred[int] = Deferred()
    dl = DeferredList([a], consumeErrors=True)
    a.errback(Boom())
    assert successResultOf(a) is None
    successResultOf(dl)
    del a, dl
    collect()
    assert loggedErrors.records == []


def test_deferredListCancelCancelsEveryMember() -> None:
    """Cancelling an unfired DeferredList cancels its members."""
    a: Deferred[int] = Deferred()
    b: Deferred[int] = Deferred()
    dl = DeferredList([a, b], consumeErrors=True)
    dl.cancel()
    result = successResultOf(dl)
    assert [ok for ok, _ in result] == [False, False]
    assert all(f.check(CancelledError) for _, f in result)


def test_deferredListCancelAfterFiringDoesNothing() -> None:
    """Once the list has fired, cancel() leaves the members alone."""
    a: Deferred[int] = Deferred()
    b: Deferred[int] = Deferred()
    dl = DeferredList([a, b], fireOnOneCallback=True)
    a.callback(1)
    dl.cancel()
    assertNoResult(b)
    b.callback(2)


def test_deferredListLogsCancellerExceptionsAndGoesOn(loggedErrors: Any) -> None:
    """A member's raising canceller is logged; the other members are still cancelled."""

    def badCanceller(d: Deferred[Any]) -> None:
        raise Boom()

    a: Deferred[int] = Deferred(badCanceller)
    b: Deferred[int] = Deferred()
    dl = DeferredList([a, b], consumeErrors=True)
    dl.cancel()
    assert [getattr(r, "why", None) for r in loggedErrors.records] == [
        "Exception raised from user supplied canceller"
    ]
    loggedErrors.flush(Boom)
    assert b.called and not a.called
    a.callback(1)
    successResultOf(dl)


def test_deferredListRejectsNonDeferreds() -> None:
    """Something that is not a Deferred in the list is a TypeError."""
    with pytest.raises(TypeError, match="DeferredList needs Deferreds"):
        DeferredList([1])  # type: ignore[list-item]


def test_gatherResultsGivesAPlainList() -> None:
    """gatherResults fires with the results in input order."""
    a: Deferred[int] = Deferred()
    d = defer.gatherResults([a, defer.succeed(2)])
    a.callback(1)
    assert successResultOf(d) == [1, 2]


def test_gatherResultsFailsWithFirstError() -> None:
    """The first failure arrives wrapped: FirstError[#index, exception]."""
    d = defer.gatherResults([defer.succeed(1), defer.fail(ValueError("x"))], consumeErrors=True)
    failure = failureResultOf(d, FirstError)
    assert repr(failure.value) == "FirstError[#1, ValueError('x')]"
    assert str(failure.value) == f"FirstError[#1, {failure.value.subFailure}]"
    assert failure.value.subFailure.check(ValueError)
    assert failure.value.index == 1


def test_gatherResultsCancelCancelsTheMembers() -> None:
    """Cancelling the gathered Deferred cancels what it waits on."""
    a: Deferred[int] = Deferred()
    d = defer.gatherResults([a], consumeErrors=True)
    d.cancel()
    assert failureResultOf(d, FirstError).value.subFailure.check(CancelledError)


def test_firstErrorEquality() -> None:
    """FirstErrors are equal when index and sub-failure are; hashable alike."""
    failure = Failure(Boom())
    assert FirstError(failure, 1) == FirstError(failure, 1)
    assert FirstError(failure, 1) != FirstError(failure, 2)
    assert FirstError(failure, 1) != "something else"
    assert hash(FirstError(failure, 1)) == hash(FirstError(failure, 1))
    assert FirstError(failure, 1).args == (failure, 1)


# --- race ----------------------------------------------------------------------------


def test_raceFiresWithTheFirstSuccessAndCancelsTheRest() -> None:
    """race gives (index, result) of the first success and cancels the others."""
    a: Deferred[int] = Deferred()
    b: Deferred[int] = Deferred()
    c: Deferred[int] = Deferred()
    d = defer.race([a, b, c])
    a.errback(Boom())
    b.callback("b")
    assert successResultOf(d) == (1, "b")
    assert c.called and a.called
    assert successResultOf(c) is None  # race consumed the cancellation


def test_raceFailsWithAFailureGroupWhenAllFail() -> None:
    """All failures arrive in input order inside FailureGroup."""
    a: Deferred[int] = Deferred()
    b: Deferred[int] = Deferred()
    d = defer.race([a, b])
    b.errback(KeyError())
    a.errback(Boom())
    group = failureResultOf(d, FailureGroup).value
    assert [f.type for f in group.failures] == [Boom, KeyError]


def test_cancellingARaceCancelsEveryMember() -> None:
    """Cancelling the race cancels all members; all failed means FailureGroup."""
    a: Deferred[int] = Deferred()
    b: Deferred[int] = Deferred()
    d = defer.race([a, b])
    d.cancel()
    group = failureResultOf(d, FailureGroup).value
    assert all(f.check(CancelledError) for f in group.failures)


def test_aLateSuccessAfterTheWinnerIsIgnored() -> None:
    """A member whose canceller succeeds after the winner changes nothing."""
    a: Deferred[int] = Deferred()
    b: Deferred[str] = Deferred(lambda d: d.callback("late"))
    d = defer.race([a, b])
    a.callback(1)
    assert successResultOf(d) == (0, 1)


# --- DeferredLock, DeferredSemaphore, DeferredQueue -----------------------------------


def test_lockIsHandedOutFirstComeFirstServed() -> None:
    """Waiting acquisitions get the lock in order, one release at a time."""
    lock = DeferredLock()
    first = lock.acquire()
    assert successResultOf(first) is lock and lock.locked
    second, third = lock.acquire(), lock.acquire()
    assert lock.waiting == [second, third]
    lock.release()
    assert successResultOf(second) is lock and lock.locked
    assertNoResult(third)
    lock.release()
    successResultOf(third)
    lock.release()
    assert not lock.locked


def test_releasingAnUnlockedLockRaises() -> None:
    """release() on an unlocked lock is an AssertionError with Twisted's text."""
    with pytest.raises(AssertionError, match="Tried to release an unlocked lock"):
        DeferredLock().release()


def test_cancellingAWaitingAcquisitionLeavesTheQueue() -> None:
    """A cancelled acquire() fails with CancelledError and never gets the lock."""
    lock = DeferredLock()
    lock.acquire()
    waiter = lock.acquire()
    waiter.cancel()
    failureResultOf(waiter, CancelledError)
    assert lock.waiting == []
    lock.release()
    assert not lock.locked


def test_lockRunReleasesAfterTheResult() -> None:
    """run() holds the lock until the function's Deferred fires, then returns its result."""
    lock = DeferredLock()
    inner: Deferred[str] = Deferred()
    d = lock.run(lambda x: inner.addCallback(lambda r: r + x), "!")
    assert lock.locked
    inner.callback("done")
    assert successResultOf(d) == "done!"
    assert not lock.locked


def test_lockRunReleasesOnFailure() -> None:
    """run() releases the lock when the function raises, and passes the failure on."""
    lock = DeferredLock()

    def explode() -> None:
        raise Boom()

    failureResultOf(lock.run(explode), Boom)
    assert not lock.locked


def test_semaphoreRequiresAPositiveTokenCount() -> None:
    """DeferredSemaphore(0) raises ValueError with Twisted's text."""
    with pytest.raises(ValueError, match="DeferredSemaphore requires tokens >= 1"):
        DeferredSemaphore(0)


def test_semaphoreLimitsConcurrentHolders() -> None:
    """At most ``limit`` acquisitions hold a token; release serves the queue."""
    sem = DeferredSemaphore(2)
    assert (sem.tokens, sem.limit) == (2, 2)
    a, b, c = sem.acquire(), sem.acquire(), sem.acquire()
    successResultOf(a)
    successResultOf(b)
    assertNoResult(c)
    assert sem.tokens == 0
    sem.release()
    assert successResultOf(c) is sem and sem.tokens == 0
    sem.release()
    sem.release()
    assert sem.tokens == 2
    with pytest.raises(AssertionError, match="too many tokens"):
        sem.release()


def test_semaphoreCancelAndRun() -> None:
    """A cancelled semaphore wait leaves the queue; run() releases afterwards."""
    sem = DeferredSemaphore(1)
    sem.acquire()
    waiter = sem.acquire()
    waiter.cancel()
    failureResultOf(waiter, CancelledError)
    sem.release()
    assert successResultOf(sem.run(lambda: 5)) == 5
    assert sem.tokens == 1


def test_queueHandsItemsToWaitersThenBuffers() -> None:
    """put() serves the oldest get() first, else buffers; get() drains the buffer."""
    queue: DeferredQueue[int] = DeferredQueue()
    waiter = queue.get()
    assert queue.waiting == [waiter]
    queue.put(1)
    assert successResultOf(waiter) == 1
    queue.put(2)
    queue.put(3)
    assert queue.pending == [2, 3]
    assert successResultOf(queue.get()) == 2


def test_queueOverflowAndUnderflow() -> None:
    """Exceeding size raises QueueOverflow; exceeding backlog raises QueueUnderflow."""
    queue: DeferredQueue[int] = DeferredQueue(size=1, backlog=1)
    queue.put(1)
    with pytest.raises(QueueOverflow):
        queue.put(2)
    successResultOf(queue.get())
    queue.get()
    with pytest.raises(QueueUnderflow):
        queue.get()


def test_cancellingAQueueGetLeavesTheQueue() -> None:
    """A cancelled get() fails with CancelledError and receives nothing."""
    queue: DeferredQueue[int] = DeferredQueue()
    waiter = queue.get()
    waiter.cancel()
    failureResultOf(waiter, CancelledError)
    queue.put(1)
    assert queue.pending == [1]


# -- the first walk of a Deferred with only short entries (_plain) ------------


@pytest.mark.parametrize("how", ["addCallback-args", "addErrback", "addBoth", "addCallbacks"])
def test_entryWithArgumentsAddedDuringTheFirstWalkRunsInOrder(how: str) -> None:
    """A tuple entry added while a plain Deferred runs its callbacks runs after
    the entries already queued, with the right result, exactly once."""
    trace: list[Any] = []
    d: Deferred[int] = Deferred()

    def first(result: int) -> int:
        if how == "addCallback-args":
            d.addCallback(lambda r, extra: trace.append(("added", r, extra)) or r + 100, "x")
        elif how == "addErrback":
            d.addErrback(lambda f: trace.append(("errback", f)))
        elif how == "addBoth":
            d.addBoth(lambda r: trace.append(("both", r)) or r + 100)
        else:
            d.addCallbacks(lambda r: trace.append(("pair", r)) or r + 100, lambda f: f)
        trace.append(("first", result))
        return result + 1

    d.addCallback(first)
    d.addCallback(recorder(trace, "second"))
    d.callback(1)
    expected: list[Any] = [("first", 1), ("second", 2)]
    final = 2
    if how == "addCallback-args":
        expected.append(("added", 2, "x"))
        final = 102
    elif how == "addBoth":
        expected.append(("both", 2))
        final = 102
    elif how == "addCallbacks":
        expected.append(("pair", 2))
        final = 102
    assert trace == expected
    assert successResultOf(d) == final
    assert d.callbacks == []


def test_plainWalkStopsForAPauseAndResumesAtTheNextEntry() -> None:
    trace: list[Any] = []
    d: Deferred[int] = Deferred()
    d.addCallback(lambda r: (d.pause(), r + 1)[1])
    d.addCallback(recorder(trace, "after"))
    d.callback(1)
    assert trace == [] and d.result == 2
    d.unpause()
    assert trace == [("after", 2)]


def test_callbackSeesTheCurrentResultOnTheDeferred() -> None:
    """While a callback runs, ``d.result`` is its input (as in Twisted)."""
    seen: list[Any] = []
    d: Deferred[int] = Deferred()
    d.addCallback(lambda r: r + 1)
    d.addCallback(lambda r: seen.append(d.result) or r)
    d.callback(1)
    assert seen == [2]


def test_settingDeferredDebugDirectlyIsHonoured(monkeypatch: pytest.MonkeyPatch) -> None:
    """Code written for Twisted sets ``Deferred.debug`` itself, not through
    setDebugging: creator and invoker stacks are still recorded."""
    monkeypatch.setattr(Deferred, "debug", True)
    d: Deferred[None] = Deferred()
    d.callback(None)
    with pytest.raises(defer.AlreadyCalledError) as caught:
        d.callback(None)
    assert "test_settingDeferredDebugDirectlyIsHonoured" in str(caught.value)


def test_subclassWithDebugOnRecordsItsCreator() -> None:
    class Noisy(Deferred[None]):
        debug = True

    d = Noisy()
    assert d._creator is not None
    assert any("test_subclassWithDebugOnRecordsItsCreator" in line for line in d._creator)
    assert Deferred().debug is False
