"""``SynchronousTestCase.run``: what one test does and reports (``plait.trial._synctest``).

Inner test cases are defined here and run on a standard library
``unittest.TestResult``; the assertions are about what that result got.
None of this runs a reactor.  Errors the inner tests log on purpose are
also seen by this suite's ``loggedErrors`` fixture, which flushes them.
"""

from __future__ import annotations

import os
import sys
import unittest
import warnings
from pathlib import Path
from typing import Any

import pytest

from plait import log
from plait.defer import Deferred, fail, succeed
from plait.trial import SkipTest, SynchronousTestCase, Todo, makeTodo, util
from plait.trial.unittest import PyUnitResultAdapter, TestSuite, decorate

skip = None  # read by the module-level lookups below (patched per test)


def run(case: unittest.TestCase) -> unittest.TestResult:
    result = unittest.TestResult()
    case.run(result)
    return result


def outcome(result: unittest.TestResult) -> dict[str, int]:
    """Counts of every kind of report, for compact assertions."""
    return {
        "run": result.testsRun, "errors": len(result.errors), "failures": len(result.failures),
        "skipped": len(result.skipped), "expected": len(result.expectedFailures),
        "unexpected": len(result.unexpectedSuccesses),
        "success": int(result.wasSuccessful() and not (
            result.skipped or result.expectedFailures or result.unexpectedSuccesses
        )),
    }


PASS = {"run": 1, "errors": 0, "failures": 0, "skipped": 0, "expected": 0, "unexpected": 0, "success": 1}


def counts(**changes: int) -> dict[str, int]:
    return {**PASS, "success": 0, **changes}


class Events(SynchronousTestCase):
    """Records the order of its phases in ``events``."""

    __test__ = False  # run by these tests, not collected by pytest itself

    def __init__(self, methodName: str) -> None:
        super().__init__(methodName)
        self.events: list[str] = []

    def setUp(self) -> None:
        self.events.append("setUp")
        self.addCleanup(self.events.append, "cleanup1")
        self.addCleanup(self.events.append, "cleanup2")

    def tearDown(self) -> None:
        self.events.append("tearDown")

    def test_pass(self) -> None:
        self.events.append("test")

    def test_fail(self) -> None:
        self.events.append("test")
        self.fail("no")

    def test_error(self) -> None:
        raise ValueError("boom")

    def test_assert(self) -> None:
        assert False  # trial calls a bare assert an error, not a failure

    def test_skipTest(self) -> None:
        raise SkipTest("not here")

    def test_skipAttribute(self) -> None:
        self.events.append("test")

    test_skipAttribute.skip = "off"  # type: ignore[attr-defined]


def test_phasesRunInTrialsOrder() -> None:
    case = Events("test_pass")
    assert outcome(run(case)) == PASS
    assert case.events == ["setUp", "test", "cleanup2", "cleanup1", "tearDown"]


def test_failureIsAFailureErrorIsAnError() -> None:
    assert outcome(run(Events("test_fail"))) == counts(failures=1)
    assert outcome(run(Events("test_error"))) == counts(errors=1)
    # trial reports a bare assert (AssertionError, not FailTest) as an error
    assert outcome(run(Events("test_assert"))) == counts(errors=1)


def test_failedTestStillCleansUpAndTearsDown() -> None:
    case = Events("test_fail")
    run(case)
    assert case.events == ["setUp", "test", "cleanup2", "cleanup1", "tearDown"]


def test_skips() -> None:
    result = run(Events("test_skipTest"))
    assert outcome(result) == counts(skipped=1)
    assert result.skipped[0][1] == "not here"
    case = Events("test_skipAttribute")
    result = run(case)
    assert result.skipped[0][1] == "off" and case.events == []


def test_skipOnClassAndModule(monkeypatch: pytest.MonkeyPatch) -> None:
    class Skipped(SynchronousTestCase):
        skip = "whole class"

        def test_x(self) -> None:
            raise AssertionError("ran")

    assert run(Skipped("test_x")).skipped[0][1] == "whole class"
    monkeypatch.setitem(globals(), "skip", "whole module")

    class Plain(SynchronousTestCase):
        def test_x(self) -> None:
            raise AssertionError("ran")

    assert run(Plain("test_x")).skipped[0][1] == "whole module"


def test_unittestSkipDecorator() -> None:
    @unittest.skip("decorated")
    class Skipped(SynchronousTestCase):
        def test_x(self) -> None:
            raise AssertionError("ran")

    assert run(Skipped("test_x")).skipped[0][1] == "decorated"


def test_setUpFailureSkipsTestAndTearDownButRunsCleanups() -> None:
    class BadSetUp(Events):
        def setUp(self) -> None:
            super().setUp()
            raise RuntimeError("setUp broke")

    case = BadSetUp("test_pass")
    assert outcome(run(case)) == counts(errors=1)
    assert case.events == ["setUp", "cleanup2", "cleanup1"]


