"""Combinators and concurrency primitives built on ``Deferred``.

This module owns ``DeferredList``, ``gatherResults``, ``race`` (with
``FirstError`` and ``FailureGroup``), ``DeferredLock``,
``DeferredSemaphore`` and ``DeferredQueue`` (with ``QueueOverflow`` and
``QueueUnderflow``).  Import them from ``plait.defer``.

Rules:

* They only use the public Deferred API, so they behave exactly like user
  code adding callbacks: a ``DeferredList`` sees a member's result at the
  point in its chain where the list added its callbacks.
* Waiters are served first come, first served; a cancelled waiter leaves
  the queue and never receives the lock, token or item.

``DeferredFilesystemLock`` (and its ``AlreadyTryingToLockError``) is not
provided: it is about file locks, not client networking.

Tests: tests/unit/test_defer.py
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterable, Sequence
from types import TracebackType
from typing import Any, Generic, Literal, Self, TypeVar, cast

from plait import log
from plait._defer_coroutines import maybeDeferred
from plait._deferred import FAILURE, SUCCESS, Deferred, succeed
from plait.failure import Failure

_T = TypeVar("_T")


class FirstError(Exception):
    """The first failure seen by a ``DeferredList`` with ``fireOnOneErrback``.

    ``subFailure`` is that Failure and ``index`` the position of its
    Deferred in the list.  Two FirstErrors are equal when both are.
    """

    def __init__(self, failure: Failure, index: int) -> None:
        super().__init__(failure, index)
        self.subFailure = failure
        self.index = index

    def __repr__(self) -> str:
        return f"FirstError[#{self.index}, {self.subFailure.value!r}]"

    def __str__(self) -> str:
        return f"FirstError[#{self.index}, {self.subFailure}]"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FirstError):
            return NotImplemented
        return (self.index, self.subFailure) == (other.index, other.subFailure)

    def __hash__(self) -> int:
        return hash((self.index, self.subFailure))


class FailureGroup(Exception):
    """Every Deferred given to ``race`` failed; ``failures`` in input order."""

    def __init__(self, failures: Sequence[Failure]) -> None:
        super().__init__()
        self.failures = failures


class DeferredList(Deferred[list[tuple[bool, Any]]]):
    """A Deferred that fires when the Deferreds in a list have fired.

    By default the result is ``[(success, resultOrFailure), ...]`` in input
    order once all have fired (an empty list fires at once with ``[]``).
    ``fireOnOneCallback``: fire with ``(result, index)`` on the first success
    (an empty list then never fires).  ``fireOnOneErrback``: fail with
    ``FirstError(failure, index)`` on the first failure.  ``consumeErrors``:
    a member's chain continues with ``None`` after the list has seen its
    failure, so it is not reported as unhandled.
    """

    fireOnOneCallback = False
    fireOnOneErrback = False

    def __init__(
        self,
        deferredList: Iterable[Deferred[Any]],
        fireOnOneCallback: bool = False,
        fireOnOneErrback: bool = False,
        consumeErrors: bool = False,
    ) -> None:
        self._deferredList = list(deferredList)
        for member in self._deferredList:
            if not isinstance(member, Deferred):
                raise TypeError(f"DeferredList needs Deferreds, got {member!r}")
        self.resultList: list[tuple[bool, Any] | None] = [None] * len(self._deferredList)
        super().__init__()
        self.fireOnOneCallback = fireOnOneCallback
        self.fireOnOneErrback = fireOnOneErrback
        self.consumeErrors = consumeErrors
        self.finishedCount = 0
        if not self._deferredList and not fireOnOneCallback:
            self.callback([])
        for index, member in enumerate(self._deferredList):
            member.addCallbacks(
                self._cbDeferred,
                self._cbDeferred,
                callbackArgs=(index, SUCCESS),
                errbackArgs=(index, FAILURE),
            )

    def _cbDeferred(self, result: Any, index: int, succeeded: bool) -> Any:
        """Record one member's outcome; fire this list if that completes it."""
        self.resultList[index] = (succeeded, result)
        self.finishedCount += 1
        if not self.called:
            if succeeded and self.fireOnOneCallback:
                self.callback((result, index))  # type: ignore[arg-type]
            elif not succeeded and self.fireOnOneErrback:
                self.errback(Failure(FirstError(result, index)))
            elif self.finishedCount == len(self.resultList):
                self.callback(self.resultList)  # type: ignore[arg-type]
        if not succeeded and self.consumeErrors:
            return None
        return result

    def cancel(self) -> None:
        """Cancel every member, if this list has not fired yet.

        An exception from a member's canceller is logged, and the other
        members are still cancelled.
        """
        if self.called:
            return
        for member in self._deferredList:
            try:
                member.cancel()
            except BaseException:  # noqa: BLE001 - logged; the others still get cancelled
                log.err(Failure(), "Exception raised from user supplied canceller")


