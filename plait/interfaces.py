"""The zope.interface contracts of plait (skeleton; full prose follows).

Tests: tests/unit/test_interfaces.py, tests/unit/test_verify.py
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

from zope.interface import Attribute, Interface

if TYPE_CHECKING:  # pragma: no cover - names for annotations only
    from plait.defer import Deferred
    from plait.failure import Failure


class IAddress(Interface):
    """An address, such as the endpoint of a connection."""


class ILoggingContext(Interface):
    """An object that gives log messages a prefix."""

    def logPrefix() -> str:
        """Return the prefix for log messages about this object."""


class IProtocol(Interface):
    """The application side of a connection."""

    def dataReceived(data: bytes) -> None:
        """Bytes arrived."""

    def connectionLost(reason: Failure) -> None:
        """The connection is gone."""

    def makeConnection(transport: ITransport) -> None:
        """Attach to a transport, then call connectionMade."""

    def connectionMade() -> None:
        """The connection is ready."""


class IProtocolFactory(Interface):
    """Builds protocols for connections."""

    def buildProtocol(addr: IAddress) -> IProtocol | None:
        """Return a protocol for a new connection, or None to refuse it."""

    def doStart() -> None:
        """Called before the first use."""

    def doStop() -> None:
        """Called after the last use."""


class ITransport(Interface):
    """A bidirectional byte stream."""

    def write(data: bytes) -> None:
        """Queue bytes for sending."""

    def writeSequence(data: Iterable[bytes]) -> None:
        """Queue several byte strings for sending."""

    def loseConnection() -> None:
        """Close after flushing."""

    def getPeer() -> IAddress:
        """Return the remote address."""

    def getHost() -> IAddress:
        """Return the local address."""


class ITCPTransport(ITransport):
    """A TCP transport."""

    def loseWriteConnection() -> None:
        """Half-close: shut down the write side after flushing."""

    def abortConnection() -> None:
        """Close immediately, discarding buffered data."""

    def getTcpNoDelay() -> bool:
        """Return whether TCP_NODELAY is on."""

    def setTcpNoDelay(enabled: bool) -> None:
        """Turn TCP_NODELAY on or off."""

    def getTcpKeepAlive() -> bool:
        """Return whether SO_KEEPALIVE is on."""

    def setTcpKeepAlive(enabled: bool) -> None:
        """Turn SO_KEEPALIVE on or off."""

    def getHost() -> IAddress:
        """Return the local IPv4Address or IPv6Address."""

    def getPeer() -> IAddress:
        """Return the remote IPv4Address or IPv6Address."""


class ITLSTransport(ITCPTransport):
    """A TCP transport that can switch to TLS."""

    def startTLS(contextFactory: object) -> None:
        """Start TLS on this connection."""


class ISSLTransport(ITCPTransport):
    """A TLS transport."""

    def getPeerCertificate() -> object:
        """Return the peer's certificate."""


class INegotiated(ISSLTransport):
    """A TLS transport that can report the ALPN-negotiated protocol."""

    negotiatedProtocol = Attribute("The negotiated protocol (bytes) or None.")


class IUNIXTransport(ITransport):
    """A UNIX-socket transport."""

    def sendFileDescriptor(descriptor: int) -> None:
        """Send a file descriptor to the peer."""


class ISystemHandle(Interface):
    """An object wrapping an OS handle."""

    def getHandle() -> object:
        """Return the OS handle (a socket object for TCP)."""


class IConnector(Interface):
    """A client connection attempt that can be retried."""

    def stopConnecting() -> None:
        """Abandon the attempt in progress."""

    def disconnect() -> None:
        """Stop connecting or drop the connection."""

    def connect() -> None:
        """Start connecting."""

    def getDestination() -> IAddress:
        """Return the address being connected to."""


class IDelayedCall(Interface):
    """A call scheduled by IReactorTime.callLater."""

    def getTime() -> float:
        """Return the time at which the call will run."""

    def cancel() -> None:
        """Cancel the call."""

    def delay(secondsLater: float) -> None:
        """Postpone the call."""

    def reset(secondsFromNow: float) -> None:
        """Reschedule the call relative to now."""

    def active() -> bool:
        """Return True if the call has neither run nor been cancelled."""


