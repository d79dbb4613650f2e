"""Test doubles (``twisted.internet.testing``) and an in-memory connected pair.

This module owns the fakes that let protocol, factory, connector and
endpoint code be tested without sockets or real time:

* ``StringTransport`` (and ``...WithDisconnection``): a transport that
  records what was written and does nothing else;
* ``MemoryReactor`` / ``MemoryReactorClock`` / ``RaisingMemoryReactor``:
  reactors that record ``connect*``/``listen*`` calls instead of doing I/O;
* ``AccumulatingProtocol``, ``LineSendingProtocol``, ``NonStreamingProducer``,
  ``waitUntilAllDisconnected``;
* ``connectedServerAndClient`` / ``IOPump`` / ``FakeTransport``: two
  protocols joined in memory, with bytes moved only when the test pumps
  (defined in ``plait._iosim``, re-exported here).

Rules: the doubles do no I/O and read no real clock; every one declares the
interfaces it implements and passes ``zope.interface.verify.verifyObject``
for them.  ``StringTransport.loseConnection`` never calls ``connectionLost``
(Twisted's behaviour, which tests rely on).

Tests: tests/unit/test_testing.py, tests/contract/test_contract_fake.py.
"""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterable, Sequence
from io import BytesIO
from typing import Any

from zope.interface import implementer

from plait import error
from plait._iosim import FakeTransport, IOPump, connectedServerAndClient
from plait._logobservers import EventLoggingObserver
from plait.abstract import _dataMustBeBytes
from plait.address import IPv4Address, IPv6Address, UNIXAddress
from plait.defer import Deferred
from plait.failure import Failure
from plait.interfaces import (
    IAddress,
    IConnector,
    IConsumer,
    IHostnameResolver,
    IHostResolution,
    IListeningPort,
    IPullProducer,
    IPushProducer,
    IReactorCore,
    IReactorFDSet,
    IReactorPluggableNameResolver,
    IReactorSocket,
    IReactorSSL,
    IReactorTCP,
    IReactorUNIX,
    IResolutionReceiver,
    ITransport,
    IUDPTransport,
)
from plait.protocol import Protocol
from plait.protocols.basic import LineReceiver
from plait.task import Clock, LoopingCall

__all__ = [
    "AccumulatingProtocol",
    "EventLoggingObserver",
    "FakeDatagramTransport",
    "FakeTransport",
    "IOPump",
    "LineSendingProtocol",
    "MemoryReactor",
    "MemoryReactorClock",
    "NonStreamingProducer",
    "RaisingMemoryReactor",
    "StringIOWithoutClosing",
    "StringTransport",
    "StringTransportWithDisconnection",
    "_FakeConnector",
    "_FakePort",
    "connectedServerAndClient",
    "waitUntilAllDisconnected",
]


def _checkBytes(data: object) -> None:
    if not isinstance(data, bytes):
        raise _dataMustBeBytes(data)


def _isIPv6Literal(host: str) -> bool:
    """True for an IPv6 address literal, with or without a ``%scope`` suffix."""
    literal = host.split("%", 1)[0]
    try:
        socket.inet_pton(socket.AF_INET6, literal)
    except (OSError, ValueError):
        return False
    return True


# --- simple protocols ----------------------------------------------------------


class AccumulatingProtocol(Protocol):
    """Collects received data; reports connectionMade and connectionLost.

    On ``connectionMade`` it fires (once) ``factory.protocolConnectionMade``
    if the factory has that Deferred; on ``connectionLost`` it fires
    ``closedDeferred`` if set.
    """

    made: int = 0
    closed: int = 0
    closedReason: Failure | None = None
    closedDeferred: Deferred[None] | None = None
    data: bytes = b""

    def connectionMade(self) -> None:
        self.made = 1
        d = getattr(self.factory, "protocolConnectionMade", None)
        if d is not None:
            self.factory.protocolConnectionMade = None
            d.callback(self)

    def dataReceived(self, data: bytes) -> None:
        self.data += data

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.closed = 1
        self.closedReason = reason
        if self.closedDeferred is not None:
            d, self.closedDeferred = self.closedDeferred, None
            d.callback(None)