def _unwrapResults(resultList: list[tuple[bool, _T]]) -> list[_T]:
    return [value for _, value in resultList]


def gatherResults(
    deferredList: Iterable[Deferred[_T]], consumeErrors: bool = False
) -> Deferred[list[_T]]:
    """Fire with the list of results, or fail with the first failure.

    The failure is a ``FirstError`` whose ``subFailure`` is the member's
    Failure and ``index`` its position.  Cancelling cancels every member.
    """
    return DeferredList(
        deferredList, fireOnOneErrback=True, consumeErrors=consumeErrors
    ).addCallback(_unwrapResults)


def race(ds: Sequence[Deferred[_T]]) -> Deferred[tuple[int, _T]]:
    """Fire with ``(index, result)`` of the first member to succeed.

    The other members are then cancelled.  If every member fails, fail with
    ``FailureGroup`` holding their failures in input order.  Cancelling the
    returned Deferred cancels every member.  The members' chains continue
    with ``None``.
    """
    members = list(ds)
    failures: list[tuple[int, Failure]] = []
    won = False

    def cancelAll(ignored: Deferred[Any]) -> None:
        for member in members:
            member.cancel()

    outcome: Deferred[tuple[int, _T]] = Deferred(cancelAll)

    def succeeded(value: _T, index: int) -> None:
        nonlocal won
        if won:
            return
        won = True
        for other, member in enumerate(members):
            if other != index:
                member.cancel()
        outcome.callback((index, value))

    def failed(failure: Failure, index: int) -> None:
        failures.append((index, failure))
        if len(failures) == len(members):
            failures.sort(key=lambda pair: pair[0])
            outcome.errback(FailureGroup([f for _, f in failures]))

    for index, member in enumerate(members):
        member.addCallbacks(succeeded, failed, callbackArgs=(index,), errbackArgs=(index,))
    return outcome


