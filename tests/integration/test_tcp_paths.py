"""The short paths of the TCP transport, on real loopback sockets.

``Connection.doRead`` sends what ``dataReceived`` wrote itself when that is
one write (the round-trip fast path), and closing skips ``shutdown(2)``
once the peer's EOF was read.  These tests drive a ``tcp.Server`` over a
real connected socket pair by hand (``doRead``/``doWrite`` called directly,
a ``MemoryReactorClock`` recording registrations), so each unusual branch
is reached deterministically: a partial send, a failing send, the close
after EOF, and the adopted descriptor that still needs ``shutdown``.
"""

from __future__ import annotations

import select
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from plait import error, tcp
from plait.failure import Failure
from plait.protocol import Protocol
from plait.testing import MemoryReactorClock
from tests.helpers import runUntil
from tests.integration.test_tcp import Recorder, serverFactoryFor, waitFor


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
