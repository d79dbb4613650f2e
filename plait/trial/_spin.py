"""Running tests on the global reactor, and cleaning up after them.

This module owns what ``TestCase``, the runner and the pytest plugin share:

* ``globalReactor()`` / ``installGlobalReactor(selectorClass)`` and
  ``selectorClassFromName``: which reactor asynchronous tests run on.
  Nothing is installed at import time; the reactor is installed the first
  time a test needs it (or up front, when a selector class was asked for,
  so that test modules importing ``plait.reactor`` get that one).
* ``ReactorGuard`` and ``runUntilFired(getGuard, d, timeout, describe)``: run the reactor until
  ``d`` fires, as Twisted's trial does: ``run()`` it, ``crash()`` it when
  ``d`` fires, so that it can run again for the next test.
* ``describeWait``: what a timed-out test was waiting for.
* ``Janitor``: after a test, cancel its pending ``DelayedCall``s,
  disconnect its readers and writers, notice threads it left running, and
  describe all of it in a ``DirtyReactorAggregateError``.
* ``LoggedErrors``: a log observer collecting the failures logged while a
  test runs (``flushLoggedErrors``).

Rules:

* While a test runs, a ``ReactorGuard`` replaces ``reactor.stop`` and
  ``reactor.crash`` (instance attributes, removed afterwards): a test that
  calls either fails, and the reactor is only crashed, never stopped, so
  the next test can run it.  The reactor is run without signal
  handlers: Ctrl-C raises ``KeyboardInterrupt`` out of the test run.
* A timed-out wait cancels the Deferred (``finally`` blocks of an awaiting
  coroutine run, connection attempts are abandoned) and reports
  ``defer.TimeoutError`` naming the test, the phase and what it waited for.
* The janitor leaves the reactor as a fresh one would be, whatever it
  reports.

Tests: tests/unit/test_trial_async.py, tests/integration/test_trial_global.py.
"""

from __future__ import annotations

import atexit
import importlib
import selectors
import sys
import threading
import time
from collections.abc import Callable
from types import CoroutineType, GeneratorType
from typing import Any

from plait import error, log
from plait.defer import Deferred, TimeoutError
from plait.failure import Failure
from plait.trial.util import DirtyReactorAggregateError

__unittest = True  # hide these frames from test failure tracebacks

__all__ = [
    "SELECTOR_NAMES",
    "Janitor",
    "LoggedErrors",
    "ReactorGuard",
    "describeWait",
    "globalReactor",
    "installGlobalReactor",
    "runUntilFired",
    "selectorClassFromName",
]

#: Selector names accepted by ``--reactor`` / ``--plait-selector``;
#: "default" is plait's own choice (epoll itself on Linux).
SELECTOR_NAMES = ("default", "epoll", "poll", "select", "devpoll", "kqueue")

#: How long the janitor lets a thread that is just finishing finish.
_THREAD_GRACE = 0.5

_MISSING = object()


# -- which reactor ---------------------------------------------------------------


def selectorClassFromName(name: str) -> type[selectors.BaseSelector] | None:
    """The ``selectors`` class called ``name`` ("epoll", "poll"...), or a dotted path.

    "default" means plait's default and returns None.  Raises ``ValueError``
    naming the problem for an unknown name or a selector this platform
    lacks, ``TypeError`` for a dotted path to something that is not a
    ``selectors.BaseSelector`` subclass.
    """
    if name == "default":
        return None
    if name in SELECTOR_NAMES:
        cls = getattr(selectors, f"{name.capitalize()}Selector", None)
        if cls is None:
            raise ValueError(f"the {name} selector is not available on this platform")
        return cls  # type: ignore[no-any-return]
    moduleName, sep, attribute = name.replace(":", ".").rpartition(".")
    if not sep:
        raise ValueError(
            f"unknown selector {name!r}: use one of {', '.join(SELECTOR_NAMES)} "
            f"or a dotted path to a selectors.BaseSelector subclass"
        )
    try:
        cls = getattr(importlib.import_module(moduleName), attribute)
    except (ImportError, AttributeError) as e:
        raise ValueError(f"cannot import selector class {name!r}: {e}") from e
    if not (isinstance(cls, type) and issubclass(cls, selectors.BaseSelector)):
        raise TypeError(f"{name!r} is not a selectors.BaseSelector subclass")
    return cls


