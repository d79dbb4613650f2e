"""trial's assertions: the ``assert*``/``fail*`` methods and their aliases.

This module owns ``FailTest`` (what a failed assertion raises), the
``_Assertions`` base of ``SynchronousTestCase`` and the context manager
behind ``assertRaises``.  Import the public names from
``plait.trial.unittest``.

Rules (trial's, which differ from the standard library's):

* assertions return something useful: ``assertEqual`` returns its first
  argument, ``assertRaises(E, f)`` the exception, ``assertTrue`` the
  condition, ``successResultOf`` the result;
* every name trial has is here, old aliases included (``failUnlessEqual``,
  ``assertEquals``, ``failIf``, ``assertIdentical``...);
* ``successResultOf``/``failureResultOf``/``assertNoResult`` never run a
  reactor: they look at a Deferred (or a coroutine, run until it first
  waits) as it is right now;
* messages are trial's, so a test ported from Twisted fails with the text
  its author expects.

Tests: tests/unit/test_trial_assertions.py.
"""

from __future__ import annotations

import unittest
import warnings
from collections.abc import Callable, Coroutine, Generator
from types import TracebackType
from typing import Any, NoReturn, Self, TypeVar

from plait.defer import Deferred, ensureDeferred
from plait.failure import Failure

__unittest = True  # hide these frames from test failure tracebacks

__all__ = ["FailTest"]

_T = TypeVar("_T")


class FailTest(AssertionError):
    """Raised to say the current test failed (``failureException``)."""


FailTest.__module__ = "plait.trial.unittest"


def _qualifiedName(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


class _AssertRaisesContext:
    """``with self.assertRaises(E) as ctx:``; afterwards ``ctx.exception``."""

    def __init__(self, testCase: _Assertions, expected: type[BaseException] | tuple[type[BaseException], ...]) -> None:
        self._testCase = testCase
        self._expected = expected
        self._returnValue: object = None
        self.exception: BaseException | None = None
        self._expectedName = getattr(expected, "__name__", str(expected))

    def _handle(self, f: Callable[[], object]) -> BaseException | None:
        with self:
            self._returnValue = f()
        return self.exception

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exceptionType: type[BaseException] | None,
        exceptionValue: BaseException | None,
        traceback: TracebackType | None,
    ) -> bool:
        if exceptionType is None or exceptionValue is None:
            self._testCase.fail(f"{self._expectedName} not raised ({self._returnValue!r} returned)")
        self.exception = exceptionValue
        if not issubclass(exceptionType, self._expected):
            reason = Failure(exceptionValue, exceptionType, traceback)
            self._testCase.fail(
                f"{_qualifiedName(exceptionType)} raised instead of {self._expectedName}:\n"
                f" {reason.getTraceback()}"
            )
        return True  # the expected exception: swallow it


