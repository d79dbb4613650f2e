"""TCP: the client transport and connector, accepted connections, the listening port.

This module owns ``twisted.internet.tcp``'s public classes:

* ``Client`` -- the connecting side: name resolution, bind, the
  non-blocking connect (dispatched on the ``CONNECTING`` state), on
  ``BaseClient``, the connect attempt ``plait.unix.Client`` shares (both
  live in ``plait._tcpclient``);
* ``Connector`` -- ``connectTCP``'s connector (``connector.BaseConnector``);
* ``Server`` -- a connection accepted by a ``Port``;
* ``Port`` -- ``listenTCP``: bind, listen, the accept loop (``plait.unix.Port``
  reuses it through the ``_openSocket``/``_bind``, ``_announce`` and
  ``_accepted``/``_serve`` hooks);
* ``adoptStreamConnection`` / ``adoptStreamPort`` for ``IReactorSocket``;
* ``Connection``, their shared socket I/O, lives in ``plait._tcpconnection``
  and is re-exported here.

Rules:

* Connect errors become exceptions in one place, ``error.getConnectError``
  (called from ``Client._connectFailed``); read/write errors in
  ``_tcpconnection._lostReason``.
* No ``connectionLost`` or connector outcome is reported from inside a
  user's call.  Protocol callbacks run from ``doRead``/``doWrite`` (the
  reactor's dispatch, which logs an exception and closes the connection
  with it as the reason), from the accept loop and the transport's own
  ``callLater`` calls (which do the same), and -- as in Twisted --
  ``connectionMade`` from inside ``adoptStreamConnection``.
* A client's connect attempt starts on the reactor iteration after
  ``connector.connect()``, so every outcome, including a bind error, is
  reported from the loop.
* A ``Port`` keeps listening whatever a factory or protocol does; running
  out of file descriptors pauses accepting for ``_ACCEPT_BACKOFF`` seconds
  instead of spinning.

Tests: tests/integration/test_tcp.py, tests/integration/test_tcp_peers.py,
tests/integration/test_tcp_volume.py, tests/integration/test_tcp_paths.py,
tests/contract/test_contract_real.py, tests/unit/test_connector.py
(``Connector``'s arguments).
"""

from __future__ import annotations

import enum
import errno
import os
import socket
import sys
from errno import EAGAIN, ENFILE, ENOMEM, EPERM  # noqa: F401 - Twisted's tcp exports them
from typing import Any

from zope.interface import implementer

from plait import error, log
from plait._tcpclient import BaseClient, Client
from plait._tcpconnection import (
    Connection,
    _address,
    _applyBindOptions,
    _isIPv6Literal,
    _prefixOf,
    _sockaddr,
    makeBinding,
)
from plait.abstract import TransportState
from plait.address import IPv4Address, IPv6Address
from plait.connector import BaseConnector
from plait.defer import Deferred
from plait.failure import Failure
from plait.interfaces import (  # noqa: F401 - ITLSTransport: Twisted's tcp has it
    IListeningPort,
    ILoggingContext,
    IReadDescriptor,
    ITLSTransport,
    _Binding,
)
from plait.logger import Logger

# Written in plait._tcpclient; its public home is here (reprs read
# ``plait.tcp.Client``, as Twisted's read ``twisted.internet.tcp.Client``).
Client.__module__ = __name__

__all__ = [
    "BaseClient",
    "Client",
    "Connection",
    "Connector",
    "Port",
    "Server",
    "adoptStreamConnection",
    "adoptStreamPort",
    "makeBinding",
]

_CONNECTING = TransportState.CONNECTING
_CONNECTED = TransportState.CONNECTED

# accept(2) on Linux: errors of the *new* connection (which is dropped), to
# be treated "like EAGAIN by retrying"; ECONNABORTED is the portable one,
# EPERM is netfilter refusing the connection.
_ACCEPT_RETRY = frozenset(
    getattr(errno, name)
    for name in (
        "ECONNABORTED", "EPERM", "EPROTO", "ENOPROTOOPT", "EHOSTDOWN", "ENONET",
        "EHOSTUNREACH", "EOPNOTSUPP", "ENETDOWN", "ENETUNREACH",
    )
    if hasattr(errno, name)
)
# accept(2): out of descriptors or memory -- the listener stays readable, so
# retrying at once would spin.
_ACCEPT_EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})

