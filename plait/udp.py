"""UDP: datagram ports (``listenUDP``) and multicast ports (``listenMulticast``).

This module owns ``twisted.internet.udp``'s public classes:

* ``Port`` -- a bound datagram socket serving one ``DatagramProtocol``; it
  is both the listening port (``IListeningPort``) and the protocol's
  transport (``IUDPTransport``): ``write(datagram, addr)``, connected mode
  (``connect(host, port)``, ``connectionRefused``), broadcast;
* ``MulticastPort`` -- a ``Port`` that joins groups (``IMulticastTransport``),
  written in ``plait._multicast`` and served from here.

``plait._unixdatagram`` builds the UNIX datagram ports on ``Port``.

The life of a port, for its protocol::

    startListening -> makeConnection -> doStart -> startProtocol
        [-> datagramReceived | connectionRefused]*
        -> stopListening ... (next turn) doStop -> stopProtocol

States (``_setState`` checks each move): IDLE -> LISTENING -> STOPPING ->
IDLE; LISTENING -> IDLE directly when the reactor shuts down.

Rules:

* The address family is the interface's: an IPv6 literal makes an IPv6
  port, an IPv4 literal or ``''`` an IPv4 one; anything else (a host name)
  is ``InvalidAddressError`` at once.  ``write`` and ``connect`` take IP
  addresses only, never names (resolving would block the loop); the error
  says to resolve first.
* ``doRead`` takes up to a batch of datagrams per readiness event: the
  batch adapts like ``tcp.Port``'s accept batch (it shrinks to what was
  waiting when the socket ran dry, doubles after it was used up four times
  running, up to ``_READ_BATCH``), and ``maxThroughput`` bytes bound it
  too.  So an echo exchange costs one ``recvfrom`` per datagram, with no
  failed call, and a flood still lets the loop breathe.  A connected port
  reads with ``recv`` and delivers the peer's address as the kernel spells
  it (``getpeername``, what ``recvfrom`` would say), made once at
  ``connect``.  An exception from ``datagramReceived`` is logged; the port
  goes on.
* A datagram longer than ``maxPacketSize`` is dropped and logged (it is
  read with one byte to spare, which is how its size shows); Twisted
  delivers it cut short.
* A datagram the kernel cannot queue (``EAGAIN``/``ENOBUFS``) is dropped,
  as UDP allows; one that can never fit (``EMSGSIZE``) raises
  ``MessageLengthError``.  ICMP errors reported on the socket (refused,
  unreachable) never close the port: a refusal calls ``connectionRefused``
  in connected mode, the others are logged.

Tests: tests/integration/test_udp.py, tests/integration/test_unix_udp_peers.py
(socat), tests/integration/test_compat_udp.py, tests/unit/test_unixudp.py.
"""

from __future__ import annotations

import enum
import errno
import socket
import warnings
from errno import EAGAIN, ECONNREFUSED, EINTR, EMSGSIZE  # noqa: F401 - Twisted's udp exports them
from typing import Any

from zope.interface import implementer

from plait import error, log
from plait._ipaddress import isIPAddress, isIPv6Address
from plait.address import IPv4Address, IPv6Address
from plait.defer import Deferred
from plait.failure import Failure
from plait.interfaces import (
    IListeningPort,
    ILoggingContext,
    IReadDescriptor,
    ISystemHandle,
    IUDPTransport,
)

__all__ = ["MulticastPort", "Port", "adoptDatagramPort"]  # noqa: F822 - MulticastPort: see __getattr__


class PortState(enum.Enum):
    """Whether a datagram port is bound and reading."""

    IDLE = "not listening"
    LISTENING = "listening"
    STOPPING = "stopping"  # stopListening() called; closes on the next turn

    __hash__ = object.__hash__  # identity: members are singletons


_IDLE = PortState.IDLE
_LISTENING = PortState.LISTENING
_STOPPING = PortState.STOPPING

