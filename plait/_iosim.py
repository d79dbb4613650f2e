"""An in-memory connected client/server pair (Twisted's ``twisted.test.iosim``).

This module owns ``FakeTransport``, ``IOPump`` and
``connectedServerAndClient``: two protocols joined by fake transports, with
bytes and lifecycle events moved only when the test pumps.  It is re-exported
by ``plait.testing`` (import it from there); it lives apart only to keep each
module readable in one sitting.  The pair behaves like plait's TCP transport
as the shared contract suite (``tests/contract``) pins it down.

Rules:

* Nothing is delivered from inside a user call: ``write``,
  ``loseConnection``, ``abortConnection`` and ``loseWriteConnection`` only
  record intent; ``IOPump.pump()`` delivers data and lifecycle events.
* ``connectionLost`` is delivered exactly once per protocol, after every
  byte the peer sent before closing.
* Writes after ``loseConnection`` are still delivered; writes after the
  connection is gone (or after ``loseWriteConnection`` completed) are
  dropped silently, as on a real socket.
* A transport whose reading is paused (``pauseProducing``) receives nothing
  until resumed; the writer's buffer holds the bytes meanwhile, and the
  writer cannot finish closing until they are read.
* An exception from ``dataReceived`` is logged with ``plait.log.err`` and
  drops the connection with that exception as the reason (the peer sees
  ``ConnectionLost``), as the reactor does.

Theory of operation: each transport's sending side is a ``_WriteState``
machine (open -> closing / half-closing / aborting -> closed).  One pump
round first moves each side's buffer into the peer's ``dataReceived``, then
lets each side advance its close: a flushed ``closing`` side reports
``connectionLost(ConnectionDone)`` and sends EOF; the peer then reports
``readConnectionLost`` (if it is half-closeable) or closes too.

Tests: tests/unit/test_testing.py, tests/contract/test_contract_fake.py.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable
from typing import Any

from zope.interface import implementer

from plait import error, log
from plait.abstract import _dataMustBeBytes
from plait.address import IPv4Address
from plait.failure import Failure
from plait.interfaces import (
    IConsumer,
    IHalfCloseableProtocol,
    IPushProducer,
    ITCPTransport,
)
from plait.task import Clock

__all__ = ["FakeTransport", "IOPump", "connectedServerAndClient"]


def _checkBytes(data: object) -> None:
    if not isinstance(data, bytes):
        raise _dataMustBeBytes(data)



class _WriteState(enum.Enum):
    """Where a FakeTransport's sending side is in its close sequence."""

    OPEN = "open"
    CLOSING = "closing"  # loseConnection(): flush, then close both directions
    HALF_CLOSING = "half-closing"  # loseWriteConnection(): flush, then shut writing
    HALF_CLOSED = "half-closed"
    ABORTING = "aborting"  # abortConnection(): drop everything, reset the peer
    CLOSED = "closed"


_ALLOWED: dict[_WriteState, frozenset[_WriteState]] = {
    _WriteState.OPEN: frozenset(
        {_WriteState.CLOSING, _WriteState.HALF_CLOSING, _WriteState.ABORTING, _WriteState.CLOSED}
    ),
    _WriteState.CLOSING: frozenset({_WriteState.ABORTING, _WriteState.CLOSED}),
    _WriteState.HALF_CLOSING: frozenset(
        {_WriteState.CLOSING, _WriteState.HALF_CLOSED, _WriteState.ABORTING, _WriteState.CLOSED}
    ),
    _WriteState.HALF_CLOSED: frozenset({_WriteState.CLOSING, _WriteState.ABORTING, _WriteState.CLOSED}),
    _WriteState.ABORTING: frozenset({_WriteState.CLOSED}),
    _WriteState.CLOSED: frozenset(),
}

# States in which write() still queues bytes (TCP delivers writes made after
# loseConnection() but before the close completes).
_ACCEPTS_WRITES = frozenset({_WriteState.OPEN, _WriteState.CLOSING, _WriteState.HALF_CLOSING})


