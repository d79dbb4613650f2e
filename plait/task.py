"""Time-based helpers (``twisted.internet.task``).

Owns ``Clock`` (a deterministic ``IReactorTime`` for tests), ``LoopingCall``
(call a function every N seconds), ``deferLater``, ``react`` (run a main
function under the reactor and exit with its outcome) and the cooperative
scheduler ``Cooperator``/``cooperate``/``coiterate`` with its
``CooperativeTask`` and exceptions.

Rules:

* Nothing here imports the global reactor at import time: ``LoopingCall.clock``,
  the default ``Cooperator`` scheduler and ``react`` import it when first used.
* ``Clock`` runs calls only inside ``advance``; their exceptions propagate to
  the caller of ``advance``.  Unlike Twisted's, it rejects a negative delay
  the way the real reactor does, so a fake-clock test cannot pass code that
  would crash for real.
* A ``LoopingCall`` keeps to the grid ``starttime + k * interval``: after an
  overrun the missed slots are skipped, and ``withCount`` reports how many.
* A ``CooperativeTask`` is in exactly one ``_TaskState``; leaving ``ACTIVE``
  fires every ``whenDone()`` Deferred once.

Tests: tests/unit/test_task.py, tests/unit/test_delayedcall.py.
"""

from __future__ import annotations

import enum
import sys
import time
import warnings
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NoReturn

from zope.interface import implementer

from plait import error, log
from plait.base import DelayedCall
from plait.defer import Deferred, ensureDeferred, maybeDeferred
from plait.failure import Failure
from plait.interfaces import IReactorTime

__all__ = [
    "Clock",
    "CooperativeTask",
    "Cooperator",
    "LoopingCall",
    "NotPaused",
    "SchedulerError",
    "SchedulerStopped",
    "TaskDone",
    "TaskFailed",
    "TaskFinished",
    "TaskStopped",
    "coiterate",
    "cooperate",
    "deferLater",
    "react",
]


class _ClockCall(DelayedCall):
    """A ``Clock``'s DelayedCall: every move re-sorts the clock's ``calls``.

    ``DelayedCall`` tells its scheduler only about moves to an earlier time
    (a later one just grows ``delayed_time``, which the reactor's timer queue
    handles when the call comes due).  A Clock keeps ``calls`` sorted by due
    time instead, because tests read that list directly, so its calls report
    every move.
    """

    __slots__ = ()

    def reset(self, secondsFromNow: float) -> None:
        super().reset(secondsFromNow)
        self.resetter(self)

    def delay(self, secondsLater: float) -> None:
        super().delay(secondsLater)
        self.resetter(self)


@implementer(IReactorTime)
class Clock:
    """A fake clock: time moves only when ``advance`` is called."""

    rightNow = 0.0

    def __init__(self) -> None:
        self.calls: list[DelayedCall] = []

    def seconds(self) -> float:
        """Return the fake current time."""
        return self.rightNow

    def _sortCalls(self, _call: object = None) -> None:
        # Stable: calls due at the same time keep their scheduling order.
        self.calls.sort(key=DelayedCall.getTime)

    def callLater(self, delay: float, callable: Callable[..., object], *args: Any, **kw: Any) -> DelayedCall:
        """Schedule ``callable(*args, **kw)`` at ``seconds() + delay``."""
        if not delay >= 0:
            raise AssertionError(f"{delay} is not greater than or equal to 0 seconds")
        call = _ClockCall(
            self.seconds() + delay, callable, args, kw, self.calls.remove, self._sortCalls, self.seconds
        )
        self.calls.append(call)
        self._sortCalls()
        return call

    def getDelayedCalls(self) -> list[DelayedCall]:
        """Return the pending calls (the ``calls`` list itself, earliest first)."""
        return self.calls

    def advance(self, amount: float) -> None:
        """Move time forward by ``amount`` and run every call now due, in order.

        Calls scheduled meanwhile for no later than the new time run too.
        """
        self.rightNow += amount
        while self.calls and self.calls[0].getTime() <= self.seconds():
            call = self.calls.pop(0)
            call.called = True
            call.func(*call.args, **call.kw)

    def pump(self, timings: Sequence[float]) -> None:
        """``advance`` by each amount in turn."""
        for amount in timings:
            self.advance(amount)


def _funcName(f: object) -> str:
    for attribute in ("__qualname__", "__name__"):
        name = getattr(f, attribute, None)
        if isinstance(name, str):
            return name
    return repr(f)


