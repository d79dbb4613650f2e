"""Time, lifecycle and system events: the part of a reactor that is not I/O.

Owns ``DelayedCall`` (the handle ``callLater`` returns), ``_SystemEvent``
(before/during/after triggers) and ``ReactorBase``: ``run``/``stop``/
``crash``/``iterate``, ``callLater``, ``callWhenRunning``, ``callFromThread``,
the thread pool and signal handling (SIGINT/SIGTERM; SIGCHLD for
``plait.process`` where there is no pidfd).
Name resolution comes from ``plait._resolver.PluggableResolverMixin``.
``plait.selectreactor.SelectorReactor`` adds the selector,
the waker and the descriptor bookkeeping on top (``doIteration``).

Rules:

* The lifecycle is the ``_ReactorState`` machine; ``_setState`` is the only
  writer and checks ``_TRANSITIONS``.  ``running`` is Twisted's public view of
  it: False until the *during startup* phase, False again after ``crash()``
  or once the *during shutdown* phase begins.
* After ``stop()`` the reactor can never run again (``ReactorNotRestartable``);
  after ``crash()`` it can (``tests/helpers.py:runUntil`` relies on it).
* ``runUntilCurrent`` is the only place timers and thread calls are invoked.
  It runs the thread calls queued when it started, then the timers due at its
  snapshot of ``seconds()``; calls scheduled meanwhile wait for the next pass.
* An exception from a timer, a thread call or a trigger is logged with
  ``log.err`` and never stops the loop.
* Deliberate divergences from Twisted: ``seconds()`` is ``time.monotonic()``
  (not the wall clock), so timers are immune to clock steps; ``callLater``
  rejects a non-callable at once (Twisted fails only when it is due); a
  before-trigger's failed Deferred is logged (Twisted leaves it unhandled).

The timer queue behind ``callLater`` is ``plait._timerqueue._TimerQueue``
(its theory of operation is there).

Tests: tests/unit/test_delayedcall.py, tests/unit/test_base_reactor.py,
tests/integration/test_reactor_real.py, tests/integration/test_signals.py,
tests/integration/test_threads.py, tests/integration/test_resolver.py.
"""

from __future__ import annotations

import enum
import signal
import threading
import time
import traceback
from collections import deque
from collections.abc import Callable
from types import FrameType
from typing import TYPE_CHECKING, Any

from zope.interface import implementer

from plait import error, log
from plait._resolver import (  # noqa: F401 - Twisted keeps the resolvers in base
    BlockingResolver,
    GAIResolver,
    PluggableResolverMixin,
    ThreadedResolver,
)
from plait._timerqueue import _TimerQueue
from plait.connector import BaseConnector  # noqa: F401 - Twisted's home for it
from plait.defer import Deferred
from plait.failure import Failure
from plait.interfaces import IDelayedCall, IReactorCore, IReactorThreads, IReactorTime
from plait.logger import _dispatchContext

if TYPE_CHECKING:  # imported when first used: most programs never need a pool
    from plait._threadpool import ThreadPool

__all__ = ["DelayedCall", "ReactorBase"]


def __getattr__(name: str) -> Any:
    # Twisted's base module also holds the thread pool class; importing it
    # only when asked keeps ``import plait`` light (most programs never
    # need a pool).
    if name == "ThreadPool":
        from plait._threadpool import ThreadPool

        return ThreadPool
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

#: epoll takes its timeout as an int of milliseconds; Twisted caps there too.
MAX_TIMEOUT = 2147483.0


# Methods below take a parameter named ``callable`` (Twisted's spelling).
builtinCallable = callable