class _ReservedDescriptor:
    """One descriptor (``/dev/null``) held back for EMFILE recovery (see
    ``Port._shedConnections``); one per process, opened by the first port."""

    def __init__(self) -> None:
        self._fd: int | None = None

    def available(self) -> bool:
        return self._fd is not None

    def reserve(self) -> None:
        if self._fd is None:
            try:
                self._fd = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
            except OSError:
                self._fd = None  # out of descriptors already: back off instead

    def release(self) -> None:
        if self._fd is not None:
            fd, self._fd = self._fd, None
            os.close(fd)


_reservedFD = _ReservedDescriptor()


class Server(Connection):
    """The server side of a TCP connection, accepted by a ``Port``."""

    def __init__(
        self,
        skt: socket.socket,
        protocol: Any,
        client: Any,
        server: Port | None,
        sessionno: int,
        reactor: Any,
        family: int | None = None,
    ) -> None:
        # By name, not super(): see Connection.__init__.
        Connection.__init__(self, skt, protocol, reactor, skt.family if family is None else family)
        self.server = server
        # The peer's address as accept() gave it is Twisted's ``client``.
        # An IPv4 (host, port) is kept as its two values rather than as the
        # tuple: 48 bytes less per connection (see ``client``).
        if len(client) == 2:
            self._clientHost, self._clientPort = client
        else:
            self._client = client
        self.sessionno = sessionno
        # _setState(_CONNECTED) for a new transport: CONNECTING, write side open.
        self._state = _CONNECTED
        self._acceptingWrites = True
        self.startReading()

    _clientHost: str | None = None
    _clientPort: int = 0
    _client: Any = None

    @property
    def client(self) -> Any:
        """The peer's address as ``accept`` gave it (Twisted's attribute)."""
        if self._clientHost is None:
            return self._client
        return (self._clientHost, self._clientPort)

    @client.setter
    def client(self, value: Any) -> None:
        self._clientHost = None
        self._client = value

    @property
    def hostname(self) -> str:
        """The client's host (Twisted's attribute; derived, to keep each
        connection small)."""
        if self._clientHost is not None:
            return self._clientHost
        return self._client[0]  # type: ignore[no-any-return]

    def _buildLogPrefix(self) -> str:
        return f"{self._protocolPrefix()},{self.sessionno},{self.hostname}"

    _repstr: str | None = None

    @property
    def repstr(self) -> str:
        """``<Proto #sessionno on port>`` (Twisted's attribute, and the repr)."""
        if self._repstr is not None:
            return self._repstr
        port = self.server._realPortNumber if self.server is not None else None
        return f"<{self._protocolName()} #{self.sessionno} on {port}>"

    @repstr.setter
    def repstr(self, value: str) -> None:
        self._repstr = value

    def __repr__(self) -> str:
        return self.repstr

    def getPeer(self) -> IPv4Address | IPv6Address:
        """The client's address, as ``accept`` reported it."""
        return _address(self._family, self.client)


class PortState(enum.Enum):
    """Whether a ``Port`` is listening."""

    IDLE = "not listening"
    LISTENING = "listening"
    STOPPING = "stopping"  # stopListening() called; closes on the next turn

    __hash__ = object.__hash__  # identity: members are singletons


_PORT_ALLOWED: dict[PortState, frozenset[PortState]] = {
    PortState.IDLE: frozenset({PortState.LISTENING}),
    PortState.LISTENING: frozenset({PortState.STOPPING, PortState.IDLE}),
    PortState.STOPPING: frozenset({PortState.IDLE}),
}


