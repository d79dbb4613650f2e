"""Bridges between Deferreds and coroutines, generators and asyncio Futures.

This module owns the coroutine runner behind ``Deferred.fromCoroutine``,
``ensureDeferred`` and ``inlineCallbacks``, the deprecated ``returnValue``,
``execute`` and ``maybeDeferred`` (which runs ``async def`` results), and
the bodies of ``Deferred.asFuture``/``Deferred.fromFuture``.  Import the
public names from ``plait.defer``.

Rules:

* A runner resumes its coroutine with the result of each Deferred it
  yields (``await d`` yields ``d``; ``yield d`` in an ``inlineCallbacks``
  generator does too), throwing the exception in for a failure.  A yielded
  coroutine or generator is run by a nested runner; any other yielded value
  is sent straight back.
* Already-fired Deferreds are handled in a loop, never by recursion, so a
  generator that yields a million fired Deferreds uses constant stack.
* Every resumption runs inside one ``contextvars`` context copied when the
  runner started, so context changes made by the coroutine stay private to it.
* Cancelling the runner's Deferred cancels the Deferred being awaited, which
  raises ``CancelledError`` inside the coroutine.  If the coroutine catches
  it and carries on, the runner's Deferred follows the coroutine's eventual
  outcome.  A cancel that arrives while the coroutine is executing (it
  cancelled itself) is delivered at its next suspension.
* asyncio is never imported here: the Future bridges only call methods of
  the Future and loop they are given, so ``import plait.defer`` stays cheap.

Tests: tests/unit/test_defer_coroutines.py
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Coroutine, Generator
from contextvars import copy_context
from types import CoroutineType, GeneratorType, TracebackType
from typing import TYPE_CHECKING, Any, NoReturn, ParamSpec, TypeVar, overload

from plait._deferred import Deferred, NotACoroutineError, _deferredTypes, fail, succeed
from plait.failure import Failure

if TYPE_CHECKING:  # pragma: no cover - typing only
    from asyncio import AbstractEventLoop, Future

_T = TypeVar("_T")
_P = ParamSpec("_P")

#: What counts as a coroutine: ``async def`` objects, generators, and any
#: registered ``collections.abc.Coroutine``.
_COROUTINE_TYPES = (CoroutineType, GeneratorType, Coroutine)

# Twisted's text names "twisted.internet.defer.returnValue ... in Twisted
# 24.7.0"; under plait's name that reads as if plait had a 24.7.0, so say
# what to write instead, and where the deprecation comes from.
_RETURN_VALUE_DEPRECATED = (
    "returnValue() is deprecated: use a plain 'return value' statement in the "
    "@inlineCallbacks generator instead (Twisted deprecated returnValue in 24.7.0)"
)


def isCoroutine(obj: object) -> bool:
    """True for coroutine objects and generators (what a runner can drive)."""
    return isinstance(obj, _COROUTINE_TYPES)


class _DefGen_Return(BaseException):
    """Raised by ``returnValue``; carries the generator's return value."""

    def __init__(self, value: object) -> None:
        super().__init__(value)
        self.value = value


def returnValue(val: object) -> NoReturn:
    """Return ``val`` from an ``inlineCallbacks`` generator (deprecated).

    Use a plain ``return val``.  This raises a ``BaseException`` subclass, so
    a bare ``except:`` between here and the generator would swallow it.
    """
    warnings.warn(_RETURN_VALUE_DEPRECATED, DeprecationWarning, stacklevel=2)
    raise _DefGen_Return(val)


_PENDING = object()  # "the awaited Deferred has not fired yet"


