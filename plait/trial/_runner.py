"""The ``trial`` command: ``python -m plait.trial [options] tests...``.

Owns finding tests from names given on the command line and running them
with trial's report (``plait.trial._reporter.TreeReporter``).  A name is a
file (``tests/test_x.py``), a package directory, or a dotted name: a
package (its ``test_*`` modules, recursively, unless ``-N``), a module, a
test case class or one test method (``tests.test_x.XTests.test_y``).

What a run does, in order (as Twisted's ``trial``):

1. ``--reactor NAME`` installs the global reactor on that selector
   ("epoll", "poll", "select", ...) before any test module is imported;
2. every name is loaded (one that cannot be is reported as an error, and
   the others still run); tests are sorted by module, class and method;
3. the working directory becomes ``_trial_temp`` (emptied first), where
   ``mktemp()`` paths live and the log is written to ``test.log``;
4. the tests run; the report is printed; the exit status is 0 if no test
   failed or errored, else 1 (2 for bad options).

Tests: tests/unit/test_trial_runner.py, tests/integration/test_trial_examples.py.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import os
import random
import shutil
import sys
import unittest
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any, TextIO

from plait import log
from plait.failure import Failure
from plait.trial import _spin
from plait.trial._reporter import TreeReporter
from plait.trial.unittest import TestDecorator, TestSuite
from plait.trial.util import excInfoOrFailureToExcInfo

__all__ = ["ErrorHolder", "loadNames", "main"]


class ErrorHolder:
    """Stands for a name that could not be loaded: running it reports the error."""

    def __init__(self, description: str, error: Failure) -> None:
        self.description = description
        self.error = error

    def id(self) -> str:
        return self.description

    def __str__(self) -> str:
        return self.description

    def shortDescription(self) -> str:
        return self.description

    def countTestCases(self) -> int:
        return 0

    def __call__(self, result: unittest.TestResult) -> None:
        self.run(result)

    def run(self, result: unittest.TestResult) -> None:
        """Report the loading error as this "test"'s error."""
        result.startTest(self)  # type: ignore[arg-type]
        result.addError(self, excInfoOrFailureToExcInfo(self.error))  # type: ignore[arg-type]
        result.stopTest(self)  # type: ignore[arg-type]


# -- finding tests ------------------------------------------------------------------


def _moduleNameForFile(path: Path) -> tuple[str, Path]:
    """The dotted name of ``path`` (a .py file or package directory) and its import root."""
    path = path.resolve()
    parts = [path.stem if path.is_file() else path.name]
    parent = path.parent
    while (parent / "__init__.py").is_file():
        parts.insert(0, parent.name)
        parent = parent.parent
    return ".".join(parts), parent


def _importFromPath(path: Path) -> ModuleType:
    name, root = _moduleNameForFile(path)
    if str(root) not in sys.path:
        sys.path.insert(0, str(root))
    return importlib.import_module(name)


def _importLongest(name: str) -> tuple[ModuleType, list[str]]:
    """Import the longest importable prefix of dotted ``name``; return it and the rest."""
    parts = name.split(".")
    for cut in range(len(parts), 0, -1):
        moduleName = ".".join(parts[:cut])
        try:
            return importlib.import_module(moduleName), parts[cut:]
        except ModuleNotFoundError as e:
            # Only "this prefix is not a module": an import failing *inside*
            # the module is the user's error, reported as is.
            if e.name is None or not moduleName.startswith(e.name):
                raise
    raise ModuleNotFoundError(f"no module named {parts[0]!r} (looking for {name!r})", name=parts[0])


def _packageModules(package: ModuleType, recurse: bool) -> Iterator[ModuleType]:
    """The ``test_*`` modules of ``package`` (in subpackages too, if ``recurse``), sorted."""
    for directory in getattr(package, "__path__", []):
        root = Path(directory)
        for path in sorted(root.rglob("test_*.py") if recurse else root.glob("test_*.py")):
            relative = path.relative_to(root).with_suffix("").parts
            # Only modules inside packages can be imported by dotted name.
            if all((root.joinpath(*relative[:i]) / "__init__.py").is_file() for i in range(1, len(relative))):
                yield importlib.import_module(".".join([package.__name__, *relative]))


def _loadObject(obj: Any, parent: Any, loader: unittest.TestLoader, recurse: bool) -> unittest.TestSuite:
    if isinstance(obj, ModuleType):
        suite = TestSuite([loader.loadTestsFromModule(obj)])
        if hasattr(obj, "__path__"):
            suite.addTests(loader.loadTestsFromModule(m) for m in _packageModules(obj, recurse))
        return suite
    if isinstance(obj, type) and issubclass(obj, unittest.TestCase):
        return TestSuite([loader.loadTestsFromTestCase(obj)])
    if callable(obj) and isinstance(parent, type) and issubclass(parent, unittest.TestCase):
        return TestSuite([parent(obj.__name__)])
    raise TypeError(f"{obj!r} is not a module, a test case class or a test method")


