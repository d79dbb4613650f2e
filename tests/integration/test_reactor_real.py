"""SelectorReactor for real: select/poll/epoll, socketpairs on this host, bounded waits."""

from __future__ import annotations

import select
import selectors
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from typing import Any

import pytest

from plait import error
from plait.defer import Deferred
from plait.failure import Failure
from plait.selectreactor import SelectorReactor
from tests.conftest import SELECTORS, _assertClean, _selectorClass
from tests.helpers import runUntil

SUBPROCESS_TIMEOUT = 30


class Descriptor:
    """A tiny IReadWriteDescriptor over one end of a socketpair, recording what happens."""

    def __init__(self, sock: socket.socket, name: str = "d") -> None:
        self.sock = sock
        self.name = name
        self.received: list[bytes] = []
        self.lost: list[Failure] = []
        self.writes = 0
        self.readResult: Any = None  # returned (or raised, if an exception class) by doRead
        self.arrived: Deferred[bytes] = Deferred()
        self.gone: Deferred[None] = Deferred()  # fires (with None) on connectionLost

    def fileno(self) -> int:
        return self.sock.fileno()

    def doRead(self) -> Any:
        data = self.sock.recv(4096)
        self.received.append(data)
        if not self.arrived.called:
            self.arrived.callback(data)
        if isinstance(self.readResult, type):
            raise self.readResult("doRead failed")
        return self.readResult

    def doWrite(self) -> None:
        self.writes += 1

    def connectionLost(self, reason: Failure) -> None:
        self.lost.append(reason)
        self.gone.callback(None)

    def logPrefix(self) -> str:
        return self.name


@pytest.fixture(params=["default", *SELECTORS])
def anyReactor(request: Any) -> Iterator[SelectorReactor]:
    """The default reactor (epoll itself on Linux) and one per selectors class.

    Overrides conftest's ``anyReactor``, which covers the selectors classes only.
    """
    cls = None if request.param == "default" else _selectorClass(request.param)
    if request.param != "default" and cls is None:
        pytest.skip(f"{request.param} is not available on this platform")
    r = SelectorReactor(selectorClass=cls)
    try:
        yield r
        _assertClean(r)
    finally:
        r._close()


@pytest.fixture
def pairs() -> Iterator[list[tuple[socket.socket, socket.socket]]]:
    """Socketpairs made with makePair() and closed after the test."""
    made: list[tuple[socket.socket, socket.socket]] = []
    yield made
    for a, b in made:
        a.close()
        b.close()


def makePair(pairs: list[tuple[socket.socket, socket.socket]]) -> tuple[socket.socket, socket.socket]:
    a, b = socket.socketpair()
    a.setblocking(False)
    b.setblocking(False)
    pairs.append((a, b))
    return a, b


def countIterations(reactor: SelectorReactor) -> list[int]:
    """Wrap doIteration (before run) so the test can count loop passes."""
    count = [0]
    original = reactor.doIteration

    def counting(timeout: float | None) -> None:
        count[0] += 1
        original(timeout)

    reactor.doIteration = counting  # type: ignore[method-assign]
    return count


# -- timers on the real loop -----------------------------------------------------------


def test_timersFireInDueOrder(anyReactor: SelectorReactor) -> None:
    """Real timers fire by due time, not by scheduling order."""
    seen: list[int] = []
    done: Deferred[None] = Deferred()
    for delay in (0.03, 0.01, 0.02, 0.0):
        anyReactor.callLater(delay, seen.append, int(delay * 100))
    anyReactor.callLater(0.04, done.callback, None)
    runUntil(anyReactor, done)
    assert seen == [0, 1, 2, 3]


def test_callsScheduledByTimersWaitForTheNextPass(anyReactor: SelectorReactor) -> None:
    """A callLater(0) made inside a timer runs only after another pass of the loop."""
    count = countIterations(anyReactor)
    trace: list[tuple[str, int]] = []
    done: Deferred[None] = Deferred()

    def first() -> None:
        trace.append(("first", count[0]))
        anyReactor.callLater(0, lambda: (trace.append(("second", count[0])), done.callback(None)))

    anyReactor.callLater(0, first)
    runUntil(anyReactor, done)
    (_, firstAt), (_, secondAt) = trace
    assert secondAt == firstAt + 1


