"""Unit tests for Deferreds meeting coroutines, generators and asyncio.

Covers ``await d``, ``Deferred.fromCoroutine``, ``ensureDeferred``,
``inlineCallbacks``/``returnValue``, ``maybeDeferred`` on ``async def``,
``async with DeferredLock`` and the asyncio Future bridges (``asFuture``,
``fromFuture``), the latter on a real, in-process asyncio loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import gc
import sys
import warnings
from collections.abc import Generator
from typing import Any

import pytest

from plait import defer
from plait.defer import (
    CancelledError,
    Deferred,
    DeferredList,
    DeferredLock,
    NotACoroutineError,
    ensureDeferred,
    inlineCallbacks,
    returnValue,
)
from plait.failure import Failure
from tests.helpers import assertNoResult, failureResultOf, successResultOf


class Boom(Exception):
    """The exception these tests raise on purpose."""


@pytest.fixture
def loop() -> Any:
    """A fresh asyncio event loop, closed after the test."""
    eventLoop = asyncio.new_event_loop()
    yield eventLoop
    eventLoop.close()


# --- await and fromCoroutine --------------------------------------------------


def test_awaitingAFiredDeferredGivesItsResult() -> None:
    """await on a fired Deferred returns its result without suspending."""

    async def main() -> int:
        return await defer.succeed(3) + 1

    assert successResultOf(Deferred.fromCoroutine(main())) == 4


def test_awaitingAnUnfiredDeferredSuspendsUntilItFires() -> None:
    """The coroutine resumes when the awaited Deferred fires."""
    gate: Deferred[str] = Deferred()
    trace: list[str] = []

    async def main() -> str:
        trace.append("before")
        value = await gate
        trace.append("after")
        return value * 2

    d = Deferred.fromCoroutine(main())
    assert trace == ["before"]
    assertNoResult(d)
    gate.callback("ab")
    assert trace == ["before", "after"]
    assert successResultOf(d) == "abab"
    assert gate.result is None  # the coroutine consumed it


def test_awaitingAFailedDeferredRaisesItsException(loggedErrors: Any) -> None:
    """await raises the failure's exception, which counts as handling it."""
    failed = defer.fail(Boom("x"))

    async def main(awaited: Deferred[Any]) -> str:
        try:
            await awaited
        except Boom as e:
            return f"caught {e}"
        return "not reached"  # pragma: no cover

    assert successResultOf(Deferred.fromCoroutine(main(failed))) == "caught x"
    del failed
    gc.collect()
    assert loggedErrors.records == []


def test_awaitingALaterFailureRaisesInsideTheCoroutine() -> None:
    """A Deferred that fails while awaited throws into the coroutine."""
    gate: Deferred[str] = Deferred()

    async def main() -> str:
        await gate
        return "not reached"  # pragma: no cover

    d = Deferred.fromCoroutine(main())
    gate.errback(Boom())
    failureResultOf(d, Boom)


def test_awaitingAPausedDeferredWaitsForUnpause() -> None:
    """A fired but paused Deferred suspends the coroutine until unpaused."""
    gate = defer.succeed(7)
    gate.pause()

    async def main() -> int:
        return await gate

    d = Deferred.fromCoroutine(main())
    assertNoResult(d)
    gate.unpause()
    assert successResultOf(d) == 7


def test_iteratingADeferredYieldsItUntilFired() -> None:
    """__iter__/__await__ yield the Deferred itself while it has no result."""
    d: Deferred[int] = Deferred()
    it = d.__await__()
    assert next(it) is d
    assert it.send(None) is d
    d.callback(9)
    with pytest.raises(StopIteration) as info:
        it.send(None)
    assert info.value.value == 9
    assert Deferred.__iter__ is Deferred.__await__


def test_exceptionInACoroutineFailsItsDeferred() -> None:
    """An exception escaping the coroutine errbacks the Deferred."""

    async def main() -> None:
        raise Boom("inside")

    assert failureResultOf(Deferred.fromCoroutine(main()), Boom).getErrorMessage() == "inside"


