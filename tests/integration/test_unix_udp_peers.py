"""plait's UNIX and UDP transports against a peer nobody here wrote: socat.

Both directions for each transport: socat as the server (an echo: ``EXEC:cat``
for streams, ``PIPE`` for datagrams) with a plait client, and socat as the
client (started with plait's own ``spawnProcess``, fed on its stdin) with a
plait server.  socat runs in its own session and every process of its group
is stopped afterwards (a forked child outlives its parent).  Recipes:
reference/real-peers.md §3.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from zope.interface import implementer

from plait.defer import Deferred
from plait.failure import Failure
from plait.interfaces import IHalfCloseableProtocol
from plait.protocol import (
    ClientFactory,
    ConnectedDatagramProtocol,
    DatagramProtocol,
    Factory,
    Protocol,
)
from tests.helpers import runUntil
from tests.integration.procs import spawnAndWait
from tests.integration.test_tcp_peers import _stopGroup

SOCAT = shutil.which("socat")


@contextlib.contextmanager
def socat(*argv: str, ready: Any) -> Iterator[subprocess.Popen[bytes]]:
    """Run socat with ``argv`` in its own session until ``ready()`` is true; stop it after."""
    assert SOCAT is not None, "socat is required (apt-get install socat; see .ci/run)"
    process = subprocess.Popen(
        [SOCAT, *argv], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 10
        while not ready():
            if process.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"socat did not start: {argv}")
            time.sleep(0.005)
        yield process
    finally:
        _stopGroup(process)


def _unixReady(address: str) -> Any:
    def ready() -> bool:
        with socket.socket(socket.AF_UNIX) as s:
            return s.connect_ex(address) == 0
    return ready


def _freeUDPPort(family: int, host: str) -> int:
    with socket.socket(family, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def _udpEchoReady(family: int, host: str, port: int) -> Any:
    def ready() -> bool:
        with socket.socket(family, socket.SOCK_DGRAM) as s:
            s.settimeout(0.05)
            try:
                s.sendto(b"probe", (host, port))
                return s.recv(10) == b"probe"
            except OSError:
                return False
    return ready


@implementer(IHalfCloseableProtocol)
class Streamer(Protocol):
    """Sends ``size`` pseudo-random bytes, half-closes, digests what comes back."""

    def __init__(self, size: int) -> None:
        self.payload = os.urandom(size)
        self.digest = hashlib.sha256()
        self.received = 0
        self.done: Deferred[None] = Deferred()

    def connectionMade(self) -> None:
        self.transport.write(self.payload)
        self.transport.loseWriteConnection()

    def dataReceived(self, data: bytes) -> None:
        self.digest.update(data)
        self.received += len(data)

    def readConnectionLost(self) -> None:
        self.transport.loseConnection()

    def writeConnectionLost(self) -> None:
        pass

    def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
        self.done.callback(None)


@pytest.mark.parametrize("abstract", [False, True], ids=["path", "abstract"])
def test_unixStreamClientAgainstSocat(reactor: Any, tmp_path: Path, abstract: bool) -> None:
    """1 MiB through socat's UNIX echo comes back intact, after a half-close."""
    if abstract:
        if not sys.platform.startswith("linux"):
            pytest.skip("the abstract namespace is Linux's")
        name = f"plait-socat-{os.getpid()}-{tmp_path.name}"
        address, listen = "\0" + name, f"ABSTRACT-LISTEN:{name},fork"
    else:
        address = str(tmp_path / "echo.sock")
        listen = f"UNIX-LISTEN:{address},fork,unlink-early"
    with socat(listen, "EXEC:cat", ready=_unixReady(address)):
        proto = Streamer(1024 * 1024)
        factory = ClientFactory()
        factory.buildProtocol = lambda addr: proto  # type: ignore[method-assign]
        reactor.connectUNIX(address, factory)
        runUntil(reactor, proto.done, timeout=20)
    assert proto.received == len(proto.payload)
    assert proto.digest.digest() == hashlib.sha256(proto.payload).digest()


class Upper(Protocol):
    def __init__(self) -> None:
        self.lost: Deferred[None] = Deferred()

    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data.upper())

    def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
        self.lost.callback(None)


def test_unixStreamServerWithSocatClient(reactor: Any, tmp_path: Path) -> None:
    """socat connects to a plait listenUNIX server and prints its answer."""
    assert SOCAT is not None
    path = str(tmp_path / "server.sock")
    served: list[Upper] = []

    class Served(Factory):
        def buildProtocol(self, addr: Any) -> Upper:
            served.append(Upper())
            return served[-1]

    port = reactor.listenUNIX(path, Served())

    def feed(transport: Any) -> None:
        transport.write(b"hello from socat\n")
        transport.closeStdin()

    proto = spawnAndWait(reactor, SOCAT, [SOCAT, "-t", "2", "-", f"UNIX-CONNECT:{path}"],
                         onMade=feed, timeout=20)
    assert proto.out == b"HELLO FROM SOCAT\n", proto.err
    runUntil(reactor, served[0].lost)
    runUntil(reactor, port.stopListening())


