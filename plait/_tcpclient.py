"""``BaseClient`` and ``Client``: the connecting side of a stream connection.

``BaseClient`` (Twisted's ``tcp.BaseClient``) is the connect attempt every
connecting stream transport shares, whatever its address family: the
CONNECTING state, the timeout and ``stopConnecting`` through
``failIfNotConnected``, building the protocol once connected, and the
report to the connector.  ``Client`` adds what is TCP's: host parsing, name
resolution, binding, ``getPeer``.  ``plait.unix.Client`` is the other
subclass.  Both are re-exported by ``plait.tcp``, which owns the connector
that makes TCP clients, the accepted connections and the listening port;
the socket I/O is ``plait._tcpconnection.Connection``'s.

Rules: connect errors become exceptions in one place,
``error.getConnectError`` (called from ``_connectFailed``); no outcome is
reported from inside a user's call: the attempt starts on the reactor
iteration after ``connector.connect()``, so every outcome, including a
bind error, is reported from the loop.

Tests: tests/integration/test_tcp.py, tests/integration/test_tcp_paths.py,
tests/integration/test_tcp_ipv6.py, tests/contract/test_contract_real.py.
"""

from __future__ import annotations

import errno
import os
import socket
from typing import Any

from plait import error, log
from plait._tcpconnection import (
    Connection,
    _applyBindOptions,
    _isIPv4Literal,
    _isIPv6Literal,
    _sockaddr,
    makeBinding,
)
from plait.abstract import FileDescriptor, TransportState, _WriteSide
from plait.address import IPv4Address, IPv6Address
from plait.failure import Failure
from plait.interfaces import _Binding
from plait.logger import _dispatchContext
from plait.protocol import Protocol

__all__ = ["BaseClient", "Client"]

_CONNECTING = TransportState.CONNECTING
_CONNECTED = TransportState.CONNECTED
_CLOSED = _WriteSide.CLOSED

#: socket(2)'s flag for a non-blocking socket, where the platform has it.
_SOCK_NONBLOCK: int = getattr(socket, "SOCK_NONBLOCK", 0)

_AF_INET6 = socket.AF_INET6
_EISCONN = errno.EISCONN

# connect(2): a non-blocking connect that has not finished yet.
_CONNECT_PENDING = frozenset({errno.EINPROGRESS, errno.EALREADY, errno.EWOULDBLOCK})

#: IPv4 peer addresses by ``(host, port)``, shared by the connections to
#: them: a client usually connects to a few servers, many times, and an
#: address is an immutable value (building one costs about as much as the
#: rest of ``getPeer`` ten times over).  At most ``_PEERS_KEPT``.
_ipv4Peers: dict[tuple[str, int], IPv4Address] = {}
_PEERS_KEPT = 64
#: What ``Client`` found each host string to be: (family, IP literal?).
#: The same reasoning, and bound, as ``_ipv4Peers``.
_hostKinds: dict[str, tuple[int, bool]] = {}

#: Per class: whether its log prefix is "Uninitialized" while connecting
#: (``logPrefix``, ``logstr`` and ``_buildLogPrefix`` are ``BaseClient``'s).
_plainPrefix: dict[type, bool] = {}


def _hasPlainPrefix(cls: type) -> bool:
    return (
        cls.logPrefix is FileDescriptor.logPrefix  # type: ignore[attr-defined]
        and cls.logstr is Connection.logstr  # type: ignore[attr-defined]
        and cls._buildLogPrefix is BaseClient._buildLogPrefix  # type: ignore[attr-defined]
    )