@implementer(IListeningPort, IReadDescriptor, ILoggingContext)
class Port:
    """A listening TCP socket that builds a protocol per accepted connection.

    Log lines (Twisted's): ``"<factory> starting on <port>"`` when listening
    starts, ``"(TCP Port <port> Closed)"`` when it stops.
    """

    #: The transport class for accepted connections.
    transport: type[Server] = Server
    socketType = socket.SOCK_STREAM
    #: The Deferred of the last ``stopListening()`` (Twisted's attribute).
    deferred: Deferred[None] | None = None
    #: At most this many accepts per readiness event before the loop gets a turn.
    _ACCEPT_BATCH = 128
    #: Seconds to stop accepting after running out of descriptors.
    _ACCEPT_BACKOFF = 0.1
    _type = "TCP"
    _logger = Logger()

    def __init__(
        self, port: int | _Binding, factory: Any, backlog: int = 50, interface: str = "",
        reactor: Any = None,
    ) -> None:
        if isinstance(port, _Binding):
            # Twisted 26.10's bind options; an explicit interface must agree.
            if interface and port._address != interface:
                raise ValueError("Inconsistent interface vs Binding specifiers")
            binding = port
        else:
            binding = makeBinding(interface, port, reuseAddress=True)
        port, interface = binding._port, binding._address or ""
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an integer in 0..65535, not {port!r}")
        if reactor is None:
            from plait import reactor as globalReactor

            reactor = globalReactor
        self.port = port
        self.factory = factory
        self.backlog = backlog
        self.interface = interface
        self.reactor = reactor
        self.socket: socket.socket | None = None
        self.sessionno = 0
        self._realPortNumber: int | None = None
        self._state = PortState.IDLE
        self._closed = False
        self._binding = binding
        self._fileno = -1
        self._family: int = socket.AF_INET6 if _isIPv6Literal(interface) else socket.AF_INET
        self._proto = 0
        self._acceptBatch = 1
        self._batchesUsedUp = 0
        self._reading = False
        self._adopted: socket.socket | None = None
        self._resumeCall: Any = None
        self._stopCall: Any = None

    def __repr__(self) -> str:
        if self._realPortNumber is not None and self._state is PortState.LISTENING:
            return f"<{self.__class__} of {self.factory.__class__} on {self._realPortNumber}>"
        return f"<{self.__class__} of {self.factory.__class__} (not listening)>"

    def _setState(self, new: PortState) -> None:
        if new not in _PORT_ALLOWED[self._state]:
            raise RuntimeError(f"{self!r}: cannot go from {self._state.value} to {new.value}")
        self._state = new

    @property
    def connected(self) -> bool:
        """True while listening (Twisted's name)."""
        return self._state is PortState.LISTENING

    @property
    def disconnecting(self) -> bool:
        """True between ``stopListening()`` and the socket being closed."""
        return self._state is PortState.STOPPING

    @property
    def disconnected(self) -> bool:
        """True once the listening socket was closed (Twisted's flag)."""
        return self._closed

    @property
    def addressFamily(self) -> int:
        """``AF_INET``, or ``AF_INET6`` for an IPv6 interface."""
        return self._family

    @addressFamily.setter
    def addressFamily(self, family: int) -> None:
        self._family = family

    @property
    def numberAccepts(self) -> int:
        """How many connections one readiness event may accept (adapts to the load)."""
        return self._acceptBatch

    @numberAccepts.setter
    def numberAccepts(self, count: int) -> None:
        self._acceptBatch = max(1, int(count))

    def fileno(self) -> int:
        return self._fileno

    def logPrefix(self) -> str:
        """The factory's qualified class name (Twisted's: ``__main__.EchoFactory``)."""
        cls = type(self.factory)
        return f"{cls.__module__}.{cls.__qualname__}"

    # -- starting and stopping ---------------------------------------------------

    def startListening(self) -> None:
        """Bind, listen and start accepting.

        Raises ``CannotListenError`` (synchronously) if the address cannot
        be bound.
        """
        if self._state is not PortState.IDLE:
            raise RuntimeError(f"{self!r} cannot start listening while {self._state.value}")
        skt = self._openSocket()
        _reservedFD.reserve()
        self._family = skt.family
        self._proto = skt.proto
        self._announce(skt)
        self.factory.doStart()
        self.socket = skt
        self._fileno = skt.fileno()
        self._setState(PortState.LISTENING)
        self._startReading()

    def _openSocket(self) -> socket.socket:
        """The listening socket: the adopted one, or a new one bound and listening.

        Raises ``CannotListenError``.  (A hook: ``plait.unix.Port`` binds a path.)
        """
        if self._adopted is not None:
            skt, self._adopted = self._adopted, None
            return skt
        return self._bind()

    def _announce(self, skt: socket.socket) -> None:
        """Note the address really listened on, and log Twisted's line (a hook)."""
        self._realPortNumber = skt.getsockname()[1]
        log.msg(f"{_prefixOf(self.factory)} starting on {self._realPortNumber}")

    def createInternetSocket(self) -> socket.socket:
        """A new non-blocking socket of ``addressFamily``, with the binding's options.

        Twisted's hook: a subclass may override it to set more options.
        """
        skt = socket.socket(self.addressFamily, self.socketType)
        skt.setblocking(False)
        _applyBindOptions(skt, self._binding)
        return skt

    def _bind(self) -> socket.socket:
        skt = None
        try:
            skt = self.createInternetSocket()
            skt.bind(_sockaddr(self.addressFamily, self.interface, self.port))
            skt.listen(self.backlog)
        except OSError as e:
            if skt is not None:
                skt.close()
            raise error.CannotListenError(self.interface, self.port, e) from e
        return skt

    def stopListening(self) -> Deferred[None] | None:
        """Stop accepting; the Deferred fires after the socket closed (next turn).

        Returns ``None`` when not listening.
        """
        if self._state is not PortState.LISTENING:
            return None
        self._setState(PortState.STOPPING)
        self._stopReading()
        self._cancelResume()
        d: Deferred[None] = Deferred()
        self.deferred = d
        self._stopCall = self.reactor.callLater(0, self._finishStopping, d)
        return d

    loseConnection = stopListening

    def _finishStopping(self, d: Deferred[None]) -> None:
        self._stopCall = None
        try:
            self.connectionLost(Failure(error.ConnectionDone()))
        except Exception:  # noqa: BLE001 - a factory's stopFactory raised
            # The socket is closed by then; the Deferred still fires, with
            # the error (Twisted's deferLater does the same).
            d.errback(Failure())
            return
        d.callback(None)

    def connectionLost(self, reason: Failure) -> None:
        """Close the listening socket and release the factory; once."""
        if self._state is PortState.IDLE:
            return
        self._stopReading()
        self._cancelResume()
        log.msg(f"({self._type} Port {self._realPortNumber} Closed)")
        self._setState(PortState.IDLE)
        self._closed = True
        skt, self.socket = self.socket, None
        self._fileno = -1
        if skt is not None:
            skt.close()
        self.factory.doStop()

    def getHost(self) -> IPv4Address | IPv6Address:
        """The address listened on; ``.port`` is the real port when given 0."""
        if self.socket is None:
            raise RuntimeError(f"{self!r} has no socket")
        return _address(self._family, self.socket.getsockname())

    # -- accepting -----------------------------------------------------------------

    def startReading(self) -> None:
        """Accept connections again after ``stopReading`` (Twisted's method)."""
        if self._state is PortState.LISTENING:
            self._startReading()

    def stopReading(self) -> None:
        """Stop accepting for now; waiting peers stay queued (Twisted's method)."""
        self._stopReading()

    pauseProducing = stopReading
    resumeProducing = startReading

    def _startReading(self) -> None:
        if not self._reading:
            self._reading = True
            self.reactor.addReader(self)

    def _stopReading(self) -> None:
        if self._reading:
            self._reading = False
            self.reactor.removeReader(self)

    def doRead(self) -> None:
        """Accept the connections that are waiting (up to a batch)."""
        if self._state is not PortState.LISTENING or self.socket is None:
            return
        # Why _accept (the C method socket.accept() wraps): accept() reads
        # the listener's family and type through Python-level properties,
        # ~0.8 us per connection; _accepted builds the socket object from
        # the values cached at startListening instead.
        accept = self.socket._accept  # type: ignore[attr-defined]  # not in typeshed
        # Discussion: accepting until EAGAIN costs a failed accept(2) (and a
        # Python exception) per readiness event, a large part of the cost of
        # a client that connects one connection at a time.  So the batch
        # adapts: it shrinks to what was found when the queue ran dry, and
        # doubles after it was used up a few times running.  The selector
        # is level-triggered, so a short batch only costs another loop pass,
        # never a forgotten connection.
        batch = self._acceptBatch
        for accepted in range(batch):
            try:
                fd, addr = accept()
            except BlockingIOError:
                self._acceptBatch = max(1, accepted)
                self._batchesUsedUp = 0
                return
            except OSError as e:
                if e.errno in _ACCEPT_RETRY:
                    continue
                if e.errno in _ACCEPT_EXHAUSTED:
                    if e.errno == errno.EMFILE and _reservedFD.available():
                        self._shedConnections(accept)
                    else:
                        self._backOff(e)
                    return
                raise
            self._accepted(fd, addr)
            if self._state is not PortState.LISTENING:
                return  # a protocol stopped the port
        self._batchesUsedUp += 1
        if self._batchesUsedUp >= 4:
            self._batchesUsedUp = 0
            self._acceptBatch = min(batch * 2, self._ACCEPT_BATCH)

    def _accepted(self, fd: int, addr: Any) -> None:
        # With family, type and proto given, the constructor makes no system
        # call and cannot fail (short of MemoryError).
        skt = socket.socket(self._family, socket.SOCK_STREAM, self._proto, fd)
        if len(addr) == 2:
            # Why intern: accept(2) returns a new host string per connection,
            # the transport keeps it (``client``) for the connection's life,
            # and clients tend to come from a few hosts.  Shared, it is 64
            # bytes less per connection (fanin's server RSS is a benchmark).
            addr = (sys.intern(addr[0]), addr[1])
        self._serve(skt, addr, _address(self._family, addr))

    def _serve(self, skt: socket.socket, addr: Any, address: Any) -> None:
        """Build a protocol for the accepted ``skt`` (peer ``address``) and start it.

        ``addr`` is the peer's address as ``accept`` gave it (the transport
        keeps it).  A factory that raises or refuses gets the socket closed;
        the port keeps listening either way.
        """
        try:
            skt.setblocking(False)
            protocol = self.factory.buildProtocol(address)
        except Exception:  # noqa: BLE001 -- a factory's bug must not stop the port
            skt.close()
            log.err(Failure(), "Unhandled Error", system=self.logPrefix())
            return
        if protocol is None:
            skt.close()
            return
        sessionno = self.sessionno
        self.sessionno = sessionno + 1
        transport = self.transport(
            skt, protocol, addr, self, sessionno, self.reactor, self._family
        )
        try:
            reason = transport._deliverFromLoop(protocol.makeConnection, transport)
        except Exception:  # noqa: BLE001 -- the loop's boundary: log, then close
            reason = Failure()
            log.err(reason, "Unhandled Error", system=transport.logstr)
        if reason is not None:
            transport._closeFromLoop(reason)

    def _shedConnections(self, accept: Any) -> None:
        """Out of descriptors (EMFILE): accept and close what is waiting.

        As Twisted does: the descriptor reserved at ``startListening`` is
        given up, so ``accept`` can succeed, and each waiting connection is
        closed at once: its peer sees the connection end instead of
        hanging in the listen queue.  Logged afterwards: logging may itself
        need a descriptor.
        """
        closed: list[Any] = []
        _reservedFD.release()
        try:
            for _ in range(self._ACCEPT_BATCH):
                try:
                    fd, addr = accept()
                except OSError:
                    break  # EAGAIN: none left (or still failing: try next time)
                os.close(fd)
                closed.append(addr)
        finally:
            _reservedFD.reserve()
        self._logger.info("EMFILE encountered; releasing reserved file descriptor.")
        for addr in closed:
            self._logger.info("EMFILE recovery: Closed socket from {address}", address=addr)
        self._logger.info("Re-reserving EMFILE recovery file descriptor.")

    def _backOff(self, e: OSError) -> None:
        """Out of descriptors: pause accepting instead of spinning on the listener."""
        log.msg(f"Could not accept new connection ({errno.errorcode.get(e.errno or 0, e.errno)})")
        self._stopReading()
        self._resumeCall = self.reactor.callLater(self._ACCEPT_BACKOFF, self._resumeAccepting)

    def _resumeAccepting(self) -> None:
        self._resumeCall = None
        if self._state is PortState.LISTENING:
            self._startReading()

    def _cancelResume(self) -> None:
        call, self._resumeCall = self._resumeCall, None
        if call is not None and call.active():
            call.cancel()


