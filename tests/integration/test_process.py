"""spawnProcess against real children: /bin/sh scripts, cat, sleep, a PTY, Python.

Every child here is a real program nobody here wrote (``/bin/sh``, ``cat``,
``sleep``, ``tty``) or a Python one-liner; every wait is bounded by
``runUntil``; the ``reactor`` fixture checks that nothing is left behind.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from plait import error, process
from plait.address import _ProcessAddress
from plait.interfaces import IProcessTransport
from plait.protocol import ProcessProtocol
from tests.helpers import runUntil
from tests.integration.procs import SH, Recorder, assertWellOrdered, spawnAndWait

# --- output, exit codes, signals ------------------------------------------------


def test_bothStreamsAndExitCode(anyReactor: Any) -> None:
    """A script writing to stdout and stderr and exiting 3: the data on fds 1
    and 2, then ProcessTerminated(exitCode=3) to processExited and processEnded."""
    p = spawnAndWait(anyReactor, SH, [SH, "-c", "echo out; echo err >&2; exit 3"])
    assert (p.out, p.err) == (b"out\n", b"err\n")
    assertWellOrdered(p.events)
    for reason in (p.exitedReason, p.endedReason):
        assert reason is not None and reason.check(error.ProcessTerminated)
        assert (reason.value.exitCode, reason.value.signal) == (3, None)
        assert os.WEXITSTATUS(reason.value.status) == 3


def test_exitZeroIsProcessDone(reactor: Any) -> None:
    """Exit code 0 is ProcessDone (exitCode 0, no signal, status 0)."""
    p = spawnAndWait(reactor, "/bin/true", ["true"])
    assert p.endedReason is not None and p.endedReason.check(error.ProcessDone)
    assert (p.endedReason.value.exitCode, p.endedReason.value.signal) == (0, None)
    assert p.endedReason.value.status == 0


def test_deathBySignal(reactor: Any) -> None:
    """A child that kills itself with SIGKILL ends with ProcessTerminated(signal=9)."""
    p = spawnAndWait(reactor, SH, [SH, "-c", "kill -9 $$"])
    reason = p.endedReason
    assert reason is not None and reason.check(error.ProcessTerminated)
    assert (reason.value.exitCode, reason.value.signal) == (None, signal.SIGKILL)


def test_outReceivedAndErrReceivedRouting(reactor: Any) -> None:
    """ProcessProtocol routes fd 1 to outReceived, fd 2 to errReceived and the
    losses of fds 0/1/2 to inConnectionLost/outConnectionLost/errConnectionLost."""
    seen: list[Any] = []

    class Routed(ProcessProtocol):
        def __init__(self) -> None:
            self.done: Any = None

        def outReceived(self, data: bytes) -> None:
            seen.append(("out", data))

        def errReceived(self, data: bytes) -> None:
            seen.append(("err", data))

        def inConnectionLost(self) -> None:
            seen.append("in")

        def outConnectionLost(self) -> None:
            seen.append("outLost")

        def errConnectionLost(self) -> None:
            seen.append("errLost")

        def processEnded(self, reason: Any) -> None:
            self.done.callback(None)

    from plait.defer import Deferred

    proto = Routed()
    proto.done = Deferred()
    reactor.spawnProcess(proto, SH, [SH, "-c", "printf O; sleep 0.05; printf E >&2"])
    runUntil(reactor, proto.done)
    assert ("out", b"O") in seen and ("err", b"E") in seen
    assert sorted(e for e in seen if isinstance(e, str)) == ["errLost", "in", "outLost"]


def test_largeOutputArrivesWhole(reactor: Any) -> None:
    """Eight megabytes from a child arrive complete and in order (reads grow)."""
    script = "import sys; sys.stdout.buffer.write(bytes(range(256)) * 32768)"
    p = spawnAndWait(reactor, sys.executable, [sys.executable, "-c", script])
    assert p.out == bytes(range(256)) * 32768
    assertWellOrdered(p.events)


# --- stdin ------------------------------------------------------------------------


def test_childReadingStdinUntilEOF(anyReactor: Any) -> None:
    """cat gets what is written, sees EOF after closeStdin, echoes it all and exits 0."""
    payload = b"".join(b"line %d\n" % i for i in range(20000))

    def made(transport: Any) -> None:
        transport.write(payload[:1000])
        transport.writeSequence([payload[1000:5000], payload[5000:]])
        transport.closeStdin()

    p = spawnAndWait(anyReactor, "/bin/cat", ["cat"], onMade=made)
    assert p.out == payload
    assertWellOrdered(p.events)
    assert p.endedReason is not None and p.endedReason.check(error.ProcessDone)


def test_writeToChildOnExtraDescriptor(reactor: Any) -> None:
    """childFDs: 'w' on fd 3 is written with writeToChild; 'r' on fd 4 is read."""
    script = "cat <&3 >&4"
    fds = {0: "w", 1: "r", 2: "r", 3: "w", 4: "r"}

    def made(transport: Any) -> None:
        transport.writeToChild(3, b"through fd 3")
        transport.closeChildFD(3)

    p = spawnAndWait(reactor, SH, [SH, "-c", script], childFDs=fds, onMade=made)
    assert p.data.get(4) == b"through fd 3"
    assertWellOrdered(p.events, fds=(0, 1, 2, 3, 4))


def test_childFDsPassThroughAndOmitted(reactor: Any, tmp_path: Path) -> None:
    """An int in childFDs hands the parent's descriptor over; an fd left out is
    closed in the child (its stdin here)."""
    target = tmp_path / "out.txt"
    with open(target, "wb") as f:
        p = spawnAndWait(
            reactor, SH, [SH, "-c", "echo to-file; cat; echo cat=$? >&2"],
            childFDs={1: f.fileno(), 2: "r"},
        )
    assert target.read_bytes() == b"to-file\n"
    assert b"cat=1" in p.err  # cat could not read: fd 0 was not open
    assertWellOrdered(p.events, fds=(2,))


def test_childClosingStdinGivesInConnectionLost(reactor: Any) -> None:
    """A child that closes its stdin and keeps running: inConnectionLost comes
    before the child exits."""
    p = spawnAndWait(reactor, SH, [SH, "-c", "exec 0<&-; sleep 0.2; echo done"])
    assert p.events.index(("lost", 0)) < p.events.index(("data", 1))


def test_writeAfterStdinClosedIsDropped(reactor: Any) -> None:
    """Bytes written after closeStdin (before the pipe is gone) still go out,
    as in Twisted; once stdin is lost, write() is ignored but still rejects
    non-bytes."""

    class LateWriter(Recorder):
        def inConnectionLost(self) -> None:
            self.transport.write(b"dropped")
            with pytest.raises(TypeError, match="Data must be bytes"):
                self.transport.write("text")

    def made(transport: Any) -> None:
        transport.closeStdin()
        transport.write(b"still sent")

    p = LateWriter(made)
    reactor.spawnProcess(p, "/bin/cat", ["cat"])
    runUntil(reactor, p.ended)
    assert p.out == b"still sent"


# --- never-exiting children, signals, closing -------------------------------------


def test_neverExitingChildKilledBySignalProcess(anyReactor: Any) -> None:
    """sleep 1000, killed with signalProcess("KILL"): ProcessTerminated(signal=9)."""
    p = Recorder()
    t = anyReactor.spawnProcess(p, "/bin/sleep", ["sleep", "1000"])
    anyReactor.callLater(0.05, t.signalProcess, "KILL")
    runUntil(anyReactor, p.ended)
    assert p.endedReason is not None
    assert p.endedReason.value.signal == signal.SIGKILL
    assertWellOrdered(p.events)


def test_signalProcessNumberAndNames(reactor: Any) -> None:
    """signalProcess takes a number too; unknown names raise TypeError."""
    p = Recorder()
    t = reactor.spawnProcess(p, "/bin/sleep", ["sleep", "1000"])
    with pytest.raises(TypeError, match="unknown signal 'USR1'"):
        t.signalProcess("USR1")
    t.signalProcess(signal.SIGTERM)
    runUntil(reactor, p.ended)
    assert p.endedReason is not None and p.endedReason.value.signal == signal.SIGTERM


def test_signallingAnEndedProcessRaises(reactor: Any) -> None:
    """After the child exited, signalProcess raises ProcessExitedAlready naming the program."""
    p = Recorder()
    t = reactor.spawnProcess(p, "/bin/true", ["true"])
    pid = t.pid
    runUntil(reactor, p.ended)
    assert t.pid is None
    with pytest.raises(error.ProcessExitedAlready, match=f"'/bin/true' \\(pid {pid}\\) has already exited"):
        t.signalProcess("TERM")


def test_loseConnectionClosesPipesChildKeepsRunning(reactor: Any) -> None:
    """loseConnection closes the three pipes; processEnded waits for the child's exit."""
    p = Recorder()
    t = reactor.spawnProcess(p, "/bin/sleep", ["sleep", "1000"])
    t.loseConnection()
    assert p.events == ["connectionMade"]  # nothing inside the call
    d = Recorder().ended  # a Deferred that never fires: run a few passes
    reactor.callLater(0.1, d.callback, None)
    runUntil(reactor, d)
    assert sorted(e for e in p.events if isinstance(e, tuple)) == [("lost", 0), ("lost", 1), ("lost", 2)]
    assert "processEnded" not in p.events and t.pid is not None
    t.signalProcess("KILL")
    runUntil(reactor, p.ended)
    assertWellOrdered(p.events)