def test_fromCoroutineAcceptsGenerators() -> None:
    """A generator object is run like a coroutine."""

    def gen() -> Generator[Any, Any, int]:
        value = yield defer.succeed(1)
        return value + 1

    assert successResultOf(Deferred.fromCoroutine(gen())) == 2


def test_fromCoroutineRejectsOtherObjects() -> None:
    """Anything but a coroutine or generator raises NotACoroutineError."""

    async def main() -> None:
        pass

    with pytest.raises(NotACoroutineError) as info:
        Deferred.fromCoroutine(main)  # type: ignore[arg-type]
    assert str(info.value) == f"{main!r} is not a coroutine"
    assert isinstance(info.value, TypeError)


def test_plainValuesYieldedAreSentBack() -> None:
    """A yielded non-Deferred, non-coroutine value comes straight back."""

    def gen() -> Generator[Any, Any, Any]:
        echoed = yield "plain"
        return echoed

    assert successResultOf(Deferred.fromCoroutine(gen())) == "plain"


def test_cancelPropagatesIntoTheAwaitedDeferred() -> None:
    """Cancelling the coroutine's Deferred cancels what it awaits."""
    gate: Deferred[str] = Deferred()
    trace: list[Any] = []

    async def main() -> str:
        try:
            return await gate
        except CancelledError:
            trace.append("cancelled inside")
            raise

    d = Deferred.fromCoroutine(main())
    d.cancel()
    assert trace == ["cancelled inside"]
    assert gate.called
    failureResultOf(d, CancelledError)


def test_coroutineThatCatchesTheCancellationDecidesTheResult() -> None:
    """If the coroutine swallows CancelledError, its later return value is the result."""
    first: Deferred[str] = Deferred()
    second: Deferred[str] = Deferred()

    async def main() -> str:
        try:
            await first
        except CancelledError:
            pass
        return "recovered " + await second

    d = Deferred.fromCoroutine(main())
    d.cancel()
    assertNoResult(d)
    assert d.called and "waiting on Deferred" in repr(d)
    second.callback("later")
    assert successResultOf(d) == "recovered later"


def test_cancellingTwiceReachesTheSecondAwait() -> None:
    """A second cancel reaches whatever the coroutine awaits after absorbing the first."""
    first: Deferred[str] = Deferred()
    second: Deferred[str] = Deferred()

    async def main() -> str:
        try:
            await first
        except CancelledError:
            pass
        return await second

    d = Deferred.fromCoroutine(main())
    d.cancel()
    d.cancel()
    assert second.called
    failureResultOf(d, CancelledError)


def test_selfCancellationIsDeliveredAtTheNextAwait() -> None:
    """A coroutine that cancels its own Deferred gets CancelledError at its next await."""
    start: Deferred[None] = Deferred()
    gate: Deferred[str] = Deferred()
    holder: list[Deferred[str]] = []
    trace: list[str] = []

    async def main() -> str:
        await start
        holder[0].cancel()
        trace.append("still running")
        try:
            return await gate
        except CancelledError:
            trace.append("cancelled at await")
            raise

    d = Deferred.fromCoroutine(main())
    holder.append(d)
    start.callback(None)
    assert trace == ["still running", "cancelled at await"]
    assert gate.called
    failureResultOf(d, CancelledError)


def test_deepCoroutineAwaitsOfFiredDeferredsUseConstantStack() -> None:
    """Awaiting 100,000 fired Deferreds in a loop does not grow the stack."""

    async def main() -> int:
        total = 0
        for i in range(100_000):
            total += await defer.succeed(1)
        return total

    assert successResultOf(Deferred.fromCoroutine(main())) == 100_000


# --- ensureDeferred ---------------------------------------------------------------


def test_ensureDeferredReturnsDeferredsAsIs() -> None:
    """Deferreds, subclasses included, come back unchanged."""
    d: Deferred[int] = Deferred()
    dl = DeferredList([])
    assert ensureDeferred(d) is d
    assert ensureDeferred(dl) is dl


