"""plait.trace on a real loop: real sockets on loopback, real polls, real threads.

In-process tests trace a ``SelectorReactor`` (the ``reactor`` fixture) and
check the JSON records against what independently happened: the bytes a
CPython ``socketserver`` peer received and sent, the lanes of a plait server
and client, timers, Deferred callbacks, thread-pool calls and triggers.
Subprocess tests run ``python -m plait.trace`` the way the README says: on
the examples, under the compatibility mode, with ``PLAIT_TRACE=1``, with
filters, and with bad arguments.
"""

from __future__ import annotations

import io
import json
import os
import socketserver
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plait import trace
from plait.defer import Deferred, gatherResults
from plait.endpoints import TCP4ClientEndpoint, connectProtocol
from plait.protocol import Factory, Protocol
from plait.threads import deferToThreadPool
from tests.helpers import runUntil
from tests.integration.test_examples import ENV, EXAMPLES, ROOT, Server

TIMEOUT = 30


def _events(out: io.StringIO | str) -> list[dict[str, Any]]:
    text = out.getvalue() if isinstance(out, io.StringIO) else out
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _labels(records: list[dict[str, Any]]) -> dict[str, str]:
    return {r["lane"]: r["label"] for r in records if r["kind"] == "lane"}


def _sum(records: list[dict[str, Any]], lane: str, field: str) -> int:
    """A field summed over the outermost events of a lane (nested ones are inside them)."""
    return sum(r.get(field, 0) for r in records if r.get("lane") == lane and r.get("depth") == 0)


# -- in-process: bytes against an independent peer -------------------------------------


class _UpperHandler(socketserver.BaseRequestHandler):
    """CPython's socketserver: answer every chunk in upper case, count both ways."""

    def handle(self) -> None:
        server: Any = self.server
        while True:
            data = self.request.recv(65536)
            if not data:
                return
            server.received += len(data)
            server.sent += len(data)  # counted first: the client may see it before sendall returns
            self.request.sendall(data.upper())


@pytest.fixture
def upperServer() -> Iterator[Any]:
    server: Any = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _UpperHandler)
    server.daemon_threads = True
    server.received = server.sent = 0
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=10)


class _Talker(Protocol):
    """Writes twice on connect, hangs up once everything came back."""

    def __init__(self) -> None:
        self.received = b""
        self.lost: Deferred[None] = Deferred()

    def connectionMade(self) -> None:
        self.transport.write(b"hello")
        self.transport.write(b" world")

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        if len(self.received) == 11:
            self.transport.loseConnection()

    def connectionLost(self, reason: Any) -> None:
        self.lost.callback(None)


def test_bytesMovedMatchWhatThePeerSaw(reactor: Any, upperServer: Any) -> None:
    """Each byte a doRead/doWrite/flush moved is counted once, and the counts
    equal what CPython's socketserver received and sent."""
    out = io.StringIO()
    trace.enable(out, format="json", reactor=reactor)
    try:
        talker = _Talker()
        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", upperServer.server_address[1])
        runUntil(reactor, connectProtocol(endpoint, talker), TIMEOUT)
        runUntil(reactor, talker.lost, TIMEOUT)
    finally:
        trace.disable()
    assert talker.received == b"HELLO WORLD"
    records = _events(out)
    (lane,) = [name for name, label in _labels(records).items() if label.startswith("_Talker")]
    assert _sum(records, lane, "bytesOut") == upperServer.received == 11
    assert _sum(records, lane, "bytesIn") == upperServer.sent == 11
    writes = [r["bytes"] for r in records if r["kind"] == "io" and r["name"] == "write"]
    assert writes == [5, 6]
    reads = [r for r in records if r["name"] == "doRead" and r["lane"] == lane]
    assert reads and all(r["kind"] == "io" and r["fd"] >= 0 for r in reads)
    assert reads[-1].get("returned") == "ConnectionDone" or any(
        r["name"] == "connectionLost" and r["reason"] == "Failure(ConnectionDone)" for r in records
    )


# -- in-process: every kind of event, and nothing left behind ----------------------------


class _Doubler(Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data * 2)

    def connectionLost(self, reason: Any) -> None:
        self.factory.lost.callback(None)


