"""``FileDescriptor``: the write buffer, producers and close sequencing of a transport.

This module owns everything a stream transport does that is not about
sockets: buffering what the protocol writes, flow control with producers,
and the order of events when a connection ends (``loseConnection``,
``loseWriteConnection``, ``abortConnection``, ``connectionLost``).
``plait._tcpconnection.Connection`` adds the socket I/O (``doRead``,
``writeSomeData``, closing the socket) on top.

States (``_setState`` checks every move against ``_ALLOWED``)::

    CONNECTING --> CONNECTED --> DISCONNECTING --> DISCONNECTED
         |             |                               ^
         +-------------+-------------------------------+

Twisted's public flags are derived from the state: ``connected`` (CONNECTED
or DISCONNECTING), ``disconnecting`` (a local close was requested) and
``disconnected`` (DISCONNECTED).

Rules:

* ``write`` never sends and never calls back into the protocol: it appends
  to a list and makes sure somebody flushes it (see "Theory of operation").
  So bytes written and then discarded by ``abortConnection`` in the same
  reactor turn never reach the peer, as in Twisted.
* ``connectionLost`` runs exactly once, and never from inside a call the
  user made (``loseConnection``, ``abortConnection``, ``write``...): it is
  reached from ``doRead``/``doWrite`` returning a reason to the reactor, from
  a ``callLater(0)`` call, or from the reactor's shutdown.
* While a producer is registered, ``loseConnection`` and
  ``loseWriteConnection`` wait for ``unregisterProducer`` before closing,
  as ``ITransport.loseConnection`` documents.  (Deliberate difference:
  Twisted's code closes anyway when the producer is a streaming one that is
  not paused.)
* A streaming (push) producer is paused when more than ``bufferSize`` bytes
  are buffered and resumed when the buffer is empty; a pull producer is
  asked for more on registration and whenever the buffer empties.

Theory of operation: the flush.  Sending every ``write`` at once costs one
``send`` system call per write; registering for writability (what Twisted
does) costs two ``epoll_ctl`` calls and an extra pass through the loop.
plait coalesces instead: what a protocol writes while the loop is calling
it goes out in one ``send`` as soon as it returns, and what is written
anywhere else goes out in one ``send`` at the start of the next turn,
before the loop sleeps.  ``_flushPending`` says that somebody is already
committed to flushing, which is one of:

1. the transport's own ``doRead``/``doWrite`` (or the accept / connect code
   that calls ``connectionMade``) -- it flushes when the protocol returns;
2. a ``callLater(0)`` call made by ``_scheduleFlush`` for writes that
   happen anywhere else (a timer, another connection's ``dataReceived``);
3. the reactor, because the socket was full and the transport registered
   for writability.

Whoever flushes calls ``_flush()``, which returns ``None`` or a reason to
close the connection (an exception the caller hands to the reactor).
While connected, ``_flushPending`` false implies an empty buffer and no
writability registration: ``Connection.doRead`` relies on it to send a
single reply without going through ``_flush``.
Measured here with 200 connections written to from a timer: 9.2 us per
write (receiving included) with the ``callLater(0)`` flush, 12.5 us when
each write registers for writability instead.

Theory of operation: gathering.  A flush that finds several writes
buffered (a client that wrote a request in pieces, anything written while
the socket was full) could join them into one ``bytes`` and send that, as
Twisted does; but the join copies every byte once more before the kernel
copies it again.  A transport that sets ``_gathers`` (TCP and UNIX
connections: ``sendmsg``) hands the buffered writes themselves to one
call, and the kernel gathers them; after a partial send the writes sent
whole are dropped and ``_offset`` says how much of the next one went.  Such
a transport also sends one large write whole (the kernel takes what fits),
so ``SEND_LIMIT`` bounds only the joins of transports that do not gather
(pipes, test doubles).  Measured here, 200 clients writing 1 MiB each in
random pieces of up to 64 KiB: see bench/README.md, "the data path".

Tests: tests/unit/test_abstract.py, tests/contract/ (all transport
behaviour), tests/integration/test_tcp.py, tests/integration/test_tcp_volume.py.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from typing import Any

from zope.interface import implementer

from plait import error, log
from plait._ipaddress import isIPAddress, isIPv6Address
from plait.failure import Failure
from plait.interfaces import (
    IConsumer,
    ILoggingContext,
    IPushProducer,
    IReadWriteDescriptor,
)
from plait.logger import _dispatchContext

__all__ = ["FileDescriptor", "TransportState", "isIPAddress", "isIPv6Address"]


class TransportState(enum.Enum):
    """The life of a stream transport."""

    CONNECTING = "connecting"
    CONNECTED = "connected"
    DISCONNECTING = "disconnecting"
    DISCONNECTED = "disconnected"

    # Members are singletons compared by identity, so identity hashing is
    # correct, and it is C code: Enum's own __hash__ is a Python function
    # that every transition-table lookup would pay for.
    __hash__ = object.__hash__


_CONNECTING = TransportState.CONNECTING
_CONNECTED = TransportState.CONNECTED
_DISCONNECTING = TransportState.DISCONNECTING
_DISCONNECTED = TransportState.DISCONNECTED

_ALLOWED: dict[TransportState, frozenset[TransportState]] = {
    _CONNECTING: frozenset({_CONNECTED, _DISCONNECTED}),
    _CONNECTED: frozenset({_DISCONNECTING, _DISCONNECTED}),
    _DISCONNECTING: frozenset({_DISCONNECTED}),
    _DISCONNECTED: frozenset(),
}


class _WriteSide(enum.Enum):
    """The sending half of the connection, for ``loseWriteConnection``."""

    OPEN = "open"
    CLOSING = "closing"  # half-close requested; happens once the buffer drains
    CLOSED = "closed"  # shut down; further writes are dropped

    __hash__ = object.__hash__


_OPEN = _WriteSide.OPEN
_CLOSING = _WriteSide.CLOSING
_CLOSED = _WriteSide.CLOSED

#: The reason every clean close hands to ``connectionLost``: one shared
#: Failure, as Twisted's reactor shares one (its ``_disconnectSelectable``
#: maps the class ``ConnectionDone`` to a Failure built at import).  Building
#: a Failure per close cost about 8,400 CPU instructions per connection
#: (``BaseException`` construction, mostly C), a tenth of a whole churn
#: connection's client side.  Only a plain ``ConnectionDone()`` (no
#: arguments) maps here, so a reason that says more keeps its message.  A
#: protocol sees the same ``check``/``trap``/``value``/``getErrorMessage``;
#: what differs from a fresh one is identity and ``count``.
_CLEAN_CLOSE: Failure = Failure(error.ConnectionDone())
_ConnectionDone = error.ConnectionDone
#: The exception a transport returns for a clean close (no need for a new
#: one each time: it only ever becomes ``_CLEAN_CLOSE``).
_DONE: Exception = _CLEAN_CLOSE.value


def _closeReason(why: BaseException) -> Failure:
    """The Failure ``connectionLost`` gets for ``why`` (an exception or Failure)."""
    if isinstance(why, Failure):
        return why
    if why.__class__ is _ConnectionDone and not why.args:
        return _CLEAN_CLOSE
    return Failure(why)


#: The states in which ``write`` buffers (unless the write side is shut).
_WRITABLE = frozenset({_CONNECTED, _DISCONNECTING})

# ``_sendBuffered`` returns this when the kernel's send buffer is full.
_BLOCKED = object()
#: The most buffered writes handed to one ``_writeGathered`` call (a
#: fraction of Linux's IOV_MAX, 1,024: the kernel takes at most a socket
#: buffer's worth anyway).
_GATHER_MAX = 512


def _dataMustBeBytes(data: object) -> TypeError:
    """The ``TypeError`` for writing something that is not ``bytes``.

    Twisted's message is ``Data must be bytes``; plait keeps it as the
    prefix and adds the type it got and what to do instead, because
    ``write("text")`` is the first mistake most newcomers make.  Every
    plait transport (and the test doubles) raises this one.
    """
    kind = type(data).__name__
    if isinstance(data, str):
        hint = "encode text first, e.g. transport.write(text.encode('utf-8'))"
    elif isinstance(data, (bytearray, memoryview)):
        hint = "convert it with bytes(data)"
    else:
        hint = "a transport sends bytes only"
    return TypeError(f"Data must be bytes, not {kind}: {hint}")


@implementer(IConsumer, IPushProducer, IReadWriteDescriptor, ILoggingContext)
class FileDescriptor:
    """A buffered, flow-controlled, orderly-closing stream transport (abstract).

    Subclasses provide ``fileno()``, ``doRead()``, ``writeSomeData(data)``,
    ``_closeWriteSide()`` and extend ``connectionLost(reason)``.
    """

    #: Buffered bytes above which a streaming producer is paused.
    bufferSize: int = 2**2**2**2
    #: At most this many bytes are handed to one ``send`` call (by a
    #: transport that cannot gather, see ``_gathers``).
    SEND_LIMIT: int = 128 * 1024
    #: Whether the subclass sends several buffered writes in one call,
    #: ``_writeGathered(parts)`` (``Connection``: ``sendmsg``).  See
    #: "Theory of operation: gathering".
    _gathers: bool = False
    #: A pull producer that refills the buffer as fast as the socket drains
    #: it gets this many rounds per flush before the loop gets a turn.
    _PRODUCER_ROUNDS: int = 4

    logstr: str = "Uninitialized"
    producer: Any = None
    streamingProducer: bool = False
    producerPaused: bool = False

    # Per-connection flags.  Their initial values live here, on the class:
    # a connection only stores the ones that change, which keeps creating
    # one cheap (connection churn is a benchmark).
    _offset: int = 0  # bytes of _buffer[0] already sent
    _bufferedBytes: int = 0
    _acceptingWrites: bool = False  # derived from the state, for write()
    _flushPending: bool = False  # see "Theory of operation"
    _scheduled: Any = None  # the DelayedCall of a pending flush or close
    _reading: bool = False  # registered with the reactor for reading
    _writing: bool = False  # registered with the reactor for writing
    _readPaused: bool = False  # pauseProducing() was called
    _writeSide: _WriteSide = _OPEN
    _closeRequested: bool = False  # loseConnection / abortConnection called
    _aborted: bool = False

    def __init__(self, reactor: Any = None) -> None:
        if reactor is None:  # Twisted's signature: the global reactor by default
            from plait import reactor as globalReactor

            reactor = globalReactor
        self.reactor = reactor
        self._state = _CONNECTING
        self._buffer: list[bytes] = []

    # -- state -------------------------------------------------------------------

    def _setState(self, new: TransportState) -> None:
        """Move to ``new``; an illegal move is a bug in plait, so it raises."""
        if new not in _ALLOWED[self._state]:
            raise RuntimeError(
                f"{self!r}: cannot go from {self._state.value} to {new.value}"
            )
        self._state = new
        self._acceptingWrites = (
            new in _WRITABLE and self._writeSide is not _CLOSED and not self._aborted
        )

    # Twisted's three flags read as plain attributes and, for subclasses
    # written for Twisted (``self.connected = 1`` once their descriptor is
    # open), can be set as such: setting one moves the state machine, so
    # the write path, which only looks at the state, respects it.

    @property
    def connected(self) -> bool:
        """True from the connection being made until ``connectionLost``."""
        return self._state is _CONNECTED or self._state is _DISCONNECTING

    @connected.setter
    def connected(self, value: bool) -> None:
        if value and self._state is _CONNECTING:
            self._setState(_CONNECTED)
        elif not value and self._state is not _DISCONNECTED:
            self._setState(_DISCONNECTED)

    @property
    def disconnecting(self) -> bool:
        """True once ``loseConnection`` or ``abortConnection`` was called."""
        return self._closeRequested

    @disconnecting.setter
    def disconnecting(self, value: bool) -> None:
        self._closeRequested = bool(value)

    @property
    def disconnected(self) -> bool:
        """True once ``connectionLost`` ran."""
        return self._state is _DISCONNECTED

    @disconnected.setter
    def disconnected(self, value: bool) -> None:
        if value and self._state is not _DISCONNECTED:
            self._setState(_DISCONNECTED)

    @property
    def offset(self) -> int:
        """Bytes of the first buffered write already sent (Twisted's attribute)."""
        return self._offset

    @property
    def dataBuffer(self) -> bytes:
        """The bytes written but not yet sent (a copy; for inspection only)."""
        pending = b"".join(self._buffer)
        return pending[self._offset :]

    def logPrefix(self) -> str:
        """The prefix for log lines about this transport."""
        return self.logstr

    # -- reactor registration ----------------------------------------------------

    def startReading(self) -> None:
        """Ask the reactor for ``doRead`` calls (idempotent)."""
        if not self._reading:
            self._reading = True
            self.reactor.addReader(self)

    def stopReading(self) -> None:
        """Stop ``doRead`` calls (idempotent)."""
        if self._reading:
            self._reading = False
            self.reactor.removeReader(self)

    def startWriting(self) -> None:
        """Ask the reactor for ``doWrite`` calls (idempotent)."""
        if not self._writing:
            self._writing = True
            self.reactor.addWriter(self)

    def stopWriting(self) -> None:
        """Stop ``doWrite`` calls (idempotent)."""
        if self._writing:
            self._writing = False
            self.reactor.removeWriter(self)

    # -- writing -------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Buffer ``data`` for sending; it leaves at the end of this reactor turn.

        ``data`` must be ``bytes`` (otherwise ``TypeError("Data must be
        bytes, not str: ...")``, see ``_dataMustBeBytes``).  Empty data is
        ignored, and so is everything written once the connection is gone
        or its write side was shut down.
        """
        if not isinstance(data, bytes):
            raise _dataMustBeBytes(data)
        if not data or not self._acceptingWrites:
            return
        self._buffer.append(data)
        self._bufferedBytes += len(data)
        if self.producer is not None and self._bufferedBytes > self.bufferSize:
            self._pauseStreamingProducer()
        if not self._flushPending:
            self._scheduleFlush()

    def writeSequence(self, iovec: Iterable[bytes]) -> None:
        """Write each item of ``iovec``; all are checked before any is buffered."""
        items = list(iovec)
        for item in items:
            if not isinstance(item, bytes):
                raise _dataMustBeBytes(item)
        for item in items:
            self.write(item)

    def _scheduleFlush(self) -> None:
        """Flush at the start of the next reactor turn (see the module docstring)."""
        self._flushPending = True
        self._scheduled = self.reactor.callLater(0, self._flushFromLoop)

    def _flushFromLoop(self) -> None:
        """The ``callLater(0)`` flush."""
        self._scheduled = None
        self._flushPending = False
        self._runAsDispatch(self._flush)

    def _runAsDispatch(self, method: Any, *args: Any) -> None:
        """Run ``method`` the way the reactor runs ``doRead``/``doWrite``.

        For work the transport does from its own ``callLater`` calls or
        Deferred callbacks: an exception is logged and closes the
        connection with it as the reason; a returned reason closes it too.
        """
        # What the protocol logs meanwhile carries our prefix, as if the
        # reactor were dispatching to us (see plait.logger).
        context = _dispatchContext
        previous, context[0] = context[0], self
        try:
            reason: Any = method(*args)
        except Exception:  # noqa: BLE001 -- the loop's boundary: log, then close
            reason = Failure()
            log.err(reason, "Unhandled Error", system=self.logPrefix())
        if reason is not None:
            self._closeFromLoop(reason)
        context[0] = previous

    def _deliverFromLoop(self, method: Any, *args: Any) -> Any:
        """Call a protocol ``method`` for the loop, flushing what it writes.

        Returns ``None`` or the reason to close the connection.  Exceptions
        from ``method`` propagate to the caller (the reactor's dispatch or
        the accept loop), which logs them and closes the connection.
        """
        if self._flushPending:
            method(*args)
            return None
        self._flushPending = True
        method(*args)
        self._flushPending = False
        return self._flush()

    def _flush(self) -> Exception | None:
        """Send what is buffered; settle what an empty buffer means.

        Returns ``None``, or the reason to close: a ``ConnectionLost`` from
        the socket, or ``ConnectionDone`` when a requested close can now
        happen.  Leaves the transport registered for writing iff bytes
        remain.
        """
        buffer = self._buffer
        if (
            self.producer is None
            and self._state is _CONNECTED
            and self._writeSide is _OPEN
        ):
            # The common case, kept short: one write to send whole (or none),
            # no producer, no close requested.
            size = self._bufferedBytes
            if not size:
                self._flushPending = False
                return None
            if len(buffer) == 1 and (size <= self.SEND_LIMIT or self._gathers) and not self._offset:
                sent = self.writeSomeData(buffer[0])
                if sent == size:
                    buffer.clear()
                    self._bufferedBytes = 0
                    self._flushPending = False
                    if self._writing:
                        self.stopWriting()
                    return None
                if sent.__class__ is not int:
                    return sent  # type: ignore[no-any-return]
                self._offset = sent
                self._bufferedBytes -= sent
                self._flushPending = True
                self.startWriting()
                return None
        elif self._aborted or self._state is _DISCONNECTED:
            return None
        elif not buffer and self.producer is None:
            # Nothing to send and nobody to ask for more: settle a requested
            # close now (every loseConnection() made inside dataReceived).
            self._flushPending = False
            if self._writing:
                self.stopWriting()
            return self._bufferEmptied()
        for _ in range(self._PRODUCER_ROUNDS):
            outcome = self._sendBuffered()
            if outcome is _BLOCKED:
                self._flushPending = True
                self.startWriting()
                return None
            if outcome is not None:
                return outcome  # type: ignore[return-value]
            producer = self.producer
            if producer is None or (self.streamingProducer and not self.producerPaused):
                break
            # The buffer is empty: ask the producer for more, and send what it
            # writes in this same pass rather than one loop turn later.
            self.producerPaused = False
            self._flushPending = True
            producer.resumeProducing()
            if not buffer:
                break
        else:
            # A producer that refills the buffer as fast as the socket takes
            # it would starve every other connection: yield, resume when the
            # reactor says writable.
            self._flushPending = True
            self.startWriting()
            return None
        if buffer:  # written by a producer that was told to stop early
            self._flushPending = True
            self.startWriting()
            return None
        self._flushPending = False
        self.stopWriting()
        return self._bufferEmptied()

    def _sendBuffered(self) -> object:
        """Send until the buffer is empty (``None``), the socket is full
        (``_BLOCKED``) or it fails (the exception to close with)."""
        if self._gathers:
            return self._sendGathered()
        buffer = self._buffer
        limit = self.SEND_LIMIT
        while buffer:
            head = buffer[0]
            offset = self._offset
            if len(buffer) > 1 and len(head) - offset < limit:
                head = self._coalesce(limit)
                offset = 0
            if offset == 0 and len(head) <= limit:
                chunk: bytes | memoryview = head
            else:
                chunk = memoryview(head)[offset : offset + limit]
            sent = self.writeSomeData(chunk)
            if sent.__class__ is not int:
                return sent
            self._bufferedBytes -= sent
            offset += sent
            if offset == len(head):
                del buffer[0]
                self._offset = 0
            else:
                self._offset = offset
            if sent < len(chunk):
                return _BLOCKED
        return None

    def _sendGathered(self) -> object:
        """``_sendBuffered`` for a transport that gathers: the buffered
        writes themselves (up to ``_GATHER_MAX`` of them) go to one
        ``_writeGathered`` call, and nothing is joined or sliced but the
        unsent rest of the first."""
        buffer = self._buffer
        while buffer:
            offset = self._offset
            count = len(buffer)
            if count == 1:
                head = buffer[0]
                sent = self.writeSomeData(memoryview(head)[offset:] if offset else head)
            else:
                if count > _GATHER_MAX:
                    count = _GATHER_MAX
                    parts: list[bytes | memoryview] = list(buffer[:count])
                elif offset:
                    parts = list(buffer)
                else:
                    parts = buffer  # type: ignore[assignment]  # read only
                if offset:
                    parts[0] = memoryview(parts[0])[offset:]
                sent = self._writeGathered(parts)
            if sent.__class__ is not int:
                return sent
            if count == len(buffer) and sent == self._bufferedBytes:
                # Everything went (the common case): no walk.
                buffer.clear()
                self._bufferedBytes = 0
                self._offset = 0
                return None
            self._bufferedBytes -= sent
            # Drop the writes sent whole; keep how much of the next went.
            sent += offset
            done = 0
            while done < count and sent >= len(buffer[done]):
                sent -= len(buffer[done])
                done += 1
            del buffer[:done]
            self._offset = sent
            if done < count:
                return _BLOCKED  # the kernel took less than it was given
        return None

    def _writeGathered(self, parts: list[bytes | memoryview]) -> Any:
        """Send some of ``parts`` as if joined: the count sent, 0 if full, or
        an exception (subclass hook, for transports with ``_gathers``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement _writeGathered")

    def _coalesce(self, limit: int) -> bytes:
        """Join small writes at the head of the buffer into one send's worth."""
        buffer = self._buffer
        first = buffer[0]
        parts: list[bytes | memoryview] = [
            memoryview(first)[self._offset :] if self._offset else first
        ]
        size = len(first) - self._offset
        count = 1
        while count < len(buffer) and size < limit:
            size += len(buffer[count])
            parts.append(buffer[count])
            count += 1
        joined = b"".join(parts)
        buffer[:count] = [joined]
        self._offset = 0
        return joined

    def _bufferEmptied(self) -> Exception | None:
        """Everything written has been sent: finish a requested close."""
        if self.producer is not None:
            return None  # closing waits for unregisterProducer()
        if self._state is _DISCONNECTING:
            if self._writeSide is _CLOSED:
                # Twisted's reason when the write side was already shut down.
                return error.ConnectionDone("Connection done")
            return _DONE
        if self._writeSide is _CLOSING:
            self._writeSide = _CLOSED
            self._acceptingWrites = False
            return self._closeWriteSide()
        return None

    def fileno(self) -> int:
        """The descriptor the reactor watches (subclass hook)."""
        raise NotImplementedError(f"{type(self).__name__} must implement fileno")

    def doRead(self) -> Any:
        """The reactor says readable (subclass hook)."""
        raise NotImplementedError(f"{type(self).__name__} must implement doRead")

    def writeSomeData(self, data: bytes | memoryview) -> Any:
        """Send some of ``data``; return the count sent or an exception (subclass hook)."""
        raise NotImplementedError(f"{type(self).__name__} must implement writeSomeData")

    def _closeWriteSide(self) -> Exception | None:
        """Shut down the sending half and tell the protocol (subclass hook).

        Does nothing here, as Twisted's ``_closeWriteConnection``.
        """
        return None

    def getHost(self) -> Any:
        """Our address (subclass hook; ``ITransport.getHost``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement getHost")

    def getPeer(self) -> Any:
        """The other end's address (subclass hook; ``ITransport.getPeer``)."""
        raise NotImplementedError(f"{type(self).__name__} must implement getPeer")

    def readConnectionLost(self, reason: Failure) -> Any:
        """The peer finished sending; here that ends the connection (subclasses half-close)."""
        return self.connectionLost(reason)

    def writeConnectionLost(self, reason: Failure) -> Any:
        """Our sending half is gone; here that ends the connection (subclasses half-close)."""
        return self.connectionLost(reason)

    def doWrite(self) -> Any:
        """The reactor says writable: send what is buffered."""
        return self._flush()

    # -- closing -------------------------------------------------------------------

    def loseConnection(self) -> None:
        """Close after everything written so far (and later) has been sent.

        ``connectionLost(ConnectionDone)`` follows from the loop, never from
        inside this call.  Waits for a registered producer to unregister.
        A second call, or a call after the connection is gone, does nothing.
        """
        if self._state is not _CONNECTED:
            return
        self._closeRequested = True
        # _setState(_DISCONNECTING), settled: allowed from CONNECTED, and
        # writes are accepted in both states.
        self._state = _DISCONNECTING
        self.stopReading()
        if not self._flushPending:
            self._scheduleFlush()

    def loseWriteConnection(self) -> None:
        """Shut down the sending half once the buffer has drained.

        Bytes written before that still go out.  A protocol providing
        ``IHalfCloseableProtocol`` then gets ``writeConnectionLost()``.
        """
        if self._state is not _CONNECTED or self._writeSide is not _OPEN:
            return
        self._writeSide = _CLOSING
        if not self._flushPending:
            self._scheduleFlush()

    def abortConnection(self) -> None:
        """Close at once: drop the buffer, reset the connection (the peer sees RST).

        ``connectionLost(ConnectionAborted)`` follows on the next reactor
        turn.  Does nothing if already aborted or disconnected.
        """
        self._abortWith(error.ConnectionAborted())

    def _abortWith(self, reason: Exception) -> None:
        """``abortConnection``, with ``reason`` for ``connectionLost``.

        A hook for transports that must drop a connection from inside a
        user's call (``plait.unix``: a descriptor that cannot be sent).
        """
        if self._state is _DISCONNECTED or self._aborted:
            return
        self._aborted = True
        self._closeRequested = True
        self._acceptingWrites = False
        self._buffer.clear()
        self._offset = 0
        self._bufferedBytes = 0
        self.stopReading()
        self.stopWriting()
        self._cancelScheduled()
        if self._state is _CONNECTED:
            self._setState(_DISCONNECTING)
        self._flushPending = True  # nothing will ever be flushed again
        self._scheduled = self.reactor.callLater(0, self._closeFromLoop, reason)

    def _closeFromLoop(self, reason: Exception | Failure) -> None:
        """Do what the reactor does with a descriptor that is finished."""
        self._scheduled = None
        self.stopReading()
        self.stopWriting()
        context = _dispatchContext
        previous, context[0] = context[0], self
        try:
            self.connectionLost(_closeReason(reason))
        finally:
            context[0] = previous

    def _cancelScheduled(self) -> None:
        scheduled, self._scheduled = self._scheduled, None
        if scheduled is not None and scheduled.active():
            scheduled.cancel()

    def connectionLost(self, reason: Failure) -> None:
        """The connection is gone: release the reactor and the producer.

        Subclasses extend this to close the socket and tell the protocol;
        they return at once when ``self.disconnected`` is already true, so
        that the protocol hears about the end exactly once.  (A subclass
        written for Twisted may have set ``connected = 0`` first: allowed.)
        """
        # _setState(_DISCONNECTED), settled: allowed from every other state.
        self._state = _DISCONNECTED
        self._acceptingWrites = False
        self._flushPending = True  # nothing will ever be flushed again
        # The checks (which the methods repeat) save a call each on the
        # common path: nothing scheduled, the reactor already let go of us.
        if self._scheduled is not None:
            self._cancelScheduled()
        if self._reading:
            self.stopReading()
        if self._writing:
            self.stopWriting()
        if self._buffer:
            self._buffer.clear()
            self._bufferedBytes = 0
            self._offset = 0
        producer = self.producer
        if producer is not None:
            self.producer = None
            producer.stopProducing()

    # -- IConsumer -----------------------------------------------------------------

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Let ``producer`` feed this transport, paced by the write buffer.

        Raises ``RuntimeError`` if another producer is registered.  On a
        transport that is already gone, ``producer.stopProducing()`` is
        called instead.
        """
        if self.producer is not None:
            raise RuntimeError(
                f"Cannot register producer {producer}, because producer "
                f"{self.producer} was never unregistered."
            )
        if self._state is _DISCONNECTED:
            producer.stopProducing()
            return
        self.producer = producer
        self.streamingProducer = bool(streaming)
        self.producerPaused = False
        if not streaming:
            producer.resumeProducing()

    def unregisterProducer(self) -> None:
        """Forget the producer; a pending close may now proceed."""
        self.producer = None
        self.producerPaused = False
        if self._state is _DISCONNECTED:
            return
        if (self._state is _DISCONNECTING or self._writeSide is _CLOSING) and (
            not self._flushPending
        ):
            self._scheduleFlush()

    def stopConsuming(self) -> None:
        """The producer is gone: unregister it and close (Twisted's ``stopConsuming``)."""
        self.unregisterProducer()
        self.loseConnection()

    def _pauseStreamingProducer(self) -> None:
        if self.streamingProducer and not self.producerPaused:
            self.producerPaused = True
            self.producer.pauseProducing()

    # -- IPushProducer (the transport produces what it reads) -------------------

    def pauseProducing(self) -> None:
        """Stop reading from the connection until ``resumeProducing``."""
        self._readPaused = True
        self.stopReading()

    def resumeProducing(self) -> None:
        """Read again, unless closing or the peer has finished sending."""
        self._readPaused = False
        if self._state is _CONNECTED and self._wantsToRead():
            self.startReading()

    def stopProducing(self) -> None:
        """``loseConnection()``: a consumer does not want any more data."""
        self.loseConnection()

    def _wantsToRead(self) -> bool:
        """Whether reading may resume (subclasses add the peer's EOF)."""
        return not self._readPaused