class _Assertions(unittest.TestCase):
    """trial's assertions on top of the standard library's TestCase."""

    failureException = FailTest

    def fail(self, msg: object = None) -> NoReturn:
        """Fail the test now, with ``msg`` as the reason."""
        raise self.failureException(msg)

    def assertFalse(self, condition: Any, msg: Any = None) -> Any:
        """Fail if ``condition`` is true; return it."""
        super().assertFalse(condition, msg)
        return condition

    assertNot = failUnlessFalse = failIf = assertFalse  # type: ignore[assignment]

    def assertTrue(self, condition: Any, msg: Any = None) -> Any:
        """Fail if ``condition`` is false; return it."""
        super().assertTrue(condition, msg)
        return condition

    assert_ = failUnlessTrue = failUnless = assertTrue  # type: ignore[assignment]

    def assertRaises(  # type: ignore[override]
        self,
        exception: type[BaseException] | tuple[type[BaseException], ...],
        f: Callable[..., object] | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> Any:
        """Fail unless ``f(*args, **kwargs)`` raises ``exception``; return the exception.

        Without ``f``, a context manager: the exception is then its
        ``exception`` attribute.
        """
        context = _AssertRaisesContext(self, exception)
        if f is None:
            return context
        call = f
        return context._handle(lambda: call(*args, **kwargs))

    failUnlessRaises = assertRaises  # type: ignore[assignment]

    def assertEqual(self, first: Any, second: Any, msg: Any = None) -> Any:
        """Fail unless ``first == second`` (the standard library's message); return ``first``."""
        super().assertEqual(first, second, msg)
        return first

    assertEquals = failUnlessEqual = failUnlessEquals = assertEqual

    def assertIs(self, first: Any, second: Any, msg: Any = None) -> Any:
        """Fail unless ``first is second``; return ``first``."""
        if first is not second:
            raise self.failureException(msg or f"{first!r} is not {second!r}")
        return first

    failUnlessIdentical = assertIdentical = assertIs

    def assertIsNot(self, first: Any, second: Any, msg: Any = None) -> Any:
        """Fail if ``first is second``; return ``first``."""
        if first is second:
            raise self.failureException(msg or f"{first!r} is {second!r}")
        return first

    failIfIdentical = assertNotIdentical = assertIsNot

    def assertNotEqual(self, first: Any, second: Any, msg: Any = None) -> Any:
        """Fail if ``first == second``; return ``first``."""
        if not first != second:
            raise self.failureException(msg or f"{first!r} == {second!r}")
        return first

    assertNotEquals = failIfEquals = failIfEqual = assertNotEqual

    def assertIn(self, containee: Any, container: Any, msg: Any = None) -> Any:
        """Fail unless ``containee in container``; return ``containee``."""
        if containee not in container:
            raise self.failureException(msg or f"{containee!r} not in {container!r}")
        return containee

    failUnlessIn = assertIn

    def assertNotIn(self, containee: Any, container: Any, msg: Any = None) -> Any:
        """Fail if ``containee in container``; return ``containee``."""
        if containee in container:
            raise self.failureException(msg or f"{containee!r} in {container!r}")
        return containee

    failIfIn = assertNotIn

    def assertNotAlmostEqual(  # type: ignore[override]
        self, first: Any, second: Any, places: int = 7, msg: Any = None, delta: Any = None
    ) -> Any:
        """Fail if ``round(second - first, places) == 0``; return ``first``."""
        if round(second - first, places) == 0:
            raise self.failureException(msg or f"{first!r} == {second!r} within {places!r} places")
        return first

    assertNotAlmostEquals = failIfAlmostEqual = failIfAlmostEquals = assertNotAlmostEqual  # type: ignore[assignment]

    def assertAlmostEqual(  # type: ignore[override]
        self, first: Any, second: Any, places: int = 7, msg: Any = None, delta: Any = None
    ) -> Any:
        """Fail unless ``round(second - first, places) == 0``; return ``first``."""
        if round(second - first, places) != 0:
            raise self.failureException(msg or f"{first!r} != {second!r} within {places!r} places")
        return first

    assertAlmostEquals = failUnlessAlmostEqual = assertAlmostEqual  # type: ignore[assignment]

    def assertApproximates(self, first: Any, second: Any, tolerance: Any, msg: Any = None) -> Any:
        """Fail if ``abs(first - second) > tolerance``; return ``first``."""
        if abs(first - second) > tolerance:
            raise self.failureException(msg or f"{first} ~== {second}")
        return first

    failUnlessApproximates = assertApproximates

    def assertSubstring(self, substring: Any, astring: Any, msg: Any = None) -> Any:
        """Fail unless ``substring`` is in ``astring``."""
        return self.assertIn(substring, astring, msg)

    failUnlessSubstring = assertSubstring

    def assertNotSubstring(self, substring: Any, astring: Any, msg: Any = None) -> Any:
        """Fail if ``substring`` is in ``astring``."""
        return self.assertNotIn(substring, astring, msg)

    failIfSubstring = assertNotSubstring

    def assertWarns(  # type: ignore[override]
        self, category: type[Warning], message: str, filename: str, f: Callable[..., _T], *args: Any, **kwargs: Any
    ) -> _T:
        """Call ``f``; fail unless it warned ``message`` of ``category`` from ``filename``.

        trial's signature (not the standard library's context manager).
        Returns what ``f`` returned.
        """
        with warnings.catch_warnings(record=True) as shown:
            warnings.simplefilter("always")
            result = f(*args, **kwargs)
        if not shown:
            self.fail("No warnings emitted")
        first = shown[0]
        for other in shown[1:]:
            if (str(other.message), other.category) != (str(first.message), first.category):
                self.fail("Can't handle different warnings")
        self.assertEqual(str(first.message), message)
        self.assertIdentical(first.category, category)
        self.assertTrue(
            filename.startswith(first.filename), f"Warning in {first.filename!r}, expected {filename!r}"
        )
        return result

    failUnlessWarns = assertWarns

    def assertIsInstance(self, instance: Any, classOrTuple: Any, message: Any = None) -> None:
        """Fail unless ``isinstance(instance, classOrTuple)``."""
        if not isinstance(instance, classOrTuple):
            suffix = "" if message is None else f": {message}"
            self.fail(f"{instance!r} is not an instance of {classOrTuple}{suffix}")

    failUnlessIsInstance = assertIsInstance

    def assertNotIsInstance(self, instance: Any, classOrTuple: Any, message: Any = None) -> None:
        """Fail if ``isinstance(instance, classOrTuple)``."""
        if isinstance(instance, classOrTuple):
            suffix = "" if message is None else f": {message}"
            self.fail(f"{instance!r} is an instance of {classOrTuple}{suffix}")

    failIfIsInstance = assertNotIsInstance

    # -- Deferreds, as they are right now ---------------------------------------

    def _current(self, deferred: Any) -> tuple[Deferred[Any], list[object]]:
        d = ensureDeferred(deferred)
        results: list[object] = []
        d.addBoth(results.append)
        return d, results

    def successResultOf(
        self, deferred: Deferred[_T] | Coroutine[Any, Any, _T] | Generator[Any, Any, _T]
    ) -> _T:
        """Return the result ``deferred`` already has; fail if it has none or failed."""
        d, results = self._current(deferred)
        if not results:
            self.fail(f"Success result expected on {d!r}, found no result instead")
        result = results[0]
        if isinstance(result, Failure):
            self.fail(
                f"Success result expected on {d!r}, found failure result instead:\n"
                f"{result.getTraceback()}"
            )
        return result  # type: ignore[return-value]

    def failureResultOf(self, deferred: Any, *expectedExceptionTypes: type[BaseException]) -> Failure:
        """Return the ``Failure`` ``deferred`` already has, checked against the types given."""
        d, results = self._current(deferred)
        if not results:
            self.fail(f"Failure result expected on {d!r}, found no result instead")
        result = results[0]
        if not isinstance(result, Failure):
            self.fail(f"Failure result expected on {d!r}, found success result ({result!r}) instead")
        if expectedExceptionTypes and not result.check(*expectedExceptionTypes):
            expected = " or ".join(_qualifiedName(t) for t in expectedExceptionTypes)
            self.fail(
                f"Failure of type ({expected}) expected on {d!r}, found type "
                f"{result.type!r} instead: {result.getTraceback()}"
            )
        return result

    def assertNoResult(self, deferred: Any) -> None:
        """Fail if ``deferred`` has a result (a failure result is then consumed)."""
        d = ensureDeferred(deferred)
        results: list[object] = []

        def keep(result: object) -> object:
            results.append(result)
            return result

        d.addBoth(keep)
        if results:
            d.addErrback(lambda _: None)  # the failure is reported below instead
            self.fail(f"No result expected on {d!r}, found {results[0]!r} instead")
