"""plait's TCP against peers nobody here wrote: socat, CPython's socketserver,
a CPython blocking client, and a peer that resets the connection.

socat is started in its own session (``start_new_session=True``) on a port
that was free a moment ago, polled until it accepts, and stopped by
signalling every process of its group (socat forks a child per connection,
and a child outlives its parent).  Recipes: reference/real-peers.md §3-4.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import signal
import socket
import socketserver
import struct
import subprocess
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from zope.interface import implementer

from plait import error
from plait.defer import Deferred
from plait.failure import Failure
from plait.interfaces import IHalfCloseableProtocol
from plait.protocol import ClientFactory, Factory, Protocol
from tests.helpers import runUntil

SOCAT = shutil.which("socat")


def _groupMembers(pgid: int) -> list[int]:
    """Live pids whose process group is ``pgid`` (children re-parented to init included)."""
    pids = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as f:
                stat = f.read()
        except OSError:
            continue
        fields = stat[stat.rindex(b")") + 2 :].split()
        if int(fields[2]) == pgid and fields[0] != b"Z":
            pids.append(int(entry))
    return pids


def _stopGroup(process: subprocess.Popen[bytes]) -> None:
    members = set(_groupMembers(process.pid))
    for pid in sorted(members - {process.pid}):  # children first
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    with contextlib.suppress(ProcessLookupError):
        os.kill(process.pid, signal.SIGTERM)
    try:
        process.wait(5)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)
    deadline = time.monotonic() + 5
    while (left := [p for p in _groupMembers(process.pid) if p in members]) and time.monotonic() < deadline:
        time.sleep(0.01)
    for pid in left:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _freePort(family: int, host: str) -> int:
    with socket.socket(family) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def socatPeer(listen: str, action: str, host: str, *options: str) -> Iterator[int]:
    """Run ``socat [options] <listen>:PORT,bind=...,reuseaddr,fork <action>``; yield PORT."""
    assert SOCAT is not None, "socat is required (apt-get install socat; see .ci/run)"
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    bind = f"[{host}]" if family == socket.AF_INET6 else host
    for attempt in range(3):
        port = _freePort(family, host)
        argv = [SOCAT, *options, f"{listen}:{port},bind={bind},reuseaddr,fork", action]
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            deadline = time.monotonic() + 10
            while process.poll() is None and time.monotonic() < deadline:
                try:
                    socket.create_connection((host, port), timeout=1).close()
                    break
                except OSError:
                    time.sleep(0.005)
            else:
                continue  # exited (lost the port race) or never came up: next port
            yield port
            return
        finally:
            _stopGroup(process)
    raise AssertionError(f"socat did not start: {argv}")


@implementer(IHalfCloseableProtocol)
class HalfCloseClient(Protocol):
    """Sends ``payload``, half-closes, collects the reply until the peer's EOF."""

    def __init__(self, payload: bytes) -> None:
        self.payload = payload
        self.digest = hashlib.sha256()
        self.received = 0
        self.events: list[str] = []
        self.lost: Deferred[None] = Deferred()
        self.reason: Failure | None = None

    def connectionMade(self) -> None:
        for start in range(0, len(self.payload), 100_000):
            self.transport.write(self.payload[start : start + 100_000])
        self.transport.loseWriteConnection()

    def dataReceived(self, data: bytes) -> None:
        self.digest.update(data)
        self.received += len(data)

    def writeConnectionLost(self) -> None:
        self.events.append("writeConnectionLost")

    def readConnectionLost(self) -> None:
        self.events.append("readConnectionLost")
        self.transport.loseConnection()

    def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
        self.reason = reason
        self.lost.callback(None)


def _connect(reactor: Any, host: str, port: int, protocol: Protocol) -> Any:
    factory: ClientFactory[Any] = ClientFactory()
    factory.noisy = False
    factory.buildProtocol = lambda addr: protocol  # type: ignore[method-assign]
    return reactor.connectTCP(host, port, factory)


@pytest.mark.parametrize(("listen", "host"), [("TCP4-LISTEN", "127.0.0.1"), ("TCP6-LISTEN", "::1")])
def test_socatEchoWithHalfClose(reactor: Any, listen: str, host: str) -> None:
    """4 MiB through socat's echo comes back intact; our half-close ends the echo."""
    payload = os.urandom(4 * 1024 * 1024)
    client = HalfCloseClient(payload)
    with socatPeer(listen, "EXEC:cat", host) as port:
        _connect(reactor, host, port, client)
        runUntil(reactor, client.lost, timeout=30)
    assert client.received == len(payload)
    assert client.digest.hexdigest() == hashlib.sha256(payload).hexdigest()
    assert client.events == ["writeConnectionLost", "readConnectionLost"]
    assert client.reason is not None
    assert client.reason.getErrorMessage() == "Connection was closed cleanly: Connection done."