class LoopingCall:
    """Call ``f(*a, **kw)`` every ``interval`` seconds once started.

    If ``f`` returns a Deferred, the next call is scheduled only after it
    fires.  ``f`` raising (or its Deferred failing) stops the loop and fails
    the Deferred ``start`` returned; ``stop()`` fires it with this object.
    """

    call: DelayedCall | None = None
    running = False
    interval: float | None = None
    starttime: float | None = None

    def __init__(self, f: Callable[..., object], *a: Any, **kw: Any) -> None:
        self.f = f
        self.a = a
        self.kw = kw
        self._clock: Any = None
        self._deferred: Deferred[LoopingCall] | None = None
        self._runAtStart = False
        self._lastCountTime: float | None = None

    @property
    def clock(self) -> Any:
        """The ``IReactorTime`` used; the global reactor unless assigned."""
        if self._clock is None:
            from plait import reactor

            self._clock = reactor
        return self._clock

    @clock.setter
    def clock(self, value: Any) -> None:
        self._clock = value

    @property
    def deferred(self) -> Deferred[LoopingCall] | None:
        """Deprecated (as in Twisted 16.0.0): use the Deferred ``start`` returns."""
        warnings.warn(
            "plait.task.LoopingCall.deferred is deprecated (Twisted 16.0.0): "
            "use the deferred returned by start()",
            DeprecationWarning,
            stacklevel=2,
        )
        return self._deferred

    @classmethod
    def withCount(cls, countCallable: Callable[[int], object]) -> LoopingCall:
        """A LoopingCall passing ``countCallable`` the intervals elapsed since its last call."""

        def counted() -> object:
            return loop._callWithCount(countCallable)

        loop = cls(counted)
        return loop

    def _callWithCount(self, countCallable: Callable[[int], object]) -> object:
        now = self.clock.seconds()
        assert self.starttime is not None and self.interval is not None
        if self.interval == 0:
            self._lastCountTime = now
            return countCallable(1)
        last = self._lastCountTime
        if last is None:
            # The first call counts from the slot before the start when it
            # runs at start (count 1), else from the start itself.
            last = self.starttime - self.interval if self._runAtStart else self.starttime
        count = self._slotOf(now) - self._slotOf(last)
        if count <= 0:
            return None
        self._lastCountTime = now
        return countCallable(count)

    def _slotOf(self, when: float) -> int:
        assert self.starttime is not None and self.interval
        return int((when - self.starttime) / self.interval)

    def start(self, interval: float, now: bool = True) -> Deferred[LoopingCall]:
        """Start calling; return a Deferred that fires when the loop ends."""
        if self.running:
            raise AssertionError("Tried to start an already running LoopingCall.")
        if interval < 0:
            raise ValueError("interval must be >= 0")
        self.running = True
        self._deferred = Deferred()
        deferred = self._deferred
        self.starttime = self.clock.seconds()
        self.interval = interval
        self._runAtStart = now
        self._lastCountTime = None
        if now:
            self()
        else:
            self._scheduleFrom(self.starttime)
        return deferred

    def stop(self) -> None:
        """Stop calling; the start Deferred fires now (or when ``f``'s Deferred does)."""
        if not self.running:
            raise AssertionError("Tried to stop a LoopingCall that was not running.")
        self.running = False
        if self.call is not None:
            self.call.cancel()
            self.call = None
            self._finish(self)

    def reset(self) -> None:
        """Restart the timing grid from now (the pending call moves)."""
        if not self.running:
            raise AssertionError("Tried to reset a LoopingCall that was not running.")
        if self.call is not None:
            self.call.cancel()
            self.call = None
            self.starttime = self.clock.seconds()
            self._scheduleFrom(self.starttime)

    def __call__(self) -> None:
        self.call = None
        d = maybeDeferred(self.f, *self.a, **self.kw)
        d.addCallbacks(self._afterCall, self._failed)

    def _afterCall(self, result: object) -> None:
        if self.running:
            self._scheduleFrom(self.clock.seconds())
        else:
            self._finish(self)  # stop() was called while f's Deferred was pending

    def _failed(self, reason: Failure) -> None:
        self.running = False
        self._finish(reason)

    def _finish(self, result: LoopingCall | Failure) -> None:
        d, self._deferred = self._deferred, None
        if d is None:
            return
        if isinstance(result, Failure):
            d.errback(result)
        else:
            d.callback(result)

    def _scheduleFrom(self, when: float) -> None:
        assert self.interval is not None and self.starttime is not None
        if self.interval == 0:
            delay = 0.0
        else:
            # Next slot of the grid strictly after ``when``; missed slots are skipped.
            delay = self.interval - ((when - self.starttime) % self.interval)
            if when + delay == when:  # too small to move a float this large
                delay = self.interval
        self.call = self.clock.callLater(delay, self)

    def __repr__(self) -> str:
        return f"LoopingCall<{self.interval!r}>({_funcName(self.f)}, *{self.a!r}, **{self.kw!r})"


