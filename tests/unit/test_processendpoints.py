"""ProcessProtocol, the process endpoints and "stdio:", without spawning anything.

A fake reactor records ``spawnProcess`` calls; the process transport is a
small double.  The real thing is covered by tests/integration/test_stdio.py
and tests/integration/test_process.py.
"""

from __future__ import annotations

from typing import Any

import pytest
from zope.interface.verify import verifyObject

from plait import error
from plait._processendpoints import _ProcessEndpointTransport, _WrapIProtocol
from plait.address import _ProcessAddress
from plait.endpoints import (
    ProcessEndpoint,
    StandardErrorBehavior,
    StandardIOEndpoint,
    serverFromString,
)
from plait.failure import Failure
from plait.interfaces import (
    IProcessProtocol,
    IStreamClientEndpoint,
    IStreamServerEndpoint,
)
from plait.process import _BaseProcess
from plait.protocol import Factory, ProcessProtocol, Protocol, connectionDone
from plait.stdio import PipeAddress
from tests.helpers import failureResultOf, successResultOf


class Recording(Protocol):
    def __init__(self) -> None:
        self.events: list[Any] = []

    def connectionMade(self) -> None:
        self.events.append("made")

    def dataReceived(self, data: bytes) -> None:
        self.events.append(("data", data))

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.events.append(("lost", reason))


class FakeProcess:
    """What _WrapIProtocol and _ProcessEndpointTransport talk to."""

    pid = 1234
    disconnecting = False

    def __init__(self) -> None:
        self.calls: list[Any] = []

    def __getattr__(self, name: str) -> Any:
        return lambda *args: self.calls.append((name, *args))


class SpawningReactor:
    def __init__(self, fail: BaseException | None = None) -> None:
        self.spawned: list[tuple[Any, ...]] = []
        self.fail = fail

    def spawnProcess(self, *args: Any) -> FakeProcess:
        if self.fail is not None:
            raise self.fail
        self.spawned.append(args)
        process = FakeProcess()
        args[0].makeConnection(process)
        return process


# --- ProcessProtocol ---------------------------------------------------------------


def test_processProtocolRoutesByDescriptor() -> None:
    """fd 1 -> outReceived, fd 2 -> errReceived, others ignored; losses of 0/1/2 routed."""
    seen: list[Any] = []

    class P(ProcessProtocol):
        def outReceived(self, data: bytes) -> None:
            seen.append(("out", data))

        def errReceived(self, data: bytes) -> None:
            seen.append(("err", data))

        def inConnectionLost(self) -> None:
            seen.append("in")

        def outConnectionLost(self) -> None:
            seen.append("out")

        def errConnectionLost(self) -> None:
            seen.append("err")

    p = P()
    verifyObject(IProcessProtocol, p)
    for fd in (1, 2, 3):
        p.childDataReceived(fd, b"%d" % fd)
    for fd in (0, 1, 2, 3):
        p.childConnectionLost(fd)
    assert seen == [("out", b"1"), ("err", b"2"), "in", "out", "err"]
    base = ProcessProtocol()  # the defaults do nothing
    base.childDataReceived(1, b"x")
    base.childConnectionLost(0)
    base.processExited(Failure(error.ProcessDone(0)))
    base.processEnded(Failure(error.ProcessDone(0)))


@pytest.mark.parametrize(
    ("status", "kind", "exitCode", "signal"),
    [
        (0, error.ProcessDone, 0, None),
        (3 << 8, error.ProcessTerminated, 3, None),
        (9, error.ProcessTerminated, None, 9),
        (-1, error.ProcessTerminated, None, None),
    ],
)
def test_exitStatusToReason(status: int, kind: type, exitCode: Any, signal: Any) -> None:
    """Wait statuses become Twisted's reasons; -1 (status lost) a bare ProcessTerminated."""
    reason = _BaseProcess(None, None, "p")._getReason(status)
    assert type(reason) is kind
    assert (reason.exitCode, reason.signal) == (exitCode, signal)  # type: ignore[attr-defined]


# --- ProcessEndpoint -------------------------------------------------------------------


def test_processEndpointSpawnsWithItsArguments() -> None:
    """connect() spawns with every argument in spawnProcess's order and fires
    with the protocol after its connectionMade."""
    reactor = SpawningReactor()
    endpoint = ProcessEndpoint(
        reactor, "/bin/prog", ["prog", "-x"], env={"A": "b"}, path="/tmp", uid=1, gid=2,
        usePTY=True, childFDs={0: "w"},
    )
    verifyObject(IStreamClientEndpoint, endpoint)
    addresses: list[Any] = []

    class F(Factory[Recording]):
        def buildProtocol(self, addr: Any) -> Recording:
            addresses.append(addr)
            return Recording()

    proto = successResultOf(endpoint.connect(F()))
    assert proto.events == ["made"]
    assert isinstance(addresses[0], _ProcessAddress)
    wrapper, *rest = reactor.spawned[0]
    assert rest == ["/bin/prog", ["prog", "-x"], {"A": "b"}, "/tmp", 1, 2, True, {0: "w"}]
    assert isinstance(wrapper, _WrapIProtocol) and wrapper.protocol is proto