class Connector(BaseConnector):
    """``connectTCP``'s connector: ``host`` may be a name or an IP literal,
    ``port`` a number or a service name (``getservbyname``)."""

    _lazyTimeout = True  # Client (a BaseClient) arms it when it must wait

    def __init__(
        self,
        host: str,
        port: int | str,
        factory: Any,
        timeout: float | None,
        bindAddress: Any,
        reactor: Any = None,
    ) -> None:
        if not isinstance(host, str):
            raise TypeError(f"host must be a str, not {host!r}")
        # An int in range (nearly every call) passes one test; a service
        # name, a bool or anything else goes through _portNumber.
        if port.__class__ is not int or not 0 <= port <= 65535:
            port = _portNumber(port)
        if bindAddress is not None and not (
            isinstance(bindAddress, _Binding)
            or (isinstance(bindAddress, tuple) and len(bindAddress) in (2, 4))
        ):
            raise TypeError(
                f"bindAddress must be a (host, port) tuple, a Binding or None, not {bindAddress!r}")
        if reactor is None:
            from plait import reactor as globalReactor

            reactor = globalReactor
        self.host = host
        self.port = port
        self.bindAddress = bindAddress
        BaseConnector.__init__(self, factory, timeout, reactor)  # not super(): Connection.__init__ says why

    def _makeTransport(self) -> Client:
        return Client(self.host, self.port, self.bindAddress, self, self.reactor)

    def getDestination(self) -> IPv4Address | IPv6Address:
        """The address given to ``connectTCP`` (a name stays unresolved)."""
        if _isIPv6Literal(self.host):
            return IPv6Address("TCP", self.host, self.port)
        return IPv4Address("TCP", self.host, self.port)


