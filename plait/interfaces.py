"""The contracts of plait, written as zope.interface interfaces.

This module owns the *specification* of plait: every interface a Twisted
client program may ask about (``IProtocol.providedBy(p)``,
``verifyObject(IReactorTCP, reactor)``) with the same name, the same methods
and the same signatures as ``twisted.internet.interfaces`` in Twisted 26.10.
It contains no behaviour.  The docstrings are the part that matters: each one
says when a method is called, how many times, in which order, and what the
caller may assume about re-entrancy.  Implementations elsewhere in plait are
checked against these docstrings by the unit and contract tests.

Rules:

* Layer 0: this module imports only ``zope.interface`` and the standard
  library at run time.  Names from other plait modules (``Deferred``,
  ``Failure``) appear in annotations only, under ``TYPE_CHECKING``.
* Methods are declared without ``self``, as zope.interface expects; the
  signature string zope reports (``IReactorTCP['connectTCP']
  .getSignatureString()``) is exactly Twisted's, defaults included.
* Parameter types are as narrow as the contract promises and return types as
  wide as it allows, so that with the ``mypy-zope`` plugin every
  ``@implementer`` class is a valid subtype.
* An interface names *what* is guaranteed.  How plait meets a guarantee is
  the business of the implementing module.

Words used throughout:

* *The loop* is one run of the reactor's main loop: run the calls queued from
  other threads, run the timed calls that are due, wait once in the selector,
  then dispatch ``doRead``/``doWrite`` on ready descriptors.
* *Re-entrant delivery* means calling back into user code from inside a call
  the user made.  plait never does this for lifecycle callbacks: for example
  ``connectionLost`` is never invoked from inside ``loseConnection()``; it
  arrives later, from the loop.

Deliberate divergences from Twisted (each has a test):

* ``IReactorTime.seconds()`` is monotonic (``time.monotonic``), not wall
  clock time (Twisted uses ``time.time``).  A timer is never fired early or
  late because someone changed the system clock.  Code that wants wall clock
  time should call ``time.time()`` itself.
* ``IHalfCloseableProtocol.writeConnectionLost`` is documented here as it
  actually behaves on Twisted's TCP transport: it *is* called once a
  ``loseWriteConnection()`` has flushed (Twisted's own docstring says it is
  never called for TCP; its implementation calls it).

Tests: tests/unit/test_interfaces.py, tests/unit/test_verify.py
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any, NewType

from zope.interface import Attribute, Interface

if TYPE_CHECKING:  # pragma: no cover - annotations only; keeps layer 0 clean
    from plait.defer import Deferred
    from plait.failure import Failure


# ---------------------------------------------------------------------------
# Addresses and logging
# ---------------------------------------------------------------------------


class IAddress(Interface):
    """I am the address of one end of a connection, or of a listening port.

    A marker: I declare no methods.  Providers (``IPv4Address``,
    ``IPv6Address``, ``UNIXAddress``, ``HostnameAddress``) are immutable
    value objects: hashable, and equal when their fields are equal.
    """


class ILoggingContext(Interface):
    """I give the log messages written about me a short prefix.

    The reactor uses the prefix when it logs an error raised by a
    descriptor's callback, and transports build theirs from their protocol's
    (a TCP client transport for protocol ``Echo`` logs as ``Echo,client``).
    """

    def logPrefix() -> str:
        """Return the prefix, a short string without brackets.

        May be called any number of times, at any point of the object's
        life, including after it has been closed.  Must not raise.
        """


# ---------------------------------------------------------------------------
# Protocols and factories
# ---------------------------------------------------------------------------


class IProtocol(Interface):
    """I am the application side of one stream connection.

    A transport drives me through one fixed lifecycle::

        makeConnection -> connectionMade -> dataReceived* -> connectionLost

    * ``makeConnection`` is called exactly once, by whoever attaches me to a
      transport; it stores the transport and then calls ``connectionMade``.
    * ``dataReceived`` is called zero or more times, only between
      ``connectionMade`` and ``connectionLost``.
    * ``connectionLost`` is called exactly once, last, and only if
      ``makeConnection`` was called.  Nothing is called on me after it.

    None of my methods is ever called re-entrantly: while one of them runs,
    the transport does not call another one, and a call I make on my
    transport (``write``, ``loseConnection``, ``abortConnection``...) never
    calls back into me before it returns.  In particular ``connectionLost``
    is delivered from the loop, after ``loseConnection()`` has returned.

    If ``connectionMade`` or ``dataReceived`` raises, the reactor logs the
    exception and closes the connection; ``connectionLost`` then receives a
    ``Failure`` wrapping that exception.
    """

    def dataReceived(data: bytes) -> None:
        """Handle some bytes received from the peer.

        ``data`` is non-empty and is an arbitrary slice of the stream: a
        message the peer sent with one write may arrive split across several
        calls, and several messages may arrive in one.  Framing is my job
        (see ``plait.protocols.basic``).
        """

    def connectionLost(reason: Failure) -> None:
        """Handle the end of the connection; the last call I receive.

        ``reason`` wraps ``error.ConnectionDone`` for a clean close (either
        side closed after flushing), ``error.ConnectionLost`` or a subclass
        (``ConnectionAborted`` after ``abortConnection()``) for an unclean
        one, or the exception that an earlier callback of mine raised.
        Called exactly once; the transport must not be written to afterwards
        (writes are silently dropped).
        """

    def makeConnection(transport: ITransport) -> None:
        """Attach me to ``transport`` and then call ``connectionMade``.

        Called exactly once, before any other method of this interface.
        Implementations set ``self.transport`` before calling
        ``connectionMade`` so that the latter can write.
        """

    def connectionMade() -> None:
        """Handle the connection becoming usable.

        Called exactly once, from ``makeConnection``.  ``self.transport`` is
        set and may be written to; for a client the peer address is known.
        For TLS this runs before the handshake has completed (see
        ``IHandshakeListener``).
        """


class IProtocolFactory(Interface):
    """I build one protocol per connection, and am told when I am in use.

    ``doStart`` and ``doStop`` bracket my use by listening ports and
    connectors: each user calls ``doStart`` once before its first
    ``buildProtocol`` and ``doStop`` once when it is done.  Implementations
    count the users and run their start/stop hooks on the transitions
    from zero users to one and from one user to zero.
    """

    def buildProtocol(addr: IAddress) -> IProtocol | None:
        """Return a new protocol for a connection with ``addr``, or ``None``.

        ``addr`` is the peer's address.  Called once per accepted or
        established connection, before that protocol's ``makeConnection``.
        Returning ``None`` refuses the connection: the transport closes it
        and no protocol callbacks run.  An exception is treated like a
        refusal and is logged (endpoints report it through their Deferred).
        """

    def doStart() -> None:
        """Note one more user; start the factory if it had none.

        Called by ports and connectors before they first build a protocol.
        """

    def doStop() -> None:
        """Note one user fewer; stop the factory if none remain.

        Called once per earlier ``doStart``.  An extra call while the
        factory has no users is ignored.
        """


class IHalfCloseableProtocol(Interface):
    """I am a protocol that can keep talking after one direction closes.

    A transport checks ``IHalfCloseableProtocol.providedBy(protocol)``.  A
    protocol that does not provide me has the whole connection closed when
    the peer stops sending.
    """

    def readConnectionLost() -> None:
        """Handle the peer's end of stream: it will send no more bytes.

        Called at most once, after the last ``dataReceived``.  The
        connection stays open for writing; I must eventually call
        ``loseConnection()`` myself, which leads to ``connectionLost``.
        """

    def writeConnectionLost() -> None:
        """Handle my own write side having shut down.

        Called at most once, from the loop, after a ``loseWriteConnection()``
        has flushed the buffer and sent end-of-stream to the peer.  I can
        still receive data.
        """


class IFileDescriptorReceiver(Interface):
    """I am a protocol that can receive file descriptors over a UNIX socket.

    Used with ``IUNIXTransport.sendFileDescriptor`` to pass descriptors
    between processes on one host.
    """

    def fileDescriptorReceived(descriptor: int) -> None:
        """Take ownership of ``descriptor``, received from the peer.

        Called from the loop, before ``dataReceived`` of the bytes the
        descriptor travelled with; I must close it when done.
        """


class IHandshakeListener(Interface):
    """I am a protocol that wants to know when a TLS handshake finishes.

    Only TLS transports honour me; wrappers (endpoints) pass the call on
    to the user's protocol when it provides me.
    """

    def handshakeCompleted() -> None:
        """Handle the completion of the TLS handshake.

        Called after ``connectionMade``, once the handshake has completed
        and the peer's certificate was verified, and again after each
        renegotiation.  Not called if the handshake fails (the connection is
        lost instead).
        """


class IProtocolNegotiationFactory(Interface):
    """I am a factory whose protocols support ALPN negotiation."""

    def acceptableProtocols() -> list[bytes]:
        """Return the ALPN protocol names I accept, most preferred first.

        Called when a TLS connection is set up; each name is bytes such as
        ``b"h2"``.
        """


# ---------------------------------------------------------------------------
# Transports
# ---------------------------------------------------------------------------


class ITransport(Interface):
    """I am a bidirectional byte stream, as seen by the protocol using me.

    Writes never block and never fail synchronously because of the network:
    data is buffered and sent when the socket is writable, in order.  Errors
    surface later, as the reason given to ``connectionLost``.  None of my
    methods calls back into the protocol before returning.
    """

    def write(data: bytes) -> None:
        """Queue ``data`` to be sent after everything written before.

        ``data`` must be ``bytes``; anything else (``str``, ``bytearray``,
        ``memoryview``) raises ``TypeError``.  Empty bytes are ignored, and
        so are writes after the connection is lost.  Writes made after
        ``loseConnection()`` but before the close completes are still sent.
        """

    def writeSequence(data: Iterable[bytes]) -> None:
        """Queue each item of ``data``, as successive ``write`` calls would.

        Every item is type-checked before any is queued.
        """

    def loseConnection() -> None:
        """Close the connection once everything written has been sent.

        Stops reading at once.  If a producer is registered, the close waits
        until it unregisters.  The protocol's ``connectionLost`` (with
        ``ConnectionDone``) arrives later, from the loop, never from inside
        this call.  Calling again while closing, or after the close, does
        nothing.
        """

    def getPeer() -> IAddress:
        """Return the address of the remote end.  Valid until the close."""

    def getHost() -> IAddress:
        """Return the address of this end.  Valid until the close."""


class ITCPTransport(ITransport):
    """I am a TCP connection, with half-close, abort and socket options."""

    def loseWriteConnection() -> None:
        """Send end-of-stream to the peer once the buffer has drained.

        Reading continues.  When the buffer is flushed the write side is
        shut down and, if the protocol provides ``IHalfCloseableProtocol``,
        its ``writeConnectionLost()`` is called from the loop.  Later writes
        are ignored.
        """

    def abortConnection() -> None:
        """Close the connection now, discarding whatever is buffered.

        Ignores registered producers.  The peer sees a reset.  The
        protocol's ``connectionLost`` receives ``ConnectionAborted``, from
        the loop, not from inside this call.  A no-op once the connection is
        closed or being aborted.
        """

    def getTcpNoDelay() -> bool:
        """Return whether Nagle's algorithm is off (``TCP_NODELAY``)."""

    def setTcpNoDelay(enabled: bool) -> None:
        """Turn ``TCP_NODELAY`` on or off; off by default."""

    def getTcpKeepAlive() -> bool:
        """Return whether ``SO_KEEPALIVE`` is on."""

    def setTcpKeepAlive(enabled: bool) -> None:
        """Turn ``SO_KEEPALIVE`` on or off; off by default."""

    def getHost() -> IAddress:
        """Return the local address: an ``IPv4Address`` or ``IPv6Address``."""

    def getPeer() -> IAddress:
        """Return the remote address: an ``IPv4Address`` or ``IPv6Address``.

        For a client this is the address actually connected to (after name
        resolution), not the name it was asked for.
        """


