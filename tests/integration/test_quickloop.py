"""``SelectorReactor.mainLoop``'s quick passes: timer work is skipped while
nothing can be due, so everything that changes what is due must still be
seen on time: a timer made or moved earlier from I/O, a cancelled earliest
timer, a thread call, a stop, and a loop replaced on the instance.

Each test keeps a far timer pending (as the benchmarks' give-up timer is),
so the loop is in its quick passes when the I/O arrives; a quick pass that
missed the change would sleep until the next timer it knows of (at best
runUntil's own, ``LIMIT`` seconds on), which ``runBriefly`` reports.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Generator, Iterator
from typing import Any

import pytest

from plait.defer import Deferred
from tests.helpers import runUntil

FAR = 60.0  # a pending timer the loop would otherwise sleep until
LIMIT = 3.0  # runUntil's bound: far less than FAR


def runBriefly(reactor: Any, d: Deferred[Any]) -> Any:
    """``runUntil``, failing unless ``d`` fired within a second."""
    started = time.monotonic()
    result = runUntil(reactor, d, LIMIT)
    elapsed = time.monotonic() - started
    assert elapsed < 1.0, f"fired after {elapsed:.2f} s: a quick pass slept through it"
    return result


class OneShotReader:
    """A socketpair end that calls ``onRead`` for each byte it reads."""

    def __init__(self, onRead: Callable[[], object]) -> None:
        self.ours, self.theirs = socket.socketpair()
        self.ours.setblocking(False)
        self.onRead = onRead

    def fileno(self) -> int:
        return self.ours.fileno()

    def doRead(self) -> None:
        for _ in self.ours.recv(64):
            self.onRead()

    def logPrefix(self) -> str:
        return "OneShotReader"

    def connectionLost(self, reason: Any) -> None:
        pass

    def poke(self) -> None:
        self.theirs.send(b"x")

    def close(self) -> None:
        self.ours.close()
        self.theirs.close()


@pytest.fixture
def farTimer(reactor: Any) -> Iterator[Any]:
    call = reactor.callLater(FAR, lambda: None)
    yield call
    if call.active():
        call.cancel()


def readerFor(reactor: Any, onRead: Callable[[], object]) -> Generator[OneShotReader, None, None]:
    reader = OneShotReader(onRead)
    reactor.addReader(reader)
    try:
        yield reader
    finally:
        reactor.removeReader(reader)
        reader.close()


def test_aTimerMadeFromIOFiresOnTime(reactor: Any, farTimer: Any) -> None:
    done: Deferred[None] = Deferred()
    gen = readerFor(reactor, lambda: reactor.callLater(0.02, done.callback, None))
    reader = next(gen)
    # Poked once the loop runs, so that the timer is made in a quick pass.
    reactor.callLater(0.01, reader.poke)
    runBriefly(reactor, done)
    gen.close()


def test_aTimerMovedEarlierFromIOFiresThen(reactor: Any, farTimer: Any) -> None:
    done: Deferred[None] = Deferred()
    late = reactor.callLater(FAR / 2, done.callback, None)
    gen = readerFor(reactor, lambda: late.reset(0.02))
    reactor.callLater(0.01, next(gen).poke)
    runBriefly(reactor, done)
    gen.close()


def test_aCancelledEarliestTimerDoesNotRunAndTheNextOneDoes(reactor: Any, farTimer: Any) -> None:
    seen: list[str] = []
    done: Deferred[None] = Deferred()
    earliest = reactor.callLater(0.1, seen.append, "cancelled one")
    reactor.callLater(0.2, done.callback, None)

    def cancelIt() -> None:
        earliest.cancel()
        seen.append("cancelled")

    gen = readerFor(reactor, cancelIt)
    reactor.callLater(0.01, next(gen).poke)
    runBriefly(reactor, done)
    gen.close()
    assert seen == ["cancelled"]


def test_aThreadCallWakesTheLoop(reactor: Any, farTimer: Any) -> None:
    done: Deferred[None] = Deferred()

    def fromThread() -> None:
        reactor.callFromThread(done.callback, threading.get_ident())

    reactor.callLater(0.01, lambda: threading.Thread(target=fromThread).start())
    assert runBriefly(reactor, done) != threading.get_ident()


def test_aStopFromIOShutsDown(reactor: Any, farTimer: Any) -> None:
    shutdown: list[str] = []
    reactor.addSystemEventTrigger("during", "shutdown", shutdown.append, "during")
    gen = readerFor(reactor, reactor.stop)
    reactor.callLater(0.01, next(gen).poke)
    guard = threading.Timer(LIMIT, reactor.callFromThread, (reactor.crash,))
    guard.start()
    try:
        reactor.run(installSignalHandlers=False)
    finally:
        guard.cancel()
        gen.close()
    assert shutdown == ["during"]


def test_aLoopReplacedOnTheInstanceRunsEveryPass(reactor: Any, farTimer: Any) -> None:
    """Code written for Twisted may wrap runUntilCurrent on the instance: it
    then sees every pass, as in the plain loop."""
    passes = [0]
    original = reactor.runUntilCurrent

    def counting() -> None:
        passes[0] += 1
        original()

    reactor.runUntilCurrent = counting
    done: Deferred[None] = Deferred()
    count = [0]

    def onRead() -> None:
        count[0] += 1
        if count[0] == 3:
            done.callback(None)
        else:
            reader.poke()

    gen = readerFor(reactor, onRead)
    reader = next(gen)
    reactor.callLater(0.01, reader.poke)
    runBriefly(reactor, done)
    gen.close()
    assert passes[0] >= 4  # the timer's pass and one per read
