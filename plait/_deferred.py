"""The ``Deferred`` class itself: a result that arrives later.

This module owns ``Deferred``, its exceptions, ``succeed``/``fail``,
``passthru``, ``logError`` and the debugging switch.  The public import
point is ``plait.defer``; the coroutine and asyncio bridges (with
``execute``/``maybeDeferred``) live in ``plait._defer_coroutines``, the
combinators (``DeferredList``, locks, queues) in ``plait._defer_helpers``,
and unhandled-failure reporting in ``plait._defer_unhandled``.

Rules:

* A Deferred fires at most once.  ``callback``/``errback`` on a fired
  Deferred raise ``AlreadyCalledError``, except for the one call that a
  canceller-less ``cancel()`` promised to swallow.
* Callbacks run in the order they were added, each getting the previous
  one's result.  A ``Failure`` result selects the errback of the next pair,
  anything else the callback.  An exception raised by a callback becomes a
  ``Failure``.  Callbacks never run while ``paused`` is non-zero, and a
  Deferred never runs its own callbacks re-entrantly.
* Every ``add*`` method returns the Deferred itself.
* A Deferred whose result is a ``Failure`` when it is garbage-collected logs
  ``Unhandled error in Deferred:`` through ``plait.log.err``.

Theory of operation
-------------------

An entry of ``_callbacks`` is either *short*, the callable itself, for the
commonest call, ``addCallback(f)`` without arguments (its errback is
``passthru``), or one flat 6-tuple ``(callback, args, kwargs, errback, args,
kwargs)`` for everything else; ``passthru`` fills the side that was not
given, and the loop skips it without calling it.  (``type(entry) is tuple``
tells them apart: a tuple is never callable.)  A short entry costs no tuple
and no unpacking.  The walk goes through a list iterator and deletes the
consumed prefix when it stops (``__length_hint__`` says how much is left),
so adding a callback from inside a callback simply extends the walk.

There are two walks.  ``callback()`` runs the first walk of a fresh Deferred
itself, for as long as results are plain values: no Python call into
``_runCallbacks``, none of its set-up, and no per-callback "is it a Failure"
test (it cannot be: the walk stops at the first Failure).  Whatever that
walk does not handle (a Failure, a pause, a Deferred to wait on, the
continuation of a Deferred waiting on this one) ends it, and
``_runCallbacks``, the general loop below, carries on from the same entry.
Every other run (``errback()``, callbacks added after firing, ``unpause()``,
a hand-over along a chain) is the general loop's.

``_plain`` is True while every entry is short (``addCallback(f)`` only).
The first walk of such a Deferred then calls each entry without asking
whether it is a tuple.  An entry added *during* that walk (with arguments,
an errback, a continuation) can be a tuple; calling it raises ``TypeError``
before anything runs, and the walk's exception handler, seeing a tuple,
puts the entry back unrun and hands over to ``_runCallbacks``.  The flag
never goes back to True.

Both loops test each result with ``type(result) in _specialTypes`` (the
Deferred and Failure classes and their subclasses, each registered as it is
created) and only then ask which: on CPython a failed ``isinstance`` also
looks up ``result.__class__``, about twice the cost of a set lookup, and
almost every result is a plain value.

When a callback returns another Deferred *inner* that has no result yet, the
outer Deferred pauses, keeps *inner* as its result (``_chainedTo`` points at
it) and appends a *continuation* entry to *inner*'s list.  The continuation
is never called: when ``_runCallbacks`` meets it on *inner*, it moves
*inner*'s result into the outer Deferred, unpauses it and pushes it on an
explicit stack of Deferreds to process.  Resuming a waiting Deferred is
therefore a loop iteration, not a function call, and a chain of a hundred
thousand Deferreds each waiting on the next unwinds in constant Python stack.
If *inner* already has a result, the outer Deferred takes it on the spot.

Unhandled failures are tracked by ``plait._defer_unhandled``: a sentinel
is attached only when a callback run ends with a Failure, so the success
path pays nothing for it (the first walk cannot have a sentinel to disarm).

What a Deferred costs (CPython 3.11, the benchmark's ``Deferred()``, three
``addCallback(f)`` and ``callback(x)``: about 11,500 machine instructions,
Twisted's about 24,700; bench/README.md, "Margins, and where the time
goes", has the profile): creating it is about 2,100 (``__init__`` is a
C-to-Python call), each ``addCallback`` about 1,250 (most of it the call
itself and the ``**kwargs`` dict CPython builds even when it is empty), and
``callback()`` about 5,500, of which the three callbacks' own calls are a
sixth and the walk about 27 bytecodes per callback.  Instance attributes
are set only where they are read on that path (``_callbacks``, ``called``,
``paused``, ``_plain`` in ``__init__``; the rest when firing): CPython 3.11
reads an instance attribute about four times faster than a class default
through the instance, and a store is about as cheap as one read.  For the
same reason ``debug``, a class default, is read only once ``_debugSeen``
says some Deferred class switched it on: the metaclass notices
``Deferred.debug = True`` (as ``setDebugging`` does it), and
``__init_subclass__`` a subclass that sets it in its body.

Deliberate differences from Twisted, each covered by a test:

* ``pause()`` called from inside a callback stops the run before the next
  callback (Twisted ignores it until the next time the Deferred is run).
* A Deferred that handed its result to a waiting Deferred which is itself
  paused still runs its own remaining callbacks (Twisted leaves them queued).
* ``unpause()`` on a Deferred that is not paused raises ``RuntimeError``
  instead of silently driving the counter negative (and hanging).
* ``addCallbacks`` rejects a non-callable with ``TypeError`` (Twisted uses
  ``assert``).

Tests: tests/unit/test_defer.py, tests/unit/test_defer_properties.py,
tests/unit/test_defer_coroutines.py
"""

