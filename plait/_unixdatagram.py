"""UNIX datagram sockets: ``listenUNIXDatagram`` and ``connectUNIXDatagram``.

Part of ``plait.unix`` (which re-exports both classes): ``DatagramPort``
is ``udp.Port`` with a path instead of an address and port;
``ConnectedDatagramPort`` is a ``DatagramPort`` connected to one peer, for a
``ConnectedDatagramProtocol`` (``datagramReceived(datagram)``, one argument).

Rules:

* Reading, the batch, dropping datagrams longer than ``maxPacketSize`` and
  stopping are ``udp.Port``'s.  A datagram's address is the sender's name
  (``None`` for an unnamed sender socket).
* ``write`` raises ``MessageLengthError`` for a datagram too long for the
  socket; one the peer has no room for (``EAGAIN``) is dropped, as in
  Twisted.
* The socket file (when the name is a path) gets ``mode`` and is removed
  when the port stops, if it is still the file the port bound.
* ``ConnectedDatagramPort``: if binding or connecting fails, the protocol
  hears ``connectionFailed(reason)`` on the next reactor turn (Twisted calls
  it from inside ``connectUNIXDatagram``) and is never started.

Tests: tests/integration/test_unix_datagram.py,
tests/integration/test_unix_udp_peers.py (socat).
"""

from __future__ import annotations

import errno
import os
import socket
from typing import Any

from zope.interface import implementer, implementer_only

from plait import error, log
from plait.address import UNIXAddress
from plait.failure import Failure
from plait.interfaces import (
    IListeningPort,
    ILoggingContext,
    IReadDescriptor,
    ISystemHandle,
    IUNIXDatagramConnectedTransport,
    IUNIXDatagramTransport,
)
from plait.udp import Port as _UDPPort
from plait.udp import PortState

__all__ = ["ConnectedDatagramPort", "DatagramPort"]


def _pathOf(address: Any) -> bytes:
    path = UNIXAddress(address).name
    if path is None:
        raise TypeError("connectUNIXDatagram needs an address to connect to, not None")
    return path


def _qualified(cls: type) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


@implementer(IUNIXDatagramTransport)
class DatagramPort(_UDPPort):
    """A UNIX datagram socket bound to ``addr`` (a path, an abstract name, or
    ``None`` for an unnamed socket), serving a ``DatagramProtocol``.

    Log lines (Twisted's): ``"<protocol class> starting on '<path>'"`` and
    ``"(Port '<path>' Closed)"``.
    """

    addressFamily = socket.AF_UNIX
    _madeFile: tuple[int, int] | None = None

    def __init__(
        self, addr: Any, proto: Any, maxPacketSize: int = 8192, mode: int = 0o666,
        reactor: Any = None,
    ) -> None:
        if addr is not None and not isinstance(addr, (str, bytes, os.PathLike)):
            raise TypeError(f"a UNIX datagram address must be a path or None, not {addr!r}")
        super().__init__(None, proto, maxPacketSize=maxPacketSize, reactor=reactor)
        self.port = addr  # Twisted's: the path, as given
        self.mode = mode

    def __repr__(self) -> str:
        name = _qualified(self.protocol.__class__)
        if self.socket is not None:
            return f"<{name} on {self.port!r}>"
        return f"<{name} (not listening)>"

    def _setAddressFamily(self) -> None:
        pass  # always AF_UNIX

    def setLogStr(self) -> None:
        """``logstr`` is ``"<protocol class, qualified> (UDP)"`` (Twisted's)."""
        self.logstr = f"{_qualified(self.protocol.__class__)} (UDP)"

    def _bindSocket(self) -> None:
        log.msg(f"{self.protocol.__class__} starting on {self.port!r}")
        path = None if self.port is None else UNIXAddress(self.port).name
        skt = None
        try:
            skt = self.createInternetSocket()
            if path:
                skt.bind(path)
                if path[:1] != b"\0":
                    status = os.stat(path)
                    self._madeFile = (status.st_dev, status.st_ino)
                    os.chmod(path, self.mode)
        except (OSError, ValueError) as e:
            if skt is not None:
                skt.close()
            self._removeFile()
            raise error.CannotListenError(None, self.port, e) from e
        self._realPortNumber = self.port
        self._listenOn(skt)

    def _removeFile(self) -> None:
        made, self._madeFile = self._madeFile, None
        if made is None:
            return
        path = UNIXAddress(self.port).name
        assert path is not None
        try:
            status = os.stat(path)
            if (status.st_dev, status.st_ino) == made:
                os.remove(path)
        except OSError:
            pass

    def _logClosed(self) -> None:
        log.msg(f"(Port {self.port!r} Closed)")

    def _abandon(self) -> None:
        self._removeFile()
        super()._abandon()

    def connectionLost(self, reason: Failure | None = None) -> None:
        """Close the socket, stop the protocol, remove the socket file; once."""
        if self.socket is not None:
            self._removeFile()
        super().connectionLost(reason)

    def write(self, datagram: bytes, address: Any = None) -> Any:
        """Send ``datagram`` to the socket named ``address``.

        ``MessageLengthError`` if it is too long; dropped if the receiver's
        queue is full; any other error (no such socket: ``FileNotFoundError``,
        ``ConnectionRefusedError``) is raised, as in Twisted.
        """
        try:
            return self.socket.sendto(datagram, address)  # type: ignore[union-attr]
        except OSError as e:
            if e.errno == errno.EMSGSIZE:
                raise error.MessageLengthError(f"message too long ({len(datagram)} bytes)") from e
            if e.errno in (errno.EAGAIN, errno.ENOBUFS):
                return None  # the receiver's queue is full: dropped, as in Twisted
            raise  # no such socket, refused...: the caller's to handle (Twisted's too)
        except (TypeError, AttributeError):
            self._explainBadWrite(datagram)
            raise

    def connect(self, host: str, port: int) -> None:
        """Not for UNIX datagram ports: use ``connectUNIXDatagram``."""
        raise RuntimeError("a UNIX datagram port cannot connect(): use reactor.connectUNIXDatagram")

    def getHost(self) -> UNIXAddress:  # type: ignore[override]
        """The socket's name (``UNIXAddress(None)`` for an unnamed one)."""
        if self.socket is None:
            raise RuntimeError(f"{self!r} is not listening")
        return UNIXAddress(self.socket.getsockname() or None)