def loadName(name: str, recurse: bool = True) -> unittest.TestSuite:
    """The tests ``name`` (a file, a package directory or a dotted name) stands for."""
    loader = unittest.TestLoader()
    path = Path(name)
    if path.suffix == ".py" or os.sep in name or path.is_dir():
        if path.is_file() or (path / "__init__.py").is_file():
            return _loadObject(_importFromPath(path), None, loader, recurse)
        raise ValueError(f"{name} is not a Python file or a package directory")
    module, rest = _importLongest(name)
    obj: Any = module
    parent: Any = None
    for attribute in rest:
        parent, obj = obj, getattr(obj, attribute, None)
        if obj is None:
            raise AttributeError(f"{parent!r} has no attribute {attribute!r} (looking for {name!r})")
    return _loadObject(obj, parent, loader, recurse)


def loadNames(names: Sequence[str], recurse: bool = True) -> unittest.TestSuite:
    """A suite of every test ``names`` stand for; a name that fails to load becomes an ``ErrorHolder``."""
    suite = TestSuite()
    for name in names:
        try:
            suite.addTest(loadName(name, recurse))
        except Exception:  # noqa: BLE001 - reported as this name's error
            suite.addTest(ErrorHolder(name, Failure()))  # type: ignore[arg-type]
    return suite


def _flatten(test: Any) -> Iterator[Any]:
    if isinstance(test, unittest.TestSuite):
        for t in test:
            yield from _flatten(t)
    else:
        yield test


# -- running them -------------------------------------------------------------------


class _CollectGarbage(TestDecorator):
    """``--force-gc``: collect garbage around the test; errors logged then are its own."""

    def run(self, result: unittest.TestResult) -> Any:
        gc.collect()
        outcome = super().run(result)
        observer = _spin.LoggedErrors()
        observer.start()
        try:
            gc.collect()
        finally:
            observer.stop()
        for failure in observer.flush():
            result.addError(self._originalTest, excInfoOrFailureToExcInfo(failure))
        return outcome


def _stopOnProblem(result: unittest.TestResult) -> None:
    """``-x``: make ``result`` ask the suite to stop after its first problem."""
    for name in ("addError", "addFailure", "addUnexpectedSuccess"):
        original = getattr(result, name)

        def stopping(*args: Any, _original: Any = original) -> None:
            _original(*args)
            result.stop()

        setattr(result, name, stopping)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m plait.trial",
        description="Run unit tests and print trial's report.",
        epilog="A test name is a file, a package directory, a package, a module, "
        "a test case class or a test method (tests.test_x.XTests.test_y).",
    )
    parser.add_argument("tests", nargs="*", help="what to run")
    parser.add_argument(
        "-r", "--reactor", metavar="NAME",
        help=f"selector for the global reactor: {', '.join(_spin.SELECTOR_NAMES)}, "
        "or a dotted path to a selectors.BaseSelector subclass",
    )
    parser.add_argument("-x", "--exitfirst", action="store_true", help="stop after the first failure or error")
    parser.add_argument("--force-gc", action="store_true", help="run gc.collect() before and after each test")
    parser.add_argument("-N", "--no-recurse", action="store_true", help="do not recurse into subpackages")
    parser.add_argument("-n", "--dry-run", action="store_true", help="list the tests, run none")
    parser.add_argument("-z", "--random", type=int, metavar="SEED", help="run the tests in a random order")
    parser.add_argument("-l", "--logfile", default="test.log", help="log file, in the temp directory")
    parser.add_argument(
        "--temp-directory", default="_trial_temp", help="working directory of the tests (emptied first)"
    )
    return parser


def run(options: argparse.Namespace, stream: TextIO) -> int:
    """Run the tests ``options`` name; return the exit status."""
    if options.reactor is not None:
        try:
            selectorClass = _spin.selectorClassFromName(options.reactor)
        except (ValueError, TypeError) as e:
            stream.write(f"python -m plait.trial: {e}\n")
            return 2
        if _spin.installedGlobalReactor() is not None:
            stream.write("python -m plait.trial: --reactor: a reactor is already installed\n")
            return 2
        _spin.installGlobalReactor(selectorClass)
    here = os.getcwd()
    if here not in sys.path:
        sys.path.insert(0, here)
    suite = loadNames(options.tests, recurse=not options.no_recurse)
    tests = list(_flatten(suite))
    if options.random is not None:
        random.Random(options.random).shuffle(tests)
        stream.write(f"Running tests shuffled with seed {options.random}\n\n")
    if options.dry_run:
        stream.writelines(f"{test.id()}\n" for test in tests)
        return 0
    if options.force_gc:
        tests = [_CollectGarbage(t) for t in tests]
    result = TreeReporter(stream)
    if options.exitfirst:
        _stopOnProblem(result)
    tempDirectory = Path(options.temp_directory).resolve()
    shutil.rmtree(tempDirectory, ignore_errors=True)
    tempDirectory.mkdir(parents=True)
    os.chdir(tempDirectory)
    try:
        with open(options.logfile, "w", encoding="utf-8") as logFile:
            observer = log.FileLogObserver(logFile)
            observer.start()
            try:
                TestSuite(tests).run(result)
            finally:
                observer.stop()
    finally:
        os.chdir(here)
    result.done()
    return 0 if result.wasSuccessful() else 1


def main(argv: Sequence[str] | None = None) -> None:
    """``python -m plait.trial``: parse ``argv``, run, exit with the status."""
    options = _parser().parse_args(argv)
    if not options.tests:
        _parser().print_usage(sys.stderr)
        sys.stderr.write("python -m plait.trial: name at least one test module, package or file\n")
        raise SystemExit(2)
    raise SystemExit(run(options, sys.stdout))