def installGlobalReactor(selectorClass: type[selectors.BaseSelector] | None) -> Any:
    """Install the global reactor on ``selectorClass`` (None: plait's default).

    Raises ``ReactorAlreadyInstalledError`` if one is already installed.
    """
    from plait import selectreactor

    return selectreactor.install(selectorClass)


def globalReactor() -> Any:
    """The global reactor, installing plait's default one if there is none yet."""
    installed = sys.modules.get("plait.reactor")
    if installed is None:
        from plait import reactor as installed
    _closeAtExit(installed)
    return installed


_closing: set[int] = set()


def _closeAtExit(reactor: Any) -> None:
    """Release the reactor's poller and waker when the process ends.

    Tests ran it but nothing will ever stop it; without this its sockets
    are reported as unclosed ``ResourceWarning``s at exit.
    """
    close = getattr(reactor, "_close", None)
    if close is not None and id(reactor) not in _closing:
        _closing.add(id(reactor))
        atexit.register(close)


def installedGlobalReactor() -> Any:
    """The global reactor if one is installed, else None (never installs)."""
    installed = sys.modules.get("plait.reactor")
    if installed is not None:
        _closeAtExit(installed)
    return installed


# -- running until a Deferred fires ------------------------------------------------


class ReactorGuard:
    """Keeps a test from stopping the reactor every test shares.

    While started, ``reactor.stop`` and ``reactor.crash`` are replaced by
    instance attributes that record the call in ``calls`` and only crash the
    loop (which ``run()`` survives); ``stop()`` puts the originals back.
    ``crash()`` is the real crash, for the test machinery itself.
    """

    def __init__(self, reactor: Any) -> None:
        self.reactor = reactor
        self.calls: list[str] = []
        self._reported = 0
        self._realCrash = reactor.crash
        self._saved: dict[str, object] | None = None

    def start(self) -> None:
        """Replace ``stop``/``crash`` on the reactor (idempotent)."""
        if self._saved is not None:
            return
        reactor = self.reactor
        self._saved = {name: reactor.__dict__.get(name, _MISSING) for name in ("stop", "crash")}
        reactor.stop = lambda: self._record("reactor.stop()")
        reactor.crash = lambda: self._record("reactor.crash()")

    def stop(self) -> None:
        """Put the reactor's own ``stop``/``crash`` back (idempotent)."""
        if self._saved is None:
            return
        for name, value in self._saved.items():
            if value is _MISSING:
                self.reactor.__dict__.pop(name, None)
            else:
                setattr(self.reactor, name, value)
        self._saved = None

    def crash(self) -> None:
        """Really crash the reactor (leave ``run()``; it may run again)."""
        self._realCrash()

    def _record(self, call: str) -> None:
        self.calls.append(call)
        self._realCrash()

    def interference(self) -> Failure | None:
        """A Failure for the first call not described by an earlier ``interference()``."""
        seen, self._reported = self._reported, len(self.calls)
        if len(self.calls) <= seen:
            return None
        return Failure(RuntimeError(
            f"{self.calls[seen]} was called while the test ran: every test shares "
            f"the global reactor, so a test must not stop it; return a Deferred "
            f"(or write an async test) and let it fire instead"
        ))