class _Asker(Protocol):
    def __init__(self) -> None:
        self.done: Deferred[bytes] = Deferred()
        self.got = b""

    def dataReceived(self, data: bytes) -> None:
        self.got += data
        if len(self.got) == 4:
            self.transport.loseConnection()

    def connectionLost(self, reason: Any) -> None:
        self.done.callback(self.got)


def test_everyKindOfEventOnARealLoop(reactor: Any) -> None:
    out = io.StringIO()
    poller = reactor._poller
    pollBefore = dict(vars(poller))
    trace.enable(out, format="json", reactor=reactor)
    try:
        serverFactory = Factory.forProtocol(_Doubler)
        serverFactory.lost = Deferred()  # type: ignore[attr-defined]
        port = reactor.listenTCP(0, serverFactory, interface="127.0.0.1")
        portNumber = port.getHost().port
        asker = _Asker()

        def gotProtocol(p: _Asker) -> None:
            reactor.callLater(0.01, p.transport.write, b"ab")

        endpoint = TCP4ClientEndpoint(reactor, "127.0.0.1", portNumber)
        connectProtocol(endpoint, asker).addCallback(gotProtocol)
        assert runUntil(reactor, asker.done, TIMEOUT) == b"abab"
        runUntil(reactor, serverFactory.lost, TIMEOUT)  # type: ignore[attr-defined]
        counted = deferToThreadPool(reactor, reactor.getThreadPool(), len, b"xyz")
        assert runUntil(reactor, counted, TIMEOUT) == 3
        runUntil(reactor, gatherResults([port.stopListening()]), TIMEOUT)
    finally:
        trace.disable()
    records = _events(out)
    kinds = {r["kind"] for r in records}
    assert kinds == {"lane", "poll", "io", "protocol", "factory", "timer", "deferred", "thread", "trigger"}

    labels = _labels(records)
    listen = [lane for lane in labels if lane.startswith("listen")]
    assert listen == ["listen 1"]
    assert labels["listen 1"] == f"Factory listening on 127.0.0.1:{portNumber}"
    assert any(label.startswith("_Asker, peer 127.0.0.1:") for label in labels.values())
    assert any(label.startswith("_Doubler, peer 127.0.0.1:") for label in labels.values())
    accepts = [r for r in records if r["lane"] == "listen 1" and r["name"] == "doRead"]
    assert sum(r.get("accepted", 0) for r in accepts) == 1

    polls = [r for r in records if r["kind"] == "poll"]
    assert all(r["name"] == poller.name and "timeout" in r and r["dur"] >= 0 for r in polls)
    assert any(r["ready"] >= 1 and any(f.startswith("conn ") for f in r["fds"]) for r in polls)
    assert all(r["ready"] == len(r["fds"]) for r in polls)

    timers = [r for r in records if r["kind"] == "timer" and r["func"] == "Client.write"]
    (timer,) = timers
    assert "test_everyKindOfEventOnARealLoop.gotProtocol" in timer["scheduledBy"]
    assert timer["delay"] == 0.01 and timer["lane"].startswith("conn ")
    # A write from a timer is buffered; the flush the transport scheduled sends it.
    assert "bytesOut" not in timer
    flush = next(r for r in records if r["kind"] == "timer" and r["t"] > timer["t"] and r["lane"] == timer["lane"])
    assert flush["func"] == "Client._flushFromLoop" and flush["bytesOut"] == 2
    assert flush["scheduledBy"].startswith("plait.abstract.FileDescriptor._scheduleFlush:")

    callbacks = [r for r in records if r["kind"] == "deferred" and r["func"].endswith("gotProtocol")]
    assert [(r["arg"], r["result"]) for r in callbacks] == [("_Asker", "NoneType")]

    threadEvents = [(r["name"], r["lane"]) for r in records if r["kind"] == "thread"]
    assert ("queue", "reactor") in threadEvents and ("run", "threads") in threadEvents
    assert ("callFromThread", "threads") in threadEvents and ("runFromThread", "threads") in threadEvents
    run = next(r for r in records if r["kind"] == "thread" and r["name"] == "run")
    assert run["func"] == "len" and run["result"] == "int" and run["thread"].startswith("PoolThread")

    startup = [r for r in records if r["kind"] == "trigger" and r.get("event") == "startup"]
    assert startup[0]["name"] == "fire"
    assert any(r["name"] == "call" and r["phase"] == "during" for r in startup)

    protocolNames = {(r["protocol"], r["name"]) for r in records if r["kind"] == "protocol"}
    assert {("_Asker", "connectionMade"), ("_Asker", "dataReceived"), ("_Asker", "connectionLost"),
            ("_Doubler", "dataReceived"), ("_Doubler", "connectionLost")} <= protocolNames
    factoryNames = {(r["factory"], r["name"]) for r in records if r["kind"] == "factory"}
    assert ("Factory", "buildProtocol") in factoryNames

    # Zero cost when off: the reactor and its poller carry no probe any more.
    assert {"callLater", "callFromThread", "fireSystemEvent"}.isdisjoint(vars(reactor))
    assert dict(vars(poller)) == pollBefore


