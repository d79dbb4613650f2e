"""UNIX-domain sockets: stream connections, listening ports, descriptor passing.

This module owns ``twisted.internet.unix``'s public classes:

* ``Client`` -- the connecting side (``connectUNIX``), on
  ``tcp.BaseClient``'s connect attempt;
* ``Connector`` -- ``connectUNIX``'s connector (``connector.BaseConnector``);
* ``Server`` -- a connection accepted by a ``Port``, on ``tcp.Server``;
* ``Port`` -- ``listenUNIX``: ``tcp.Port`` with a path instead of a port
  (same accept loop, same EMFILE recovery), the lock file of ``wantPID``
  and the socket file's removal;
* ``adoptStreamConnection`` / ``adoptStreamPort`` for ``AF_UNIX`` sockets;
* ``DatagramPort`` / ``ConnectedDatagramPort`` (``listenUNIXDatagram`` /
  ``connectUNIXDatagram``) live in ``plait._unixdatagram`` and are
  re-exported here.

A stream connection is a ``tcp.Connection``: reading, writing, the
half-close, producers and closing are TCP's code.  What UNIX adds is
passing descriptors (``sendFileDescriptor`` / ``fileDescriptorReceived``,
SCM_RIGHTS: unix(7), cmsg(3)), implemented once, in module functions both
transports call.

Rules:

* Addresses are ``UNIXAddress`` values.  A name with a leading NUL byte is
  in Linux's abstract namespace: no file, no ``chmod``, no lock file
  (``wantPID``/``checkPID`` with such a name is a ``ValueError``).
* Descriptors and bytes: each queued descriptor travels with one byte of
  the bytes waiting to be sent (Twisted's rule: write at least one byte per
  descriptor), in the order they were queued; more descriptors than
  buffered bytes is ``FileDescriptorOverrun``.  The receiving protocol
  hears ``fileDescriptorReceived`` for each, before the ``dataReceived`` of
  the bytes they travelled with.  ``sendFileDescriptor`` sends a duplicate
  made at once, so the caller may close its own copy right away.
* The descriptor path costs nothing to connections that do not use it: a
  connection reads with ``recv`` (``tcp.Connection.doRead``, fast path
  included) until it sends a descriptor or its protocol provides
  ``IFileDescriptorReceiver``; only then with ``recvmsg``.  (Descriptors sent
  to a protocol that does not want them are closed by the kernel.)
* A connect to a listener whose backlog is full fails with ``EAGAIN`` on
  Linux, without a pending connect to wait for: the client tries again
  every ``Client._BACKLOG_RETRY`` seconds until the connector's timeout.
* ``Port`` removes its socket file when it stops listening, if the file is
  still the one it created (never an adopted socket's).

Tests: tests/integration/test_unix.py, tests/integration/test_unix_fds.py,
tests/integration/test_unix_udp_peers.py (socat), tests/contract/test_contract_unix.py,
tests/unit/test_unixudp.py.
"""

from __future__ import annotations

import errno
import os
import socket
import stat
import struct
from typing import Any

from zope.interface import implementer

from plait import error, log
from plait._defer_lock import FilesystemLock
from plait._tcpclient import BaseClient
from plait._tcpconnection import _READ_SIZE, Connection, _lostReason, _prefixOf
from plait._unixdatagram import ConnectedDatagramPort, DatagramPort
from plait.abstract import TransportState
from plait.address import UNIXAddress
from plait.connector import BaseConnector
from plait.failure import Failure
from plait.interfaces import IFileDescriptorReceiver, IUNIXTransport
from plait.tcp import Port as _TCPPort
from plait.tcp import PortState
from plait.tcp import Server as _TCPServer

__all__ = [
    "Client",
    "ConnectedDatagramPort",
    "Connector",
    "DatagramPort",
    "Port",
    "Server",
    "adoptStreamConnection",
    "adoptStreamPort",
]

_CONNECTING = TransportState.CONNECTING
_CONNECTED = TransportState.CONNECTED

