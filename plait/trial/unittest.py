"""Things for writing unit tests (``twisted.trial.unittest``).

The public names of ``plait.trial``: ``SynchronousTestCase`` and
``TestCase`` (the test cases), ``FailTest``/``SkipTest`` (what failing and
skipping raise), ``Todo``/``makeTodo`` (expected failures),
``PyUnitResultAdapter`` (trial's reports for a standard library result),
and the suite helpers ``TestSuite``, ``TestDecorator`` and ``decorate``.

Write tests as in Twisted::

    from plait.trial import unittest

    class ClientTests(unittest.TestCase):
        async def test_greets(self):
            proto = await connectProtocol(endpoint, Greeter())
            self.assertEqual(await proto.greeting, "hello")

Run them with ``python -m plait.trial``, ``python -m unittest`` or pytest.
Under ``python -m plait.compat`` this module is ``twisted.trial.unittest``.

Tests: tests/unit/test_trial_sync.py, tests/unit/test_trial_async.py.
"""

from __future__ import annotations

import unittest as _pyunit
from collections.abc import Callable, Iterator
from typing import Any

from plait.trial._assertions import FailTest
from plait.trial._asynctest import TestCase
from plait.trial._synctest import (
    PyUnitResultAdapter,
    SkipTest,
    SynchronousTestCase,
    Todo,
    makeTodo,
)

__all__ = [
    "FailTest",
    "PyUnitResultAdapter",
    "SkipTest",
    "SynchronousTestCase",
    "TestCase",
    "TestDecorator",
    "TestSuite",
    "Todo",
    "decorate",
    "makeTodo",
]


class TestSuite(_pyunit.TestSuite):
    """A suite that runs its tests in order and keeps them (pyunit's drops them)."""

    __test__ = False  # not a test class, even when imported into a test module

    def _removeTestAtIndex(self, index: int) -> None:
        """Keep finished tests: a runner may report on them afterwards."""

    def run(self, result: _pyunit.TestResult, debug: bool = False) -> _pyunit.TestResult:
        """Run every test (stopping early if ``result.shouldStop``)."""
        for test in self:
            if result.shouldStop:
                break
            test(result)
        return result


class TestDecorator:
    """Wraps a test; ``run`` delegates to it.  Subclass to add behaviour around a test."""

    __test__ = False  # not a test class, even when imported into a test module

    def __init__(self, test: Any) -> None:
        self._originalTest = test

    def __call__(self, result: _pyunit.TestResult) -> Any:
        return self.run(result)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._originalTest, name)

    def countTestCases(self) -> int:
        """How many tests the wrapped test holds."""
        return int(self._originalTest.countTestCases())

    def run(self, result: _pyunit.TestResult) -> Any:
        """Run the wrapped test."""
        return self._originalTest.run(result)


def _iterateTests(test: Any) -> Iterator[Any]:
    if isinstance(test, _pyunit.TestSuite):
        for t in test:
            yield from _iterateTests(t)
    else:
        yield test


def decorate(test: Any, decorator: Callable[[Any], Any]) -> TestSuite:
    """A suite of every test in ``test``, each wrapped by ``decorator``."""
    return TestSuite([decorator(t) for t in _iterateTests(test)])