def test_aTimerDueNowDoesNotStarveIO(anyReactor: SelectorReactor, pairs: Any) -> None:
    """A timer rescheduling itself with delay 0 forever still lets ready I/O through."""
    a, b = makePair(pairs)
    reader = Descriptor(a)
    anyReactor.addReader(reader)
    spins = [0]

    def spin() -> None:
        spins[0] += 1
        spinner[0] = anyReactor.callLater(0, spin)
        if spins[0] == 10:
            b.send(b"ping")

    spinner = [anyReactor.callLater(0, spin)]
    assert runUntil(anyReactor, reader.arrived) == b"ping"
    assert spins[0] <= 12  # read within a pass or two of the data being sent
    spinner[0].cancel()
    anyReactor.removeReader(reader)


def test_timerExceptionIsLoggedAndTheLoopGoesOn(anyReactor: SelectorReactor, loggedErrors: Any) -> None:
    """A timed call that raises is logged; later timers still fire."""
    done: Deferred[None] = Deferred()
    anyReactor.callLater(0, lambda: 1 / 0)
    anyReactor.callLater(0.01, done.callback, None)
    runUntil(anyReactor, done)
    assert len(loggedErrors.flush(ZeroDivisionError)) == 1


# -- descriptors -------------------------------------------------------------------------------


def test_readerGetsDataAndRegistrationIsIdempotent(anyReactor: SelectorReactor, pairs: Any) -> None:
    """addReader twice registers once; data reaches doRead; getReaders lists it (never the waker)."""
    a, b = makePair(pairs)
    reader = Descriptor(a)
    anyReactor.addReader(reader)
    anyReactor.addReader(reader)
    assert anyReactor.getReaders() == [reader]
    b.send(b"hello")
    assert runUntil(anyReactor, reader.arrived) == b"hello"
    anyReactor.removeReader(reader)
    anyReactor.removeReader(reader)
    assert anyReactor.getReaders() == []


def test_readerAndWriterShareOneRegistration(anyReactor: SelectorReactor, pairs: Any) -> None:
    """One fd carries [reader, writer]; removing one direction keeps the other."""
    a, b = makePair(pairs)
    d = Descriptor(a)
    anyReactor.addReader(d)
    anyReactor.addWriter(d)
    assert anyReactor._fds[a.fileno()] == [d, d]
    anyReactor.removeReader(d)
    assert anyReactor._fds[a.fileno()] == [None, d]
    assert anyReactor.getWriters() == [d] and anyReactor.getReaders() == []
    b.send(b"unread")  # readable now, but nobody watches for that
    anyReactor.iterate(0)
    assert d.writes >= 1 and d.received == []
    anyReactor.removeWriter(d)
    assert a.fileno() not in anyReactor._fds
    writes = d.writes
    anyReactor.iterate(0)
    assert d.writes == writes


def test_descriptorOnAReusedFdReplacesTheStaleOne(anyReactor: SelectorReactor, pairs: Any) -> None:
    """A socket closed while watched, its fd number reused: the new descriptor gets the events."""
    a, b = makePair(pairs)
    stale = Descriptor(a, "stale")
    anyReactor.addReader(stale)
    anyReactor.addWriter(stale)
    fd = a.fileno()
    a.close()
    b.close()
    c, peer = _reusePair(pairs, fd)
    fresh = Descriptor(c, "fresh")
    anyReactor.addReader(fresh)
    assert anyReactor.getReaders() == [fresh] and anyReactor.getWriters() == []
    peer.send(b"for fresh")
    assert runUntil(anyReactor, fresh.arrived) == b"for fresh"
    assert stale.received == [] and stale.lost == []
    anyReactor.removeReader(fresh)


def _reusePair(pairs: Any, fd: int) -> tuple[socket.socket, socket.socket]:
    """A new socketpair whose first socket has number ``fd`` (skip if the OS picks another)."""
    c, peer = makePair(pairs)
    if c.fileno() != fd:
        c, peer = peer, c
    if c.fileno() != fd:
        pytest.skip("the OS did not reuse the fd number")
    return c, peer