@implementer_only(
    IUNIXDatagramConnectedTransport, IListeningPort, IReadDescriptor, ISystemHandle,
    ILoggingContext,
)
class ConnectedDatagramPort(DatagramPort):
    """A UNIX datagram socket connected to ``addr``, for a ``ConnectedDatagramProtocol``.

    ``bindAddress`` names our own socket (so the peer can answer); ``None``
    leaves it unnamed.
    """

    def __init__(
        self, addr: Any, proto: Any, maxPacketSize: int = 8192, mode: int = 0o666,
        bindAddress: Any = None, reactor: Any = None,
    ) -> None:
        from plait.protocol import ConnectedDatagramProtocol

        if not isinstance(proto, ConnectedDatagramProtocol):
            raise TypeError(
                f"connectUNIXDatagram needs a ConnectedDatagramProtocol instance, not {proto!r}")
        super().__init__(bindAddress, proto, maxPacketSize, mode, reactor)
        self.remoteaddr = addr
        self._failing: Any = None

    def startListening(self) -> None:
        """Bind, connect and start the protocol; a failure goes to ``connectionFailed``."""
        try:
            self._bindSocket()
            assert self.socket is not None
            self.socket.connect(_pathOf(self.remoteaddr))
        except Exception:  # noqa: BLE001 -- reported to the protocol, from the loop
            reason = Failure()
            self._abandon()
            self._failing = self.reactor.callLater(0, self._failed, reason)
            return
        self._connectToProtocol()

    def _failed(self, reason: Failure) -> None:
        self._failing = None
        self.protocol.connectionFailed(reason)

    def doRead(self) -> Any:
        """Deliver waiting datagrams with ``datagramReceived(datagram)``."""
        if self._state is not PortState.LISTENING:
            return None
        recv = self.socket.recv  # type: ignore[union-attr]  # LISTENING: open
        size = self.maxPacketSize + 1
        for _ in range(self._READ_BATCH):
            try:
                data = recv(size)
            except BlockingIOError:
                return None
            except OSError as e:
                if e.errno == errno.ECONNREFUSED:
                    self._refused()
                    return None
                raise
            if len(data) == size:
                self._tooLong(self.remoteaddr)
                continue
            try:
                self.protocol.datagramReceived(data)
            except Exception:  # noqa: BLE001 -- one bad datagram must not stop the port
                log.err(Failure(), "Unhandled Error", system=self.logstr)
            if self._state is not PortState.LISTENING:
                return None  # the protocol stopped the port
        return None

    def _refused(self) -> None:
        try:
            self.protocol.connectionRefused()
        except Exception:  # noqa: BLE001
            log.err(Failure(), "Unhandled Error", system=self.logstr)

    def write(self, data: bytes) -> Any:  # type: ignore[override]
        """Send ``data`` to the connected peer (``MessageLengthError`` if too long)."""
        try:
            return self.socket.send(data)  # type: ignore[union-attr]
        except OSError as e:
            if e.errno == errno.ECONNREFUSED:
                self._refused()
                return None
            return self._sendFailed(e, data)
        except (TypeError, AttributeError):
            self._explainBadWrite(data)
            raise

    def getPeer(self) -> UNIXAddress:
        """The address connected to."""
        return UNIXAddress(self.remoteaddr)