class LineSendingProtocol(LineReceiver):
    """Sends ``lines`` (on connect if ``start``, else after the first line
    received) and records the lines it receives in ``response``."""

    lostConn: bool = False

    def __init__(self, lines: Sequence[bytes], start: bool = True) -> None:
        self.lines = list(lines)
        self.response: list[bytes] = []
        self.start = start

    def connectionMade(self) -> None:
        if self.start:
            for line in self.lines:
                self.sendLine(line)

    def lineReceived(self, line: bytes) -> None:
        if not self.start:
            for toSend in self.lines:
                self.sendLine(toSend)
            self.lines = []
        self.response.append(line)

    def connectionLost(self, reason: Failure | None = None) -> None:
        self.lostConn = True


@implementer(IUDPTransport)
class FakeDatagramTransport:
    """Records datagrams written to it in ``written`` as ``(packet, addr)``.

    Only ``write`` is functional; the other ``IUDPTransport`` methods are
    declared for completeness and do nothing useful.
    """

    noAddr = object()

    def __init__(self) -> None:
        self.written: list[tuple[bytes, Any]] = []

    def write(self, packet: bytes, addr: Any = noAddr) -> None:
        self.written.append((packet, addr))

    def connect(self, host: str, port: int) -> None:
        raise NotImplementedError("FakeDatagramTransport.connect")

    def getHost(self) -> IAddress:
        return IPv4Address("UDP", "127.0.0.1", 0)

    def stopListening(self) -> None:
        return None

    def setBroadcastAllowed(self, enabled: bool) -> None:
        raise NotImplementedError("FakeDatagramTransport.setBroadcastAllowed")

    def getBroadcastAllowed(self) -> bool:
        return False


class StringIOWithoutClosing(BytesIO):
    """A BytesIO whose ``close()`` does nothing, so tests can read it after."""

    def close(self) -> None:
        """Stay open."""


# --- StringTransport -----------------------------------------------------------


@implementer(ITransport, IConsumer, IPushProducer)
class StringTransport:
    """A transport that buffers written bytes in memory and does no I/O.

    ``value()`` returns what was written since the last ``clear()``.
    ``loseConnection()`` only sets ``disconnecting``: it never calls the
    protocol's ``connectionLost`` (use ``StringTransportWithDisconnection``
    for that).  As a push producer it tracks ``producerState``
    (``"producing"``, ``"paused"``, ``"stopped"``) and refuses to pause or
    resume after ``loseConnection`` (unless ``lenient``) or after a stop.
    """

    disconnecting: bool = False
    disconnected: bool = False
    producer: Any = None
    streaming: bool | None = None
    hostAddr: Any = None
    peerAddr: Any = None
    producerState: str = "producing"

    def __init__(self, hostAddress: Any = None, peerAddress: Any = None, lenient: bool = False) -> None:
        self.clear()
        if hostAddress is not None:
            self.hostAddr = hostAddress
        if peerAddress is not None:
            self.peerAddr = peerAddress
        self.connected = True
        self._lenient = lenient

    def clear(self) -> None:
        """Forget everything written so far (a test helper, not transport API)."""
        self.io = BytesIO()

    def value(self) -> bytes:
        """All bytes written since the last ``clear()``."""
        return self.io.getvalue()

    def write(self, data: bytes) -> None:
        _checkBytes(data)
        self.io.write(data)

    def writeSequence(self, data: Iterable[bytes]) -> None:
        self.io.write(b"".join(data))

    def loseConnection(self) -> None:
        """Set ``disconnecting``; nothing else happens."""
        self.disconnecting = True

    def abortConnection(self) -> None:
        """Set ``disconnected`` and ``disconnecting``."""
        self.disconnected = True
        self.loseConnection()

    def getPeer(self) -> Any:
        if self.peerAddr is None:
            return IPv4Address("TCP", "192.168.1.1", 54321)
        return self.peerAddr

    def getHost(self) -> Any:
        if self.hostAddr is None:
            return IPv4Address("TCP", "10.0.0.1", 12345)
        return self.hostAddr

    def registerProducer(self, producer: Any, streaming: bool) -> None:
        if self.producer is not None:
            raise RuntimeError("Cannot register two producers")
        self.producer = producer
        self.streaming = streaming

    def unregisterProducer(self) -> None:
        if self.producer is None:
            raise RuntimeError("Cannot unregister a producer unless one is registered")
        self.producer = None
        self.streaming = None

    def _checkProducerState(self) -> None:
        if self.disconnecting and not self._lenient:
            raise RuntimeError("Cannot resume producing after loseConnection")
        if self.producerState == "stopped":
            raise RuntimeError("Cannot resume a stopped producer")

    def pauseProducing(self) -> None:
        self._checkProducerState()
        self.producerState = "paused"

    def stopProducing(self) -> None:
        self.producerState = "stopped"

    def resumeProducing(self) -> None:
        self._checkProducerState()
        self.producerState = "producing"