def test_ensureDeferredRunsCoroutinesAndGenerators() -> None:
    """Coroutines and generators are wrapped with fromCoroutine."""

    async def main() -> int:
        return 1

    def gen() -> Generator[Any, Any, int]:
        yield defer.succeed(None)
        return 2

    assert successResultOf(ensureDeferred(main())) == 1
    assert successResultOf(ensureDeferred(gen())) == 2


def test_ensureDeferredRejectsOtherObjects() -> None:
    """Anything else raises NotACoroutineError naming it."""
    with pytest.raises(NotACoroutineError) as info:
        ensureDeferred(42)  # type: ignore[arg-type]
    assert str(info.value) == "42 is not a coroutine or a Deferred"


def test_maybeDeferredRunsAsyncFunctions() -> None:
    """maybeDeferred on an async def function runs the coroutine."""
    gate: Deferred[int] = Deferred()

    async def main(x: int) -> int:
        return x + await gate

    d = defer.maybeDeferred(main, 1)
    gate.callback(2)
    assert successResultOf(d) == 3


def test_asyncWithDeferredLock() -> None:
    """DeferredLock works as an async context manager."""
    lock = DeferredLock()
    first = lock.acquire()
    trace: list[str] = []

    async def main() -> None:
        async with lock:
            trace.append("inside")
        trace.append("released")

    d = ensureDeferred(main())
    assert trace == []
    successResultOf(first)
    lock.release()
    assert trace == ["inside", "released"]
    successResultOf(d)
    assert not lock.locked


# --- inlineCallbacks ----------------------------------------------------------------


def test_inlineCallbacksWaitsForYieldedDeferreds() -> None:
    """yield d gives back d's result; return fires the Deferred."""
    gate: Deferred[int] = Deferred()

    @inlineCallbacks
    def work(x: int) -> Generator[Any, Any, int]:
        a = yield defer.succeed(x)
        b = yield gate
        return a + b

    d = work(1)
    assertNoResult(d)
    gate.callback(2)
    assert successResultOf(d) == 3


def test_inlineCallbacksThrowsFailuresIntoTheGenerator() -> None:
    """A failed Deferred raises its exception at the yield."""

    @inlineCallbacks
    def work() -> Generator[Any, Any, str]:
        try:
            yield defer.fail(Boom("y"))
        except Boom as e:
            return f"caught {e}"
        return "not reached"  # pragma: no cover

    assert successResultOf(work()) == "caught y"


def test_inlineCallbacksUncaughtExceptionFailsTheDeferred() -> None:
    """An exception leaving the generator errbacks its Deferred."""

    @inlineCallbacks
    def work() -> Generator[Any, Any, None]:
        yield defer.succeed(None)
        raise Boom()

    failureResultOf(work(), Boom)


def test_inlineCallbacksYieldingACoroutineRunsIt() -> None:
    """A yielded coroutine is run and its result sent back."""

    async def inner() -> int:
        return 5

    @inlineCallbacks
    def work() -> Generator[Any, Any, int]:
        value = yield inner()
        return value

    assert successResultOf(work()) == 5


def test_inlineCallbacksKeepsFunctionMetadata() -> None:
    """The decorated function keeps its name and docstring."""

    @inlineCallbacks
    def documented() -> Generator[Any, Any, None]:
        """The docstring."""
        yield None

    assert documented.__name__ == "documented"
    assert documented.__doc__ == "The docstring."


def test_inlineCallbacksRequiresAGenerator() -> None:
    """A function returning something else raises TypeError naming it."""

    def notAGenerator() -> int:
        return 3

    wrapped = inlineCallbacks(notAGenerator)  # type: ignore[arg-type]
    with pytest.raises(TypeError) as info:
        wrapped()
    assert str(info.value) == (
        f"inlineCallbacks requires {notAGenerator!r} to produce a generator; instead got 3"
    )


def test_inlineCallbacksRejectsReturnValueInANonGenerator() -> None:
    """returnValue in a plain function is reported as a TypeError."""

    def notAGenerator() -> None:
        returnValue(1)

    wrapped = inlineCallbacks(notAGenerator)  # type: ignore[arg-type]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        with pytest.raises(TypeError, match="caught returnValue being used in a non-generator"):
            wrapped()


