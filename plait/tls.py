"""TLS as a protocol layered over any transport (``twisted.protocols.tls``).

What it owns: ``TLSMemoryBIOFactory``, which wraps an application factory
so that every connection it builds speaks TLS, and ``startTLS`` for TCP
connections (``_startTLS``).  The layer itself, ``TLSMemoryBIOProtocol``,
lives in ``plait._tlsprotocol`` (its docstring has the lifecycle, the rules
and the theory of operation) and is re-exported here.  The engine is the
standard library's ``ssl.SSLObject`` over two ``ssl.MemoryBIO``s: OpenSSL
never touches a socket, so TLS runs over TCP, UNIX, an in-memory pair or a
``StringTransport`` alike.  ``connectSSL``/``listenSSL``/``startTLS`` and
the TLS endpoints all use it.

Rules:

* ``TLSMemoryBIOFactory`` checks what it was given at once: TLS settings
  it cannot use -- a pyOpenSSL context factory in particular -- raise
  ``TypeError`` naming what to use instead (``plait._sslclient``).
* A factory's ``clientConnectionLost`` hears the reason the protocol got
  (a failed verification, not the clean TCP close that followed it).
* ``startTLS`` costs nothing to a connection that never calls it (see
  ``_startTLS``).

Tests: tests/unit/test_tls.py (memory transports), tests/contract/ (TLS over
TCP and over the in-memory pair), tests/integration/test_tls.py,
tests/integration/test_tls_peers.py.
"""

from __future__ import annotations

from typing import Any

from zope.interface import alsoProvides

from plait._sslclient import _connectionCreatorFor
from plait._tlsprotocol import TLSMemoryBIOProtocol
from plait.failure import Failure
from plait.interfaces import (
    ILoggingContext,
    INegotiated,
    IProtocolNegotiationFactory,
    ISSLTransport,
)
from plait.protocol import ClientFactory

__all__ = ["BufferingTLSTransport", "TLSMemoryBIOFactory", "TLSMemoryBIOProtocol"]


# --- startTLS on a TCP connection ------------------------------------------------------

#: The ITransport/IConsumer/IProducer methods that, after ``startTLS``, the
#: application's calls on the connection must reach the TLS layer through;
#: then ``getHandle`` (the ``ssl.SSLObject`` from then on, as Twisted's is
#: the TLS connection) and what ``Certificate.hostFromTransport`` reads.
_ROUTED = (
    "write", "writeSequence", "loseConnection", "loseWriteConnection", "abortConnection",
    "registerProducer", "unregisterProducer", "pauseProducing", "resumeProducing", "stopProducing",
    "getHandle", "_getHostCertificate",
)


class _RawTransport:
    """The TLS layer's transport after ``startTLS``: the connection's own class
    methods, which the instance-level routing (see ``_startTLS``) hides."""

    def __init__(self, connection: Any) -> None:
        self._connection = connection
        self._class = type(connection)
        self.reactor = connection.reactor

    def write(self, data: bytes) -> None:
        self._class.write(self._connection, data)

    def loseConnection(self) -> None:
        self._class.loseConnection(self._connection)

    def abortConnection(self) -> None:
        self._class.abortConnection(self._connection)

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        self._class.registerProducer(self._connection, producer, streaming)

    def unregisterProducer(self) -> None:
        self._class.unregisterProducer(self._connection)

    def pauseProducing(self) -> None:
        self._class.pauseProducing(self._connection)

    def resumeProducing(self) -> None:
        self._class.resumeProducing(self._connection)

    def getHandle(self) -> Any:
        return self._class.getHandle(self._connection)  # the socket

    def __getattr__(self, name: str) -> Any:
        return getattr(self._connection, name)  # getPeer, getHost, socket options