_ALLOWED: dict[PortState, frozenset[PortState]] = {
    _IDLE: frozenset({_LISTENING}),
    _LISTENING: frozenset({_STOPPING, _IDLE}),
    _STOPPING: frozenset({_IDLE}),
}

# recvfrom(2) on a UDP socket reports ICMP errors of earlier sends
# (udp(7), "Error handling"); none of them means the port is unusable.
_ICMP_ERRORS = frozenset(
    getattr(errno, name)
    for name in ("EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENONET", "EPROTO", "ECONNRESET",
                 "EMSGSIZE", "ENOPROTOOPT")
    if hasattr(errno, name)
)
# sendto(2): the datagram could not be queued now; UDP may drop it.
_SEND_DROPPED = frozenset({errno.EAGAIN, errno.ENOBUFS})

# Appended to Twisted's own texts (which end with or without a full stop).
_RESOLVE_FIRST = "Resolve the name first: reactor.resolve(name) fires with an IPv4 address."


def _prefixOf(thing: Any) -> str:
    if ILoggingContext.providedBy(thing):
        return str(thing.logPrefix())
    return type(thing).__name__


@implementer(IListeningPort, IUDPTransport, ISystemHandle, IReadDescriptor, ILoggingContext)
class Port:
    """A UDP port: binds ``interface:port`` and serves one datagram protocol.

    ``port`` 0 lets the system choose (``getHost().port`` tells);
    ``maxPacketSize`` is the longest datagram received.  Log lines
    (Twisted's): ``"<protocol> starting on <port>"`` and ``"(UDP Port
    <port> Closed)"``.
    """

    addressFamily: int = socket.AF_INET
    socketType = socket.SOCK_DGRAM
    #: At most this many bytes are read per readiness event (Twisted's attribute).
    maxThroughput = 256 * 1024
    #: At most this many datagrams are read per readiness event.
    _READ_BATCH = 64
    #: Hosts checked by ``write`` are remembered, up to this many.
    _KNOWN_HOSTS = 256
    _type = "UDP"
    _realPortNumber: Any = None
    _preexistingSocket: socket.socket | None = None
    #: The Deferred of a ``stopListening()`` in progress.
    deferred: Deferred[None] | None = None

    def __init__(
        self, port: int | None, proto: Any, interface: str = "", maxPacketSize: int = 8192,
        reactor: Any = None,
    ) -> None:
        if port is not None and (
            isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535
        ):
            raise ValueError(f"port must be an integer in 0..65535, not {port!r}")
        if isinstance(maxPacketSize, bool) or not isinstance(maxPacketSize, int) or maxPacketSize < 1:
            raise ValueError(f"maxPacketSize must be a positive integer, not {maxPacketSize!r}")
        if isinstance(proto, type) or not callable(getattr(proto, "datagramReceived", None)) or (
            not callable(getattr(proto, "makeConnection", None))
        ):
            raise TypeError(
                f"{proto!r} is not a datagram protocol: pass an instance of a "
                "DatagramProtocol subclass (not the class, and not a Protocol)")
        if reactor is None:
            from plait import reactor as globalReactor

            reactor = globalReactor
        self.port: Any = port  # a UNIX datagram port keeps its path here
        self.protocol = proto
        self.maxPacketSize = maxPacketSize
        self.interface = interface
        self.reactor = reactor
        self.socket: socket.socket | None = None
        self._fileno = -1
        self._state = _IDLE
        self._reading = False
        self._connectedAddr: tuple[str, int] | None = None
        #: Once connected: the peer's address as doRead delivers it.
        self._peer: tuple[str, int] | None = None
        self._knownHosts: set[str] = set()
        self._batch = 1
        self._batchesUsedUp = 0
        self._stopCall: Any = None
        self.setLogStr()
        self._setAddressFamily()

    def __repr__(self) -> str:
        if self._realPortNumber is not None:
            return f"<{self.protocol.__class__} on {self._realPortNumber}>"
        return f"<{self.protocol.__class__} not connected>"

    def _setState(self, new: PortState) -> None:
        if new not in _ALLOWED[self._state]:
            raise RuntimeError(f"{self!r}: cannot go from {self._state.value} to {new.value}")
        self._state = new

    def _setAddressFamily(self) -> None:
        """The family is the interface's (Twisted's rule)."""
        interface = self.interface
        if isIPv6Address(interface):
            self.addressFamily = socket.AF_INET6
        elif isIPAddress(interface) or not interface:
            self.addressFamily = socket.AF_INET
        else:
            raise error.InvalidAddressError(
                interface, "not an IPv4 or IPv6 address. " + _RESOLVE_FIRST)

    @property
    def connected(self) -> bool:
        """True from binding until the socket is closed (Twisted's flag)."""
        return self._state is not _IDLE

    @property
    def disconnecting(self) -> bool:
        """True between ``stopListening()`` and the socket being closed."""
        return self._state is _STOPPING

    def fileno(self) -> int:
        return self._fileno

    def getHandle(self) -> socket.socket | None:
        """The ``socket.socket`` (``None`` when not listening)."""
        return self.socket

    def setLogStr(self) -> None:
        """Set ``logstr``: ``"<protocol prefix> (UDP)"`` (Twisted's method)."""
        self.logstr = f"{_prefixOf(self.protocol)} ({self._type})"

    def logPrefix(self) -> str:
        return self.logstr

    # -- starting and stopping ---------------------------------------------------

    def startListening(self) -> None:
        """Bind, attach the protocol (``makeConnection``) and start reading.

        Raises ``CannotListenError`` if the address cannot be bound.
        """
        if self._state is not _IDLE:
            raise RuntimeError(f"{self!r} cannot start listening while {self._state.value}")
        self._bindSocket()
        self._connectToProtocol()

    def createInternetSocket(self) -> socket.socket:
        """A new non-blocking datagram socket of ``addressFamily`` (Twisted's hook)."""
        skt = socket.socket(self.addressFamily, self.socketType)
        skt.setblocking(False)
        return skt

    def _bindAddress(self) -> Any:
        if self.addressFamily == socket.AF_INET6:
            # AI_NUMERICHOST: no lookup, but a "%scope" suffix is resolved.
            return socket.getaddrinfo(self.interface or "::", self.port or 0, socket.AF_INET6,
                                      socket.SOCK_DGRAM, 0, socket.AI_NUMERICHOST)[0][4]
        return (self.interface, self.port or 0)

    def _bindSocket(self) -> None:
        """Bind a new socket (or take the adopted one); note the real port."""
        if self._preexistingSocket is None:
            skt = None
            try:
                skt = self.createInternetSocket()
                skt.bind(self._bindAddress())
            except OSError as e:
                if skt is not None:
                    skt.close()
                raise error.CannotListenError(self.interface, self.port, e) from e
        else:
            skt, self._preexistingSocket = self._preexistingSocket, None
        self._realPortNumber = skt.getsockname()[1]
        log.msg(f"{_prefixOf(self.protocol)} starting on {self._realPortNumber}")
        self._listenOn(skt)

    def _listenOn(self, skt: socket.socket) -> None:
        self.socket = skt
        self._fileno = skt.fileno()
        self._setState(_LISTENING)

    def _connectToProtocol(self) -> None:
        try:
            self.protocol.makeConnection(self)
        except BaseException:
            # Already serving another port, or startProtocol raised: the
            # caller gets the error and no socket is left behind.
            self._abandon()
            raise
        if self._state is _LISTENING:  # startProtocol may have stopped us
            self.startReading()

    def _abandon(self) -> None:
        """Close a socket whose protocol never started (no ``doStop``)."""
        if self.protocol.transport is self:
            self.protocol.transport = None
        self._realPortNumber = None
        skt, self.socket = self.socket, None
        self._fileno = -1
        if skt is not None:
            skt.close()
        if self._state is not _IDLE:
            self._setState(_IDLE)

    def stopListening(self) -> Deferred[None] | None:
        """Stop; the Deferred fires once the socket is closed (next turn).

        Returns ``None`` when not listening.
        """
        if self._state is not _LISTENING:
            return None
        self._setState(_STOPPING)
        self.stopReading()
        d: Deferred[None] = Deferred()
        self.deferred = d
        self._stopCall = self.reactor.callLater(0, self._finishStopping, d)
        return d

    def loseConnection(self) -> None:
        """Deprecated (Twisted's warning): use ``stopListening()``."""
        warnings.warn("Please use stopListening() to disconnect port", DeprecationWarning,
                      stacklevel=2)
        self.stopListening()

    def _finishStopping(self, d: Deferred[None]) -> None:
        self._stopCall = None
        self.deferred = None
        try:
            self.connectionLost(Failure(error.ConnectionDone()))
        except Exception:  # noqa: BLE001 - a protocol's stopProtocol raised
            d.errback(Failure())  # the socket is closed all the same
            return
        d.callback(None)

    def connectionLost(self, reason: Failure | None = None) -> None:
        """Close the socket and stop the protocol (``doStop``); once."""
        if self._state is _IDLE:
            return
        self.stopReading()
        call, self._stopCall = self._stopCall, None
        if call is not None and call.active():
            call.cancel()
        self._logClosed()
        self._realPortNumber = None
        self._setState(_IDLE)
        skt, self.socket = self.socket, None
        self._fileno = -1
        try:
            self.protocol.doStop()
        finally:
            if skt is not None:
                skt.close()

    def _logClosed(self) -> None:
        log.msg(f"({self._type} Port {self._realPortNumber} Closed)")

    def startReading(self) -> None:
        """Watch the socket for datagrams (idempotent)."""
        if not self._reading and self._state is _LISTENING:
            self._reading = True
            self.reactor.addReader(self)

    def stopReading(self) -> None:
        """Stop reading for now (idempotent); datagrams queue in the kernel."""
        if self._reading:
            self._reading = False
            self.reactor.removeReader(self)

    def doWrite(self) -> None:
        """Never watched for writing (datagrams are sent at once)."""

    # -- receiving -------------------------------------------------------------------

    def doRead(self) -> Any:
        """Take the datagrams that are waiting (a bounded batch; see the rules)."""
        if self._state is not _LISTENING:
            return None
        skt = self.socket
        recvfrom = skt.recvfrom  # type: ignore[union-attr]  # LISTENING: open
        # Connected, only the peer's datagrams arrive: recv() and the peer's
        # address, known already, save recvfrom's address object each time.
        peer = self._peer
        recv = skt.recv  # type: ignore[union-attr]
        size = self.maxPacketSize + 1  # one byte to spare: see _tooLong
        deliver = self.protocol.datagramReceived
        ipv6 = self.addressFamily == socket.AF_INET6
        budget = self.maxThroughput
        batch = self._batch
        for got in range(batch):
            try:
                if peer is None:
                    data, addr = recvfrom(size)
                else:
                    data, addr = recv(size), peer
            except BlockingIOError:
                self._batch = got or 1
                self._batchesUsedUp = 0
                return None
            except OSError as e:
                return self._readFailed(e)
            length = len(data)
            if length == size:
                self._tooLong(addr)
                continue
            if ipv6 and peer is None:
                addr = addr[:2]  # Twisted's (host, port), without flow info and scope
            try:
                deliver(data, addr)
            except Exception:  # noqa: BLE001 -- one bad datagram must not stop the port
                log.err(Failure(), "Unhandled Error", system=self.logstr)
            if self._state is not _LISTENING:
                return None  # the protocol stopped the port
            budget -= length
            if budget <= 0:
                return None
        self._batchesUsedUp += 1
        if self._batchesUsedUp >= 4:
            self._batchesUsedUp = 0
            self._batch = min(batch * 2, self._READ_BATCH)
        return None

    def _readFailed(self, e: OSError) -> Any:
        """``recvfrom`` failed: an ICMP report, or a real error (raised)."""
        if e.errno == errno.ECONNREFUSED:
            if self._connectedAddr is not None:
                try:
                    self.protocol.connectionRefused()
                except Exception:  # noqa: BLE001 -- the port goes on
                    log.err(Failure(), "Unhandled Error", system=self.logstr)
            return None
        if e.errno == errno.EINTR:
            return None
        if e.errno in _ICMP_ERRORS:
            log.msg(f"{self.logstr}: an earlier datagram was not delivered ({e.strerror})")
            return None
        raise e

    def _tooLong(self, addr: Any) -> None:
        log.msg(f"{self.logstr}: dropped a datagram longer than maxPacketSize "
                f"({self.maxPacketSize} bytes) from {addr!r}; pass a larger maxPacketSize "
                "to receive it")

    # -- sending -----------------------------------------------------------------------

    def write(self, datagram: bytes, addr: tuple[str, int] | None = None) -> Any:
        """Send ``datagram`` to ``addr`` (an ``(ip, port)`` pair), now.

        In connected mode ``addr`` is optional (and must be the connected
        address if given).  Raises ``InvalidAddressError`` for a host that
        is not an IP address of this port's family, ``MessageLengthError``
        for a datagram too long for UDP.  A datagram the kernel has no room
        for is dropped.  Returns the number of bytes sent (Twisted's legacy
        return value), or ``None`` if nothing was sent.
        """
        connected = self._connectedAddr
        if connected is not None:
            if addr is not None and addr != connected:
                raise ValueError(
                    f"this port is connected to {connected!r}: write() takes no address, "
                    f"or that one, not {addr!r}")
            try:
                return self.socket.send(datagram)  # type: ignore[union-attr]
            except OSError as e:
                return self._sendFailed(e, datagram)
            except (TypeError, AttributeError):
                self._explainBadWrite(datagram)
                raise
        if addr is None:
            raise ValueError("write() needs an (ip, port) address: this port is not connected")
        try:
            known = addr[0] in self._knownHosts
        except (TypeError, IndexError, KeyError):
            known = False
        if not known:
            self._checkAddress(addr)
        try:
            return self.socket.sendto(datagram, addr)  # type: ignore[union-attr]
        except OSError as e:
            return self._sendFailed(e, datagram)
        except (TypeError, AttributeError):
            self._explainBadWrite(datagram)
            raise

    def writeSequence(self, seq: Any, addr: tuple[str, int] | None = None) -> Any:
        """Send the concatenation of ``seq`` as one datagram."""
        return self.write(b"".join(seq), addr)

    def _checkAddress(self, addr: Any) -> None:
        """Refuse what is not an (IP, port) pair of our family; remember good hosts."""
        if not isinstance(addr, tuple) or len(addr) not in (2, 4):
            raise TypeError(f"write()'s address must be an (ip, port) tuple, not {addr!r}")
        host = addr[0]
        if not isinstance(host, str):
            raise TypeError(f"write()'s address must be an (ip, port) tuple, not {addr!r}")
        v6 = isIPv6Address(host)
        v4 = host == "<broadcast>" or isIPAddress(host)
        if not v4 and not v6:
            raise error.InvalidAddressError(
                host, "write() only accepts IP addresses, not hostnames. " + _RESOLVE_FIRST)
        if v4 and self.addressFamily == socket.AF_INET6:
            raise error.InvalidAddressError(
                host, "IPv6 port write() called with IPv4 or broadcast address")
        if v6 and self.addressFamily == socket.AF_INET:
            raise error.InvalidAddressError(host, "IPv4 port write() called with IPv6 address")
        if len(self._knownHosts) >= self._KNOWN_HOSTS:
            self._knownHosts.clear()
        self._knownHosts.add(host)

    def _sendFailed(self, e: OSError, datagram: bytes) -> Any:
        if e.errno == errno.EMSGSIZE:
            raise error.MessageLengthError(
                f"message too long ({len(datagram)} bytes)") from e
        if e.errno == errno.ECONNREFUSED:
            # An ICMP refusal of an earlier datagram, reported now.
            if self._connectedAddr is not None:
                self.protocol.connectionRefused()
            return None
        if e.errno in _SEND_DROPPED:
            return None
        raise e

    def _explainBadWrite(self, datagram: Any) -> None:
        """Raise a clear error for the usual mistakes; else let the original go."""
        if not isinstance(datagram, (bytes, bytearray, memoryview)):
            from plait.abstract import _dataMustBeBytes

            raise _dataMustBeBytes(datagram)
        if self.socket is None:
            raise RuntimeError(f"{self!r} is not listening: write() after stopListening()")

    def connect(self, host: str, port: int) -> None:
        """Connected mode: only ``host:port``'s datagrams arrive, writes go there.

        ``host`` must be an IP address (``InvalidAddressError`` otherwise).
        Raises ``RuntimeError`` if already connected.
        """
        if self._connectedAddr is not None:
            raise RuntimeError("already connected, reconnecting is not currently supported")
        if not isinstance(host, str) or not (isIPAddress(host) or isIPv6Address(host)):
            raise error.InvalidAddressError(host, "not an IPv4 or IPv6 address. " + _RESOLVE_FIRST)
        if self.socket is None:
            raise RuntimeError(f"{self!r} is not listening: connect() needs a bound port")
        self._connectedAddr = (host, port)
        self.socket.connect((host, port))
        # The kernel's spelling of the peer, as recvfrom would give it.
        self._peer = self.socket.getpeername()[:2]

    # -- addresses and options ---------------------------------------------------------

    def getHost(self) -> IPv4Address | IPv6Address:
        """The bound address (type ``'UDP'``); ``port`` is the real port."""
        if self.socket is None:
            raise RuntimeError(f"{self!r} is not listening")
        addr = self.socket.getsockname()
        if self.addressFamily == socket.AF_INET6:
            return IPv6Address("UDP", addr[0], addr[1])
        return IPv4Address("UDP", addr[0], addr[1])

    def setBroadcastAllowed(self, enabled: bool) -> None:
        """Allow sending to broadcast addresses (``SO_BROADCAST``, off by default)."""
        assert self.socket is not None
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST, bool(enabled))

    def getBroadcastAllowed(self) -> bool:
        """Whether this port may send to broadcast addresses."""
        assert self.socket is not None
        return bool(self.socket.getsockopt(socket.SOL_SOCKET, socket.SO_BROADCAST))