class ITLSTransport(ITCPTransport):
    """I am a TCP connection that can switch to TLS in the middle of a stream."""

    def startTLS(
        contextFactory: IOpenSSLClientConnectionCreator
        | IOpenSSLServerConnectionCreator,
    ) -> None:
        """Start a TLS handshake on this connection.

        Bytes written before the call go out in clear; bytes written after
        are encrypted.  ``contextFactory`` is a client connection creator
        (``optionsForClientTLS``) for a client and a server one
        (``CertificateOptions``) for a server.  From then on the transport
        also provides ``ISSLTransport``.  Called at most once.
        """


class ISSLTransport(ITCPTransport):
    """I am a TLS connection."""

    def getPeerCertificate() -> object:
        """Return the peer's certificate, or ``None`` before the handshake.

        The type of the object is defined by ``plait.ssl``.  Only meaningful
        once the handshake has completed.
        """


class INegotiated(ISSLTransport):
    """I am a TLS connection that reports the application protocol chosen by ALPN."""

    negotiatedProtocol = Attribute(
        "The protocol name (bytes) both sides agreed on with ALPN, or None if "
        "none was negotiated.  Only meaningful once the handshake completed."
    )


class IUNIXTransport(ITransport):
    """I am a UNIX stream socket connection."""

    def sendFileDescriptor(descriptor: int) -> None:
        """Send a duplicate of ``descriptor`` (a file, socket, pipe...) to the peer.

        The send does not block: the descriptor is queued and goes out with
        a byte of the data written, in order with other descriptors, not
        necessarily with respect to ``write`` calls.  Call ``write`` at
        least as many times as ``sendFileDescriptor``.
        """


class ISystemHandle(Interface):
    """I wrap an operating system object that callers may want to touch."""

    def getHandle() -> object:
        """Return the OS object: the ``socket.socket`` for TCP and UNIX.

        Using it can break the transport's invariants; read options from it,
        do not read or write data through it.
        """


class IHalfCloseableDescriptor(Interface):
    """I am a descriptor (transport side) that supports half-close."""

    def writeConnectionLost(reason: Failure) -> None:
        """Record that the write side is shut down; reading may continue.

        Called at most once, by the descriptor itself once a half-close
        has flushed.
        """

    def readConnectionLost(reason: Failure) -> None:
        """Record that the peer sent end-of-stream.

        Called at most once.  Tells a half-closeable protocol, or closes the
        whole connection if the protocol does not provide
        ``IHalfCloseableProtocol``.
        """