from __future__ import annotations

import traceback
import warnings
from abc import ABCMeta
from collections.abc import Awaitable, Callable, Coroutine, Generator, Mapping
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, overload

from plait import log
from plait._defer_unhandled import armReport, debugText, disarmReport
from plait.failure import Failure, _failureTypes, _failureTypeSets

if TYPE_CHECKING:  # pragma: no cover - typing only
    from asyncio import AbstractEventLoop, Future

    from plait._defer_unhandled import DebugInfo
    from plait.interfaces import IReactorTime

_T = TypeVar("_T")
_P = ParamSpec("_P")
_SelfResultT = TypeVar("_SelfResultT")
_NextResultT = TypeVar("_NextResultT")

#: One callbacks-list entry: (callback, args, kwargs, errback, args, kwargs).
_Entry = tuple[
    Callable[..., object],
    tuple[object, ...],
    Mapping[str, Any],
    Callable[..., object],
    tuple[object, ...],
    Mapping[str, Any],
]

# Shared "no keyword arguments" value.  It is only ever splatted with ``**``,
# which copies it, so no callee can mutate it.
_NOKW: dict[str, Any] = {}

SUCCESS = True
FAILURE = False


class AlreadyCalledError(Exception):
    """``callback`` or ``errback`` was called on a Deferred that already fired."""


class CancelledError(Exception):
    """The default failure of a cancelled Deferred."""


class TimeoutError(Exception):
    """The failure of a Deferred that ``addTimeout`` timed out.

    Not the builtin ``TimeoutError`` and not ``plait.error.TimeoutError``
    (a connection timeout); refer to it as ``defer.TimeoutError``.
    """


class NotACoroutineError(TypeError):
    """A coroutine (or a Deferred) was expected and something else was given."""


def passthru(arg: _T) -> _T:
    """Return ``arg``: the do-nothing callback."""
    return arg


def _continueMarker(result: object, waiting: object) -> object:
    """Marks a continuation entry; ``_runCallbacks`` handles it, never calls it."""
    raise AssertionError("a Deferred continuation marker was called")  # pragma: no cover


def _returnSecond(ignored: object, value: object) -> object:
    return value


def setDebugging(on: bool) -> None:
    """Turn Deferred debugging on or off for every Deferred.

    When on, each Deferred records the stack that created it and the stack
    that first fired it; both appear in ``AlreadyCalledError`` messages and
    unhandled-failure reports, and Failures capture frame variables.
    """
    Deferred.debug = bool(on)


