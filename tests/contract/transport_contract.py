"""The ITransport contract: one suite of behaviours every stream transport obeys.

The suite is run by ``test_contract_real.py`` (TCP over IPv4 and IPv6
loopback) and ``test_contract_fake.py`` (the in-memory pair of
``plait.testing``), so the fake cannot drift from the real thing.

How to run it on a transport -- the pair-factory protocol
----------------------------------------------------------

Subclass ``TransportContract`` in a module whose name starts with ``test_``
(the subclass name must start with ``Test``) and implement one method::

    def makePair(self, client: RecordingProtocol, server: RecordingProtocol) -> Pair

It must connect the two given protocol *instances* (``client`` on the
connecting side, ``server`` on the accepting side) and return once both
have had ``connectionMade``.  The returned object needs:

* ``pair.client`` / ``pair.server``: the two protocols, as given;
* ``pair.run(until, timeout=5.0)``: move bytes and deliver events until
  ``until()`` is true; raise ``AssertionError`` if it cannot become true
  (the fake: nothing left to pump; real I/O: ``timeout`` seconds passed);
* ``pair.close()``: end both connections if still open (abort is fine),
  deliver their ``connectionLost`` and release every resource (sockets,
  listening ports, pending calls) so that the reactor is clean.

A subclass may use pytest fixtures (e.g. an autouse fixture that stores the
``reactor`` fixture on ``self``).  Everything else -- the tests, the
recording protocols -- lives here.

Tests of this module are the suite itself; it has no expectations of its
own beyond the contract in ``docs/internals.md`` and Twisted's ITransport.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any
from typing import Protocol as TypingProtocol

import pytest
from zope.interface import implementer

from plait import error
from plait.address import IPv4Address, IPv6Address
from plait.failure import Failure
from plait.interfaces import IHalfCloseableProtocol
from plait.protocol import Protocol, connectionDone


class RecordingProtocol(Protocol):
    """A protocol that records what happens to it.

    ``events`` is the trace (``"connectionMade"``, ``"connectionLost"``,
    plus anything a test appends); ``data`` is everything received;
    ``reasons`` every ``connectionLost`` reason (the contract says one).
    ``onConnectionMade`` / ``onData`` are optional hooks.
    """

    def __init__(self) -> None:
        self.events: list[Any] = []
        self.data = b""
        self.reasons: list[Failure] = []
        self.onConnectionMade: Callable[[RecordingProtocol], None] | None = None
        self.onData: Callable[[RecordingProtocol, bytes], None] | None = None

    def connectionMade(self) -> None:
        self.events.append("connectionMade")
        if self.onConnectionMade is not None:
            self.onConnectionMade(self)

    def dataReceived(self, data: bytes) -> None:
        self.data += data
        if self.onData is not None:
            self.onData(self, data)

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.events.append("connectionLost")
        self.reasons.append(reason)

    @property
    def lost(self) -> bool:
        return bool(self.reasons)


@implementer(IHalfCloseableProtocol)
class HalfCloseableRecordingProtocol(RecordingProtocol):
    """A recording protocol that accepts half-closed connections."""

    def readConnectionLost(self) -> None:
        self.events.append("readConnectionLost")

    def writeConnectionLost(self) -> None:
        self.events.append("writeConnectionLost")


class Pair(TypingProtocol):
    """What ``makePair`` returns (see the module docstring)."""

    client: RecordingProtocol
    server: RecordingProtocol

    def run(self, until: Callable[[], bool], timeout: float = 5.0) -> None: ...

    def close(self) -> None: ...


class TransportContract:
    """The behaviours; subclasses provide ``makePair``."""

    #: What the peer of an aborted connection hears: a reset on TCP.  (A
    #: UNIX socket has no reset: unix(7) peers read a plain end of stream.)
    abortSeenByPeer: type[Exception] = error.ConnectionLost

    def makePair(self, client: RecordingProtocol, server: RecordingProtocol) -> Pair:
        raise NotImplementedError

    @pytest.fixture
    def connect(self) -> Iterator[Callable[..., Pair]]:
        """``connect(client=None, server=None)`` -> a connected pair, closed after the test."""
        pairs: list[Pair] = []

        def _connect(
            client: RecordingProtocol | None = None, server: RecordingProtocol | None = None
        ) -> Pair:
            pair = self.makePair(client or RecordingProtocol(), server or RecordingProtocol())
            pairs.append(pair)
            return pair

        yield _connect
        for pair in pairs:
            pair.close()

    # -- writing -------------------------------------------------------------------

    def test_writeOrdering(self, connect: Callable[..., Pair]) -> None:
        """Bytes arrive in the order written, across write and writeSequence."""
        pair = connect()
        t = pair.client.transport
        t.write(b"one ")
        t.writeSequence([b"two ", b"three "])
        t.write(b"four")
        pair.server.transport.writeSequence(iter([b"a", b"b", b"c"]))
        pair.run(lambda: pair.server.data == b"one two three four" and pair.client.data == b"abc")

    def test_manyWritesArriveWhole(self, connect: Callable[..., Pair]) -> None:
        """A megabyte written in many pieces arrives complete and in order."""
        pair = connect()
        pieces = [bytes([i % 251]) * (1 + i * 7 % 4000) for i in range(500)]
        expected = b"".join(pieces)
        for piece in pieces:
            pair.client.transport.write(piece)
        pair.run(lambda: len(pair.server.data) >= len(expected))
        assert pair.server.data == expected

    def test_emptyWriteIgnored(self, connect: Callable[..., Pair]) -> None:
        """Empty writes are accepted and send nothing."""
        pair = connect()
        pair.client.transport.write(b"")
        pair.client.transport.writeSequence([])
        pair.client.transport.write(b"x")
        pair.run(lambda: pair.server.data == b"x")

    @pytest.mark.parametrize("bad", ["text", bytearray(b"ba"), memoryview(b"mv"), 7, None])
    def test_writeNonBytesRaisesTypeError(self, connect: Callable[..., Pair], bad: Any) -> None:
        """write() accepts bytes only: TypeError("Data must be bytes")."""
        pair = connect()
        with pytest.raises(TypeError, match="^Data must be bytes"):
            pair.client.transport.write(bad)

    def test_writeSequenceChecksEveryItem(self, connect: Callable[..., Pair]) -> None:
        """writeSequence with a non-bytes item raises and sends none of the items."""
        pair = connect()
        with pytest.raises(TypeError, match="^Data must be bytes"):
            pair.client.transport.writeSequence([b"dropped", "text"])
        pair.client.transport.write(b"kept")
        pair.run(lambda: pair.server.data.endswith(b"kept"))
        assert pair.server.data == b"kept"

    def test_writeFromConnectionMade(self, connect: Callable[..., Pair]) -> None:
        """What a server writes in connectionMade reaches the client."""
        server = RecordingProtocol()
        server.onConnectionMade = lambda p: p.transport.write(b"greetings")
        pair = connect(server=server)
        pair.run(lambda: pair.client.data == b"greetings")

    def test_echoFromDataReceived(self, connect: Callable[..., Pair]) -> None:
        """Writes made inside dataReceived reach the peer (request/response)."""
        server = RecordingProtocol()
        server.onData = lambda p, data: p.transport.write(data.upper())
        pair = connect(server=server)
        pair.client.transport.write(b"ping")
        pair.run(lambda: pair.client.data == b"PING")

    # -- closing -------------------------------------------------------------------

    def test_loseConnectionFlushesThenDone(self, connect: Callable[..., Pair]) -> None:
        """loseConnection sends everything buffered, then both sides get
        connectionLost(ConnectionDone) exactly once."""
        pair = connect()
        payload = b"0123456789abcdef" * 65536  # 1 MiB: more than any socket buffer
        pair.client.transport.write(payload)
        pair.client.transport.loseConnection()
        pair.run(lambda: pair.client.lost and pair.server.lost)
        assert pair.server.data == payload
        for side in (pair.client, pair.server):
            assert len(side.reasons) == 1
            assert side.reasons[0].check(error.ConnectionDone)
            assert side.events.count("connectionLost") == 1

    def test_writesAfterLoseConnectionDelivered(self, connect: Callable[..., Pair]) -> None:
        """Bytes written after loseConnection (before connectionLost) still arrive."""
        pair = connect()
        pair.client.transport.write(b"hello ")
        pair.client.transport.loseConnection()
        pair.client.transport.write(b"after-lose")
        pair.run(lambda: pair.server.lost)
        assert pair.server.data == b"hello after-lose"

    def test_writeAfterConnectionLostDropped(self, connect: Callable[..., Pair]) -> None:
        """Writing to a transport whose connection is gone is silently ignored."""
        pair = connect()
        pair.client.transport.loseConnection()
        pair.run(lambda: pair.client.lost and pair.server.lost)
        pair.client.transport.write(b"into the void")
        pair.client.transport.writeSequence([b"and", b"more"])
        assert pair.server.data == b""

    def test_loseConnectionTwice(self, connect: Callable[..., Pair]) -> None:
        """A second loseConnection is a no-op: connectionLost still happens once."""
        pair = connect()
        pair.client.transport.loseConnection()
        pair.client.transport.loseConnection()
        pair.run(lambda: pair.client.lost and pair.server.lost)
        pair.client.transport.loseConnection()
        assert len(pair.client.reasons) == 1

    def test_disconnectingFlag(self, connect: Callable[..., Pair]) -> None:
        """``disconnecting`` turns true when loseConnection is called."""
        pair = connect()
        assert not pair.client.transport.disconnecting
        pair.client.transport.loseConnection()
        assert pair.client.transport.disconnecting
        pair.run(lambda: pair.client.lost)

    def test_connectionLostNotInsideLoseConnection(self, connect: Callable[..., Pair]) -> None:
        """connectionLost is delivered later, never from inside loseConnection()."""
        pair = connect()
        pair.client.transport.loseConnection()
        assert not pair.client.lost
        pair.run(lambda: pair.client.lost)

    def test_connectionLostNotInsideLoseConnectionFromCallback(
        self, connect: Callable[..., Pair]
    ) -> None:
        """Inside dataReceived too, loseConnection returns before connectionLost."""
        server = RecordingProtocol()

        def closeAndNote(p: RecordingProtocol, data: bytes) -> None:
            p.transport.loseConnection()
            p.events.append("loseConnection returned")

        server.onData = closeAndNote
        pair = connect(server=server)
        pair.client.transport.write(b"bye")
        pair.run(lambda: server.lost)
        assert server.events == ["connectionMade", "loseConnection returned", "connectionLost"]

    def test_peerCloseGivesConnectionDone(self, connect: Callable[..., Pair]) -> None:
        """When the peer closes cleanly, connectionLost(ConnectionDone) arrives."""
        pair = connect()
        pair.server.transport.loseConnection()
        pair.run(lambda: pair.client.lost)
        assert pair.client.reasons[0].check(error.ConnectionDone)

    # -- aborting ------------------------------------------------------------------

    def test_abortConnectionDropsBuffer(self, connect: Callable[..., Pair]) -> None:
        """abortConnection discards unsent bytes; the peer sees ConnectionLost
        (``abortSeenByPeer``), the aborting side ConnectionAborted, each exactly once."""
        pair = connect()
        pair.client.transport.write(b"never sent")
        pair.client.transport.abortConnection()
        assert not pair.client.lost  # not re-entrant
        pair.run(lambda: pair.client.lost and pair.server.lost)
        assert pair.server.data == b""
        assert pair.client.reasons[0].check(error.ConnectionAborted)
        assert pair.server.reasons[0].check(self.abortSeenByPeer)
        assert not pair.server.reasons[0].check(error.ConnectionAborted)
        assert len(pair.client.reasons) == len(pair.server.reasons) == 1

    def test_abortAfterLoseConnection(self, connect: Callable[..., Pair]) -> None:
        """abortConnection after loseConnection still ends with ConnectionAborted, once."""
        pair = connect()
        pair.client.transport.loseConnection()
        pair.client.transport.abortConnection()
        pair.client.transport.abortConnection()
        pair.run(lambda: pair.client.lost and pair.server.lost)
        assert len(pair.client.reasons) == 1
        assert pair.client.reasons[0].check(error.ConnectionAborted)

    # -- addresses -----------------------------------------------------------------

    def test_addresses(self, connect: Callable[..., Pair]) -> None:
        """getHost/getPeer are the transport's addresses, each side's peer the other's host."""
        pair = connect()
        self.checkAddresses(pair.client.transport, pair.server.transport)

    def checkAddresses(self, c: Any, s: Any) -> None:
        """The address check of ``test_addresses``: TCP's, by default.

        A transport of another family (``test_contract_unix.py``) overrides it.
        """
        for address in (c.getHost(), c.getPeer(), s.getHost(), s.getPeer()):
            assert isinstance(address, (IPv4Address, IPv6Address))
            assert address.type == "TCP"
        assert (c.getPeer().host, c.getPeer().port) == (s.getHost().host, s.getHost().port)
        assert (c.getHost().host, c.getHost().port) == (s.getPeer().host, s.getPeer().port)

    # -- producers -------------------------------------------------------------------

    def test_registerTwoProducers(self, connect: Callable[..., Pair]) -> None:
        """A second registerProducer raises RuntimeError; after unregister it works."""
        pair = connect()
        t = pair.client.transport

        class Producer:
            def pauseProducing(self) -> None: ...
            def resumeProducing(self) -> None: ...
            def stopProducing(self) -> None: ...

        t.registerProducer(Producer(), True)
        with pytest.raises(RuntimeError):
            t.registerProducer(Producer(), True)
        t.unregisterProducer()
        t.registerProducer(Producer(), True)
        t.unregisterProducer()

    def test_stoppedProducerOnConnectionLost(self, connect: Callable[..., Pair]) -> None:
        """A producer still registered when the connection goes gets stopProducing."""
        pair = connect()
        calls: list[str] = []

        class Producer:
            def pauseProducing(self) -> None:
                calls.append("pause")

            def resumeProducing(self) -> None:
                calls.append("resume")

            def stopProducing(self) -> None:
                calls.append("stop")

        pair.client.transport.registerProducer(Producer(), True)
        pair.server.transport.loseConnection()
        pair.run(lambda: pair.client.lost)
        assert calls[-1:] == ["stop"]

    # -- half-close --------------------------------------------------------------------

    def test_halfClose(self, connect: Callable[..., Pair]) -> None:
        """loseWriteConnection: the peer reads EOF (readConnectionLost) and may
        still answer; writeConnectionLost tells the closing side."""
        client, server = HalfCloseableRecordingProtocol(), HalfCloseableRecordingProtocol()
        pair = connect(client=client, server=server)
        client.transport.write(b"question")
        client.transport.loseWriteConnection()
        pair.run(lambda: "readConnectionLost" in server.events)
        assert server.data == b"question"
        assert "writeConnectionLost" in client.events
        assert not client.lost and not server.lost
        server.transport.write(b"answer")
        server.transport.loseConnection()
        pair.run(lambda: server.lost and "readConnectionLost" in client.events)
        assert client.data == b"answer"
        client.transport.loseConnection()
        pair.run(lambda: client.lost)
        assert client.reasons[0].check(error.ConnectionDone)
        assert server.reasons[0].check(error.ConnectionDone)

    def test_halfCloseToOrdinaryProtocol(self, connect: Callable[..., Pair]) -> None:
        """A peer protocol that is not half-closeable sees EOF as ConnectionDone."""
        client = HalfCloseableRecordingProtocol()
        pair = connect(client=client)
        client.transport.write(b"last words")
        client.transport.loseWriteConnection()
        pair.run(lambda: pair.server.lost)
        assert pair.server.data == b"last words"
        assert pair.server.reasons[0].check(error.ConnectionDone)

    def test_writeAfterWriteHalfClosedDropped(self, connect: Callable[..., Pair]) -> None:
        """Once the write side is shut down, further writes are dropped silently."""
        client, server = HalfCloseableRecordingProtocol(), HalfCloseableRecordingProtocol()
        pair = connect(client=client, server=server)
        client.transport.write(b"before")
        client.transport.loseWriteConnection()
        pair.run(lambda: "writeConnectionLost" in client.events and "readConnectionLost" in server.events)
        client.transport.write(b"after")
        server.transport.write(b"still open")
        pair.run(lambda: client.data == b"still open")
        assert server.data == b"before"
