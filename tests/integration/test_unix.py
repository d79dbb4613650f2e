"""UNIX stream sockets on a real reactor: connectUNIX, listenUNIX, the
connector, lock files, stale files, the abstract namespace, errors,
adoption, endpoints, ClientCreator and ReconnectingClientFactory.

Every socket lives under ``tmp_path`` (or in the abstract namespace, with a
name unique to the test); every wait goes through ``runUntil``; the
``reactor`` fixture checks that nothing is left registered.
"""

from __future__ import annotations

import logging
import os
import shutil
import socket
import stat
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest
from zope.interface.verify import verifyObject

from plait import error, unix
from plait.address import UNIXAddress
from plait.defer import Deferred
from plait.endpoints import (
    UNIXClientEndpoint,
    UNIXServerEndpoint,
    clientFromString,
    connectProtocol,
    serverFromString,
)
from plait.failure import Failure
from plait.interfaces import IConnector, IListeningPort, IReactorUNIX, IUNIXTransport
from plait.protocol import (
    ClientCreator,
    ClientFactory,
    Factory,
    Protocol,
    ReconnectingClientFactory,
)
from tests.helpers import runUntil

ROOT = Path(__file__).resolve().parents[2]


class Echo(Protocol):
    def __init__(self) -> None:
        self.lost: Deferred[None] = Deferred()

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)

    def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
        self.lost.callback(None)


class EchoFactory(Factory):
    """Echo servers; ``stop()`` waits for every connection they served to end."""

    def __init__(self, protocol: type[Echo] = Echo) -> None:
        self.protocol = protocol
        self.served: list[Echo] = []

    def buildProtocol(self, addr: Any) -> Echo:
        p = self.protocol()
        p.factory = self
        self.served.append(p)
        return p


class Collector(Protocol):
    """Sends ``greeting`` on connect; fires ``done`` with what it got once closed."""

    def __init__(self, greeting: bytes = b"", closeAfter: int = 0) -> None:
        self.greeting = greeting
        self.closeAfter = closeAfter
        self.data = b""
        self.reason: Failure | None = None
        self.made: Deferred[Collector] = Deferred()
        self.done: Deferred[None] = Deferred()

    def connectionMade(self) -> None:
        if self.greeting:
            self.transport.write(self.greeting)
        self.made.callback(self)

    def dataReceived(self, data: bytes) -> None:
        self.data += data
        if self.closeAfter and len(self.data) >= self.closeAfter:
            self.transport.loseConnection()

    def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
        self.reason = reason
        self.done.callback(None)


class Outcome(ClientFactory):
    """A client factory that fires ``result`` with ``("lost"|"failed", reason)``."""

    protocol = Collector

    def __init__(self, greeting: bytes = b"", closeAfter: int = 0) -> None:
        self.greeting = greeting
        self.closeAfter = closeAfter
        self.result: Deferred[tuple[str, Failure]] = Deferred()
        self.made: Deferred[Collector] = Deferred()  # the first protocol, connected
        self.protocols: list[Collector] = []

    def buildProtocol(self, addr: Any) -> Collector:
        p = Collector(self.greeting, self.closeAfter)
        p.factory = self
        if not self.protocols:
            p.made.addCallback(lambda proto: self.made.callback(proto) or proto)
        self.protocols.append(p)
        return p

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        self.result.callback(("failed", reason))

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        self.result.callback(("lost", reason))


def stop(reactor: Any, port: Any) -> None:
    """Wait for the port's connections to end, then stop listening."""
    from plait.defer import gatherResults

    served = getattr(port.factory, "served", [])
    runUntil(reactor, gatherResults([p.lost for p in served]))
    d = port.stopListening()
    if d is not None:
        runUntil(reactor, d)


@pytest.fixture
def path(tmp_path: Path) -> str:
    return str(tmp_path / "s.sock")


@pytest.fixture
def abstract(tmp_path: Path) -> str:
    if not sys.platform.startswith("linux"):
        pytest.skip("the abstract namespace is Linux's")
    return f"\0plait-test-{os.getpid()}-{tmp_path.name}"


# -- the basics ------------------------------------------------------------------------


