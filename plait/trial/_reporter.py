"""trial's report: a tree of tests with their outcome, then the details.

Owns ``TreeReporter``, a standard library ``unittest.TestResult`` that
prints what ``trial`` prints::

    tests.test_client
      ClientTests
        test_connects ...                                              [OK]
        test_refused ...                                             [FAIL]

then, after a line of ``=``, one block per test that did not simply pass
(skips, expected failures, failures, errors, unexpected successes, in that
order) with its traceback and test id, and the totals:
``Ran 2 tests in 0.012s`` and ``PASSED (successes=2)`` or
``FAILED (failures=1, successes=1)``.

Rules: a test's status is the worst thing reported for it (an error beats
a failure beats a pass); frames of the test machinery (modules marked
``__unittest``) are left out of tracebacks; ``wasSuccessful()`` is false
on failures and errors only, as in trial.

Tests: tests/unit/test_trial_runner.py.
"""

from __future__ import annotations

import time
import traceback
import unittest
from types import TracebackType
from typing import Any, TextIO

__all__ = ["TreeReporter"]

_WIDTH = 79

# Status words, worst first; the first block kinds of the summary.
_STATUS = ["ERROR", "FAIL", "SUCCESS!?!", "TODO", "SKIPPED", "OK"]
_SUMMARY_ORDER = ["SKIPPED", "TODO", "FAIL", "ERROR", "SUCCESS!?!"]
_COUNT_NAMES = {
    "SKIPPED": "skips", "TODO": "expectedFailures", "FAIL": "failures",
    "ERROR": "errors", "SUCCESS!?!": "unexpectedSuccesses", "OK": "successes",
}

ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]


def formatError(err: ExcInfo) -> str:
    """A traceback as text, without the frames of the test machinery."""
    exceptionType, value, tb = err
    frames = [
        (frame, line) for frame, line in traceback.walk_tb(tb) if not frame.f_globals.get("__unittest")
    ]
    lines = ["Traceback (most recent call last):\n"]
    lines += traceback.StackSummary.extract(iter(frames)).format()
    lines += traceback.format_exception_only(exceptionType, value)
    return "".join(lines)


def _segments(test: Any) -> list[str]:
    """``[module, class, method]`` for a test case, else ``[id]``."""
    method = getattr(test, "_testMethodName", None)
    if isinstance(test, unittest.TestCase) and method:
        return [type(test).__module__, type(test).__qualname__, method]
    return [test.id()]


class TreeReporter(unittest.TestResult):
    """Prints trial's tree of results to ``stream`` (see the module docstring)."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__()
        self.stream = stream
        self.successes = 0
        self._started = time.monotonic()
        self._shownSegments: list[str] = []
        self._current: Any = None
        self._statuses: list[str] = []
        # (status, test, text) per problem, in the order they were reported.
        self._problems: list[tuple[str, Any, str]] = []

    # -- one test ------------------------------------------------------------------

    def startTest(self, test: Any) -> None:
        super().startTest(test)
        segments = _segments(test)
        for depth, segment in enumerate(segments[:-1]):
            if self._shownSegments[: depth + 1] != segments[: depth + 1]:
                self.stream.write(f"{'  ' * depth}{segment}\n")
        self._shownSegments = segments[:-1]
        self.stream.write(f"{'  ' * (len(segments) - 1)}{segments[-1]} ...")
        self.stream.flush()
        self._current = test
        self._statuses = []

    def stopTest(self, test: Any) -> None:
        super().stopTest(test)
        status = min(self._statuses or ["OK"], key=_STATUS.index)
        prefix = f"{'  ' * (len(_segments(test)) - 1)}{_segments(test)[-1]} ..."
        word = f"[{status}]"
        self.stream.write(" " * max(1, _WIDTH - len(prefix) - len(word)) + word + "\n")
        self.stream.flush()
        self._current = None

    def _record(self, status: str, test: Any, text: str | None) -> None:
        if test is self._current:
            self._statuses.append(status)
        if text is not None:
            self._problems.append((status, test, text))

    def addSuccess(self, test: Any) -> None:
        super().addSuccess(test)
        self.successes += 1
        self._record("OK", test, None)

    def addError(self, test: Any, err: Any) -> None:
        super().addError(test, err)
        self._record("ERROR", test, formatError(err))

    def addFailure(self, test: Any, err: Any) -> None:
        super().addFailure(test, err)
        self._record("FAIL", test, formatError(err))

    def addSkip(self, test: Any, reason: str) -> None:
        super().addSkip(test, reason)
        self._record("SKIPPED", test, f"{reason}\n")

    def addExpectedFailure(self, test: Any, err: Any) -> None:
        super().addExpectedFailure(test, err)
        self._record("TODO", test, f"Reason: {self._todoReason(test)!r}\n{formatError(err)}")

    def addUnexpectedSuccess(self, test: Any) -> None:
        super().addUnexpectedSuccess(test)
        self._record("SUCCESS!?!", test, f"Reason: {self._todoReason(test)!r}\n")

    def _todoReason(self, test: Any) -> str | None:
        getTodo = getattr(test, "getTodo", None)
        todo = getTodo() if getTodo is not None else None
        return getattr(todo, "reason", None)

    # -- the end ---------------------------------------------------------------------

    def wasSuccessful(self) -> bool:
        """True unless a test failed or errored (skips and todos do not count)."""
        return not (self.failures or self.errors)

    def done(self) -> None:
        """Print the details of every problem, and the totals."""
        elapsed = time.monotonic() - self._started
        self.stream.write("\n")
        for status in _SUMMARY_ORDER:
            for kind, test, text in self._problems:
                if kind == status:
                    self.stream.write(f"{'=' * _WIDTH}\n[{status}]\n{text}\n{test.id()}\n")
        self.stream.write(f"{'-' * _WIDTH}\nRan {self.testsRun} tests in {elapsed:.3f}s\n\n")
        counts = {
            "SKIPPED": len(self.skipped), "TODO": len(self.expectedFailures),
            "FAIL": len(self.failures), "ERROR": len(self.errors),
            "SUCCESS!?!": len(self.unexpectedSuccesses), "OK": self.successes,
        }
        summary = ", ".join(f"{_COUNT_NAMES[k]}={n}" for k, n in counts.items() if n)
        self.stream.write(f"{'PASSED' if self.wasSuccessful() else 'FAILED'} ({summary})\n")
        self.stream.flush()