def test_failingCleanupsAreAllRunAndReported() -> None:
    ran: list[int] = []

    class Cleanups(SynchronousTestCase):
        def test_x(self) -> None:
            self.addCleanup(ran.append, 1)
            self.addCleanup(lambda: 1 / 0)
            self.addCleanup(ran.append, 2)
            self.addCleanup(lambda: {}["k"])

    result = run(Cleanups("test_x"))
    assert ran == [2, 1]
    assert [e[1].splitlines()[-1] for e in result.errors] == [
        "KeyError: 'k'", "ZeroDivisionError: division by zero",
    ]


def test_todo() -> None:
    class Todos(SynchronousTestCase):
        def test_expected(self) -> None:
            self.fail("known bug")

        test_expected.todo = "bug 1"  # type: ignore[attr-defined]

        def test_passes(self) -> None:
            pass

        test_passes.todo = "bug 2"  # type: ignore[attr-defined]

        def test_wrongError(self) -> None:
            raise KeyError("k")

        test_wrongError.todo = (ValueError, "only ValueError expected")  # type: ignore[attr-defined]

    assert outcome(run(Todos("test_expected"))) == counts(expected=1)
    assert outcome(run(Todos("test_passes"))) == counts(unexpected=1)
    assert outcome(run(Todos("test_wrongError"))) == counts(errors=1)


def test_makeTodo() -> None:
    assert makeTodo("r") == Todo("r")
    assert makeTodo((ValueError, "r")).errors == (ValueError,)
    assert makeTodo(((ValueError, KeyError), "r")).errors == (ValueError, KeyError)
    assert repr(Todo("r")) == "<Todo reason='r' errors=None>"
    with pytest.raises(TypeError, match="a todo is a reason string"):
        makeTodo(3)  # type: ignore[arg-type]


def test_generatorTestIsAnError() -> None:
    class Gen(SynchronousTestCase):
        def test_gen(self) -> Any:
            yield 1

    result = run(Gen("test_gen"))
    assert "is a generator function and therefore will never run" in result.errors[0][1]


def test_coroutineOrUnfiredDeferredIsAnError() -> None:
    """A synchronous test case never waits: returning something to wait for is a mistake."""

    class Returns(SynchronousTestCase):
        async def test_coro(self) -> None:
            raise AssertionError("never runs")

        def test_unfired(self) -> Deferred[None]:
            return Deferred()

        def test_fired(self) -> Deferred[int]:
            return succeed(1)

        def test_failed(self) -> Deferred[None]:
            return fail(KeyError("from the Deferred"))

    assert "returned a coroutine" in run(Returns("test_coro")).errors[0][1]
    assert "which has not fired" in run(Returns("test_unfired")).errors[0][1]
    assert outcome(run(Returns("test_fired"))) == PASS
    assert "from the Deferred" in run(Returns("test_failed")).errors[0][1]


def test_loggedErrorFailsTheTestUnlessFlushed(loggedErrors: Any) -> None:
    class Logs(SynchronousTestCase):
        def test_unflushed(self) -> None:
            log.err(ValueError("logged"), "why")

        def test_flushed(self) -> None:
            log.err(ValueError("logged"), "why")
            log.err(KeyError("other"), "why")
            assert [f.type for f in self.flushLoggedErrors(ValueError)] == [ValueError]
            assert [f.type for f in self.flushLoggedErrors()] == [KeyError]

    result = run(Logs("test_unflushed"))
    assert outcome(result) == counts(errors=1)
    assert result.errors[0][1].splitlines()[-1] == "ValueError: logged"
    assert outcome(run(Logs("test_flushed"))) == PASS
    assert len(loggedErrors.flush(ValueError, KeyError)) == 3


def test_flushLoggedErrorsOutsideARun() -> None:
    assert Events("test_pass").flushLoggedErrors() == []


def test_warningsAreCapturedAndFlushed() -> None:
    seen: list[Any] = []

    class Warns(SynchronousTestCase):
        def test_flushAll(self) -> None:
            warnings.warn("one", DeprecationWarning, stacklevel=1)
            warnings.warn("one", DeprecationWarning, stacklevel=1)  # no registry: seen twice
            seen.extend(self.flushWarnings())

        def test_flushByFunction(self) -> None:
            self.warner()
            seen.extend(self.flushWarnings([self.test_flushAll]))
            seen.extend(self.flushWarnings([Warns.warner]))

        def warner(self) -> None:
            warnings.warn("from warner", UserWarning, stacklevel=1)

        def test_unflushed(self) -> None:
            warnings.warn("left over", UserWarning, stacklevel=1)

    assert outcome(run(Warns("test_flushAll"))) == PASS
    assert [(w["message"], w["category"]) for w in seen] == [("one", DeprecationWarning)] * 2
    assert seen[0]["filename"] == __file__ and isinstance(seen[0]["lineno"], int)
    seen.clear()
    assert outcome(run(Warns("test_flushByFunction"))) == PASS
    assert [w["message"] for w in seen] == ["from warner"]
    # Unflushed warnings are re-emitted after the test: under this suite's
    # "error" filter that makes the test fail, as it would under trial.
    result = run(Warns("test_unflushed"))
    assert "UserWarning: left over" in result.errors[0][1]


