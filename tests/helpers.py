"""Helpers shared by the test suite (not part of plait's public API).

``runUntil`` drives a real reactor until a Deferred fires, bounded by a
timeout, using ``crash()`` so the same reactor may be run again in one test.
``successResultOf`` / ``failureResultOf`` / ``assertNoResult`` are trial's
synchronous Deferred assertions as plain functions.
"""

from __future__ import annotations

from typing import Any


class RunTimeout(AssertionError):
    """runUntil gave up waiting."""


def runUntil(reactor: Any, d: Any, timeout: float = 5.0) -> Any:
    """Run ``reactor`` until ``d`` fires or ``timeout`` seconds pass.

    Returns the result, or raises the failure's exception.  The reactor is
    crashed (not stopped) so the caller may run it again.
    """
    from plait.failure import Failure

    outcome: list[Any] = []

    def done(result: Any) -> None:
        outcome.append(result)
        if reactor.running:
            reactor.crash()

    d.addBoth(done)
    if not outcome:
        timer = reactor.callLater(timeout, reactor.crash)
        reactor.callWhenRunning(lambda: None)
        reactor.run(installSignalHandlers=False)
        if timer.active():
            timer.cancel()
    if not outcome:
        raise RunTimeout(f"{d!r} did not fire within {timeout} s")
    result = outcome[0]
    if isinstance(result, Failure):
        result.raiseException()
    return result


def successResultOf(d: Any) -> Any:
    """Return the result of an already-succeeded Deferred."""
    from plait.failure import Failure

    results: list[Any] = []
    d.addBoth(results.append)
    if not results:
        raise AssertionError(f"{d!r} has no result")
    if isinstance(results[0], Failure):
        raise AssertionError(f"{d!r} failed: {results[0].getTraceback()}")  # noqa: TRY004
    return results[0]


def failureResultOf(d: Any, *types: type) -> Any:
    """Return the Failure of an already-failed Deferred (checked against types)."""
    from plait.failure import Failure

    results: list[Any] = []
    d.addBoth(results.append)
    if not results:
        raise AssertionError(f"{d!r} has no result")
    f = results[0]
    if not isinstance(f, Failure):
        raise AssertionError(f"{d!r} succeeded with {f!r}")  # noqa: TRY004
    if types and not f.check(*types):
        raise AssertionError(f"{d!r} failed with {f!r}, expected one of {types}")
    return f


def assertNoResult(d: Any) -> None:
    """Assert that ``d`` has not fired (and leave it untouched)."""
    results: list[Any] = []
    d.addBoth(lambda r: (results.append(r), r)[1])
    if results:
        raise AssertionError(f"{d!r} has result {results[0]!r}")
