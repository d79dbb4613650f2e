"""``Connection``: a connected stream socket under ``abstract.FileDescriptor``.

This module owns the socket I/O every TCP connection shares, whichever side
opened it: ``doRead`` (``recv`` into ``dataReceived``), ``writeSomeData``
(``send``), the half-close, socket options, addresses and closing the socket
(orderly, or with a reset for ``abortConnection``).  ``plait.tcp`` builds
``Client`` and ``Server`` on it and re-exports it as ``plait.tcp.Connection``.

Rules:

* ``_lostReason`` is the one place where an ``OSError`` from ``recv``,
  ``send`` or ``shutdown`` becomes a reason (``ConnectionLost``).
* ``doRead`` is the hot path: one ``recv``, one ``dataReceived``, then one
  ``send`` for everything the protocol wrote meanwhile (see
  ``abstract.FileDescriptor``'s theory of operation).  When that is a single
  write and nothing else changed, ``doRead`` sends it itself; anything else
  goes through ``_flush``.
* The protocol hears ``connectionLost`` exactly once, after the socket was
  closed; the transport then forgets the protocol (as Twisted does).
* An orderly close is ``shutdown(2)`` then ``close(2)``, except after the
  peer's EOF on a descriptor nobody else holds, where ``close(2)`` alone
  does the same (see ``_closeSocket``).

Tests: tests/contract/test_contract_real.py, tests/integration/test_tcp.py,
tests/integration/test_tcp_peers.py, tests/integration/test_tcp_volume.py,
tests/integration/test_tcp_paths.py (the short paths, branch by branch),
tests/integration/test_tcp_datapath.py (read sizes, gathered sends).
"""

from __future__ import annotations

import errno
import socket
import struct
from typing import Any

from zope.interface import implementer

from plait import error, log
from plait.abstract import (
    _CLEAN_CLOSE,
    _DONE,
    FileDescriptor,
    TransportState,
    _WriteSide,
)
from plait.address import IPv4Address, IPv6Address
from plait.failure import Failure
from plait.interfaces import (
    Binding,
    IHalfCloseableDescriptor,
    IHalfCloseableProtocol,
    ILoggingContext,
    ISystemHandle,
    ITLSTransport,
    _Binding,
)

__all__ = ["Connection", "makeBinding"]

_CONNECTED = TransportState.CONNECTED
#: ``socket.socket``'s C ``close`` (its Python ``close`` adds makefile() bookkeeping).
_socketClose = socket.SocketType.close
_DISCONNECTING = TransportState.DISCONNECTING
_OPEN = _WriteSide.OPEN

#: Bytes asked of one ``recv`` at first.  CPython allocates the whole buffer
#: before the call; measured here, ``recv(262144)`` of a 64-byte message
#: costs about six times ``recv(65536)`` (the larger buffer is above glibc's
#: mmap threshold).  So a connection starts with this size, and reads more
#: only while the data is there (see ``Connection._readSize``).
_READ_SIZE = 65536
#: The most a connection asks of one ``recv`` (asyncio's fixed read size):
#: one read of a stream in place of four.  Measured here, bulk echo and the
#: stream rows spent 25-30% less server CPU with it.
_MAX_READ_SIZE = 262144


def _isIPv4Literal(host: str) -> bool:
    try:
        socket.inet_pton(socket.AF_INET, host)
    except (OSError, ValueError, TypeError):
        return False
    return True


def _isIPv6Literal(host: str) -> bool:
    """True for an IPv6 literal, with or without a ``%scope`` suffix."""
    if ":" not in host:
        return False  # the common case, answered without parsing
    try:
        socket.inet_pton(socket.AF_INET6, host.split("%", 1)[0])
    except (OSError, ValueError, TypeError, AttributeError):
        return False
    return True


def _address(family: int, sockaddr: Any) -> IPv4Address | IPv6Address:
    """The plait address value for a socket address of ``family``.

    An IPv6 address with a scope id (link-local) also names its interface
    in the host, ``fe80::1%eth0``, as Twisted reports it.
    """
    if family == socket.AF_INET6:
        if len(sockaddr) == 4 and sockaddr[3] and "%" not in sockaddr[0]:
            host = socket.getnameinfo(sockaddr, socket.NI_NUMERICHOST | socket.NI_NUMERICSERV)[0]
            sockaddr = (host, *sockaddr[1:])
        return IPv6Address("TCP", *sockaddr)
    return IPv4Address("TCP", sockaddr[0], sockaddr[1])