@implementer(ITCPTransport, IConsumer, IPushProducer)
class FakeTransport:
    """One end of an in-memory connection, driven by an ``IOPump``.

    It behaves like a TCP transport (write buffering, flow control with push
    and pull producers, ``loseConnection`` after flush, half-close,
    ``abortConnection``) but only moves bytes when the pump says so.
    """

    bufferSize = 65536

    def __init__(self, protocol: Any, isServer: bool, hostAddress: Any, peerAddress: Any) -> None:
        self.protocol = protocol
        self.isServer = isServer
        self.hostAddress = hostAddress
        self.peerAddress = peerAddress
        self.producer: Any = None
        self.streamingProducer = False
        self.producerPaused = False
        self._state = _WriteState.OPEN
        self._buffer: list[bytes] = []
        self._buffered = 0
        self._readingPaused = False
        self._readClosed = False  # the peer shut its write side: EOF seen
        self._eofSent = False  # the peer was told about our EOF
        self._noDelay = False
        self._keepAlive = False
        self._failure: Failure | None = None  # why a callback made us abort

    def __repr__(self) -> str:
        side = "server" if self.isServer else "client"
        return f"<FakeTransport {side} {self._state.value} for {self.protocol!r}>"

    def _setState(self, new: _WriteState) -> None:
        if new not in _ALLOWED[self._state]:
            raise RuntimeError(f"{self!r}: cannot go from {self._state.value} to {new.value}")
        self._state = new

    # Twisted's public status attributes, derived from the one state.
    @property
    def connected(self) -> bool:
        return self._state is not _WriteState.CLOSED

    @property
    def disconnected(self) -> bool:
        return self._state is _WriteState.CLOSED

    @property
    def disconnecting(self) -> bool:
        return self._state in (_WriteState.CLOSING, _WriteState.ABORTING)

    def logPrefix(self) -> str:
        prefix = getattr(self.protocol, "logPrefix", lambda: self.protocol.__class__.__name__)()
        return f"{prefix},{'server' if self.isServer else 'client'}"

    # ITransport ------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        _checkBytes(data)
        if not data or self._state not in _ACCEPTS_WRITES:
            return
        self._buffer.append(data)
        self._buffered += len(data)
        if (
            self.producer is not None
            and self.streamingProducer
            and not self.producerPaused
            and self._buffered > self.bufferSize
        ):
            self.producerPaused = True
            self.producer.pauseProducing()

    def writeSequence(self, data: Iterable[bytes]) -> None:
        chunks = list(data)
        for chunk in chunks:
            _checkBytes(chunk)
        for chunk in chunks:
            self.write(chunk)

    def loseConnection(self) -> None:
        """Close once the buffer is flushed and any producer unregistered."""
        if self._state in (_WriteState.OPEN, _WriteState.HALF_CLOSING, _WriteState.HALF_CLOSED):
            self._setState(_WriteState.CLOSING)
            self._readingPaused = True

    def abortConnection(self) -> None:
        """Drop buffered data and close at the next pump; the peer sees a reset."""
        if self._state in (_WriteState.ABORTING, _WriteState.CLOSED):
            return
        self._setState(_WriteState.ABORTING)
        self._buffer.clear()
        self._buffered = 0
        self._readingPaused = True

    def loseWriteConnection(self) -> None:
        """Shut the sending side once the buffer is flushed (half-close)."""
        if self._state is _WriteState.OPEN:
            self._setState(_WriteState.HALF_CLOSING)

    def getPeer(self) -> Any:
        return self.peerAddress

    def getHost(self) -> Any:
        return self.hostAddress

    def getTcpNoDelay(self) -> bool:
        return self._noDelay

    def setTcpNoDelay(self, enabled: bool) -> None:
        self._noDelay = bool(enabled)

    def getTcpKeepAlive(self) -> bool:
        return self._keepAlive

    def setTcpKeepAlive(self, enabled: bool) -> None:
        self._keepAlive = bool(enabled)

    # IConsumer --------------------------------------------------------------------

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        if self.producer is not None:
            raise RuntimeError(
                f"Cannot register producer {producer!r}, because producer "
                f"{self.producer!r} was never unregistered."
            )
        if self._state is _WriteState.CLOSED:
            producer.stopProducing()
            return
        self.producer = producer
        self.streamingProducer = bool(streaming)
        self.producerPaused = False
        if not streaming:
            producer.resumeProducing()

    def unregisterProducer(self) -> None:
        self.producer = None
        self.producerPaused = False

    # IPushProducer: the transport's reading side ---------------------------------

    def pauseProducing(self) -> None:
        """Stop delivering received data until ``resumeProducing``."""
        self._readingPaused = True

    def resumeProducing(self) -> None:
        """Deliver received data again (not once the connection is closing)."""
        if self._state in (_WriteState.OPEN, _WriteState.HALF_CLOSING, _WriteState.HALF_CLOSED):
            self._readingPaused = False

    def stopProducing(self) -> None:
        self.loseConnection()

    # Driven by the pump ---------------------------------------------------------

    def _deliverTo(self, peer: FakeTransport) -> bool:
        """Move our buffered bytes into the peer's protocol; True if any moved."""
        if not self._buffer:
            return False
        if peer._state is _WriteState.CLOSED or peer._state is _WriteState.ABORTING:
            # Nobody is reading on the other side any more: a socket would
            # discard (and eventually reset); the bytes are gone.
            self._buffer.clear()
            self._buffered = 0
            return True
        if peer._readingPaused:
            return False
        data = b"".join(self._buffer)
        self._buffer.clear()
        self._buffered = 0
        peer._receive(data)
        self._drained()
        return True

    def _receive(self, data: bytes) -> None:
        try:
            self.protocol.dataReceived(data)
        except Exception:  # noqa: BLE001 - the dispatch boundary: logged, then dropped
            self._protocolFailed(Failure())

    def _protocolFailed(self, reason: Failure) -> None:
        """A callback raised: log it and drop the connection, as the reactor does."""
        log.err(reason, f"Unhandled Error in {self.logPrefix()}")
        self._failure = reason
        if self._state not in (_WriteState.ABORTING, _WriteState.CLOSED):
            self._setState(_WriteState.ABORTING)
            self._buffer.clear()
            self._buffered = 0

    def _drained(self) -> None:
        """The buffer emptied: resume a paused push producer or pull again."""
        if self.producer is None:
            return
        if not self.streamingProducer:
            self.producer.resumeProducing()
        elif self.producerPaused:
            self.producerPaused = False
            self.producer.resumeProducing()

    def _settle(self, peer: FakeTransport) -> bool:
        """Advance a pending close; True if anything happened."""
        state = self._state
        if state is _WriteState.ABORTING:
            reason = self._failure or Failure(error.ConnectionAborted())
            self._close(reason)
            peer._reset()
            return True
        if self._buffer:
            return False
        if state is _WriteState.CLOSING and self.producer is None:
            self._close(Failure(error.ConnectionDone()))
            self._sendEOF(peer)
            return True
        if state is _WriteState.HALF_CLOSING:
            self._setState(_WriteState.HALF_CLOSED)
            if IHalfCloseableProtocol.providedBy(self.protocol):
                self.protocol.writeConnectionLost()
            self._sendEOF(peer)
            return True
        return False

    def _sendEOF(self, peer: FakeTransport) -> None:
        if self._eofSent:
            return
        self._eofSent = True
        peer._receiveEOF()

    def _receiveEOF(self) -> None:
        """The peer will send nothing more: tell a half-closeable protocol, or close.

        As on TCP, a half-closeable protocol stays connected even when its
        own write side is shut too; it ends the connection itself.
        """
        if self._state is _WriteState.CLOSED or self._readClosed:
            return
        if IHalfCloseableProtocol.providedBy(self.protocol):
            self._readClosed = True
            self.protocol.readConnectionLost()
        else:
            self._close(Failure(error.ConnectionDone()))

    def _reset(self) -> None:
        """The peer aborted: we lose the connection uncleanly."""
        if self._state is not _WriteState.CLOSED:
            self._buffer.clear()
            self._buffered = 0
            self._close(Failure(error.ConnectionLost()))

    def _close(self, reason: Failure) -> None:
        """Deliver ``connectionLost`` (once) and stop any producer."""
        self._setState(_WriteState.CLOSED)
        self._readingPaused = True
        producer, self.producer = self.producer, None
        if producer is not None:
            producer.stopProducing()
        self.protocol.connectionLost(reason)


