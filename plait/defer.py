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

* ``plait._defer_lock``: ``DeferredFilesystemLock`` (a lock on a file name
  with a Deferred that fires once it is taken).

``returnValue`` still works and warns, naming ``plait.defer.returnValue``;
the deprecated ``timeout()`` and ``Deferred.callbacks`` are kept for old
code.

Tests: tests/unit/test_defer.py, tests/unit/test_defer_properties.py,
tests/unit/test_defer_coroutines.py
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from plait._defer_lock import AlreadyTryingToLockError, DeferredFilesystemLock
from plait._defer_unhandled import DebugInfo, log  # noqa: F401 - Twisted's names
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
from plait.failure import Failure

__all__ = [
    "FAILURE",
    "SUCCESS",
    "AlreadyCalledError",
    "AlreadyTryingToLockError",
    "CancelledError",
    "Deferred",
    "DeferredFilesystemLock",
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

#: Type aliases of Twisted's: what ``addCallback``/``addErrback`` accept.
DeferredCallback = Callable[..., object]
DeferredErrback = Callable[..., object]


def timeout(deferred: Deferred[Any]) -> None:
    """Fail ``deferred`` with ``TimeoutError("Callback timed out")`` (deprecated
    in Twisted; use ``Deferred.addTimeout``)."""
    deferred.errback(Failure(TimeoutError("Callback timed out")))


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
    DeferredFilesystemLock,
    AlreadyTryingToLockError,
    DebugInfo,
):
    _cls.__module__ = __name__
del _cls
