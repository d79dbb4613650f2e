"""Deferreds: results that arrive later (``twisted.internet.defer``).

This is the public import point for everything about Deferreds.  The code
lives in three private modules, each readable on its own:

* ``plait._deferred``: ``Deferred`` itself (callback chains, chaining,
  pausing, cancellation, timeouts, unhandled-failure reports, ``await``),
  the exceptions, ``succeed``, ``fail``, ``passthru``, ``logError`` and the
  debugging switch.  Start reading there.
* ``plait._defer_coroutines``: the coroutine runner behind
  ``Deferred.fromCoroutine``, ``ensureDeferred`` and ``inlineCallbacks``;
  ``execute``, ``maybeDeferred`` and the asyncio Future bridges.
* ``plait._defer_helpers``: ``DeferredList``, ``gatherResults``, ``race``,
  ``DeferredLock``, ``DeferredSemaphore`` and ``DeferredQueue``.

Rules (the contract every piece keeps): a Deferred fires once; callbacks
run in order, synchronously, never re-entrantly for the same Deferred;
every ``add*`` returns the Deferred; a callback that returns a Deferred
makes the chain wait for it, iteratively; a failure still unhandled when
its Deferred is garbage-collected is logged.

Not provided: ``DeferredFilesystemLock``/``AlreadyTryingToLockError``, the
deprecated ``timeout()`` function and ``Deferred.callbacks`` property, and
``DebugInfo`` (replaced by a private sentinel).  ``returnValue`` still works
and warns, naming ``plait.defer.returnValue``.

Tests: tests/unit/test_defer.py, tests/unit/test_defer_properties.py,
tests/unit/test_defer_coroutines.py
"""

from __future__ import annotations

from plait._defer_coroutines import (
    ensureDeferred,
    execute,
    inlineCallbacks,
    maybeDeferred,
    returnValue,
)
from plait._defer_helpers import (
    DeferredList,
    DeferredLock,
    DeferredQueue,
    DeferredSemaphore,
    FailureGroup,
    FirstError,
    QueueOverflow,
    QueueUnderflow,
    gatherResults,
    race,
)
from plait._deferred import (
    FAILURE,
    SUCCESS,
    AlreadyCalledError,
    CancelledError,
    Deferred,
    NotACoroutineError,
    TimeoutError,
    fail,
    getDebugging,
    logError,
    passthru,
    setDebugging,
    succeed,
)

__all__ = [
    "FAILURE",
    "SUCCESS",
    "AlreadyCalledError",
    "CancelledError",
    "Deferred",
    "DeferredList",
    "DeferredLock",
    "DeferredQueue",
    "DeferredSemaphore",
    "FailureGroup",
    "FirstError",
    "NotACoroutineError",
    "QueueOverflow",
    "QueueUnderflow",
    "TimeoutError",
    "ensureDeferred",
    "execute",
    "fail",
    "gatherResults",
    "getDebugging",
    "inlineCallbacks",
    "logError",
    "maybeDeferred",
    "passthru",
    "race",
    "returnValue",
    "setDebugging",
    "succeed",
]

# Public classes report this module as their home, so failures read
# "plait.defer.CancelledError" and pickles refer to the stable public path.
for _cls in (
    Deferred,
    DeferredList,
    DeferredLock,
    DeferredSemaphore,
    DeferredQueue,
    AlreadyCalledError,
    CancelledError,
    TimeoutError,
    NotACoroutineError,
    FirstError,
    FailureGroup,
    QueueOverflow,
    QueueUnderflow,
):
    _cls.__module__ = __name__
del _cls
