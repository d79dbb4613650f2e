"""``SynchronousTestCase``: trial's test case for code that needs no reactor.

This module owns how one test runs (``SynchronousTestCase.run``), the
``skip``/``todo``/``suppress`` attributes, ``Todo``/``makeTodo``,
``addCleanup``/``patch``/``mktemp``, the logged-error and warning capture
(``flushLoggedErrors``/``flushWarnings``) and ``PyUnitResultAdapter``, which
turns trial's reports (Failures, todos) into calls any standard library
``unittest.TestResult`` understands.  ``TestCase`` (``plait.trial._asynctest``)
changes only how each phase is called and what is checked at the end.

One test, in order (each step is a *phase*; a failing phase is reported and
the next steps still follow this list):

1. ``skip`` found on the method, the class or the module: report a skip, stop.
2. start capturing logged errors and warnings;
3. ``setUp``; if it failed, go to 5;
4. the test method (a failure matching ``todo`` is an expected failure; a
   pass with a ``todo`` is an unexpected success);
5. the cleanups, last added first;
6. ``tearDown`` if ``setUp`` succeeded;
7. ``_afterTest`` (``TestCase``: the dirty-reactor check), then every
   logged error not flushed is reported as an error;
8. success if nothing was reported; warnings not flushed are re-emitted.

Rules: ``skip``, ``todo``, ``suppress`` and ``timeout`` are looked up on the
test method, then the test case, then its module (``acquireAttribute``).  A
``failureException`` (``FailTest``) is a failure, ``SkipTest`` a skip, any
other exception an error (a bare ``assert`` too, as in trial).
``KeyboardInterrupt`` ends the run.  A synchronous test that returns a
coroutine, or a Deferred that has not fired, is an error: nothing would
ever wait for it.

Tests: tests/unit/test_trial_sync.py.
"""

from __future__ import annotations

import contextlib
import dis
import functools
import inspect
import os
import sys
import tempfile
import types
import unittest
import warnings
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple, ParamSpec

from plait import log
from plait.defer import Deferred
from plait.failure import Failure
from plait.trial import util
from plait.trial._assertions import FailTest, _Assertions
from plait.trial._spin import LoggedErrors
from plait.trial.util import Suppression, excInfoOrFailureToExcInfo

__unittest = True  # hide these frames from test failure tracebacks

__all__ = ["PyUnitResultAdapter", "SkipTest", "SynchronousTestCase", "Todo", "makeTodo"]

_P = ParamSpec("_P")

SkipTest = unittest.SkipTest


class Todo:
    """A test expected to fail: ``reason``, and the errors that count (None: any)."""

    def __init__(self, reason: str, errors: Iterable[type[BaseException]] | None = None) -> None:
        self.reason = reason
        self.errors = None if errors is None else tuple(errors)

    def __repr__(self) -> str:
        return f"<Todo reason={self.reason!r} errors={self.errors!r}>"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Todo):
            return NotImplemented
        return (self.reason, self.errors) == (other.reason, other.errors)

    def __hash__(self) -> int:
        return hash((self.reason, self.errors))

    def expected(self, failure: Failure) -> bool:
        """Whether ``failure`` is the failure this todo expects."""
        return self.errors is None or bool(failure.check(*self.errors))


def makeTodo(value: str | tuple[Any, str]) -> Todo:
    """A ``Todo`` from a ``todo`` attribute: a reason, or ``(errors, reason)``.

    ``errors`` is one exception class or an iterable of them.
    """
    if isinstance(value, str):
        return Todo(value)
    if isinstance(value, tuple) and len(value) == 2:
        errors, reason = value
        return Todo(reason, [errors] if isinstance(errors, type) else errors)
    raise TypeError(f"a todo is a reason string or an (errors, reason) tuple, not {value!r}")


class _Warning(NamedTuple):
    message: str
    category: type[Warning]
    filename: str
    lineno: int