class BaseClient(Connection):
    """The connect attempt of a client stream transport (any address family).

    A subclass's ``__init__`` creates the socket (or finds the problem that
    prevents it) and calls ``_finishInit``, which schedules the first step,
    ``_resolveAddress``, for the next reactor turn; a subclass defines that
    step and ``getPeer``, and calls ``_startWaiting()`` whenever the connect
    has to wait (that arms the connector's timeout, see ``plait.connector``).  From then on, dispatched on the transport's state
    (CONNECTING): ``_connected()`` once the socket is connected (called
    from the loop), ``_connectFailed(errno)`` or ``failIfNotConnected(reason)``
    when it cannot be.  ``failIfNotConnected`` (timeout, ``stopConnecting``,
    any failure) ends the attempt at any point and reports
    ``connector.connectionFailed``.
    """

    _tlsClientDefault = True  # startTLS() makes this end the TLS client
    socketType = socket.SOCK_STREAM
    connector: Any
    addr: Any
    realAddress: Any = None

    def _finishInit(
        self, skt: socket.socket | None, problem: Exception | None, reactor: Any, family: int
    ) -> None:
        """Become a transport on ``skt`` and schedule the first step (Twisted's name).

        With a ``problem`` (the socket could not be made or bound), the
        attempt fails on the next turn instead, from the loop.
        """
        Connection.__init__(self, skt, None, reactor, family)
        if problem is None:
            self._scheduled = self.reactor.callLater(0, self._firstStep)
        else:
            self._scheduled = self.reactor.callLater(0, self.failIfNotConnected, problem)

    def _firstStep(self) -> None:
        """The turn after ``connect()``: start, unless the timeout has expired."""
        self._scheduled = None
        # The connector's timeout may only be noted, not armed (connector's
        # "Discussion: the lazy timeout"): a deadline that passed while the
        # loop was busy fails the attempt here, as Twisted's due timer would.
        connector = self.connector
        if getattr(connector, "_deadline", None) is not None and connector._deadlinePassed():
            return
        self._resolveAddress()

    def _startWaiting(self) -> None:
        """The connect has to wait (a resolver, the handshake, a full
        backlog): only now does the connector's timeout need its timer."""
        connector = self.connector
        if getattr(connector, "_deadline", None) is not None:
            connector._armTimeout()

    def __repr__(self) -> str:
        return f"<{self.__class__} to {self.addr} at {id(self):x}>"

    @property
    def addressFamily(self) -> int:
        """The socket's address family (``AF_INET``, ``AF_INET6``, ``AF_UNIX``)."""
        return self._family

    def createInternetSocket(self) -> socket.socket:
        """A new non-blocking socket of ``addressFamily`` (Twisted's hook)."""
        if _SOCK_NONBLOCK:
            # Linux: non-blocking from birth (socket(2)), which saves the
            # ioctl() that setblocking() makes, on every connection.
            return socket.socket(self._family, self.socketType | _SOCK_NONBLOCK)
        skt = socket.socket(self._family, self.socketType)
        skt.setblocking(False)
        return skt

    def resolveAddress(self) -> None:
        """Start the attempt (Twisted's name; the connector calls it)."""
        self._resolveAddress()

    def _resolveAddress(self) -> None:
        """The turn after ``connect()``: find the address and connect (subclass hook)."""
        raise NotImplementedError(f"{type(self).__name__} must implement _resolveAddress")

    def doConnect(self) -> Any:
        """Twisted's connect step: once the address is known, connect or see
        whether the pending connect finished.  Returns what ``doWrite`` would."""
        if self._state is not _CONNECTING or self.realAddress is None:
            return None  # not resolved yet: the connect has not started
        assert self.socket is not None
        status = self.socket.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        if not status:
            status = self.socket.connect_ex(self.realAddress)
        if status in _CONNECT_PENDING:
            self._startWaiting()
            self.startWriting()
            return None
        if status == 0 or status == errno.EISCONN:
            self.stopWriting()
            previous = _dispatchContext[0]  # _connected sets the log context
            try:
                return self._connected()
            finally:
                _dispatchContext[0] = previous
        self._connectFailed(status)
        return None

    def stopConnecting(self) -> None:
        """Abandon the attempt: ``clientConnectionFailed(UserError)``."""
        self.failIfNotConnected(error.UserError())

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
        # Twisted computes the log context when the dispatch starts, while
        # the transport still says "Uninitialized": what connectionMade
        # logs carries that, so plait's does too.  (Known without the three
        # calls that compute it for a class that does not change them.)
        cls = self.__class__
        plain = _plainPrefix.get(cls)
        if plain is None:
            plain = _plainPrefix[cls] = _hasPlainPrefix(cls)
        _dispatchContext[0] = (
            "Uninitialized" if plain and self._logstr is None else self.logPrefix()
        )
        protocol = self.connector.buildProtocol(self.getPeer())
        if self._state is not _CONNECTING:
            self._setState(_CONNECTED)  # illegal: raises
        self._state = _CONNECTED  # _setState, settled for CONNECTING
        self._acceptingWrites = self._writeSide is not _CLOSED and not self._aborted
        if protocol is None:
            # The factory refused: close at once, with a stand-in protocol so
            # that connectionLost has somebody to tell.
            self.protocol = Protocol()
            self.loseConnection()
            return None
        self.protocol = protocol
        if not self._reading:  # startReading(), inlined: every connection comes here
            self._reading = True
            self.reactor.addReader(self)
        self._flushPending = True
        protocol.makeConnection(self)
        if self._closeRequested and not self._aborted:
            # connectionMade closed at once.  Finish on writability, one
            # poll later, as Twisted does: on loopback the connect completed
            # inside connect(2) and the server has not accepted yet; a close
            # finished right here could end the program (a reactor.stop() in
            # clientConnectionLost) before the server side ever sees it.
            self.startWriting()
            return None
        self._flushPending = False
        return self._flush()

    def _buildLogPrefix(self) -> str:
        if self._state is _CONNECTING:
            return "Uninitialized"
        return f"{self._protocolPrefix()},client"

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
        Connection.connectionLost(self, reason)  # by name, see Connection.__init__
        self.connector.connectionLost(reason)