@implementer(IDelayedCall)
class DelayedCall:
    """A call scheduled by ``callLater``: cancel it, move it, or ask about it.

    ``cancel``/``reset``/``delay`` raise ``AlreadyCalled`` once the call ran
    and ``AlreadyCancelled`` once it was cancelled.  ``canceller(self)`` tells
    the owning scheduler (the reactor's timer queue or a ``task.Clock``) about
    a cancellation, ``resetter(self)`` that ``time`` moved *earlier*.

    Moving a call later is lazy, as in Twisted: ``time`` stays (it is where
    the scheduler filed the call) and ``delayed_time`` holds the extra wait,
    so ``getTime()`` is ``time + delayed_time``.  The scheduler folds the
    delay in when ``time`` comes (``_TimerQueue`` re-files the call then).
    That makes ``reset()`` to a later time, what an idle timeout does on
    every packet, two attribute writes and no call into the scheduler.
    """

    # Slots: reactors create these by the hundred thousand, and both
    # allocation and GC traversal get cheaper.  ``__dict__`` is there too
    # (created only when used) so that code written for Twisted can set
    # ``call.debug`` or its own attributes on one call.
    __slots__ = (
        "__dict__", "args", "called", "cancelled", "canceller", "creator", "delayed_time",
        "func", "kw", "resetter", "seconds", "time",
    )

    #: Record the creation stack in ``creator`` (shown in ``repr``): set it
    #: on the class for every new call, or on one call.
    debug: bool = False

    def __init__(
        self, time: float, func: Callable[..., object], args: tuple[Any, ...], kw: dict[str, Any],
        cancel: Callable[[DelayedCall], object], reset: Callable[[DelayedCall], object],
        seconds: Callable[[], float] = time.monotonic,
    ) -> None:
        self.time = time
        self.func = func
        self.args = args
        self.kw = kw
        self.canceller = cancel
        self.resetter = reset
        self.seconds = seconds
        self.called = False
        self.cancelled = False
        self.delayed_time = 0.0
        if self.debug:  # otherwise ``creator`` stays unset, as in Twisted
            self.creator: list[str] = traceback.format_stack()[:-2]

    def getTime(self) -> float:
        """Return when the call is due, in ``seconds()`` units."""
        return self.time + self.delayed_time

    # The state checks are written out in each method rather than shared
    # in a helper: reset() is called per packet by idle timeouts, and a
    # Python call would be most of its cost.

    def cancel(self) -> None:
        """Unschedule the call and drop its function and arguments."""
        if self.cancelled:
            raise error.AlreadyCancelled()
        if self.called:
            raise error.AlreadyCalled()
        self.cancelled = True  # first: the canceller may look at the flag
        self.canceller(self)
        del self.func, self.args, self.kw

    def reset(self, secondsFromNow: float) -> None:
        """Reschedule the call to ``secondsFromNow`` seconds from now.

        Earlier than ``time``: ``time`` moves and the scheduler is told.
        Otherwise only ``delayed_time`` changes (see the class docstring).
        """
        if self.cancelled:
            raise error.AlreadyCancelled()
        if self.called:
            raise error.AlreadyCalled()
        newTime = self.seconds() + secondsFromNow
        if newTime < self.time:
            self.delayed_time = 0.0
            self.time = newTime
            self.resetter(self)
        else:
            self.delayed_time = newTime - self.time

    def delay(self, secondsLater: float) -> None:
        """Move the due time by ``secondsLater`` seconds (negative: earlier)."""
        if self.cancelled:
            raise error.AlreadyCancelled()
        if self.called:
            raise error.AlreadyCalled()
        self.delayed_time += secondsLater
        if self.delayed_time < 0.0:
            self.time += self.delayed_time
            self.delayed_time = 0.0
            self.resetter(self)

    def active(self) -> bool:
        """True until the call has run or been cancelled."""
        return not (self.cancelled or self.called)

    def activate_delay(self) -> None:
        """Fold ``delayed_time`` into ``time`` (Twisted's name; the due time is unchanged).

        The scheduler files calls by ``time``, so a pending call's scheduler
        is told (``resetter``) when ``time`` changes.
        """
        if self.delayed_time:
            self.time += self.delayed_time
            self.delayed_time = 0.0
            if not (self.cancelled or self.called):
                self.resetter(self)

    # Calls order by their scheduled ``time``, as Twisted's do (its timer
    # heap once compared calls directly).  No __eq__: equal times do not
    # make two calls the same call.

    def __lt__(self, other: DelayedCall) -> bool:
        return self.time < other.time

    def __le__(self, other: DelayedCall) -> bool:
        return self.time <= other.time

    def __gt__(self, other: DelayedCall) -> bool:
        return self.time > other.time

    def __ge__(self, other: DelayedCall) -> bool:
        return self.time >= other.time

    def __repr__(self) -> str:
        parts = [
            (
                f"<DelayedCall 0x{id(self):x} [{self.time - self.seconds()}s] "
                f"called={int(self.called)} cancelled={int(self.cancelled)}"
            )
        ]
        if not self.cancelled:
            shown = [repr(a) for a in self.args]
            shown += [f"{k}={v!r}" for k, v in self.kw.items()]
            name = getattr(self.func, "__qualname__", None)
            parts.append(f" {name if isinstance(name, str) else repr(self.func)}({', '.join(shown)})")
        creator = getattr(self, "creator", None)
        if creator is not None:
            parts.append("\n\ntraceback at creation: \n\n" + "    ".join(creator))
        parts.append(">")
        return "".join(parts)