def adoptDatagramPort(
    reactor: Any, fileDescriptor: int, addressFamily: int, protocol: Any, maxPacketSize: int = 8192
) -> Port:
    """Serve ``protocol`` on an already bound UDP socket (``IReactorSocket``).

    The descriptor is duplicated: the caller still owns ``fileDescriptor``.
    Raises ``UnsupportedAddressFamily`` for a family other than ``AF_INET``/
    ``AF_INET6`` and ``UnsupportedSocketType`` for a socket that is not a
    datagram socket.
    """
    if addressFamily not in (socket.AF_INET, socket.AF_INET6):
        raise error.UnsupportedAddressFamily(addressFamily)
    skt = socket.fromfd(fileDescriptor, addressFamily, socket.SOCK_DGRAM)
    try:
        if skt.getsockopt(socket.SOL_SOCKET, socket.SO_TYPE) != socket.SOCK_DGRAM:
            raise error.UnsupportedSocketType(
                f"descriptor {fileDescriptor} is not a datagram socket")
        skt.setblocking(False)
        interface = skt.getsockname()[0]
        port = Port(None, protocol, interface=interface, maxPacketSize=maxPacketSize,
                    reactor=reactor)
    except BaseException:
        skt.close()
        raise
    port._preexistingSocket = skt
    port.startListening()
    return port


def __getattr__(name: str) -> Any:
    """``MulticastPort``, from ``plait._multicast`` (which builds on ``Port``)."""
    if name == "MulticastPort":
        from plait._multicast import MulticastPort

        return MulticastPort
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
