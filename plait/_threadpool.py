"""A small thread pool (``twisted.python.threadpool.ThreadPool``).

Owns ``ThreadPool``: a FIFO of work items run by at most ``max`` worker
threads.  The reactor's ``callInThread``/``deferToThread`` and the default
name resolver use one.

Rules:

* Work queued before ``start()`` waits; ``start()`` spawns enough workers
  for it (and at least ``min``).
* A worker is spawned when work arrives and no worker is idle, up to
  ``max``.  Workers live until ``stop()`` (or a smaller ``max``).
* ``stop()`` lets already-queued work finish, then joins every worker except
  the calling thread.  A stopped pool may be started again.
* An exception from a work item is logged with ``log.err``; the worker lives
  on.  With ``callInThreadWithCallback`` the outcome goes to
  ``onResult(success, resultOrFailure)`` in the worker thread instead.

Theory of operation: one ``queue.SimpleQueue`` carries work items and, on
shutdown or shrinking, one ``_STOP`` sentinel per worker to retire.  The lock
only guards the worker bookkeeping (``threads``, ``_idle``, the counts), never
the work itself.

Tests: tests/integration/test_threads.py.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from typing import Any

from plait import log
from plait.failure import Failure

__all__ = ["ThreadPool"]

_Work = tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any], Callable[[bool, Any], object] | None]
_STOP = None  # the sentinel a worker exits on


class ThreadPool:
    """Run callables in up to ``maxthreads`` worker threads."""

    def __init__(self, minthreads: int = 5, maxthreads: int = 20, name: str | None = None) -> None:
        _checkSizes(minthreads, maxthreads)
        self.min = minthreads
        self.max = maxthreads
        self.name = name
        self.started = False
        self.joined = False
        self.threads: list[threading.Thread] = []
        self._queue: queue.SimpleQueue[_Work | None] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._idle = 0
        self._retiring = 0  # _STOP sentinels queued but not yet taken
        self._pendingCount = 0  # queued work not yet picked up by a worker
        self._spawned = 0

    # -- public API ----------------------------------------------------------

    def start(self) -> None:
        """Start the workers needed for queued work, and at least ``min``."""
        with self._lock:
            self.joined = False
            self.started = True
            self._growLocked()

    def stop(self) -> None:
        """Finish queued work, then retire and join every worker."""
        with self._lock:
            self.started = False
            self.joined = True
            workers = list(self.threads)
            self._retireLocked(self._liveCountLocked())
        current = threading.current_thread()
        for worker in workers:
            if worker is not current:
                worker.join()

    def callInThread(self, func: Callable[..., Any], *args: Any, **kw: Any) -> None:
        """Run ``func(*args, **kw)`` in a worker; exceptions are logged."""
        self.callInThreadWithCallback(None, func, *args, **kw)

    def callInThreadWithCallback(
        self,
        onResult: Callable[[bool, Any], object] | None,
        func: Callable[..., Any],
        *args: Any,
        **kw: Any,
    ) -> None:
        """Run ``func`` in a worker, then ``onResult(True, result)`` or ``onResult(False, failure)``.

        ``onResult`` runs in the worker thread; its own exceptions are logged.
        """
        if not callable(func):
            raise TypeError(f"{func!r} is not callable")
        with self._lock:
            self._pendingCount += 1
            self._queue.put((func, args, kw, onResult))
            # Idle workers will each take one queued item; spawn for the rest.
            if self.started and self._pendingCount > self._idle and self._liveCountLocked() < self.max:
                self._spawnLocked()

    def adjustPoolsize(self, minthreads: int | None = None, maxthreads: int | None = None) -> None:
        """Change the bounds; spawn or retire workers to fit them if started."""
        newMin = self.min if minthreads is None else minthreads
        newMax = self.max if maxthreads is None else maxthreads
        _checkSizes(newMin, newMax)
        with self._lock:
            self.min, self.max = newMin, newMax
            if not self.started:
                return
            self._retireLocked(self._liveCountLocked() - self.max)
            self._growLocked()

    @property
    def working(self) -> list[None]:
        """One entry per worker running a work item now (Twisted's ``working``).

        ``plait.trial`` reads it to report a test that left work running.
        """
        with self._lock:
            return [None] * (self._liveCountLocked() - self._idle)

    @property
    def waiters(self) -> list[None]:
        """One entry per idle worker (Twisted's ``waiters``)."""
        with self._lock:
            return [None] * self._idle

    def __repr__(self) -> str:
        return f"<ThreadPool {self.name!r} min={self.min} max={self.max} threads={len(self.threads)}>"

    # -- workers -------------------------------------------------------------

    def _liveCountLocked(self) -> int:
        return len(self.threads) - self._retiring

    def _growLocked(self) -> None:
        # Busy workers keep their work; idle ones will take queued items.
        busy = self._liveCountLocked() - self._idle
        wanted = min(self.max, max(self.min, busy + self._pendingCount))
        for _ in range(wanted - self._liveCountLocked()):
            self._spawnLocked()

    def _retireLocked(self, count: int) -> None:
        for _ in range(count):
            self._retiring += 1
            self._queue.put(_STOP)

    def _spawnLocked(self) -> None:
        self._spawned += 1
        thread = threading.Thread(
            target=self._worker, name=f"PoolThread-{self.name or 'pool'}-{self._spawned}", daemon=True
        )
        self.threads.append(thread)
        thread.start()

    def _worker(self) -> None:
        me = threading.current_thread()
        get = self._queue.get
        while True:
            with self._lock:
                self._idle += 1
            item = get()
            with self._lock:
                self._idle -= 1
                if item is _STOP:
                    self._retiring -= 1
                    self.threads.remove(me)
                    return
                self._pendingCount -= 1
            _runWork(item)
            del item  # don't keep the last work item's arguments alive while idle


def _runWork(item: _Work) -> None:
    func, args, kw, onResult = item
    try:
        result = func(*args, **kw)
        success = True
    except BaseException:  # noqa: BLE001 - handed to onResult or logged
        result = Failure()
        success = False
    if onResult is None:
        if not success:
            log.err(result, "Unhandled error in thread pool")
        return
    try:
        onResult(success, result)
    except BaseException:  # noqa: BLE001 - a broken callback must not kill the worker
        log.err(Failure(), "Unhandled error in thread pool callback")


def _checkSizes(minthreads: int, maxthreads: int) -> None:
    if minthreads < 0:
        raise AssertionError("minimum is negative")
    if minthreads > maxthreads:
        raise AssertionError("minimum is greater than maximum")