def _startTLS(connection: Any, contextFactory: Any, isClient: bool) -> None:
    """``ITLSTransport.startTLS`` for a TCP connection (``plait._tcpconnection``).

    The connection's protocol becomes a ``TLSMemoryBIOProtocol`` wrapping the
    application's protocol (which is not told: it keeps its transport), and
    the TLS layer writes through ``_RawTransport``, behind whatever was
    written before: that goes out first, in clear.

    Discussion: routing the application's writes.  The application keeps
    calling ``connection.write``, which must now encrypt.  A check in
    ``FileDescriptor.write`` ("TLS started?") would cost every TCP write in
    every program; a TLS subclass of the transport would make TLS a kind of
    TCP transport, which it is not.  Instead the few methods of ``_ROUTED``
    are shadowed *on this one instance* by the TLS layer's bound methods --
    an instance attribute wins over the class's method -- and the TLS layer
    reaches the socket through the class's methods.  Connections that never
    call ``startTLS`` are untouched.
    """
    if connection._tlsLayer is not None:
        raise RuntimeError(f"startTLS() was already called on {connection!r}")
    if not connection.connected or connection.disconnecting:
        raise RuntimeError(f"startTLS() needs an open connection; {connection!r} is not")
    factory = TLSMemoryBIOFactory(contextFactory, isClient, None, connection.reactor)
    layer = TLSMemoryBIOProtocol(factory, connection.protocol, _connectWrapped=False)
    # A producer registered before the switch writes through the TLS layer
    # from now on, so it moves there (and its unregisterProducer finds it).
    producer, streaming = connection.producer, connection.streamingProducer
    if producer is not None:
        type(connection).unregisterProducer(connection)
    connection.protocol = layer
    connection._tlsLayer = layer
    for name in _ROUTED:
        setattr(connection, name, getattr(layer, name))
    alsoProvides(connection, ISSLTransport, INegotiated)
    layer.makeConnection(_RawTransport(connection))
    if producer is not None:
        layer.registerProducer(producer, streaming)


#: Twisted's name for its write-gathering TLS protocol; plait's gathers writes itself.
BufferingTLSTransport = TLSMemoryBIOProtocol


class TLSMemoryBIOFactory(ClientFactory[Any]):
    """Wraps ``wrappedFactory`` so its connections speak TLS.

    ``contextFactory`` is ``optionsForClientTLS(...)`` (a client),
    ``CertificateOptions``/``PrivateCertificate.options()`` (a server), any
    connection creator, or an old-style factory whose ``getContext()``
    returns an ``ssl.SSLContext``; anything else -- a pyOpenSSL context
    factory in particular -- raises ``TypeError`` here, naming what to use.
    ``clock`` schedules flushes and timeouts (default: the transport's
    reactor).
    """

    protocol = TLSMemoryBIOProtocol  # type: ignore[assignment]
    noisy = False
    #: Seconds the handshake may take before the connection is aborted
    #: (``None``: no limit, as in Twisted).
    handshakeTimeout: float | None = 30.0
    #: Seconds to wait for the peer's ``close_notify`` after ours.
    closeTimeout: float = 30.0

    def __init__(self, contextFactory: Any, isClient: bool, wrappedFactory: Any, clock: Any = None) -> None:
        self._contextFactory = contextFactory
        self._creatorCallable = _connectionCreatorFor(contextFactory, isClient)
        self._isClient = isClient
        self.wrappedFactory = wrappedFactory
        self._clock = clock
        self._negotiationFactory = (
            wrappedFactory if IProtocolNegotiationFactory.providedBy(wrappedFactory) else None
        )
        self._tlsReasons: dict[Any, Failure] = {}

    def __repr__(self) -> str:
        return f"<TLSMemoryBIOFactory wrapping {self.wrappedFactory!r}>"

    def logPrefix(self) -> str:
        """``"<wrapped factory's prefix> (TLS)"``."""
        wrapped = self.wrappedFactory
        prefix = wrapped.logPrefix() if ILoggingContext.providedBy(wrapped) else type(wrapped).__name__
        return f"{prefix} (TLS)"

    def doStart(self) -> None:
        self.wrappedFactory.doStart()
        super().doStart()

    def doStop(self) -> None:
        self.wrappedFactory.doStop()
        super().doStop()

    def buildProtocol(self, addr: Any) -> TLSMemoryBIOProtocol | None:
        """The application's protocol from ``wrappedFactory``, wrapped in TLS (None if refused)."""
        wrapped = self.wrappedFactory.buildProtocol(addr)
        if wrapped is None:
            return None
        return TLSMemoryBIOProtocol(self, wrapped)

    def startedConnecting(self, connector: Any) -> None:
        if hasattr(self.wrappedFactory, "startedConnecting"):
            self.wrappedFactory.startedConnecting(connector)

    def clientConnectionFailed(self, connector: Any, reason: Failure) -> None:
        if hasattr(self.wrappedFactory, "clientConnectionFailed"):
            self.wrappedFactory.clientConnectionFailed(connector, reason)

    def clientConnectionLost(self, connector: Any, reason: Failure) -> None:
        """Forward, with the reason the protocol got when TLS (not TCP) ended the
        connection: a failed verification must not read "closed cleanly"."""
        reason = self._tlsReasons.pop(connector, reason)
        if hasattr(self.wrappedFactory, "clientConnectionLost"):
            self.wrappedFactory.clientConnectionLost(connector, reason)