def test_flushWarningsRejectsNonFunctions() -> None:
    case = Events("test_pass")
    with pytest.raises(ValueError, match="is not a function or method"):
        case.flushWarnings([3])  # type: ignore[list-item]


def test_suppress() -> None:
    class Suppressed(SynchronousTestCase):
        def test_x(self) -> None:
            warnings.warn("quiet please", DeprecationWarning, stacklevel=1)
            warnings.warn("loud", UserWarning, stacklevel=1)
            assert [w["message"] for w in self.flushWarnings()] == ["loud"]

        test_x.suppress = [util.suppress(message="quiet please")]  # type: ignore[attr-defined]  # noqa: RUF012

    assert outcome(run(Suppressed("test_x"))) == PASS
    assert Suppressed("test_x").getSuppress() == [(("ignore",), {"message": "quiet please"})]


def test_patchIsUndoneAfterTheTest() -> None:
    class Target:
        value = 1

    class Patches(SynchronousTestCase):
        def test_x(self) -> None:
            self.patch(Target, "value", 2)
            self.patch(Target, "extra", 3)
            assert (Target.value, Target.extra) == (2, 3)  # type: ignore[attr-defined]

    assert outcome(run(Patches("test_x"))) == PASS
    assert Target.value == 1 and not hasattr(Target, "extra")


def test_mktemp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    case = Events("test_pass")
    first, second = case.mktemp(), case.mktemp()
    assert first != second and not os.path.isabs(first)
    assert os.path.isdir(os.path.dirname(first)) and not os.path.exists(first)
    assert first.startswith(os.path.join(__name__[:32], "Events", "test_pass"))


def test_identityAndDescription() -> None:
    a, b = Events("test_pass"), Events("test_pass")
    assert a == a and a != b and hash(a) == hash(b)  # noqa: PLR0124 - identity is the point
    assert a.shortDescription() == "test_pass"
    assert a.id().endswith("Events.test_pass")
    assert SynchronousTestCase().runTest() is None


def test_resultAdapter() -> None:
    """The adapter turns Failures into exc_info triples any TestResult accepts."""
    from plait.failure import Failure

    result = unittest.TestResult()
    adapter = PyUnitResultAdapter(result)
    case = Events("test_pass")
    assert not adapter.failed
    adapter.addError(case, Failure(ValueError("never raised")))
    assert adapter.failed
    assert result.errors[0][1].splitlines()[-1] == "ValueError: never raised"


def test_keyboardInterruptEndsTheRun() -> None:
    class Interrupted(SynchronousTestCase):
        def test_x(self) -> None:
            raise KeyboardInterrupt

    result = unittest.TestResult()
    with pytest.raises(KeyboardInterrupt):
        Interrupted("test_x").run(result)
    assert result.testsRun == 1 and not result.errors  # stopTest ran, nothing reported


def test_suiteAndDecorate() -> None:
    order: list[str] = []

    class Two(SynchronousTestCase):
        def test_a(self) -> None:
            order.append("a")

        def test_b(self) -> None:
            order.append("b")

    class Wrapper:
        def __init__(self, test: Any) -> None:
            self.test = test

        def __call__(self, result: unittest.TestResult) -> None:
            order.append("wrapped")
            self.test(result)

    suite = decorate(TestSuite([Two("test_a"), TestSuite([Two("test_b")])]), Wrapper)
    result = unittest.TestResult()
    suite.run(result)
    assert order == ["wrapped", "a", "wrapped", "b"] and result.testsRun == 2


def test_worksUnderPythonUnittest() -> None:
    """A standard unittest runner runs a trial test case."""
    loader = unittest.TestLoader()
    suite = loader.loadTestsFromTestCase(Events)
    result = unittest.TestResult()
    suite.run(result)
    assert result.testsRun == 6
    assert (len(result.failures), len(result.errors), len(result.skipped)) == (1, 2, 2)


def test_moduleHasASkipForLookups() -> None:
    # The module-level "skip" name the lookups read is None unless patched.
    assert sys.modules[__name__].skip is None