@pytest.mark.skipif(not hasattr(select, "epoll"), reason="epoll only")
def test_reusedFdWhoseOtherDirectionIsStaleOnEpoll(reactor: SelectorReactor, pairs: Any) -> None:
    """epoll forgets a closed file: adding the other direction for a new one registers afresh."""
    a, b = makePair(pairs)
    stale = Descriptor(a, "stale")
    reactor.addWriter(stale)
    fd = a.fileno()
    a.close()
    b.close()
    c, peer = _reusePair(pairs, fd)
    fresh = Descriptor(c, "fresh")
    reactor.addReader(fresh)  # modify() fails with ENOENT: the stale writer goes
    assert reactor.getReaders() == [fresh] and reactor.getWriters() == []
    peer.send(b"for fresh")
    assert runUntil(reactor, fresh.arrived) == b"for fresh"
    assert stale.writes == 0
    reactor.removeReader(fresh)


def test_hugeWaitIsClampedForTheSelector(anyReactor: SelectorReactor, pairs: Any) -> None:
    """iterate() with an absurd delay is clamped (epoll takes int milliseconds) and still returns on I/O."""
    a, b = makePair(pairs)
    reader = Descriptor(a)
    b.send(b"now")
    anyReactor.addReader(reader)
    anyReactor.iterate(1e12)
    assert reader.received == [b"now"]
    anyReactor.removeReader(reader)


def test_addingAClosedDescriptorRaisesAndRegistersNothing(anyReactor: SelectorReactor, pairs: Any) -> None:
    """fileno() == -1 (a closed socket): ValueError, and no trace left in the books."""
    a, _ = makePair(pairs)
    a.close()
    with pytest.raises(ValueError):
        anyReactor.addReader(Descriptor(a))
    assert anyReactor.getReaders() == [] and -1 not in anyReactor._fds


def test_negativeWaitPollsWithoutBlocking(anyReactor: SelectorReactor) -> None:
    """iterate() with a negative delay returns at once (epoll alone would wait forever)."""
    anyReactor.iterate(-1.0)  # a hang here is cut short by the suite's timeout


def test_removeAllReturnsEveryDescriptorButTheWaker(anyReactor: SelectorReactor, pairs: Any) -> None:
    """removeAll removes and returns readers and writers, each once, and keeps the waker."""
    a, b = makePair(pairs)
    both, writer = Descriptor(a), Descriptor(b)
    anyReactor.addReader(both)
    anyReactor.addWriter(both)
    anyReactor.addWriter(writer)
    removed = anyReactor.removeAll()
    assert sorted(removed, key=id) == sorted([both, writer], key=id)
    assert anyReactor.getReaders() == [] and anyReactor.getWriters() == []
    assert anyReactor._fds[anyReactor.waker.fileno()] == [anyReactor.waker, None]


@pytest.mark.parametrize("outcome", ["raise", "return exception", "return failure"])
def test_failingDoReadDisconnectsOnlyThatDescriptor(
    anyReactor: SelectorReactor, pairs: Any, loggedErrors: Any, outcome: str
) -> None:
    """doRead raising or returning a reason disconnects that descriptor with it; others keep working."""
    a1, b1 = makePair(pairs)
    a2, b2 = makePair(pairs)
    bad, good = Descriptor(a1, "bad"), Descriptor(a2, "good")
    bad.readResult = {
        "raise": ValueError,
        "return exception": ValueError("returned"),
        "return failure": Failure(ValueError("returned")),
    }[outcome]
    anyReactor.addReader(bad)
    anyReactor.addReader(good)
    b1.send(b"x")
    runUntil(anyReactor, bad.gone)
    [reason] = bad.lost
    assert reason.check(ValueError)
    assert anyReactor.getReaders() == [good]
    b2.send(b"still here")
    assert runUntil(anyReactor, good.arrived) == b"still here"
    anyReactor.removeReader(good)
    logged = loggedErrors.flush(ValueError)
    assert len(logged) == (1 if outcome == "raise" else 0)