class Client(BaseClient):
    """The connecting side of a TCP connection, made by a ``Connector``.

    One attempt (``BaseClient`` has the state machine):

    1. the turn after ``connect()`` (a ``callLater(0)``): an IP literal is
       used as is, a name goes to ``reactor.resolve``;
    2. the address is known: ``connect_ex``.  On loopback the handshake is
       usually complete by the time a second ``connect_ex`` asks, and the
       protocol is built right there, from the loop; otherwise
    3. the socket becomes writable (``doWrite``, or ``doRead`` for an
       error): ``SO_ERROR`` says whether it connected.
    """

    _literal = False  # the host is an IP address: no resolution needed

    def __init__(
        self, host: str, port: int, bindAddress: Any, connector: Any, reactor: Any = None
    ) -> None:
        self.connector = connector
        self.addr = (host, port)
        # The host is parsed once, here; _resolveAddress uses the answer.
        kind = _hostKinds.get(host)
        if kind is None:
            if _isIPv6Literal(host):
                kind = (socket.AF_INET6, True)
            else:
                kind = (socket.AF_INET, _isIPv4Literal(host))
            if len(_hostKinds) >= _PEERS_KEPT:
                _hostKinds.clear()
            _hostKinds[host] = kind
        family, literal = kind
        self._family = family  # for createInternetSocket, before Connection's __init__
        skt: socket.socket | None = None
        problem: Exception | None = None
        try:
            skt = self.createInternetSocket()
            if bindAddress is not None:
                self._bind(skt, bindAddress)
        except OSError as e:
            if skt is not None:
                skt.close()
                skt = None
            problem = error.ConnectBindError(e.errno, e.strerror)
        if literal:
            self._literal = True
        self._finishInit(skt, problem, reactor, family)

    def _bind(self, skt: socket.socket, bindAddress: Any) -> None:
        """Bind as ``bindAddress`` says: a ``Binding``, ``(host, port)`` or an
        IPv6 ``(host, port, flowinfo, scopeid)``."""
        if isinstance(bindAddress, tuple) and len(bindAddress) == 4:
            skt.bind(bindAddress)
            return
        binding = bindAddress if isinstance(bindAddress, _Binding) else makeBinding(*bindAddress)
        _applyBindOptions(skt, binding)
        skt.bind(_sockaddr(self._family, binding._address or "", binding._port))

    def _resolveAddress(self) -> None:
        """The turn after ``connect()``: an IP literal is used as is, a name
        goes to the reactor's resolver."""
        host = self.addr[0]
        if self._literal:
            self._setRealAddress(host)
            return
        self._startWaiting()
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
        if self._family == _AF_INET6:
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
                self._startWaiting()
                self.startWriting()
                return
        if status == 0 or status == _EISCONN:
            # _runAsDispatch(self._connected), inlined (once per connection).
            context = _dispatchContext
            previous = context[0]
            try:
                reason = self._connected()
            except Exception:  # noqa: BLE001 -- the loop's boundary: log, then close
                reason = Failure()
                log.err(reason, "Unhandled Error", system=self.logPrefix())
            if reason is not None:
                self._closeFromLoop(reason)
            context[0] = previous
        else:
            self._connectFailed(status)

    def getPeer(self) -> IPv4Address | IPv6Address:
        """The address connected to (resolved); the requested one before that.

        An IPv6 scope id is reported in ``scopeID`` (the host stays as
        resolved, as Twisted's client reports it).
        """
        address = self.addr if self.realAddress is None else self.realAddress
        if self._family == socket.AF_INET6:
            return IPv6Address("TCP", *address)
        peer = _ipv4Peers.get(address)
        if peer is None:
            if len(_ipv4Peers) >= _PEERS_KEPT:
                _ipv4Peers.clear()
            peer = _ipv4Peers[address] = IPv4Address("TCP", address[0], address[1])
        return peer
