"""StandardIO in real child processes, with plait and CPython's subprocess as parents.

The children are small Python programs (written to ``tmp_path``) that run a
``LineReceiver`` over their own stdin/stdout with ``plait.stdio``.  One
parent is plait itself (``ProcessEndpoint`` + ``LineReceiver``); the other
is ``subprocess``, a peer nobody here wrote, which also feeds the child
from a regular file and from ``/dev/null``.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from plait import error
from plait.defer import Deferred
from plait.endpoints import ProcessEndpoint, StandardErrorBehavior, connectProtocol
from plait.failure import Failure
from plait.protocol import connectionDone
from plait.protocols.basic import LineReceiver
from tests.helpers import runUntil

ROOT = Path(__file__).resolve().parents[2]
ENV = {"PYTHONPATH": str(ROOT), "PATH": os.environ.get("PATH", "/usr/bin:/bin")}

ECHO_CHILD = """
    import os, sys
    from plait.selectreactor import SelectorReactor
    from plait.protocols.basic import LineReceiver
    from plait.stdio import StandardIO

    reactor = SelectorReactor()

    class Echo(LineReceiver):
        delimiter = b"\\n"

        def connectionMade(self):
            self.sendLine(b"hello " + sys.argv[1].encode())

        def lineReceived(self, line):
            if line == b"err":
                sys.stderr.write("complaint\\n")
                sys.stderr.flush()
            self.sendLine(b"echo: " + line)

        def connectionLost(self, reason):
            reactor.stop()
            try:  # unbuffered: the parent may have closed our stderr already
                os.write(2, f"child lost {reason.type.__name__}\\n".encode())
            except OSError:
                pass

    StandardIO(Echo(), reactor=reactor)
    reactor.run()
"""

HALF_CLOSE_CHILD = """
    from zope.interface import implementer
    from plait.interfaces import IHalfCloseableProtocol
    from plait.selectreactor import SelectorReactor
    from plait.protocol import Protocol
    from plait.stdio import StandardIO

    reactor = SelectorReactor()

    @implementer(IHalfCloseableProtocol)
    class Counter(Protocol):
        count = 0

        def dataReceived(self, data):
            self.count += len(data)

        def readConnectionLost(self):
            # stdin is done; stdout is still ours: answer, then close.
            self.transport.write(b"counted %d\\n" % self.count)
            self.transport.loseConnection()

        def writeConnectionLost(self):
            pass

        def connectionLost(self, reason):
            reactor.stop()

    StandardIO(Counter(), reactor=reactor)
    reactor.run()
"""

STDIO_STRING_CHILD = """
    from plait.selectreactor import SelectorReactor
    from plait.endpoints import serverFromString
    from plait.protocol import Factory
    from plait.protocols.basic import LineReceiver

    reactor = SelectorReactor()

    class Shout(LineReceiver):
        delimiter = b"\\n"

        def lineReceived(self, line):
            self.sendLine(line.upper())

        def connectionLost(self, reason):
            reactor.stop()

    d = serverFromString(reactor, "stdio:").listen(Factory.forProtocol(Shout))
    d.addCallback(lambda transport: transport.write(b"listening\\n"))
    reactor.run()
"""


def _script(tmp_path: Path, source: str, name: str = "child.py") -> str:
    path = tmp_path / name
    path.write_text(textwrap.dedent(source))
    return str(path)


class LineClient(LineReceiver):
    """The parent's side: records lines; ``lost`` fires with the reason."""

    delimiter = b"\n"

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.lost: Deferred[None] = Deferred()
        self.reason: Failure | None = None
        self.waiting: tuple[int, Deferred[None]] | None = None

    def lineReceived(self, line: bytes) -> None:
        self.lines.append(line)
        if self.waiting is not None and len(self.lines) >= self.waiting[0]:
            d, self.waiting = self.waiting[1], None
            d.callback(None)

    def untilLines(self, count: int) -> Deferred[None]:
        d: Deferred[None] = Deferred()
        if len(self.lines) >= count:
            d.callback(None)
        else:
            self.waiting = (count, d)
        return d

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.reason = reason
        self.lost.callback(None)


