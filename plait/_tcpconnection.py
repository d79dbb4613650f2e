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
  ``abstract.FileDescriptor``'s theory of operation).
* The protocol hears ``connectionLost`` exactly once, after the socket was
  closed; the transport then forgets the protocol (as Twisted does).

Tests: tests/contract/test_contract_real.py, tests/integration/test_tcp.py,
tests/integration/test_tcp_peers.py, tests/integration/test_tcp_volume.py.
"""

from __future__ import annotations

import errno
import socket
import struct
from typing import Any

from zope.interface import implementer

from plait import error, log
from plait.abstract import FileDescriptor, TransportState
from plait.address import IPv4Address, IPv6Address
from plait.failure import Failure
from plait.interfaces import (
    IHalfCloseableDescriptor,
    IHalfCloseableProtocol,
    ILoggingContext,
    ISystemHandle,
    ITCPTransport,
)

__all__ = ["Connection"]

_CONNECTED = TransportState.CONNECTED

#: Bytes asked of one ``recv``.  CPython allocates the whole buffer before
#: the call; measured here, ``recv(262144)`` of a 64-byte message costs about
#: six times ``recv(65536)`` (the larger buffer is above glibc's mmap
#: threshold).
_READ_SIZE = 65536


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
    """The plait address value for a socket address of ``family``."""
    if family == socket.AF_INET6:
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

@implementer(ITCPTransport, ISystemHandle, IHalfCloseableDescriptor)
class Connection(FileDescriptor):
    """A TCP socket carrying bytes for one protocol.

    Lifecycle, for the protocol::

        makeConnection -> connectionMade -> dataReceived* [-> readConnectionLost]
            [-> writeConnectionLost] -> connectionLost   (exactly once)
    """

    protocol: Any

    def __init__(
        self, skt: socket.socket | None, protocol: Any, reactor: Any, family: int
    ) -> None:
        super().__init__(reactor)
        self.socket = skt
        self.protocol = protocol
        # Cached: ``socket.family`` is a Python-level property, slow on the
        # accept and connect paths.
        self._family = family
        self._peerFinished = False  # the peer's EOF was seen (half-close)
        self._hostAddress: IPv4Address | IPv6Address | None = None
        self._logstr: str | None = None
        if skt is None:
            self._fileno = -1
        else:
            self._fileno = skt.fileno()
            self._recv = skt.recv
            self._send = skt.send

    def fileno(self) -> int:
        """The socket's descriptor, or -1 once closed."""
        return self._fileno

    @property
    def logstr(self) -> str:
        """The log prefix (Twisted's attribute), built when first needed:
        most connections never log anything."""
        if self._logstr is None:
            self._logstr = self._buildLogPrefix()
        return self._logstr

    @logstr.setter
    def logstr(self, value: str) -> None:
        self._logstr = value

    def _buildLogPrefix(self) -> str:
        return "Uninitialized"

    def getHandle(self) -> socket.socket | None:
        """The ``socket.socket`` (``None`` once closed)."""
        return self.socket

    # -- reading ---------------------------------------------------------------

    def doRead(self) -> Any:
        """Read once and hand the bytes to the protocol; the hot path."""
        if self._state is not _CONNECTED:
            return self._doReadWhile(self._state)
        try:
            data = self._recv(_READ_SIZE)
        except BlockingIOError:
            return None  # readiness was stale, e.g. another read took the bytes
        except OSError as e:
            return _lostReason(e)
        if not data:
            return self._peerClosedWriting()
        # Writes made by dataReceived go out in one send, right after it.
        if self._flushPending:
            self.protocol.dataReceived(data)
            return None
        self._flushPending = True
        self.protocol.dataReceived(data)
        self._flushPending = False
        return self._flush()

    def _doReadWhile(self, state: TransportState) -> Any:
        """``doRead`` outside CONNECTED: a stale readiness event, ignored."""
        return None

    def _peerClosedWriting(self) -> Any:
        """EOF: half-close for an ``IHalfCloseableProtocol``, else the end."""
        if IHalfCloseableProtocol.providedBy(self.protocol):
            return self.readConnectionLost(Failure(error.ConnectionDone()))
        return error.ConnectionDone()

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
            return self._send(data)
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
        super().connectionLost(reason)
        self._closeSocket(orderly=not self._aborted)
        protocol = self.protocol
        # Like Twisted, forget the protocol so neither keeps the other alive.
        del self.protocol
        protocol.connectionLost(reason)

    def _releaseSocket(self) -> socket.socket | None:
        """Forget the socket (and the bound methods that keep it alive)."""
        skt, self.socket = self.socket, None
        self._fileno = -1
        self.__dict__.pop("_recv", None)
        self.__dict__.pop("_send", None)
        return skt

    def _closeSocket(self, orderly: bool) -> None:
        skt = self._releaseSocket()
        if skt is None:
            return
        try:
            if orderly:
                # shutdown(2) ends the connection even when the descriptor
                # was duplicated (a fork, an adopted fd); close(2) alone
                # would wait for the last copy.
                skt.shutdown(socket.SHUT_RDWR)
            else:
                # socket(7) SO_LINGER: a zero linger time makes close(2)
                # discard unsent data and send RST.
                skt.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass  # already reset by the peer; closing is all that is left
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
