"""plait's trial: Twisted's test cases, a test runner and a pytest plugin.

``plait.trial`` is ``twisted.trial``: ``plait.trial.unittest`` holds
``SynchronousTestCase`` and ``TestCase`` (re-exported here),
``plait.trial.util`` the helpers (``suppress``, ``DEFAULT_TIMEOUT_DURATION``,
``DirtyReactorAggregateError``), ``python -m plait.trial tests.test_x`` runs
tests and prints trial's report, and ``plait.pytest_plugin`` runs
``async def`` and Deferred-returning tests under pytest.

Layout: ``_assertions`` (the ``assert*`` methods), ``_synctest``
(``SynchronousTestCase``: how one test runs), ``_asynctest`` (``TestCase``:
waiting on the reactor), ``_spin`` (running the global reactor per test,
the janitor, the logged-error observer), ``_reporter``/``_runner`` (the
command line).  Importing any of them installs no reactor.

Tests: tests/unit/test_trial_*.py, tests/integration/test_trial_*.py.
"""

from plait.trial.unittest import (
    FailTest,
    PyUnitResultAdapter,
    SkipTest,
    SynchronousTestCase,
    TestCase,
    TestDecorator,
    TestSuite,
    Todo,
    decorate,
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