class Collect(DatagramProtocol):
    def __init__(self) -> None:
        self.received: list[tuple[bytes, Any]] = []
        self.count: Deferred[None] = Deferred()
        self.want = 0

    def datagramReceived(self, datagram: bytes, addr: Any) -> None:
        self.received.append((datagram, addr))
        if len(self.received) >= self.want and not self.count.called:
            self.count.callback(None)


@pytest.mark.parametrize(("family", "host", "kind"), [
    (socket.AF_INET, "127.0.0.1", "UDP4"), (socket.AF_INET6, "::1", "UDP6")], ids=["ipv4", "ipv6"])
def test_udpClientAgainstSocat(reactor: Any, family: int, host: str, kind: str) -> None:
    """Datagrams of 1 to 60000 bytes come back intact from socat's UDP echo."""
    port = _freeUDPPort(family, host)
    bind = f"[{host}]" if family == socket.AF_INET6 else host
    with socat("-b", "65536", f"{kind}-RECVFROM:{port},bind={bind},fork", "PIPE",
               ready=_udpEchoReady(family, host, port)):
        proto = Collect()
        proto.want = 3
        listening = reactor.listenUDP(0, proto, interface=host, maxPacketSize=65536)
        sizes = [1, 1400, 60000]
        payloads = [os.urandom(n) for n in sizes]
        for count, payload in enumerate(payloads, 1):  # paced: socat forks a child per datagram
            listening.write(payload, (host, port))
            runUntil(reactor, _until(reactor, lambda count=count: len(proto.received) >= count))
        assert [d for d, _ in proto.received] == payloads
        assert all(addr == (host, port) for _, addr in proto.received)
        runUntil(reactor, listening.stopListening())


def _until(reactor: Any, condition: Any, step: float = 0.005) -> Deferred[None]:
    d: Deferred[None] = Deferred()

    def check() -> None:
        if condition():
            d.callback(None)
        else:
            reactor.callLater(step, check)

    check()
    return d


@pytest.mark.parametrize(("host", "kind"), [("127.0.0.1", "UDP4"), ("::1", "UDP6")], ids=["ipv4", "ipv6"])
def test_udpServerWithSocatClient(reactor: Any, host: str, kind: str) -> None:
    """socat sends a datagram to a plait listenUDP server and prints the reply."""
    assert SOCAT is not None

    class UpperUDP(DatagramProtocol):
        def datagramReceived(self, datagram: bytes, addr: Any) -> None:
            self.transport.write(datagram.upper(), addr)

    listening = reactor.listenUDP(0, UpperUDP(), interface=host)
    target = f"[{host}]" if ":" in host else host

    def feed(transport: Any) -> None:
        transport.write(b"datagram from socat\n")
        transport.closeStdin()

    proto = spawnAndWait(
        reactor, SOCAT, [SOCAT, "-t", "0.5", "-", f"{kind}-SENDTO:{target}:{listening.getHost().port}"],
        onMade=feed, timeout=20)
    assert proto.out == b"DATAGRAM FROM SOCAT\n", proto.err
    runUntil(reactor, listening.stopListening())


class Connected(ConnectedDatagramProtocol):
    def __init__(self) -> None:
        self.received: list[bytes] = []

    def datagramReceived(self, datagram: bytes) -> None:  # type: ignore[override]
        self.received.append(datagram)


def test_unixDatagramClientAgainstSocat(reactor: Any, tmp_path: Path) -> None:
    """connectUNIXDatagram to socat's UNIX datagram echo: the datagram comes back."""
    serverPath, clientPath = str(tmp_path / "echo.sock"), str(tmp_path / "me.sock")

    def ready() -> bool:
        return os.path.exists(serverPath)

    with socat(f"UNIX-RECVFROM:{serverPath},fork", "PIPE", ready=ready):
        proto = Connected()
        port = reactor.connectUNIXDatagram(serverPath, proto, bindAddress=clientPath)
        port.write(b"unix datagram")
        runUntil(reactor, _until(reactor, lambda: bool(proto.received)), timeout=10)
        assert proto.received == [b"unix datagram"]
        runUntil(reactor, port.stopListening())


def test_unixDatagramServerWithSocatClient(reactor: Any, tmp_path: Path) -> None:
    """socat sends to a plait listenUNIXDatagram server from its own named socket
    and prints the reply."""
    assert SOCAT is not None
    serverPath, clientPath = str(tmp_path / "server.sock"), str(tmp_path / "socat.sock")

    class UpperDgram(DatagramProtocol):
        def datagramReceived(self, datagram: bytes, addr: Any) -> None:
            self.transport.write(datagram.upper(), addr)

    listening = reactor.listenUNIXDatagram(serverPath, UpperDgram())

    def feed(transport: Any) -> None:
        transport.write(b"unix datagram from socat\n")
        transport.closeStdin()

    proto = spawnAndWait(
        reactor, SOCAT,
        [SOCAT, "-t", "0.5", "-", f"UNIX-SENDTO:{serverPath},bind={clientPath}"],
        onMade=feed, timeout=20)
    assert proto.out == b"UNIX DATAGRAM FROM SOCAT\n", proto.err
    runUntil(reactor, listening.stopListening())
