"""Passing descriptors over UNIX stream connections (SCM_RIGHTS).

``sendFileDescriptor`` on one side, ``fileDescriptorReceived`` on the other:
between two plait transports in one process, and with a second process
that uses only the standard library (``socket.send_fds``/``recv_fds``), in
both directions.  Each descriptor passed is a pipe or a file whose content
says which one it is, so a test can tell that the right one arrived, in
order.
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
from zope.interface import implementer

from plait import error
from plait.defer import Deferred
from plait.failure import Failure
from plait.interfaces import IFileDescriptorReceiver
from plait.protocol import ClientFactory, Factory, Protocol
from tests.helpers import runUntil


def _pipeSaying(text: bytes) -> tuple[int, int]:
    """A pipe whose read end yields ``text`` then EOF; returns (read end, write end)."""
    r, w = os.pipe()
    os.write(w, text)
    os.close(w)
    return r, -1


@implementer(IFileDescriptorReceiver)
class Receiver(Protocol):
    """Records ``("fd", what it reads)`` and ``("data", bytes)`` in order; closes each fd."""

    def __init__(self, expectBytes: int = 0) -> None:
        self.events: list[tuple[str, bytes]] = []
        self.expectBytes = expectBytes
        self.received = 0
        self.done: Deferred[None] = Deferred()
        self.lost: Deferred[None] = Deferred()
        self.reason: Failure | None = None

    def fileDescriptorReceived(self, descriptor: int) -> None:
        try:
            self.events.append(("fd", os.read(descriptor, 100)))
        finally:
            os.close(descriptor)

    def dataReceived(self, data: bytes) -> None:
        self.events.append(("data", data))
        self.received += len(data)
        if self.received >= self.expectBytes and not self.done.called:
            self.done.callback(None)

    def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
        self.reason = reason
        self.lost.callback(None)


class Sender(Protocol):
    """Runs ``plan(transport)`` on connect; records how the connection ended."""

    def __init__(self, plan: Any) -> None:
        self.plan = plan
        self.lost: Deferred[None] = Deferred()
        self.reason: Failure | None = None

    def connectionMade(self) -> None:
        self.plan(self.transport)

    def connectionLost(self, reason: Failure) -> None:  # type: ignore[override]
        self.reason = reason
        self.lost.callback(None)


def _pair(reactor: Any, path: str, client: Any, server: Any) -> Any:
    serverFactory = Factory()
    serverFactory.buildProtocol = lambda addr: server  # type: ignore[method-assign]
    clientFactory = ClientFactory()
    clientFactory.buildProtocol = lambda addr: client  # type: ignore[method-assign]
    port = reactor.listenUNIX(path, serverFactory)
    reactor.connectUNIX(path, clientFactory)
    return port


def _finish(reactor: Any, port: Any, *protocols: Any) -> None:
    for p in protocols:
        if p.transport is not None and not p.lost.called:
            p.transport.loseConnection()
    from plait.defer import gatherResults

    runUntil(reactor, gatherResults([p.lost for p in protocols]))
    runUntil(reactor, port.stopListening())


@pytest.fixture
def path(tmp_path: Path) -> str:
    return str(tmp_path / "fds.sock")


def test_descriptorsArriveInOrderBeforeTheirBytes(reactor: Any, path: str) -> None:
    """Two descriptors, each with one byte: each is handed over before the
    bytes it travelled with, in the order they were sent; every byte arrives."""
    first, _ = _pipeSaying(b"first")
    second, _ = _pipeSaying(b"second")

    def plan(t: Any) -> None:
        t.sendFileDescriptor(first)
        t.sendFileDescriptor(second)
        t.write(b"ab")
        t.write(b"cd")
        os.close(first)  # a duplicate was queued: ours may go at once
        os.close(second)

    server = Receiver(expectBytes=4)
    client = Sender(plan)
    port = _pair(reactor, path, client, server)
    runUntil(reactor, server.done)
    fds = [what for kind, what in server.events if kind == "fd"]
    assert fds == [b"first", b"second"]
    assert b"".join(what for kind, what in server.events if kind == "data") == b"abcd"
    # Each descriptor comes before the byte it carried: the first before any
    # byte, the second before "b".
    assert server.events[0] == ("fd", b"first")
    seen = b""
    for kind, what in server.events:
        if kind == "fd" and what == b"second":
            assert b"b" not in seen
        if kind == "data":
            seen += what
    _finish(reactor, port, client, server)


def test_bothDirections(reactor: Any, path: str) -> None:
    """The accepting side can send too, and the connecting side receive."""

    @implementer(IFileDescriptorReceiver)
    class ClientReceiver(Receiver):
        pass

    class ServerSender(Sender):
        pass

    reply, _ = _pipeSaying(b"from the server")

    def plan(t: Any) -> None:
        t.sendFileDescriptor(reply)
        t.write(b"!")

    client = ClientReceiver(expectBytes=1)
    server = ServerSender(plan)
    port = _pair(reactor, path, client, server)
    runUntil(reactor, client.done)
    assert client.events == [("fd", b"from the server"), ("data", b"!")]
    os.close(reply)
    _finish(reactor, port, client, server)


def test_moreDescriptorsThanBytesIsAnOverrun(reactor: Any, path: str) -> None:
    """Twisted's rule: a byte per descriptor, else FileDescriptorOverrun ends the connection."""
    a, _ = _pipeSaying(b"a")
    b, _ = _pipeSaying(b"b")

    def plan(t: Any) -> None:
        t.sendFileDescriptor(a)
        t.sendFileDescriptor(b)
        t.write(b"x")

    server = Receiver()
    client = Sender(plan)
    port = _pair(reactor, path, client, server)
    runUntil(reactor, client.lost)
    assert client.reason is not None and client.reason.check(error.FileDescriptorOverrun)
    os.close(a)
    os.close(b)
    _finish(reactor, port, client, server)


