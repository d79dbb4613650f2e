"""``TestCase`` waiting on a real reactor (``plait.trial._asynctest`` and ``_spin``).

The inner test cases run in this process on this suite's fresh ``reactor``
(standing in for the global one, which must not be installed here): each
test patches ``_spin.globalReactor``/``installedGlobalReactor`` to return
it.  Timeouts are a fraction of a second; everything else is driven by
events.  The global reactor itself is covered by subprocess runs in
tests/integration/test_trial_global.py.
"""

from __future__ import annotations

import socket
import threading
import unittest
from collections.abc import Iterator
from typing import Any

import pytest

from plait import log
from plait.defer import Deferred, succeed
from plait.error import ConnectionLost
from plait.failure import Failure
from plait.task import deferLater
from plait.trial import TestCase, _spin


@pytest.fixture
def onReactor(reactor: Any, monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Make ``reactor`` the one trial's TestCase runs on."""
    monkeypatch.setattr(_spin, "globalReactor", lambda: reactor)
    monkeypatch.setattr(_spin, "installedGlobalReactor", lambda: reactor)
    yield reactor
    assert "stop" not in vars(reactor) and "crash" not in vars(reactor)


def run(case: unittest.TestCase) -> unittest.TestResult:
    result = unittest.TestResult()
    case.run(result)
    return result


def lastLines(result: unittest.TestResult) -> list[str]:
    return [text.rstrip().splitlines()[-1] for _, text in result.errors + result.failures]


def test_deferredTestIsWaitedFor(onReactor: Any) -> None:
    events: list[str] = []

    class Waits(TestCase):
        def setUp(self) -> Deferred[None]:
            return deferLater(onReactor, 0.001, events.append, "setUp")

        def test_x(self) -> Deferred[None]:
            def check(value: int) -> None:
                events.append("test")
                self.assertEqual(value, 42)

            return deferLater(onReactor, 0.001, lambda: 42).addCallback(check)

        def tearDown(self) -> Deferred[None]:
            return deferLater(onReactor, 0.001, events.append, "tearDown")

    result = run(Waits("test_x"))
    assert result.wasSuccessful() and not result.errors
    assert events == ["setUp", "test", "tearDown"]


def test_asyncTest(onReactor: Any) -> None:
    class Async(TestCase):
        async def test_ok(self) -> None:
            value = await deferLater(onReactor, 0.001, lambda: 3)
            self.assertEqual(value, 3)

        async def test_fails(self) -> None:
            await deferLater(onReactor, 0.001, lambda: None)
            self.assertEqual(1, 2)

    assert run(Async("test_ok")).wasSuccessful()
    result = run(Async("test_fails"))
    assert lastLines(result) == ["plait.trial.unittest.FailTest: 1 != 2"]
    assert len(result.failures) == 1


def test_firedDeferredNeedsNoReactor(monkeypatch: pytest.MonkeyPatch) -> None:
    """A test whose Deferred already fired never asks for the global reactor."""

    def noReactor() -> Any:
        raise AssertionError("the reactor was asked for")

    monkeypatch.setattr(_spin, "globalReactor", noReactor)
    monkeypatch.setattr(_spin, "installedGlobalReactor", lambda: None)

    class Fired(TestCase):
        def test_x(self) -> Deferred[int]:
            return succeed(1)

        async def test_y(self) -> None:
            await succeed(2)

    assert run(Fired("test_x")).wasSuccessful()
    assert run(Fired("test_y")).wasSuccessful()


def test_cleanupsMayReturnDeferreds(onReactor: Any) -> None:
    order: list[str] = []

    class Cleans(TestCase):
        def test_x(self) -> None:
            self.addCleanup(order.append, "first added, last run")
            self.addCleanup(lambda: deferLater(onReactor, 0.001, order.append, "waited for"))

        def tearDown(self) -> None:
            order.append("tearDown")

    assert run(Cleans("test_x")).wasSuccessful()
    assert order == ["waited for", "first added, last run", "tearDown"]


def test_assertFailure(onReactor: Any) -> None:
    class Failing(TestCase):
        def test_caught(self) -> Deferred[Any]:
            d = deferLater(onReactor, 0.001, lambda: 1 / 0)
            return self.assertFailure(d, ZeroDivisionError).addCallback(
                lambda e: self.assertIsInstance(e, ZeroDivisionError)
            )

        def test_wrongError(self) -> Deferred[Any]:
            return self.assertFailure(deferLater(onReactor, 0, lambda: {}["k"]), ValueError)

        def test_noError(self) -> Deferred[Any]:
            return self.failUnlessFailure(succeed(5), ValueError)

    assert run(Failing("test_caught")).wasSuccessful()
    result = run(Failing("test_wrongError"))
    assert "Expected: (<class 'ValueError'>,)" in result.failures[0][1]
    result = run(Failing("test_noError"))
    assert lastLines(result) == ["plait.trial.unittest.FailTest: did not catch an error, instead got 5"]


def test_timeoutNamesTheTestAndWhatItAwaits(onReactor: Any) -> None:
    """A test that never finishes fails after its timeout; the next one runs cleanly."""
    finallyRan: list[bool] = []
    never: Deferred[None] = Deferred()

    class Slow(TestCase):
        timeout = 0.05

        async def test_forever(self) -> None:
            try:
                await never
            finally:
                finallyRan.append(True)

        def test_next(self) -> Deferred[None]:
            return deferLater(onReactor, 0.001, lambda: None)

    result = run(Slow("test_forever"))
    (text,) = [t for _, t in result.errors]
    assert "plait.defer.TimeoutError: " in text
    assert "Slow.test_forever (test_forever) still running at 0.05 secs" in text
    assert "test_forever is suspended at " + __file__ in text
    assert f"waiting for <Deferred at 0x{id(never):x}>" in text
    assert finallyRan == [True]  # cancelled: the coroutine's finally ran
    assert run(Slow("test_next")).wasSuccessful()


def test_timeoutOfAPlainDeferredCancelsIt(onReactor: Any) -> None:
    cancelled: list[Deferred[None]] = []
    pending: Deferred[None] = Deferred(cancelled.append)

    class Slow(TestCase):
        def test_x(self) -> Deferred[None]:
            return pending

    Slow.test_x.timeout = 0.02  # type: ignore[attr-defined]
    result = run(Slow("test_x"))
    assert "still running at 0.02 secs" in result.errors[0][1]
    assert cancelled == [pending]


def test_badTimeout(onReactor: Any) -> None:
    class Negative(TestCase):
        timeout = -1

        def test_x(self) -> Deferred[None]:
            return Deferred()

    result = run(Negative("test_x"))
    assert "must be >= 0 seconds, not -1.0" in result.errors[0][1]


def test_stoppingTheReactorFailsOnlyThatTest(onReactor: Any) -> None:
    class Stops(TestCase):
        def test_stopLater(self) -> Deferred[None]:
            onReactor.callLater(0, onReactor.stop)  # bound before the test waits
            return Deferred()

        def test_stopNow(self) -> None:
            onReactor.stop()

        async def test_crash(self) -> None:
            onReactor.crash()
            await deferLater(onReactor, 0.001, lambda: None)

        def test_after(self) -> Deferred[None]:
            return deferLater(onReactor, 0.001, lambda: None)

    for name, call in [("test_stopLater", "stop"), ("test_stopNow", "stop"), ("test_crash", "crash")]:
        result = run(Stops(name))
        assert len(result.errors) == 1, name
        assert f"RuntimeError: reactor.{call}() was called while the test ran" in result.errors[0][1]
    assert run(Stops("test_after")).wasSuccessful()
    assert onReactor._state.value == "idle"  # crashed, never stopped


def test_dirtyReactorDelayedCalls(onReactor: Any) -> None:
    class Leaves(TestCase):
        def test_x(self) -> None:
            onReactor.callLater(30, print, "left behind")

        def test_soon(self) -> None:
            onReactor.callLater(0, print)  # run by the janitor's passes: clean

    result = run(Leaves("test_x"))
    (text,) = [t for _, t in result.errors]
    assert "DirtyReactorAggregateError: Reactor was unclean." in text
    assert "called=0 cancelled=0 print('left behind')>" in text
    assert onReactor.getDelayedCalls() == []
    assert run(Leaves("test_soon")).wasSuccessful()


class _Reader:
    """A descriptor on one end of a socketpair."""

    def __init__(self) -> None:
        self.mine, self.other = socket.socketpair()
        self.lost: list[Failure] = []

    def fileno(self) -> int:
        return self.mine.fileno()

    def doRead(self) -> None:
        self.mine.recv(100)

    def connectionLost(self, reason: Failure) -> None:
        self.lost.append(reason)
        self.mine.close()
        self.other.close()

    def logPrefix(self) -> str:
        return "Reader"

    def __repr__(self) -> str:
        return "<the test's reader>"


def test_dirtyReactorSelectables(onReactor: Any) -> None:
    reader = _Reader()

    class Leaves(TestCase):
        def test_x(self) -> None:
            onReactor.addReader(reader)

    result = run(Leaves("test_x"))
    assert "Selectables:\n<the test's reader>" in result.errors[0][1]
    assert onReactor.getReaders() == []
    assert reader.lost and reader.lost[0].check(ConnectionLost)


def test_dirtyReactorThreads(onReactor: Any) -> None:
    release = threading.Event()

    class Leaves(TestCase):
        def test_thread(self) -> None:
            threading.Thread(target=release.wait, name="left-running", daemon=True).start()

        def test_pool(self) -> Deferred[None]:
            onReactor.callInThread(release.wait)
            return deferLater(onReactor, 0.001, lambda: None)

    try:
        result = run(Leaves("test_thread"))
        assert "Threads:\n<Thread(left-running, started daemon" in result.errors[0][1]
        result = run(Leaves("test_pool"))
        assert "1 work item(s) still running in <ThreadPool 'plait.reactor'" in result.errors[0][1]
    finally:
        release.set()
    onReactor._stopThreadPool()


def test_finishedThreadsAreNotDirty(onReactor: Any) -> None:
    from plait.threads import deferToThreadPool

    class UsesThreads(TestCase):
        def test_x(self) -> Deferred[int]:
            pool = onReactor.getThreadPool()
            return deferToThreadPool(onReactor, pool, lambda: 5).addCallback(self.assertEqual, 5)

    assert run(UsesThreads("test_x")).wasSuccessful()
    onReactor._stopThreadPool()


def test_errorInATimedCallFailsOnlyThatTest(onReactor: Any, loggedErrors: Any) -> None:
    class Raises(TestCase):
        def test_x(self) -> Deferred[None]:
            onReactor.callLater(0, lambda: 1 / 0)
            return deferLater(onReactor, 0.01, lambda: None)

        def test_next(self) -> Deferred[None]:
            return deferLater(onReactor, 0.001, lambda: None)

    result = run(Raises("test_x"))
    assert lastLines(result) == ["ZeroDivisionError: division by zero"]
    assert run(Raises("test_next")).wasSuccessful()
    assert len(loggedErrors.flush(ZeroDivisionError)) == 1


def test_unhandledErrorInDeferredFailsTheTest(onReactor: Any, loggedErrors: Any) -> None:
    class Drops(TestCase):
        def test_x(self) -> Deferred[None]:
            d: Deferred[None] = Deferred()
            d.errback(ValueError("nobody handles me"))
            del d  # collected now: "Unhandled error in Deferred"
            return deferLater(onReactor, 0.001, lambda: None)

    result = run(Drops("test_x"))
    assert lastLines(result) == ["ValueError: nobody handles me"]
    loggedErrors.flush(ValueError)


def test_flushLoggedErrorsInAnAsyncTest(onReactor: Any, loggedErrors: Any) -> None:
    class Flushes(TestCase):
        async def test_x(self) -> None:
            onReactor.callLater(0, log.err, KeyError("expected"), "on purpose")
            await deferLater(onReactor, 0.01, lambda: None)
            self.assertEqual(len(self.flushLoggedErrors(KeyError)), 1)

    assert run(Flushes("test_x")).wasSuccessful()
    loggedErrors.flush(KeyError)


def test_waitingInsideARunningReactorIsRefused(onReactor: Any) -> None:
    d: Deferred[None] = Deferred()
    guard = _spin.ReactorGuard(onReactor)
    outcome: list[Any] = []

    def nested() -> None:
        try:
            _spin.runUntilFired(lambda: guard, d, 1, str)
        except RuntimeError as e:
            outcome.append(e)
        onReactor.crash()

    onReactor.callWhenRunning(nested)
    onReactor.run(installSignalHandlers=False)
    assert "is already running" in str(outcome[0])


def test_aReallyStoppedReactorIsReportedClearly(reactor: Any) -> None:
    """If something bypassed the guard and stopped the reactor, each test says why it cannot run."""
    reactor.callWhenRunning(reactor.stop)
    reactor.run(installSignalHandlers=False)
    d: Deferred[None] = Deferred()
    outcome = _spin.runUntilFired(lambda: _spin.ReactorGuard(reactor), d, 1, str)
    assert isinstance(outcome, Failure) and outcome.check(RuntimeError)
    assert "was stopped (a test called the real reactor.stop())" in outcome.getErrorMessage()
    assert not reactor.getDelayedCalls()  # the timeout call was cancelled


def test_guardRestoresInstanceAttributes(reactor: Any) -> None:
    """A guard puts back what was there: nothing, or a stop the user set themselves."""
    guard = _spin.ReactorGuard(reactor)
    guard.start()
    guard.start()
    reactor.stop()
    reactor.stop()
    guard.stop()
    guard.stop()
    assert "stop" not in vars(reactor)
    assert guard.calls == ["reactor.stop()", "reactor.stop()"]
    problem = guard.interference()
    assert problem is not None and problem.getErrorMessage().startswith("reactor.stop() was called")
    assert guard.interference() is None  # each call is reported once
    mine = object()
    reactor.stop = mine
    try:
        guard = _spin.ReactorGuard(reactor)
        guard.start()
        guard.stop()
        assert reactor.stop is mine
    finally:
        del reactor.stop