def test_callbacksNeverInsideUserCalls(reactor: Any) -> None:
    """closeStdin, closeStdout, loseConnection and signalProcess deliver nothing
    from inside the call: every callback comes from the loop."""

    def made(transport: Any) -> None:
        for name, call in (
            ("closeStdin", transport.closeStdin),
            ("closeStdout", transport.closeStdout),
            ("closeStderr", transport.closeStderr),
            ("signalProcess", lambda: transport.signalProcess("KILL")),
        ):
            proto.inCall.append(name)
            call()
            proto.inCall.pop()

    proto = Recorder(made)
    reactor.spawnProcess(proto, "/bin/sleep", ["sleep", "1000"])
    runUntil(reactor, proto.ended)
    assertWellOrdered(proto.events)


def test_transportProvidesIProcessTransport(reactor: Any) -> None:
    """The transport provides IProcessTransport; pid is set until the child is reaped."""
    p = Recorder()
    t = reactor.spawnProcess(p, "/bin/true", ["true"])
    verifyObject(IProcessTransport, t)
    assert isinstance(t.pid, int) and repr(t) == f"<Process pid={t.pid} status=-1>"
    assert isinstance(t.getPeer(), _ProcessAddress) and isinstance(t.getHost(), _ProcessAddress)
    runUntil(reactor, p.ended)
    assert t.pid is None and t.status == 0


