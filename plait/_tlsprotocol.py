"""``TLSMemoryBIOProtocol``: the TLS layer itself (re-exported by ``plait.tls``).

What it owns: the protocol that sits between a transport carrying
ciphertext (TCP, UNIX, an in-memory pair, a ``StringTransport``) and the
application's protocol, to which it is the transport.  ``plait.tls`` adds
the factory and ``startTLS``.  The engine is the standard library's
``ssl.SSLObject`` over two ``ssl.MemoryBIO``s: bytes from the transport go
into ``_incoming``, bytes for the transport come out of ``_outgoing``;
OpenSSL never touches a socket.

Lifecycle (``_Phase``, checked by ``_setPhase`` against ``_ALLOWED``)::

    HANDSHAKING --> OPEN --> DONE          (DONE: connectionLost delivered)
         |                    ^
         +--------------------+

Each direction's close is tracked apart (``_Side``): ours goes OPEN ->
CLOSING (a close was asked for; ``close_notify`` waits for the handshake,
buffered writes and a registered producer) -> SHUT (``close_notify``
sent); the peer's goes OPEN -> SHUT when its ``close_notify`` arrives.

Rules:

* The application's ``connectionMade`` runs when the transport connects,
  before the handshake (Twisted's order); ``handshakeCompleted`` (for an
  ``IHandshakeListener``) once the handshake *and* certificate verification
  succeeded.  Nothing reaches ``dataReceived`` before that, and a failed
  handshake never delivers a byte: ``connectionLost`` gets the reason (a
  ``plait.ssl.VerificationError``, an ``ssl.SSLError``, a ``TimeoutError``
  from ``handshakeTimeout``, or ``ConnectionLost`` if the peer hung up).
* An exception from ``handshakeCompleted`` ends the connection as Twisted
  ends a connection whose protocol raised: nothing more is sent or
  delivered, the transport is closed, ``connectionLost`` gets the
  exception.  It is reported once: a TLS endpoint waiting for the handshake
  fails with it, else it is logged ("Unhandled Error", as the reactor
  logs an exception from ``dataReceived``).
* Writes made before the handshake completes are held (a streaming
  producer is paused past ``bufferSize``) and sent encrypted after it; they
  are never sent in clear and are dropped if the handshake fails.
* ``loseConnection`` completes a handshake in progress, sends what was
  written, then ``close_notify``, then
  waits up to ``closeTimeout`` seconds for the peer's before closing the
  transport; writes made in between still go out (as on TCP).  A close
  without the peer's ``close_notify`` (a truncation) is ``ConnectionLost``.
* ``loseWriteConnection`` sends ``close_notify`` and keeps reading: TLS's
  half-close.  The peer's ``close_notify`` is ``readConnectionLost`` for an
  ``IHalfCloseableProtocol``, the end of the connection for any other.
* Renegotiation is refused (``OP_NO_RENEGOTIATION`` in every context plait
  builds; TLS 1.3 has none).

Theory of operation: batching.  Every call into OpenSSL costs a Python ->
C round trip, so the data path does as few as it can.  ``dataReceived``
writes everything the transport delivered into ``_incoming`` in one call
and reads plaintext in large chunks, stopping when ``_incoming`` and the
``SSLObject`` are both empty rather than by catching ``SSLWantReadError``
(an exception costs more than the two checks).  Writes are gathered the way
``abstract.FileDescriptor`` gathers them: a write made while the transport
is calling us (``dataReceived``, a producer's ``resumeProducing``) is
encrypted with the others when that call returns -- one ``SSLObject.write``,
one ``_outgoing.read``, one ``transport.write`` -- so the transport sends a
reply in the same turn; a write made anywhere else is encrypted by a
``callLater(0)``.  A write that makes ``_ENCRYPT_AT`` bytes or more is
encrypted at once, so the transport's flow control sees it (a producer
writing 64 KiB chunks is paused by the transport, as on plain TCP).

Tests: tests/unit/test_tls.py (memory transports), tests/contract/ (TLS over
TCP and over the in-memory pair), tests/integration/test_tls.py,
tests/integration/test_tls_peers.py.
"""

from __future__ import annotations

import enum
import ssl
from typing import TYPE_CHECKING, Any

from zope.interface import implementer