class Collector(Protocol):
    def __init__(self) -> None:
        self.data = b""
        self.lost: Deferred[None] = Deferred()
        self.reason: Failure | None = None

    def dataReceived(self, data: bytes) -> None:
        self.data += data

    def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
        self.reason = reason
        self.lost.callback(None)


def test_peerAcceptsThenCloses(reactor: Any) -> None:
    """A peer that closes right after accepting gives connectionLost(ConnectionDone)."""
    client = Collector()
    with socatPeer("TCP4-LISTEN", "EXEC:true", "127.0.0.1", "-t", "0") as port:
        _connect(reactor, "127.0.0.1", port, client)
        runUntil(reactor, client.lost)
    assert client.reason is not None and client.reason.check(error.ConnectionDone)


def test_peerResets(reactor: Any) -> None:
    """A peer that resets the connection gives connectionLost(ConnectionLost)."""
    client = Collector()
    made: Deferred[None] = Deferred()
    client.connectionMade = lambda: made.callback(None)  # type: ignore[method-assign]
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        _connect(reactor, "127.0.0.1", listener.getsockname()[1], client)
        runUntil(reactor, made)
        accepted, _ = listener.accept()
        accepted.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        accepted.close()
        runUntil(reactor, client.lost)
    assert client.reason is not None
    assert client.reason.check(error.ConnectionLost)
    assert client.reason.getErrorMessage() == (
        "Connection to the other side was lost in a non-clean fashion."
    )


class _UpperLines(socketserver.StreamRequestHandler):
    def handle(self) -> None:
        for line in self.rfile:
            self.wfile.write(line.upper())


class _Server(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


def test_socketserverPeer(reactor: Any) -> None:
    """plait's client talks to CPython's socketserver (in a thread) line by line."""
    server = _Server(("127.0.0.1", 0), _UpperLines)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        client = Collector()
        lines = b"".join(b"line %d\n" % i for i in range(1000))
        answered: Deferred[None] = Deferred()

        def dataReceived(data: bytes) -> None:
            Collector.dataReceived(client, data)
            if len(client.data) == len(lines) and not answered.called:
                answered.callback(None)

        client.dataReceived = dataReceived  # type: ignore[method-assign]
        client.connectionMade = lambda: client.transport.write(lines)  # type: ignore[method-assign]
        _connect(reactor, "127.0.0.1", server.server_address[1], client)
        runUntil(reactor, answered)
        assert client.data == lines.upper()
        client.transport.loseConnection()
        runUntil(reactor, client.lost)
        assert client.reason is not None and client.reason.check(error.ConnectionDone)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)


@implementer(IHalfCloseableProtocol)
class UpperEcho(Protocol):
    """Upper-cases what it receives; closes once the client has finished sending."""

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data.upper())

    def readConnectionLost(self) -> None:
        self.transport.loseConnection()

    def writeConnectionLost(self) -> None:
        pass

    def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
        self.factory.gone.callback(None)


def test_blockingClientPeer(reactor: Any) -> None:
    """A CPython blocking client (in a thread) sends, half-closes and reads our reply."""
    factory = Factory.forProtocol(UpperEcho)
    factory.noisy = False
    factory.gone = Deferred()  # type: ignore[attr-defined]
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    payload = bytes(range(97, 123)) * 40000  # ~1 MiB of lowercase letters
    result: Deferred[bytes] = Deferred()

    def blockingClient() -> None:
        try:
            with socket.create_connection(("127.0.0.1", port.getHost().port), timeout=10) as s:
                sender = threading.Thread(target=lambda: (s.sendall(payload), s.shutdown(socket.SHUT_WR)))
                sender.start()
                chunks = []
                while chunk := s.recv(65536):
                    chunks.append(chunk)
                sender.join()
            reactor.callFromThread(result.callback, b"".join(chunks))
        except BaseException as e:  # noqa: BLE001 -- report it, never hang the test
            reactor.callFromThread(result.errback, Failure(e))

    thread = threading.Thread(target=blockingClient)
    thread.start()
    try:
        reply = runUntil(reactor, result, timeout=30)
    finally:
        thread.join(10)
    assert reply == payload.upper()
    runUntil(reactor, factory.gone)  # type: ignore[attr-defined]
    runUntil(reactor, port.stopListening())