def test_badCallLaterArgumentsFailAsWhenUntraced(reactor: Any) -> None:
    trace.enable(io.StringIO(), reactor=reactor)
    try:
        with pytest.raises(AssertionError, match="is not callable"):
            reactor.callLater(1, "nope")
        with pytest.raises(AssertionError, match="is not greater than or equal to 0"):
            reactor.callLater(-1, print)
        with pytest.raises(AssertionError, match="is not callable"):
            reactor.callFromThread(None)
    finally:
        trace.disable()


# -- subprocesses: the command line ----------------------------------------------------------


def _trace(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "plait.trace", *args], cwd=ROOT, capture_output=True,
        text=True, timeout=TIMEOUT, env=env or ENV, check=False,
    )


def test_commandTracesTheGreeterExample(server: Server, tmp_path: Path) -> None:
    """python -m plait.trace --format json -o FILE examples/greeter.py HOST PORT"""
    path = tmp_path / "trace.jsonl"
    result = _trace("--format", "json", "-o", str(path), str(EXAMPLES / "greeter.py"), "127.0.0.1", server.port)
    assert result.returncode == 0, result.stderr
    assert "echo: MESSAGE Hello" in result.stdout  # the program's own output is untouched
    records = _events(path.read_text())
    assert _labels(records)["conn 1"] == f"Greeter, peer 127.0.0.1:{server.port}"
    fired = {(r["func"], r["scheduledBy"].rsplit(":", 1)[0]) for r in records if r["kind"] == "timer"}
    assert ("Greeter.sendMessage", "__main__.gotProtocol") in fired
    assert ("Client.loseConnection", "__main__.gotProtocol") in fired
    assert any(r["kind"] == "deferred" and r["func"] == "gotProtocol" for r in records)
    received = [r["bytes"] for r in records if r["name"] == "dataReceived" and r["protocol"] == "Greeter"]
    assert b"".join([b"x"] * sum(received)) and sum(received) == len(
        "Hello from the howto server\necho: MESSAGE Hello\necho: MESSAGE This is sent in a second\n"
    )
    shutdown = [r.get("func") for r in records if r["kind"] == "trigger" and r.get("event") == "shutdown"]
    assert "SelectorReactor.disconnectAll" in shutdown


def test_textGoesToStderrByDefault(server: Server) -> None:
    result = _trace(str(EXAMPLES / "greeter.py"), "127.0.0.1", server.port)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    assert any(" poll epoll timeout=" in line for line in lines)
    assert any("conn 1    is Greeter, peer 127.0.0.1:" in line for line in lines)
    made = next(line for line in lines if "protocol connectionMade protocol=Greeter" in line)
    assert made.split()[0].replace(".", "").isdigit()


def test_filtersByKindAndConnection(server: Server) -> None:
    result = _trace("--format", "json", "--kind", "protocol,io", "--conn", "1",
                    str(EXAMPLES / "greeter.py"), "127.0.0.1", server.port)
    assert result.returncode == 0, result.stderr
    records = _events(result.stderr)
    assert records and {r["lane"] for r in records} == {"conn 1"}
    assert {r["kind"] for r in records} == {"lane", "protocol", "io"}


