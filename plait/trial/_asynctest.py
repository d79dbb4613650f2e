"""``TestCase``: trial's test case whose tests may wait for the reactor.

This module owns what ``TestCase`` adds to ``SynchronousTestCase``: a test
method, ``setUp``, ``tearDown`` or cleanup that returns a Deferred, or is
an ``async def``, is waited for by running the global reactor until it
fires (``plait.trial._spin.runUntilFired``); each such phase has its own
timeout; ``assertFailure``; and, after the test, the dirty-reactor check.

Rules:

* The global reactor is installed only when a phase really has to wait
  (a Deferred that already fired needs no reactor), never at import or
  construction time.
* Timeout: the ``timeout`` attribute (method, class, module) or
  ``util.DEFAULT_TIMEOUT_DURATION`` (120 s), per phase.  A phase that runs
  out of time fails with ``defer.TimeoutError`` naming the test, the phase
  and what it was waiting for; its Deferred is cancelled.
* After the test, once a global reactor exists, the ``Janitor`` runs:
  pending ``DelayedCall``s, registered readers/writers and threads left
  running fail the test with ``DirtyReactorAggregateError``, and the
  reactor is cleaned for the next test.
* A test that calls ``reactor.stop()`` or ``crash()``, or whose timed call
  raises (a logged error), fails; the tests after it are unaffected.

Tests: tests/unit/test_trial_async.py, tests/integration/test_trial_global.py.
"""

from __future__ import annotations

import inspect
import warnings
from collections.abc import Callable
from typing import Any

from plait.defer import Deferred, ensureDeferred
from plait.failure import Failure
from plait.trial import _spin, util
from plait.trial._synctest import PyUnitResultAdapter, SynchronousTestCase, _suppressing
from plait.trial.util import Suppression

__unittest = True  # hide these frames from test failure tracebacks

__all__ = ["TestCase"]



class TestCase(SynchronousTestCase):
    """A test case whose tests and fixtures may return Deferreds or be ``async def``.

    The test waits (running the global reactor) until the Deferred fires or
    ``timeout`` seconds pass; see the module docstring.
    """

    def __init__(self, methodName: str = "runTest") -> None:
        super().__init__(methodName)
        self._janitor: _spin.Janitor | None = None
        self._guard: _spin.ReactorGuard | None = None

    def assertFailure(self, deferred: Deferred[Any], *expectedFailures: type[BaseException]) -> Deferred[Any]:
        """Make ``deferred`` succeed with the exception if it fails with one of ``expectedFailures``.

        Otherwise (a success, or another failure) it fails with
        ``failureException``.  Return it from the test so it is waited for.
        """

        def succeeded(result: object) -> object:
            raise self.failureException(f"did not catch an error, instead got {result!r}")

        def failed(failure: Failure) -> object:
            if failure.check(*expectedFailures):
                return failure.value
            raise self.failureException(f"\nExpected: {expectedFailures!r}\nGot:\n{failure}")

        return deferred.addCallbacks(succeeded, failed)

    failUnlessFailure = assertFailure

    def getTimeout(self) -> float:
        """Seconds each phase of this test may take (the ``timeout`` attribute, else 120)."""
        timeout = util.acquireAttribute(self._parents, "timeout", util.DEFAULT_TIMEOUT_DURATION)
        try:
            return float(timeout)
        except (ValueError, TypeError):
            # As trial: some test cases have a *method* called timeout.
            warnings.warn("'timeout' attribute needs to be a number.", category=DeprecationWarning, stacklevel=2)
            return util.DEFAULT_TIMEOUT_DURATION

    # -- running -------------------------------------------------------------------

    def _runFixturesAndTest(self, reporter: PyUnitResultAdapter) -> None:
        self._janitor = _spin.Janitor(lambda: _spin.installedGlobalReactor())
        if _spin.installedGlobalReactor() is not None:
            # Guard from the start: the test may bind reactor.stop (say, in
            # a callLater) before it first waits.
            self._getGuard()
        try:
            super()._runFixturesAndTest(reporter)
        finally:
            if self._guard is not None:
                self._guard.stop()
                self._guard = None

    def _getGuard(self) -> _spin.ReactorGuard:
        """The guard of the global reactor (installing both if needed)."""
        if self._guard is None:
            self._guard = _spin.ReactorGuard(_spin.globalReactor())
            self._guard.start()
        return self._guard

    def _interference(self) -> Failure | None:
        """A Failure for a reactor.stop()/crash() call not reported yet."""
        return None if self._guard is None else self._guard.interference()

    def _callPhase(self, func: Callable[[], object], description: str, suppress: list[Suppression]) -> Failure | None:
        failure = self._waitForPhase(func, description, suppress)
        return self._interference() or failure

    def _waitForPhase(
        self, func: Callable[[], object], description: str, suppress: list[Suppression]
    ) -> Failure | None:
        with _suppressing(suppress):
            try:
                result = func()
            except KeyboardInterrupt:
                raise
            except BaseException:  # noqa: BLE001 - the phase's failure, reported
                return Failure()
            coro = None
            if inspect.iscoroutine(result):
                coro = result
                d: Deferred[Any] = ensureDeferred(result)
            elif isinstance(result, Deferred):
                d = result
            else:
                return None
            timeout = self.getTimeout()
            if not timeout >= 0:
                d.cancel()
                d.addErrback(lambda _: None)
                return Failure(ValueError(f"the timeout of {self.id()} must be >= 0 seconds, not {timeout!r}"))

            def describe() -> str:
                return (
                    f"{self.id()} ({description}) still running at {timeout} secs\n"
                    f"{_spin.describeWait(d, coro)}"
                )

            outcome = _spin.runUntilFired(self._getGuard, d, timeout, describe)
        return outcome if isinstance(outcome, Failure) else None

    def _afterTest(self, reporter: PyUnitResultAdapter) -> None:
        assert self._janitor is not None
        try:
            dirty = self._janitor.cleanUp()
        except KeyboardInterrupt:
            raise
        except BaseException:  # noqa: BLE001 - a broken cleanup is this test's error
            reporter.addError(self, Failure())
            return
        finally:
            self._janitor = None
        if dirty is not None:
            reporter.addError(self, Failure(dirty))
        interference = self._interference()  # a stop() the janitor's passes ran
        if interference is not None:
            reporter.addError(self, interference)