@contextlib.contextmanager
def _collectingWarnings(observe: Callable[[_Warning], object]) -> Iterator[None]:
    """Send every warning issued inside to ``observe`` instead of showing it."""

    def showWarning(
        message: Warning | str, category: type[Warning], filename: str, lineno: int,
        file: Any = None, line: str | None = None,
    ) -> None:
        observe(_Warning(str(message), category, filename, lineno))

    with warnings.catch_warnings():
        warnings.simplefilter("always")
        warnings.showwarning = showWarning
        yield


@contextlib.contextmanager
def _suppressing(suppress: Iterable[Suppression]) -> Iterator[None]:
    """Apply a ``suppress`` list (``warnings.filterwarnings`` arguments) inside."""
    with warnings.catch_warnings():
        for args, kwargs in suppress:
            warnings.filterwarnings(*args, **kwargs)
        yield


class PyUnitResultAdapter:
    """trial's reports (Failures, todos) for a standard library ``TestResult``.

    Failures become ``sys.exc_info()`` triples; a todo's reason is read back
    by trial-style reporters from ``test.getTodo()``.  ``failed`` says
    whether anything but a success was reported through this adapter.
    """

    def __init__(self, original: unittest.TestResult) -> None:
        self.original = original
        self.failed = False

    def addError(self, test: unittest.TestCase, error: Failure) -> None:
        """Report an error (any exception but ``failureException``)."""
        self.failed = True
        self.original.addError(test, excInfoOrFailureToExcInfo(error))

    def addFailure(self, test: unittest.TestCase, failure: Failure) -> None:
        """Report a failed assertion."""
        self.failed = True
        self.original.addFailure(test, excInfoOrFailureToExcInfo(failure))

    def addSkip(self, test: unittest.TestCase, reason: str) -> None:
        """Report a skip."""
        self.failed = True
        self.original.addSkip(test, reason)

    def addExpectedFailure(self, test: unittest.TestCase, failure: Failure, todo: Todo) -> None:
        """Report a failure that ``todo`` expected."""
        self.failed = True
        self.original.addExpectedFailure(test, excInfoOrFailureToExcInfo(failure))

    def addUnexpectedSuccess(self, test: unittest.TestCase, todo: Todo) -> None:
        """Report a pass of a test marked ``todo``."""
        self.failed = True
        self.original.addUnexpectedSuccess(test)

    def addSuccess(self, test: unittest.TestCase) -> None:
        """Report a success."""
        self.original.addSuccess(test)