# ---------------------------------------------------------------------------
# Producers and consumers: back-pressure
# ---------------------------------------------------------------------------


class IProducer(Interface):
    """I produce data for a consumer (see ``IConsumer``).

    I come in two kinds.  A *push* producer (``IPushProducer``, registered
    with ``streaming=True``) writes whenever it has data, until the consumer
    asks it to pause.  A *pull* producer (``IPullProducer``, registered with
    ``streaming=False``) writes exactly once each time the consumer asks.
    """

    def stopProducing() -> None:
        """Stop producing for good; no more writes to the consumer.

        Called at most once, when the consumer goes away (for a transport:
        when the connection is lost).  Must not raise.  No other method is
        called after it.
        """


class IPushProducer(IProducer):
    """I write to my consumer until it tells me to pause.

    The consumer calls ``pauseProducing`` when its buffer is full and
    ``resumeProducing`` when the buffer has drained; calls alternate, and I
    start in the producing state.
    """

    def pauseProducing() -> None:
        """Stop writing until ``resumeProducing`` is called.

        A write already in progress may complete; a transport being paused
        stops reading from its socket.
        """

    def resumeProducing() -> None:
        """Start writing again after ``pauseProducing``."""


class IPullProducer(IProducer):
    """I write to my consumer only when asked, one chunk at a time."""

    def resumeProducing() -> None:
        """Write exactly one chunk to the consumer, then wait to be asked again.

        The consumer calls this on registration and every time its buffer
        empties.  When I have nothing left I unregister myself.
        """


class IConsumer(Interface):
    """I consume data written by a producer, and exert back-pressure.

    At most one producer is registered at a time.  While a push producer is
    registered I call its ``pauseProducing`` when more than my buffer limit
    is queued and its ``resumeProducing`` once the queue drains; a pull
    producer has ``resumeProducing`` called whenever the queue is empty.
    A transport's ``loseConnection()`` waits for the producer to unregister.
    """

    def registerProducer(producer: IProducer, streaming: bool) -> None:
        """Attach ``producer``; ``streaming`` is True for a push producer.

        Raises ``RuntimeError`` if a producer is already registered.  If I am
        already closed, ``producer.stopProducing()`` is called instead.  A
        pull producer gets its first ``resumeProducing()`` from here or from
        the loop.
        """

    def unregisterProducer() -> None:
        """Detach the current producer.

        Called by the producer when it is done.  A pending
        ``loseConnection()`` may then complete.
        """

    def write(data: bytes) -> None:
        """Consume ``data``; the same contract as ``ITransport.write``."""


# ---------------------------------------------------------------------------
# Descriptors: the reactor <-> transport contract
# ---------------------------------------------------------------------------


class IFileDescriptor(ILoggingContext):
    """I am something the reactor can watch: an object with an OS descriptor.

    The reactor calls my methods only from the loop, never concurrently.
    """

    def fileno() -> int:
        """Return my descriptor number, or -1 once I am closed.

        Must stay the same while I am registered with the reactor.  The
        reactor treats -1 as "finished" and drops me.
        """

    def connectionLost(reason: Failure) -> None:
        """Release everything: I am finished and no longer watched.

        Called exactly once, by the reactor or by myself, after I have been
        removed from reading and writing.  ``reason`` wraps the cause: the
        value ``doRead``/``doWrite`` returned, the exception they raised, or
        ``ConnectionLost`` when the reactor shuts down with me registered.
        """


class IReadDescriptor(IFileDescriptor):
    """I am a descriptor the reactor can watch for readability."""

    def doRead() -> object:
        """Read what is available without blocking.

        Called by the loop when the selector reports me readable and I am
        registered with ``addReader``.  Returns ``None`` normally.  Returning
        anything else (an exception instance or a ``Failure``) means "I am
        finished": the reactor removes me and calls
        ``connectionLost(Failure(value))``.  If I raise, the reactor logs the
        error with my ``logPrefix()`` and does the same with the exception.
        """


class IWriteDescriptor(IFileDescriptor):
    """I am a descriptor the reactor can watch for writability."""

    def doWrite() -> object:
        """Write what is buffered without blocking.

        Called by the loop when the selector reports me writable and I am
        registered with ``addWriter``.  Return value and exceptions are
        handled as for ``IReadDescriptor.doRead``.  I remove myself from
        writing once my buffer is empty.
        """


class IReadWriteDescriptor(IReadDescriptor, IWriteDescriptor):
    """I am a descriptor that is both read and written, such as a TCP socket."""


class IReactorFDSet(Interface):
    """I watch descriptors and call them when they are ready.

    All four add/remove methods are idempotent and must be called from the
    reactor thread.  A descriptor is watched by the selector while it is in
    either set.  My own internal descriptors (the waker) are never reported
    by ``getReaders``/``getWriters``.
    """

    def addReader(reader: IReadDescriptor) -> None:
        """Call ``reader.doRead()`` from the loop whenever it is readable.

        Adding a reader that is already added does nothing.
        """

    def addWriter(writer: IWriteDescriptor) -> None:
        """Call ``writer.doWrite()`` from the loop whenever it is writable.

        Adding a writer that is already added does nothing.
        """

    def removeReader(reader: IReadDescriptor) -> None:
        """Stop watching ``reader`` for readability; no-op if not watched.

        Takes effect immediately: a ``doRead`` for it that is already due in
        the current loop iteration is not delivered.
        """

    def removeWriter(writer: IWriteDescriptor) -> None:
        """Stop watching ``writer`` for writability; no-op if not watched."""

    def removeAll() -> list[IReadDescriptor | IWriteDescriptor]:
        """Stop watching every descriptor and return them, each once.

        The reactor's internal descriptors are neither removed nor returned.
        Used at shutdown, which then calls ``connectionLost`` on each.
        """

    def getReaders() -> list[IReadDescriptor]:
        """Return the descriptors watched for readability, as a new list."""

    def getWriters() -> list[IWriteDescriptor]:
        """Return the descriptors watched for writability, as a new list."""


# ---------------------------------------------------------------------------
# Connectors and listening ports
# ---------------------------------------------------------------------------


