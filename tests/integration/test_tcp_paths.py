"""The short paths of the TCP transport, on real loopback sockets.

``Connection.doRead`` sends what ``dataReceived`` wrote itself when that is
one write (the round-trip fast path), and closing skips ``shutdown(2)``
once the peer's EOF was read.  These tests drive a ``tcp.Server`` over a
real connected socket pair by hand (``doRead``/``doWrite`` called directly,
a ``MemoryReactorClock`` recording registrations), so each unusual branch
is reached deterministically: a partial send, a failing send, the close
after EOF, the close inside ``dataReceived``, and the adopted descriptor
that still needs ``shutdown``.  Then the connect timeout, which a
connector only arms when the connect has to wait (``plait.connector``).
"""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from typing import Any

import pytest

from plait import error, tcp
from plait.failure import Failure
from plait.protocol import Protocol
from plait.testing import MemoryReactorClock
from tests.helpers import runUntil
from tests.integration.test_tcp import (
    OneProtocolFactory,
    Recorder,
    serverFactoryFor,
    waitFor,
)


class _Echo(Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


def _connectedSockets(peerReceiveBuffer: int | None = None) -> tuple[socket.socket, socket.socket, Any]:
    """(ours, peer, peer's address): a connected loopback pair, ours non-blocking."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        peer = socket.socket()
        if peerReceiveBuffer is not None:  # before connecting: it sets the window
            peer.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, peerReceiveBuffer)
        peer.connect(listener.getsockname())
        ours, address = listener.accept()
    ours.setblocking(False)
    peer.settimeout(5.0)
    return ours, peer, address


@pytest.fixture
def pair() -> Iterator[list[socket.socket]]:
    """Closes the sockets a test made with ``_connectedSockets``."""
    made: list[socket.socket] = []
    yield made
    for s in made:
        s.close()


def _echoServer(
    made: list[socket.socket], peerReceiveBuffer: int | None = None
) -> tuple[tcp.Server, socket.socket, MemoryReactorClock]:
    ours, peer, address = _connectedSockets(peerReceiveBuffer)
    made += [ours, peer]
    reactor = MemoryReactorClock()
    protocol = _Echo()
    transport = tcp.Server(ours, protocol, address, None, 0, reactor, socket.AF_INET)
    protocol.makeConnection(transport)
    return transport, peer, reactor


def test_echoPartlySentFinishesWhenWritable(pair: list[socket.socket]) -> None:
    """A reply the socket takes only part of is finished by doWrite, intact."""
    transport, peer, reactor = _echoServer(pair, peerReceiveBuffer=4096)
    handle = transport.getHandle()
    assert handle is not None
    handle.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    payload = bytes(range(256)) * 128  # 32 KiB: more than both buffers hold
    peer.sendall(payload)
    # The peer does not read, so echoing 32 KiB must fill the socket at some
    # point: read (each wait bounded) until the transport has to wait too.
    while transport not in reactor.getWriters():
        assert select.select([handle], [], [], 5.0)[0], "the payload never arrived"
        assert transport.doRead() is None
    assert transport in reactor.getWriters()  # the rest waits for writability,
    assert 0 < len(transport.dataBuffer) < len(payload)  # in the transport's buffer
    received = bytearray()
    while transport in reactor.getWriters():
        received += peer.recv(65536)
        assert transport.doWrite() is None
    while len(received) < len(payload):
        received += peer.recv(65536)
    assert received == payload
    transport.connectionLost(Failure(error.ConnectionDone()))


def test_echoSendFailsClosesWithConnectionLost(pair: list[socket.socket]) -> None:
    """A send that fails inside doRead's short path ends the connection."""
    transport, peer, _ = _echoServer(pair)
    handle = transport.getHandle()
    assert handle is not None
    handle.shutdown(socket.SHUT_WR)  # behind the transport's back: send gets EPIPE
    peer.sendall(b"ping")
    reason = transport.doRead()
    assert isinstance(reason, error.ConnectionLost)
    transport.connectionLost(Failure(reason))
    assert transport.disconnected and transport.getHandle() is None


def test_closeAfterPeersEOFSendsFIN(pair: list[socket.socket]) -> None:
    """After the peer's EOF the socket is closed without shutdown: the peer
    still reads everything we sent, then a clean EOF (no reset)."""
    transport, peer, _ = _echoServer(pair)
    peer.sendall(b"last words")
    assert transport.doRead() is None  # echoed
    peer.shutdown(socket.SHUT_WR)
    reason = transport.doRead()
    assert isinstance(reason, error.ConnectionDone)
    transport.connectionLost(Failure(reason))
    assert peer.recv(100) == b"last words"
    assert peer.recv(100) == b""  # EOF, not ECONNRESET


def test_adoptedConnectionShutsDownSharedDescriptor(reactor: Any) -> None:
    """An adopted descriptor may have other copies: closing after the peer's
    EOF still shuts the connection down, so the peer sees EOF although the
    caller's copy stays open."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        peer = socket.create_connection(listener.getsockname())
        raw, _ = listener.accept()
    server = Recorder()
    try:
        reactor.adoptStreamConnection(raw.fileno(), socket.AF_INET, serverFactoryFor(server))
        runUntil(reactor, server.madeDeferred)
        peer.shutdown(socket.SHUT_WR)
        reason = waitFor(reactor, server.lostDeferred)
        assert reason.check(error.ConnectionDone)
        peer.settimeout(5.0)
        assert peer.recv(100) == b""  # raw, the caller's copy, is still open
    finally:
        raw.close()
        peer.close()


class _CloseOnData(Protocol):
    """Closes on the first data, after writing ``reply`` (if any)."""

    def __init__(self, reply: bytes = b"") -> None:
        self.reply = reply

    def dataReceived(self, data: bytes) -> None:
        if self.reply:
            self.transport.write(self.reply)
        self.transport.loseConnection()


@pytest.mark.parametrize("reply", [b"", b"bye"])
def test_closeInsideDataReceived(pair: list[socket.socket], reply: bytes) -> None:
    """loseConnection() inside dataReceived: doRead itself returns the
    ConnectionDone that ends the connection, once what was written (if
    anything) has been sent."""
    ours, peer, address = _connectedSockets()
    pair += [ours, peer]
    transport = tcp.Server(ours, _CloseOnData(reply), address, None, 0, MemoryReactorClock(),
                           socket.AF_INET)
    transport.protocol.makeConnection(transport)
    peer.sendall(b"request")
    assert select.select([ours], [], [], 5.0)[0], "the request never arrived"
    reason = transport.doRead()
    assert isinstance(reason, error.ConnectionDone) and transport.disconnecting
    transport.connectionLost(Failure(reason))
    received = b""
    while chunk := peer.recv(100):
        received += chunk
    assert received == reply  # then a clean EOF


# -- the connect timeout, armed only when the connect has to wait ----------------------


def test_connectDoneAtOnceArmsNoTimeout(reactor: Any) -> None:
    """Towards a listener on loopback the connect has finished when first
    looked at: the timeout is only a deadline, never a timer (Twisted makes
    and cancels one; plait.connector's "the lazy timeout")."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        client = Recorder()
        factory = OneProtocolFactory(client)
        connector = reactor.connectTCP("127.0.0.1", listener.getsockname()[1], factory, timeout=30)
        # Only the transport's first step is scheduled; the timeout is not.
        assert len(reactor.getDelayedCalls()) == 1 and connector.timeoutID is None
        runUntil(reactor, client.madeDeferred)
        assert connector.timeoutID is None and reactor.getDelayedCalls() == []
        client.transport.loseConnection()
        waitFor(reactor, factory.lost)


def test_connectThatWaitsArmsWhatIsLeftOfTheTimeout(reactor: Any) -> None:
    """A connect still in progress (the listener's queue is full, so the
    SYN is dropped) arms the timeout, due when connect() + timeout is."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(0)
        port = listener.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=2):
            factory = OneProtocolFactory()
            before = reactor.seconds()
            connector = reactor.connectTCP("127.0.0.1", port, factory, timeout=30)
            after = reactor.seconds()
            reactor.iterate(0)  # the first step: connect(2) is left pending
            assert connector.state == "connecting"
            due = connector.timeoutID.getTime()
            assert before + 30 <= due <= after + 30
            connector.stopConnecting()
            assert reactor.getDelayedCalls() == []
    assert factory.trace[-2:] == [("clientConnectionFailed", error.UserError), "doStop"]


def test_deadlinePassedBeforeTheFirstStep(reactor: Any) -> None:
    """If the loop only gets to the attempt after its deadline (it was busy
    longer than the timeout), the attempt fails with TimeoutError, even
    towards a listener that would accept, as Twisted's due timer makes it."""
    busy = [0.0]  # seconds the loop has been "busy", as its clock sees it
    reactor.seconds = lambda: time.monotonic() + busy[0]
    try:
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen(1)
            factory = OneProtocolFactory(Recorder())
            reactor.connectTCP("127.0.0.1", listener.getsockname()[1], factory, timeout=1)
            busy[0] += 2
            reason = waitFor(reactor, factory.failed)
    finally:
        del reactor.seconds
    assert reason.check(error.TimeoutError)
    assert [step for step in factory.trace if step[0] == "buildProtocol"] == []