_Trigger = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]
_PHASES = ("before", "during", "after")


class _SystemEvent:
    """The triggers of one system event type ("startup", "shutdown", ...).

    Firing runs and consumes the before-phase triggers; if some returned
    Deferreds, the during and after phases wait until all of them fired.
    """

    def __init__(self) -> None:
        self.phases: dict[str, list[_Trigger]] = {p: [] for p in _PHASES}

    def add(self, phase: str, trigger: _Trigger) -> None:
        if phase not in self.phases:
            raise KeyError("invalid phase")
        self.phases[phase].append(trigger)

    def remove(self, phase: str, trigger: _Trigger) -> None:
        if phase not in self.phases:
            raise KeyError("invalid phase")
        self.phases[phase].remove(trigger)

    def fire(self) -> None:
        waiting: list[Deferred[Any]] = []
        before = self.phases["before"]
        while before:
            result = _callTrigger(before.pop(0))
            if isinstance(result, Deferred):
                waiting.append(result)
        if not waiting:
            self._fireRest()
            return
        remaining = [len(waiting)]

        def oneDone(result: object) -> None:
            if isinstance(result, Failure):
                log.err(result, "While calling system event trigger handler")
            remaining[0] -= 1
            if remaining[0] == 0:
                self._fireRest()

        for d in waiting:
            d.addBoth(oneDone)

    def _fireRest(self) -> None:
        for phase in (self.phases["during"], self.phases["after"]):
            while phase:
                _callTrigger(phase.pop(0))


def _callTrigger(trigger: _Trigger) -> object:
    f, args, kwargs = trigger
    try:
        return f(*args, **kwargs)
    except Exception:  # noqa: BLE001 - logged; the other triggers still run
        log.err(Failure(), "While calling system event trigger handler")
        return None


class _ReactorState(enum.Enum):
    IDLE = "idle"  # constructed, or crashed: run() may be called
    STARTING = "starting"  # firing "startup" before its during phase
    RUNNING = "running"
    STOPPING = "stopping"  # stop() called; "shutdown" fires at the end of this pass
    SHUTTING_DOWN = "shutting down"  # "shutdown" fired, before-phase Deferreds pending
    STOPPED = "stopped"  # terminal

    # Identity hashing (C code) for the transition tables: members are
    # singletons, and Enum's own __hash__ is a Python function.
    __hash__ = object.__hash__