def test_descriptorsForAProtocolThatDoesNotWantThem(
    reactor: Any, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A protocol that is not an IFileDescriptorReceiver never gets the
    descriptor: it is closed (logged in Twisted's words when the receiving
    transport reads with recvmsg, discarded by the kernel when it does not)."""
    caplog.set_level(logging.INFO, logger="plait")

    class Plain(Sender):
        def __init__(self) -> None:
            super().__init__(lambda t: None)
            self.data = b""
            self.got: Deferred[None] = Deferred()

        def dataReceived(self, data: bytes) -> None:
            self.data += data
            if not self.got.called:
                self.got.callback(None)

    for receiverSends in (False, True):
        r, w = os.pipe()

        def plan(t: Any, r: int = r) -> None:
            t.sendFileDescriptor(r)
            t.write(b"x")
            os.close(r)

        server = Plain()
        if receiverSends:  # the receiver passes descriptors too: it reads with recvmsg
            mine, _ = _pipeSaying(b"unused")
            server.plan = lambda t, mine=mine: (t.sendFileDescriptor(mine), t.write(b"y"))
        client = Sender(plan)
        port = _pair(reactor, path, client, server)
        runUntil(reactor, server.got)
        assert server.data == b"x"
        # Every read end is closed now: writing to the pipe fails.
        with pytest.raises(BrokenPipeError):
            os.write(w, b"anybody?")
        os.close(w)
        if receiverSends:
            os.close(mine)
        _finish(reactor, port, client, server)
        closedAndLogged = sum(
            "does not provide IFileDescriptorReceiver; closing file descriptor received"
            in r.getMessage() for r in caplog.records)
        # Second round: the server's descriptor to the client (which sends
        # too, so reads with recvmsg) is closed and logged as well.
        assert closedAndLogged == (2 if receiverSends else 0)
        caplog.clear()


def test_descriptorsNeverSentAreClosed(reactor: Any, path: str) -> None:
    """A descriptor queued on a connection that ends first is closed, not leaked."""
    r, w = os.pipe()

    def plan(t: Any) -> None:
        t.sendFileDescriptor(r)  # no byte written: it waits
        os.close(r)
        t.loseConnection()

    server = Receiver()
    client = Sender(plan)
    port = _pair(reactor, path, client, server)
    runUntil(reactor, client.lost)
    with pytest.raises(BrokenPipeError):
        os.write(w, b"x")
    os.close(w)
    _finish(reactor, port, client, server)


# -- with another process -------------------------------------------------------------

CHILD_SENDER = textwrap.dedent("""
    # Standard library only: connect, send three descriptors in one message
    # (with one byte), then one more with another byte.
    import os, socket, sys
    paths = sys.argv[2:]
    files = [open(p, "rb") for p in paths]
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sys.argv[1])
        socket.send_fds(s, [b"A"], [f.fileno() for f in files[:3]])
        socket.send_fds(s, [b"B"], [files[3].fileno()])
        for f in files:
            f.close()
        s.shutdown(socket.SHUT_WR)
        s.recv(1)