def _lostReason(err: OSError) -> Exception:
    """The one translation of a read/write/shutdown ``OSError``: the connection
    broke (ECONNRESET, EPIPE, ETIMEDOUT...), so ``ConnectionLost``."""
    return error.ConnectionLost()


def _prefixOf(protocol: Any) -> str:
    if ILoggingContext.providedBy(protocol):
        return str(protocol.logPrefix())
    return type(protocol).__name__

def makeBinding(interface: str = "", port: int = 0, reuseAddress: bool = False,
                reusePort: bool = False) -> Binding:
    """How to bind locally: address, port, ``SO_REUSEADDR``, ``SO_REUSEPORT``.

    ``listenTCP`` accepts the result as its port and ``connectTCP`` as its
    ``bindAddress`` (Twisted 26.10's bind options).  A plain port number
    given to ``listenTCP`` means ``makeBinding(interface, port,
    reuseAddress=True)``; a ``(host, port)`` bind address means
    ``makeBinding(host, port)``.
    """
    return Binding(_Binding(interface, port, reuseAddress, reusePort))


def _applyBindOptions(skt: socket.socket, binding: _Binding) -> None:
    # socket(7): SO_REUSEADDR lets a restarted server bind while old
    # connections on the port linger in TIME_WAIT; SO_REUSEPORT lets
    # several sockets share the port.
    if binding._reuseAddress:
        skt.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    if binding._reusePort:
        skt.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)


def _sockaddr(family: int, host: str, port: int) -> Any:
    """The address to bind or connect to; an IPv6 literal's ``%scope`` becomes
    its scope id (``getaddrinfo`` with AI_NUMERICHOST: no lookup)."""
    if family == socket.AF_INET6:
        return socket.getaddrinfo(host or "::", port, family, socket.SOCK_STREAM, 0,
                                  socket.AI_NUMERICHOST)[0][4]
    return (host, port)