def runUntilFired(
    getGuard: Callable[[], ReactorGuard], d: Deferred[Any], timeout: float, describe: Callable[[], str]
) -> object:
    """Run the guarded reactor until ``d`` fires; return its result (a ``Failure`` if it failed).

    ``getGuard()`` (a started ``ReactorGuard``) is called only if ``d``
    has not fired yet, so a test whose Deferred already fired never installs
    the global reactor.  ``d``'s result is consumed.  After ``timeout``
    seconds ``d`` is cancelled and the result is a ``Failure`` of
    ``defer.TimeoutError`` whose message is ``describe()`` (called at that
    moment, so it can say what ``d`` was still waiting for).  If the loop
    ends otherwise (the test called ``reactor.stop()``; the guard says so),
    ``d`` is cancelled and the result is a ``RuntimeError`` Failure.
    """
    outcome: list[object] = []
    spinning: list[ReactorGuard] = []

    def finished(result: object) -> None:
        outcome.append(result)
        if spinning:
            spinning[0].crash()

    d.addBoth(finished)
    if outcome:
        return outcome[0]
    guard = getGuard()
    reactor = guard.reactor
    if reactor.running:
        raise RuntimeError(
            f"cannot wait for {d!r}: {reactor!r} is already running "
            f"(a test cannot be run from inside another one)"
        )
    timedOut: list[str] = []

    def expire() -> None:
        timedOut.append(describe())
        guard.crash()

    timer = reactor.callLater(timeout, expire)
    spinning.append(guard)
    try:
        reactor.run(installSignalHandlers=False)
    except error.ReactorNotRestartable:
        _abandon(d, outcome)
        return Failure(RuntimeError(
            f"the global reactor {reactor!r} was stopped (a test called the "
            f"real reactor.stop()), so no test can run on it any more"
        ))
    finally:
        spinning.clear()
        if timer.active():
            timer.cancel()
    if outcome:
        return outcome[0]
    _abandon(d, outcome)
    if timedOut:
        return Failure(TimeoutError(timedOut[0]))
    return Failure(RuntimeError(f"the reactor stopped running before {d!r} fired"))


def _abandon(d: Deferred[Any], outcome: list[object]) -> None:
    """Cancel ``d`` if it has not fired (its eventual result is dropped)."""
    if outcome:
        return
    try:
        d.cancel()
    except Exception:  # noqa: BLE001 - a broken canceller is the test's error
        log.err(Failure(), "while cancelling a test's Deferred after it timed out")


def describeWait(d: Deferred[Any], coro: object = None) -> str:
    """Say what ``d`` (the result of ``coro``, if a coroutine made it) waits for.

    For a coroutine, each suspended frame (outermost first) with its file
    and line, then the Deferred the innermost one awaits.
    """
    lines = []
    awaited: object = d
    if coro is not None:
        frames, awaited = _suspension(coro)
        for fileName, lineNumber, name in frames:
            lines.append(f"  {name} is suspended at {fileName}:{lineNumber}")
    lines.append(f"  waiting for {awaited!r}")
    return "\n".join(lines)


def _suspension(coro: object) -> tuple[list[tuple[str, int, str]], object]:
    """The frames of a suspended coroutine chain, and what its innermost awaits."""
    frames: list[tuple[str, int, str]] = []
    iterCode = Deferred.__iter__.__code__
    current = coro
    for _ in range(100):  # an await chain deeper than this is not worth printing
        if isinstance(current, CoroutineType):
            frame, following = current.cr_frame, current.cr_await
        elif isinstance(current, GeneratorType):
            frame, following = current.gi_frame, current.gi_yieldfrom
        else:
            break
        if frame is None:  # finished
            break
        if frame.f_code is iterCode:  # inside ``await someDeferred``
            return frames, frame.f_locals.get("self", current)
        frames.append((frame.f_code.co_filename, frame.f_lineno, frame.f_code.co_name))
        if following is None:
            break
        current = following
    return frames, current


# -- after a test ------------------------------------------------------------------