class IReactorTime(Interface):
    """Time and timed calls."""

    def seconds() -> float:
        """Return the current time (monotonic in plait)."""

    def callLater(
        delay: float, callable: Callable[..., Any], *args: object, **kwargs: object
    ) -> IDelayedCall:
        """Call callable(*args, **kwargs) after delay seconds."""

    def getDelayedCalls() -> Sequence[IDelayedCall]:
        """Return all pending delayed calls."""


class IReactorCore(Interface):
    """The reactor's lifecycle."""

    running = Attribute("True while the reactor is running.")

    def resolve(name: str, timeout: Sequence[int] = (1, 3, 11, 45)) -> Deferred[str]:
        """Resolve a hostname to an IPv4 address."""

    def run() -> None:
        """Run the event loop until stop() or crash()."""

    def stop() -> None:
        """Stop the event loop, running shutdown triggers."""

    def crash() -> None:
        """Stop the event loop without running shutdown triggers."""

    def iterate(delay: float) -> None:
        """Run one iteration of the event loop."""

    def fireSystemEvent(eventType: str) -> None:
        """Fire a system event."""

    def addSystemEventTrigger(
        phase: str,
        eventType: str,
        callable: Callable[..., Any],
        *args: object,
        **kwargs: object,
    ) -> Any:
        """Add a trigger to a system event; return its ID."""

    def removeSystemEventTrigger(triggerID: Any) -> None:
        """Remove a trigger."""

    def callWhenRunning(
        callable: Callable[..., Any], *args: object, **kwargs: object
    ) -> Any | None:
        """Call now if running, else at startup; return None or a trigger ID."""


class IListeningPort(Interface):
    """A listening port."""

    def startListening() -> None:
        """Start listening."""

    def stopListening() -> Deferred[None] | None:
        """Stop listening."""

    def getHost() -> IAddress:
        """Return the listening address."""


class IReactorTCP(Interface):
    """TCP client and server support."""

    def listenTCP(
        port: int, factory: IProtocolFactory, backlog: int = 50, interface: str = ""
    ) -> IListeningPort:
        """Listen for TCP connections."""

    def connectTCP(
        host: str,
        port: int,
        factory: IProtocolFactory,
        timeout: float = 30.0,
        bindAddress: tuple[str, int] | None = None,
    ) -> IConnector:
        """Connect a TCP client."""


class IReactorSSL(Interface):
    """TLS-over-TCP client and server support."""

    def connectSSL(
        host: str,
        port: int,
        factory: IProtocolFactory,
        contextFactory: object,
        timeout: float,
        bindAddress: tuple[str, int] | None,
    ) -> IConnector:
        """Connect a TLS client."""

    def listenSSL(
        port: int,
        factory: IProtocolFactory,
        contextFactory: object,
        backlog: int = 50,
        interface: str = "",
    ) -> IListeningPort:
        """Listen for TLS connections."""


class IReactorUNIX(Interface):
    """UNIX stream socket support."""

    def connectUNIX(
        address: str, factory: IProtocolFactory, timeout: float = 30, checkPID: bool = False
    ) -> IConnector:
        """Connect a UNIX client."""

    def listenUNIX(
        address: str,
        factory: IProtocolFactory,
        backlog: int = 50,
        mode: int = 0o666,
        wantPID: bool = False,
    ) -> IListeningPort:
        """Listen on a UNIX socket."""


class IReactorUDP(Interface):
    """UDP support."""

    def listenUDP(
        port: int, protocol: object, interface: str, maxPacketSize: int
    ) -> IListeningPort:
        """Bind a datagram protocol to a UDP port."""


class IReactorMulticast(Interface):
    """UDP multicast support (brief)."""

    def listenMulticast(
        port: int,
        protocol: object,
        interface: str = "",
        maxPacketSize: int = 8192,
        listenMultiple: bool = False,
    ) -> IListeningPort:
        """Bind a datagram protocol to a multicast-capable UDP port."""


class IReactorFromThreads(Interface):
    """Calling into the reactor thread."""

    def callFromThread(
        callable: Callable[..., Any], *args: object, **kwargs: object
    ) -> None:
        """Run callable in the reactor thread, soon."""


class IReactorInThreads(Interface):
    """Running code in a thread pool."""

    def callInThread(
        callable: Callable[..., Any], *args: object, **kwargs: object
    ) -> None:
        """Run callable in a worker thread."""