def test_descriptorDisconnectedByDoReadGetsNoDoWrite(anyReactor: SelectorReactor, pairs: Any, loggedErrors: Any) -> None:
    """When one event reports a descriptor readable and writable, a failing doRead means no doWrite."""
    a, b = makePair(pairs)
    d = Descriptor(a)
    d.readResult = ValueError
    b.send(b"x")  # readable and writable in the very first select()
    anyReactor.addReader(d)
    anyReactor.addWriter(d)
    runUntil(anyReactor, d.gone)
    assert d.writes == 0
    assert len(loggedErrors.flush(ValueError)) == 1


def test_closedDescriptorIsDisconnectedUnderSelect(pairs: Any) -> None:
    """With select(), a descriptor whose fd was closed while registered is found and disconnected."""
    r = SelectorReactor(selectors.SelectSelector)
    try:
        a, _ = makePair(pairs)
        d = Descriptor(a)
        r.addReader(d)
        a.close()
        r.iterate(0)
        assert [f.check(error.ConnectionFdescWentAway) for f in d.lost] == [error.ConnectionFdescWentAway]
        assert r.getReaders() == []
    finally:
        r._close()


def test_shutdownDisconnectsRemainingDescriptors(anyReactor: SelectorReactor, pairs: Any) -> None:
    """stop() ends with connectionLost(ConnectionLost('Connection lost')) on every descriptor left."""
    a, _ = makePair(pairs)
    d = Descriptor(a)
    anyReactor.addReader(d)
    anyReactor.addWriter(d)
    anyReactor.callLater(0, anyReactor.stop)
    anyReactor.run(installSignalHandlers=False)
    [reason] = d.lost
    assert reason.check(error.ConnectionLost)
    assert str(reason.value) == "Connection to the other side was lost in a non-clean fashion: Connection lost."
    assert anyReactor.getReaders() == [] and anyReactor.getWriters() == []


# -- lifecycle on the real loop -------------------------------------------------------------------


def test_stopFromACallbackRunsShutdownAndReturns(anyReactor: SelectorReactor) -> None:
    """stop() in a callback fires the three shutdown phases (running False from during) and run() returns."""
    trace: list[tuple[str, bool]] = []
    for phase in ("before", "during", "after"):
        anyReactor.addSystemEventTrigger(phase, "shutdown", lambda p=phase: trace.append((p, anyReactor.running)))
    anyReactor.callWhenRunning(anyReactor.stop)
    anyReactor.run(installSignalHandlers=False)
    assert trace == [("before", True), ("during", False), ("after", False)]
    with pytest.raises(error.ReactorNotRestartable):
        anyReactor.run(installSignalHandlers=False)


def test_beforeShutdownDeferredIsAwaitedOnTheRealLoop(anyReactor: SelectorReactor) -> None:
    """Shutdown waits for a before trigger's Deferred, fired later by a real timer."""
    trace: list[str] = []

    def before() -> Deferred[None]:
        d: Deferred[None] = Deferred()
        anyReactor.callLater(0.01, lambda: (trace.append("fired"), d.callback(None)))
        return d

    anyReactor.addSystemEventTrigger("before", "shutdown", before)
    anyReactor.addSystemEventTrigger("after", "shutdown", trace.append, "after")
    anyReactor.callWhenRunning(anyReactor.stop)
    anyReactor.run(installSignalHandlers=False)
    assert trace == ["fired", "after"]


def test_closeIsIdempotentAndReleasesEverything() -> None:
    """_close() closes the selector and both waker sockets; a second call is a no-op."""
    r = SelectorReactor()
    r._close()
    r._close()
    assert r.waker._reader.fileno() == -1 and r.waker._writer.fileno() == -1
    r.callFromThread(print)  # waking a closed reactor must not raise


def test_defaultSelectorIsTheBestAvailable() -> None:
    """With no selectorClass: epoll itself on Linux, else selectors.DefaultSelector."""
    r = SelectorReactor()
    try:
        if sys.platform.startswith("linux"):
            assert r._poller.name == "epoll"
            assert repr(r) == "<SelectorReactor epoll idle>"
        else:
            assert r._poller.name == selectors.DefaultSelector.__name__
    finally:
        r._close()


# -- TCP glue (delegation only; plait.tcp has its own tests) ------------------------------------