def deferLater(
    clock: Any, delay: float, callable: Callable[..., Any] | None = None, *args: Any, **kw: Any
) -> Deferred[Any]:
    """Return a Deferred firing with ``callable(*args, **kw)`` (or None) after ``delay``.

    Cancelling the Deferred cancels the timer (it then fails with CancelledError).
    """

    def cancel(_d: Deferred[Any]) -> None:
        delayedCall.cancel()

    d: Deferred[Any] = Deferred(cancel)
    if callable is not None:
        d.addCallback(lambda _ignored: callable(*args, **kw))
    delayedCall = clock.callLater(delay, d.callback, None)
    return d


def react(main: Callable[..., Any], argv: Sequence[Any] = (), _reactor: Any = None) -> NoReturn:
    """Run ``main(reactor, *argv)`` under the reactor, then exit the process.

    Exit status: 0 if main's result succeeds, the code of a ``SystemExit``
    failure, else 1 (after logging ``main function encountered error``).
    """
    if _reactor is None:
        from plait import reactor as _reactor
    finished = ensureDeferred(main(_reactor, *argv))
    exitCode = [0]
    shuttingDown = [False]

    def noteShutdown() -> None:
        shuttingDown[0] = True

    _reactor.addSystemEventTrigger("before", "shutdown", noteShutdown)

    def settle(result: object, stopReactor: bool) -> None:
        if stopReactor:
            try:
                _reactor.stop()
            except error.ReactorNotRunning:
                pass
        if isinstance(result, Failure):
            if result.check(SystemExit):
                exitCode[0] = result.value.code
            else:
                log.err(result, "main function encountered error")
                exitCode[0] = 1

    def done(result: object) -> None:
        if shuttingDown[0]:
            settle(result, False)
        else:
            _reactor.callWhenRunning(settle, result, True)

    finished.addBoth(done)
    _reactor.run()
    sys.exit(exitCode[0])


# -- cooperative multitasking ---------------------------------------------------


class SchedulerError(Exception):
    """A CooperativeTask operation was invalid in the task's state."""


class SchedulerStopped(SchedulerError):
    """The Cooperator running the task was stopped."""


class TaskFinished(SchedulerError):
    """The task is no longer running."""


class TaskDone(TaskFinished):
    """The task's iterator was exhausted."""


class TaskStopped(TaskFinished):
    """The task was stopped with ``stop()``."""


class TaskFailed(TaskFinished):
    """The task's iterator raised, or a Deferred it yielded failed."""


class NotPaused(SchedulerError):
    """``resume()`` was called on a task that was not paused."""


class _TaskState(enum.Enum):
    ACTIVE = "active"
    DONE = "done"
    STOPPED = "stopped"
    FAILED = "failed"
    SCHEDULER_STOPPED = "scheduler stopped"

    __hash__ = object.__hash__  # identity (C code): Enum's own __hash__ is Python


# What pause() and stop() raise once a task has left ACTIVE.
_FINISHED_ERRORS: dict[_TaskState, type[SchedulerError]] = {
    _TaskState.DONE: TaskDone,
    _TaskState.STOPPED: TaskStopped,
    _TaskState.FAILED: TaskFailed,
    _TaskState.SCHEDULER_STOPPED: SchedulerStopped,
}


class CooperativeTask:
    """One iterator being advanced by a ``Cooperator``, one ``next()`` at a time."""

    def __init__(self, iterator: Iterator[Any], cooperator: Cooperator) -> None:
        self._iterator = iterator
        self._cooperator = cooperator
        self._state = _TaskState.ACTIVE
        self._result: Any = None
        self._waiting: list[Deferred[Any]] = []
        self._pauseCount = 0
        cooperator._addTask(self)

    def whenDone(self) -> Deferred[Any]:
        """Return a Deferred firing with the iterator when exhausted, or failing
        with the reason the task ended otherwise."""
        d: Deferred[Any] = Deferred()
        if self._state is _TaskState.ACTIVE:
            self._waiting.append(d)
        else:
            d.callback(self._result)
        return d

    def pause(self) -> None:
        """Stop advancing until a matching ``resume()``; pauses nest."""
        self._checkActive()
        self._pauseCount += 1
        if self._pauseCount == 1:
            self._cooperator._removeTask(self)

    def resume(self) -> None:
        """Undo one ``pause()``; NotPaused if not paused."""
        if self._pauseCount == 0:
            raise NotPaused()
        self._pauseCount -= 1
        if self._pauseCount == 0 and self._state is _TaskState.ACTIVE:
            self._cooperator._addTask(self)

    def stop(self) -> None:
        """End the task now; ``whenDone`` Deferreds fail with TaskStopped."""
        self._checkActive()
        self._finish(_TaskState.STOPPED, Failure(TaskStopped()))

    def _checkActive(self) -> None:
        if self._state is not _TaskState.ACTIVE:
            raise _FINISHED_ERRORS[self._state]()

    def _finish(self, state: _TaskState, result: Any) -> None:
        if self._state is not _TaskState.ACTIVE:
            raise RuntimeError(f"task already {self._state.value}, cannot become {state.value}")
        self._state = state
        self._result = result
        if self._pauseCount == 0:
            self._cooperator._removeTask(self)
        waiting, self._waiting = self._waiting, []
        for d in waiting:
            d.callback(result)

    def _oneWorkUnit(self) -> None:
        try:
            produced = next(self._iterator)
        except StopIteration:
            self._finish(_TaskState.DONE, self._iterator)
        except BaseException:  # noqa: BLE001 - the task's failure, delivered to whenDone
            self._finish(_TaskState.FAILED, Failure())
        else:
            if isinstance(produced, Deferred):
                # Wait for the Deferred before asking for more.
                self.pause()
                produced.addCallbacks(lambda _ignored: self.resume(), self._failedWhilePaused)

    def _failedWhilePaused(self, reason: Failure) -> None:
        if self._state is _TaskState.ACTIVE:
            self._finish(_TaskState.FAILED, reason)
        # else: stopped while waiting; nobody is left to tell.