class _Runner:
    """Runs one coroutine or generator; ``deferred`` gets its outcome."""

    __slots__ = ("_adding", "_cancelPending", "_context", "_coro", "_early", "_waitingOn", "deferred")

    def __init__(self, coro: Coroutine[Any, Any, Any] | Generator[Any, Any, Any]) -> None:
        self._coro = coro
        self._context = copy_context()
        self.deferred: Deferred[Any] = Deferred(self._cancel)
        self._waitingOn: Deferred[Any] | None = None
        self._cancelPending = False
        self._early: object = _PENDING
        self._adding = False

    def _cancel(self, outer: Deferred[Any]) -> None:
        """The canceller of every Deferred this runner has handed out.

        ``outer`` must not fail with a ``CancelledError`` of its own: the
        coroutine decides the outcome.  So it follows a fresh Deferred that
        the runner fires when the coroutine finishes, and the cancellation
        goes to whatever the coroutine awaits.
        """
        fresh: Deferred[Any] = Deferred(self._cancel)
        self.deferred = fresh
        outer._followWith(fresh)
        waitingOn = self._waitingOn
        if waitingOn is None:
            self._cancelPending = True  # it is running; cancel at its next await
        else:
            waitingOn.cancel()

    def _resume(self, result: object) -> None:
        """Callback on the awaited Deferred; consumes its result."""
        if self._adding:
            self._early = result  # fired during addBoth: _step's loop takes it
        else:
            self._waitingOn = None
            self._step(result)

    def _step(self, result: object) -> None:
        """Resume the coroutine with ``result``; go on until it waits or ends."""
        coro = self._coro
        run = self._context.run
        while True:
            try:
                if isinstance(result, Failure):
                    yielded = run(result.throwExceptionIntoGenerator, coro)  # type: ignore[arg-type]
                else:
                    yielded = run(coro.send, result)
            # The outcome is delivered after the ``except`` block: callbacks
            # run inside it would see StopIteration (or the coroutine's
            # exception) as the context of whatever they raise.
            except StopIteration as stop:
                outcome: object = stop.value
            except _DefGen_Return as ret:
                _warnIfReturnedFromHelper(ret.__traceback__, coro)
                outcome = ret.value
            except BaseException:  # noqa: BLE001 - the coroutine's failure
                outcome = Failure(captureVars=Deferred.debug)
            else:
                outcome = _PENDING
            if outcome is not _PENDING:
                self.deferred.callback(outcome)
                return
            if type(yielded) not in _deferredTypes:
                if not isinstance(yielded, _COROUTINE_TYPES):
                    result = yielded  # a plain value goes straight back
                    continue
                yielded = runCoroutine(yielded)
            if self._cancelPending:
                self._cancelPending = False
                yielded.cancel()
            self._adding = True
            try:
                yielded.addBoth(self._resume)
            finally:
                self._adding = False
            result, self._early = self._early, _PENDING
            if result is _PENDING:
                self._waitingOn = yielded
                return


def runCoroutine(coro: Coroutine[Any, Any, _T] | Generator[Any, Any, _T]) -> Deferred[_T]:
    """Start running ``coro`` now; return the Deferred of its outcome."""
    runner = _Runner(coro)
    # Read before starting: a cancel during the first step swaps it.
    deferred = runner.deferred
    runner._step(None)
    return deferred


def _warnIfReturnedFromHelper(
    tb: TracebackType | None, coro: Coroutine[Any, Any, Any] | Generator[Any, Any, Any]
) -> None:
    """Warn when ``returnValue`` ended the generator from a nested function.

    The traceback runs from the runner through the generator's frame to
    ``returnValue``; more than one frame between those two means a helper
    called ``returnValue`` on the generator's behalf.
    """
    genCode = getattr(coro, "gi_code", None) or getattr(coro, "cr_code", None)
    if genCode is None:  # pragma: no cover - a hand-written Coroutine class
        return
    frames = []
    while tb is not None:
        frames.append(tb)
        tb = tb.tb_next
    below: list[TracebackType] = []
    for index, entry in enumerate(frames):  # pragma: no branch - it is always there
        if entry.tb_frame.f_code is genCode:
            below = frames[index + 1 :]
            break
    if len(below) < 2:
        return
    helper = below[-2]
    helperCode = helper.tb_frame.f_code
    warnings.warn_explicit(
        f"returnValue() in {helperCode.co_name!r} causing {genCode.co_name!r} "
        "to exit: returnValue should only be invoked by functions decorated "
        "with inlineCallbacks",
        DeprecationWarning,
        helperCode.co_filename,
        helper.tb_lineno,
    )


def ensureDeferred(
    coro: Deferred[_T] | Coroutine[Any, Any, _T] | Generator[Any, Any, _T],
) -> Deferred[_T]:
    """Return a Deferred for ``coro``.

    A Deferred (of any subclass) is returned as-is; a coroutine or generator
    is run with ``Deferred.fromCoroutine``.

    Raises:
        NotACoroutineError: ``coro`` is something else.
    """
    if type(coro) in _deferredTypes:
        return coro  # type: ignore[return-value]
    if isinstance(coro, _COROUTINE_TYPES):
        return runCoroutine(coro)
    raise NotACoroutineError(f"{coro!r} is not a coroutine or a Deferred")


