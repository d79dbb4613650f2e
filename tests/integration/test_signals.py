"""SIGINT/SIGTERM stop the reactor cleanly: real signals go to a child process only."""

from __future__ import annotations

import os
import select
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from plait.selectreactor import SelectorReactor

ROOT = Path(__file__).resolve().parents[2]
WAIT = 20.0

CHILD = """
    import signal, sys
    from plait import log, reactor

    log.startLogging(sys.stdout, setStdout=False)

    def say(text):
        print(text, flush=True)

    reactor.addSystemEventTrigger("before", "shutdown", say, "before shutdown")
    reactor.addSystemEventTrigger("during", "shutdown", lambda: say(f"during shutdown running={reactor.running}"))
    reactor.addSystemEventTrigger("after", "shutdown", say, "after shutdown")
    reactor.callWhenRunning(say, "ready")
    sleeper = reactor.callLater(600, say, "never")  # the loop sleeps on this: the signal must wake it
    reactor.run()
    say(f"exitSignal={reactor._exitSignal}")
    say(f"SIGINT restored={signal.getsignal(signal.SIGINT) is signal.default_int_handler}")
    say(f"SIGTERM restored={signal.getsignal(signal.SIGTERM) is signal.SIG_DFL}")
    sleeper.cancel()
    reactor._close()
"""


def readUntilReady(proc: subprocess.Popen[bytes], seconds: float) -> bytes:
    """Read the child's stdout (raw fd: no buffer can hide a line from select) up to "ready"."""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    seen = b""
    deadline = time.monotonic() + seconds
    while b"ready\n" not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 65536) if ready else b""
        if not chunk:
            raise AssertionError(f"the child never said ready; it printed {seen!r}")
        seen += chunk
    return seen


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_signalStopsTheReactorAndRunsShutdownTriggers(signum: int) -> None:
    """A child reactor gets SIGINT/SIGTERM while asleep: it logs, runs the shutdown phases, exits 0."""
    proc = subprocess.Popen(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(CHILD)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=str(ROOT),
    )
    try:
        start = readUntilReady(proc, WAIT)
        proc.send_signal(signum)
        rest, err = proc.communicate(timeout=WAIT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err.decode()
    out = (start + rest).decode()
    lines = out.splitlines()
    name = signal.Signals(signum).name
    logged = [i for i, line in enumerate(lines) if line.endswith(f"[-] Received {name}, shutting down.")]
    assert len(logged) == 1, out
    assert lines.index("ready") < logged[0] < lines.index("before shutdown")
    plain = [line for line in lines if "[-]" not in line]
    assert plain == [
        "ready",
        "before shutdown",
        "during shutdown running=False",
        "after shutdown",
        f"exitSignal={int(signum)}",
        "SIGINT restored=True",
        "SIGTERM restored=True",
    ]
    assert any(line.endswith("[-] Main loop terminated.") for line in lines)


def test_handlersAreInstalledWhileRunningAndRestoredAfter(reactor: SelectorReactor) -> None:
    """run() installs its SIGINT/SIGTERM handlers during startup and puts the previous ones back."""
    before = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    during: dict[int, Any] = {}

    def look() -> None:
        during.update({s: signal.getsignal(s) for s in before})
        reactor.crash()

    reactor.callWhenRunning(look)
    reactor.run(installSignalHandlers=True)
    assert all(h == reactor._handleSignal for h in during.values())
    assert {s: signal.getsignal(s) for s in before} == before


def test_noHandlersWhenAskedNot(reactor: SelectorReactor) -> None:
    """run(installSignalHandlers=False) leaves the process's handlers alone."""
    before = signal.getsignal(signal.SIGINT)
    during: list[Any] = []
    reactor.callWhenRunning(lambda: (during.append(signal.getsignal(signal.SIGINT)), reactor.crash()))
    reactor.run(installSignalHandlers=False)
    assert during == [before]


def test_runningInAThreadSkipsSignalHandlers() -> None:
    """A reactor run outside the main thread cannot install handlers and runs without them."""
    r = SelectorReactor()
    outcome: list[Any] = []

    def runIt() -> None:
        try:
            r.callWhenRunning(r.stop)
            r.run(installSignalHandlers=True)
            outcome.append("ok")
        except BaseException as e:  # noqa: BLE001 - reported below
            outcome.append(e)

    try:
        worker = threading.Thread(target=runIt)
        worker.start()
        worker.join(WAIT)
        assert outcome == ["ok"]
    finally:
        r._close()