def getDebugging() -> bool:
    """Return whether Deferred debugging is on."""
    return Deferred.debug


def _warnSelfReturn(callback: Callable[..., object]) -> None:
    """Warn, pointing at the callback, that it returned its own Deferred."""
    message = (
        "Callback returned the Deferred it was attached to; this breaks the "
        "callback chain and will raise an exception in the future."
    )
    code = getattr(callback, "__code__", None)
    if code is None:
        warnings.warn(message, DeprecationWarning, stacklevel=3)
    else:
        warnings.warn_explicit(
            message, DeprecationWarning, code.co_filename, code.co_firstlineno
        )


# ``type(x) in _deferredTypes`` is much cheaper than ``isinstance`` against an
# ABC subclass; every subclass of Deferred registers itself here.
_deferredTypes: set[type] = set()
#: The types the callback loops look at twice (theory of operation): Deferred
#: and its subclasses, Failure and its subclasses (``plait.failure`` adds each
#: new one to every set in ``_failureTypeSets``).
_specialTypes: set[type] = set(_failureTypes)
_failureTypeSets.append(_specialTypes)


#: False until some Deferred class's ``debug`` is set true (``setDebugging``,
#: ``Deferred.debug = True``, a subclass's): until then the hot paths skip
#: reading ``self.debug``, a class attribute read through the instance, which
#: CPython 3.11 does not specialise (about 200 machine instructions).
_debugSeen = False


class _DeferredType(ABCMeta):
    """Deferred's metaclass: notices ``debug`` being switched on for a class."""

    def __setattr__(cls, name: str, value: Any) -> None:
        if name == "debug" and value:
            global _debugSeen
            _debugSeen = True
        super().__setattr__(name, value)