""")

CHILD_RECEIVER = textwrap.dedent("""
    # Standard library only: listen, take one connection, read descriptors
    # and bytes until EOF, print what each descriptor's file says.
    import os, socket, sys
    with socket.socket(socket.AF_UNIX) as listener:
        listener.bind(sys.argv[1])
        listener.listen(1)
        print("ready", flush=True)
        conn, _ = listener.accept()
        data = b""
        while True:
            chunk, fds, _, _ = socket.recv_fds(conn, 100, 10)
            for fd in fds:
                print("fd", os.read(fd, 100).decode(), flush=True)
                os.close(fd)
            if not chunk:
                break
            data += chunk
        print("data", data.decode(), flush=True)
        conn.close()
""")


def _files(tmp_path: Path, *contents: str) -> list[str]:
    paths = []
    for i, text in enumerate(contents):
        p = tmp_path / f"file{i}"
        p.write_text(text)
        paths.append(str(p))
    return paths


def test_receiveFromAnotherProcess(reactor: Any, path: str, tmp_path: Path) -> None:
    """A plain-socket process passes four descriptors (three in one message);
    the plait server gets each, in order, before its bytes."""
    server = Receiver(expectBytes=2)

    class One(Factory):
        def buildProtocol(self, addr: Any) -> Receiver:
            return server

    port = reactor.listenUNIX(path, One())
    files = _files(tmp_path, "one", "two", "three", "four")
    child = subprocess.Popen([sys.executable, "-c", CHILD_SENDER, path, *files])
    try:
        runUntil(reactor, server.done, timeout=20)
        assert [e for e in server.events if e[0] == "fd"] == [
            ("fd", b"one"), ("fd", b"two"), ("fd", b"three"), ("fd", b"four")]
        assert server.events.index(("fd", b"three")) < [e[0] for e in server.events].index("data")
        assert b"".join(d for k, d in server.events if k == "data") == b"AB"
        server.transport.loseConnection()
        runUntil(reactor, server.lost)
        assert child.wait(timeout=20) == 0
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    runUntil(reactor, port.stopListening())


def test_sendToAnotherProcess(reactor: Any, path: str, tmp_path: Path) -> None:
    """A plait client passes two files' descriptors to a plain-socket process,
    which reads them: a duplicate crossed the process boundary."""
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD_RECEIVER, path], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        first, second = (open(p, "rb") for p in _files(tmp_path, "alpha", "beta"))  # noqa: SIM115 - closed by plan()

        def plan(t: Any) -> None:
            t.sendFileDescriptor(first.fileno())
            t.write(b"1")
            t.sendFileDescriptor(second.fileno())
            t.write(b"2")
            first.close()
            second.close()
            t.loseConnection()

        client = Sender(plan)
        factory = ClientFactory()
        factory.buildProtocol = lambda addr: client  # type: ignore[method-assign]
        reactor.connectUNIX(path, factory)
        runUntil(reactor, client.lost)
        out, _ = child.communicate(timeout=20)
        assert out.splitlines() == ["fd alpha", "fd beta", "data 12"]
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        if child.stdout is not None:
            child.stdout.close()