from plait import error, log
from plait._sslcert import Certificate
from plait._sslverify import _verificationError
from plait._tlstransport import _TransportBelow
from plait.defer import Deferred, fail, succeed
from plait.failure import Failure
from plait.interfaces import (
    IConsumer,
    IHalfCloseableProtocol,
    IHandshakeListener,
    ILoggingContext,
    INegotiated,
    IPushProducer,
    ISSLTransport,
    ISystemHandle,
)
from plait.protocol import connectionDone

if TYPE_CHECKING:
    from plait.tls import TLSMemoryBIOFactory

__all__ = ["TLSMemoryBIOProtocol"]

#: Bytes asked of one ``SSLObject.read``: a TLS record holds at most 16 KiB,
#: and a larger request costs an allocation above malloc's mmap threshold.
_READ_SIZE = 65536
#: Buffered plaintext that is encrypted at once instead of at the flush.
_ENCRYPT_AT = 16384

_WantRead = ssl.SSLWantReadError
_ZeroReturn = ssl.SSLZeroReturnError
_SSLError = ssl.SSLError
_CertError = ssl.SSLCertVerificationError


class _Phase(enum.Enum):
    HANDSHAKING = "handshaking"
    OPEN = "open"
    DONE = "done"

    __hash__ = object.__hash__  # identity: members are singletons


_ALLOWED = {
    _Phase.HANDSHAKING: frozenset({_Phase.OPEN, _Phase.DONE}),
    _Phase.OPEN: frozenset({_Phase.DONE}),
    _Phase.DONE: frozenset(),
}


class _Side(enum.Enum):
    """One direction of the TLS stream, for closing."""

    OPEN = "open"
    CLOSING = "closing"  # ours only: close_notify requested, not yet sent
    SHUT = "shut"  # close_notify sent (ours) or received (the peer's)

    __hash__ = object.__hash__


_HANDSHAKING, _OPEN, _DONE = _Phase.HANDSHAKING, _Phase.OPEN, _Phase.DONE
_SIDE_OPEN, _SIDE_CLOSING, _SIDE_SHUT = _Side.OPEN, _Side.CLOSING, _Side.SHUT


@implementer(IPushProducer)
class _ProducerMembrane:
    """What the TLS layer registers with the transport for the application's producer.

    The transport pauses and resumes it on its buffer; it passes that on,
    and runs a pull producer's ``resumeProducing`` inside a flush scope, so
    what the producer writes is encrypted into the transport before the
    transport looks at its buffer again.
    """

    def __init__(self, tls: TLSMemoryBIOProtocol) -> None:
        self._tls = tls

    def pauseProducing(self) -> None:
        self._tls._transportPaused(True)

    def resumeProducing(self) -> None:
        self._tls._transportPaused(False)

    def stopProducing(self) -> None:
        self._tls._stopProducer()