class StringTransportWithDisconnection(StringTransport):
    """A StringTransport whose ``loseConnection`` tells ``self.protocol``.

    Set ``protocol`` before losing the connection; the first
    ``loseConnection`` calls ``protocol.connectionLost`` with
    ``ConnectionDone("Bye.")``, synchronously.
    """

    protocol: Any

    def loseConnection(self) -> None:
        if self.connected:
            self.connected = False
            self.protocol.connectionLost(Failure(error.ConnectionDone("Bye.")))


# --- MemoryReactor -------------------------------------------------------------


@implementer(IListeningPort)
class _FakePort:
    """A listening port that listens to nothing; ``getHost()`` returns its address."""

    def __init__(self, hostAddress: Any) -> None:
        self._hostAddress = hostAddress

    def startListening(self) -> None:
        """Nothing to start."""

    def stopListening(self) -> None:
        """Nothing to stop."""

    def getHost(self) -> Any:
        return self._hostAddress


@implementer(IConnector)
class _FakeConnector:
    """A connector that never connects; records ``stopConnecting``/``disconnect``."""

    _disconnected: bool = False
    stoppedConnecting: bool = False

    def __init__(self, address: Any) -> None:
        self._address = address

    def stopConnecting(self) -> None:
        self.stoppedConnecting = True

    def disconnect(self) -> None:
        self._disconnected = True

    def connect(self) -> None:
        """Nothing happens."""

    def getDestination(self) -> Any:
        return self._address


@implementer(IHostResolution)
class _SynchronousResolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:
        raise RuntimeError("the resolution already completed synchronously")


@implementer(IHostnameResolver)
class SynchronousResolver:
    """Resolves every name, at once, to ``IPv4Address('TCP', '127.0.0.1', port)``."""

    def resolveHostName(
        self,
        resolutionReceiver: IResolutionReceiver,
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> IHostResolution:
        resolution = _SynchronousResolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)
        resolutionReceiver.addressResolved(IPv4Address("TCP", "127.0.0.1", portNumber))
        resolutionReceiver.resolutionComplete()
        return resolution


