"""Reaping: pidfds, the SIGCHLD fallback, and never stealing other children.

The SIGCHLD tests turn pidfds off (``plait.process._usePidfd``) and run the
reactor with its signal handlers installed, as ``reactor.run()`` does by
default; the handlers are restored when ``run()`` returns.
"""

from __future__ import annotations

import os
import select
import signal
import subprocess
from typing import Any

import pytest

from plait import error, process
from tests.helpers import RunTimeout
from tests.integration.procs import SH, Recorder, assertWellOrdered


def runWithSignals(reactor: Any, d: Any, timeout: float = 10.0) -> Any:
    """Like tests.helpers.runUntil, but with the reactor's signal handlers installed."""
    outcome: list[Any] = []

    def done(result: Any) -> None:
        outcome.append(result)
        if reactor.running:
            reactor.crash()

    d.addBoth(done)
    if not outcome:
        timer = reactor.callLater(timeout, reactor.crash)
        reactor.run(installSignalHandlers=True)
        if timer.active():
            timer.cancel()
    if not outcome:
        raise RunTimeout(f"{d!r} did not fire within {timeout} s")
    return outcome[0]


@pytest.fixture
def noPidfd(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(process, "_usePidfd", False)


def test_pidfdWatchesEachChild(reactor: Any) -> None:
    """With pidfds, a running child has one watched pidfd; it is gone once reaped."""
    p = Recorder()
    t = reactor.spawnProcess(p, "/bin/sleep", ["sleep", "1000"], childFDs={})
    watchers = [r for r in reactor.getReaders() if isinstance(r, process._PidfdWatcher)]
    assert len(watchers) == 1 and watchers[0].process is t
    assert process.reapProcessHandlers[t.pid] is t
    t.signalProcess("KILL")
    runWithSignals(reactor, p.ended)
    assert reactor.getReaders() == [] and t.pid is None
    assert not process.reapProcessHandlers


def test_sigchldFallbackReapsAChildThatOutlivesItsPipes(reactor: Any, noPidfd: None) -> None:
    """Without pidfds: a child that closes its pipes, then exits later, is
    reaped after its SIGCHLD (the only event left to tell us)."""
    p = Recorder()
    reactor.spawnProcess(p, SH, [SH, "-c", "exec <&- >&- 2>&-; sleep 0.2; exit 4"])
    assert not [r for r in reactor.getReaders() if isinstance(r, process._PidfdWatcher)]
    runWithSignals(reactor, p.ended)
    assert p.endedReason is not None and p.endedReason.value.exitCode == 4
    assertWellOrdered(p.events)
    assert not process.reapProcessHandlers
    assert signal.getsignal(signal.SIGCHLD) == signal.SIG_DFL  # restored by run()


def test_sigchldFallbackWhenTheChildEndedBeforeRun(reactor: Any, noPidfd: None) -> None:
    """A child that exits before the reactor runs is reaped when the SIGCHLD
    handler goes in (nothing told us about the signal that came earlier)."""
    p = Recorder()
    reactor.spawnProcess(p, "/bin/true", ["true"], childFDs={})
    ended = runWithSignals(reactor, p.ended)
    assert ended[-2:] == ["processExited", "processEnded"]


def test_otherChildrenAreNeverStolen(reactor: Any, noPidfd: None) -> None:
    """A child started with subprocess (not plait) keeps its exit status for
    its owner, though plait reaps its own children after every SIGCHLD."""
    other = subprocess.Popen(["/bin/sh", "-c", "exit 7"])
    try:
        for _ in range(3):
            p = Recorder()
            reactor.spawnProcess(p, SH, [SH, "-c", "exit 5"])
            runWithSignals(reactor, p.ended)
            assert p.endedReason is not None and p.endedReason.value.exitCode == 5
    finally:
        assert other.wait(timeout=10) == 7


def test_otherChildrenAreNeverStolenWithPidfd(reactor: Any) -> None:
    """The same with pidfds: plait only ever waits for its own pids."""
    other = subprocess.Popen(["/bin/sh", "-c", "exit 9"])
    try:
        p = Recorder()
        reactor.spawnProcess(p, SH, [SH, "-c", "exit 0"])
        runWithSignals(reactor, p.ended)
    finally:
        assert other.wait(timeout=10) == 9


def test_reapHandlerRegistryIsTwisteds(reactor: Any) -> None:
    """registerReapProcessHandler refuses a pid twice; unregister checks the
    owner; reapAllProcesses reaps a registered child that exited."""
    other = subprocess.Popen(["/bin/sh", "-c", "read x"], stdin=subprocess.PIPE)
    assert other.stdin is not None
    ends: list[int] = []

    class Handler:
        def processEnded(self, status: int) -> None:
            ends.append(status)

    handler = Handler()
    process.reapProcessHandlers.pop(other.pid, None)
    try:
        process.registerReapProcessHandler(other.pid, handler)
        with pytest.raises(RuntimeError, match="already registered"):
            process.registerReapProcessHandler(other.pid, handler)
        with pytest.raises(RuntimeError, match="not registered for"):
            process.unregisterReapProcessHandler(other.pid, Handler())
        process.unregisterReapProcessHandler(other.pid, handler)
        assert other.pid not in process.reapProcessHandlers
    finally:
        other.stdin.close()
        other.wait(timeout=10)
    assert ends == []
    # A raw child registered by hand: reapAllProcesses collects it once it exits.
    pid = os.posix_spawn("/bin/sleep", ["sleep", "1000"], {})
    process.registerReapProcessHandler(pid, handler)
    process.reapAllProcesses()
    assert ends == [] and process.reapProcessHandlers[pid] is handler
    os.kill(pid, signal.SIGTERM)
    pidfd = os.pidfd_open(pid)
    try:
        assert select.select([pidfd], [], [], 10)[0] == [pidfd]  # exited, not reaped
    finally:
        os.close(pidfd)
    process.reapAllProcesses()
    assert len(ends) == 1 and os.WTERMSIG(ends[0]) == signal.SIGTERM


def test_childReapedBySomebodyElseEndsWithUnknownStatus(reactor: Any) -> None:
    """With SIGCHLD ignored the kernel reaps children itself: the status is
    lost, and the process ends with a bare ProcessTerminated, not a made-up
    success."""
    previous = signal.signal(signal.SIGCHLD, signal.SIG_IGN)
    try:
        p = Recorder()
        reactor.spawnProcess(p, SH, [SH, "-c", "exit 0"])
        runWithSignals(reactor, p.ended)
    finally:
        signal.signal(signal.SIGCHLD, previous)
    assert p.endedReason is not None and p.endedReason.check(error.ProcessTerminated)
    assert (p.endedReason.value.exitCode, p.endedReason.value.signal) == (None, None)
