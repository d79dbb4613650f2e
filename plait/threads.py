"""Crossing between the reactor thread and worker threads (``twisted.internet.threads``).

Owns ``deferToThreadPool``/``deferToThread`` (run a blocking function in a
pool, get a Deferred in the reactor thread), ``blockingCallFromThread`` (the
reverse: a worker waits for the reactor thread) and ``callMultipleInThread``.

Rules:

* Deferreds returned here fire in the reactor thread, via
  ``reactor.callFromThread``, never in a worker.
* ``deferToThread`` and ``callMultipleInThread`` use the global reactor,
  imported when called, never at import time.
* ``blockingCallFromThread`` refuses to run in the reactor's own thread (it
  would wait forever for itself) with a ``RuntimeError``.

Tests: tests/integration/test_threads.py.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Sequence
from typing import Any

from plait.defer import Deferred, maybeDeferred
from plait.failure import Failure

__all__ = [
    "blockingCallFromThread",
    "callMultipleInThread",
    "deferToThread",
    "deferToThreadPool",
]


def deferToThreadPool(reactor: Any, threadpool: Any, f: Callable[..., Any], *args: Any, **kwargs: Any) -> Deferred[Any]:
    """Run ``f(*args, **kwargs)`` in ``threadpool``; return a Deferred of its result.

    The Deferred fires (or fails with the raised exception) in the reactor
    thread.
    """
    d: Deferred[Any] = Deferred()

    def onResult(success: bool, result: Any) -> None:
        if success:
            reactor.callFromThread(d.callback, result)
        else:
            reactor.callFromThread(d.errback, result)

    threadpool.callInThreadWithCallback(onResult, f, *args, **kwargs)
    return d


def deferToThread(f: Callable[..., Any], *args: Any, **kwargs: Any) -> Deferred[Any]:
    """``deferToThreadPool`` on the global reactor and its thread pool."""
    from plait import reactor

    return deferToThreadPool(reactor, reactor.getThreadPool(), f, *args, **kwargs)  # type: ignore[attr-defined]


def _runMultiple(tupleList: Sequence[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]) -> None:
    for f, args, kwargs in tupleList:
        f(*args, **kwargs)


def callMultipleInThread(
    tupleList: Sequence[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]],
) -> None:
    """Run each ``(f, args, kwargs)`` of ``tupleList`` in turn, in one pool thread."""
    from plait import reactor

    reactor.callInThread(_runMultiple, tupleList)  # type: ignore[attr-defined]


def blockingCallFromThread(reactor: Any, f: Callable[..., Any], *a: Any, **kw: Any) -> Any:
    """Run ``f`` in the reactor thread and wait for its (possibly deferred) result.

    Returns the result; raises ``f``'s exception, or the exception of the
    Failure its Deferred fired with.  Must not be called in the reactor thread.
    """
    if getattr(reactor, "_ioThread", None) == threading.get_ident():
        raise RuntimeError("blockingCallFromThread must not be called in the reactor thread")
    results: queue.SimpleQueue[Any] = queue.SimpleQueue()

    def inReactor() -> None:
        maybeDeferred(f, *a, **kw).addBoth(results.put)

    reactor.callFromThread(inReactor)
    result = results.get()
    if isinstance(result, Failure):
        result.raiseException()
    return result