class _TimeSlice:
    """Default termination predicate: true once 10 ms have passed."""

    MAX_SLICE = 0.01

    def __init__(self) -> None:
        self._end = time.monotonic() + self.MAX_SLICE

    def __call__(self) -> bool:
        return time.monotonic() >= self._end


def _defaultScheduler(f: Callable[[], None]) -> Any:
    from plait import reactor

    return reactor.callLater(0.00000001, f)  # type: ignore[attr-defined]


class Cooperator:
    """Advance many iterators in turn, a time slice per reactor pass."""

    def __init__(
        self,
        terminationPredicateFactory: Callable[[], Callable[[], bool]] = _TimeSlice,
        scheduler: Callable[[Callable[[], None]], Any] = _defaultScheduler,
        started: bool = True,
    ) -> None:
        self._tasks: deque[CooperativeTask] = deque()
        self._terminationPredicateFactory = terminationPredicateFactory
        self._scheduler = scheduler
        self._delayedCall: Any = None
        self._started = started
        self._stopped = False

    @property
    def running(self) -> bool:
        """True when started and not stopped."""
        return self._started and not self._stopped

    def cooperate(self, iterator: Iterator[Any]) -> CooperativeTask:
        """Start advancing ``iterator``; return its task."""
        return CooperativeTask(iterator, self)

    def coiterate(self, iterator: Iterator[Any], doneDeferred: Deferred[Any] | None = None) -> Deferred[Any]:
        """Advance ``iterator``; return a Deferred firing with it once exhausted."""
        if doneDeferred is None:
            doneDeferred = Deferred()
        CooperativeTask(iterator, self).whenDone().chainDeferred(doneDeferred)
        return doneDeferred

    def start(self) -> None:
        """Begin (or resume after ``stop``) scheduling work."""
        self._started = True
        self._stopped = False
        self._schedule()

    def stop(self) -> None:
        """End every task with SchedulerStopped; later tasks end at once too."""
        self._stopped = True
        tasks, self._tasks = list(self._tasks), deque()
        for task in tasks:
            task._finish(_TaskState.SCHEDULER_STOPPED, Failure(SchedulerStopped()))
        self._cancelTick()

    def _addTask(self, task: CooperativeTask) -> None:
        self._tasks.append(task)
        if self._stopped:
            task._finish(_TaskState.SCHEDULER_STOPPED, Failure(SchedulerStopped()))
        else:
            self._schedule()

    def _removeTask(self, task: CooperativeTask) -> None:
        if task in self._tasks:  # not there if paused, or if stop() took it
            self._tasks.remove(task)
        if not self._tasks:
            self._cancelTick()

    def _cancelTick(self) -> None:
        if self._delayedCall is not None:
            self._delayedCall.cancel()
            self._delayedCall = None

    def _schedule(self) -> None:
        if self._started and self._delayedCall is None and self._tasks:
            self._delayedCall = self._scheduler(self._tick)

    def _tick(self) -> None:
        self._delayedCall = None
        timeIsUp = self._terminationPredicateFactory()
        tasks = self._tasks
        # Round robin: the task at the front does one unit and moves to the
        # back, so the next tick resumes with the task after the last one run.
        while tasks:
            task = tasks[0]
            tasks.rotate(-1)
            task._oneWorkUnit()
            if timeIsUp():
                break
        self._schedule()


_theCooperator = Cooperator()


def cooperate(iterator: Iterator[Any]) -> CooperativeTask:
    """``Cooperator.cooperate`` on the module's global Cooperator."""
    return _theCooperator.cooperate(iterator)


def coiterate(iterator: Iterator[Any]) -> Deferred[Any]:
    """``Cooperator.coiterate`` on the module's global Cooperator."""
    return _theCooperator.coiterate(iterator)
