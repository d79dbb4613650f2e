"""A lock on a file name, and a Deferred that fires once it is taken.

Part of ``plait.defer`` (which re-exports ``DeferredFilesystemLock`` and
``AlreadyTryingToLockError``); ``FilesystemLock`` is Twisted's
``twisted.python.lockfile.FilesystemLock``.

How the lock works: taking it creates a symbolic link called ``name``
whose target is the owner's process id.  ``symlink(2)`` is atomic and
fails if the name exists, so at most one process holds the lock.  A link
naming a process that no longer exists is stale: it is removed and the
lock taken (``clean`` is then False).

Rules: ``deferUntilLocked`` retries every ``_interval`` seconds on the
scheduler it was given (the global reactor by default), fails with
``TimeoutError`` after ``timeout`` seconds, and refuses a second
concurrent wait with ``AlreadyTryingToLockError``; cancelling the Deferred
makes one last attempt and otherwise fails it with ``CancelledError``.

Tests: tests/unit/test_defer_lock.py.
"""

from __future__ import annotations

import errno
import os
from typing import Any

from plait._deferred import CancelledError, Deferred, TimeoutError, fail
from plait.failure import Failure

__all__ = ["AlreadyTryingToLockError", "DeferredFilesystemLock", "FilesystemLock"]


class AlreadyTryingToLockError(Exception):
    """``deferUntilLocked`` was called while an earlier call is still waiting."""


def _pidAlive(pid: int) -> bool:
    try:
        os.kill(pid, 0)  # kill(2) with signal 0: only "does it exist?"
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # it exists, owned by somebody else
    return True


class FilesystemLock:
    """A lock named by a path (see the module docstring).

    ``locked``: this object holds the lock.  ``clean``: the last ``lock()``
    did not have to break a stale lock.
    """

    clean: bool | None = None
    locked = False

    def __init__(self, name: str) -> None:
        self.name = name

    def lock(self) -> bool:
        """Take the lock if nobody holds it; return whether we hold it now."""
        clean = True
        while True:
            try:
                os.symlink(str(os.getpid()), self.name)
            except FileExistsError:
                try:
                    owner = int(os.readlink(self.name))
                except FileNotFoundError:
                    continue  # released meanwhile: try again
                except (OSError, ValueError):
                    return False  # not one of our locks: leave it alone
                if _pidAlive(owner):
                    return False
                try:
                    os.remove(self.name)  # stale: its owner is gone
                except FileNotFoundError:
                    pass
                clean = False
                continue
            self.locked = True
            self.clean = clean
            return True

    def unlock(self) -> None:
        """Release the lock; ``ValueError`` if this process does not hold it."""
        try:
            owner = int(os.readlink(self.name))
        except OSError as e:
            if e.errno != errno.ENOENT:
                raise
            owner = None
        if owner != os.getpid():
            raise ValueError(f"Lock {self.name!r} not owned by this process")
        os.remove(self.name)
        self.locked = False


class DeferredFilesystemLock(FilesystemLock):
    """A ``FilesystemLock`` with ``deferUntilLocked()``: a Deferred for the lock."""

    _interval: float = 1
    _tryLockCall: Any = None
    _timeoutCall: Any = None

    def __init__(self, name: str, scheduler: Any = None) -> None:
        super().__init__(name)
        if scheduler is None:  # Twisted's signature: the global reactor by default
            from plait import reactor

            scheduler = reactor
        self._scheduler = scheduler

    def deferUntilLocked(self, timeout: float | None = None) -> Deferred[None]:
        """A Deferred that fires (with None) once this process holds the lock."""
        if self._tryLockCall is not None:
            return fail(AlreadyTryingToLockError("deferUntilLocked isn't safe for concurrent use."))

        def giveUp(reason: Failure | Exception) -> None:
            if self._tryLockCall is not None:
                self._tryLockCall.cancel()
                self._tryLockCall = None
            if self._timeoutCall is not None and self._timeoutCall.active():
                self._timeoutCall.cancel()
            self._timeoutCall = None
            if self.lock():
                d.callback(None)
            else:
                d.errback(reason)

        d: Deferred[None] = Deferred(lambda _: giveUp(CancelledError()))

        def tryLock() -> None:
            self._tryLockCall = None
            if self.lock():
                if self._timeoutCall is not None:
                    self._timeoutCall.cancel()
                    self._timeoutCall = None
                d.callback(None)
                return
            if timeout is not None and self._timeoutCall is None:
                reason = Failure(TimeoutError(f"Timed out acquiring lock: {self.name} after {timeout:f}s"))
                self._timeoutCall = self._scheduler.callLater(timeout, giveUp, reason)
            self._tryLockCall = self._scheduler.callLater(self._interval, tryLock)

        tryLock()
        return d