def test_lineReceiverOverStdioWithPlaitParent(reactor: Any, tmp_path: Path) -> None:
    """A plait parent speaks LineReceiver with a child speaking it over StandardIO;
    closing the child's stdin ends the child, and the parent's protocol gets
    ConnectionDone."""
    child = _script(tmp_path, ECHO_CHILD)
    endpoint = ProcessEndpoint(reactor, sys.executable, [sys.executable, child, "parent"], env=ENV)
    client = LineClient()
    runUntil(reactor, connectProtocol(endpoint, client))
    assert client.transport.pid is not None
    for word in (b"one", b"two", b"three"):
        client.sendLine(word)
    runUntil(reactor, client.untilLines(4))
    assert client.lines == [b"hello parent", b"echo: one", b"echo: two", b"echo: three"]
    client.transport.loseConnection()  # closes the child's stdin: it sees EOF
    runUntil(reactor, client.lost)
    reason = client.reason
    assert reason is not None
    assert reason.check(error.ConnectionDone)


@pytest.mark.parametrize("errFlag", [StandardErrorBehavior.LOG, StandardErrorBehavior.DROP])
def test_processEndpointStderr(
    reactor: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture, errFlag: StandardErrorBehavior
) -> None:
    """What the child writes to stderr is logged (LOG) or dropped (DROP)."""
    child = _script(tmp_path, ECHO_CHILD)
    endpoint = ProcessEndpoint(reactor, sys.executable, [sys.executable, child, "x"], env=ENV, errFlag=errFlag)
    client = LineClient()
    runUntil(reactor, connectProtocol(endpoint, client))
    with caplog.at_level(logging.INFO, logger="plait"):
        client.sendLine(b"err")
        runUntil(reactor, client.untilLines(2))
        client.transport.closeStdin()
        runUntil(reactor, client.lost)
    logged = [r.getMessage() for r in caplog.records if "wrote stderr unhandled" in r.getMessage()]
    if errFlag is StandardErrorBehavior.LOG:
        assert any("complaint" in m and repr(sys.executable) in m for m in logged), logged
    else:
        assert logged == []


def test_processEndpointNonZeroExitIsTheFailure(reactor: Any) -> None:
    """A child exiting non-zero gives the stream protocol that ProcessTerminated."""
    endpoint = ProcessEndpoint(reactor, "/bin/sh", ["/bin/sh", "-c", "echo bye; exit 6"])
    client = LineClient()
    runUntil(reactor, connectProtocol(endpoint, client))
    runUntil(reactor, client.lost)
    reason = client.reason
    assert reason is not None
    assert client.lines == [b"bye"]
    assert reason.check(error.ProcessTerminated) and reason.value.exitCode == 6


def test_processEndpointMissingProgramFails(reactor: Any) -> None:
    """connect() fails its Deferred with spawnProcess's exception."""
    d = ProcessEndpoint(reactor, "/nonexistent/prog", ["prog"]).connect(
        __import__("plait.protocol", fromlist=["Factory"]).Factory.forProtocol(LineClient)
    )
    with pytest.raises(FileNotFoundError, match="/nonexistent/prog"):
        runUntil(reactor, d)


def test_halfCloseOverStdio(reactor: Any, tmp_path: Path) -> None:
    """A half-closeable child gets readConnectionLost at stdin's EOF and may
    still answer; its loseConnection then ends its stdout (the parent sees EOF)."""
    child = _script(tmp_path, HALF_CLOSE_CHILD)
    endpoint = ProcessEndpoint(reactor, sys.executable, [sys.executable, child], env=ENV)
    client = LineClient()
    runUntil(reactor, connectProtocol(endpoint, client))
    client.transport.write(b"x" * 100000)
    client.transport.closeStdin()
    runUntil(reactor, client.lost)
    reason = client.reason
    assert reason is not None
    assert client.lines == [b"counted 100000"]
    assert reason.check(error.ConnectionDone)