class IConnector(Interface):
    """I am a client's connection attempt, and I can be retried.

    ``reactor.connectTCP`` (and friends) return me already connecting.  My
    ``state`` attribute is one of three strings::

        "disconnected" --connect()--> "connecting"
        "connecting"   --success----> "connected"      (buildProtocol)
        "connecting"   --failure----> "disconnected"   (clientConnectionFailed)
        "connecting"   --stopConnecting()-> "disconnected" (failed with UserError)
        "connected"    --lost-------> "disconnected"   (clientConnectionLost)

    With a ``ClientFactory`` the callbacks run in this order::

        doStart -> startedConnecting
            -> (buildProtocol -> ... -> clientConnectionLost
                | clientConnectionFailed)
            -> doStop

    ``doStart`` is called only the first time this connector starts the
    factory, and ``doStop`` is skipped if the factory called ``connect()``
    again from inside ``clientConnectionFailed``/``clientConnectionLost``
    (which retries at once, on the same connector).  ``startedConnecting``
    runs inside ``connect()``; ``buildProtocol``, ``clientConnectionFailed``
    and ``clientConnectionLost`` are delivered from the loop, except the
    failure caused by ``stopConnecting()``, which is reported before that
    call returns.
    """

    def stopConnecting() -> None:
        """Abandon the connection attempt in progress.

        Only valid in state ``"connecting"``; otherwise raises
        ``error.NotConnectingError``.  The attempt fails with
        ``error.UserError``: the state becomes ``"disconnected"`` and the
        factory's ``clientConnectionFailed`` receives the failure before
        this call returns (as in Twisted; endpoints and
        ``ReconnectingClientFactory.stopTrying`` rely on it).
        """

    def disconnect() -> None:
        """Stop whatever I am doing.

        ``"connecting"``: same as ``stopConnecting()``.  ``"connected"``:
        calls ``loseConnection()`` on the transport.  ``"disconnected"``:
        does nothing.  Never raises because of the state.
        """

    def connect() -> None:
        """Start a new connection attempt with the same factory and address.

        Only valid in state ``"disconnected"``; otherwise raises
        ``RuntimeError`` naming the current state.  Typically called from
        ``clientConnectionLost`` or ``clientConnectionFailed`` to reconnect.
        The connect timeout covers name resolution and the TCP handshake.
        """

    def getDestination() -> IAddress:
        """Return the address I connect to, as given (an unresolved name stays a name)."""


class IListeningPort(Interface):
    """I am a port accepting connections (or datagrams) for a factory."""

    def startListening() -> None:
        """Bind and start accepting connections.

        Calls the factory's ``doStart``.  Raises ``error.CannotListenError``
        synchronously if the address cannot be bound.  The reactor's
        ``listen*`` methods call this before returning me.
        """

    def stopListening() -> Deferred[None] | None:
        """Stop accepting connections; connections already made stay open.

        Returns a ``Deferred`` that fires once the socket is closed and the
        factory's ``doStop`` has run (from the loop, never synchronously), or
        ``None`` if I was not listening.
        """

    def getHost() -> IAddress:
        """Return the bound address; with port 0 this gives the real port."""


# ---------------------------------------------------------------------------
# The reactor
# ---------------------------------------------------------------------------


class IReactorCore(Interface):
    """I am the reactor's lifecycle: run, stop, and system event triggers.

    Lifecycle::

        (not started) --run()--> running --stop()--> stopped (final)
                                    \\--crash()--> not running (run() again ok)

    ``run()`` fires the ``"startup"`` event and then loops; ``stop()``
    makes the loop fire ``"shutdown"`` and return.  A reactor that has been
    stopped cannot run again (``error.ReactorNotRestartable``).

    System events are named by arbitrary strings (``"startup"``,
    ``"shutdown"`` and any custom name).  Firing an event runs its triggers
    in three phases, in this order:

    * ``"before"`` triggers, in registration order.  A trigger may return a
      ``Deferred``; the next phase waits until all of them have fired.
    * ``"during"`` triggers.  During ``"shutdown"`` the reactor's own
      trigger runs first, so user triggers already see ``running == False``;
      then remaining connections get ``connectionLost`` and the thread pool
      is stopped.
    * ``"after"`` triggers.  ``callWhenRunning`` registers here for
      ``"startup"``.

    An exception raised by a trigger is logged and does not prevent the
    others from running.
    """

    running = Attribute(
        "True from the 'during startup' phase until stop() or crash(); "
        "False during 'during shutdown' and 'after shutdown' triggers."
    )

    def resolve(name: str, timeout: Sequence[int] = (1, 3, 11, 45)) -> Deferred[str]:
        """Return a ``Deferred`` firing with one IPv4 address for ``name``.

        An IPv4 literal succeeds immediately with itself, ``""`` with
        ``"0.0.0.0"``; other names go to the installed ``IResolverSimple``.
        Fails with ``error.DNSLookupError`` when the name has no IPv4
        address.  ``timeout`` is a sequence of retry timeouts in seconds
        that resolvers may honour.
        """

    def run() -> None:
        """Fire ``"startup"``, then run the loop until ``stop()`` or ``crash()``.

        Blocks the calling thread; returns after the ``"shutdown"`` event has
        completed (or right after ``crash()``).  Raises
        ``error.ReactorAlreadyRunning`` if already running and
        ``error.ReactorNotRestartable`` if ``stop()`` ever completed.
        """

    def stop() -> None:
        """Ask the loop to fire ``"shutdown"`` and then return from ``run()``.

        Returns immediately; the shutdown happens at the end of the current
        or next loop iteration, not inside this call.  Raises
        ``error.ReactorNotRunning`` if the reactor is not running or is
        already stopping.  The reactor cannot be restarted afterwards.
        """

    def crash() -> None:
        """Make ``run()`` return as soon as possible, without ``"shutdown"``.

        No triggers run and connections stay open.  ``running`` becomes
        False and ``run()`` may be called again.  Meant for tests.
        """

    def iterate(delay: float) -> None:
        """Run one loop iteration, waiting at most ``delay`` seconds for I/O.

        Runs thread-queued calls and due timed calls, then waits once in the
        selector and dispatches ready descriptors.  Implementations default
        ``delay`` to 0.  Must not be called from inside the running loop.
        """

    def fireSystemEvent(eventType: str) -> None:
        """Run the before/during/after triggers registered for ``eventType``.

        Returns once the ``"before"`` phase has run; the later phases may run
        later if before-triggers returned unfired Deferreds.  An event with no
        triggers does nothing.
        """

    def addSystemEventTrigger(
        phase: str,
        eventType: str,
        callable: Callable[..., Any],
        *args: object,
        **kwargs: object,
    ) -> Any:
        """Call ``callable(*args, **kwargs)`` in ``phase`` of ``eventType``.

        ``phase`` is ``"before"``, ``"during"`` or ``"after"``; anything else
        raises ``KeyError``.  The trigger runs each time the event fires
        until removed.  Returns an opaque ID for
        ``removeSystemEventTrigger``.
        """

    def removeSystemEventTrigger(triggerID: Any) -> None:
        """Remove the trigger whose ID ``addSystemEventTrigger`` returned.

        Raises ``ValueError`` if it was already removed, and ``ValueError``,
        ``KeyError`` or ``TypeError`` for something that is not an ID.
        """

    def callWhenRunning(
        callable: Callable[..., Any], *args: object, **kwargs: object
    ) -> Any | None:
        """Call ``callable(*args, **kwargs)`` once the reactor is running.

        If it is running already the call happens now, inside this call, and
        ``None`` is returned.  Otherwise it becomes an ``"after"``
        ``"startup"`` trigger and its trigger ID is returned.
        """


class IDelayedCall(Interface):
    """I am a call scheduled with ``IReactorTime.callLater``.

    I am *active* from creation until I run or am cancelled; then I am
    finished for good.  I run at most once, from the loop (or from
    ``Clock.advance``), never earlier than ``getTime()``.
    """

    def getTime() -> float:
        """Return the time, on the reactor's ``seconds()`` clock, when I will run."""

    def cancel() -> None:
        """Unschedule me; I will never run.

        Raises ``error.AlreadyCancelled`` if I was cancelled and
        ``error.AlreadyCalled`` if I already ran.  Releases the callable and
        its arguments.
        """

    def delay(secondsLater: float) -> None:
        """Postpone me by ``secondsLater`` seconds from my current due time.

        Raises ``AlreadyCancelled``/``AlreadyCalled`` like ``cancel``.
        """

    def reset(secondsFromNow: float) -> None:
        """Reschedule me to run ``secondsFromNow`` seconds from now.

        Raises ``AlreadyCancelled``/``AlreadyCalled`` like ``cancel``.
        """

    def active() -> bool:
        """Return True until I have run or been cancelled."""