def _portNumber(port: object) -> int:
    """``port`` as a port number: a service name is looked up, anything but
    an int in 0..65535 is an error (``ServiceNameUnknownError``, ``ValueError``)."""
    if isinstance(port, str):
        name = port
        try:
            port = socket.getservbyname(name, "tcp")
        except OSError as e:
            # "8000" is the commonest slip (a port read from argv or a
            # config file); say how to fix it rather than "not found".
            hint = f"; pass the port as an int ({int(name)}), not a str" if name.isdecimal() else ""
            raise error.ServiceNameUnknownError(string=f"{e} ({name!r}){hint}") from e
    if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
        raise ValueError(f"port must be an integer in 0..65535 or a service name, not {port!r}")
    return port


def _checkFamily(addressFamily: int) -> None:
    if addressFamily not in (socket.AF_INET, socket.AF_INET6):
        raise error.UnsupportedAddressFamily(addressFamily)


def adoptStreamConnection(
    reactor: Any, fileDescriptor: int, addressFamily: int, factory: Any
) -> Server | None:
    """Wrap a connected TCP socket in a ``Server`` transport for ``factory``.

    The descriptor is duplicated: the caller still owns ``fileDescriptor``
    and should close it.  ``connectionMade`` runs before this returns.
    Returns the transport, or ``None`` if the factory refused.
    """
    _checkFamily(addressFamily)
    skt = socket.fromfd(fileDescriptor, addressFamily, socket.SOCK_STREAM)
    try:
        skt.setblocking(False)
        addr = skt.getpeername()
        protocol = factory.buildProtocol(_address(addressFamily, addr))
    except BaseException:
        skt.close()
        raise
    if protocol is None:
        skt.close()
        return None
    transport = Server(skt, protocol, addr, None, addr[1], reactor, addressFamily)
    transport._sharedDescriptor = True  # the caller's copy may stay open
    # Twisted's repr of an adopted connection: "#<peer port> on <our port>".
    transport.repstr = f"<{type(protocol).__name__} #{addr[1]} on {skt.getsockname()[1]}>"
    protocol.makeConnection(transport)
    return transport


def adoptStreamPort(reactor: Any, fileDescriptor: int, addressFamily: int, factory: Any) -> Port:
    """Listen on an already bound and listening TCP socket.

    The descriptor is duplicated: the caller still owns ``fileDescriptor``.
    """
    _checkFamily(addressFamily)
    skt = socket.fromfd(fileDescriptor, addressFamily, socket.SOCK_STREAM)
    try:
        skt.setblocking(False)
        host, port = skt.getsockname()[:2]
    except BaseException:
        skt.close()
        raise
    listening = Port(port, factory, interface=host, reactor=reactor)
    listening._adopted = skt
    listening.startListening()
    return listening