def test_exceptionsInCallbacksAreLogged(reactor: Any, loggedErrors: Any) -> None:
    """An exception in processExited/processEnded is logged; in childDataReceived
    it loses that pipe; the process still ends."""

    class Broken(Recorder):
        def childDataReceived(self, childFD: int, data: bytes) -> None:
            raise ValueError("data")

        def processExited(self, reason: Any) -> None:
            super().processExited(reason)
            raise KeyError("exited")

    p = Broken()
    reactor.spawnProcess(p, SH, [SH, "-c", "echo hi"])
    runUntil(reactor, p.ended)
    assert len(loggedErrors.flush(ValueError)) == 1
    assert len(loggedErrors.flush(KeyError)) == 1
    assert ("lost", 1) in p.events


# --- environment, path -------------------------------------------------------------


def test_environmentIsEmptyByDefault(reactor: Any) -> None:
    """Twisted's default env is {}: the child's environment is empty."""
    p = spawnAndWait(reactor, "/usr/bin/env", ["env"])
    assert p.out == b""


def test_environmentGivenAndInherited(reactor: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """env={...} is the child's whole environment; env=None inherits the parent's."""
    monkeypatch.setenv("PLAIT_PROCESS_TEST", "inherited")
    p = spawnAndWait(reactor, "/usr/bin/env", ["env"], env={"ONLY": "this"})
    assert p.out == b"ONLY=this\n"
    p = spawnAndWait(reactor, SH, [SH, "-c", "echo $PLAIT_PROCESS_TEST"], env=None)
    assert p.out == b"inherited\n"


def test_pathSetsWorkingDirectory(reactor: Any, tmp_path: Path) -> None:
    """path= runs the child in that directory (the fork path)."""
    p = spawnAndWait(reactor, "/bin/pwd", ["pwd"], path=str(tmp_path))
    assert p.out == str(tmp_path.resolve()).encode() + b"\n"
    p = spawnAndWait(reactor, "/bin/pwd", ["pwd"], path=os.getcwd())
    assert p.out == os.getcwd().encode() + b"\n"


def test_ignoredSignalsAreResetInTheChild(reactor: Any) -> None:
    """Python ignores SIGPIPE; the child must not inherit that."""
    assert signal.getsignal(signal.SIGPIPE) is signal.SIG_IGN
    p = spawnAndWait(reactor, SH, [SH, "-c", "grep SigIgn /proc/self/status"])
    mask = int(p.out.split()[1], 16)
    assert not mask & (1 << (signal.SIGPIPE - 1))


def test_onlyMappedDescriptorsAreInherited(reactor: Any) -> None:
    """An inheritable descriptor of the parent that is not in childFDs is not
    open in the child."""
    r, w = os.pipe()
    os.set_inheritable(w, True)
    try:
        p = spawnAndWait(reactor, "/bin/ls", ["ls", "/proc/self/fd"])
    finally:
        os.close(r)
        os.close(w)
    assert sorted(int(n) for n in p.out.split()) == [0, 1, 2, 3]  # 3: ls's own listing


# --- PTY ---------------------------------------------------------------------------


def test_ptyChild(reactor: Any) -> None:
    """usePTY: the child's stdin/stdout are a terminal, its controlling one;
    what we type reaches it and its output arrives on fd 1."""

    script = "tty; read line; echo got:$line; test -t 0 && exec </dev/tty && echo ctty"

    def made(transport: Any) -> None:
        transport.write(b"typed\n")

    p = spawnAndWait(reactor, SH, [SH, "-c", script], usePTY=True, onMade=made)
    text = p.out.replace(b"\r\n", b"\n")
    assert b"typed\n" in text  # the terminal echoes what is typed
    assert b"\n/dev/pts/" in text or text.startswith(b"/dev/pts/")
    assert b"got:typed\n" in text and text.endswith(b"ctty\n")
    assert p.endedReason is not None and p.endedReason.check(error.ProcessDone)
    assert p.events[0] == "connectionMade" and p.events[-2:] == ["processExited", "processEnded"]


def test_ptyRefusesChildFDsAndPerFDCalls(reactor: Any) -> None:
    """usePTY with childFDs is Twisted's ValueError; closeChildFD/writeToChild
    raise NotImplementedError; closeStdin does nothing."""
    with pytest.raises(ValueError, match="^Using childFDs is not supported with usePTY=True.$"):
        reactor.spawnProcess(Recorder(), "/bin/true", ["true"], usePTY=True, childFDs={0: "w"})
    p = Recorder()
    t = reactor.spawnProcess(p, "/bin/cat", ["cat"], usePTY=True)
    with pytest.raises(NotImplementedError):
        t.closeChildFD(0)
    with pytest.raises(NotImplementedError):
        t.writeToChild(0, b"x")
    t.closeStdin()
    t.signalProcess("KILL")
    runUntil(reactor, p.ended)


# --- bad input ----------------------------------------------------------------------


def test_missingExecutable(reactor: Any) -> None:
    """A program that does not exist: FileNotFoundError naming it, no child."""
    with pytest.raises(FileNotFoundError, match="/nonexistent/prog"):
        reactor.spawnProcess(Recorder(), "/nonexistent/prog", ["prog"])
    with pytest.raises(FileNotFoundError, match="no-such-program-plait"):
        reactor.spawnProcess(Recorder(), "no-such-program-plait", ["x"], env={"PATH": "/bin"})


def test_nonExecutableFile(reactor: Any, tmp_path: Path) -> None:
    """A file without execute permission: PermissionError naming it."""
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    with pytest.raises(PermissionError, match="script.sh"):
        reactor.spawnProcess(Recorder(), str(script), ["script.sh"])


def test_missingPath(reactor: Any) -> None:
    """A working directory that does not exist: FileNotFoundError naming the
    directory and the program (the child is reaped at once)."""
    with pytest.raises(FileNotFoundError, match=r"chdir for '/bin/true'.*/nonexistent/dir"):
        reactor.spawnProcess(Recorder(), "/bin/true", ["true"], path="/nonexistent/dir")


@pytest.mark.parametrize(
    ("childFDs", "exception", "message"),
    [
        ({0: "x"}, ValueError, r"childFDs\[0\] is 'x'"),
        ({0: 1.5}, TypeError, r"childFDs\[0\] is a float"),
        ({"a": "r"}, TypeError, "childFDs key 'a' is not a descriptor number"),
        ({-1: "r"}, ValueError, "childFDs key -1 is negative"),
        ({0: 987654}, OSError, "descriptor 987654, which is not open"),
        ([(0, "r")], TypeError, "childFDs must be a dict"),
    ],
)
def test_badChildFDs(reactor: Any, childFDs: Any, exception: type, message: str) -> None:
    """A malformed childFDs raises before anything is created, naming the entry and the program."""
    before = set(os.listdir("/proc/self/fd"))
    with pytest.raises(exception, match=message) as info:
        reactor.spawnProcess(Recorder(), "/bin/true", ["true"], childFDs=childFDs)
    assert "/bin/true" in str(info.value)
    assert set(os.listdir("/proc/self/fd")) == before


@pytest.mark.parametrize(
    ("args", "kw", "exception", "message"),
    [
        ((), {}, ValueError, "args must not be empty"),
        ("true", {}, TypeError, "args must be a list or tuple"),
        (["echo", 1], {}, TypeError, "cannot spawn '/bin/echo'"),
        (["echo", "a\0b"], {}, ValueError, "cannot spawn '/bin/echo'.*null"),
        (["echo"], {"env": {"A": 1}}, TypeError, "cannot spawn '/bin/echo'"),
        (["echo"], {"env": [("A", "1")]}, TypeError, "env must be a dict"),
        (["echo", 1], {"path": "/"}, TypeError, "cannot spawn '/bin/echo'"),
    ],
)
def test_badArguments(reactor: Any, args: Any, kw: Any, exception: type, message: str) -> None:
    """Bad args or env: Twisted's exception type, a message naming the program, no descriptor left open."""
    before = set(os.listdir("/proc/self/fd"))
    with pytest.raises(exception, match=message):
        reactor.spawnProcess(Recorder(), "/bin/echo", args, **kw)
    assert set(os.listdir("/proc/self/fd")) == before


def test_notAProcessProtocol(reactor: Any) -> None:
    """A stream Protocol is not a process protocol: TypeError at once."""
    from plait.protocol import Protocol

    with pytest.raises(TypeError, match="processProtocol must provide IProcessProtocol"):
        reactor.spawnProcess(Protocol(), "/bin/true", ["true"])


def test_writeToChildUnknownDescriptor(reactor: Any) -> None:
    """writeToChild on a descriptor that is not a writing pipe raises KeyError naming it."""
    p = Recorder()
    t = reactor.spawnProcess(p, "/bin/true", ["true"])
    with pytest.raises(KeyError, match="child descriptor 1 of '/bin/true'"):
        t.writeToChild(1, b"x")
    with pytest.raises(KeyError, match="child descriptor 7"):
        t.writeToChild(7, b"x")
    runUntil(reactor, p.ended)


# --- no zombies, no leaks -------------------------------------------------------------


def _zombiesOf(pid: int) -> list[int]:
    """The zombie children of ``pid`` (state Z in /proc)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                fields = f.read().rsplit(b")", 1)[1].split()
        except OSError:
            continue
        if fields[0] == b"Z" and int(fields[1]) == pid:
            found.append(int(entry))
    return found


def test_thousandSpawnsLeaveNoZombiesOrDescriptors(reactor: Any) -> None:
    """1,000 children (50 at a time), each with three pipes: afterwards no
    zombie child and exactly the descriptors there were before."""
    before = sorted(os.listdir("/proc/self/fd"))
    zombiesBefore = _zombiesOf(os.getpid())
    total, concurrency = 1000, 50
    ended: list[Any] = []
    from plait.defer import Deferred

    allDone: Deferred[None] = Deferred()

    class Counter(ProcessProtocol):
        def processEnded(self, reason: Any) -> None:
            ended.append(reason.value.exitCode)
            if len(ended) == total:
                allDone.callback(None)
            elif started[0] < total:
                spawnOne()

    started = [0]

    def spawnOne() -> None:
        started[0] += 1
        reactor.spawnProcess(Counter(), "/bin/true", ["true"])

    for _ in range(concurrency):
        spawnOne()
    runUntil(reactor, allDone, timeout=60)
    assert ended == [0] * total
    assert not process.reapProcessHandlers
    assert _zombiesOf(os.getpid()) == zombiesBefore
    assert sorted(os.listdir("/proc/self/fd")) == before


# --- flow control, producers, PTY odds and ends, shutdown ----------------------------


def test_pauseProducingHoldsOutputUntilResumed(reactor: Any) -> None:
    """pauseProducing stops reading the child's pipes: its output waits in the
    pipe (past its exit) until resumeProducing."""

    class Paused(Recorder):
        def processExited(self, reason: Any) -> None:
            super().processExited(reason)
            assert self.out == b""  # the child is gone, its output still unread
            self.transport.resumeProducing()

    p = Paused(lambda t: t.pauseProducing())
    reactor.spawnProcess(p, SH, [SH, "-c", "echo held"])
    runUntil(reactor, p.ended)
    assert p.out == b"held\n"
    assert p.events.index("processExited") < p.events.index(("data", 1))


def test_pullProducerFeedsStdin(reactor: Any) -> None:
    """A pull producer registered on the process writes the child's stdin,
    chunk by chunk as the pipe drains; registering with stdin gone stops it."""
    chunks = [bytes([65 + i % 26]) * 100000 for i in range(30)]

    class Feeder:
        def __init__(self, transport: Any) -> None:
            self.transport = transport
            self.left = list(chunks)
            self.stopped = False

        def resumeProducing(self) -> None:
            if self.left:
                self.transport.write(self.left.pop(0))
            else:
                self.transport.unregisterProducer()
                self.transport.closeStdin()

        def pauseProducing(self) -> None:
            pass

        def stopProducing(self) -> None:
            self.stopped = True

    def made(transport: Any) -> None:
        transport.registerProducer(Feeder(transport), False)

    p = spawnAndWait(reactor, "/bin/cat", ["cat"], onMade=made)
    assert p.out == b"".join(chunks)
    late = Feeder(None)
    p.transport.registerProducer(late, True)
    assert late.stopped
    p.transport.unregisterProducer()  # nothing registered, no stdin: a no-op


def test_writeSequenceAndStopProducing(reactor: Any) -> None:
    """writeSequence goes to stdin (checked first); stopProducing is loseConnection."""

    def made(transport: Any) -> None:
        with pytest.raises(TypeError, match="^Data must be bytes$"):
            transport.writeSequence([b"x", "y"])
        transport.writeSequence([b"a", b"b"])
        transport.stopProducing()
        assert transport.disconnecting

    p = spawnAndWait(reactor, "/bin/cat", ["cat"], onMade=made)
    assert sorted(e for e in p.events if isinstance(e, tuple)) == [("lost", 0), ("lost", 1), ("lost", 2)]


def test_ptyLoseConnectionHangsUp(reactor: Any) -> None:
    """loseConnection closes the terminal: cat gets SIGHUP; writeSequence,
    fileno, pausing and producers work on the terminal too."""
    closed: list[bool] = []

    class Producer:
        def resumeProducing(self) -> None: ...
        def pauseProducing(self) -> None: ...
        def stopProducing(self) -> None:
            closed.append(True)

    def made(transport: Any) -> None:
        assert transport.fileno() >= 0
        transport.writeSequence([b"ab", b"c\n"])
        transport.pauseProducing()
        transport.resumeProducing()
        transport.registerProducer(Producer(), True)
        transport.unregisterProducer()

    class Hangup(Recorder):
        def childDataReceived(self, childFD: int, data: bytes) -> None:
            super().childDataReceived(childFD, data)
            if b"abc\r\nabc\r\n" in self.out:  # echoed by the terminal, then by cat
                self.transport.loseConnection()

    p = Hangup(made)
    t = reactor.spawnProcess(p, "/bin/cat", ["cat"], usePTY=True)
    runUntil(reactor, p.ended)
    assert p.endedReason is not None and p.endedReason.value.signal == signal.SIGHUP
    assert t.fileno() == -1 and t.disconnecting
    t.registerProducer(Producer(), True)
    assert closed == [True]


def test_ptyGivenAsTuple(reactor: Any) -> None:
    """usePTY may be (master, slave, ttyname) opened by the caller, as in Twisted."""
    master, slave = os.openpty()
    p = spawnAndWait(reactor, SH, [SH, "-c", "test -t 1 && echo tty"], usePTY=(master, slave, os.ttyname(slave)))
    assert p.out == b"tty\r\n"


def test_ptyWithPath(reactor: Any, tmp_path: Path) -> None:
    """A PTY child in another directory goes the fork way and still gets its terminal."""
    p = spawnAndWait(reactor, SH, [SH, "-c", "pwd; test -t 0 && echo tty"], usePTY=True, path=str(tmp_path))
    assert p.out == str(tmp_path.resolve()).encode() + b"\r\ntty\r\n"


def test_uidAndGid(reactor: Any) -> None:
    """uid/gid run the child as that user (root only); otherwise spawnProcess
    raises PermissionError naming the step and the program."""
    nobody = 65534
    if os.geteuid() != 0:
        with pytest.raises(PermissionError, match="setgid for '/usr/bin/id'"):
            reactor.spawnProcess(Recorder(), "/usr/bin/id", ["id"], uid=nobody, gid=nobody)
        return
    p = spawnAndWait(reactor, "/usr/bin/id", ["id", "-u"], uid=nobody)
    assert p.out == b"65534\n"
    p = spawnAndWait(reactor, "/usr/bin/id", ["id"], uid=nobody, gid=nobody)
    assert p.out.startswith(b"uid=65534") and b"gid=65534" in p.out
    assert p.out.split(b"groups=")[1].startswith(b"65534")  # nobody's groups, not root's


def test_noProtocolWithPassThroughDescriptors(reactor: Any, tmp_path: Path) -> None:
    """spawnProcess(None, ...) is allowed when childFDs asks for no pipes (as in Twisted)."""
    target = tmp_path / "out"
    with open(target, "wb") as f:
        t = reactor.spawnProcess(None, SH, [SH, "-c", "echo quiet"], childFDs={1: f.fileno()})
    with pytest.raises(ValueError, match="childFDs asks for pipes but there is no protocol"):
        reactor.spawnProcess(None, "/bin/true", ["true"], childFDs={1: "r"})
    from plait.defer import Deferred

    reaped: Deferred[None] = Deferred()
    original = t.processEnded  # no protocol to tell us: hear the reaping itself

    def processEnded(status: int) -> None:
        original(status)
        reaped.callback(None)

    t.processEnded = processEnded
    runUntil(reactor, reaped)
    assert target.read_bytes() == b"quiet\n" and t.status == 0 and t.pid is None


def test_connectionMadeRaisingIsLogged(reactor: Any, loggedErrors: Any) -> None:
    """An exception from connectionMade is logged; the process runs on."""

    def made(transport: Any) -> None:
        raise RuntimeError("made")

    p = spawnAndWait(reactor, "/bin/true", ["true"], onMade=made)
    assert len(loggedErrors.flush(RuntimeError)) == 1
    assert p.events[-1] == "processEnded"


def test_reactorShutdownLetsGoOfPipesAndPidfd() -> None:
    """At shutdown the pipes get ConnectionLost and the pidfd is closed; the
    child runs on (as in Twisted) and can still be reaped through the registry."""
    import select

    from plait.selectreactor import SelectorReactor

    r = SelectorReactor()
    try:
        p = Recorder()
        t = r.spawnProcess(p, "/bin/sleep", ["sleep", "1000"])
        pid = t.pid
        r.callWhenRunning(r.stop)
        r.run(installSignalHandlers=False)
        assert sorted(e for e in p.events if isinstance(e, tuple)) == [("lost", 0), ("lost", 1), ("lost", 2)]
        assert r.getReaders() == [] and process.reapProcessHandlers[pid] is t
        os.kill(pid, signal.SIGKILL)
        pidfd = os.pidfd_open(pid)
        try:
            select.select([pidfd], [], [], 10)
        finally:
            os.close(pidfd)
        process.reapAllProcesses()
        assert p.events[-2:] == ["processExited", "processEnded"]
        assert pid not in process.reapProcessHandlers
    finally:
        r._close()
