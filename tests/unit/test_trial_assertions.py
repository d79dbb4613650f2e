"""trial's assertions (``plait.trial._assertions``): results, messages, aliases.

Each assertion is called on a ``SynchronousTestCase`` instance directly; a
failing one raises ``FailTest`` with trial's message.
"""

from __future__ import annotations

import warnings
from typing import Any

import pytest

from plait.defer import Deferred, fail, succeed
from plait.failure import Failure
from plait.trial import FailTest, SynchronousTestCase


class _Case(SynchronousTestCase):
    def test_nothing(self) -> None:
        pass


@pytest.fixture
def case() -> _Case:
    return _Case("test_nothing")


def test_failRaisesFailTest(case: _Case) -> None:
    with pytest.raises(FailTest, match="^why$"):
        case.fail("why")
    assert issubclass(FailTest, AssertionError)
    assert case.failureException is FailTest


def test_assertionsReturnTheirFirstArgument(case: _Case) -> None:
    marker = object()
    assert case.assertEqual(marker, marker) is marker
    assert case.assertIs(marker, marker) is marker
    assert case.assertIsNot(marker, None) is marker
    assert case.assertNotEqual(1, 2) == 1
    assert case.assertIn(1, [1]) == 1
    assert case.assertNotIn(2, [1]) == 2
    assert case.assertTrue([1]) == [1]
    assert case.assertFalse([]) == []
    assert case.assertAlmostEqual(1.0, 1.00000001) == 1.0
    assert case.assertNotAlmostEqual(1.0, 1.1) == 1.0
    assert case.assertApproximates(1.0, 1.05, 0.1) == 1.0


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda c: c.assertIs(1, 2), "1 is not 2"),
        (lambda c: c.assertIsNot(None, None), "None is None"),
        (lambda c: c.assertNotEqual(1, 1), "1 == 1"),
        (lambda c: c.assertIn(3, [1]), "3 not in [1]"),
        (lambda c: c.assertNotIn(1, [1]), "1 in [1]"),
        (lambda c: c.assertAlmostEqual(1.0, 2.0), "1.0 != 2.0 within 7 places"),
        (lambda c: c.assertNotAlmostEqual(1.0, 1.0, 3), "1.0 == 1.0 within 3 places"),
        (lambda c: c.assertApproximates(1.0, 2.0, 0.5), "1.0 ~== 2.0"),
        (lambda c: c.assertSubstring("x", "abc"), "'x' not in 'abc'"),
        (lambda c: c.assertNotSubstring("b", "abc"), "'b' in 'abc'"),
        (lambda c: c.assertIsInstance(1, str), "1 is not an instance of <class 'str'>"),
        (lambda c: c.assertIsInstance(1, str, "why"), "1 is not an instance of <class 'str'>: why"),
        (lambda c: c.assertNotIsInstance(1, int), "1 is an instance of <class 'int'>"),
        (lambda c: c.assertEqual(1, 2), "1 != 2"),
    ],
)
def test_failureMessages(case: _Case, call: Any, message: str) -> None:
    with pytest.raises(FailTest) as info:
        call(case)
    assert str(info.value) == message


def test_customMessageWins(case: _Case) -> None:
    with pytest.raises(FailTest, match="^mine$"):
        case.assertIs(1, 2, "mine")


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("assertNot", "assertFalse"), ("failUnlessFalse", "assertFalse"), ("failIf", "assertFalse"),
        ("assert_", "assertTrue"), ("failUnlessTrue", "assertTrue"), ("failUnless", "assertTrue"),
        ("failUnlessRaises", "assertRaises"), ("assertEquals", "assertEqual"),
        ("failUnlessEqual", "assertEqual"), ("failUnlessEquals", "assertEqual"),
        ("failUnlessIdentical", "assertIs"), ("assertIdentical", "assertIs"),
        ("failIfIdentical", "assertIsNot"), ("assertNotIdentical", "assertIsNot"),
        ("assertNotEquals", "assertNotEqual"), ("failIfEquals", "assertNotEqual"),
        ("failIfEqual", "assertNotEqual"), ("failUnlessIn", "assertIn"), ("failIfIn", "assertNotIn"),
        ("assertNotAlmostEquals", "assertNotAlmostEqual"), ("failIfAlmostEqual", "assertNotAlmostEqual"),
        ("failIfAlmostEquals", "assertNotAlmostEqual"), ("assertAlmostEquals", "assertAlmostEqual"),
        ("failUnlessAlmostEqual", "assertAlmostEqual"), ("failUnlessApproximates", "assertApproximates"),
        ("failUnlessSubstring", "assertSubstring"), ("failIfSubstring", "assertNotSubstring"),
        ("failUnlessWarns", "assertWarns"), ("failUnlessIsInstance", "assertIsInstance"),
        ("failIfIsInstance", "assertNotIsInstance"),
    ],
)
def test_aliases(alias: str, name: str) -> None:
    """Every old trial spelling is the same method (no deprecation warning)."""
    assert getattr(SynchronousTestCase, alias) is getattr(SynchronousTestCase, name)


