"""plait's events reach the real Twisted's logging when both are loaded.

In the Twisted test environment only: the real ``twisted.logger`` is
imported next to plait (no compatibility mode), as in a program that
mixes both or when trial runs tests of plait code.  A Twisted-only
observer, and trial's ``flushLoggedErrors``, then see plait's events.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.twistedenv import requireTwisted


@pytest.fixture
def twistedLogger() -> Any:
    requireTwisted()
    import twisted.logger

    return twisted.logger


def test_twistedObserverSeesPlaitEvents(twistedLogger: Any, loggedErrors: Any) -> None:
    from plait import log
    from plait.failure import Failure
    from plait.logger import Logger

    seen: list[dict[str, Any]] = []
    twistedLogger.globalLogPublisher.addObserver(seen.append)
    try:
        log.msg("from plait", system="mine")
        log.err(Failure(ValueError("plait error")), "while bridging")
        Logger(namespace="plait.bridge").warn("new {x}", x=1)
    finally:
        twistedLogger.globalLogPublisher.removeObserver(seen.append)
    texts = [twistedLogger.formatEvent(e) for e in seen]
    assert texts[0] == "from plait" and seen[0]["log_system"] == "mine"
    assert seen[0]["log_level"] is twistedLogger.LogLevel.info
    error = seen[1]
    assert error["isError"] == 1 and error["failure"].check(ValueError)
    assert error["log_level"] is twistedLogger.LogLevel.critical
    assert texts[2] == "new 1" and seen[2]["log_level"] is twistedLogger.LogLevel.warn
    assert len(loggedErrors.flush(ValueError)) == 1


def test_trialFlushesPlaitErrors(twistedLogger: Any, loggedErrors: Any) -> None:
    """A trial test of plait code: flushLoggedErrors sees the error plait logged."""
    from twisted.trial import reporter, unittest

    from plait import log

    class Case(unittest.SynchronousTestCase):
        def test_logs(self) -> None:
            log.err(KeyError("from plait"), "under trial")
            self.assertEqual(len(self.flushLoggedErrors(KeyError)), 1)

        def test_unflushed(self) -> None:
            log.err(KeyError("left behind"))

    result = reporter.TestResult()
    Case("test_logs").run(result)
    assert result.wasSuccessful(), result.errors + result.failures
    result = reporter.TestResult()
    Case("test_unflushed").run(result)
    assert len(result.errors) == 1 and "left behind" in str(result.errors[0][1])
    assert len(loggedErrors.flush(KeyError)) == 2