@implementer(ISSLTransport, INegotiated, ISystemHandle, IConsumer, IPushProducer, IHalfCloseableProtocol)
class TLSMemoryBIOProtocol(_TransportBelow):
    """TLS over ``self.transport`` for ``self.wrappedProtocol`` (see the module docstring).

    To the transport below it is a protocol; to the application's protocol
    it is the transport (``ISSLTransport``); what TLS has no part in
    (addresses, TCP options, ``connector``...) is ``_TransportBelow``'s.
    """

    #: Plaintext held during the handshake before a streaming producer is paused.
    bufferSize = 65536

    # Per-connection values that most connections never change live on the
    # class, so a connection only stores what differs.
    _connectWrapped = True  # makeConnection connects the application's protocol
    _flushPending = False  # somebody will encrypt and send what is buffered
    _scheduled: Any = None  # the DelayedCall of a pending flush
    _plainSize = 0
    _mySide = _SIDE_OPEN
    _peerSide = _SIDE_OPEN
    _halfClose = False  # loseWriteConnection (not loseConnection) closes our side
    _peerEnded = False  # the peer closed first: close without waiting for a producer
    _aborted = False
    _established = False  # the handshake and verification succeeded (stays True)
    _readPaused = False
    _reason: Failure | None = None  # why TLS failed, reported instead of the transport's
    _timer: Any = None  # handshake timeout, then close_notify timeout
    _waiters: list[Deferred[None]] | None = None
    _producer: Any = None
    _producerStreaming = False
    _pausedByTransport = False
    _pausedByUs = False
    _membrane: _ProducerMembrane | None = None
    #: Set by a connection creator that must check the peer itself
    #: after the handshake (``sendServerName=False``).
    _verifyPeer: Any = None

    def __init__(self, factory: TLSMemoryBIOFactory, wrappedProtocol: Any, _connectWrapped: bool = True) -> None:
        self.factory = factory
        self.wrappedProtocol = wrappedProtocol
        if not _connectWrapped:  # startTLS: the application is connected already
            self._connectWrapped = False
        self._phase = _HANDSHAKING
        self._plain: list[bytes] = []

    def __repr__(self) -> str:
        return f"<TLSMemoryBIOProtocol {self._phase.value} for {self.wrappedProtocol!r}>"

    def _setPhase(self, new: _Phase) -> None:
        if new not in _ALLOWED[self._phase]:
            raise RuntimeError(f"{self!r}: cannot go from {self._phase.value} to {new.value}")
        self._phase = new

    def logPrefix(self) -> str:
        """``"<wrapped protocol's prefix> (TLSMemoryBIOProtocol)"``."""
        wrapped = self.wrappedProtocol
        prefix = wrapped.logPrefix() if ILoggingContext.providedBy(wrapped) else type(wrapped).__name__
        return f"{prefix} ({type(self).__name__})"

    # -- starting -------------------------------------------------------------------

    def makeConnection(self, transport: Any) -> None:
        """Set up TLS over ``transport``, connect the application, start the handshake."""
        self._incoming = ssl.MemoryBIO()
        self._outgoing = ssl.MemoryBIO()
        factory = self.factory
        self._tls: ssl.SSLObject = factory._creatorCallable(self)
        self.connected = 1
        self.transport = transport
        clock = factory._clock or getattr(transport, "reactor", None) or _globalClock()
        self._clock = clock
        if factory.handshakeTimeout is not None:
            self._timer = clock.callLater(factory.handshakeTimeout, self._handshakeTimedOut)
        self._flushPending = True  # one flush at the end, for all of this
        if self._connectWrapped:
            self.wrappedProtocol.makeConnection(self)
        if self._phase is _HANDSHAKING and not self._aborted:
            self._handshake()
        self._flushPending = self._scheduled is not None
        self._flush()

    def _handshake(self) -> bool:
        """Take the handshake one step further; True once it has completed."""
        tls = self._tls
        try:
            tls.do_handshake()
        except _WantRead:
            return False
        except _CertError as e:
            self._failTLS(_verificationError(e))
            return False
        except _SSLError as e:
            self._failTLS(e)
            return False
        check = self._verifyPeer
        if check is not None:
            problem = check(tls)
            if problem is not None:
                self._failTLS(problem)
                return False
        self._setPhase(_OPEN)
        self._established = True
        self._cancelTimer()
        if self._pausedByUs:
            self._pausedByUs = False
            self._updateProducer()
        wrapped = self.wrappedProtocol
        if IHandshakeListener.providedBy(wrapped):
            try:
                wrapped.handshakeCompleted()
            except Exception:  # noqa: BLE001 - the application's bug: see the module docstring
                self._reason = Failure()
                if not self._waiters:  # else the TLS endpoint's Deferred fails with it
                    log.err(self._reason, "Unhandled Error", system=self.logPrefix())
                self._outgoing.read()  # as on Twisted, what the handshake left is not sent
                self._failTLS(self._reason.value)
                return False
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            waiter.callback(None)
        return True

    def _handshakeTimedOut(self) -> None:
        self._timer = None
        timeout = self.factory.handshakeTimeout
        self._reason = Failure(error.TimeoutError(string=f"the TLS handshake did not complete within {timeout} seconds"))
        self.transport.abortConnection()

    def _whenHandshakeDone(self) -> Deferred[None]:
        """A Deferred that fires when the handshake succeeded, or fails with the
        reason the connection was lost before it did (for the TLS endpoints)."""
        if self._phase is _OPEN:
            return succeed(None)
        if self._phase is _DONE:
            return fail(self._reason or Failure(error.ConnectionLost()))

        def cancel(d: Deferred[None]) -> None:
            # Fired here, so the loss that follows the abort finds it gone.
            if self._waiters is not None and d in self._waiters:
                self._waiters.remove(d)
            d.errback(Failure(error.ConnectingCancelledError(self.transport.getPeer())))
            self.abortConnection()

        d: Deferred[None] = Deferred(cancel)
        if self._waiters is None:
            self._waiters = []
        self._waiters.append(d)
        return d

    # -- receiving ---------------------------------------------------------------

    def dataReceived(self, data: bytes) -> None:
        """Ciphertext from the transport: advance the handshake, deliver plaintext."""
        self._incoming.write(data)
        committed = self._flushPending
        self._flushPending = True
        if self._phase is _HANDSHAKING and not self._handshake():
            self._flushPending = committed
            self._flush()
            return
        if self._phase is _OPEN and not self._readPaused:
            self._readPlaintext()
        self._flushPending = committed
        self._flush()

    def _readPlaintext(self) -> None:
        """Deliver every byte of plaintext the records received so far hold."""
        tls, incoming = self._tls, self._incoming
        read, deliver = tls.read, self.wrappedProtocol.dataReceived
        while True:
            try:
                chunk = read(_READ_SIZE)
            except _WantRead:
                return
            except _ZeroReturn:
                self._peerClosedTLS()
                return
            except _SSLError as e:
                self._failTLS(e)
                return
            if not chunk:
                self._peerClosedTLS()
                return
            if self._aborted or (self._mySide is not _SIDE_OPEN and not self._halfClose):
                # Closing: like TCP after loseConnection, deliver no more,
                # but read on to the peer's close_notify.
                continue
            deliver(chunk)
            if self._readPaused or self._phase is not _OPEN:
                return
            if not incoming.pending and not tls.pending():
                return

    def _peerClosedTLS(self) -> None:
        """The peer's ``close_notify`` arrived: its side is shut."""
        if self._peerSide is _SIDE_SHUT:
            return
        self._peerSide = _SIDE_SHUT
        if self._mySide is _SIDE_SHUT and not self._halfClose:
            self._closeTransport()  # both closed: we asked first, this is the answer
            return
        wrapped = self.wrappedProtocol
        if IHalfCloseableProtocol.providedBy(wrapped):
            wrapped.readConnectionLost()
            return
        if self._mySide is _SIDE_OPEN:
            self._mySide = _SIDE_CLOSING
        self._halfClose = False  # reply with ours, then close
        self._peerEnded = True  # ... without waiting for a producer, as TCP would

    def writeConnectionLost(self) -> None:
        """The transport's sending side was shut (not something TLS does itself)."""

    def readConnectionLost(self) -> None:
        """The transport's peer sent EOF (we are half-closeable to the transport)."""
        if self._phase is _DONE:
            return
        if self._peerSide is _SIDE_SHUT:
            if self._mySide is not _SIDE_SHUT and IHalfCloseableProtocol.providedBy(self.wrappedProtocol):
                return  # a clean half-close: the application may still write
        elif self._mySide is not _SIDE_SHUT and self._reason is None:
            # No close_notify first: the stream may have been cut short.
            during = " during the TLS handshake" if self._phase is _HANDSHAKING else ""
            self._reason = Failure(
                error.ConnectionLost(f"the peer closed the connection{during} without a TLS close_notify")
            )
        self._closeTransport()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        """The transport is gone: tell the application, once, with the TLS reason if any."""
        if self._phase is _DONE:
            return
        self._cancelTimer()
        self._cancelScheduled()
        transportReason = reason
        if self._reason is not None:
            reason = self._reason
        elif (
            reason.check(error.ConnectionDone)
            and self._peerSide is not _SIDE_SHUT
            and self._mySide is _SIDE_OPEN
        ):
            reason = Failure(error.ConnectionLost("the connection ended without a TLS close_notify"))
        self._reason = reason
        if reason is not transportReason:
            # The connector tells the factory next, with the transport's
            # reason; leave it the TLS one (see clientConnectionLost).
            connector = getattr(self.transport, "connector", None)
            ours = connector is not None and getattr(connector, "factory", None) is self.factory
            if ours:
                self.factory._tlsReasons[connector] = reason
        self._setPhase(_DONE)
        self._plain.clear()
        self._stopProducer()
        waiters, self._waiters = self._waiters, None
        for waiter in waiters or ():
            waiter.errback(reason)
        self.connected = 0
        self.wrappedProtocol.connectionLost(reason)

    def _failTLS(self, reason: Exception) -> None:
        """TLS cannot go on: send any alert, close the transport, report ``reason``."""
        if self._reason is None:
            self._reason = Failure(reason)
        self._plain.clear()
        self._plainSize = 0
        self._mySide = _SIDE_SHUT  # nothing more can be sent
        self._closeTransport()

    # -- sending ---------------------------------------------------------------------

    def write(self, data: bytes) -> None:
        """Encrypt and send ``data`` (gathered per reactor turn; see the module docstring)."""
        if not isinstance(data, bytes):
            raise TypeError("Data must be bytes")
        if not data or self._mySide is _SIDE_SHUT or self._aborted or self._phase is _DONE:
            return
        self._plain.append(data)
        self._plainSize += len(data)
        if self._plainSize >= _ENCRYPT_AT:
            if self._phase is _OPEN:
                self._encrypt()
                return
            if self._producer is not None and self._plainSize > self.bufferSize and not self._pausedByUs:
                self._pausedByUs = True
                self._updateProducer()
        if not self._flushPending:
            self._flushPending = True
            self._scheduled = self._clock.callLater(0, self._scheduledFlush)

    def writeSequence(self, iovec: Any) -> None:
        """Write each item; all are type-checked before any is sent."""
        items = list(iovec)
        for item in items:
            if not isinstance(item, bytes):
                raise TypeError("Data must be bytes")
        self.write(b"".join(items))

    def _encrypt(self) -> None:
        plain = self._plain
        data = plain[0] if len(plain) == 1 else b"".join(plain)
        plain.clear()
        self._plainSize = 0
        try:
            self._tls.write(data)
        except _SSLError as e:
            self._failTLS(e)
            return
        self.transport.write(self._outgoing.read())

    def _scheduledFlush(self) -> None:
        self._scheduled = None
        self._flushPending = False
        try:
            self._flush()
        except Exception:  # noqa: BLE001 - the loop's boundary for our own call
            self._reason = Failure()
            log.err(self._reason, "Unhandled Error", system=self.logPrefix())
            self.transport.abortConnection()

    def _flush(self) -> None:
        """Encrypt what is buffered, send what OpenSSL produced, settle a close."""
        if self._plain and self._phase is _OPEN:
            self._encrypt()
        if self._outgoing.pending:
            self.transport.write(self._outgoing.read())
        if self._mySide is _SIDE_CLOSING:
            self._settleClose()

    def _settleClose(self) -> None:
        """Send ``close_notify`` once everything before it is out."""
        if self._phase is _HANDSHAKING:
            # Finish the handshake first, so the peer sees a clean close
            # (Twisted aborts here); handshakeTimeout bounds the wait, and
            # abortConnection() is the way to give up at once.
            return
        if self._phase is not _OPEN or self._plain or (self._producer is not None and not self._peerEnded):
            return
        self._mySide = _SIDE_SHUT
        try:
            self._tls.unwrap()
        except _WantRead:
            pass  # ours is sent; the peer's has not arrived yet
        except _SSLError as e:
            self._failTLS(e)
            return
        if self._outgoing.pending:
            self.transport.write(self._outgoing.read())
        if self._halfClose:
            wrapped = self.wrappedProtocol
            if IHalfCloseableProtocol.providedBy(wrapped):
                wrapped.writeConnectionLost()
            return
        if self._peerSide is _SIDE_SHUT:
            self._closeTransport()
        elif self._timer is None:
            self._timer = self._clock.callLater(self.factory.closeTimeout, self._closeTimedOut)

    def _closeTimedOut(self) -> None:
        """The peer never answered our ``close_notify``: close anyway."""
        self._timer = None
        self._closeTransport()

    def _closeTransport(self) -> None:
        """Close the transport below (after what it still buffers)."""
        self._cancelTimer()
        if self._outgoing.pending:
            self.transport.write(self._outgoing.read())
        if self._membrane is not None:
            self._membrane = None
            self.transport.unregisterProducer()
        self.transport.loseConnection()

    def _cancelTimer(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None and timer.active():
            timer.cancel()

    def _cancelScheduled(self) -> None:
        scheduled, self._scheduled = self._scheduled, None
        if scheduled is not None and scheduled.active():
            scheduled.cancel()

    # -- closing (ITransport) ----------------------------------------------------

    @property
    def disconnecting(self) -> bool:
        """True once ``loseConnection`` or ``abortConnection`` was called."""
        return (self._mySide is not _SIDE_OPEN and not self._halfClose) or self._aborted

    @property
    def disconnected(self) -> bool:
        return self._phase is _DONE

    def loseConnection(self) -> None:
        """Send what was written, then ``close_notify``; close when the peer answers."""
        if self._phase is _DONE or self._aborted or (self._mySide is not _SIDE_OPEN and not self._halfClose):
            return
        self._halfClose = False
        if self._mySide is _SIDE_SHUT:  # after loseWriteConnection: just close
            if self._peerSide is _SIDE_SHUT:
                self._closeTransport()
            elif self._timer is None:
                self._timer = self._clock.callLater(self.factory.closeTimeout, self._closeTimedOut)
            return
        self._mySide = _SIDE_CLOSING
        self._requestFlush()

    def loseWriteConnection(self) -> None:
        """TLS half-close: send what was written, then ``close_notify``; keep reading."""
        if self._phase is _DONE or self._aborted or self._mySide is not _SIDE_OPEN:
            return
        self._mySide = _SIDE_CLOSING
        self._halfClose = True
        self._requestFlush()

    def _requestFlush(self) -> None:
        if not self._flushPending:
            self._flushPending = True
            self._scheduled = self._clock.callLater(0, self._scheduledFlush)

    def abortConnection(self) -> None:
        """Drop what is buffered and reset the transport now."""
        if self._phase is _DONE or self._aborted:
            return
        self._aborted = True
        self._plain.clear()
        self._plainSize = 0
        self.transport.abortConnection()

    # -- producers -------------------------------------------------------------------

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        """Let ``producer`` feed this connection, paced by the transport below."""
        if self._producer is not None:
            raise RuntimeError(
                f"Cannot register producer {producer}, because producer {self._producer} was never unregistered."
            )
        if self._phase is _DONE:
            producer.stopProducing()
            return
        self._producer = producer
        self._producerStreaming = bool(streaming)
        self._pausedByTransport = False
        self._membrane = _ProducerMembrane(self)
        self.transport.registerProducer(self._membrane, streaming)

    def unregisterProducer(self) -> None:
        """Forget the producer; a pending close may now proceed."""
        if self._producer is None:
            return
        self._producer = None
        if self._membrane is not None:
            self._membrane = None
            self.transport.unregisterProducer()
        if self._mySide is _SIDE_CLOSING:
            self._requestFlush()

    def _transportPaused(self, paused: bool) -> None:
        self._pausedByTransport = paused
        committed = self._flushPending
        self._flushPending = True
        self._updateProducer(pull=not paused)
        self._flushPending = committed
        self._flush()

    def _updateProducer(self, pull: bool = False) -> None:
        producer = self._producer
        if producer is None:
            return
        if not self._producerStreaming:
            if pull and not self._pausedByUs:
                producer.resumeProducing()
        elif self._pausedByTransport or self._pausedByUs:
            producer.pauseProducing()
        else:
            producer.resumeProducing()

    def _stopProducer(self) -> None:
        producer, self._producer = self._producer, None
        self._membrane = None
        if producer is not None:
            producer.stopProducing()

    # IPushProducer: pausing what we read
    def pauseProducing(self) -> None:
        """Stop delivering data (and stop reading the transport) until resumed."""
        self._readPaused = True
        self.transport.pauseProducing()

    def resumeProducing(self) -> None:
        """Deliver data again, starting with what is already decrypted."""
        self._readPaused = False
        self.transport.resumeProducing()
        if self._phase is _OPEN and (self._tls.pending() or self._incoming.pending):
            self._clock.callLater(0, self._deliverHeld)

    def _deliverHeld(self) -> None:
        if self._phase is _OPEN and not self._readPaused:
            self.dataReceived(b"")

    def stopProducing(self) -> None:
        """A consumer wants no more data: ``loseConnection``."""
        self.loseConnection()

    # -- what the application may ask -------------------------------------------

    def getPeerCertificate(self) -> Certificate | None:
        """The peer's certificate (``plait.ssl.Certificate``): None until the handshake
        and verification succeeded; still there in ``connectionLost``, as in Twisted."""
        if not self._established:
            return None
        der = self._tls.getpeercert(binary_form=True)
        return None if der is None else Certificate(der)

    def _getHostCertificate(self) -> Certificate | None:
        creator = self.factory._contextFactory
        options = getattr(creator, "_options", creator)
        return getattr(options, "certificate", None)

    @property
    def negotiatedProtocol(self) -> bytes | None:
        """The ALPN protocol agreed on, or None (none offered, none agreed, no handshake yet)."""
        if self._phase is _HANDSHAKING:
            return None
        chosen = self._tls.selected_alpn_protocol()
        return None if chosen is None else chosen.encode("ascii")

    def getHandle(self) -> ssl.SSLObject:
        """The ``ssl.SSLObject`` doing the work (Twisted returns pyOpenSSL's Connection)."""
        return self._tls


def _globalClock() -> Any:
    """The global reactor, as Twisted's default clock (only for a transport without one)."""
    from plait import reactor

    return reactor