@implementer(
    IReactorCore,
    IReactorTCP,
    IReactorSSL,
    IReactorUNIX,
    IReactorSocket,
    IReactorFDSet,
    IReactorPluggableNameResolver,
)
class MemoryReactor:
    """A reactor that records connection and listening requests.

    ``connect*`` append their arguments to ``tcpClients``/``sslClients``/
    ``unixClients``, call ``factory.startedConnecting`` with a
    ``_FakeConnector`` (also appended to ``connectors``) and never connect;
    the test drives the factory itself.  ``listen*`` record to
    ``tcpServers``/... and return a ``_FakePort``.  ``run()`` calls the
    ``callWhenRunning`` hooks and then ``stop()``.
    """

    def __init__(self) -> None:
        self.hasInstalled = False
        self.running: bool | None = False
        self.hasRun = False
        self.hasStopped = False
        self.hasCrashed = False
        self.whenRunningHooks: list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]] = []
        self.triggers: dict[str, dict[str, list[tuple[Callable[..., Any], tuple[Any, ...], dict[str, Any]]]]] = {}
        self.tcpClients: list[tuple[Any, ...]] = []
        self.tcpServers: list[tuple[Any, ...]] = []
        self.sslClients: list[tuple[Any, ...]] = []
        self.sslServers: list[tuple[Any, ...]] = []
        self.unixClients: list[tuple[Any, ...]] = []
        self.unixServers: list[tuple[Any, ...]] = []
        self.adoptedPorts: list[tuple[Any, ...]] = []
        self.adoptedStreamConnections: list[tuple[Any, ...]] = []
        self.connectors: list[_FakeConnector] = []
        self.readers: set[Any] = set()
        self.writers: set[Any] = set()
        self.nameResolver: Any = SynchronousResolver()

    def installNameResolver(self, resolver: Any) -> Any:
        previous, self.nameResolver = self.nameResolver, resolver
        return previous

    def install(self) -> None:
        """Pretend to be installed as the global reactor."""
        self.hasInstalled = True

    # IReactorCore ------------------------------------------------------------

    def resolve(self, name: str, timeout: Sequence[int] = (1, 3, 11, 45)) -> Deferred[str]:
        raise NotImplementedError("MemoryReactor.resolve: use nameResolver")

    def run(self) -> None:
        """Run the ``callWhenRunning`` hooks, then ``stop()``."""
        if self.running:
            raise error.ReactorAlreadyRunning()
        self.running = True
        self.hasRun = True
        for f, args, kwargs in self.whenRunningHooks:
            f(*args, **kwargs)
        self.stop()

    def stop(self) -> None:
        self.running = False
        self.hasStopped = True

    def crash(self) -> None:
        self.running = None
        self.hasCrashed = True

    def iterate(self, delay: float = 0) -> None:
        raise NotImplementedError("MemoryReactor.iterate")

    def fireSystemEvent(self, eventType: str) -> None:
        raise NotImplementedError("MemoryReactor.fireSystemEvent")

    def addSystemEventTrigger(
        self, phase: str, eventType: str, callable: Callable[..., Any], *args: object, **kwargs: object
    ) -> None:
        self.triggers.setdefault(phase, {}).setdefault(eventType, []).append((callable, args, kwargs))

    def removeSystemEventTrigger(self, triggerID: Any) -> None:
        raise NotImplementedError("MemoryReactor.removeSystemEventTrigger")

    def callWhenRunning(self, callable: Callable[..., Any], *args: object, **kwargs: object) -> None:
        """Call now if the reactor ever ran (it stops itself at once); else queue."""
        if self.running or self.hasRun:
            callable(*args, **kwargs)
            return
        self.whenRunningHooks.append((callable, args, kwargs))
        return

    # IReactorSocket ----------------------------------------------------------

    def _adoptedAddress(self, family: int, kind: str) -> Any:
        if family == socket.AF_INET:
            return IPv4Address(kind, "0.0.0.0", 1234)
        if family == socket.AF_INET6:
            return IPv6Address(kind, "::", 1234)
        raise error.UnsupportedAddressFamily(family)

    def adoptStreamPort(self, fileDescriptor: int, addressFamily: int, factory: Any) -> Any:
        address = self._adoptedAddress(addressFamily, "TCP")
        self.adoptedPorts.append((fileDescriptor, addressFamily, factory))
        return _FakePort(address)

    def adoptStreamConnection(self, fileDescriptor: int, addressFamily: int, factory: Any) -> None:
        self.adoptedStreamConnections.append((fileDescriptor, addressFamily, factory))

    def adoptDatagramPort(
        self, fileDescriptor: int, addressFamily: int, protocol: Any, maxPacketSize: int = 8192
    ) -> Any:
        address = self._adoptedAddress(addressFamily, "UDP")
        self.adoptedPorts.append((fileDescriptor, addressFamily, protocol, maxPacketSize))
        return _FakePort(address)

    # connect / listen ----------------------------------------------------------

    def _startConnecting(self, factory: Any, address: Any) -> _FakeConnector:
        connector = _FakeConnector(address)
        factory.startedConnecting(connector)
        self.connectors.append(connector)
        return connector

    def listenTCP(self, port: int, factory: Any, backlog: int = 50, interface: str = "") -> Any:
        self.tcpServers.append((port, factory, backlog, interface))
        if _isIPv6Literal(interface):
            return _FakePort(IPv6Address("TCP", interface, port))
        return _FakePort(IPv4Address("TCP", "0.0.0.0", port))

    def connectTCP(
        self, host: str, port: int, factory: Any, timeout: float = 30, bindAddress: Any = None
    ) -> Any:
        self.tcpClients.append((host, port, factory, timeout, bindAddress))
        if _isIPv6Literal(host):
            return self._startConnecting(factory, IPv6Address("TCP", host, port))
        return self._startConnecting(factory, IPv4Address("TCP", host, port))

    def listenSSL(
        self, port: int, factory: Any, contextFactory: Any, backlog: int = 50, interface: str = ""
    ) -> Any:
        self.sslServers.append((port, factory, contextFactory, backlog, interface))
        return _FakePort(IPv4Address("TCP", "0.0.0.0", port))

    def connectSSL(
        self,
        host: str,
        port: int,
        factory: Any,
        contextFactory: Any,
        timeout: float = 30,
        bindAddress: Any = None,
    ) -> Any:
        self.sslClients.append((host, port, factory, contextFactory, timeout, bindAddress))
        return self._startConnecting(factory, IPv4Address("TCP", host, port))

    def listenUNIX(
        self, address: str, factory: Any, backlog: int = 50, mode: int = 0o666, wantPID: bool = False
    ) -> Any:
        self.unixServers.append((address, factory, backlog, mode, wantPID))
        return _FakePort(UNIXAddress(address))

    def connectUNIX(
        self, address: str, factory: Any, timeout: float = 30, checkPID: bool = False
    ) -> Any:
        self.unixClients.append((address, factory, timeout, checkPID))
        return self._startConnecting(factory, UNIXAddress(address))

    # IReactorFDSet ----------------------------------------------------------

    def addReader(self, reader: Any) -> None:
        self.readers.add(reader)

    def removeReader(self, reader: Any) -> None:
        self.readers.discard(reader)

    def addWriter(self, writer: Any) -> None:
        self.writers.add(writer)

    def removeWriter(self, writer: Any) -> None:
        self.writers.discard(writer)

    def getReaders(self) -> list[Any]:
        return list(self.readers)

    def getWriters(self) -> list[Any]:
        return list(self.writers)

    def removeAll(self) -> list[Any]:
        removed = list(self.readers | self.writers)
        self.readers.clear()
        self.writers.clear()
        return removed