def test_returnValueWorksAndWarns() -> None:
    """returnValue still returns from the generator, with a DeprecationWarning."""

    @inlineCallbacks
    def work() -> Generator[Any, Any, None]:
        yield defer.succeed(None)
        returnValue("old style")

    with pytest.warns(DeprecationWarning) as record:
        d = work()
    expected = (
        "returnValue() is deprecated: use a plain 'return value' statement in the "
        "@inlineCallbacks generator instead (Twisted deprecated returnValue in 24.7.0)"
    )
    assert [str(w.message) for w in record] == [expected]
    assert successResultOf(d) == "old style"


def test_returnValueFromAHelperWarnsTwice() -> None:
    """returnValue called by a helper function adds a second, explanatory warning."""

    def helper() -> None:
        returnValue("from helper")

    @inlineCallbacks
    def work() -> Generator[Any, Any, None]:
        yield defer.succeed(None)
        helper()

    with pytest.warns(DeprecationWarning) as record:
        d = work()
    messages = [str(w.message) for w in record]
    assert messages[1] == (
        "returnValue() in 'helper' causing 'work' to exit: returnValue should "
        "only be invoked by functions decorated with inlineCallbacks"
    )
    assert record[1].filename == __file__
    assert successResultOf(d) == "from helper"


def test_returnValueAfterAThrownFailureStillWorks() -> None:
    """returnValue inside an except block (failure thrown in) returns normally."""

    @inlineCallbacks
    def work() -> Generator[Any, Any, None]:
        try:
            yield defer.fail(Boom())
        except Boom:
            returnValue("handled")

    with pytest.warns(DeprecationWarning) as record:
        d = work()
    assert len(record) == 1
    assert successResultOf(d) == "handled"


def test_inlineCallbacksHandlesManyFiredDeferredsIteratively() -> None:
    """100,000 yields of fired Deferreds complete with a tiny recursion limit."""

    @inlineCallbacks
    def work() -> Generator[Any, Any, int]:
        total = 0
        for _ in range(100_000):
            total += yield defer.succeed(1)
        return total

    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(200)
    try:
        d = work()
    finally:
        sys.setrecursionlimit(limit)
    assert successResultOf(d) == 100_000


def test_inlineCallbacksRunsInACopiedContext() -> None:
    """Context changes made by the generator persist across yields but stay inside."""
    var: contextvars.ContextVar[str] = contextvars.ContextVar("var", default="outside")
    gate: Deferred[None] = Deferred()
    seen: list[str] = []

    @inlineCallbacks
    def work() -> Generator[Any, Any, None]:
        var.set("inside")
        yield gate
        seen.append(var.get())

    d = work()
    assert var.get() == "outside"
    gate.callback(None)
    assert seen == ["inside"]
    assert var.get() == "outside"
    successResultOf(d)


def test_cancellingInlineCallbacksCancelsTheAwaitedDeferred() -> None:
    """Cancel throws CancelledError into the generator at its current yield."""
    gate: Deferred[None] = Deferred()
    trace: list[str] = []

    @inlineCallbacks
    def work() -> Generator[Any, Any, None]:
        try:
            yield gate
        except CancelledError:
            trace.append("cancelled")
            raise

    d = work()
    d.cancel()
    assert trace == ["cancelled"]
    failureResultOf(d, CancelledError)


def test_cancelAfterTheCoroutineFinishedDoesNothing() -> None:
    """Cancelling a finished coroutine's Deferred changes nothing."""

    async def main() -> int:
        return 1

    d = Deferred.fromCoroutine(main())
    d.cancel()
    assert successResultOf(d) == 1


# --- asyncio Futures ---------------------------------------------------------------------


def test_asFutureDeliversTheResult(loop: asyncio.AbstractEventLoop) -> None:
    """The Future gets the result; the Deferred continues with None."""
    d: Deferred[int] = Deferred()
    future = d.asFuture(loop)
    assert not future.done()
    d.callback(3)
    assert loop.run_until_complete(future) == 3
    assert d.result is None