def test_echoOverAPath(reactor: Any, path: str) -> None:
    """A client's bytes come back from a listenUNIX echo server; both ends close cleanly."""
    port = reactor.listenUNIX(path, EchoFactory())
    factory = Outcome(b"hello, unix", closeAfter=11)
    connector = reactor.connectUNIX(path, factory)
    kind, reason = runUntil(reactor, factory.result)
    assert kind == "lost" and reason.check(error.ConnectionDone)
    assert factory.protocols[0].data == b"hello, unix"
    assert connector.state == "disconnected"
    stop(reactor, port)


def test_addressesAndInterfaces(reactor: Any, path: str) -> None:
    """Both transports provide IUNIXTransport and report UNIXAddress values;
    the connector and port are an IConnector and an IListeningPort."""
    servers: list[Any] = []
    serverMade: Deferred[None] = Deferred()

    class Noted(Echo):
        def connectionMade(self) -> None:
            serverMade.callback(None)

    serverFactory = EchoFactory(Noted)
    original = serverFactory.buildProtocol

    def build(addr: Any) -> Any:
        servers.append(addr)
        return original(addr)

    serverFactory.buildProtocol = build  # type: ignore[method-assign]
    port = reactor.listenUNIX(path, serverFactory)
    factory = Outcome()
    connector = reactor.connectUNIX(path, factory)
    client = runUntil(reactor, factory.made)
    runUntil(reactor, serverMade)
    transport = client.transport
    assert verifyObject(IUNIXTransport, transport)
    assert verifyObject(IConnector, connector)
    assert verifyObject(IListeningPort, port)
    assert verifyObject(IReactorUNIX, reactor)
    assert transport.getPeer() == UNIXAddress(path)
    assert transport.getHost() == UNIXAddress(None)
    assert port.getHost() == UNIXAddress(path)
    assert port.getHost().name == os.fsencode(path)
    assert connector.getDestination() == UNIXAddress(path)
    assert servers == [UNIXAddress("")]  # accept(2) names an unnamed client ''
    assert transport.getTcpNoDelay() is False
    transport.setTcpNoDelay(True)  # ignored, as in Twisted: no error logged
    assert transport.logstr == "Collector,client"
    transport.loseConnection()
    runUntil(reactor, factory.result)
    stop(reactor, port)