class MemoryReactorClock(MemoryReactor, Clock):
    """A MemoryReactor that is also a ``task.Clock`` (``callLater``, ``advance``)."""

    def __init__(self) -> None:
        MemoryReactor.__init__(self)
        Clock.__init__(self)


@implementer(IReactorTCP, IReactorSSL, IReactorUNIX, IReactorSocket, IReactorPluggableNameResolver)
class RaisingMemoryReactor:
    """A reactor whose ``listen*`` raise ``listenException`` and whose
    ``connect*``/``adopt*`` raise ``connectException``."""

    def __init__(
        self,
        listenException: BaseException | None = None,
        connectException: BaseException | None = None,
    ) -> None:
        self._listenException = listenException
        self._connectException = connectException
        self.nameResolver: Any = SynchronousResolver()

    def installNameResolver(self, resolver: Any) -> Any:
        previous, self.nameResolver = self.nameResolver, resolver
        return previous

    def _raise(self, exception: BaseException | None, what: str) -> Any:
        if exception is None:
            raise RuntimeError(f"RaisingMemoryReactor was given no exception for {what}")
        raise exception

    def adoptStreamPort(self, fileDescriptor: int, addressFamily: int, factory: Any) -> Any:
        return self._raise(self._listenException, "adoptStreamPort")

    def adoptStreamConnection(self, fileDescriptor: int, addressFamily: int, factory: Any) -> None:
        self._raise(self._connectException, "adoptStreamConnection")

    def adoptDatagramPort(
        self, fileDescriptor: int, addressFamily: int, protocol: Any, maxPacketSize: int = 8192
    ) -> Any:
        return self._raise(self._connectException, "adoptDatagramPort")

    def listenTCP(self, port: int, factory: Any, backlog: int = 50, interface: str = "") -> Any:
        return self._raise(self._listenException, "listenTCP")

    def connectTCP(
        self, host: str, port: int, factory: Any, timeout: float = 30, bindAddress: Any = None
    ) -> Any:
        return self._raise(self._connectException, "connectTCP")

    def listenSSL(
        self, port: int, factory: Any, contextFactory: Any, backlog: int = 50, interface: str = ""
    ) -> Any:
        return self._raise(self._listenException, "listenSSL")

    def connectSSL(
        self,
        host: str,
        port: int,
        factory: Any,
        contextFactory: Any,
        timeout: float = 30,
        bindAddress: Any = None,
    ) -> Any:
        return self._raise(self._connectException, "connectSSL")

    def listenUNIX(
        self, address: str, factory: Any, backlog: int = 50, mode: int = 0o666, wantPID: bool = False
    ) -> Any:
        return self._raise(self._listenException, "listenUNIX")

    def connectUNIX(
        self, address: str, factory: Any, timeout: float = 30, checkPID: bool = False
    ) -> Any:
        return self._raise(self._connectException, "connectUNIX")