def test_stdioServerString(reactor: Any, tmp_path: Path) -> None:
    """serverFromString(reactor, "stdio:") listens on the child's own stdio."""
    child = _script(tmp_path, STDIO_STRING_CHILD)
    endpoint = ProcessEndpoint(reactor, sys.executable, [sys.executable, child], env=ENV)
    client = LineClient()
    runUntil(reactor, connectProtocol(endpoint, client))
    client.sendLine(b"quiet")
    runUntil(reactor, client.untilLines(2))
    assert client.lines == [b"listening", b"QUIET"]
    client.transport.loseConnection()
    runUntil(reactor, client.lost)


# --- CPython's subprocess as the parent ----------------------------------------------


def _runChild(child: str, **kw: Any) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, child, "subprocess"], env=ENV, capture_output="stdout" not in kw,
        timeout=30, check=True, **kw,
    )


def test_stdioChildUnderSubprocess(tmp_path: Path) -> None:
    """Driven by subprocess through pipes: every line answered, then a clean end at EOF."""
    result = _runChild(_script(tmp_path, ECHO_CHILD), input=b"a\nb\n")
    assert result.stdout == b"hello subprocess\necho: a\necho: b\n"
    assert result.stderr == b"child lost ConnectionDone\n"


def test_stdioFromRegularFileAndDevNull(tmp_path: Path) -> None:
    """Stdin from a regular file (epoll refuses those) and from /dev/null,
    stdout to a regular file: all read, all written, the child ends."""
    child = _script(tmp_path, ECHO_CHILD)
    source = tmp_path / "in.txt"
    source.write_bytes(b"".join(b"%d\n" % i for i in range(5000)))
    target = tmp_path / "out.txt"
    with open(source, "rb") as stdin, open(target, "wb") as stdout:
        _runChild(child, stdin=stdin, stdout=stdout, stderr=subprocess.DEVNULL)
    expected = b"hello subprocess\n" + b"".join(b"echo: %d\n" % i for i in range(5000))
    assert target.read_bytes() == expected
    with open(os.devnull, "rb") as stdin:
        result = _runChild(child, stdin=stdin)
    assert result.stdout == b"hello subprocess\n"


COMPAT_PROGRAM = """
    from zope.interface import implementer
    from twisted.internet import reactor, stdio, utils
    from twisted.internet.interfaces import IHalfCloseableProtocol
    from twisted.internet.protocol import Protocol

    @implementer(IHalfCloseableProtocol)
    class Relay(Protocol):
        received = b""

        def dataReceived(self, data):
            self.received += data

        def readConnectionLost(self):
            d = utils.getProcessOutput("/bin/sh", ["-c", "echo $0"])
            d.addCallback(self.answer)

        def answer(self, out):
            self.transport.write(self.received + b"|" + out)
            self.transport.loseConnection()

        def writeConnectionLost(self):
            pass

        def connectionLost(self, reason):
            reactor.stop()

    stdio.StandardIO(Relay())
    reactor.run()
"""


CHECK_ALIASES = (
    "import plait.compat as c; c.install(); "
    "import twisted.internet.process as p, twisted.internet.utils as u, twisted.internet.stdio as s; "
    "print(p.__name__, u.__name__, s.__name__, p.Process.__module__)"
)


def test_twistedProgramUnderCompat(tmp_path: Path) -> None:
    """twisted.internet.stdio/utils/process are served by plait in compatibility mode."""
    program = _script(tmp_path, COMPAT_PROGRAM, "prog.py")
    result = subprocess.run(
        [sys.executable, "-m", "plait.compat", program], input=b"hi", env=ENV,
        capture_output=True, timeout=30, check=True,
    )
    assert result.stdout == b"hi|/bin/sh\n", result.stderr
    check = subprocess.run(
        [sys.executable, "-c", CHECK_ALIASES],
        env=ENV, capture_output=True, timeout=30, check=True,
    )
    assert check.stdout.split() == [b"plait.process", b"plait.utils", b"plait.stdio", b"plait.process"]