class SynchronousTestCase(_Assertions):
    """A test case whose tests, fixtures and cleanups are plain calls.

    Subclass it and write ``test_*`` methods; see the module docstring for
    what one run does.  ``skip`` (a reason), ``todo`` (a reason or
    ``(errors, reason)``) and ``suppress`` (a list of ``util.suppress(...)``)
    may be set on a test method, on the class or on the module.
    """

    failureException = FailTest

    def __init__(self, methodName: str = "runTest") -> None:
        super().__init__(methodName)
        self._passed = False
        # trial's own cleanup list (same name and shape as unittest's).
        self._cleanups: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
        self._testMethodName = methodName
        self._parents: list[object] = [
            getattr(self, methodName), self, sys.modules.get(type(self).__module__),
        ]
        self._warnings: list[_Warning] = []
        self._observer: LoggedErrors | None = None

    def __eq__(self, other: object) -> bool:
        # Identity: the same test method may be run twice (by two suites).
        if isinstance(other, SynchronousTestCase):
            return self is other
        return NotImplemented

    def __hash__(self) -> int:
        return hash((type(self), self._testMethodName))

    def shortDescription(self) -> str:
        """The first line of the test's docstring, else its method name."""
        return super().shortDescription() or self._testMethodName

    def runTest(self) -> None:
        """The test run when no method name is given; does nothing."""

    # -- attributes looked up method -> class -> module -----------------------

    def getSkip(self) -> tuple[bool, str | None]:
        """``(True, reason)`` if the test is to be skipped, else ``(False, None)``.

        The ``skip`` attribute wins; then ``unittest.skip``'s marker on the class.
        """
        reason = util.acquireAttribute(self._parents, "skip", None)
        if reason is not None:
            return True, reason
        if getattr(self, "__unittest_skip__", False):
            return True, getattr(self, "__unittest_skip_why__", "")
        return False, None

    def getTodo(self) -> Todo | None:
        """The ``Todo`` for this test, or None."""
        todo = util.acquireAttribute(self._parents, "todo", None)
        return None if todo is None else makeTodo(todo)

    def _getSuppress(self) -> list[Suppression]:
        return list(util.acquireAttribute(self._parents, "suppress", []))

    def getSuppress(self) -> list[Suppression]:
        """The ``suppress`` list for this test (empty if none)."""
        return self._getSuppress()

    # -- helpers for tests -------------------------------------------------------

    def addCleanup(  # type: ignore[override]
        self, f: Callable[_P, object], *args: _P.args, **kwargs: _P.kwargs
    ) -> None:
        """Call ``f(*args, **kwargs)`` after the test, before ``tearDown``; last added runs first."""
        self._cleanups.append((f, args, kwargs))

    def patch(self, obj: object, attribute: str, value: object) -> util.MonkeyPatcher:
        """Set ``obj.attribute = value`` until the test ends; return the patcher."""
        patcher = util.MonkeyPatcher((obj, attribute, value))
        patcher.patch()
        self.addCleanup(patcher.restore)
        return patcher

    def flushLoggedErrors(self, *errorTypes: type[BaseException] | str) -> list[Failure]:
        """Remove and return the errors logged so far that match ``errorTypes`` (all if none).

        Each error logged while the test runs (``log.err``, a failure in a
        timed call, an unhandled error in a Deferred...) fails the test
        unless it is flushed.
        """
        if self._observer is None:
            return []
        return self._observer.flush(*errorTypes)

    def flushWarnings(self, offendingFunctions: Iterable[Callable[..., Any]] | None = None) -> list[dict[str, Any]]:
        """Remove and return the warnings issued so far, as dicts.

        With ``offendingFunctions``, only the warnings that point into one of
        those functions (their file and a line of the function).  Keys:
        ``message``, ``category``, ``filename``, ``lineno``.  Raises
        ``ValueError`` for something that is not a function or method.
        """
        if offendingFunctions is None:
            taken = list(self._warnings)
        else:
            functions = list(offendingFunctions)
            for function in functions:
                if not isinstance(function, (types.FunctionType, types.MethodType)):
                    raise ValueError(f"{function!r} is not a function or method")  # noqa: TRY004 - trial's type
            taken = [w for w in self._warnings if any(_pointsInto(w, f) for f in functions)]
        for w in taken:
            self._warnings.remove(w)
        return [w._asdict() for w in taken]

    def mktemp(self) -> str:
        """A new relative path (its parent exists, it does not), unique to this call.

        Below ``module/Class/method/`` in the current directory (the runner's
        ``_trial_temp``).
        """
        maxName = 32  # some file systems limit name lengths
        base = os.path.join(
            type(self).__module__[:maxName], type(self).__name__[:maxName], self._testMethodName[:maxName]
        )
        os.makedirs(base, exist_ok=True)
        return os.path.join(os.path.relpath(tempfile.mkdtemp("", "", base)), "temp")

    # -- running -------------------------------------------------------------------

    def run(self, result: unittest.TestResult | None = None) -> unittest.TestResult:
        """Run the test, reporting to ``result`` (see the module docstring)."""
        if result is None:
            result = self.defaultTestResult()
        reporter = PyUnitResultAdapter(result)
        result.startTest(self)
        try:
            doSkip, reason = self.getSkip()
            if doSkip:
                reporter.addSkip(self, str(reason))
                return result
            self._warnings = []
            self._observer = LoggedErrors()
            self._observer.start()
            try:
                with _collectingWarnings(self._warnings.append):
                    log.msg(f"--> {self.id()} <--")
                    self._runFixturesAndTest(reporter)
            finally:
                self._observer.stop()
            for w in self.flushWarnings():
                try:
                    warnings.warn_explicit(**w)
                except Exception:  # noqa: BLE001 - a warning turned into an error fails the test
                    reporter.addError(self, Failure())
        finally:
            result.stopTest(self)
        return result

    def _runFixturesAndTest(self, reporter: PyUnitResultAdapter) -> None:
        suppress = self._getSuppress()
        setUpDone = False
        try:
            setUpDone = self._runPhase(self.setUp, "setUp", suppress, None, reporter)
            if setUpDone:
                todo = self.getTodo()
                method = getattr(self, self._testMethodName)
                passed = self._runPhase(method, self._testMethodName, suppress, todo, reporter)
                if passed and todo is not None:
                    reporter.addUnexpectedSuccess(self, todo)
        finally:
            self._runCleanups(suppress, reporter)
        if setUpDone:
            self._runPhase(self.tearDown, "tearDown", suppress, None, reporter)
        self._afterTest(reporter)
        assert self._observer is not None
        for failure in self._observer.flush():
            reporter.addError(self, failure)
        self._passed = not reporter.failed
        if self._passed:
            reporter.addSuccess(self)

    def _runPhase(
        self, func: Callable[[], object], description: str, suppress: list[Suppression],
        todo: Todo | None, reporter: PyUnitResultAdapter,
    ) -> bool:
        """Run one phase; report its failure (if any); return whether it passed."""
        if inspect.isgeneratorfunction(func):
            failure: Failure | None = Failure(
                TypeError(f"{func!r} is a generator function and therefore will never run")
            )
        else:
            failure = self._callPhase(func, description, suppress)
        if failure is None:
            return True
        if failure.check(SkipTest):
            reporter.addSkip(self, failure.value.args[0] if failure.value.args else "")
        elif todo is not None and todo.expected(failure):
            reporter.addExpectedFailure(self, failure, todo)
        elif failure.check(self.failureException, FailTest):
            reporter.addFailure(self, failure)
        else:
            reporter.addError(self, failure)
        return False

    def _runCleanups(self, suppress: list[Suppression], reporter: PyUnitResultAdapter) -> None:
        failures = []
        while self._cleanups:
            f, args, kwargs = self._cleanups.pop()
            name = getattr(f, "__name__", repr(f))
            failure = self._callPhase(functools.partial(f, *args, **kwargs), f"cleanup function {name}", suppress)
            if failure is not None:
                failures.append(failure)
        for failure in failures:
            reporter.addError(self, failure)

    def _callPhase(self, func: Callable[[], object], description: str, suppress: list[Suppression]) -> Failure | None:
        """Call ``func``; return its Failure, or None if it succeeded."""
        with _suppressing(suppress):
            try:
                result = func()
            except KeyboardInterrupt:
                raise
            except BaseException:  # noqa: BLE001 - the phase's failure, reported
                return Failure()
        return self._synchronousOutcome(result, description)

    def _synchronousOutcome(self, result: object, description: str) -> Failure | None:
        if inspect.iscoroutine(result):
            result.close()  # never run; closing it avoids "never awaited"
            return Failure(TypeError(
                f"{description} returned a coroutine, which a SynchronousTestCase "
                f"never runs: use plait.trial.unittest.TestCase"
            ))
        if isinstance(result, Deferred):
            outcome: list[object] = []
            result.addBoth(outcome.append)
            if not outcome:
                return Failure(TypeError(
                    f"{description} returned {result!r}, which has not fired; a "
                    f"SynchronousTestCase never waits: use plait.trial.unittest.TestCase"
                ))
            if isinstance(outcome[0], Failure):
                return outcome[0]
        return None

    def _afterTest(self, reporter: PyUnitResultAdapter) -> None:
        """Checks after the test and its fixtures (``TestCase``: the reactor)."""


def _pointsInto(w: _Warning, function: Callable[..., Any]) -> bool:
    """Whether warning ``w`` points at a line of ``function``."""
    module = sys.modules.get(function.__module__)
    if module is None or os.path.normcase(w.filename) != inspect.getabsfile(module):
        return False
    code = function.__code__
    lines = [line for _, line in dis.findlinestarts(code) if line is not None]
    return bool(lines) and min(lines) <= w.lineno <= max(lines)
