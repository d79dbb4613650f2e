"""TCP: the client transport and connector, accepted connections, the listening port.

This module owns ``twisted.internet.tcp``'s public classes:

* ``Client`` -- the connecting side: name resolution, bind, the
  non-blocking connect (dispatched on the ``CONNECTING`` state);
* ``Connector`` -- ``connectTCP``'s connector (``connector.BaseConnector``);
* ``Server`` -- a connection accepted by a ``Port``;
* ``Port`` -- ``listenTCP``: bind, listen, the accept loop;
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
from typing import Any

from zope.interface import implementer

from plait import error, log
from plait._tcpconnection import (
    Connection,
    _address,
    _isIPv4Literal,
    _isIPv6Literal,
    _prefixOf,
)
from plait.abstract import TransportState
from plait.address import IPv4Address, IPv6Address
from plait.connector import BaseConnector
from plait.defer import Deferred
from plait.failure import Failure
from plait.interfaces import IListeningPort, ILoggingContext, IReadDescriptor
from plait.protocol import Protocol

__all__ = [
    "Client",
    "Connection",
    "Connector",
    "Port",
    "Server",
    "adoptStreamConnection",
    "adoptStreamPort",
]

_CONNECTING = TransportState.CONNECTING
_CONNECTED = TransportState.CONNECTED

# connect(2): a non-blocking connect that has not finished yet.
_CONNECT_PENDING = frozenset({errno.EINPROGRESS, errno.EALREADY, errno.EWOULDBLOCK})

# accept(2) on Linux: errors of the *new* connection (which is dropped), to
# be treated "like EAGAIN by retrying"; ECONNABORTED is the portable one.
_ACCEPT_RETRY = frozenset(
    getattr(errno, name)
    for name in (
        "ECONNABORTED", "EPROTO", "ENOPROTOOPT", "EHOSTDOWN", "ENONET",
        "EHOSTUNREACH", "EOPNOTSUPP", "ENETDOWN", "ENETUNREACH",
    )
    if hasattr(errno, name)
)
# accept(2): out of descriptors or memory -- the listener stays readable, so
# retrying at once would spin.
_ACCEPT_EXHAUSTED = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})

class Client(Connection):
    """The connecting side of a TCP connection, made by a ``Connector``.

    One attempt, dispatched on the transport's state (CONNECTING):

    1. the turn after ``connect()`` (a ``callLater(0)``): an IP literal is
       used as is, a name goes to ``reactor.resolve``;
    2. the address is known: ``connect_ex``.  On loopback the handshake is
       usually complete by the time a second ``connect_ex`` asks, and the
       protocol is built right there, from the loop; otherwise
    3. the socket becomes writable (``doWrite``, or ``doRead`` for an
       error): ``SO_ERROR`` says whether it connected.

    ``failIfNotConnected`` (timeout, ``stopConnecting``, any failure) ends
    the attempt at any point and reports ``connector.connectionFailed``.
    """

    _literal = False  # the host is an IP address: no resolution needed
    _tlsClientDefault = True  # startTLS() makes this end the TLS client

    def __init__(
        self, host: str, port: int, bindAddress: Any, connector: Any, reactor: Any
    ) -> None:
        self.connector = connector
        self.addr = (host, port)
        self.realAddress: Any = None
        # The host is parsed once, here; _resolveAddress uses the answer.
        if _isIPv6Literal(host):
            family, literal = socket.AF_INET6, True
        else:
            family, literal = socket.AF_INET, _isIPv4Literal(host)
        skt: socket.socket | None = None
        problem: Exception | None = None
        try:
            skt = socket.socket(family, socket.SOCK_STREAM)
            skt.setblocking(False)
            if bindAddress is not None:
                skt.bind(bindAddress)
        except OSError as e:
            problem = error.ConnectBindError(e.errno, e.strerror)
        super().__init__(skt, None, reactor, family)
        if literal:
            self._literal = True
        if problem is None:
            self._scheduled = reactor.callLater(0, self._resolveAddress)
        else:
            self._scheduled = reactor.callLater(0, self.failIfNotConnected, problem)

    def __repr__(self) -> str:
        return f"<{self.__class__} to {self.addr} at {id(self):x}>"

    def _resolveAddress(self) -> None:
        """The turn after ``connect()``: an IP literal is used as is, a name
        goes to the reactor's resolver."""
        self._scheduled = None
        host = self.addr[0]
        if self._literal:
            self._setRealAddress(host)
            return
        d = self.reactor.resolve(host)
        d.addCallbacks(self._setRealAddress, self._resolutionFailed)

    def _resolutionFailed(self, reason: Failure) -> None:
        self.failIfNotConnected(reason)

    def _setRealAddress(self, address: str) -> None:
        """The address is known: start the non-blocking connect."""
        if self._state is not _CONNECTING:
            return  # stopped or timed out while resolving
        assert self.socket is not None
        port = self.addr[1]
        if self._family == socket.AF_INET6:
            # AI_NUMERICHOST: no lookup, but a "%scope" suffix is resolved.
            info = socket.getaddrinfo(
                address, port, socket.AF_INET6, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST
            )
            self.realAddress = info[0][4]
        else:
            self.realAddress = (address, port)
        status = self.socket.connect_ex(self.realAddress)
        if status in _CONNECT_PENDING:
            # On loopback the handshake has usually finished inside
            # connect(2) already.  Asking again (connect(2): 0 or EISCONN
            # once connected, EALREADY while pending) costs one system call
            # and saves a trip through the selector and three more calls.
            status = self.socket.connect_ex(self.realAddress)
            if status in _CONNECT_PENDING:
                self.startWriting()
                return
        if status == 0 or status == errno.EISCONN:
            self._runAsDispatch(self._connected)
        else:
            self._connectFailed(status)

    def _doReadWhile(self, state: TransportState) -> Any:
        if state is _CONNECTING:
            return self._finishConnecting()
        return None

    def doWrite(self) -> Any:
        """Writable: the connect finished (CONNECTING) or there is room to send."""
        if self._state is _CONNECTING:
            return self._finishConnecting()
        return self._flush()

    def _finishConnecting(self) -> Any:
        assert self.socket is not None
        # connect(2): after writability, SO_ERROR tells success (0) or failure.
        status = self.socket.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if status != 0:
            self._connectFailed(status)
            return None
        self.stopWriting()
        return self._connected()

    def _connected(self) -> Any:
        """The connection is up: build the protocol and start it (from the loop)."""
        protocol = self.connector.buildProtocol(self.getPeer())
        self._setState(_CONNECTED)
        if protocol is None:
            # The factory refused: close at once, with a stand-in protocol so
            # that connectionLost has somebody to tell.
            self.protocol = Protocol()
            self.loseConnection()
            return None
        self.protocol = protocol
        self.startReading()
        return self._deliverFromLoop(protocol.makeConnection, self)

    def _buildLogPrefix(self) -> str:
        if self._state is _CONNECTING:
            return "Uninitialized"
        return f"{_prefixOf(self.protocol)},client"

    def _connectFailed(self, status: int) -> None:
        failed = OSError(status, os.strerror(status))
        self.failIfNotConnected(error.getConnectError(failed))

    def failIfNotConnected(self, err: Exception | Failure) -> None:
        """End a connect attempt that has not succeeded; no-op otherwise.

        Closes the socket, then reports ``connector.connectionFailed``.
        """
        if self._state is not _CONNECTING:
            return
        self._cancelScheduled()
        self.stopReading()
        self.stopWriting()
        self._setState(TransportState.DISCONNECTED)
        skt = self._releaseSocket()
        if skt is not None:
            skt.close()
        self.connector.connectionFailed(err if isinstance(err, Failure) else Failure(err))

    def connectionLost(self, reason: Failure) -> None:
        """A connection that never connected failed; one that did is lost."""
        if self._state is _CONNECTING:
            # The reactor is shutting down (or buildProtocol raised).
            self.failIfNotConnected(error.ConnectError(string=reason.getErrorMessage()))
            return
        if self._state is TransportState.DISCONNECTED:
            return
        super().connectionLost(reason)
        self.connector.connectionLost(reason)

    def getPeer(self) -> IPv4Address | IPv6Address:
        """The address connected to (resolved); the requested one before that."""
        if self.realAddress is None:
            return _address(self._family, self.addr)
        return _address(self._family, self.realAddress)


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
        super().__init__(skt, protocol, reactor, skt.family if family is None else family)
        self.server = server
        self.client = client
        self.sessionno = sessionno
        self._setState(_CONNECTED)
        self.startReading()

    @property
    def hostname(self) -> str:
        """The client's host (Twisted's attribute; derived, to keep each
        connection small)."""
        return self.client[0]  # type: ignore[no-any-return]

    def _buildLogPrefix(self) -> str:
        return f"{_prefixOf(self.protocol)},{self.sessionno},{self.hostname}"

    def __repr__(self) -> str:
        port = self.server._realPortNumber if self.server is not None else self.client[1]
        return f"<{self._protocolName()} #{self.sessionno} on {port}>"

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
    #: At most this many accepts per readiness event before the loop gets a turn.
    _ACCEPT_BATCH = 128
    #: Seconds to stop accepting after running out of descriptors.
    _ACCEPT_BACKOFF = 0.1
    _type = "TCP"

    def __init__(
        self, port: int, factory: Any, backlog: int = 50, interface: str = "", reactor: Any = None
    ) -> None:
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
        self._fileno = -1
        self._family = socket.AF_INET
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

    def fileno(self) -> int:
        return self._fileno

    def logPrefix(self) -> str:
        return _prefixOf(self.factory)

    # -- starting and stopping ---------------------------------------------------

    def startListening(self) -> None:
        """Bind, listen and start accepting.

        Raises ``CannotListenError`` (synchronously) if the address cannot
        be bound.
        """
        if self._state is not PortState.IDLE:
            raise RuntimeError(f"{self!r} cannot start listening while {self._state.value}")
        if self._adopted is not None:
            skt, self._adopted = self._adopted, None
        else:
            skt = self._bind()
        self._family = skt.family
        self._proto = skt.proto
        self._realPortNumber = skt.getsockname()[1]
        log.msg(f"{_prefixOf(self.factory)} starting on {self._realPortNumber}")
        self.factory.doStart()
        self.socket = skt
        self._fileno = skt.fileno()
        self._setState(PortState.LISTENING)
        self._startReading()

    def _bind(self) -> socket.socket:
        family = socket.AF_INET6 if _isIPv6Literal(self.interface) else socket.AF_INET
        skt = None
        try:
            skt = socket.socket(family, socket.SOCK_STREAM)
            # socket(7): SO_REUSEADDR lets a restarted server bind while old
            # connections on the port linger in TIME_WAIT.
            skt.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            skt.bind((self.interface, self.port))
            skt.listen(self.backlog)
            skt.setblocking(False)
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
        self._stopCall = self.reactor.callLater(0, self._finishStopping, d)
        return d

    loseConnection = stopListening

    def _finishStopping(self, d: Deferred[None]) -> None:
        self._stopCall = None
        self.connectionLost(Failure(error.ConnectionDone()))
        d.callback(None)

    def connectionLost(self, reason: Failure) -> None:
        """Close the listening socket and release the factory; once."""
        if self._state is PortState.IDLE:
            return
        self._stopReading()
        self._cancelResume()
        log.msg(f"({self._type} Port {self._realPortNumber} Closed)")
        self._setState(PortState.IDLE)
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
        try:
            skt.setblocking(False)
            protocol = self.factory.buildProtocol(_address(self._family, addr))
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
        if isinstance(port, str):
            try:
                port = socket.getservbyname(port, "tcp")
            except OSError as e:
                raise error.ServiceNameUnknownError(string=f"{e} ({port!r})") from e
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ValueError(f"port must be an integer in 0..65535 or a service name, not {port!r}")
        if bindAddress is not None and not (
            isinstance(bindAddress, tuple) and len(bindAddress) in (2, 4)
        ):
            raise TypeError(f"bindAddress must be a (host, port) tuple or None, not {bindAddress!r}")
        if reactor is None:
            from plait import reactor as globalReactor

            reactor = globalReactor
        self.host = host
        self.port = port
        self.bindAddress = bindAddress
        super().__init__(factory, timeout, reactor)

    def _makeTransport(self) -> Client:
        return Client(self.host, self.port, self.bindAddress, self, self.reactor)

    def getDestination(self) -> IPv4Address | IPv6Address:
        """The address given to ``connectTCP`` (a name stays unresolved)."""
        if _isIPv6Literal(self.host):
            return IPv6Address("TCP", self.host, self.port)
        return IPv4Address("TCP", self.host, self.port)


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
