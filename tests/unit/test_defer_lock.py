"""DeferredFilesystemLock and FilesystemLock (plait._defer_lock), on a Clock and tmp_path."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from plait import defer
from plait._defer_lock import FilesystemLock
from plait.task import Clock
from tests.helpers import failureResultOf, successResultOf


def test_lockAndUnlock(tmp_path: Path) -> None:
    name = str(tmp_path / "lock")
    lock = FilesystemLock(name)
    assert lock.lock() and lock.locked and lock.clean
    assert os.readlink(name) == str(os.getpid())
    assert not FilesystemLock(name).lock()  # held (by a live process: us)
    lock.unlock()
    assert not lock.locked and not os.path.lexists(name)
    with pytest.raises(ValueError, match="not owned by this process"):
        lock.unlock()


def test_staleLockIsBroken(tmp_path: Path) -> None:
    """A lock whose owner process is gone is taken over (clean is then False)."""
    child = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True, timeout=60)
    name = str(tmp_path / "lock")
    os.symlink(child.stdout.strip(), name)
    lock = FilesystemLock(name)
    assert lock.lock()
    assert lock.clean is False
    lock.unlock()


def test_foreignLinkIsLeftAlone(tmp_path: Path) -> None:
    name = str(tmp_path / "lock")
    os.symlink("not-a-pid", name)
    assert not FilesystemLock(name).lock()


def test_deferUntilLockedFiresOnceFree(tmp_path: Path) -> None:
    clock = Clock()
    name = str(tmp_path / "lock")
    holder = FilesystemLock(name)
    holder.lock()
    waiter = defer.DeferredFilesystemLock(name, scheduler=clock)
    d = waiter.deferUntilLocked()
    assert not d.called
    second = waiter.deferUntilLocked()
    failureResultOf(second, defer.AlreadyTryingToLockError)
    holder.unlock()
    clock.advance(waiter._interval)
    assert successResultOf(d) is None
    assert waiter.locked
    waiter.unlock()
    assert clock.getDelayedCalls() == []


def test_deferUntilLockedTimesOut(tmp_path: Path) -> None:
    clock = Clock()
    name = str(tmp_path / "lock")
    FilesystemLock(name).lock()
    waiter = defer.DeferredFilesystemLock(name, scheduler=clock)
    d = waiter.deferUntilLocked(timeout=2.5)
    clock.advance(1)
    clock.advance(1.5)
    failure = failureResultOf(d, defer.TimeoutError)
    assert failure.getErrorMessage() == f"Timed out acquiring lock: {name} after 2.500000s"
    assert clock.getDelayedCalls() == []


def test_deferUntilLockedCancel(tmp_path: Path) -> None:
    clock = Clock()
    name = str(tmp_path / "lock")
    FilesystemLock(name).lock()
    d = defer.DeferredFilesystemLock(name, scheduler=clock).deferUntilLocked()
    d.cancel()
    failureResultOf(d, defer.CancelledError)
    assert clock.getDelayedCalls() == []


def test_immediateLock(tmp_path: Path) -> None:
    lock = defer.DeferredFilesystemLock(str(tmp_path / "lock"), scheduler=Clock())
    assert successResultOf(lock.deferUntilLocked()) is None
    lock.unlock()


def test_deferModuleNames() -> None:
    """timeout(), the callback type aliases, DebugInfo and the module's logger."""
    d: defer.Deferred[Any] = defer.Deferred()
    defer.timeout(d)
    assert failureResultOf(d, defer.TimeoutError).getErrorMessage() == "Callback timed out"
    assert defer.log.namespace == "plait.defer"
    info = defer.DebugInfo()
    assert info._getDebugTracebacks() == ""
    assert defer.DeferredCallback == defer.DeferredErrback


def test_callbacksProperty() -> None:
    d: defer.Deferred[int] = defer.Deferred()
    d.addCallbacks(str, repr, callbackArgs=(1,), errbackKeywords={"k": 2})
    assert d.callbacks == [((str, (1,), {}), (repr, (), {"k": 2}))]