def test_assertRaisesReturnsTheException(case: _Case) -> None:
    def boom(x: int, y: int = 0) -> None:
        raise ValueError(x, y)

    exception = case.assertRaises(ValueError, boom, 1, y=2)
    assert exception.args == (1, 2)


def test_assertRaisesAsContextManager(case: _Case) -> None:
    with case.assertRaises(KeyError) as context:
        {}["k"]
    assert isinstance(context.exception, KeyError)


def test_assertRaisesNothingRaised(case: _Case) -> None:
    with pytest.raises(FailTest, match=r"^ValueError not raised \(3 returned\)$"):
        case.assertRaises(ValueError, lambda: 3)
    with pytest.raises(FailTest, match=r"^ValueError not raised \(None returned\)$"), case.assertRaises(ValueError):
        pass


def test_assertRaisesWrongException(case: _Case) -> None:
    with pytest.raises(FailTest) as info:
        case.assertRaises(ValueError, lambda: {}["k"])
    assert str(info.value).startswith("builtins.KeyError raised instead of ValueError:")
    assert "Traceback" in str(info.value)


def test_assertWarns(case: _Case) -> None:
    def warner(x: int) -> int:
        warnings.warn("old", DeprecationWarning, stacklevel=1)
        return x * 2

    assert case.assertWarns(DeprecationWarning, "old", __file__, warner, 21) == 42
    with pytest.raises(FailTest, match="No warnings emitted"):
        case.assertWarns(DeprecationWarning, "old", __file__, lambda: None)
    with pytest.raises(FailTest):
        case.assertWarns(DeprecationWarning, "new", __file__, warner, 1)


# -- Deferreds as they are now ----------------------------------------------------


def test_successResultOf(case: _Case) -> None:
    assert case.successResultOf(succeed(5)) == 5
    with pytest.raises(FailTest, match="found no result instead"):
        case.successResultOf(Deferred())
    with pytest.raises(FailTest, match="(?s)found failure result instead:\n.*ZeroDivisionError"):
        case.successResultOf(fail(ZeroDivisionError()))


def test_successResultOfCoroutine(case: _Case) -> None:
    async def seven() -> int:
        return await succeed(7)

    assert case.successResultOf(seven()) == 7


def test_failureResultOf(case: _Case) -> None:
    f = case.failureResultOf(fail(KeyError("k")), KeyError)
    assert isinstance(f, Failure) and f.check(KeyError)
    assert case.failureResultOf(fail(KeyError("k"))).check(KeyError)
    with pytest.raises(FailTest, match="found no result instead"):
        case.failureResultOf(Deferred())
    with pytest.raises(FailTest, match=r"found success result \(1\) instead"):
        case.failureResultOf(succeed(1))
    with pytest.raises(FailTest, match=r"Failure of type \(builtins.ValueError or builtins.TypeError\) expected"):
        case.failureResultOf(fail(KeyError("k")), ValueError, TypeError)


def test_assertNoResult(case: _Case) -> None:
    d: Deferred[int] = Deferred()
    case.assertNoResult(d)
    d.callback(3)
    with pytest.raises(FailTest, match="No result expected on .* found 3 instead"):
        case.assertNoResult(d)


def test_assertNoResultConsumesAFailure(case: _Case) -> None:
    """A failed Deferred reported by assertNoResult is not also 'unhandled'."""
    d = fail(ValueError("x"))
    with pytest.raises(FailTest):
        case.assertNoResult(d)
    results: list[object] = []
    d.addBoth(results.append)
    assert results == [None]