class IReactorTime(Interface):
    """I keep time and run timed calls.

    plait divergence: ``seconds()`` is a monotonic clock (Twisted uses
    ``time.time``), so it never jumps when the system clock is set.  Timed
    calls run in due-time order, ties in scheduling order.  A call scheduled
    while timed calls are running waits for the next loop iteration, even
    with a delay of 0.  An exception raised by a timed call is logged and
    does not stop the loop.
    """

    def seconds() -> float:
        """Return the current time in seconds on this reactor's clock.

        Never decreases.  Only differences between two values mean anything.
        """

    def callLater(
        delay: float, callable: Callable[..., Any], *args: object, **kwargs: object
    ) -> IDelayedCall:
        """Arrange for ``callable(*args, **kwargs)`` to run ``delay`` seconds from now.

        ``delay`` must be a non-negative number and ``callable`` callable;
        otherwise ``AssertionError`` is raised at once, with Twisted's
        message (``"-1 is not greater than or equal to 0 seconds"``), and
        even under ``python -O``.  The call runs from the loop (or from
        ``Clock.advance``), never inside this call.  Returns the
        ``IDelayedCall`` that controls it.
        """

    def getDelayedCalls() -> Sequence[IDelayedCall]:
        """Return the calls that are still active (scheduled, not run or cancelled)."""


class IReactorFromThreads(Interface):
    """I let other threads hand work to the reactor thread."""

    def callFromThread(
        callable: Callable[..., Any], *args: object, **kwargs: object
    ) -> None:
        """Run ``callable(*args, **kwargs)`` in the reactor thread, soon.

        The only reactor method that is safe to call from any thread.  Wakes
        the loop if it is waiting; calls run in the order they were queued,
        at the start of the next loop iteration.  Exceptions are logged.
        """


class IReactorInThreads(Interface):
    """I run blocking work in a pool of worker threads."""

    def callInThread(
        callable: Callable[..., Any], *args: object, **kwargs: object
    ) -> None:
        """Run ``callable(*args, **kwargs)`` in a worker thread.

        Call from the reactor thread.  The result is discarded; use
        ``plait.threads.deferToThread`` to get it back.
        """


class IReactorThreads(IReactorFromThreads, IReactorInThreads):
    """I own the thread pool behind ``callInThread``."""

    def getThreadPool() -> object:
        """Return the thread pool, creating it on first use.

        The pool is started when the reactor runs and stopped during the
        ``"shutdown"`` event.
        """

    def suggestThreadPoolSize(size: int) -> None:
        """Set the maximum number of worker threads to ``size``."""


# ---------------------------------------------------------------------------
# Name resolution
# ---------------------------------------------------------------------------


