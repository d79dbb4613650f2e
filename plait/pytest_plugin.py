"""The pytest plugin: ``async def`` and Deferred-returning tests on the plait reactor.

Installed with plait (the ``pytest11`` entry point ``plait.pytest_plugin``),
so it is on in every pytest run once plait is installed; ``-p
no:plait.pytest_plugin`` turns it off, ``-p plait.pytest_plugin`` turns it
on where plait is only on ``sys.path``.

What it gives a test suite:

* fixtures: ``reactor`` (the global reactor; the test may return a
  Deferred or be ``async def`` and the reactor runs until it fires; after
  the test it must be clean), ``clock`` (``task.Clock``),
  ``memory_reactor`` (``MemoryReactorClock``), ``string_transport``
  (``StringTransport``), ``connected_pair`` (a function making an in-memory
  connected client/server pair, pumped with the ``clock``), and
  ``logged_errors`` (errors logged during the test; each one fails it unless
  ``logged_errors.flush(ErrorType)`` takes it);
* ``async def`` tests run on the ``reactor`` fixture's reactor (whichever
  ``reactor`` fixture is in scope: a conftest may provide its own), and a
  test returning a Deferred waits for it; ``async def`` fixtures (plain or
  with a ``yield``) run on it too, setup and teardown;
* ``@pytest.mark.plait_timeout(seconds)``, ``--plait-timeout`` and the
  ``plait_timeout`` ini value (default 120 s): how long such a test may
  wait before it fails, naming what it was waiting for;
* ``--plait-selector NAME`` (or the ``plait_selector`` ini value): install
  the global reactor on that selector ("epoll", "poll", "select"...) before
  test modules are imported.

Rules (so that suites which do not use it run exactly as without it):

* nothing is imported from plait and no reactor is installed until a test
  needs one (or ``--plait-selector`` asks for it);
* plain synchronous tests run as pytest runs them; the plugin only looks
  at what they return, and only a Deferred changes anything;
* ``async def`` tests marked for another async plugin (``asyncio``,
  ``anyio``, ``trio``) and unittest/trial test case methods are left alone;
* a test that stops or crashes the reactor fails, and only that test.

Tests: tests/integration/test_pytest_plugin.py (inner pytest runs).
"""

from __future__ import annotations

import functools
import inspect
import types
import unittest
from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest

__all__ = [
    "clock", "connected_pair", "logged_errors", "memory_reactor", "reactor", "string_transport",
]

#: Markers of other plugins that run ``async def`` tests themselves.
_OTHER_ASYNC_MARKERS = ("asyncio", "anyio", "trio")

_CLAIMED = pytest.StashKey[bool]()
_GUARD = pytest.StashKey[Any]()

DEFAULT_TIMEOUT = 120.0


# -- configuration --------------------------------------------------------------------


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("plait", "plait: tests on the plait reactor")
    group.addoption(
        "--plait-selector", dest="plait_selector", metavar="NAME", default=None,
        help="install the global reactor on this selector before collecting: default, "
        "epoll, poll, select, devpoll, kqueue, or a dotted path to a selectors class",
    )
    group.addoption(
        "--plait-timeout", dest="plait_timeout", metavar="SECONDS", type=float, default=None,
        help="how long an async or Deferred-returning test may wait (default 120)",
    )
    parser.addini("plait_selector", "selector of the global reactor (see --plait-selector)", default="")
    parser.addini("plait_timeout", "seconds an async test may wait (see --plait-timeout)", default="")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "plait_timeout(seconds): how long this async or Deferred-returning test "
        "may wait on the plait reactor before it fails",
    )
    name = config.getoption("plait_selector") or config.getini("plait_selector")
    if not name:
        return
    from plait.trial import _spin

    try:
        selectorClass = _spin.selectorClassFromName(name)
    except (ValueError, TypeError) as e:
        raise pytest.UsageError(f"--plait-selector: {e}") from e
    if _spin.installedGlobalReactor() is not None:
        raise pytest.UsageError(
            f"--plait-selector={name}: the global reactor is already installed "
            f"(something imported plait.reactor before pytest loaded its plugins)"
        )
    _spin.installGlobalReactor(selectorClass)


def _timeoutFor(item: pytest.Item) -> float:
    value: Any
    marker = item.get_closest_marker("plait_timeout")
    if marker is not None:
        value = marker.args[0] if marker.args else marker.kwargs.get("seconds")
        where = f"@pytest.mark.plait_timeout on {item.nodeid}"
    elif item.config.getoption("plait_timeout") is not None:
        value, where = item.config.getoption("plait_timeout"), "--plait-timeout"
    elif item.config.getini("plait_timeout"):
        value, where = item.config.getini("plait_timeout"), "the plait_timeout ini value"
    else:
        return DEFAULT_TIMEOUT
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        raise pytest.UsageError(f"{where}: the timeout must be a number of seconds, not {value!r}") from None
    if not seconds >= 0:
        raise pytest.UsageError(f"{where}: the timeout must be >= 0 seconds, not {value!r}")
    return seconds