@implementer(ITLSTransport, ISystemHandle, IHalfCloseableDescriptor)
class Connection(FileDescriptor):
    """A TCP socket carrying bytes for one protocol.

    Lifecycle, for the protocol::

        makeConnection -> connectionMade -> dataReceived* [-> readConnectionLost]
            [-> writeConnectionLost] -> connectionLost   (exactly once)
    """

    protocol: Any

    # Per-connection values that most connections never change live on the
    # class (see ``abstract.FileDescriptor``): an instance attribute costs
    # memory in every connection (fanin keeps 1,000 of them open).
    _peerFinished: bool = False  # the peer's EOF was seen
    _hostAddress: IPv4Address | IPv6Address | None = None  # built by getHost()
    _logstr: str | None = None  # built when first needed
    _lostProtocolName: str | None = None  # set when the protocol is forgotten
    #: The descriptor may have other copies (``adoptStreamConnection``), so
    #: closing ours alone would not end the connection: always ``shutdown``.
    _sharedDescriptor: bool = False
    #: ``startTLS`` makes this end the TLS client (``tcp.Client``) or server.
    _tlsClientDefault: bool = False
    #: The TLS layer once ``startTLS`` was called (see ``plait.tls._startTLS``).
    _tlsLayer: Any = None
    #: Bytes the next ``recv`` asks for: adaptive.  A read that fills the
    #: buffer says more is waiting, so the next asks four times as much (up
    #: to ``_MAX_READ_SIZE``); a read that returns less than ``_READ_SIZE``
    #: takes it back to ``_READ_SIZE``.  A stream is read in a quarter of the
    #: calls while request/reply traffic keeps the small, cheap buffer, and
    #: a connection that never grows stores nothing (the class value).
    _readSize: int = _READ_SIZE
    #: Several buffered writes go out in one ``sendmsg`` (see
    #: ``abstract.FileDescriptor``, "gathering").
    _gathers = True

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # A subclass that sends its own way (its own writeSomeData) gets all
        # the data through it, unless it says how to gather too.
        super().__init_subclass__(**kwargs)
        if "writeSomeData" in cls.__dict__ and "_writeGathered" not in cls.__dict__:
            cls._gathers = False

    def __init__(
        self, skt: socket.socket | None, protocol: Any, reactor: Any = None, family: int | None = None
    ) -> None:
        # Twisted's signature is (skt, protocol, reactor=None); plait's
        # transports pass the family too, which saves a property read.
        if family is None:
            family = socket.AF_INET if skt is None else skt.family
        # Base classes are called by name on the connection paths, not
        # through super(): in CPython 3.11 super() builds an object and
        # searches the MRO at every call (about 0.25 us, measured here),
        # and transports are single inheritance.
        FileDescriptor.__init__(self, reactor)
        self.socket = skt
        self.protocol = protocol
        # Cached: ``socket.family`` is a Python-level property, slow on the
        # accept and connect paths.
        self._family = family
        # Not cached: the bound methods ``skt.recv``/``skt.send`` would cost
        # 72 bytes each per connection, and save nothing: measured here,
        # ``self.socket.recv(...)`` is as fast (CPython 3.11 specialises the
        # method call).
        self._fileno = -1 if skt is None else skt.fileno()

    def fileno(self) -> int:
        """The socket's descriptor, or -1 once closed."""
        return self._fileno

    @property
    def logstr(self) -> str:
        """The log prefix (Twisted's attribute), built when first needed:
        most connections never log anything."""
        if self._logstr is None:
            prefix = self._buildLogPrefix()
            if self._state is TransportState.CONNECTING:
                return prefix  # not cached: it changes once connected
            self._logstr = prefix
        return self._logstr

    @logstr.setter
    def logstr(self, value: str) -> None:
        self._logstr = value

    def _buildLogPrefix(self) -> str:
        return "Uninitialized"

    def _protocolPrefix(self) -> str:
        """The protocol's log prefix, also once the protocol is forgotten
        (``connectionLost`` logs after that)."""
        protocol = self.__dict__.get("protocol")
        if protocol is None:
            return self._protocolName()
        return _prefixOf(protocol)

    def _protocolName(self) -> str:
        """The protocol's class name, also once the protocol is forgotten."""
        if self._lostProtocolName is not None:
            return self._lostProtocolName
        return type(self.protocol).__name__

    def getHandle(self) -> socket.socket | None:
        """The ``socket.socket`` (``None`` once closed)."""
        return self.socket

    # -- TLS (ITLSTransport) -----------------------------------------------------

    def startTLS(self, contextFactory: Any, normal: bool = True) -> None:
        """Switch this connection to TLS: what was written before goes out in
        clear, in order, and everything after is encrypted.

        A ``tcp.Client`` becomes the TLS client, a ``tcp.Server`` the TLS
        server (``normal=False`` swaps them).  ``plait.tls._startTLS`` says
        how the switch costs nothing to connections that never make it.
        Raises ``RuntimeError`` if called twice or on a closed connection.
        """
        from plait.tls import _startTLS

        _startTLS(self, contextFactory, self._tlsClientDefault if normal else not self._tlsClientDefault)

    def getPeerCertificate(self) -> Any:
        """After ``startTLS``: the peer's certificate (None before the handshake)."""
        if self._tlsLayer is None:
            raise RuntimeError(f"{self!r} is not a TLS connection: call startTLS() first")
        return self._tlsLayer.getPeerCertificate()

    @property
    def negotiatedProtocol(self) -> bytes | None:
        """After ``startTLS``: the ALPN protocol agreed on, or None."""
        return None if self._tlsLayer is None else self._tlsLayer.negotiatedProtocol

    @property
    def TLS(self) -> bool:
        """Twisted's flag: True once ``startTLS`` was called on this connection."""
        return self._tlsLayer is not None

    # -- reading ---------------------------------------------------------------

    def doRead(self) -> Any:
        """Read once and hand the bytes to the protocol; the hot path."""
        if self._state is not _CONNECTED:
            return self._doReadWhile(self._state)
        size = self._readSize
        try:
            data = self.socket.recv(size)  # type: ignore[union-attr]  # CONNECTED: open
        except BlockingIOError:
            return None  # readiness was stale, e.g. another read took the bytes
        except OSError as e:
            return _lostReason(e)
        if not data:
            return self._peerClosedWriting()
        if len(data) == size:
            if size < _MAX_READ_SIZE:
                self._readSize = size * 4  # more is waiting: read more next time
        elif size != _READ_SIZE and len(data) < _READ_SIZE:
            self._readSize = _READ_SIZE  # the burst is over
        if self._flushPending:
            # Somebody is already committed to flushing (a full socket, a
            # scheduled flush): they send what dataReceived writes.
            self.protocol.dataReceived(data)
            return None
        # _flushPending was false, so the buffer is empty and we are not
        # registered for writing (abstract's invariant): what is buffered
        # after dataReceived is exactly what it wrote.
        self._flushPending = True
        self.protocol.dataReceived(data)
        self._flushPending = False
        # Fast paths: no producer, no half-close (the common case), and
        # the protocol wrote nothing (a sink) or once (pingpong, fanin, any
        # request/reply), or it closed with nothing left to send.  Settled
        # here, rather than in _flush -> writeSomeData or _bufferEmptied:
        # two Python calls fewer per message, and per connection.
        if self.producer is None and self._writeSide is _OPEN:
            buffer = self._buffer
            state = self._state
            if state is _CONNECTED:
                if not buffer:
                    return None
                chunk = buffer[0]
                if len(buffer) == 1:  # sent whole: the kernel takes what fits
                    try:
                        sent = self.socket.send(chunk)  # type: ignore[union-attr]
                    except OSError:
                        # Full, transient or broken: _flush sends again, and
                        # writeSomeData sorts out which (rare; one more call).
                        return self._flush()
                    if sent == len(chunk):
                        buffer.clear()
                        self._bufferedBytes = 0
                        return None
                    self._offset = sent  # the rest goes the general way
                    self._bufferedBytes -= sent
            elif state is _DISCONNECTING and not buffer and not self._aborted:
                # loseConnection() in dataReceived, everything sent: the
                # requested close happens now, as _bufferEmptied would say.
                return _DONE
        return self._flush()

    def _doReadWhile(self, state: TransportState) -> Any:
        """``doRead`` outside CONNECTED: a stale readiness event, ignored."""
        return None

    def _peerClosedWriting(self) -> Any:
        """EOF: half-close for an ``IHalfCloseableProtocol``, else the end."""
        self._peerFinished = True
        if IHalfCloseableProtocol.providedBy(self.protocol):
            return self.readConnectionLost(_CLEAN_CLOSE)
        return _DONE

    def readConnectionLost(self, reason: Failure) -> Any:
        """The peer will send nothing more; the protocol may still write."""
        self._peerFinished = True
        self.stopReading()
        return self._deliverFromLoop(self.protocol.readConnectionLost)

    def _wantsToRead(self) -> bool:
        return not self._readPaused and not self._peerFinished

    # -- writing -----------------------------------------------------------------

    def writeSomeData(self, data: bytes | memoryview) -> Any:
        """``send`` once; the count sent, 0 if the socket is full, or ``ConnectionLost``."""
        try:
            return self.socket.send(data)  # type: ignore[union-attr]  # flushed only while open
        except BlockingIOError:
            return 0
        except OSError as e:
            if e.errno == errno.ENOBUFS:  # send(2): transient, retry later
                return 0
            return _lostReason(e)

    def _writeGathered(self, parts: list[bytes | memoryview]) -> Any:
        """``sendmsg`` of several buffered writes at once: as ``writeSomeData``."""
        try:
            return self.socket.sendmsg(parts)  # type: ignore[union-attr]  # flushed only while open
        except BlockingIOError:
            return 0
        except OSError as e:
            if e.errno == errno.ENOBUFS:  # send(2): transient, retry later
                return 0
            return _lostReason(e)

    def _closeWriteSide(self) -> Exception | None:
        assert self.socket is not None
        try:
            self.socket.shutdown(socket.SHUT_WR)
        except OSError as e:
            return _lostReason(e)
        self.writeConnectionLost(Failure(error.ConnectionDone()))
        return None

    def writeConnectionLost(self, reason: Failure) -> None:
        """Our sending half is shut: tell an ``IHalfCloseableProtocol``."""
        protocol = self.protocol
        if IHalfCloseableProtocol.providedBy(protocol):
            protocol.writeConnectionLost()

    # -- closing -----------------------------------------------------------------

    def connectionLost(self, reason: Failure) -> None:
        """Close the socket and tell the protocol; exactly once."""
        if self._state is TransportState.DISCONNECTED:
            return
        FileDescriptor.connectionLost(self, reason)  # by name: see __init__
        self._closeSocket(not self._aborted)
        protocol = self.protocol
        # Like Twisted, forget the protocol so neither keeps the other alive
        # (its name stays, for __repr__).
        self._lostProtocolName = type(protocol).__name__
        del self.protocol
        protocol.connectionLost(reason)

    def _releaseSocket(self) -> socket.socket | None:
        """Forget the socket; return it (``None`` if already forgotten)."""
        skt, self.socket = self.socket, None
        self._fileno = -1
        return skt

    def _closeSocket(self, orderly: bool) -> None:
        """Close the socket: with a FIN after the queued data (``orderly``)
        or with a reset (``abortConnection``)."""
        skt = self.socket  # _releaseSocket(), inlined (every connection)
        if skt is None:
            return
        self.socket = None
        self._fileno = -1
        try:
            if not orderly:
                # socket(7) SO_LINGER: a zero linger time makes close(2)
                # discard unsent data and send RST.
                skt.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            elif self._sharedDescriptor or not self._peerFinished:
                # shutdown(2) first: it ends the connection even when the
                # descriptor was duplicated (an adopted fd, a fork), where
                # close(2) alone would wait for the last copy; and it sends
                # our FIN even if unread data makes close(2) reset the
                # connection (tcp(7)), so the peer reads EOF, not ECONNRESET.
                skt.shutdown(socket.SHUT_RDWR)
            # Why no shutdown once the peer's EOF was read: nothing can be
            # left unread, and the descriptor is ours alone, so close(2)
            # sends the FIN after the queued data just the same.  One system
            # call fewer for every connection that the peer ends.  (A copy
            # made behind our back -- os.fork() without exec -- would delay
            # that FIN until it is closed too.)
        except OSError:
            pass  # already reset by the peer; closing is all that is left
        if skt.__class__ is socket.socket and skt._io_refs <= 0:  # type: ignore[attr-defined]
            # What skt.close() does, without its two Python-level calls: no
            # makefile() object shares the descriptor, so close(2) it now.
            skt._closed = True  # type: ignore[attr-defined]
            _socketClose(skt)
        else:
            skt.close()

    # -- addresses and options ---------------------------------------------------

    def getHost(self) -> IPv4Address | IPv6Address:
        """Our end of the connection (``getsockname``)."""
        if self._hostAddress is None:
            if self.socket is None:
                raise RuntimeError(f"{self!r} has no socket: getHost() before connecting")
            self._hostAddress = _address(self._family, self.socket.getsockname())
        return self._hostAddress

    def getPeer(self) -> IPv4Address | IPv6Address:
        """The other end of the connection."""
        raise NotImplementedError

    def _option(self, level: int, name: int) -> bool:
        if self.socket is None:
            return False
        return bool(self.socket.getsockopt(level, name))

    def _setOption(self, level: int, name: int, enabled: bool) -> None:
        if self.socket is None:
            return
        try:
            self.socket.setsockopt(level, name, int(bool(enabled)))
        except OSError:
            log.err(Failure(), f"Could not set socket option {name}", system=self.logstr)

    def getTcpNoDelay(self) -> bool:
        """Whether Nagle's algorithm is off (``TCP_NODELAY``)."""
        return self._option(socket.IPPROTO_TCP, socket.TCP_NODELAY)

    def setTcpNoDelay(self, enabled: bool) -> None:
        """Turn Nagle's algorithm off (True) or on; failures are logged."""
        self._setOption(socket.IPPROTO_TCP, socket.TCP_NODELAY, enabled)

    def getTcpKeepAlive(self) -> bool:
        """Whether TCP keepalive probes are on (``SO_KEEPALIVE``)."""
        return self._option(socket.SOL_SOCKET, socket.SO_KEEPALIVE)

    def setTcpKeepAlive(self, enabled: bool) -> None:
        """Turn TCP keepalive probes on or off; failures are logged."""
        self._setOption(socket.SOL_SOCKET, socket.SO_KEEPALIVE, enabled)