class IReactorThreads(IReactorFromThreads, IReactorInThreads):
    """Thread pool management."""

    def getThreadPool() -> object:
        """Return the reactor's thread pool."""

    def suggestThreadPoolSize(size: int) -> None:
        """Set the maximum thread pool size."""


class IResolverSimple(Interface):
    """A hostname to IPv4 address resolver."""

    def getHostByName(name: str, timeout: Sequence[int] = ()) -> Deferred[str]:
        """Resolve a hostname to one IPv4 address."""


class IHostResolution(Interface):
    """A hostname resolution in progress."""

    name = Attribute("The hostname being resolved.")

    def cancel() -> None:
        """Stop the resolution."""


class IResolutionReceiver(Interface):
    """Receives the results of a hostname resolution."""

    def resolutionBegan(resolutionInProgress: IHostResolution) -> None:
        """The resolution started."""

    def addressResolved(address: IAddress) -> None:
        """One address was found."""

    def resolutionComplete() -> None:
        """The resolution finished."""


class IHostnameResolver(Interface):
    """A hostname resolver reporting every address."""

    def resolveHostName(
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        """Resolve a hostname, reporting to resolutionReceiver."""


class IReactorPluggableResolver(Interface):
    """A reactor with a replaceable IResolverSimple."""

    def installResolver(resolver: IResolverSimple) -> IResolverSimple:
        """Install a resolver; return the previous one."""


class IReactorPluggableNameResolver(Interface):
    """A reactor with a replaceable IHostnameResolver."""

    nameResolver = Attribute("The IHostnameResolver in use (read-only).")

    def installNameResolver(resolver: IHostnameResolver) -> IHostnameResolver:
        """Install a name resolver; return the previous one."""


class IReactorSocket(Interface):
    """Adopting existing sockets."""

    def adoptStreamPort(
        fileDescriptor: int, addressFamily: int, factory: IProtocolFactory
    ) -> IListeningPort:
        """Listen on an already-listening socket."""

    def adoptStreamConnection(
        fileDescriptor: int, addressFamily: int, factory: IProtocolFactory
    ) -> None:
        """Take over an already-connected socket."""

    def adoptDatagramPort(
        fileDescriptor: int, addressFamily: int, protocol: object, maxPacketSize: int
    ) -> IListeningPort:
        """Take over an already-bound datagram socket."""


class IReactorProcess(Interface):
    """Child process support (named for completeness; plait does not implement it)."""

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
        """Spawn a child process."""


class IFileDescriptor(ILoggingContext):
    """An object with a file descriptor."""

    def fileno() -> int:
        """Return the file descriptor number."""

    def connectionLost(reason: Failure) -> None:
        """The descriptor is finished."""


class IReadDescriptor(IFileDescriptor):
    """A file descriptor that can be read."""

    def doRead() -> object:
        """The descriptor is readable."""


class IWriteDescriptor(IFileDescriptor):
    """A file descriptor that can be written."""

    def doWrite() -> object:
        """The descriptor is writable."""


class IReadWriteDescriptor(IReadDescriptor, IWriteDescriptor):
    """A file descriptor that can be read and written."""


class IReactorFDSet(Interface):
    """Watching file descriptors."""

    def addReader(reader: IReadDescriptor) -> None:
        """Watch reader for readability."""

    def addWriter(writer: IWriteDescriptor) -> None:
        """Watch writer for writability."""

    def removeReader(reader: IReadDescriptor) -> None:
        """Stop watching reader."""

    def removeWriter(writer: IWriteDescriptor) -> None:
        """Stop watching writer."""

    def removeAll() -> list[IReadDescriptor | IWriteDescriptor]:
        """Stop watching everything; return what was watched."""

    def getReaders() -> list[IReadDescriptor]:
        """Return the watched readers."""

    def getWriters() -> list[IWriteDescriptor]:
        """Return the watched writers."""


class IStreamClientEndpoint(Interface):
    """A stream client endpoint."""

    def connect(protocolFactory: IProtocolFactory) -> Deferred[IProtocol]:
        """Connect; fire with the connected protocol."""


class IStreamServerEndpoint(Interface):
    """A stream server endpoint."""

    def listen(protocolFactory: IProtocolFactory) -> Deferred[IListeningPort]:
        """Listen; fire with the listening port."""


class IStreamClientEndpointStringParserWithReactor(Interface):
    """A plugin parsing a client endpoint description."""

    prefix = Attribute("The description prefix this parser handles.")

    def parseStreamClient(
        reactor: object, *args: object, **kwargs: object
    ) -> IStreamClientEndpoint:
        """Build a client endpoint from parsed arguments."""


class IStreamServerEndpointStringParser(Interface):
    """A plugin parsing a server endpoint description."""

    prefix = Attribute("The description prefix this parser handles.")

    def parseStreamServer(
        reactor: object, *args: object, **kwargs: object
    ) -> IStreamServerEndpoint:
        """Build a server endpoint from parsed arguments."""


class IHalfCloseableProtocol(Interface):
    """A protocol that can handle half-closed connections."""

    def readConnectionLost() -> None:
        """The peer will send no more data."""

    def writeConnectionLost() -> None:
        """Our write side is shut down."""


class IHalfCloseableDescriptor(Interface):
    """A descriptor that supports half-close."""

    def writeConnectionLost(reason: Failure) -> None:
        """The write side is shut down."""

    def readConnectionLost(reason: Failure) -> None:
        """The read side is shut down."""


class IProducer(Interface):
    """A source of data for a consumer."""

    def stopProducing() -> None:
        """Stop producing for good."""


class IPushProducer(IProducer):
    """A producer that writes until paused."""

    def pauseProducing() -> None:
        """Stop writing until resumed."""

    def resumeProducing() -> None:
        """Resume writing."""


class IPullProducer(IProducer):
    """A producer that writes once per request."""

    def resumeProducing() -> None:
        """Write one chunk."""


class IConsumer(Interface):
    """A sink for data from a producer."""

    def registerProducer(producer: IProducer, streaming: bool) -> None:
        """Attach a producer."""

    def unregisterProducer() -> None:
        """Detach the producer."""

    def write(data: bytes) -> None:
        """Consume bytes."""


class IHandshakeListener(Interface):
    """A protocol told when its TLS handshake completes."""

    def handshakeCompleted() -> None:
        """The TLS handshake completed."""


class IProtocolNegotiationFactory(Interface):
    """A factory offering ALPN protocols."""

    def acceptableProtocols() -> list[bytes]:
        """Return the ALPN protocol names, most preferred first."""


class IOpenSSLClientConnectionCreator(Interface):
    """Creates client-side TLS connection objects."""

    def clientConnectionForTLS(tlsProtocol: object) -> object:
        """Return a TLS connection object for a client."""


class IOpenSSLServerConnectionCreator(Interface):
    """Creates server-side TLS connection objects."""

    def serverConnectionForTLS(tlsProtocol: object) -> object:
        """Return a TLS connection object for a server."""


class IOpenSSLContextFactory(Interface):
    """Creates TLS contexts."""

    def getContext() -> object:
        """Return a TLS context."""


class IUDPTransport(Interface):
    """A UDP transport."""

    def write(packet: bytes, addr: tuple[str, int] | None) -> None:
        """Send a datagram."""

    def connect(host: str, port: int) -> None:
        """Connect to a remote address."""

    def getHost() -> IAddress:
        """Return the local address."""

    def stopListening() -> Deferred[None] | None:
        """Stop listening."""

    def setBroadcastAllowed(enabled: bool) -> None:
        """Allow or forbid broadcast."""

    def getBroadcastAllowed() -> bool:
        """Return whether broadcast is allowed."""


class IMulticastTransport(IUDPTransport):
    """A UDP transport with multicast support (brief)."""

    def getOutgoingInterface() -> str:
        """Return the outgoing interface address."""

    def setOutgoingInterface(addr: str) -> Deferred[int]:
        """Set the outgoing interface address."""

    def getLoopbackMode() -> bool:
        """Return whether multicast loopback is on."""

    def setLoopbackMode(mode: bool) -> None:
        """Turn multicast loopback on or off."""

    def getTTL() -> int:
        """Return the multicast TTL."""

    def setTTL(ttl: int) -> None:
        """Set the multicast TTL."""

    def joinGroup(addr: str, interface: str = "") -> Deferred[None]:
        """Join a multicast group."""

    def leaveGroup(addr: str, interface: str = "") -> Deferred[None]:
        """Leave a multicast group."""


class IFileDescriptorReceiver(Interface):
    """A protocol that can receive file descriptors."""

    def fileDescriptorReceived(descriptor: int) -> None:
        """A file descriptor arrived."""