def test_connectTCPAndListenTCPDelegateToPlaitTcp(reactor: SelectorReactor, monkeypatch: pytest.MonkeyPatch) -> None:
    """connectTCP/listenTCP build tcp.Connector/tcp.Port with the documented arguments, then start them."""
    import plait.tcp

    made: list[tuple[Any, ...]] = []

    class FakeConnector:
        def __init__(self, *args: Any) -> None:
            made.append(("Connector", *args))

        def connect(self) -> None:
            made.append(("connect",))

    class FakePort:
        def __init__(self, *args: Any) -> None:
            made.append(("Port", *args))

        def startListening(self) -> None:
            made.append(("startListening",))

    monkeypatch.setattr(plait.tcp, "Connector", FakeConnector)
    monkeypatch.setattr(plait.tcp, "Port", FakePort)
    factory = object()
    assert isinstance(reactor.connectTCP("127.0.0.1", 1234, factory), FakeConnector)
    assert isinstance(reactor.connectTCP("::1", 80, factory, timeout=5, bindAddress=("::1", 0)), FakeConnector)
    assert isinstance(reactor.listenTCP(0, factory), FakePort)
    assert made == [
        ("Connector", "127.0.0.1", 1234, factory, 30.0, None, reactor), ("connect",),
        ("Connector", "::1", 80, factory, 5, ("::1", 0), reactor), ("connect",),
        ("Port", 0, factory, 50, "", reactor), ("startListening",),
    ]


def test_adoptDelegatesToPlaitTcp(reactor: SelectorReactor, monkeypatch: pytest.MonkeyPatch) -> None:
    """adoptStreamConnection/adoptStreamPort call plait.tcp's functions with the reactor first."""
    import plait.tcp

    calls: list[tuple[Any, ...]] = []
    monkeypatch.setattr(plait.tcp, "adoptStreamConnection", lambda *a: calls.append(("conn", *a)), raising=False)
    monkeypatch.setattr(plait.tcp, "adoptStreamPort", lambda *a: calls.append(("port", *a)) or "port", raising=False)
    factory = object()
    reactor.adoptStreamConnection(7, socket.AF_INET, factory)
    assert reactor.adoptStreamPort(8, socket.AF_INET6, factory) == "port"
    assert calls == [("conn", reactor, 7, socket.AF_INET, factory), ("port", reactor, 8, socket.AF_INET6, factory)]


# -- installation (fresh interpreters) ------------------------------------------------------------


def runPython(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-W", "error", "-c", textwrap.dedent(code)],
        capture_output=True, text=True, check=False, timeout=SUBPROCESS_TIMEOUT, cwd=str(pytestRoot()),
    )


def pytestRoot() -> Any:
    from pathlib import Path

    return Path(__file__).resolve().parents[2]


def test_importingPlaitReactorInstallsASelectorReactor() -> None:
    """from plait import reactor gives the installed SelectorReactor instance; a second install raises."""
    result = runPython(
        """
        import sys
        import plait.task, plait.threads, plait.selectreactor
        assert "plait.reactor" not in sys.modules, "importing library modules installed a reactor"
        plait.task.LoopingCall(print)
        assert "plait.reactor" not in sys.modules, "LoopingCall() looked up the global reactor"
        from plait import reactor
        import plait.reactor as again
        from plait.selectreactor import SelectorReactor, install
        from plait.error import ReactorAlreadyInstalledError
        assert isinstance(reactor, SelectorReactor), type(reactor)
        assert again is reactor and sys.modules["plait.reactor"] is reactor
        try:
            install()
        except ReactorAlreadyInstalledError as e:
            print("second install:", e)
        print(reactor._poller.name)
        reactor._close()
        """
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "second install: reactor already installed"
    if sys.platform.startswith("linux"):
        assert lines[1] == "epoll"


def test_explicitInstallChoosesTheSelector() -> None:
    """selectreactor.install(cls) before importing plait.reactor makes that the global reactor."""
    result = runPython(
        """
        import selectors
        from plait import selectreactor
        installed = selectreactor.install(selectors.PollSelector)
        from plait import reactor
        assert reactor is installed
        print(reactor._poller.name)
        reactor._close()
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "PollSelector"