_S = _ReactorState
_STOPPING = _S.STOPPING  # checked twice a pass: a global beats an Enum class attribute
# Per state: the states it may move to, then (running, looping) while in it.
# None keeps ``running`` as it was: a stop requested during startup must not
# look running before "during".
_TRANSITIONS: dict[_ReactorState, tuple[frozenset[_ReactorState], bool | None, bool]] = {
    _S.IDLE: (frozenset({_S.STARTING}), False, False),
    _S.STARTING: (frozenset({_S.RUNNING, _S.STOPPING, _S.IDLE}), False, True),
    _S.RUNNING: (frozenset({_S.STOPPING, _S.IDLE}), True, True),
    _S.STOPPING: (frozenset({_S.SHUTTING_DOWN, _S.STOPPED}), None, True),
    _S.SHUTTING_DOWN: (frozenset({_S.STOPPED}), None, True),
    _S.STOPPED: (frozenset(), False, False),
}
_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class _Seconds:
    """``ReactorBase.seconds``: ``time.monotonic``, replaceable per instance.

    Code written for Twisted sets ``reactor.seconds = clock.seconds``;
    ``callLater`` and the timer queue then use that clock, as Twisted's
    (which calls ``self.seconds()`` each time) would.  A data descriptor,
    so the common case costs nothing: the reactor binds the clock once and
    this re-binds it only when somebody assigns or deletes the attribute.
    """

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        return instance.__dict__.get("_secondsOverride", time.monotonic)

    def __call__(self, instance: Any) -> float:
        """``ReactorBase.seconds(reactor)``, the unbound spelling."""
        return self.__get__(instance)()  # type: ignore[no-any-return]

    def __set__(self, instance: Any, value: Callable[[], float]) -> None:
        if not builtinCallable(value):
            raise TypeError(f"seconds must be callable, not {value!r}")
        instance.__dict__["_secondsOverride"] = value
        instance._useClock(value)

    def __delete__(self, instance: Any) -> None:
        instance.__dict__.pop("_secondsOverride", None)
        instance._useClock(time.monotonic)