class IResolverSimple(Interface):
    """I turn a hostname into one IPv4 address (the old, simple API)."""

    def getHostByName(name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        """Return a ``Deferred`` firing with one IPv4 address for ``name``.

        Fails with ``error.DNSLookupError`` if there is none.  ``timeout``
        may be ignored.
        """


class IHostResolution(Interface):
    """I am one hostname resolution in progress."""

    name = Attribute("The hostname being resolved, as given.")

    def cancel() -> None:
        """Stop the resolution: report nothing more to the receiver.

        A resolver that cannot stop a lookup in progress may raise ``NotImplementedError`` (as
        Twisted's threaded one does); callers that cancel must be ready
        for it.
        """


class IResolutionReceiver(Interface):
    """I receive the results of one ``IHostnameResolver`` resolution.

    Calls arrive in this order, from the reactor thread::

        resolutionBegan -> addressResolved* -> resolutionComplete

    Zero addresses means the name did not resolve.
    """

    def resolutionBegan(resolutionInProgress: IHostResolution) -> None:
        """Receive the handle of the resolution; called exactly once, first."""

    def addressResolved(address: IAddress) -> None:
        """Receive one address (``IPv4Address`` or ``IPv6Address``), in resolver order."""

    def resolutionComplete() -> None:
        """Learn that no more addresses will come; called exactly once, last."""


class IHostnameResolver(Interface):
    """I turn a hostname into every address it has, of every family asked for."""

    def resolveHostName(
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        """Start resolving ``hostName`` and report to ``resolutionReceiver``.

        ``portNumber`` is copied into each address.  ``addressTypes``
        restricts the families (``IPv4Address``, ``IPv6Address``; ``None``
        means both).  ``transportSemantics`` is ``"TCP"`` or ``"UDP"``.
        ``resolutionBegan`` is called before this returns; the addresses and
        ``resolutionComplete`` normally come later, from the loop.  Returns
        the resolution in progress (the object ``resolutionBegan`` received).
        """


class IReactorPluggableResolver(Interface):
    """I let the ``IResolverSimple`` used by ``resolve()`` be replaced."""

    def installResolver(resolver: IResolverSimple) -> IResolverSimple:
        """Use ``resolver`` from now on; return the one it replaces.

        Also replaces ``nameResolver`` with an adapter over ``resolver``.
        """


class IReactorPluggableNameResolver(Interface):
    """I let the ``IHostnameResolver`` used for connecting be replaced."""

    nameResolver = Attribute(
        "The IHostnameResolver in use (read-only; change it with "
        "installNameResolver).  The default runs getaddrinfo in the thread pool."
    )

    def installNameResolver(resolver: IHostnameResolver) -> IHostnameResolver:
        """Use ``resolver`` from now on; return the one it replaces.

        Also replaces the simple resolver behind ``resolve()`` with an
        adapter over ``resolver``.
        """


class IReactorTCP(Interface):
    """I make and accept TCP connections."""

    def listenTCP(
        port: int, factory: IProtocolFactory, backlog: int = 50, interface: str = ""
    ) -> IListeningPort:
        """Listen on ``interface``:``port`` and serve connections with ``factory``.

        ``port`` 0 picks a free port (read it back with ``getHost()``);
        ``interface`` ``""`` means all IPv4 interfaces, and an IPv6 literal
        listens on IPv6.  Returns a port that is already listening, or raises
        ``error.CannotListenError`` at once.  Each accepted connection gets
        a protocol from ``factory.buildProtocol(peerAddress)``.
        """

    def connectTCP(
        host: str,
        port: int,
        factory: IProtocolFactory,
        timeout: float = 30.0,
        bindAddress: tuple[str, int] | None = None,
    ) -> IConnector:
        """Connect to ``host``:``port`` and hand the connection to ``factory``.

        ``factory`` is normally a ``ClientFactory``; see ``IConnector`` for
        the order of its callbacks.  ``host`` may be a name (resolved with
        ``resolve``, IPv4 only) or an IP literal.  ``timeout`` (seconds, or
        ``None`` for no limit) covers resolution and the handshake; when it
        expires the attempt fails with ``error.TimeoutError``.  ``bindAddress``
        is a local ``(host, port)`` to bind first.  Returns a connector that
        is already connecting; every failure, including resolution and bind
        errors, is reported through ``clientConnectionFailed`` from the loop.
        """


class IReactorSSL(Interface):
    """I make and accept TLS connections over TCP."""

    def connectSSL(
        host: str,
        port: int,
        factory: IProtocolFactory,
        contextFactory: IOpenSSLClientConnectionCreator | IOpenSSLContextFactory,
        timeout: float,
        bindAddress: tuple[str, int] | None,
    ) -> IConnector:
        """Like ``connectTCP``, with TLS set up by ``contextFactory``.

        Implementations default ``timeout`` to 30 and ``bindAddress`` to
        ``None``.  The protocol's ``connectionMade`` runs when TCP is
        connected, before the handshake; verification failures end the
        connection through ``connectionLost``.
        """

    def listenSSL(
        port: int,
        factory: IProtocolFactory,
        contextFactory: IOpenSSLServerConnectionCreator | IOpenSSLContextFactory,
        backlog: int = 50,
        interface: str = "",
    ) -> IListeningPort:
        """Like ``listenTCP``, serving TLS set up by ``contextFactory``."""


class IReactorUNIX(Interface):
    """I make and accept UNIX stream socket connections."""

    def connectUNIX(
        address: str,
        factory: IProtocolFactory,
        timeout: float = 30,
        checkPID: bool = False,
    ) -> IConnector:
        """Connect to the UNIX socket at path ``address``.

        Otherwise as ``IReactorTCP.connectTCP``.  With ``checkPID``, the
        attempt fails unless a live process holds the lock file
        ``address + ".lock"`` (made by ``listenUNIX(..., wantPID=True)``);
        it must be false for a Linux abstract-namespace address.
        """

    def listenUNIX(
        address: str,
        factory: IProtocolFactory,
        backlog: int = 50,
        mode: int = 0o666,
        wantPID: bool = False,
    ) -> IListeningPort:
        """Listen on a UNIX socket at path ``address`` with permissions ``mode``.

        Otherwise as ``IReactorTCP.listenTCP``.  With ``wantPID``, a lock
        file ``address + ".lock"`` naming this process is taken first (it
        must be false for a Linux abstract-namespace address).
        """


class IReactorUDP(Interface):
    """I bind datagram protocols to UDP ports."""

    def listenUDP(
        port: int, protocol: Any, interface: str, maxPacketSize: int
    ) -> IListeningPort:
        """Bind ``protocol`` (a ``DatagramProtocol``) to ``interface``:``port``.

        Implementations default ``interface`` to ``""`` and
        ``maxPacketSize`` to 8192.  The protocol's transport provides
        ``IUDPTransport``.  Raises ``error.CannotListenError`` at once if the
        address cannot be bound.
        """


class IReactorMulticast(Interface):
    """I bind datagram protocols to multicast-capable UDP ports (brief)."""

    def listenMulticast(
        port: int,
        protocol: Any,
        interface: str = "",
        maxPacketSize: int = 8192,
        listenMultiple: bool = False,
    ) -> IListeningPort:
        """Like ``IReactorUDP.listenUDP``; the transport provides ``IMulticastTransport``.

        ``listenMultiple`` lets several sockets bind the same port.
        """


class IReactorSocket(Interface):
    """I adopt sockets that were created elsewhere (inherited or passed in)."""

    def adoptStreamPort(
        fileDescriptor: int, addressFamily: int, factory: IProtocolFactory
    ) -> IListeningPort:
        """Serve ``factory`` on an already bound and listening socket.

        The descriptor is duplicated; the caller still owns and must close
        the original.  Raises ``error.UnsupportedAddressFamily`` for a
        family other than ``AF_INET``, ``AF_INET6`` (or ``AF_UNIX``).
        """

    def adoptStreamConnection(
        fileDescriptor: int, addressFamily: int, factory: IProtocolFactory
    ) -> None:
        """Run a protocol from ``factory`` on an already connected socket.

        The descriptor is duplicated as for ``adoptStreamPort``.  The
        protocol is built and connected before this returns.
        """

    def adoptDatagramPort(
        fileDescriptor: int,
        addressFamily: int,
        protocol: Any,
        maxPacketSize: int,
    ) -> IListeningPort:
        """Run ``protocol`` on an already bound datagram socket.

        Implementations default ``maxPacketSize`` to 8192.
        """


class IReactorProcess(Interface):
    """I start child processes (``plait.process``)."""

    def spawnProcess(
        processProtocol: object,
        executable: str | bytes,
        args: Sequence[str | bytes],
        env: dict[str, str] | None = None,
        path: str | None = None,
        uid: int | None = None,
        gid: int | None = None,
        usePTY: bool = False,
        childFDs: dict[int, object] | None = None,
    ) -> object:
        """Start ``executable`` with ``args`` and connect it to ``processProtocol``."""


# ---------------------------------------------------------------------------
# Endpoints
# ---------------------------------------------------------------------------


class IStreamClientEndpoint(Interface):
    """I know how to make one kind of stream connection to one destination.

    An endpoint can be used any number of times; each ``connect`` is an
    independent attempt.  Endpoints wrap the factory they are given, so a
    ``ClientFactory``'s ``clientConnectionFailed``/``clientConnectionLost``
    are never called; failures arrive through the returned ``Deferred``.
    """

    def connect(protocolFactory: IProtocolFactory) -> Deferred[IProtocol]:
        """Connect, and fire with the protocol ``protocolFactory`` built.

        The ``Deferred`` fires after the protocol's ``connectionMade`` has
        returned (if it raises, the ``Deferred`` never fires).  It fails with
        an ``error.ConnectError`` subclass (or ``DNSLookupError``) if the
        connection cannot be made, and with ``error.NoProtocol`` if the
        factory returns ``None``.  Cancelling it before the connection is
        made abandons the attempt and fails it with
        ``error.ConnectingCancelledError``.  No timeout is implied beyond the
        endpoint's own ``timeout`` argument, if it has one.
        """


class IStreamServerEndpoint(Interface):
    """I know how to listen for stream connections on one address."""

    def listen(protocolFactory: IProtocolFactory) -> Deferred[IListeningPort]:
        """Start listening and fire with the ``IListeningPort``.

        Fails (rather than raising) with ``error.CannotListenError`` if the
        address cannot be bound.
        """


class IStreamClientEndpointStringParserWithReactor(Interface):
    """I am a plugin that builds a client endpoint from a description string.

    ``clientFromString(reactor, "prefix:arg:key=value")`` finds the parser
    whose ``prefix`` matches, case-insensitively, and calls it.
    """

    prefix = Attribute("The endpoint type I handle, such as 'tcp' (a str).")

    def parseStreamClient(
        reactor: IReactorCore, *args: str, **kwargs: str
    ) -> IStreamClientEndpoint:
        """Return a client endpoint built from the parsed description.

        ``args`` and ``kwargs`` are the description's positional and
        keyword parts after the prefix, all as strings.  Raises
        ``TypeError`` or ``ValueError`` for a bad description.
        """


class IStreamServerEndpointStringParser(Interface):
    """I am a plugin that builds a server endpoint from a description string."""

    prefix = Attribute("The endpoint type I handle, such as 'tcp' (a str).")

    def parseStreamServer(
        reactor: IReactorCore, *args: str, **kwargs: str
    ) -> IStreamServerEndpoint:
        """Return a server endpoint built from the parsed description.

        Arguments are as for ``parseStreamClient``.
        """


# ---------------------------------------------------------------------------
# TLS configuration
# ---------------------------------------------------------------------------


class IOpenSSLClientConnectionCreator(Interface):
    """I configure the client side of TLS connections (``optionsForClientTLS``).

    Twisted's name is kept for compatibility although plait uses the
    standard library ``ssl`` module rather than pyOpenSSL.
    """

    def clientConnectionForTLS(tlsProtocol: object) -> object:
        """Return a new client-side TLS connection object for ``tlsProtocol``.

        Called once per connection, when TLS starts.  The object carries the
        trust roots, the hostname to verify and the ALPN offer.
        """


class IOpenSSLServerConnectionCreator(Interface):
    """I configure the server side of TLS connections (``CertificateOptions``)."""

    def serverConnectionForTLS(tlsProtocol: object) -> object:
        """Return a new server-side TLS connection object for ``tlsProtocol``.

        Called once per accepted connection, when TLS starts.
        """


class IOpenSSLContextFactory(Interface):
    """I provide a TLS context object shared by many connections (older API)."""

    def getContext() -> object:
        """Return the context; may return the same object on every call."""


# ---------------------------------------------------------------------------
# Datagrams
# ---------------------------------------------------------------------------


class IUDPTransport(Interface):
    """I am the transport of a datagram protocol bound to a UDP port."""

    def write(packet: bytes, addr: tuple[str, int] | None) -> None:
        """Send ``packet`` as one datagram to ``addr`` (an ``(ip, port)`` pair).

        ``addr`` must be ``None`` after ``connect()`` and given otherwise.
        Implementations default it to ``None``.  A packet that cannot be sent
        because the socket buffer is full is dropped, as UDP allows.
        """

    def connect(host: str, port: int) -> None:
        """Fix the peer: only its datagrams are received, and writes go to it.

        ``host`` must be an IP address, not a name.  Called at most once.
        """

    def getHost() -> IAddress:
        """Return the bound address (an ``IPv4Address``/``IPv6Address`` of type UDP)."""

    def stopListening() -> Deferred[None] | None:
        """Close the port; the protocol is told with ``doStop``.

        Returns a ``Deferred`` that fires once closed, or ``None``.
        """

    def setBroadcastAllowed(enabled: bool) -> None:
        """Allow or forbid sending to broadcast addresses (``SO_BROADCAST``)."""

    def getBroadcastAllowed() -> bool:
        """Return whether broadcast is allowed."""


class IMulticastTransport(IUDPTransport):
    """I am a UDP transport that can join multicast groups (brief)."""

    def getOutgoingInterface() -> str | int:
        """Return the interface multicast is sent from (IPv4: its address; IPv6: its index)."""

    def setOutgoingInterface(addr: str | int) -> Deferred[int]:
        """Send multicast from ``addr`` (IPv4: an address or name; IPv6: an interface index)."""

    def getLoopbackMode() -> bool:
        """Return whether this host receives the multicast it sends."""

    def setLoopbackMode(mode: bool) -> None:
        """Set whether this host receives the multicast it sends."""

    def getTTL() -> int:
        """Return the time-to-live of outgoing multicast packets."""

    def setTTL(ttl: int) -> None:
        """Set the time-to-live of outgoing multicast packets."""

    def joinGroup(addr: str, interface: str = "") -> Deferred[None]:
        """Join the multicast group ``addr`` on ``interface`` (default: any)."""

    def leaveGroup(addr: str, interface: str = "") -> Deferred[None]:
        """Leave the multicast group ``addr`` on ``interface``."""


# ---------------------------------------------------------------------------
# Fidelity (issue 12): the rest of twisted.internet.interfaces' public names.
# ---------------------------------------------------------------------------


class _Binding:
    """How to bind a local socket: address, port and options (``tcp.makeBinding``).

    Immutable; compared and hashed by value.  ``reuseAddress`` maps to
    ``SO_REUSEADDR``, ``reusePort`` to ``SO_REUSEPORT``.
    """

    __slots__ = ("_address", "_port", "_reuseAddress", "_reusePort")

    _address: str | None
    _port: int
    _reuseAddress: bool
    _reusePort: bool

    def __init__(self, address: str | None = None, port: int = 0, reuseAddress: bool = False,
                 reusePort: bool = False) -> None:
        object.__setattr__(self, "_address", address)
        object.__setattr__(self, "_port", port)
        object.__setattr__(self, "_reuseAddress", reuseAddress)
        object.__setattr__(self, "_reusePort", reusePort)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _key(self) -> tuple[str | None, int, bool, bool]:
        return (self._address, self._port, self._reuseAddress, self._reusePort)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Binding):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        address, port, reuseAddress, reusePort = self._key()
        return (f"_Binding(_address={address!r}, _port={port!r}, "
                f"_reuseAddress={reuseAddress!r}, _reusePort={reusePort!r})")


#: The type ``tcp.makeBinding`` returns (Twisted's ``NewType`` of ``_Binding``).
Binding = NewType("Binding", _Binding)


class IReactorTCP2(IReactorTCP):
    """``IReactorTCP`` whose ports and bind addresses may be ``Binding``s."""

    def listenTCP(
        port: _Binding | int, factory: Any, backlog: int = 50, interface: str | None = None,
    ) -> IListeningPort:
        """Listen as ``port`` (a ``Binding``, or a number with ``interface``) says."""

    def connectTCP(
        host: str, port: int, factory: Any, timeout: float = 30.0,
        bindAddress: _Binding | tuple[str, int] | None = None,
    ) -> IConnector:
        """Connect, binding the local end as ``bindAddress`` (a ``Binding``) says."""


class IReactorDaemonize(Interface):
    """A reactor that must prepare for (and recover from) daemonization."""

    def beforeDaemonize() -> None:
        """Called before the process daemonizes (forks and detaches)."""

    def afterDaemonize() -> None:
        """Called after the process daemonized."""


class IReactorWin32Events(Interface):
    """Win32 event objects (Windows only; no plait reactor provides it)."""

    def addEvent(event: object, fd: Any, action: str) -> None:
        """Call ``getattr(fd, action)()`` whenever ``event`` is signalled."""

    def removeEvent(event: object) -> None:
        """Stop watching ``event``."""


class IResolver(IResolverSimple):
    """A full DNS resolver (Twisted Names); plait provides none.

    Each ``lookup*`` takes ``name`` and ``timeout`` and returns a Deferred
    firing with ``(answers, authority, additional)`` lists of records.
    """

    def query(query: Any, timeout: Sequence[int]) -> Deferred[Any]:
        """Answer a DNS query object."""

    def lookupAddress(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """A records."""

    def lookupAddress6(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """A6 records."""

    def lookupIPV6Address(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """AAAA records."""

    def lookupMailExchange(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """MX records."""

    def lookupNameservers(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """NS records."""

    def lookupCanonicalName(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """CNAME records."""

    def lookupMailBox(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """MB records."""

    def lookupMailGroup(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """MG records."""

    def lookupMailRename(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """MR records."""

    def lookupPointer(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """PTR records."""

    def lookupAuthority(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """SOA records."""

    def lookupNull(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """NULL records."""

    def lookupWellKnownServices(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """WKS records."""

    def lookupHostInfo(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """HINFO records."""

    def lookupMailboxInfo(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """MINFO records."""

    def lookupText(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """TXT records."""

    def lookupResponsibility(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """RP records."""

    def lookupAFSDatabase(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """AFSDB records."""

    def lookupService(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """SRV records."""

    def lookupAllRecords(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """ALL_RECORDS."""

    def lookupSenderPolicy(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """SPF records."""

    def lookupNamingAuthorityPointer(name: str, timeout: Sequence[int]) -> Deferred[Any]:
        """NAPTR records."""

    def lookupZone(name: str, timeout: int) -> Deferred[Any]:
        """AXFR: the whole zone."""


class IServiceCollection(Interface):
    """An object giving access to a collection of services (see ``plait.service``)."""

    def getServiceNamed(serviceName: str) -> object:
        """The service called ``serviceName``; ``KeyError`` if none is."""

    def addService(service: object) -> None:
        """Add ``service`` to the collection."""

    def removeService(service: object) -> None:
        """Remove ``service`` from the collection."""


# ---------------------------------------------------------------------------
# TLS: trust roots and ciphers (plait.ssl)
# ---------------------------------------------------------------------------


class IOpenSSLTrustRoot(Interface):
    """I am the set of certificate authorities a TLS connection trusts.

    ``platformTrust()``, ``trustRootFromCertificates([...])`` and a single
    ``Certificate`` (adapted) provide me.  As in Twisted, my method is
    private: only ``plait.ssl`` calls it.
    """

    def _addCACertsToContext(context: object) -> None:
        """Make the ``ssl.SSLContext`` ``context`` trust my authorities.

        Called once per context that ``plait.ssl`` builds.
        """


class ICipher(Interface):
    """I am one TLS cipher suite."""

    fullName = Attribute("The cipher's full OpenSSL name (text), e.g. 'ECDHE-RSA-AES256-GCM-SHA384'.")


class IAcceptableCiphers(Interface):
    """I choose which cipher suites a TLS connection may use."""

    def selectCiphers(availableCiphers: Sequence[ICipher]) -> Sequence[ICipher]:
        """Return the ciphers of ``availableCiphers`` that I accept, in my order of preference.

        Called when TLS settings are built; an empty result is an error.
        """


# ---------------------------------------------------------------------------
# Processes (plait.process, plait.stdio)
# ---------------------------------------------------------------------------


class IProcessProtocol(Interface):
    """I am told what happens to a child process and the pipes to it.

    Order: ``makeConnection`` (inside ``spawnProcess``), then from the loop
    ``childDataReceived``/``childConnectionLost`` for each pipe,
    ``processExited`` when the child is reaped, and ``processEnded`` last,
    once the child exited *and* every pipe to it is closed.
    """

    def makeConnection(process: IProcessTransport) -> None:
        """Called once, when the process has been created, with its transport."""

    def childDataReceived(childFD: int, data: bytes) -> None:
        """Called with bytes the child wrote to its descriptor ``childFD``."""

    def childConnectionLost(childFD: int) -> None:
        """Called once per pipe, when the pipe to the child's ``childFD`` closes."""

    def processExited(reason: Failure) -> None:
        """Called once, when the child exits (is reaped).

        ``reason`` wraps ``ProcessDone`` (exit code 0) or
        ``ProcessTerminated`` (``exitCode``, ``signal``, ``status``).
        Pipes to the child may still be open and deliver data.
        """

    def processEnded(reason: Failure) -> None:
        """Called once, last: the child exited and all its pipes are closed.

        ``reason`` is as for ``processExited``.
        """


class IProcessTransport(ITransport):
    """I am the transport of a child process."""

    pid = Attribute(
        "From before IProcessProtocol.makeConnection is called to before "
        "IProcessProtocol.processEnded is called, pid is an int giving the "
        "platform process ID of this process.  pid is None at all other times."
    )

    def closeStdin() -> None:
        """Close stdin after all data has been written out."""

    def closeStdout() -> None:
        """Close stdout."""

    def closeStderr() -> None:
        """Close stderr."""

    def closeChildFD(descriptor: int) -> None:
        """Close the pipe to ``descriptor``, identified by its number in the child."""

    def writeToChild(childFD: int, data: bytes) -> None:
        """Like ``write``, but to the child's descriptor ``childFD``.

        Raises ``KeyError`` if ``childFD`` is not a descriptor mapped in
        the child for writing when ``spawnProcess`` created it.
        """

    def loseConnection() -> None:
        """Close stdin, stderr and stdout."""

    def signalProcess(signalID: str | int) -> None:
        """Send a signal to the process.

        ``signalID`` is one of ``"KILL"``, ``"TERM"``, ``"INT"`` (portable
        names) or an integer POSIX signal number.  Raises
        ``ProcessExitedAlready`` if the process has already exited, and
        ``OSError`` if ``os.kill`` fails with an errno other than ``ESRCH``.
        """


# ---------------------------------------------------------------------------
# UNIX datagram sockets (issue 11: plait.unix, plait._unixdatagram)
# ---------------------------------------------------------------------------


class IReactorUNIXDatagram(Interface):
    """I bind datagram protocols to UNIX datagram sockets."""

    def connectUNIXDatagram(
        address: str,
        protocol: Any,
        maxPacketSize: int,
        mode: int,
        bindAddress: Any,
    ) -> IConnector:
        """Connect a ``ConnectedDatagramProtocol`` to the datagram socket at ``address``.

        ``bindAddress`` names our own socket (``None``: unnamed); ``mode``
        is applied to it.  Implementations default ``maxPacketSize`` to
        8192, ``mode`` to 0o666 and ``bindAddress`` to ``None``.  A failure
        to bind or connect is reported to ``protocol.connectionFailed``.
        """

    def listenUNIXDatagram(
        address: str, protocol: Any, maxPacketSize: int, mode: int
    ) -> IListeningPort:
        """Bind a ``DatagramProtocol`` to a UNIX datagram socket at ``address``.

        ``mode`` is applied to the socket file.  Implementations default
        ``maxPacketSize`` to 8192 and ``mode`` to 0o666.  Raises
        ``error.CannotListenError`` at once if the name cannot be bound.
        """


class IUNIXDatagramTransport(Interface):
    """I am the transport of a datagram protocol bound to a UNIX datagram socket."""

    def write(packet: bytes, addr: str) -> None:
        """Send ``packet`` as one datagram to the socket named ``addr``."""

    def getHost() -> IAddress:
        """Return my own name, a ``UNIXAddress``."""


class IUNIXDatagramConnectedTransport(Interface):
    """I am the transport of a ``ConnectedDatagramProtocol`` on a UNIX datagram socket."""

    def write(packet: bytes) -> None:
        """Send ``packet`` as one datagram to the socket I am connected to."""

    def getHost() -> IAddress:
        """Return my own name, a ``UNIXAddress``."""

    def getPeer() -> IAddress:
        """Return the name of the socket I am connected to, a ``UNIXAddress``."""