def test_serverSideNamesReprAndLog(
    reactor: Any, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    """The accepted connection's log prefix and addresses are Twisted's
    (``Echo,0,``; peer ``UNIXAddress(None)``); the port logs its start and
    close with the path, and removes its socket file."""
    caplog.set_level(logging.INFO, logger="plait")
    serverProtocols: list[Any] = []

    class Recording(Echo):
        def connectionMade(self) -> None:
            serverProtocols.append(self)

    port = reactor.listenUNIX(path, EchoFactory(Recording))
    assert repr(port) == f"<{__name__}.EchoFactory on {path!r}>"
    assert stat.S_ISSOCK(os.stat(path).st_mode)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666
    factory = Outcome(b"x", closeAfter=1)
    reactor.connectUNIX(path, factory)
    runUntil(reactor, factory.result)
    stop(reactor, port)
    assert not os.path.exists(path)
    messages = [r.getMessage() for r in caplog.records]
    assert f"EchoFactory starting on {path!r}" in messages
    assert f"(UNIX Port {path} Closed)" in messages
    assert repr(port).endswith("(not listening)>")


def test_acceptedConnectionAddresses(reactor: Any, path: str) -> None:
    """Server side: getHost is the listening path, getPeer UNIXAddress(None), repr names the path."""
    seen: Deferred[Any] = Deferred()

    class Reporter(Echo):
        def connectionMade(self) -> None:
            t = self.transport
            seen.callback((t.getHost(), t.getPeer(), repr(t), t.logstr))

    port = reactor.listenUNIX(path, EchoFactory(Reporter))
    factory = Outcome()
    reactor.connectUNIX(path, factory)
    host, peer, shown, logstr = runUntil(reactor, seen)
    assert host == UNIXAddress(path)
    assert peer == UNIXAddress(None)
    assert shown == f"<Reporter #0 on {path}>"
    assert logstr == "Reporter,0,"
    factory.protocols[0].transport.loseConnection()
    runUntil(reactor, factory.result)
    stop(reactor, port)


def test_modeIsApplied(reactor: Any, path: str) -> None:
    """listenUNIX(mode=...) sets the socket file's permissions."""
    port = reactor.listenUNIX(path, EchoFactory(), mode=0o600)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    stop(reactor, port)


# -- the abstract namespace -----------------------------------------------------------


def test_abstractNamespace(reactor: Any, abstract: str) -> None:
    """A name with a leading NUL byte works with no file; its address keeps the NUL."""
    port = reactor.listenUNIX(abstract, EchoFactory())
    assert port.getHost() == UNIXAddress(abstract)
    assert port.getHost().name == abstract.encode()
    assert repr(UNIXAddress(abstract)) == f"UNIXAddress({abstract!r})"
    factory = Outcome(b"abstract", closeAfter=8)
    reactor.connectUNIX(abstract, factory)
    kind, reason = runUntil(reactor, factory.result)
    assert kind == "lost" and factory.protocols[0].data == b"abstract"
    stop(reactor, port)
    # Closed: nobody listens on the name any more.
    refused = Outcome()
    reactor.connectUNIX(abstract, refused)
    kind, reason = runUntil(reactor, refused.result)
    assert kind == "failed" and reason.check(error.ConnectionRefusedError)


def test_abstractNamespaceRefusesLockFiles(reactor: Any, abstract: str) -> None:
    """wantPID/checkPID need a file beside the socket: an abstract name is a ValueError."""
    with pytest.raises(ValueError, match="abstract namespace"):
        reactor.listenUNIX(abstract, EchoFactory(), wantPID=True)
    with pytest.raises(ValueError, match="abstract namespace"):
        reactor.connectUNIX(abstract, Outcome(), checkPID=True)


# -- errors ------------------------------------------------------------------------------


def test_missingSocketFile(reactor: Any, path: str) -> None:
    """No socket file: ConnectError, in Twisted's words."""
    factory = Outcome()
    reactor.connectUNIX(path, factory)
    kind, reason = runUntil(reactor, factory.result)
    assert kind == "failed"
    assert reason.check(error.ConnectError)
    assert str(reason.value) == "An error occurred while connecting: 2: No such file or directory."


def test_socketFileNobodyListensOn(reactor: Any, path: str) -> None:
    """A leftover socket file with no listener: ConnectionRefusedError."""
    leftover = socket.socket(socket.AF_UNIX)
    leftover.bind(path)
    leftover.close()
    factory = Outcome()
    reactor.connectUNIX(path, factory)
    kind, reason = runUntil(reactor, factory.result)
    assert kind == "failed" and reason.check(error.ConnectionRefusedError)


def test_staleSocketFileMakesListenFail(reactor: Any, path: str) -> None:
    """Without wantPID a stale socket file is left alone: CannotListenError naming the path."""
    leftover = socket.socket(socket.AF_UNIX)
    leftover.bind(path)
    leftover.close()
    with pytest.raises(error.CannotListenError) as caught:
        reactor.listenUNIX(path, EchoFactory())
    assert caught.value.port == os.fsencode(path)
    assert str(caught.value) == (
        f"Couldn't listen on any:{os.fsencode(path)!r}: [Errno 98] Address already in use.")
    assert os.path.exists(path)  # not ours to remove


def test_pathAlreadyListenedOn(reactor: Any, path: str) -> None:
    """A second listenUNIX on a live path fails with CannotListenError; the
    first port goes on serving."""
    port = reactor.listenUNIX(path, EchoFactory())
    with pytest.raises(error.CannotListenError, match="Address already in use"):
        reactor.listenUNIX(path, EchoFactory())
    factory = Outcome(b"still", closeAfter=5)
    reactor.connectUNIX(path, factory)
    assert runUntil(reactor, factory.result)[0] == "lost"
    assert factory.protocols[0].data == b"still"
    stop(reactor, port)


@pytest.mark.parametrize("wantPID", [False, True])
def test_anotherProcessListensThere(reactor: Any, path: str, wantPID: bool) -> None:
    """Another live process listening on the path: CannotListenError naming
    it; its socket file is left alone (with wantPID, our lock is released)."""
    child = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import socket, sys
            s = socket.socket(socket.AF_UNIX)
            s.bind({path!r})
            s.listen(1)
            print("ready", flush=True)
            sys.stdin.read()
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "ready"
        with pytest.raises(error.CannotListenError) as caught:
            reactor.listenUNIX(path, EchoFactory(), wantPID=wantPID)
        assert os.fsencode(path) == caught.value.port
        assert "Address already in use" in str(caught.value)
        assert stat.S_ISSOCK(os.stat(path).st_mode)
        assert not os.path.lexists(path + ".lock")
        with socket.socket(socket.AF_UNIX) as probe:
            assert probe.connect_ex(path) == 0  # still the other process's
    finally:
        assert child.stdin is not None and child.stdout is not None
        child.stdin.close()
        child.wait(timeout=30)
        child.stdout.close()


def test_pathTooLong(reactor: Any, tmp_path: Path) -> None:
    """A path beyond sun_path's 108 bytes: CannotListenError / BadFileError naming it."""
    long = str(tmp_path / ("x" * 120))
    with pytest.raises(error.CannotListenError, match="AF_UNIX path too long") as caught:
        reactor.listenUNIX(long, EchoFactory())
    assert "x" * 120 in str(caught.value)
    factory = Outcome()
    reactor.connectUNIX(long, factory)
    kind, reason = runUntil(reactor, factory.result)
    assert kind == "failed" and reason.check(error.BadFileError)
    assert "AF_UNIX path too long" in str(reason.value) and long in str(reason.value)


def test_badAddressType(reactor: Any) -> None:
    """A port number where a path belongs is a TypeError at once."""
    with pytest.raises(TypeError, match="path"):
        reactor.connectUNIX(8080, Outcome())
    with pytest.raises(TypeError, match="path"):
        reactor.listenUNIX(8080, EchoFactory())


def test_socketFileOwnedBySomeoneElse(reactor: Any, tmp_path: Path) -> None:
    """A socket file owned by somebody else, mode 0o600: the connect fails
    with EACCES, in Twisted's words; the listener is undisturbed.

    Not root: a socket with no permissions at all (even its owner may not
    connect).  Root, who may connect anywhere: the socket is given to
    ``nobody`` and the connect runs in a child process without the
    capabilities that bypass file permissions (``setpriv``, util-linux).
    """
    path = str(tmp_path / "owned.sock")
    port = reactor.listenUNIX(path, EchoFactory(), mode=0o600)
    try:
        if os.geteuid() != 0:
            os.chmod(path, 0)
            factory = Outcome()
            reactor.connectUNIX(path, factory)
            kind, reason = runUntil(reactor, factory.result)
            assert kind == "failed" and reason.check(error.ConnectError)
            assert str(reason.value) == (
                "An error occurred while connecting: 13: Permission denied.")
            return
        os.chown(path, 65534, 65534)
        script = textwrap.dedent(f"""
            from plait import reactor
            from plait.protocol import ClientFactory
            class F(ClientFactory):
                def clientConnectionFailed(self, connector, reason):
                    print(type(reason.value).__name__, reason.value)
                    reactor.stop()
            reactor.connectUNIX({path!r}, F())
            reactor.run()
        """)
        setpriv = shutil.which("setpriv")
        assert setpriv is not None, "setpriv (util-linux) is needed to drop root's capabilities"
        result = subprocess.run(
            [setpriv, "--bounding-set=-dac_override,-dac_read_search", "--inh-caps=-all", "--",
             sys.executable, "-c", script],
            capture_output=True, text=True, timeout=30, check=False,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        assert result.stdout.strip() == (
            "ConnectError An error occurred while connecting: 13: Permission denied."
        ), result.stderr
    finally:
        stop(reactor, port)
    assert not os.path.exists(path)


# -- wantPID and checkPID ---------------------------------------------------------------


def test_wantPIDMakesALockFile(reactor: Any, path: str) -> None:
    """wantPID takes ``path.lock`` (naming our pid) and releases it when the port stops;
    checkPID then connects only while it is held."""
    port = reactor.listenUNIX(path, EchoFactory(), wantPID=True)
    lock = path + ".lock"
    assert os.readlink(lock) == str(os.getpid())
    factory = Outcome(b"locked", closeAfter=6)
    reactor.connectUNIX(path, factory, checkPID=True)
    assert runUntil(reactor, factory.result)[0] == "lost"
    assert factory.protocols[0].data == b"locked"
    stop(reactor, port)
    assert not os.path.lexists(lock)
    assert not os.path.exists(path)


def test_checkPIDWithoutALock(reactor: Any, path: str) -> None:
    """checkPID and no live lock holder: BadFileError naming the path, no connect made."""
    port = reactor.listenUNIX(path, EchoFactory())  # no lock file
    factory = Outcome()
    reactor.connectUNIX(path, factory, checkPID=True)
    kind, reason = runUntil(reactor, factory.result)
    assert kind == "failed" and reason.check(error.BadFileError)
    assert str(reason.value) == (
        f"File used for UNIX socket is no good: {os.fsencode(path)!r}.")
    stop(reactor, port)


def test_liveLockRefusesASecondListener(reactor: Any, path: str) -> None:
    """A live process holding the lock: CannotListenError 'Cannot acquire lock'."""
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        os.symlink(str(child.pid), path + ".lock")
        with pytest.raises(error.CannotListenError) as caught:
            reactor.listenUNIX(path, EchoFactory(), wantPID=True)
        assert str(caught.value) == (
            f"Couldn't listen on any:{os.fsencode(path)!r}: Cannot acquire lock.")
    finally:
        child.kill()
        child.wait()


def test_staleLockAndSocketAreCleanedUp(reactor: Any, path: str) -> None:
    """A dead owner's lock is broken and its leftover socket file removed."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # its pid is now (almost certainly) nobody's
    os.symlink(str(child.pid), path + ".lock")
    leftover = socket.socket(socket.AF_UNIX)
    leftover.bind(path)
    leftover.close()
    port = reactor.listenUNIX(path, EchoFactory(), wantPID=True)
    assert os.readlink(path + ".lock") == str(os.getpid())
    stop(reactor, port)


def test_wantPIDNeverRemovesAFileThatIsNoSocket(reactor: Any, path: str) -> None:
    """A stale lock beside a regular file (a typo): the file stays, listening fails."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    os.symlink(str(child.pid), path + ".lock")
    Path(path).write_text("precious")
    with pytest.raises(error.CannotListenError):
        reactor.listenUNIX(path, EchoFactory(), wantPID=True)
    assert Path(path).read_text() == "precious"
    assert not os.path.lexists(path + ".lock")  # our lock was released


def test_stopListeningLeavesAReplacedFile(reactor: Any, path: str) -> None:
    """Stopping removes the socket file only if it is still the one bound."""
    port = reactor.listenUNIX(path, EchoFactory())
    os.remove(path)
    Path(path).write_text("somebody else's")
    stop(reactor, port)
    assert Path(path).read_text() == "somebody else's"


# -- the connector -----------------------------------------------------------------------


def test_connectorReconnects(reactor: Any, path: str) -> None:
    """connector.connect() from clientConnectionLost connects again (the howto's pattern)."""
    port = reactor.listenUNIX(path, EchoFactory())
    events: list[str] = []
    finished: Deferred[None] = Deferred()

    class Again(ClientFactory):
        protocol = Collector

        def buildProtocol(self, addr: Any) -> Collector:
            events.append("built")
            return Collector(b"ping", closeAfter=4)

        def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
            events.append("lost")
            if events.count("lost") < 3:
                connector.connect()
            else:
                finished.callback(None)

    reactor.connectUNIX(path, Again())
    runUntil(reactor, finished)
    assert events == ["built", "lost"] * 3
    stop(reactor, port)


def test_reconnectingClientFactoryOverConnectUNIX(reactor: Any, path: str) -> None:
    """A ReconnectingClientFactory retries a missing socket until a server appears."""
    lost: Deferred[None] = Deferred()

    class Hello(Protocol):
        def connectionMade(self) -> None:
            self.factory.resetDelay()
            self.factory.stopTrying()
            self.transport.loseConnection()

        def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
            lost.callback(None)

    factory = ReconnectingClientFactory()
    factory.protocol = Hello
    factory.clock = reactor
    factory.initialDelay = factory.delay = 0.05
    factory.jitter = 0
    failures: list[Failure] = []
    ports: list[Any] = []
    original = factory.clientConnectionFailed

    def failed(connector: Any, reason: Failure) -> None:
        failures.append(reason)
        if len(failures) == 2:
            ports.append(reactor.listenUNIX(path, EchoFactory()))
        original(connector, reason)

    factory.clientConnectionFailed = failed  # type: ignore[method-assign]
    reactor.connectUNIX(path, factory)
    runUntil(reactor, lost)
    assert len(failures) == 2 and all(f.check(error.ConnectError) for f in failures)
    assert factory.continueTrying == 0
    stop(reactor, ports[0])


def test_stopConnectingWhileTheBacklogIsFull(reactor: Any, path: str) -> None:
    """A full backlog (EAGAIN) is retried, not mistaken for a connection; the
    connect timeout ends the attempt."""
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(0)
    filler: list[socket.socket] = []
    try:
        # Fill the queue: unix(7) refuses with EAGAIN once it is full.
        while True:
            s = socket.socket(socket.AF_UNIX)
            s.setblocking(False)
            filler.append(s)
            if s.connect_ex(path) != 0:
                break
        factory = Outcome()
        connector = reactor.connectUNIX(path, factory, timeout=0.2)
        kind, reason = runUntil(reactor, factory.result)
        assert kind == "failed" and reason.check(error.TimeoutError)
        assert connector.state == "disconnected"
        # And once there is room, the retry connects.
        factory = Outcome()
        reactor.connectUNIX(path, factory, timeout=5)
        reactor.callLater(0.05, lambda: listener.accept()[0].close())
        runUntil(reactor, factory.made)
        factory.protocols[0].transport.loseConnection()
        runUntil(reactor, factory.result)
    finally:
        for s in filler:
            s.close()
        listener.close()


# -- ClientCreator and endpoints ------------------------------------------------------


def test_clientCreatorConnectUNIX(reactor: Any, path: str) -> None:
    """ClientCreator.connectUNIX fires with the connected protocol instance."""
    port = reactor.listenUNIX(path, EchoFactory())
    proto = runUntil(reactor, ClientCreator(reactor, Collector, b"cc", 2).connectUNIX(path))
    assert isinstance(proto, Collector)
    assert proto.factory is None
    runUntil(reactor, proto.done)
    assert proto.data == b"cc"
    stop(reactor, port)


def test_clientCreatorConnectUNIXFails(reactor: Any, path: str) -> None:
    """ClientCreator.connectUNIX to nothing fails with the connect error."""
    d = ClientCreator(reactor, Collector).connectUNIX(path)
    with pytest.raises(error.ConnectError):
        runUntil(reactor, d)


def test_endpoints(reactor: Any, path: str) -> None:
    """UNIXServerEndpoint/UNIXClientEndpoint and their strings, end to end."""
    port = runUntil(reactor, UNIXServerEndpoint(reactor, path, mode=0o640).listen(
        EchoFactory()))
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o640
    proto = runUntil(reactor, connectProtocol(UNIXClientEndpoint(reactor, path), Collector(b"ep", 2)))
    runUntil(reactor, proto.done)
    assert proto.data == b"ep"
    proto = runUntil(reactor, connectProtocol(
        clientFromString(reactor, f"unix:{path}:timeout=5"), Collector(b"str", 3)))
    runUntil(reactor, proto.done)
    assert proto.data == b"str"
    stop(reactor, port)
    # The server string takes the lock file by default, as Twisted's does.
    port = runUntil(reactor, serverFromString(reactor, f"unix:{path}:mode=600").listen(
        EchoFactory()))
    assert os.readlink(path + ".lock") == str(os.getpid())
    proto = runUntil(reactor, connectProtocol(
        clientFromString(reactor, f"unix:path={path}:lockfile=1"), Collector(b"lk", 2)))
    runUntil(reactor, proto.done)
    stop(reactor, port)


def test_endpointFailures(reactor: Any, path: str) -> None:
    """Endpoint errors come through the Deferred: a missing file, a busy path."""
    d = UNIXClientEndpoint(reactor, path).connect(Factory.forProtocol(Collector))
    with pytest.raises(error.ConnectError, match="No such file or directory"):
        runUntil(reactor, d)
    port = reactor.listenUNIX(path, EchoFactory())
    d = UNIXServerEndpoint(reactor, path).listen(EchoFactory())
    with pytest.raises(error.CannotListenError):
        runUntil(reactor, d)
    stop(reactor, port)


# -- adopted sockets ------------------------------------------------------------------


def test_adoptStreamPort(reactor: Any, path: str) -> None:
    """A listening AF_UNIX socket made elsewhere is adopted; its file is not ours to remove."""
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(5)
    port = reactor.adoptStreamPort(listener.fileno(), socket.AF_UNIX, EchoFactory())
    listener.close()  # the port has its own duplicate
    assert isinstance(port, unix.Port)
    assert port.getHost() == UNIXAddress(path)
    factory = Outcome(b"adopted", closeAfter=7)
    reactor.connectUNIX(path, factory)
    runUntil(reactor, factory.result)
    assert factory.protocols[0].data == b"adopted"
    stop(reactor, port)
    assert os.path.exists(path)


def test_adoptStreamConnection(reactor: Any) -> None:
    """One end of a socketpair is adopted as a connection (connectionMade inside the call)."""
    ours, theirs = socket.socketpair()
    try:
        made: list[Any] = []

        class Greeter(Protocol):
            def connectionMade(self) -> None:
                made.append(self.transport)
                self.transport.write(b"adopted")

            def dataReceived(self, data: bytes) -> None:
                self.transport.write(data.upper())
                self.transport.loseConnection()

        transport = reactor.adoptStreamConnection(
            ours.fileno(), socket.AF_UNIX, Factory.forProtocol(Greeter))
        ours.close()
        assert made == [transport]
        assert isinstance(transport, unix.Server)
        assert transport.getPeer() == UNIXAddress(None)
        theirs.settimeout(5)
        theirs.sendall(b"ok")
        got = b""
        d: Deferred[None] = Deferred()

        def poll() -> None:
            nonlocal got
            try:
                theirs.setblocking(False)
                chunk = theirs.recv(100)
            except BlockingIOError:
                reactor.callLater(0.01, poll)
                return
            got += chunk
            if chunk:
                reactor.callLater(0.01, poll)
            else:
                d.callback(None)

        poll()
        runUntil(reactor, d)
        assert got == b"adoptedOK"
    finally:
        theirs.close()


def test_adoptUnsupportedFamily(reactor: Any) -> None:
    """Adopting a family plait has no transport for: UnsupportedAddressFamily."""
    with pytest.raises(error.UnsupportedAddressFamily):
        reactor.adoptStreamPort(0, socket.AF_PACKET, EchoFactory())


def test_systemdEndpointAdoptsAnInheritedSocket(tmp_path: Path) -> None:
    """``systemd:domain=UNIX:index=0`` serves the socket passed as descriptor 3,
    in a child process started the way systemd starts one."""
    path = str(tmp_path / "sd.sock")
    listener = socket.socket(socket.AF_UNIX)
    listener.bind(path)
    listener.listen(5)
    script = textwrap.dedent("""
        import os, sys
        # What systemd does for its child: the socket as descriptor 3, and
        # LISTEN_PID naming the child (set here: only the child knows it).
        os.dup2(int(sys.argv[1]), 3)
        os.close(int(sys.argv[1]))
        os.environ["LISTEN_PID"] = str(os.getpid())
        from plait import reactor
        from plait.endpoints import serverFromString
        from plait.protocol import Factory, Protocol
        class Upper(Protocol):
            def dataReceived(self, data):
                self.transport.write(data.upper())
                self.transport.loseConnection()
                reactor.callLater(0.05, reactor.stop)
        endpoint = serverFromString(reactor, "systemd:domain=UNIX:name=web")
        endpoint.listen(Factory.forProtocol(Upper)).addCallback(
            lambda port: print("listening on", port.getHost(), flush=True))
        reactor.run()
    """)
    child = subprocess.Popen(
        [sys.executable, "-c", script, str(listener.fileno())], pass_fds=(listener.fileno(),),
        stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), "LISTEN_FDS": "1", "LISTEN_FDNAMES": "web"},
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == f"listening on UNIXAddress({path!r})"
        with socket.socket(socket.AF_UNIX) as client:
            client.settimeout(10)
            client.connect(path)
            client.sendall(b"systemd")
            assert client.recv(100) == b"SYSTEMD"
        assert child.wait(timeout=30) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
        listener.close()


# -- bad input ------------------------------------------------------------------------


def test_sendingAClosedDescriptorLosesTheConnection(reactor: Any, path: str) -> None:
    """sendFileDescriptor of a closed descriptor ends that connection only,
    with ConnectionLost naming the descriptor; the port keeps serving."""
    port = reactor.listenUNIX(path, EchoFactory())
    closed: list[int] = []

    class Sender(Collector):
        def connectionMade(self) -> None:
            r, w = os.pipe()
            os.close(r)
            os.close(w)
            closed.append(r)  # nothing can reuse it before the call below
            self.transport.write(b"x")
            self.transport.sendFileDescriptor(r)

    factory = Outcome()
    factory.buildProtocol = lambda addr: Sender()  # type: ignore[method-assign, assignment]
    reactor.connectUNIX(path, factory)
    kind, reason = runUntil(reactor, factory.result)
    assert kind == "lost" and reason.check(error.ConnectionLost)
    assert f"sendFileDescriptor({closed[0]})" in str(reason.value)
    assert "Bad file descriptor" in str(reason.value)
    other = Outcome(b"fine", closeAfter=4)
    reactor.connectUNIX(path, other)
    assert runUntil(reactor, other.result)[0] == "lost"
    assert other.protocols[0].data == b"fine"
    stop(reactor, port)



# -- TLS over a UNIX socket, and the application services -------------------------------


def test_startTLSOverUNIX(reactor: Any, path: str, tmp_path: Path) -> None:
    """startTLS works on UNIX connections as on TCP: the client end is the TLS
    client, the server is verified, bytes travel encrypted and come back."""
    from tests.tlshelpers import Certs

    certs = Certs(tmp_path)

    class TLSEcho(Echo):
        def connectionMade(self) -> None:
            self.transport.startTLS(certs.serverOptions())

    class TLSClient(Collector):
        def connectionMade(self) -> None:
            self.transport.startTLS(certs.clientOptions("localhost"))
            super().connectionMade()

    port = reactor.listenUNIX(path, EchoFactory(TLSEcho))
    factory = Outcome()
    factory.buildProtocol = lambda addr: TLSClient(b"over tls", closeAfter=8)  # type: ignore[method-assign, assignment]
    factory.protocols = []
    reactor.connectUNIX(path, factory)
    kind, reason = runUntil(reactor, factory.result, timeout=10)
    assert kind == "lost", reason
    assert reason.check(error.ConnectionDone)
    stop(reactor, port)


def test_unixServiceClasses(reactor: Any, path: str) -> None:
    """application.internet's UNIXServer and UNIXClient drive listenUNIX/connectUNIX."""
    from plait.application.internet import UNIXClient, UNIXServer

    serverFactory = EchoFactory()
    server = UNIXServer(path, serverFactory, reactor=reactor)
    server.startService()
    factory = Outcome(b"service", closeAfter=7)
    client = UNIXClient(path, factory, reactor=reactor)
    client.startService()
    kind, _ = runUntil(reactor, factory.result)
    assert kind == "lost" and factory.protocols[0].data == b"service"
    client.stopService()
    from plait.defer import gatherResults

    runUntil(reactor, gatherResults([p.lost for p in serverFactory.served]))
    d = server.stopService()
    if d is not None:
        runUntil(reactor, d)
    assert not os.path.exists(path)


def test_echoOnEverySelector(anyReactor: Any, path: str) -> None:
    """The UNIX echo works on the select, poll and epoll selectors alike."""
    port = anyReactor.listenUNIX(path, EchoFactory())
    factory = Outcome(b"any selector", closeAfter=12)
    anyReactor.connectUNIX(path, factory)
    kind, _ = runUntil(anyReactor, factory.result)
    assert kind == "lost" and factory.protocols[0].data == b"any selector"
    stop(anyReactor, port)