#: sizeof(sockaddr_un.sun_path) on Linux (unix(7)); a longer name cannot be used.
_PATH_LIMIT = 108
#: The most descriptors one message may carry (SCM_MAX_FD, include/net/scm.h).
_MAX_FDS = 253
_INT = struct.Struct("i")  # one descriptor in SCM_RIGHTS data (a C int)
_ANCILLARY_SIZE = socket.CMSG_SPACE(_MAX_FDS * _INT.size)
#: Received descriptors are close-on-exec, as every descriptor Python opens.
_RECV_FLAGS = getattr(socket, "MSG_CMSG_CLOEXEC", 0)
#: Queued descriptors above which a streaming producer is paused (Twisted's number).
_FD_BUFFER = 64


def _isAbstract(path: bytes) -> bool:
    """True for a name in Linux's abstract namespace (leading NUL byte)."""
    return path[:1] == b"\0"


def _pathOf(address: Any, what: str) -> bytes:
    """``address`` as the bytes ``UNIXAddress`` keeps; ``TypeError`` if it is no path."""
    if not isinstance(address, (str, bytes, os.PathLike)):
        raise TypeError(f"{what} must be a path (str, bytes or os.PathLike), not {address!r}")
    path = UNIXAddress(address).name
    assert path is not None
    return path


def _shown(path: bytes) -> str:
    """A path as text, for messages and log lines."""
    return os.fsdecode(path)


def _tooLong(path: bytes) -> str | None:
    if len(path) <= _PATH_LIMIT:
        return None
    return (f"AF_UNIX path too long ({len(path)} bytes, the limit is {_PATH_LIMIT}): "
            f"{_shown(path)!r}")


def _isLocked(path: bytes) -> bool:
    """Whether the lock file ``path`` is held by a live process (``lockfile.isLocked``)."""
    lock = FilesystemLock(_shown(path))
    if lock.lock():
        lock.unlock()
        return False
    return True


# --- descriptor passing: the functions Server and Client share ----------------------


def _sendFileDescriptor(transport: Any, fileno: int) -> None:
    """Queue a duplicate of ``fileno`` to go with the next byte sent."""
    if not transport._acceptingWrites:
        return  # like a write after the connection is gone: dropped
    try:
        duplicate = os.dup(fileno)
    except (OSError, TypeError, OverflowError) as e:
        # Twisted finds out when it sends, and loses the connection; plait
        # does the same at once, naming the descriptor.
        why = e.strerror if isinstance(e, OSError) else str(e)
        transport._abortWith(error.ConnectionLost(
            f"sendFileDescriptor({fileno!r}) needs an open descriptor: {why}"))
        return
    if transport._fdsToSend is None:
        transport._fdsToSend = []
    queue = transport._fdsToSend
    queue.append(duplicate)
    transport._descriptorMode = True  # flush through writeSomeData from now on
    if len(queue) > _FD_BUFFER and transport.producer is not None:
        transport._pauseStreamingProducer()


def _sendWithDescriptors(transport: Any, data: bytes | memoryview) -> Any:
    """``writeSomeData`` while descriptors wait: each with one byte, then the rest."""
    queue = transport._fdsToSend
    if len(queue) > transport._bufferedBytes:
        return error.FileDescriptorOverrun()
    skt = transport.socket
    sent = 0
    while queue and sent < len(data):
        try:
            skt.sendmsg([data[sent : sent + 1]],
                        [(socket.SOL_SOCKET, socket.SCM_RIGHTS, _INT.pack(queue[0]))])
        except BlockingIOError:
            return sent
        except OSError as e:
            if e.errno == errno.ENOBUFS:
                return sent
            return _lostReason(e)
        os.close(queue.pop(0))
        sent += 1
    if sent == len(data):
        return sent
    more = Connection.writeSomeData(transport, memoryview(data)[sent:])
    return sent + more if more.__class__ is int else more