class Deferred(Awaitable[_SelfResultT], metaclass=_DeferredType):
    """A placeholder for a result that is not available yet.

    Add callbacks with ``addCallback``/``addErrback``/``addBoth``/
    ``addCallbacks``; fire it once with ``callback(result)`` or
    ``errback(failure)``.  ``canceller``, if given, is called with the
    Deferred by ``cancel()`` while it has not fired.  ``await d`` works inside
    coroutines driven by ``ensureDeferred``/``Deferred.fromCoroutine``.

    Instances keep a ``__dict__`` (no ``__slots__``) because Twisted code
    sets its own attributes on Deferreds.  The class attributes below are
    Twisted's documented defaults; ``__init__`` copies the hot ones onto the
    instance for speed.
    """

    called = False
    paused = 0
    debug = False
    _suppressAlreadyCalled = False
    _runningCallbacks = False
    _chainedTo: Deferred[Any] | None = None
    _canceller: Callable[[Deferred[Any]], None] | None = None
    _unhandled: DebugInfo | None = None
    _creator: list[str] | None = None
    _invoker: list[str] | None = None
    #: The current result; absent until the Deferred fires.
    result: Any

    def __init__(self, canceller: Callable[[Deferred[Any]], None] | None = None) -> None:
        if canceller is not None:
            if not callable(canceller):
                raise TypeError(f"canceller must be callable, not {canceller!r}")
            self._canceller = canceller
        # Instance copies of the class defaults that every Deferred reads
        # (CPython 3.11 reads an instance attribute about four times faster
        # than a class attribute through the instance); the others are set
        # when first needed.
        self._callbacks: list[_Entry | Callable[..., object]] = []
        self.called = False
        self.paused = 0
        self._plain = True  # only short entries so far (module docstring)
        if _debugSeen and self.debug:
            self._creator = traceback.format_stack()[:-1]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.__dict__.get("debug"):
            global _debugSeen
            _debugSeen = True
        _deferredTypes.add(cls)
        _specialTypes.add(cls)

    # --- adding callbacks ----------------------------------------------------

    def addCallbacks(
        self,
        callback: Callable[..., object],
        errback: Callable[..., object] | None = None,
        callbackArgs: tuple[object, ...] | None = (),
        callbackKeywords: Mapping[str, object] | None = _NOKW,
        errbackArgs: tuple[object, ...] | None = (),
        errbackKeywords: Mapping[str, object] | None = _NOKW,
    ) -> Deferred[Any]:
        """Add a callback and an errback as one pair; return this Deferred.

        ``errback=None`` passes failures through unchanged.  If the Deferred
        has already fired (and is neither paused nor running its callbacks),
        the pair runs now.
        """
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {callback!r}")
        if errback is None:
            errback = passthru
        elif not callable(errback):
            raise TypeError(f"errback must be callable, not {errback!r}")
        self._plain = False
        self._callbacks.append(
            (
                callback,
                tuple(callbackArgs or ()),
                callbackKeywords or _NOKW,
                errback,
                tuple(errbackArgs or ()),
                errbackKeywords or _NOKW,
            )
        )
        if self.called:
            self._runCallbacks()
        return self

    @overload
    def addCallback(
        self,
        callback: Callable[Concatenate[_SelfResultT, _P], Deferred[_NextResultT]],
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> Deferred[_NextResultT]: ...

    @overload
    def addCallback(
        self,
        callback: Callable[
            Concatenate[_SelfResultT, _P], Deferred[_NextResultT] | _NextResultT
        ],
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> Deferred[_NextResultT]: ...

    def addCallback(self, callback: Any, *args: Any, **kwargs: Any) -> Deferred[Any]:
        """Add a callback for the success path; return this Deferred.

        ``callback(result, *args, **kwargs)`` runs when the Deferred fires
        with a non-Failure result (at once if it already has).
        """
        # The hot path: the same as addCallbacks(callback, None, args, kwargs)
        # without the argument juggling.
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {callback!r}")
        if args or kwargs:
            self._plain = False
            self._callbacks.append((callback, args, kwargs, passthru, (), _NOKW))
        else:
            self._callbacks.append(callback)  # the short entry (module docstring)
        if self.called:
            self._runCallbacks()
        return self

    @overload
    def addErrback(
        self,
        errback: Callable[Concatenate[Failure, _P], Deferred[_NextResultT]],
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> Deferred[_SelfResultT | _NextResultT]: ...

    @overload
    def addErrback(
        self,
        errback: Callable[Concatenate[Failure, _P], Deferred[_NextResultT] | _NextResultT],
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> Deferred[_SelfResultT | _NextResultT]: ...

    def addErrback(self, errback: Any, *args: Any, **kwargs: Any) -> Deferred[Any]:
        """Add an errback for the failure path; return this Deferred.

        ``errback(failure, *args, **kwargs)`` runs when the result is a
        ``Failure``.  Returning a non-Failure switches back to the success path.
        """
        if not callable(errback):
            raise TypeError(f"errback must be callable, not {errback!r}")
        self._plain = False
        self._callbacks.append((passthru, (), _NOKW, errback, args, kwargs))
        if self.called:
            self._runCallbacks()
        return self

    @overload
    def addBoth(
        self,
        callback: Callable[Concatenate[_SelfResultT | Failure, _P], Deferred[_NextResultT]],
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> Deferred[_NextResultT]: ...

    @overload
    def addBoth(
        self,
        callback: Callable[
            Concatenate[_SelfResultT | Failure, _P], Deferred[_NextResultT] | _NextResultT
        ],
        *args: _P.args,
        **kwargs: _P.kwargs,
    ) -> Deferred[_NextResultT]: ...

    def addBoth(self, callback: Any, *args: Any, **kwargs: Any) -> Deferred[Any]:
        """Add one function as both callback and errback; return this Deferred."""
        if not callable(callback):
            raise TypeError(f"callback must be callable, not {callback!r}")
        self._plain = False
        self._callbacks.append((callback, args, kwargs, callback, args, kwargs))
        if self.called:
            self._runCallbacks()
        return self

    def addTimeout(
        self,
        timeout: float,
        clock: IReactorTime,
        onTimeoutCancel: Callable[[Any, float], object] | None = None,
    ) -> Deferred[_SelfResultT]:
        """Cancel this Deferred if it has not fired within ``timeout`` seconds.

        ``clock.callLater`` schedules the cancellation; the delayed call is
        cancelled if the Deferred fires first.  On timeout the result seen by
        later callbacks goes through ``onTimeoutCancel(result, timeout)``,
        which by default turns the ``CancelledError`` into
        ``defer.TimeoutError(timeout, "Deferred")``.  Only callbacks added
        before this call see the raw cancellation.  Returns this Deferred.
        """
        timedOut = False

        def expire() -> None:
            nonlocal timedOut
            timedOut = True
            self.cancel()

        delayedCall = clock.callLater(timeout, expire)
        translate = _cancelledToTimedOut if onTimeoutCancel is None else onTimeoutCancel

        def finish(result: object) -> object:
            if delayedCall.active():
                delayedCall.cancel()
            if timedOut:
                return translate(result, timeout)
            return result

        self.addBoth(finish)
        return self

    def chainDeferred(self, d: Deferred[Any]) -> Deferred[None]:
        """Fire ``d`` with this Deferred's result; return this Deferred.

        This adds ``d.callback``/``d.errback`` as a pair, so this Deferred's
        chain continues with ``None``.  Unlike returning ``d`` from a
        callback, this is not flattened iteratively.
        """
        d._chainedTo = self
        return self.addCallbacks(d.callback, d.errback)

    # --- firing --------------------------------------------------------------

    def callback(self, result: _SelfResultT | Failure) -> None:
        """Fire with ``result`` and run the callbacks.

        Call at most once (with ``errback``).  A ``Failure`` result is the
        same as ``errback(result)``; a Deferred result is stored as-is.

        Raises:
            AlreadyCalledError: the Deferred has already fired.
        """
        if self.called:
            self._alreadyCalled()
            return
        if _debugSeen and self.debug:
            # The stack up to the caller (not this frame): who fired it.
            self._invoker = traceback.format_stack()[:-1]
        self.called = True
        self._canceller = None  # drop the reference: it can never run now
        self._chainedTo = None  # chainDeferred's target: fired, so no longer waiting
        self.result = result
        if self.paused or type(result) in _specialTypes:
            self._runCallbacks()
            return
        # The common case, run here rather than by _runCallbacks (a call and
        # a longer set-up away): the first walk of a fresh Deferred, while
        # results are plain values.  The first thing this loop does not
        # handle (a Failure, a pause, a Deferred to wait on, a Deferred
        # waiting on this one) ends it, and _runCallbacks does the rest.
        callbacks = self._callbacks
        plain = self._plain
        self._runningCallbacks = True
        walk = iter(callbacks)  # its __length_hint__ is what is left
        entry: Any  # bound whenever the walk breaks
        try:
            for entry in walk:
                try:
                    if plain:
                        # Only short entries were added before firing.  One
                        # added meanwhile with arguments (or a continuation)
                        # is a tuple: calling it raises, and the handler
                        # below hands it to _runCallbacks, unrun.
                        result = entry(result)
                    elif type(entry) is tuple:
                        cb, cbArgs, cbKw, _, _, _ = entry
                        if cb is passthru:
                            continue
                        if cb is _continueMarker:
                            break  # put back below, for _runCallbacks
                        if cbArgs or cbKw:
                            result = cb(result, *cbArgs, **cbKw)
                        else:
                            result = cb(result)
                    else:
                        result = entry(result)
                    if type(result) in _specialTypes:
                        if type(result) in _failureTypes:
                            break
                        if result is self:
                            _warnSelfReturn(cb if type(entry) is tuple else entry)
                        if not _takeResult(self, result):  # type: ignore[arg-type]  # a Deferred here
                            break  # this Deferred now waits on that one
                        result = self.result
                        if type(result) in _failureTypes:
                            break
                    # Current while the next callback runs (a coroutine
                    # resumed by this one reads it).
                    self.result = result
                    if self.paused:
                        break
                except BaseException:  # noqa: BLE001 - every exception becomes a Failure, as in Twisted
                    if plain and type(entry) is tuple:
                        break  # not run: put back below
                    result = Failure(captureVars=_debugSeen and self.debug)
                    break
            else:
                # Every callback ran and the result is a plain value.
                self._runningCallbacks = False
                callbacks.clear()
                return
        except BaseException:
            # Only a failure to build a Failure or a warning turned into an
            # error gets here: leave the Deferred consistent, then propagate.
            self.result = result
            self._runningCallbacks = False
            _dropConsumed(walk, callbacks)
            raise
        self.result = result
        self._runningCallbacks = False
        _dropConsumed(walk, callbacks)
        if type(entry) is tuple and (plain or entry[0] is _continueMarker):
            callbacks.insert(0, entry)  # not run: _runCallbacks takes it from here
        self._runCallbacks()

    def errback(self, fail: Failure | BaseException | None = None) -> None:
        """Fire with a failure and run the errbacks.

        ``fail=None`` captures the exception being handled (raising
        ``NoCurrentExceptionError`` outside an ``except`` block); an
        exception is wrapped in a ``Failure``.

        Raises:
            AlreadyCalledError: the Deferred has already fired.
        """
        if fail is None:
            fail = Failure(captureVars=self.debug)
        elif not isinstance(fail, Failure):
            fail = Failure(fail)
        if self.called:
            self._alreadyCalled()
            return
        if self.debug:
            self._invoker = traceback.format_stack()[:-1]
        self.called = True  # callback's steps, here so the stack above is errback's caller
        self._canceller = None
        self.result = fail
        self._runCallbacks()

    def _alreadyCalled(self) -> None:
        """Swallow the call a canceller-less cancel() promised, else raise."""
        if self._suppressAlreadyCalled:
            self._suppressAlreadyCalled = False
            return
        if self.debug:
            raise AlreadyCalledError("\n" + debugText(self._creator, self._invoker))
        raise AlreadyCalledError()

    def pause(self) -> None:
        """Stop running callbacks until the matching ``unpause()``."""
        self.paused += 1

    def unpause(self) -> None:
        """Undo one ``pause()``; at zero, run the callbacks added meanwhile.

        Raises:
            RuntimeError: the Deferred is not paused.
        """
        if self.paused <= 0:
            raise RuntimeError(f"unpause() called on {self!r}, which is not paused")
        self.paused -= 1
        if not self.paused and self.called:
            self._runCallbacks()

    def cancel(self) -> None:
        """Ask for the operation behind this Deferred to be abandoned.

        Not fired yet: the canceller runs; if it did not fire the Deferred (or
        there is none), the Deferred errbacks with ``CancelledError``.  With
        no canceller, the one ``callback``/``errback`` call that the original
        producer will still make is silently swallowed.  Fired but waiting on
        another Deferred: that one is cancelled instead.  Otherwise nothing.
        """
        if not self.called:
            canceller = self._canceller
            if canceller is not None:
                canceller(self)
            else:
                self._suppressAlreadyCalled = True
            if not self.called:
                self.errback(Failure(CancelledError()))
        elif self._chainedTo is not None:
            self._chainedTo.cancel()

    def _followWith(self, inner: Deferred[Any]) -> None:
        """Fire now, but give the callbacks ``inner``'s eventual result.

        The same as firing through a first callback that returns ``inner``;
        used by cancellers that hand the outcome to a new Deferred.
        """
        self._plain = False
        self._callbacks.insert(0, (_returnSecond, (inner,), _NOKW, _returnSecond, (inner,), _NOKW))
        self.callback(None)  # type: ignore[arg-type]

    # --- running callbacks ---------------------------------------------------

    def _runCallbacks(self) -> None:
        """Run callbacks until none are left or a Deferred has to wait.

        ``d`` is the Deferred being processed; when a continuation hands its
        result to a waiting Deferred, that one is processed next, and ``d``
        goes on the ``unfinished`` stack if it still has callbacks (see the
        module docstring).  The stack is only built when needed.

        Discussion: this is one long function on purpose.  It is the hot path
        of every Deferred, and splitting the inner loop into helpers would add
        a Python call per callback; the rare paths (chaining, reporting) are
        already delegated to ``_takeResult`` and ``plait._defer_unhandled``.
        """
        if self._runningCallbacks:
            return  # an outer frame is running them and will see new entries
        d: Deferred[Any] = self
        unfinished: list[Deferred[Any]] | None = None
        while True:
            if d.paused or d._runningCallbacks:
                if isinstance(d.result, Failure):
                    armReport(d, d.result)  # it may never be unpaused
            else:
                d._chainedTo = None
                callbacks = d._callbacks
                result = d.result
                failed = type(result) in _failureTypes
                handOffTo: Deferred[Any] | None = None
                d._runningCallbacks = True
                # The walk's position is the iterator's: entries appended
                # meanwhile extend it, and __length_hint__ tells how many
                # entries were consumed when it stops early.
                walk = iter(callbacks)
                entry: Any
                try:
                    for entry in walk:
                        try:
                            if type(entry) is not tuple:
                                # A short entry: a callback without arguments
                                # whose errback is passthru.
                                if failed:
                                    continue
                                result = entry(result)
                            else:
                                if failed:
                                    _, _, _, cb, cbArgs, cbKw = entry
                                else:
                                    cb, cbArgs, cbKw, _, _, _ = entry
                                if cb is passthru:
                                    continue
                                if cb is _continueMarker:
                                    handOffTo = cbArgs[0]
                                    break
                                if cbArgs or cbKw:
                                    result = cb(result, *cbArgs, **cbKw)
                                else:
                                    result = cb(result)
                            if type(result) in _specialTypes:
                                if type(result) in _failureTypes:
                                    failed = True
                                else:
                                    if result is d:
                                        _warnSelfReturn(cb if type(entry) is tuple else entry)
                                    failed = False
                                    if not _takeResult(d, result):
                                        break  # d now waits on it; see _takeResult
                                    result = d.result
                                    failed = type(result) in _failureTypes
                            else:
                                failed = False
                        except BaseException:  # noqa: BLE001 - every exception becomes a Failure, as in Twisted
                            result = Failure(captureVars=d.debug)
                            failed = True
                        d.result = result
                        if d.paused:
                            break
                finally:
                    d._runningCallbacks = False
                    # What the walk consumed: everything, unless it stopped early.
                    left = walk.__length_hint__()  # type: ignore[attr-defined]
                    if left:
                        del callbacks[:-left]
                    else:
                        callbacks.clear()
                if handOffTo is not None:
                    # Move d's result into the Deferred that waited on d and
                    # process that one next; d resumes later if it has more.
                    handOffTo.result = result
                    d.result = None
                    handOffTo.paused -= 1
                    handOffTo._chainedTo = None
                    if callbacks:
                        if unfinished is None:
                            unfinished = [d]
                        else:
                            unfinished.append(d)
                    elif d._unhandled is not None:
                        disarmReport(d)
                    d = handOffTo
                    continue
                if failed:
                    armReport(d, result)
                elif d._unhandled is not None:
                    disarmReport(d)
            if not unfinished:
                return
            d = unfinished.pop()

    # --- inspecting ------------------------------------------------------------

    @property
    def callbacks(self) -> list[tuple[tuple[Any, ...], tuple[Any, ...]]]:
        """The pending chain as Twisted's ``((callback, args, kwargs),
        (errback, args, kwargs))`` pairs (a copy, for inspection only)."""
        return [
            ((e[0], e[1], e[2]), (e[3], e[4], e[5])) if type(e) is tuple
            else ((e, (), {}), (passthru, (), {}))
            for e in self._callbacks
        ]

    def __str__(self) -> str:
        name = type(self).__name__
        if self._chainedTo is not None:
            return f"<{name} at 0x{id(self):x} waiting on Deferred at 0x{id(self._chainedTo):x}>"
        if not self.called:
            return f"<{name} at 0x{id(self):x}>"
        return f"<{name} at 0x{id(self):x} current result: {self.result!r}>"

    __repr__ = __str__

    # --- coroutines and asyncio ------------------------------------------------

    def __iter__(self) -> Generator[Deferred[_SelfResultT], object, _SelfResultT]:
        """Yield this Deferred until it has a result, then return or raise it.

        A coroutine runner (``fromCoroutine``) resumes the generator from a
        callback on this Deferred, when ``result`` is current.  Raising a
        failure counts as handling it: no unhandled-error report follows.
        """
        while not self.called or self.paused:
            yield self
        result = self.result
        if isinstance(result, Failure):
            disarmReport(self)
            result.raiseException()
        return result  # type: ignore[no-any-return]

    __await__ = __iter__

    def asFuture(self, loop: AbstractEventLoop) -> Future[_SelfResultT]:
        """Return an asyncio Future bound to ``loop`` that gets this result.

        The Future consumes the result: this Deferred continues with
        ``None``.  Cancelling the Future cancels this Deferred.
        """
        # The bridges build on this module: importing them here breaks the cycle.
        from plait._defer_coroutines import futureFromDeferred

        return futureFromDeferred(self, loop)

    @classmethod
    def fromFuture(cls, future: Future[_SelfResultT]) -> Deferred[_SelfResultT]:
        """Return a Deferred that fires with ``future``'s result or exception.

        Cancelling the Deferred cancels the Future; the Deferred then fails
        with the Future's ``asyncio.CancelledError`` once the loop reports it.
        Takes a Future (or Task), not a coroutine.  Unlike Twisted, a Future
        that is already done gives an already-fired Deferred.
        """
        from plait._defer_coroutines import deferredFromFuture

        return deferredFromFuture(cls, future)

    @classmethod
    def fromCoroutine(
        cls,
        coro: Coroutine[Any, Any, _T] | Generator[Any, Any, _T],
    ) -> Deferred[_T]:
        """Run ``coro`` (a coroutine or generator) and return its Deferred.

        Awaited Deferreds suspend it; its return value fires the Deferred.
        Cancelling the Deferred cancels the Deferred it is awaiting, which
        raises ``CancelledError`` inside the coroutine.

        Raises:
            NotACoroutineError: ``coro`` is neither.
        """
        from plait._defer_coroutines import isCoroutine, runCoroutine

        if not isCoroutine(coro):
            raise NotACoroutineError(f"{coro!r} is not a coroutine")
        return runCoroutine(coro)


_deferredTypes.add(Deferred)
_specialTypes.add(Deferred)


def _dropConsumed(walk: Any, callbacks: list[Any]) -> None:
    """Delete the entries of ``callbacks`` that the iterator ``walk`` consumed."""
    left: int = walk.__length_hint__()
    if left:
        del callbacks[:-left]
    else:
        callbacks.clear()


def _takeResult(outer: Deferred[Any], inner: Deferred[Any]) -> bool:
    """A callback of ``outer`` returned ``inner``: take its result if it has one.

    Returns True with ``outer.result`` set to ``inner``'s result (which
    ``inner`` gives up, leaving ``None``).  Otherwise ``outer`` pauses to wait:
    its result becomes ``inner`` and a continuation is queued on ``inner``;
    returns False.
    """
    if inner is not outer and inner.called and not (
        inner.paused or inner._runningCallbacks or type(inner.result) in _deferredTypes
    ):
        outer.result = inner.result
        inner.result = None
        disarmReport(inner)
        return True
    outer.result = inner
    outer.paused += 1
    outer._chainedTo = inner
    # Appended directly: inner either has not fired, or something is already
    # going to run its callbacks (unpause, an outer frame, the chain loop).
    inner._plain = False
    inner._callbacks.append(
        (_continueMarker, (outer,), _NOKW, _continueMarker, (outer,), _NOKW)
    )
    return False


def _cancelledToTimedOut(result: object, timeout: float) -> object:
    """addTimeout's default: a cancellation becomes ``TimeoutError``."""
    if isinstance(result, Failure):
        result.trap(CancelledError)
        raise TimeoutError(timeout, "Deferred")
    return result


def succeed(result: _T) -> Deferred[_T]:
    """Return a Deferred that has already fired with ``result``."""
    d: Deferred[_T] = Deferred()
    # Setting the state directly skips an empty callback run.
    d.result = result
    d.called = True
    return d


def fail(result: Failure | BaseException | None = None) -> Deferred[Any]:
    """Return a Deferred that has already failed; arguments as ``errback``."""
    d: Deferred[Any] = Deferred()
    d.errback(result)
    return d


def logError(err: Failure) -> Failure:
    """Log ``err`` through ``plait.log.err`` and return it (an errback)."""
    log.err(err)
    return err
