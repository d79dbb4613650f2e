"""The TCP data path on real loopback sockets: adaptive read size, gathered sends.

``Connection.doRead`` asks ``recv`` for 64 KiB, four times that after a
read filled the buffer, and 64 KiB again once a read comes back short of
it; a flush that finds several writes buffered hands them to one
``sendmsg`` (``abstract.FileDescriptor``, "gathering").  As in
``test_tcp_paths``, a ``tcp.Server`` is driven by hand over a real socket
pair, so each step is deterministic.
"""

from __future__ import annotations

import random
import select
import socket

from plait import tcp
from plait._tcpconnection import _MAX_READ_SIZE, _READ_SIZE
from plait.protocol import Protocol
from plait.testing import MemoryReactorClock
from tests.integration.test_tcp_paths import _connectedSockets, pair

__all__ = ["pair"]  # the fixture, used by name


class _Sink(Protocol):
    def __init__(self) -> None:
        self.received = bytearray()
        self.sizes: list[int] = []

    def dataReceived(self, data: bytes) -> None:
        self.received += data
        self.sizes.append(len(data))


def _server(made: list[socket.socket], protocol: Protocol,
            peerReceiveBuffer: int | None = None) -> tuple[tcp.Server, socket.socket, MemoryReactorClock]:
    ours, peer, address = _connectedSockets(peerReceiveBuffer)
    made += [ours, peer]
    reactor = MemoryReactorClock()
    transport = tcp.Server(ours, protocol, address, None, 0, reactor, socket.AF_INET)
    protocol.makeConnection(transport)
    return transport, peer, reactor


def _readable(skt: socket.socket | None) -> bool:
    assert skt is not None
    return bool(select.select([skt], [], [], 5.0)[0])


def test_readSizeGrowsWhileDataWaitsAndShrinksAfter(pair: list[socket.socket]) -> None:
    """A full read makes the next one four times larger; a short read resets it."""
    sink = _Sink()
    transport, peer, _ = _server(pair, sink)
    assert transport._readSize == _READ_SIZE
    peer.setblocking(False)
    payload = random.Random(5).randbytes(1024 * 1024)
    queued = 0
    try:
        while queued < len(payload):
            queued += peer.send(payload[queued:])
    except BlockingIOError:
        pass
    assert queued > 2 * _MAX_READ_SIZE, "the kernel took too little to show growth"
    assert _readable(transport.socket)
    assert transport.doRead() is None
    assert sink.sizes == [_READ_SIZE]  # the first read: 64 KiB, full
    assert transport._readSize == _MAX_READ_SIZE
    while len(sink.received) < queued:
        assert _readable(transport.socket)
        assert transport.doRead() is None
    assert max(sink.sizes) > _READ_SIZE  # the later reads were larger
    assert sink.received == payload[:queued]
    peer.setblocking(True)
    peer.sendall(b"ping")
    assert _readable(transport.socket)
    transport.doRead()
    assert sink.sizes[-1] == 4
    assert transport._readSize == _READ_SIZE  # the burst is over


def test_smallMessagesKeepTheSmallReadSize(pair: list[socket.socket]) -> None:
    """Request/reply traffic never grows the buffer (and stores nothing)."""
    sink = _Sink()
    transport, peer, _ = _server(pair, sink)
    for i in range(5):
        peer.sendall(b"%d" % i)
        assert _readable(transport.socket)
        transport.doRead()
    assert sink.received == b"01234"
    assert "_readSize" not in transport.__dict__


def test_gatheredWritesKeepOrderThroughAFullSocket(pair: list[socket.socket]) -> None:
    """Many writes of random sizes, a peer that reads slowly: every byte
    arrives once and in order, and the writes left after a partial send are
    the very objects written (gathered, never joined)."""
    sink = _Sink()
    transport, peer, reactor = _server(pair, sink, peerReceiveBuffer=4096)
    assert transport.socket is not None
    transport.socket.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 8192)
    rng = random.Random(16)
    pieces = [rng.randbytes(rng.randint(1, 65536)) for _ in range(64)]
    for piece in pieces:
        transport.write(piece)
    reactor.advance(0)  # the flush: the socket fills
    assert transport in reactor.writers
    left = transport._buffer
    assert 1 < len(left) <= len(pieces)  # (the first may be partly sent)
    assert all(a is b for a, b in zip(left[1:], pieces[-(len(left) - 1):], strict=True))
    transport.write(b"end")
    expected = b"".join(pieces) + b"end"
    received = bytearray()
    peer.settimeout(5.0)
    while len(received) < len(expected):
        received += peer.recv(1 << 20)
        if transport in reactor.writers:
            assert transport.doWrite() is None
    assert received == expected
    assert transport not in reactor.writers
    assert transport._bufferedBytes == 0


class _EchoLarge(Protocol):
    def dataReceived(self, data: bytes) -> None:
        self.transport.write(data)


def test_largeEchoIsSentWhole(pair: list[socket.socket]) -> None:
    """A 256 KiB read echoed back goes out by doRead's single send."""
    transport, peer, reactor = _server(pair, _EchoLarge())
    payload = random.Random(7).randbytes(3 * _MAX_READ_SIZE)
    peer.setblocking(False)
    queued = 0
    try:
        while queued < len(payload):
            queued += peer.send(payload[queued:])
    except BlockingIOError:
        pass
    peer.setblocking(True)
    peer.settimeout(5.0)
    received = bytearray()
    while len(received) < queued:
        if select.select([transport.socket], [], [], 0.01)[0]:
            assert transport.doRead() is None
        if transport in reactor.writers:
            assert transport.doWrite() is None
        if select.select([peer], [], [], 0.01)[0]:
            received += peer.recv(1 << 20)
    assert received == payload[:queued]


def test_serverClientAddress(pair: list[socket.socket]) -> None:
    """``client`` (kept as host and port, not as the tuple) reads as Twisted's
    tuple, agrees with ``hostname`` and ``getPeer``, and can be replaced."""
    transport, peer, _ = _server(pair, _Sink())
    host, port = peer.getsockname()
    assert transport.client == (host, port)
    assert transport.hostname == host
    assert (transport.getPeer().host, transport.getPeer().port) == (host, port)
    assert "client" not in transport.__dict__
    transport.client = ("::1", 7, 0, 0)  # any address accept() gives, as is
    assert transport.client == ("::1", 7, 0, 0)
    assert transport.hostname == "::1"
    ours, other, _ = _connectedSockets()
    pair += [ours, other]
    sixServer = tcp.Server(ours, _Sink(), ("::1", 9, 0, 0), None, 1, MemoryReactorClock(),
                           socket.AF_INET)
    assert sixServer.client == ("::1", 9, 0, 0)
    assert sixServer.hostname == "::1"