def inlineCallbacks(
    f: Callable[_P, Generator[Any, Any, _T]],
) -> Callable[_P, Deferred[_T]]:
    """Decorate a generator function so that calling it returns a Deferred.

    Inside, ``result = yield someDeferred`` waits for the Deferred and
    gives back its result (or raises its failure's exception); ``return
    value`` fires the returned Deferred.

    Raises (when the decorated function is called):
        TypeError: ``f`` did not return a generator.
    """

    @functools.wraps(f)
    def unwindGenerator(*args: _P.args, **kwargs: _P.kwargs) -> Deferred[_T]:
        try:
            gen = f(*args, **kwargs)
        except _DefGen_Return:
            raise TypeError(
                f"inlineCallbacks requires {f!r} to produce a generator; instead "
                "caught returnValue being used in a non-generator"
            ) from None
        if not isinstance(gen, GeneratorType):
            raise TypeError(
                f"inlineCallbacks requires {f!r} to produce a generator; "
                f"instead got {gen!r}"
            )
        return runCoroutine(gen)

    return unwindGenerator


# --- plain functions that may meet a coroutine ---------------------------------


def execute(
    callable: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs
) -> Deferred[_T]:
    """Call ``callable(*args, **kwargs)`` now; return its result as a fired Deferred."""
    try:
        result = callable(*args, **kwargs)
    except BaseException:  # noqa: BLE001 - delivered as a failed Deferred
        return fail(Failure(captureVars=Deferred.debug))
    return succeed(result)


@overload
def maybeDeferred(
    f: Callable[_P, Deferred[_T]], *args: _P.args, **kwargs: _P.kwargs
) -> Deferred[_T]: ...


@overload
def maybeDeferred(
    f: Callable[_P, Coroutine[Any, Any, _T]], *args: _P.args, **kwargs: _P.kwargs
) -> Deferred[_T]: ...


@overload
def maybeDeferred(f: Callable[_P, _T], *args: _P.args, **kwargs: _P.kwargs) -> Deferred[_T]: ...


def maybeDeferred(f: Callable[..., Any], *args: Any, **kwargs: Any) -> Deferred[Any]:
    """Call ``f`` now and return its outcome as a Deferred.

    A Deferred is returned as-is, a Failure becomes ``fail(it)``, a coroutine
    object (``async def``) is run with ``Deferred.fromCoroutine``, an
    exception becomes a failed Deferred, anything else ``succeed(it)``.
    """
    try:
        result = f(*args, **kwargs)
    except BaseException:  # noqa: BLE001 - delivered as a failed Deferred
        return fail(Failure(captureVars=Deferred.debug))
    if type(result) in _deferredTypes:
        return result  # type: ignore[no-any-return]
    if isinstance(result, Failure):
        return fail(result)
    if type(result) is CoroutineType:
        # Only what ``async def`` returns: a generator is a plain value here.
        return runCoroutine(result)
    return succeed(result)


# --- asyncio Futures ---------------------------------------------------------------


def futureFromDeferred(d: Deferred[_T], loop: AbstractEventLoop) -> Future[_T]:
    """The body of ``Deferred.asFuture``: see its docstring."""
    future: Future[_T] = loop.create_future()

    def deliver(result: Any) -> None:
        if not future.cancelled():
            if isinstance(result, Failure):
                future.set_exception(result.value)
            else:
                future.set_result(result)

    def cancelled(done: Future[_T]) -> None:
        if done.cancelled():
            d.cancel()

    d.addBoth(deliver)
    future.add_done_callback(cancelled)
    return future


def _outcome(future: Future[_T]) -> _T | Failure:
    """The result of a done Future, or its exception as a Failure."""
    try:
        return future.result()
    except BaseException:  # noqa: BLE001 - the Future's outcome, whatever it is
        return Failure()


def deferredFromFuture(cls: type[Deferred[_T]], future: Future[_T]) -> Deferred[_T]:
    """The body of ``Deferred.fromFuture``: see its docstring.

    On cancel, the Deferred cannot fail on the spot (the Future's own
    cancellation outcome arrives later, from the loop), so it follows a
    fresh Deferred that the Future's done-callback fires instead.
    """
    if future.done():
        d = cls()
        outcome = _outcome(future)
        d.callback(outcome)
        return d
    target: Deferred[_T]

    def adapt(done: Future[_T]) -> None:
        outcome = _outcome(done)
        target.callback(outcome)

    def cancel(d: Deferred[Any]) -> None:
        nonlocal target
        target = Deferred()
        future.cancel()
        d._followWith(target)

    d = target = cls(cancel)
    future.add_done_callback(adapt)
    return d