class IOPump:
    """Moves bytes and lifecycle events between two ``FakeTransport``s.

    ``pump()`` does one round (returns True if anything happened);
    ``flush()`` pumps until nothing more happens.  With a ``clock``, each
    round first runs the calls that are due (``clock.advance(0)``), so
    ``callLater(0, ...)`` work is interleaved as a reactor would.
    """

    def __init__(
        self,
        client: Any,
        server: Any,
        clientIO: FakeTransport,
        serverIO: FakeTransport,
        clock: Clock | None = None,
    ) -> None:
        self.client = client
        self.server = server
        self.clientIO = clientIO
        self.serverIO = serverIO
        self.clock = clock

    def pump(self) -> bool:
        """Do one round of delivery; True if anything moved or closed."""
        if self.clock is not None:
            self.clock.advance(0)
        c, s = self.clientIO, self.serverIO
        progressed = c._deliverTo(s)
        progressed = s._deliverTo(c) or progressed
        progressed = c._settle(s) or progressed
        progressed = s._settle(c) or progressed
        return progressed

    def flush(self, maxRounds: int = 10000) -> bool:
        """Pump until quiet; True if anything happened at all.

        Raises RuntimeError if still busy after ``maxRounds`` rounds (two
        protocols ping-ponging forever), rather than hang the test.
        """
        anything = False
        for _ in range(maxRounds):
            if not self.pump():
                return anything
            anything = True
        raise RuntimeError(f"IOPump.flush: still busy after {maxRounds} rounds")


_pairCounter = iter(range(1, 1 << 30))


def connectedServerAndClient(
    ServerProtocol: Callable[[], Any],
    ClientProtocol: Callable[[], Any],
    clock: Clock | None = None,
    greet: bool = True,
) -> tuple[Any, Any, IOPump]:
    """Connect a new server and client protocol in memory.

    Both get ``makeConnection`` (server first, as an accepting port would
    run before the connecting client learns of it); with ``greet`` the pump
    is flushed once so whatever ``connectionMade`` wrote is delivered.
    Returns ``(client, server, pump)``.
    """
    serial = next(_pairCounter)
    serverAddress = IPv4Address("TCP", "127.0.0.1", 4321)
    clientAddress = IPv4Address("TCP", "127.0.0.1", 40000 + serial % 20000)
    server, client = ServerProtocol(), ClientProtocol()
    serverIO = FakeTransport(server, True, serverAddress, clientAddress)
    clientIO = FakeTransport(client, False, clientAddress, serverAddress)
    pump = IOPump(client, server, clientIO, serverIO, clock)
    server.makeConnection(serverIO)
    client.makeConnection(clientIO)
    if greet:
        pump.flush()
    return client, server, pump