@implementer(IReactorCore, IReactorTime, IReactorThreads)
class ReactorBase(PluggableResolverMixin):
    """Lifecycle, time, triggers and threads (resolution: the mixin); subclasses add I/O.

    Subclasses implement ``doIteration(timeout)`` (block for I/O at most
    ``timeout`` seconds, None meaning forever, and dispatch it) and
    ``wakeUp()`` (make a blocked ``doIteration`` return, from any thread),
    and the ``IReactorFDSet`` methods.
    """

    #: Twisted's flag (set by nothing in Twisted either).
    installed = False
    #: The object that wakes ``doIteration`` (a subclass's).
    waker: Any = None
    #: The "during shutdown" trigger that stops the thread pool, once made.
    threadpoolShutdownID: Any = None

    def __init__(self) -> None:
        self._state = _S.IDLE
        self.running = False
        self._looping = False
        self._installSignalHandlers = False
        self._savedSignalHandlers: dict[int, Any] = {}
        self._exitSignal: int | None = None
        self._ioThread: int | None = None
        self._eventTriggers: dict[str, _SystemEvent] = {}
        # callLater is hot: bind the clock once, skipping the method call
        # unless a subclass overrides seconds().
        self._secondsFn: Callable[[], float] = (
            time.monotonic if type(self).seconds is ReactorBase.seconds else self.seconds
        )
        self._timers = _TimerQueue(self._secondsFn)
        self._cancelTimer = self._timers.cancelled
        self._moveTimer = self._timers.rescheduled
        # _TimerQueue.add, inlined into callLater: the queue's columns of new
        # entries are never rebound, so their bound appends stay valid.
        self._addTimerTime = self._timers._newTimes.append
        self._addTimerCall = self._timers._newCalls.append
        self.threadCallQueue: deque[_Trigger] = deque()
        self.threadpool: ThreadPool | None = None
        self._threadpoolStartupID: Any = None
        self.usingThreads = False
        self._initResolvers(GAIResolver(self, self.getThreadPool))
        # Registered first so user during-shutdown triggers see running False.
        self.addSystemEventTrigger("during", "shutdown", self._finishShutdown)

    # -- the lifecycle state machine ----------------------------------------

    def _setState(self, new: _ReactorState) -> None:
        if new not in _TRANSITIONS[self._state][0]:
            raise RuntimeError(f"reactor cannot go from {self._state.value} to {new.value}")
        self._state = new
        _, running, self._looping = _TRANSITIONS[new]
        if running is not None:
            self.running = running

    def run(self, installSignalHandlers: bool = True) -> None:
        """Fire "startup", then loop until ``stop()`` or ``crash()``."""
        self.startRunning(installSignalHandlers)
        try:
            self.mainLoop()
        finally:
            self._restoreSignalHandlers()
            if self._looping:  # an exception escaped the loop
                self.crash()
        log.msg("Main loop terminated.")

    def startRunning(self, installSignalHandlers: bool = True) -> None:
        """Enter the startup phases; ``run()`` calls this, users should not."""
        if self._state is _S.STOPPED:
            raise error.ReactorNotRestartable(
                "the reactor has already run and stopped, and a reactor cannot be run twice: "
                "call reactor.run() once, after setting everything up, and reactor.stop() "
                "when the whole program is done (task.react(main) does both)"
            )
        if self._state is not _S.IDLE:
            raise error.ReactorAlreadyRunning("reactor.run() was called while the reactor is already running")
        self._installSignalHandlers = installSignalHandlers
        self._ioThread = _dispatchContext[1] = threading.get_ident()
        self._setState(_S.STARTING)
        # The reactor's own trigger goes first, so every user during- and
        # after-startup trigger already sees running == True.
        self._event("startup").phases["during"].insert(0, (self._startedRunning, (), {}))
        self.fireSystemEvent("startup")

    def _startedRunning(self) -> None:
        if self._state is _S.STARTING:
            self._setState(_S.RUNNING)
        elif self._state is _S.STOPPING:
            self.running = True  # stopped during startup: run one pass, then shut down
        else:
            return  # crashed while a before-startup Deferred was pending
        if self._installSignalHandlers:
            self._installSignals()

    def mainLoop(self) -> None:
        """The reactor: run what is due, then wait for I/O; until stopped."""
        runUntilCurrent = self.runUntilCurrent
        doIteration = self.doIteration
        timeout = self.timeout
        while self._looping:
            runUntilCurrent()
            if self._looping:
                doIteration(timeout())

    def stop(self) -> None:
        """Ask the loop to fire "shutdown" and return from ``run()``."""
        if self._state is not _S.RUNNING and self._state is not _S.STARTING:
            raise error.ReactorNotRunning("Can't stop reactor that isn't running.")
        self._setState(_S.STOPPING)

    def crash(self) -> None:
        """Leave the loop after this pass, firing no events; ``run()`` may follow."""
        if self._state in (_S.STARTING, _S.RUNNING):
            self._setState(_S.IDLE)
        elif self._state in (_S.STOPPING, _S.SHUTTING_DOWN):
            self._setState(_S.STOPPED)

    def _finishShutdown(self) -> None:
        if self._state is _S.SHUTTING_DOWN:
            self._setState(_S.STOPPED)

    def iterate(self, delay: float = 0.0) -> None:
        """Run one pass: due calls, then wait for I/O at most ``delay`` seconds."""
        self.runUntilCurrent()
        self.doIteration(delay)

    def runUntilCurrent(self) -> None:
        """Run queued thread calls, then due timers, then a requested shutdown."""
        if self.threadCallQueue:
            self._runThreadCalls()
        self._timers.runDue()
        if self._state is _STOPPING:
            self._setState(_S.SHUTTING_DOWN)
            self.fireSystemEvent("shutdown")

    def timeout(self) -> float | None:
        """Seconds the next ``doIteration`` may block (None: no limit)."""
        if self.threadCallQueue or self._state is _STOPPING:
            return 0.0
        due = self._timers.nextTime()
        if due is None:
            return None
        wait = due - self._secondsFn()
        if wait <= 0.0:
            return 0.0
        return min(MAX_TIMEOUT, wait)

    def doIteration(self, timeout: float | None) -> None:
        """Wait for I/O at most ``timeout`` seconds and dispatch it (subclass)."""
        raise NotImplementedError(f"{type(self).__name__} must implement doIteration")

    def wakeUp(self) -> None:
        """Make a blocked ``doIteration`` return soon; callable from any thread."""

    # -- time ----------------------------------------------------------------

    #: The reactor's notion of now: ``time.monotonic()`` unless replaced
    #: (``reactor.seconds = f``; see ``_Seconds``).
    seconds: Any = _Seconds()

    def _useClock(self, seconds: Callable[[], float]) -> None:
        self._secondsFn = seconds
        self._timers._seconds = seconds

    def callLater(self, delay: float, callable: Callable[..., object], *args: Any, **kw: Any) -> DelayedCall:
        """Call ``callable(*args, **kw)`` ``delay`` seconds from now, once."""
        if not delay >= 0:
            raise AssertionError(f"{delay} is not greater than or equal to 0 seconds")
        if not builtinCallable(callable):
            raise AssertionError(f"{callable} is not callable")
        when = self._secondsFn() + delay
        call = DelayedCall(when, callable, args, kw, self._cancelTimer, self._moveTimer, self._secondsFn)
        self._addTimerTime(when)  # _TimerQueue.add(call, when), without the call
        self._addTimerCall(call)
        return call

    def getDelayedCalls(self) -> list[DelayedCall]:
        """Return the calls that are scheduled and neither run nor cancelled."""
        return self._timers.pending()

    # -- system events ---------------------------------------------------------

    def _event(self, eventType: str) -> _SystemEvent:
        event = self._eventTriggers.get(eventType)
        if event is None:
            event = self._eventTriggers[eventType] = _SystemEvent()
        return event

    def addSystemEventTrigger(
        self, phase: str, eventType: str, callable: Callable[..., Any], *args: Any, **kwargs: Any
    ) -> Any:
        """Call ``callable`` in ``phase`` of the next ``eventType`` event; return an ID."""
        if not builtinCallable(callable):
            raise AssertionError(f"{callable} is not callable")
        if phase not in _PHASES:
            raise KeyError("invalid phase")
        self._event(eventType).add(phase, (callable, args, kwargs))
        return (eventType, (phase, callable, args, kwargs))

    def removeSystemEventTrigger(self, triggerID: Any) -> None:
        """Remove a trigger added by ``addSystemEventTrigger`` (ValueError if gone)."""
        eventType, handle = triggerID
        try:
            phase, f, args, kwargs = handle
        except (TypeError, ValueError):
            raise ValueError("invalid trigger handle") from None
        self._eventTriggers[eventType].remove(phase, (f, args, kwargs))

    def fireSystemEvent(self, eventType: str) -> None:
        """Run (and consume) the before, during and after triggers of ``eventType``."""
        event = self._eventTriggers.get(eventType)
        if event is not None:
            event.fire()

    def callWhenRunning(self, callable: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """Call now if running (returning None), else after startup (returning an ID)."""
        if self.running:
            callable(*args, **kwargs)
            return None
        return self.addSystemEventTrigger("after", "startup", callable, *args, **kwargs)

    # -- IReactorFDSet: the subclass's ----------------------------------------------

    def _subclassMust(self, method: str) -> NotImplementedError:
        return NotImplementedError(f"{type(self).__module__}.{type(self).__qualname__} did not implement {method}")

    def installWaker(self) -> None:
        raise self._subclassMust("installWaker")

    def addReader(self, reader: Any) -> None:
        raise self._subclassMust("addReader")

    def addWriter(self, writer: Any) -> None:
        raise self._subclassMust("addWriter")

    def removeReader(self, reader: Any) -> None:
        raise self._subclassMust("removeReader")

    def removeWriter(self, writer: Any) -> None:
        raise self._subclassMust("removeWriter")

    def removeAll(self) -> list[Any]:
        raise self._subclassMust("removeAll")

    def getReaders(self) -> list[Any]:
        raise self._subclassMust("getReaders")

    def getWriters(self) -> list[Any]:
        raise self._subclassMust("getWriters")

    def disconnectAll(self) -> None:
        """Remove every descriptor and tell it ``ConnectionLost("Connection lost")``.

        Each one's ``connectionLost`` runs with it as the log context (what
        it logs carries its prefix), as under Twisted's ``callWithLogger``.
        """
        context = _dispatchContext
        context[1] = threading.get_ident()
        try:
            for selectable in self.removeAll():
                context[0] = selectable
                try:
                    selectable.connectionLost(Failure(error.ConnectionLost("Connection lost")))
                except Exception:  # noqa: BLE001 - logged; the other descriptors still get theirs
                    log.err(Failure(), "Unhandled Error")
        finally:
            context[0] = None

    # -- threads ---------------------------------------------------------------

    def callFromThread(self, callable: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``callable`` in the reactor thread soon; safe from any thread.

        Calls run in the order they were made, each exactly once, at the start
        of the next pass (a sleeping loop is woken).
        """
        if not builtinCallable(callable):
            raise AssertionError(f"{callable} is not callable")
        # deque.append is atomic: no lock needed, and the loop checks for an
        # empty queue without one.
        self.threadCallQueue.append((callable, args, kwargs))
        self.wakeUp()

    def _runThreadCalls(self) -> None:
        queue = self.threadCallQueue
        popleft = queue.popleft
        # Only the calls already queued: a call that queues another (or a
        # busy thread) must not starve timers and I/O.
        for _ in range(len(queue)):
            f, args, kwargs = popleft()
            try:
                f(*args, **kwargs)
            except Exception:  # noqa: BLE001 - logged; the loop goes on
                log.err(Failure(), "while calling from thread")

    def getThreadPool(self) -> ThreadPool:
        """Return the reactor's pool, creating it (started once running) if needed."""
        if self.threadpool is None:
            from plait._threadpool import ThreadPool

            self.threadpool = ThreadPool(0, 10, "plait.reactor")
            self.usingThreads = True
            self._threadpoolStartupID = self.callWhenRunning(self.threadpool.start)
            self.threadpoolShutdownID = self.addSystemEventTrigger(
                "during", "shutdown", self._stopThreadPool)
        return self.threadpool

    def _stopThreadPool(self) -> None:
        if self._threadpoolStartupID is not None:
            try:
                self.removeSystemEventTrigger(self._threadpoolStartupID)
            except (ValueError, KeyError):
                pass  # already fired
            self._threadpoolStartupID = None
        if self.threadpool is not None:
            self.threadpool.stop()
            self.threadpool = None

    def callInThread(self, callable: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        """Run ``callable`` in the reactor's thread pool."""
        self.getThreadPool().callInThread(callable, *args, **kwargs)

    def suggestThreadPoolSize(self, size: int) -> None:
        """Set the maximum number of threads of the reactor's pool."""
        self.getThreadPool().adjustPoolsize(maxthreads=size)

    # -- signals ---------------------------------------------------------------

    def _installSignals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return  # signal.signal only works in the main thread
        for signum in _SIGNALS:
            self._savedSignalHandlers[signum] = signal.signal(signum, self._handleSignal)
        if self._childSignalHandler is not None:
            self._installChildSignal()

    # SIGCHLD, only where the kernel has no pidfd: plait.process hands over
    # the function that reaps the children plait spawned, and the loop runs
    # it after each SIGCHLD while the reactor's handlers are installed.
    _childSignalHandler: Callable[[], object] | None = None

    def _watchChildSignal(self, reapChildren: Callable[[], object]) -> None:
        """Run ``reapChildren()`` from the loop after each SIGCHLD (plait.process)."""
        self._childSignalHandler = reapChildren
        if signal.SIGINT in self._savedSignalHandlers:  # our handlers are in place
            self._installChildSignal()

    def _installChildSignal(self) -> None:
        if signal.SIGCHLD not in self._savedSignalHandlers:
            self._savedSignalHandlers[signal.SIGCHLD] = signal.signal(signal.SIGCHLD, self._handleSignal)
            self._handleSignal(signal.SIGCHLD, None)  # a child may have ended before

    def _restoreSignalHandlers(self) -> None:
        while self._savedSignalHandlers:
            signum, previous = self._savedSignalHandlers.popitem()
            signal.signal(signum, previous)

    def sigInt(self, number: int, frame: FrameType | None = None) -> None:
        """The SIGINT handler: stop the reactor (from the loop)."""
        self._handleSignal(number, frame)

    sigTerm = sigBreak = sigInt

    def _handleSignal(self, signum: int, frame: FrameType | None) -> None:
        # Runs between two bytecodes of the main thread, maybe inside the
        # loop itself: only record and hand over through the thread queue,
        # whose waker also ends a select() that is blocked right now.
        if signum == signal.SIGCHLD and self._childSignalHandler is not None:
            self.callFromThread(self._childSignalHandler)
            return
        self._exitSignal = signum
        self.callFromThread(self._stopForSignal, signum)

    def _stopForSignal(self, signum: int) -> None:
        log.msg(f"Received {signal.Signals(signum).name}, shutting down.")
        if self._state is _S.RUNNING or self._state is _S.STARTING:
            self.stop()