def _readWithDescriptors(transport: Any) -> Any:
    """``doRead`` for a connection that passes descriptors: ``recvmsg``."""
    try:
        data, ancillary, flags, _ = transport.socket.recvmsg(
            _READ_SIZE, _ANCILLARY_SIZE, _RECV_FLAGS)
    except BlockingIOError:
        return None
    except OSError as e:
        return _lostReason(e)
    fds = _descriptorsIn(transport, ancillary) if ancillary else ()
    if flags & socket.MSG_CTRUNC:
        log.msg(f"{_prefixOf(transport.protocol)} (on {transport.getHost()!r}) received more "
                f"descriptors than one message may carry; the kernel closed the rest")
    if not data and not fds:
        return transport._peerClosedWriting()
    reason = transport._deliverFromLoop(_deliver, transport.protocol, fds, data)
    if not data:
        return reason or transport._peerClosedWriting()
    return reason


def _descriptorsIn(transport: Any, ancillary: list[tuple[int, int, bytes]]) -> list[int]:
    """The descriptors of ``ancillary``, for a protocol that takes them.

    Otherwise they are closed, and what was not a descriptor is logged, in
    Twisted's words.
    """
    fds: list[int] = []
    for level, kind, payload in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            count = len(payload) // _INT.size
            fds.extend(struct.unpack(f"{count}i", payload[: count * _INT.size]))
        else:
            log.msg(f"{_prefixOf(transport.protocol)} (on {transport.getHost()!r}) received "
                    f"unsupported ancillary data (level={level!r}, type={kind!r}) from "
                    f"{transport.getPeer()!r}.")
    if fds and not IFileDescriptorReceiver.providedBy(transport.protocol):
        log.msg(f"{_prefixOf(transport.protocol)} (on {transport.getHost()!r}) does not provide "
                f"IFileDescriptorReceiver; closing file descriptor received (from "
                f"{transport.getPeer()!r}).")
        for fd in fds:
            os.close(fd)
        return []
    return fds


def _deliver(protocol: Any, fds: list[int], data: bytes) -> None:
    """Hand over the descriptors, then the bytes they came with.

    If ``fileDescriptorReceived`` raises, the descriptors not yet handed
    over are closed (the connection then ends with the exception).
    """
    for index, fd in enumerate(fds):
        try:
            protocol.fileDescriptorReceived(fd)
        except BaseException:
            for left in fds[index + 1 :]:
                os.close(left)
            raise
    if data:
        protocol.dataReceived(data)


def _closeQueued(transport: Any) -> None:
    """Close the duplicates that were never sent."""
    queue, transport._fdsToSend = transport._fdsToSend, None
    for fd in queue or ():
        os.close(fd)


# --- the transports ---------------------------------------------------------------


@implementer(IUNIXTransport)
class Server(_TCPServer):
    """The server side of a UNIX stream connection, accepted by a ``Port``.

    ``client`` is the peer's name as ``accept`` gave it (``''`` for an
    unnamed client socket, the usual case).
    """

    #: Descriptors duplicated by ``sendFileDescriptor``, waiting to be sent.
    _fdsToSend: list[int] | None = None
    #: None until the first read decides; True once descriptors are passed.
    _descriptorMode: bool | None = None

    def __init__(
        self, sock: socket.socket, protocol: Any, client: Any, server: Any, sessionno: int,
        reactor: Any, family: int = socket.AF_UNIX,
    ) -> None:
        super().__init__(sock, protocol, (client, None), server, sessionno, reactor, family)

    def getHost(self) -> UNIXAddress:  # type: ignore[override]
        """The listening socket's name."""
        if self._hostAddress is None:
            if self.socket is None:
                raise RuntimeError(f"{self!r} has no socket")
            self._hostAddress = UNIXAddress(self.socket.getsockname())  # type: ignore[assignment]
        return self._hostAddress  # type: ignore[return-value]

    def getPeer(self) -> UNIXAddress:  # type: ignore[override]
        """The client's name: ``UNIXAddress(None)`` for an unnamed client."""
        return UNIXAddress(self.hostname or None)

    def getTcpNoDelay(self) -> bool:
        """Always False: UNIX sockets have no Nagle algorithm (Twisted's answer)."""
        return False

    def setTcpNoDelay(self, enabled: bool) -> None:
        """Ignored, as in Twisted: UNIX sockets have no Nagle algorithm."""

    def sendFileDescriptor(self, fileno: int) -> None:
        """Pass a duplicate of ``fileno`` to the peer with the next byte sent.

        Write at least one byte for each descriptor.  A descriptor that is
        not open ends the connection with ``ConnectionLost`` naming it.
        """
        _sendFileDescriptor(self, fileno)

    def doRead(self) -> Any:
        """Read, with ``recvmsg`` once descriptors are passed (module docstring)."""
        if self._state is _CONNECTED:  # else: TCP's handling of a stale event
            mode = self._descriptorMode
            if mode is None:  # decided on the first read, once the protocol is there
                mode = self._descriptorMode = IFileDescriptorReceiver.providedBy(self.protocol)
            if mode:
                return _readWithDescriptors(self)
        return Connection.doRead(self)

    def writeSomeData(self, data: bytes | memoryview) -> Any:
        """``send``; while descriptors wait, ``sendmsg`` carries them first."""
        if self._fdsToSend:
            return _sendWithDescriptors(self, data)
        return Connection.writeSomeData(self, data)

    def _writeGathered(self, parts: list[bytes | memoryview]) -> Any:
        """``sendmsg`` of several writes; while descriptors wait, the first only."""
        if self._fdsToSend:
            return _sendWithDescriptors(self, parts[0])
        return Connection._writeGathered(self, parts)

    def connectionLost(self, reason: Failure) -> None:
        """Close the socket, tell the protocol; descriptors never sent are closed."""
        if self._fdsToSend:
            _closeQueued(self)
        super().connectionLost(reason)