TWISTED_PROGRAM = """\
import sys
from twisted.internet import protocol, reactor, threads


class Hello(protocol.Protocol):
    def connectionMade(self):
        self.transport.write(b"hi\\n")

    def dataReceived(self, data):
        threads.deferToThread(len, data).addCallback(self.counted)

    def counted(self, n):
        print("counted", n)
        self.transport.loseConnection()


class HelloFactory(protocol.ClientFactory):
    protocol = Hello

    def clientConnectionLost(self, connector, reason):
        reactor.stop()

    clientConnectionFailed = clientConnectionLost


reactor.connectTCP("127.0.0.1", int(sys.argv[1]), HelloFactory())
reactor.run()
"""


@pytest.mark.parametrize("how", [["--compat"], ["-m", "plait.compat"]])
def test_compatibilityModeTracesATwistedProgram(server: Server, tmp_path: Path, how: list[str]) -> None:
    """An unchanged Twisted program, traced: its classes, its thread call, its shutdown."""
    program = tmp_path / "hello_twisted.py"
    program.write_text(TWISTED_PROGRAM)
    result = _trace("--format", "json", *how, str(program), server.port)
    assert result.returncode == 0, result.stderr
    assert "counted" in result.stdout
    records = _events(result.stderr)
    assert ("HelloFactory", "clientConnectionLost") in {
        (r.get("factory"), r["name"]) for r in records if r["kind"] == "factory"
    }
    assert any(r["kind"] == "protocol" and r["protocol"] == "Hello" and r["name"] == "dataReceived" for r in records)
    assert any(r["kind"] == "deferred" and r["func"] == "Hello.counted" for r in records)
    assert any(r["kind"] == "thread" and r["name"] == "run" and r["func"] == "len" for r in records)


def test_environmentVariableTracesAnyProgram(server: Server, tmp_path: Path) -> None:
    """PLAIT_TRACE=1 traces a program run the ordinary way, and one run through plait.compat."""
    env = {**ENV, "PLAIT_TRACE": "1"}
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "greeter.py"), "127.0.0.1", server.port], cwd=ROOT,
        capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "protocol dataReceived protocol=Greeter" in result.stderr
    program = tmp_path / "hello_twisted.py"
    program.write_text(TWISTED_PROGRAM)
    path = tmp_path / "t.jsonl"
    env.update(PLAIT_TRACE_FORMAT="json", PLAIT_TRACE_FILE=str(path), PLAIT_TRACE_KINDS="protocol")
    result = subprocess.run(
        [sys.executable, "-m", "plait.compat", str(program), server.port], cwd=ROOT,
        capture_output=True, text=True, timeout=TIMEOUT, env=env, check=False,
    )
    assert result.returncode == 0, result.stderr
    assert {r["protocol"] for r in _events(path.read_text()) if r["kind"] == "protocol"} == {"Hello"}


def test_exitStatusIsKeptAndTheTraceWritten(tmp_path: Path) -> None:
    program = tmp_path / "quits.py"
    program.write_text(
        "import sys\nfrom plait import reactor\n"
        "reactor.callWhenRunning(reactor.stop)\nreactor.run()\nsys.exit(3)\n"
    )
    path = tmp_path / "t.jsonl"
    result = _trace("--format", "json", "-o", str(path), str(program))
    assert result.returncode == 3, result.stderr
    assert any(r.get("event") == "shutdown" for r in _events(path.read_text()))


def test_badArgumentsAreUsageErrors(tmp_path: Path) -> None:
    result = _trace("--kind", "nope", str(EXAMPLES / "greeter.py"))
    assert result.returncode == 2 and "unknown trace kind 'nope'" in result.stderr
    result = _trace(str(tmp_path / "missing.py"))
    assert result.returncode == 2 and "no such program" in result.stderr
    result = _trace()
    assert result.returncode == 2 and "give a program to run" in result.stderr


def test_environmentIsUntouchedWithoutTheVariable() -> None:
    """Without PLAIT_TRACE, installing the reactor does not even import plait.trace."""
    env = {k: v for k, v in ENV.items() if not k.startswith("PLAIT_TRACE")}
    code = "import sys; from plait import reactor; print('plait.trace' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=TIMEOUT, check=True, cwd=os.fspath(ROOT))
    assert result.stdout.strip() == "False"