class _ConcurrencyPrimitive:
    """What a lock and a semaphore share: ``run`` and ``async with``.

    Subclasses provide ``acquire()`` (a Deferred firing with ``self``) and
    ``release()``; ``waiting`` is the FIFO list of pending acquisitions.
    """

    def __init__(self) -> None:
        self.waiting: list[Deferred[Any]] = []

    def acquire(self) -> Deferred[Self]:  # pragma: no cover - abstract
        raise NotImplementedError

    def release(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def _cancelAcquire(self, d: Deferred[Any]) -> None:
        # A canceller only runs before d fires, so d is still queued.
        self.waiting.remove(d)

    def run(
        self,
        f: Callable[..., Deferred[_T] | Coroutine[Any, Any, _T] | _T],
        /,
        *args: object,
        **kwargs: object,
    ) -> Deferred[_T]:
        """Acquire, call ``f(*args, **kwargs)``, release when its result is in.

        ``f`` may return a Deferred or be ``async``: the release waits for it.
        Returns a Deferred of ``f``'s result.
        """

        def call(ignored: object) -> Deferred[_T]:
            d = cast("Deferred[_T]", maybeDeferred(f, *args, **kwargs))
            d.addBoth(self._releaseAndReturn)
            return d

        return self.acquire().addCallback(call)

    def _releaseAndReturn(self, result: object) -> object:
        self.release()
        return result

    def __aenter__(self) -> Deferred[Self]:
        return self.acquire()

    def __aexit__(
        self,
        excType: type[BaseException] | None,
        excValue: BaseException | None,
        tb: TracebackType | None,
    ) -> Deferred[Literal[False]]:
        self.release()
        return succeed(False)


class DeferredLock(_ConcurrencyPrimitive):
    """A lock for code that waits with Deferreds (``async with lock:`` works).

    ``locked`` is True while held.  ``acquire()`` returns a Deferred firing
    with the lock; cancelling a pending acquisition removes it from the queue.
    """

    locked = False

    def acquire(self) -> Deferred[Self]:
        """Return a Deferred that fires with this lock once it is ours."""
        d: Deferred[Self] = Deferred(self._cancelAcquire)
        if self.locked:
            self.waiting.append(d)
        else:
            self.locked = True
            d.callback(self)
        return d

    def release(self) -> None:
        """Release the lock, handing it to the first waiter if there is one.

        Raises:
            AssertionError: the lock is not locked.
        """
        assert self.locked, "Tried to release an unlocked lock"
        if self.waiting:
            self.waiting.pop(0).callback(self)  # stays locked: ownership moves
        else:
            self.locked = False


class DeferredSemaphore(_ConcurrencyPrimitive):
    """A semaphore for code that waits with Deferreds.

    ``limit`` is the number of tokens; ``tokens`` how many are free.
    """

    def __init__(self, tokens: int) -> None:
        super().__init__()
        if tokens < 1:
            raise ValueError("DeferredSemaphore requires tokens >= 1")
        self.tokens = tokens
        self.limit = tokens

    def acquire(self) -> Deferred[Self]:
        """Return a Deferred that fires with this semaphore once a token is ours."""
        d: Deferred[Self] = Deferred(self._cancelAcquire)
        if self.tokens:
            self.tokens -= 1
            d.callback(self)
        else:
            self.waiting.append(d)
        return d

    def release(self) -> None:
        """Give a token back, or straight to the first waiter.

        Raises:
            AssertionError: more releases than acquisitions.
        """
        assert self.tokens < self.limit, "Someone released me too many times: too many tokens!"
        if self.waiting:
            self.waiting.pop(0).callback(self)
        else:
            self.tokens += 1


class QueueOverflow(Exception):
    """``DeferredQueue.put`` would exceed the queue's ``size``."""


class QueueUnderflow(Exception):
    """``DeferredQueue.get`` would exceed the queue's ``backlog`` of waiters."""


class DeferredQueue(Generic[_T]):
    """A FIFO queue whose ``get()`` returns a Deferred.

    ``pending`` holds items nobody asked for yet (at most ``size``);
    ``waiting`` holds Deferreds of ``get()`` calls that found it empty (at
    most ``backlog``).  ``None`` means unlimited.
    """

    def __init__(self, size: int | None = None, backlog: int | None = None) -> None:
        self.waiting: list[Deferred[_T]] = []
        self.pending: list[_T] = []
        self.size = size
        self.backlog = backlog

    def _cancelGet(self, d: Deferred[_T]) -> None:
        self.waiting.remove(d)

    def put(self, obj: _T) -> None:
        """Hand ``obj`` to the oldest waiting ``get()``, or queue it.

        Raises:
            QueueOverflow: ``size`` items are already pending.
        """
        if self.waiting:
            self.waiting.pop(0).callback(obj)
        elif self.size is None or len(self.pending) < self.size:
            self.pending.append(obj)
        else:
            raise QueueOverflow()

    def get(self) -> Deferred[_T]:
        """Return a Deferred firing with the next item (cancellable while waiting).

        Raises:
            QueueUnderflow: ``backlog`` gets are already waiting.
        """
        if self.pending:
            return succeed(self.pending.pop(0))
        if self.backlog is not None and len(self.waiting) >= self.backlog:
            raise QueueUnderflow()
        d: Deferred[_T] = Deferred(self._cancelGet)
        self.waiting.append(d)
        return d