@implementer(IPullProducer)
class NonStreamingProducer:
    """A pull producer that writes ``b"0"`` ... ``b"9"``, one per
    ``resumeProducing``, then unregisters itself and fires ``result``."""

    counter: int = 0
    stopped: bool = False

    def __init__(self, consumer: Any) -> None:
        self.consumer = consumer
        self.result: Deferred[None] = Deferred()

    def resumeProducing(self) -> None:
        if self.consumer is None or self.counter >= 10:
            raise RuntimeError("BUG: resume after unregister/stop.")
        self.consumer.write(b"%d" % (self.counter,))
        self.counter += 1
        if self.counter == 10:
            self.consumer.unregisterProducer()
            self._done()

    def pauseProducing(self) -> None:
        raise RuntimeError("BUG: pause should never be called.")

    def _done(self) -> None:
        self.consumer = None
        d = self.result
        del self.result
        d.callback(None)

    def stopProducing(self) -> None:
        self.stopped = True
        self._done()


def waitUntilAllDisconnected(reactor: Any, protocols: Sequence[Any]) -> Deferred[None]:
    """Return a Deferred that fires once no ``p.transport.connected`` is true.

    Polls every 0.01 s with a ``LoopingCall`` on ``reactor``.
    """
    remaining = list(protocols)

    def check() -> None:
        remaining[:] = [p for p in remaining if p.transport is not None and p.transport.connected]
        if not remaining:
            poller.stop()

    poller = LoopingCall(check)
    poller.clock = reactor
    return poller.start(0.01, now=True).addCallback(lambda _: None)