@implementer(IUNIXTransport)
class Client(BaseClient):
    """The connecting side of a UNIX stream connection, made by a ``Connector``.

    ``filename`` is the path (or abstract name) to connect to.  With
    ``checkPID``, the attempt fails with ``BadFileError`` unless a live
    process holds the lock file ``filename + ".lock"`` (``listenUNIX(...,
    wantPID=True)`` makes one).
    """

    #: Seconds between connect attempts while the listener's backlog is full.
    _BACKLOG_RETRY = 0.01
    _fdsToSend: list[int] | None = None
    _descriptorMode: bool | None = None

    def __init__(self, filename: Any, connector: Any, reactor: Any = None, checkPID: Any = 0) -> None:
        path = _pathOf(filename, "the address")
        self.connector = connector
        self.realAddress = self.addr = path
        self._family = socket.AF_UNIX  # for createInternetSocket
        skt: socket.socket | None = None
        problem: Exception | None = None
        tooLong = _tooLong(path)
        if tooLong is not None:
            problem = error.BadFileError(string=tooLong)
        elif checkPID and not _isLocked(path + b".lock"):
            problem = error.BadFileError(path)
        else:
            try:
                skt = self.createInternetSocket()
            except OSError as e:
                problem = error.getConnectError(e)
        self._finishInit(skt, problem, reactor, socket.AF_UNIX)

    def _resolveAddress(self) -> None:
        """The turn after ``connect()``: connect (a path needs no resolving)."""
        self._scheduled = None
        self._attempt()

    def _attempt(self) -> None:
        if self._state is not _CONNECTING:
            return
        assert self.socket is not None
        try:
            status = self.socket.connect_ex(self.realAddress)
        except OSError as e:  # a name the platform refuses (no errno)
            self.failIfNotConnected(error.BadFileError(string=f"{e}: {_shown(self.realAddress)!r}"))
            return
        if status == 0 or status == errno.EISCONN:
            self._runAsDispatch(self._connected)
        elif status == errno.EAGAIN:
            # unix(7): the listener's backlog is full.  Nothing is pending,
            # so writability would mean nothing: try again shortly.
            self._startWaiting()
            self._scheduled = self.reactor.callLater(self._BACKLOG_RETRY, self._resolveAddress)
        elif status in (errno.EINPROGRESS, errno.EALREADY):
            self._startWaiting()
            self.startWriting()
        else:
            self._connectFailed(status)

    def getPeer(self) -> UNIXAddress:  # type: ignore[override]
        """The address connected to."""
        return UNIXAddress(self.addr)

    def getHost(self) -> UNIXAddress:  # type: ignore[override]
        """Our name: ``UNIXAddress(None)`` for the usual unnamed client socket."""
        if self.socket is None:
            return UNIXAddress(None)
        return UNIXAddress(self.socket.getsockname() or None)

    # The same functions as Server's (none uses super(), so sharing the
    # function objects is safe): one implementation, no mixin.
    getTcpNoDelay = Server.getTcpNoDelay
    setTcpNoDelay = Server.setTcpNoDelay
    sendFileDescriptor = Server.sendFileDescriptor
    doRead = Server.doRead
    writeSomeData = Server.writeSomeData

    def connectionLost(self, reason: Failure) -> None:
        """As ``BaseClient``'s; descriptors never sent are closed."""
        if self._fdsToSend:
            _closeQueued(self)
        super().connectionLost(reason)