# -- which tests run on the reactor ------------------------------------------------------


def _claims(item: pytest.Item) -> bool:
    """Whether this plugin runs ``item`` (an ``async def`` test nobody else runs)."""
    if not isinstance(item, pytest.Function):
        return False
    cls = getattr(item, "cls", None)
    if cls is not None and issubclass(cls, unittest.TestCase):
        return False  # unittest (and trial) test cases run themselves
    if not inspect.iscoroutinefunction(item.obj):
        return False
    return not any(item.get_closest_marker(name) for name in _OTHER_ASYNC_MARKERS)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if _claims(item):
            item.stash[_CLAIMED] = True
            # The test runs on whatever the "reactor" fixture gives it.
            if "reactor" not in item.fixturenames:  # type: ignore[attr-defined]
                item.fixturenames.append("reactor")  # type: ignore[attr-defined]


# Old-style wrappers (``hookwrapper``) work with every pytest from 7.0 on.
@pytest.hookimpl(hookwrapper=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Generator[None, object, None]:
    testFunction = pyfuncitem.obj
    claimed = pyfuncitem.stash.get(_CLAIMED, False)
    if not claimed and (inspect.iscoroutinefunction(testFunction) or inspect.isasyncgenfunction(testFunction)):
        yield  # another plugin's (or pytest's "not supported" skip)
        return

    @functools.wraps(testFunction)
    def runAndWait(*args: Any, **kwargs: Any) -> Any:
        __tracebackhide__ = True
        result = testFunction(*args, **kwargs)
        if result is None:
            return None
        if claimed and inspect.iscoroutine(result):
            return _wait(pyfuncitem, result, result)
        from plait.defer import Deferred

        if isinstance(result, Deferred):
            return _wait(pyfuncitem, result, None)
        return result

    pyfuncitem.obj = runAndWait
    try:
        yield
    finally:
        pyfuncitem.obj = testFunction


def _runOnReactor(node: pytest.Item, target: Any, result: Any, coro: Any, what: str, timeout: float) -> object:
    """Run ``target`` (a reactor, or None for the global one) until ``result`` is done.

    Returns the outcome (a ``Failure`` if it failed); fails the test if the
    reactor was stopped meanwhile.
    """
    __tracebackhide__ = True
    from plait.defer import ensureDeferred
    from plait.trial import _spin

    d = ensureDeferred(result)
    fixtureGuard = node.stash.get(_GUARD, None)
    ownGuard: list[Any] = []

    def getGuard() -> Any:
        if fixtureGuard is not None and (target is None or fixtureGuard.reactor is target):
            return fixtureGuard
        if not ownGuard:
            ownGuard.append(_spin.ReactorGuard(target if target is not None else _spin.globalReactor()))
            ownGuard[0].start()
        return ownGuard[0]

    def describe() -> str:
        return f"{what} still running at {timeout} secs\n{_spin.describeWait(d, coro)}"

    try:
        outcome = _spin.runUntilFired(getGuard, d, timeout, describe)
    finally:
        if ownGuard:
            ownGuard[0].stop()
    guards = ownGuard or ([fixtureGuard] if fixtureGuard is not None else [])
    problem = guards[0].interference() if guards else None
    if problem is not None:
        pytest.fail(problem.getErrorMessage(), pytrace=False)
    return outcome


def _raiseFailure(outcome: object) -> None:
    """Raise a failed outcome: a timeout as a plain message, others as themselves."""
    __tracebackhide__ = True
    from plait.defer import TimeoutError
    from plait.failure import Failure

    if isinstance(outcome, Failure):
        if outcome.check(TimeoutError):
            pytest.fail(outcome.getErrorMessage(), pytrace=False)
        outcome.raiseException()


def _wait(item: pytest.Function, result: Any, coro: Any) -> None:
    """Run the reactor until the test's ``result`` (a Deferred or coroutine) is done."""
    __tracebackhide__ = True
    from plait.trial import _spin

    target = item.funcargs.get("reactor")
    # Without a reactor fixture, the test gets the fixture's checks here.
    janitor = observer = None
    if target is None:
        janitor = _spin.Janitor(_spin.installedGlobalReactor)
        observer = _spin.LoggedErrors()
        observer.start()
    try:
        outcome = _runOnReactor(item, target, result, coro, item.nodeid, _timeoutFor(item))
    finally:
        dirty = janitor.cleanUp() if janitor is not None else None
        logged = []
        if observer is not None:
            observer.stop()
            logged = observer.flush()
    _raiseFailure(outcome)
    if dirty is not None:
        pytest.fail(str(dirty), pytrace=False)
    if logged:
        pytest.fail(_loggedText(logged), pytrace=False)


# -- async fixtures ----------------------------------------------------------------------


@pytest.hookimpl(hookwrapper=True)
def pytest_fixture_setup(fixturedef: Any, request: pytest.FixtureRequest) -> Generator[None, object, None]:
    func = fixturedef.func
    isAsyncGenerator = inspect.isasyncgenfunction(func)
    if not (isAsyncGenerator or inspect.iscoroutinefunction(func)) or any(
        request.node.get_closest_marker(name) for name in _OTHER_ASYNC_MARKERS
    ):
        yield
        return
    fixturedef.func = _synchronousFixture(func, isAsyncGenerator, request)
    try:
        yield
    finally:
        fixturedef.func = func


def _synchronousFixture(func: Any, isAsyncGenerator: bool, request: Any) -> Callable[..., Any]:
    """A plain (generator) function running the async fixture ``func`` on the reactor.

    A function-scoped fixture runs on the ``reactor`` fixture's reactor
    (requested on the fly, so it is set up before and torn down after);
    broader scopes run on the global reactor.
    """
    name = request.fixturename
    instance = request.instance
    owner = getattr(func, "__self__", None)
    if instance is not None and owner is not None and isinstance(instance, type(owner)):
        # A fixture method of the test's class: pytest bound it to another
        # instance; bind it to this test's, as pytest does for sync ones.
        func = types.MethodType(func.__func__, instance)

    def run(awaitable: Any, what: str) -> Any:
        __tracebackhide__ = True

        async def step() -> Any:
            return await awaitable

        target = request.getfixturevalue("reactor") if request.scope == "function" else None
        node = request.node
        timeout = _timeoutFor(node) if isinstance(node, pytest.Item) else DEFAULT_TIMEOUT
        coro = step()
        outcome = _runOnReactor(node, target, coro, coro, what, timeout)
        _raiseFailure(outcome)
        return outcome

    if not isAsyncGenerator:

        def callFixture(**kwargs: Any) -> Any:
            __tracebackhide__ = True
            return run(func(**kwargs), f"fixture {name!r}")

        return callFixture

    def generateFixture(**kwargs: Any) -> Iterator[Any]:
        __tracebackhide__ = True
        generator = func(**kwargs)
        yield run(generator.__anext__(), f"setting up fixture {name!r}")
        try:
            run(generator.__anext__(), f"tearing down fixture {name!r}")
        except StopAsyncIteration:
            return
        raise ValueError(f"fixture {name!r} yielded more than once")

    return generateFixture


def _loggedText(failures: list[Any]) -> str:
    return "errors were logged and not flushed (take them with logged_errors.flush(ErrorType)):\n" + "\n".join(
        f.getTraceback() for f in failures
    )


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def logged_errors() -> Iterator[Any]:
    """Errors logged during the test; each one left unflushed fails it."""
    from plait.trial import _spin

    collector = _spin.LoggedErrors()
    collector.start()
    try:
        yield collector
    finally:
        collector.stop()
    left = collector.flush()
    if left:
        pytest.fail(_loggedText(left), pytrace=False)


@pytest.fixture
def reactor(request: pytest.FixtureRequest, logged_errors: Any) -> Iterator[Any]:
    """The global reactor, run for this test; it must be left clean."""
    from plait.trial import _spin

    r = _spin.globalReactor()
    janitor = _spin.Janitor(lambda: r)
    guard = _spin.ReactorGuard(r)
    guard.start()
    request.node.stash[_GUARD] = guard
    try:
        yield r
    finally:
        del request.node.stash[_GUARD]
        try:
            dirty = janitor.cleanUp()
        finally:
            guard.stop()
    problem = guard.interference()
    if problem is not None:
        pytest.fail(problem.getErrorMessage(), pytrace=False)
    if dirty is not None:
        pytest.fail(str(dirty), pytrace=False)


@pytest.fixture
def clock() -> Any:
    """A ``task.Clock``: time moves only when the test calls ``advance``."""
    from plait.task import Clock

    return Clock()


@pytest.fixture
def memory_reactor() -> Any:
    """A ``MemoryReactorClock``: records connectTCP/listenTCP calls, fake time."""
    from plait.testing import MemoryReactorClock

    return MemoryReactorClock()


@pytest.fixture
def string_transport() -> Any:
    """A ``StringTransport``: records what a protocol writes."""
    from plait.testing import StringTransport

    return StringTransport()


@pytest.fixture
def connected_pair(clock: Any) -> Callable[..., Any]:
    """``connected_pair(ServerProtocol, ClientProtocol, greet=True)`` -> ``(client, server, pump)``.

    Both protocols are connected in memory (``plait.testing.connectedServerAndClient``);
    ``pump.flush()`` moves bytes, running the ``clock``'s due calls each round.
    """
    from plait.testing import connectedServerAndClient

    def connect(serverProtocol: Callable[[], Any], clientProtocol: Callable[[], Any], greet: bool = True) -> Any:
        return connectedServerAndClient(serverProtocol, clientProtocol, clock=clock, greet=greet)

    return connect