def test_asFutureDeliversTheException(loop: asyncio.AbstractEventLoop) -> None:
    """A failure becomes the Future's exception and is consumed."""
    d: Deferred[int] = Deferred()
    future = d.asFuture(loop)
    d.errback(Boom("f"))
    with pytest.raises(Boom):
        loop.run_until_complete(future)
    assert d.result is None


def test_cancellingTheFutureCancelsTheDeferred(loop: asyncio.AbstractEventLoop) -> None:
    """Future.cancel() reaches the Deferred (once the loop runs the callback)."""
    cancelled: list[Deferred[Any]] = []
    d: Deferred[int] = Deferred(cancelled.append)
    future = d.asFuture(loop)
    future.cancel()
    loop.run_until_complete(asyncio.sleep(0))
    assert cancelled == [d]
    assert d.called and d.result is None


def test_fromFutureFiresWithTheFuturesResult(loop: asyncio.AbstractEventLoop) -> None:
    """A pending Future's later result fires the Deferred."""
    future = loop.create_future()
    d = Deferred.fromFuture(future)
    assertNoResult(d)
    future.set_result("r")
    loop.run_until_complete(asyncio.sleep(0))
    assert successResultOf(d) == "r"


def test_fromFutureFailsWithTheFuturesException(loop: asyncio.AbstractEventLoop) -> None:
    """A Future's exception becomes the Deferred's failure."""
    future = loop.create_future()
    d = Deferred.fromFuture(future)
    future.set_exception(Boom())
    loop.run_until_complete(asyncio.sleep(0))
    failureResultOf(d, Boom)


def test_fromFutureOnADoneFutureIsAlreadyFired(loop: asyncio.AbstractEventLoop) -> None:
    """A Future that is already done gives an already-fired Deferred (Twisted waits)."""
    future = loop.create_future()
    future.set_result(4)
    assert successResultOf(Deferred.fromFuture(future)) == 4
    failed = loop.create_future()
    failed.set_exception(Boom())
    failureResultOf(Deferred.fromFuture(failed), Boom)


def test_cancellingFromFutureCancelsTheFuture(loop: asyncio.AbstractEventLoop) -> None:
    """Deferred.cancel() cancels the Future; the failure is asyncio's CancelledError."""
    future = loop.create_future()
    d = Deferred.fromFuture(future)
    d.cancel()
    assert future.cancelled()
    assertNoResult(d)
    loop.run_until_complete(asyncio.sleep(0))
    failure = failureResultOf(d, asyncio.CancelledError)
    assert isinstance(failure, Failure)


def test_awaitingATaskThroughFromFuture(loop: asyncio.AbstractEventLoop) -> None:
    """An asyncio Task wrapped with fromFuture can be awaited in a Deferred coroutine."""

    async def asyncioWork() -> int:
        await asyncio.sleep(0)
        return 10

    task = loop.create_task(asyncioWork())

    async def main() -> int:
        return await Deferred.fromFuture(task) + 1

    d = Deferred.fromCoroutine(main())
    loop.run_until_complete(task)
    loop.run_until_complete(asyncio.sleep(0))
    assert successResultOf(d) == 11


def test_callbacksDoNotSeeStopIterationAsContext() -> None:
    """The inlineCallbacks result is delivered outside the runner's except block:
    an exception raised by a callback has no StopIteration __context__."""
    from plait.defer import inlineCallbacks, succeed

    @inlineCallbacks
    def finishes() -> Any:
        yield succeed(None)
        return 7

    contexts: list[object] = []

    def raiser(result: int) -> None:
        try:
            raise ValueError(result)
        except ValueError as e:
            contexts.append(e.__context__)

    finishes().addCallback(raiser)
    assert contexts == [None]

    @inlineCallbacks
    def fails() -> Any:
        yield succeed(None)
        raise KeyError("k")

    def onError(failure: Any) -> None:
        try:
            raise ValueError("later")
        except ValueError as e:
            contexts.append(e.__context__)

    fails().addErrback(onError)
    assert contexts == [None, None]