class Connector(BaseConnector):
    """``connectUNIX``'s connector (Twisted's argument order)."""

    _lazyTimeout = True  # Client (a BaseClient) arms it when it must wait

    def __init__(
        self, address: Any, factory: Any, timeout: float | None, reactor: Any, checkPID: Any = 0
    ) -> None:
        path = _pathOf(address, "connectUNIX's address")
        if checkPID and _isAbstract(path):
            raise ValueError(
                f"checkPID needs a socket file: {_shown(path)!r} is in the abstract "
                "namespace, where no lock file can sit beside it")
        if reactor is None:
            from plait import reactor as globalReactor

            reactor = globalReactor
        self.address = address
        self.checkPID = checkPID
        super().__init__(factory, timeout, reactor)

    def _makeTransport(self) -> Client:
        return Client(self.address, self, self.reactor, self.checkPID)

    def getDestination(self) -> UNIXAddress:
        """The address given to ``connectUNIX``."""
        return UNIXAddress(self.address)


class Port(_TCPPort):
    """A listening UNIX stream socket (``listenUNIX``).

    ``mode`` is applied to the socket file with ``chmod`` (Twisted's
    default 0o666).  With ``wantPID``, the lock file ``path + ".lock"`` (a
    symbolic link naming our pid) is taken first: a live owner makes
    ``startListening`` fail with ``CannotListenError(..., "Cannot acquire
    lock")``; a dead owner's lock is broken and its leftover socket file
    removed.  Log lines (Twisted's): ``"<factory> starting on '<path>'"``
    and ``"(UNIX Port <path> Closed)"``.
    """

    transport: type[Server] = Server
    lockFile: FilesystemLock | None = None
    _type = "UNIX"
    _madeFile: tuple[int, int] | None = None  # (st_dev, st_ino) of the file we bound

    def __init__(
        self, fileName: Any, factory: Any, backlog: int = 50, mode: int = 0o666,
        reactor: Any = None, wantPID: Any = 0,
    ) -> None:
        path = _pathOf(fileName, "listenUNIX's address")
        if wantPID and _isAbstract(path):
            raise ValueError(
                f"wantPID needs a socket file: {_shown(path)!r} is in the abstract "
                "namespace, where no lock file can sit beside it")
        if reactor is None:
            from plait import reactor as globalReactor

            reactor = globalReactor
        super().__init__(0, factory, backlog, reactor=reactor)
        self.port = path  # type: ignore[assignment]  # Twisted's LSP violation: a path
        self._bindPath = path
        self.mode = mode
        self.wantPID = wantPID
        self._family = socket.AF_UNIX

    def __repr__(self) -> str:
        cls = type(self.factory)
        name = f"{cls.__module__}.{cls.__qualname__}"
        if self.socket is not None:
            return f"<{name} on {_shown(self._bindPath)!r}>"
        return f"<{name} (not listening)>"

    def createInternetSocket(self) -> socket.socket:
        """A new non-blocking ``AF_UNIX`` stream socket (Twisted's hook)."""
        skt = socket.socket(socket.AF_UNIX, self.socketType)
        skt.setblocking(False)
        return skt

    def _bind(self) -> socket.socket:
        """Take the lock (``wantPID``), bind the path, ``chmod`` it, listen."""
        path = self._bindPath
        if self.wantPID:
            self._lock(path)
        skt = None
        try:
            skt = self.createInternetSocket()
            skt.bind(path)
            if not _isAbstract(path):
                status = os.stat(path)
                self._madeFile = (status.st_dev, status.st_ino)
                os.chmod(path, self.mode)
            skt.listen(self.backlog)
        except OSError as e:
            if skt is not None:
                skt.close()
            self._removeFile()
            self._unlock()
            raise error.CannotListenError(None, path, e) from e
        return skt

    def _lock(self, path: bytes) -> None:
        lock = FilesystemLock(_shown(path) + ".lock")
        if not lock.lock():
            raise error.CannotListenError(None, path, "Cannot acquire lock")
        self.lockFile = lock
        if not lock.clean:
            # The last owner died without cleaning up: its socket file is
            # stale.  Only a socket is removed (a typo must not delete a
            # file); if that fails, bind says why.
            try:
                if stat.S_ISSOCK(os.stat(path).st_mode):
                    os.remove(path)
            except OSError:
                pass

    def _unlock(self) -> None:
        lock, self.lockFile = self.lockFile, None
        if lock is not None and lock.locked:
            lock.unlock()

    def _removeFile(self) -> None:
        """Remove the socket file if it is still the one we bound."""
        made, self._madeFile = self._madeFile, None
        if made is None:
            return
        try:
            status = os.stat(self._bindPath)
            if (status.st_dev, status.st_ino) == made:
                os.remove(self._bindPath)
        except OSError:
            pass  # already gone

    def _announce(self, skt: socket.socket) -> None:
        # The path stands where a TCP port has its number: in the log lines
        # and in the repr of the connections accepted.
        self._realPortNumber = _shown(self._bindPath)  # type: ignore[assignment]
        log.msg(f"{_prefixOf(self.factory)} starting on {_shown(self._bindPath)!r}")

    def _accepted(self, fd: int, addr: Any) -> None:
        skt = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM, self._proto, fd)
        self._serve(skt, addr, UNIXAddress(addr))

    def connectionLost(self, reason: Failure) -> None:
        """Close the listening socket, remove its file, release the lock; once."""
        if self._state is not PortState.IDLE:
            self._removeFile()
            self._unlock()
        super().connectionLost(reason)

    def getHost(self) -> UNIXAddress:  # type: ignore[override]
        """The name listened on."""
        if self.socket is None:
            raise RuntimeError(f"{self!r} has no socket")
        return UNIXAddress(self.socket.getsockname())