def test_processEndpointDefaults() -> None:
    """Twisted's defaults: args (), env {}, no path/uid/gid, no PTY, default childFDs."""
    reactor = SpawningReactor()
    successResultOf(ProcessEndpoint(reactor, "prog").connect(Factory.forProtocol(Recording)))
    assert reactor.spawned[0][1:] == ("prog", (), {}, None, None, None, 0, None)


def test_processEndpointSpawnErrorFailsTheDeferred() -> None:
    """Whatever spawnProcess raises becomes the failed Deferred."""
    reactor = SpawningReactor(FileNotFoundError(2, "No such file or directory", "prog"))
    d = ProcessEndpoint(reactor, "prog").connect(Factory.forProtocol(Recording))
    assert failureResultOf(d, FileNotFoundError).value.filename == "prog"


def test_processEndpointRejectsBadErrFlag() -> None:
    """errFlag must be a StandardErrorBehavior."""
    with pytest.raises(TypeError, match="errFlag must be StandardErrorBehavior"):
        ProcessEndpoint(SpawningReactor(), "prog", errFlag="LOG")  # type: ignore[arg-type]


def test_wrapperDeliversStdoutAndEnd(caplog: pytest.LogCaptureFixture) -> None:
    """stdout -> dataReceived; stderr logged (LOG) or dropped (DROP); exit 0
    -> ConnectionDone, anything else -> the process's reason."""
    import logging

    for flag, logged in ((StandardErrorBehavior.LOG, True), (StandardErrorBehavior.DROP, False)):
        proto = Recording()
        wrapper = _WrapIProtocol(proto, "/bin/prog", flag)
        wrapper.makeConnection(FakeProcess())
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="plait"):
            wrapper.childDataReceived(1, b"out")
            wrapper.childDataReceived(2, b"oops")
        messages = [r.getMessage() for r in caplog.records]
        assert any("'/bin/prog' wrote stderr unhandled by" in m and "oops" in m for m in messages) is logged
        wrapper.processEnded(Failure(error.ProcessDone(0)))
        assert proto.events[:2] == ["made", ("data", b"out")]
        assert proto.events[2][1].check(error.ConnectionDone)
        assert not proto.events[2][1].check(error.ProcessDone)
    proto = Recording()
    wrapper = _WrapIProtocol(proto, "p", StandardErrorBehavior.LOG)
    wrapper.makeConnection(FakeProcess())
    wrapper.processEnded(Failure(error.ProcessTerminated(2)))
    assert proto.events[-1][1].value.exitCode == 2


def test_endpointTransportForwards() -> None:
    """The stream protocol's transport forwards every call to the process."""
    process = FakeProcess()
    t = _ProcessEndpointTransport(process)
    assert t.pid == 1234 and t.disconnecting is False
    t.write(b"a")
    t.writeSequence([b"b"])
    t.closeStdin()
    t.closeStdout()
    t.closeStderr()
    t.closeChildFD(3)
    t.writeToChild(3, b"c")
    t.signalProcess("TERM")
    t.pauseProducing()
    t.resumeProducing()
    t.registerProducer("p", True)
    t.unregisterProducer()
    t.stopProducing()
    t.loseConnection()
    assert [c[0] for c in process.calls] == [
        "write", "writeSequence", "closeStdin", "closeStdout", "closeStderr", "closeChildFD",
        "writeToChild", "signalProcess", "pauseProducing", "resumeProducing",
        "registerProducer", "unregisterProducer", "stopProducing", "loseConnection",
    ]


# --- StandardIOEndpoint and "stdio:" -------------------------------------------------


def test_standardIOEndpointListens() -> None:
    """listen() builds a protocol for a PipeAddress and fires with the StandardIO."""
    made: list[Any] = []

    def fakeStdio(proto: Any, reactor: Any) -> str:
        made.append((proto, reactor))
        return "the transport"

    reactor = object()
    endpoint = StandardIOEndpoint(reactor)
    endpoint._stdio = fakeStdio  # type: ignore[assignment]
    verifyObject(IStreamServerEndpoint, endpoint)
    addresses: list[Any] = []

    class F(Factory[Recording]):
        def buildProtocol(self, addr: Any) -> Recording:
            addresses.append(addr)
            return Recording()

    assert successResultOf(endpoint.listen(F())) == "the transport"
    assert isinstance(addresses[0], PipeAddress) and made[0][1] is reactor


def test_standardIOEndpointFailure() -> None:
    """An exception from StandardIO fails the Deferred."""
    endpoint = StandardIOEndpoint(object())

    def broken(proto: Any, reactor: Any) -> None:
        raise OSError(9, "Bad file descriptor")

    endpoint._stdio = broken  # type: ignore[assignment]
    failureResultOf(endpoint.listen(Factory.forProtocol(Recording)), OSError)


@pytest.mark.parametrize("description", ["stdio:", "stdio", "STDIO:"])
def test_stdioServerString(description: str) -> None:
    """'stdio:' gives a StandardIOEndpoint on the given reactor."""
    reactor = object()
    endpoint = serverFromString(reactor, description)
    assert isinstance(endpoint, StandardIOEndpoint) and endpoint._reactor is reactor


def test_stdioServerStringTakesNoArguments() -> None:
    """Arguments to 'stdio:' are refused, naming them (Twisted ignores them)."""
    with pytest.raises(TypeError, match=r"stdio takes no arguments, got \['x', 'mode'\] in endpoint description"):
        serverFromString(object(), "stdio:x:mode=1")