# --- StandardIO in this process, on descriptors the test owns --------------------------


class Collect(LineReceiver):
    delimiter = b"\n"

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.lost: Deferred[None] = Deferred()
        self.reason: Failure | None = None

    def lineReceived(self, line: bytes) -> None:
        self.lines.append(line)
        self.sendLine(b"seen " + line)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.reason = reason
        self.lost.callback(None)


def test_regularFilesAreReadAndWrittenWithoutPolling(reactor: Any, tmp_path: Path) -> None:
    """A regular file as stdin and stdout (epoll refuses both): every line is
    read and answered, then ConnectionDone; pausing and resuming work too."""
    from plait.stdio import StandardIO

    source = tmp_path / "in"
    source.write_bytes(b"".join(b"%d\n" % i for i in range(3000)))
    with open(source, "rb") as stdin, open(tmp_path / "out", "wb") as stdout:
        proto = Collect()
        transport = StandardIO(proto, stdin=stdin.fileno(), stdout=stdout.fileno(), reactor=reactor)
        transport.pauseProducing()
        transport.resumeProducing()
        transport.stopReading()  # Twisted's compatibility names
        transport.startReading()
        runUntil(reactor, proto.lost)
    assert len(proto.lines) == 3000
    assert (tmp_path / "out").read_bytes() == b"".join(b"seen %d\n" % i for i in range(3000))
    assert proto.reason is not None and proto.reason.check(error.ConnectionDone)


def test_socketStdoutAndHalfCloseHooks(reactor: Any) -> None:
    """On a socket (readable too) stdout is not watched for reading; after the
    end, writes and producers are turned away, and the half-close entry points
    of IHalfCloseableDescriptor are not for users."""
    import socket

    from plait.stdio import StandardIO

    ours, theirs = socket.socketpair()
    r, w = os.pipe()
    try:
        proto = Collect()
        transport = StandardIO(proto, stdin=r, stdout=ours.fileno(), reactor=reactor)
        assert transport._writer is not None and not transport._writer.enableReadHack
        os.write(w, b"ping\n")
        os.close(w)
        w = -1
        runUntil(reactor, proto.lost)
        assert theirs.recv(100) == b"seen ping\n"
        assert theirs.recv(100) == b""  # released: the reader sees end-of-file
        transport.write(b"ignored")
        transport.writeSequence([b"ignored"])
        transport.loseWriteConnection()
        transport.loseConnection()
        stopped: list[bool] = []

        class P:
            def stopProducing(self) -> None:
                stopped.append(True)

        transport.registerProducer(P(), True)
        transport.unregisterProducer()
        assert stopped == [True]
        with pytest.raises(NotImplementedError):
            transport.readConnectionLost(Failure(error.ConnectionDone()))
        with pytest.raises(NotImplementedError):
            transport.writeConnectionLost(Failure(error.ConnectionDone()))
    finally:
        for fd in (r, w):
            if fd >= 0:
                os.close(fd)
        ours.close()
        theirs.close()


def test_halfCloseCallbackRaising(reactor: Any, loggedErrors: Any) -> None:
    """An exception from readConnectionLost is logged and ends the connection with it."""
    from zope.interface import implementer

    from plait.interfaces import IHalfCloseableProtocol
    from plait.stdio import StandardIO

    @implementer(IHalfCloseableProtocol)
    class Broken(Collect):
        def readConnectionLost(self) -> None:
            raise ValueError("read side")

        def writeConnectionLost(self) -> None:
            pass

    r, w = os.pipe()
    r2, w2 = os.pipe()
    try:
        proto = Broken()
        StandardIO(proto, stdin=r, stdout=w2, reactor=reactor)
        os.close(w)
        w = -1
        runUntil(reactor, proto.lost)
    finally:
        for fd in (r, w, r2, w2):
            if fd >= 0:
                os.close(fd)
    assert proto.reason is not None and proto.reason.check(ValueError)
    assert len(loggedErrors.flush(ValueError)) == 1