class Janitor:
    """Checks (and restores) the reactor after one test.

    Build it when the test starts (it remembers which threads existed),
    call ``cleanUp()`` when it ends.  ``getReactor`` returns the reactor to
    inspect, or None if the test never had one (then only threads are
    checked).
    """

    def __init__(self, getReactor: Callable[[], Any]) -> None:
        self._getReactor = getReactor
        self._threadsBefore = set(threading.enumerate())

    def cleanUp(self) -> DirtyReactorAggregateError | None:
        """Clean up; return what was left behind, or None if nothing was."""
        reactor = self._getReactor()
        calls: list[str] = []
        selectables: list[str] = []
        if reactor is not None:
            # Let work the test set going in its last pass finish, as trial
            # does: a callLater(0) or a close that is delivered from the loop.
            reactor.iterate(0)
            reactor.iterate(0)
            calls = self._cancelCalls(reactor)
            selectables = self._disconnectSelectables(reactor)
            self._cancelCalls(reactor)  # scheduled by the disconnections
        threads = self._threadsLeft(reactor)
        if calls or selectables or threads:
            return DirtyReactorAggregateError(calls, selectables, threads)
        return None

    def _cancelCalls(self, reactor: Any) -> list[str]:
        pending = [call for call in reactor.getDelayedCalls() if call.active()]
        described = [repr(call) for call in pending]
        for call in pending:
            call.cancel()
        return described

    def _disconnectSelectables(self, reactor: Any) -> list[str]:
        removeAll = getattr(reactor, "removeAll", None)
        if removeAll is None:
            return []
        removed = removeAll()
        described = [repr(selectable) for selectable in removed]
        for selectable in removed:
            # As at reactor shutdown: the socket is closed and its protocol
            # told, so nothing leaks into the next test.
            try:
                selectable.connectionLost(Failure(error.ConnectionLost("Connection lost")))
            except Exception:  # noqa: BLE001 - reported to the test like any logged error
                log.err(Failure(), f"while disconnecting {selectable!r} after a test")
        return described

    def _threadsLeft(self, reactor: Any) -> list[str]:
        deadline = time.monotonic() + _THREAD_GRACE
        left = []
        pool = getattr(reactor, "threadpool", None)
        poolThreads: set[threading.Thread] = set()
        if pool is not None:
            poolThreads = set(getattr(pool, "threads", ()))
            # A worker that just handed its result over is still "working"
            # for a moment; there is no event to wait for, so poll briefly.
            while getattr(pool, "working", None) and time.monotonic() < deadline:
                time.sleep(0.002)
            busy = len(getattr(pool, "working", ()))
            if busy:
                left.append(f"{busy} work item(s) still running in {pool!r}")
        for thread in threading.enumerate():
            if thread in self._threadsBefore or thread in poolThreads:
                continue
            thread.join(max(0.0, deadline - time.monotonic()))
            if thread.is_alive():
                left.append(repr(thread))
        return left


class LoggedErrors:
    """A log observer keeping every failure logged while it is started.

    An event counts when it carries a failure (``failure``, or
    ``log_failure`` for ``Logger.failure`` events) and is an error
    (``isError``, or any ``log_failure`` event, as Twisted's legacy
    observers see them).
    """

    def __init__(self) -> None:
        self._errors: list[Failure] = []
        self._lock = threading.Lock()  # errors may be logged from other threads
        self._started = False

    def __call__(self, event: dict[str, Any]) -> None:
        failure = event.get("failure")
        if failure is None:
            failure = event.get("log_failure")
        if failure is None or not (event.get("isError") or "log_failure" in event):
            return
        with self._lock:
            self._errors.append(failure)

    def start(self) -> None:
        """Start observing plait's log (idempotent)."""
        if not self._started:
            self._started = True
            log.addObserver(self)

    def stop(self) -> None:
        """Stop observing (idempotent); kept errors stay until flushed."""
        if self._started:
            self._started = False
            log.removeObserver(self)

    def flush(self, *errorTypes: type[BaseException] | str) -> list[Failure]:
        """Remove and return the kept failures matching ``errorTypes`` (all if none)."""
        with self._lock:
            if not errorTypes:
                taken, self._errors = self._errors, []
                return taken
            taken = [f for f in self._errors if f.check(*errorTypes)]
            self._errors = [f for f in self._errors if not f.check(*errorTypes)]
            return taken

    @property
    def errors(self) -> list[Failure]:
        """The failures kept and not yet flushed (a copy)."""
        with self._lock:
            return list(self._errors)