def adoptStreamConnection(reactor: Any, fileDescriptor: int, factory: Any) -> Server | None:
    """Wrap a connected ``AF_UNIX`` stream socket in a ``Server`` for ``factory``.

    The descriptor is duplicated: the caller still owns ``fileDescriptor``.
    ``connectionMade`` runs before this returns.  Returns the transport, or
    ``None`` if the factory refused.
    """
    skt = socket.fromfd(fileDescriptor, socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        skt.setblocking(False)
        name, peer = skt.getsockname(), skt.getpeername()
        protocol = factory.buildProtocol(UNIXAddress(peer or None))
    except BaseException:
        skt.close()
        raise
    if protocol is None:
        skt.close()
        return None
    transport = Server(skt, protocol, peer, None, 0, reactor)
    transport._sharedDescriptor = True  # the caller's copy may stay open
    # Twisted's repr and log prefix of an adopted UNIX connection.
    shown = _shown(name) if isinstance(name, bytes) else name
    transport.repstr = f"<{type(protocol).__name__} #0 on {shown}>"
    transport.logstr = f"{type(protocol).__name__},0,{shown}"
    protocol.makeConnection(transport)
    return transport


def adoptStreamPort(reactor: Any, fileDescriptor: int, factory: Any) -> Port:
    """Listen on an already bound and listening ``AF_UNIX`` stream socket.

    The descriptor is duplicated: the caller still owns ``fileDescriptor``.
    The socket file is not ours, so it is left in place when the port stops.
    """
    skt = socket.fromfd(fileDescriptor, socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        skt.setblocking(False)
        name = skt.getsockname()
    except BaseException:
        skt.close()
        raise
    listening = Port(name, factory, reactor=reactor)
    listening._adopted = skt
    listening.startListening()
    return listening
