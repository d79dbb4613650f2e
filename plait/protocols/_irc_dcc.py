"""DCC: direct client-to-client file transfers and chats.

This private module owns the DCC half of ``plait.protocols.irc`` (which
re-exports the public names): ``DccFileReceiveBasic``/``DccFileReceive``
(get a file), ``DccSendProtocol``/``DccSendFactory`` (serve one),
``DccChat``/``DccChatFactory``, ``dccParseAddress``, ``dccDescribe``,
``fileSize``, and the parsing and offer bookkeeping behind IRCClient's
``dcc_*`` handlers and ``dccSend``.

The DCC SEND wire protocol (CTCP DCC draft): the sender offers
``DCC SEND <file> <address> <port> [<size>]`` in a CTCP query and listens;
the receiver connects and the sender streams the file in blocks; after
each block the receiver answers with the total number of bytes it has
received so far, a 32-bit big-endian unsigned integer, and the sender
sends the next block once that acknowledgement caught up with it.
``DCC RESUME <file> <port> <position>`` (receiver) and ``DCC ACCEPT ...``
(sender) agree on a position to restart from before connecting.

Rules (where Twisted is unsafe or broken, plait differs; each difference
is in docs/differences.md and covered by a test):

* A received file is only ever written *directly inside* the chosen
  directory: the sender's file name is reduced to its last path component
  (``/`` and ``\\`` both count), ``""``, ``.`` and ``..`` and names with NUL
  are refused, and the file is opened with ``O_NOFOLLOW`` so a symlink
  planted in the directory cannot redirect it.  Twisted joins the name to
  the directory as given, so ``../../.bashrc`` or an absolute path writes
  anywhere.
* An offer's address must be an IPv4 address (dotted or the classic
  32-bit integer) or an IPv6 literal, its port 1-65535; anything else is
  ``IRCBadMessage``.  Twisted passes any string containing a dot through
  (a host name to resolve) and any integer port, 0 included.  A negative
  or unreadable size means "unknown" (-1).
* Acknowledgements are read as a stream of 4-byte unsigned integers
  (several may arrive in one read, or one split over two), counted modulo
  2**32 so files over 4 GiB work; a receiver never writes more than the
  announced size, and closes the connection itself once it has it all
  (Twisted's waits for the sender, which a sender that waits for the
  receiver's close never does).  Twisted unpacks whatever one read returned (and its
  ``DccSendProtocol`` opens a path in text mode and ignores a file object).
* ``DccChat`` buffers bytes and decodes each line (UTF-8, Latin-1 when
  that fails); Twisted's splits bytes with a ``str`` and raises.

Tests: tests/unit/test_irc_dcc.py, tests/integration/test_irc_dcc.py.
"""

from __future__ import annotations

import errno
import ipaddress
import os
import shlex
import struct
from typing import IO, Any

from plait import error, log
from plait.defer import Deferred
from plait.failure import Failure
from plait.protocol import ClientFactory, Factory, Protocol, connectionDone
from plait.protocols._irc_text import IRCBadMessage, decodeLine
from plait.protocols.basic import LineReceiver

__all__ = [
    "DccChat",
    "DccChatFactory",
    "DccFileReceive",
    "DccFileReceiveBasic",
    "DccSendFactory",
    "DccSendProtocol",
    "dccDescribe",
    "dccParseAddress",
    "fileSize",
]

_ACK = struct.Struct("!I")
_ACK_MODULUS = 2**32


# -- parsing the offers --------------------------------------------------------------


def _integerToDotted(value: int) -> str:
    return ".".join(str((value >> shift) & 0xFF) for shift in (24, 16, 8, 0))


def dccParseAddress(address: str) -> str:
    """The address of a DCC offer as a printable IP address.

    Accepts the classic unsigned 32-bit integer (``2130706433`` ->
    ``"127.0.0.1"``), a dotted IPv4 address or an IPv6 literal.  Raises
    ``IRCBadMessage`` for anything else, and for the unspecified address
    (0 / ``0.0.0.0`` / ``::``), which no one can connect to.
    """
    try:
        if address.isdigit():
            number = int(address)
            if number >= _ACK_MODULUS:
                raise ValueError(address)
            parsed: ipaddress.IPv4Address | ipaddress.IPv6Address = ipaddress.IPv4Address(number)
        else:
            parsed = ipaddress.ip_address(address)
    except ValueError:
        raise IRCBadMessage(f"Indecipherable address {address!r}") from None
    if parsed.is_unspecified:
        raise IRCBadMessage(f"Unusable DCC address {address!r}")
    return str(parsed)


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        raise IRCBadMessage(f"Indecipherable port {text!r}") from None
    if not 0 < port < 65536:
        raise IRCBadMessage(f"DCC port out of range: {port}")
    return port


def _splitRequest(data: str, kind: str) -> list[str]:
    # shlex, for file names in quotes ("my file.txt").
    try:
        args = shlex.split(data)
    except ValueError as e:
        raise IRCBadMessage(f"malformed DCC {kind} request: {data!r} ({e})") from None
    if len(args) < 3:
        raise IRCBadMessage(f"malformed DCC {kind} request: {args!r}")
    return args


def parseSend(data: str) -> tuple[str, str, int, int, list[str]]:
    """``"file address port [size]"`` -> ``(file, address, port, size, args)``.

    ``size`` is -1 when absent, unreadable or negative.  Raises
    ``IRCBadMessage`` for a missing field, a bad address or port.
    """
    args = _splitRequest(data, "SEND")
    fileName, address, port = args[0], dccParseAddress(args[1]), _port(args[2])
    size = -1
    if len(args) >= 4:
        try:
            size = max(int(args[3]), -1)
        except ValueError:
            pass
    return fileName, address, port, size, args


def parseChat(data: str) -> tuple[str, int, list[str]]:
    """``"chat address port"`` -> ``(address, port, args)``; IRCBadMessage if malformed."""
    args = _splitRequest(data, "CHAT")
    return dccParseAddress(args[1]), _port(args[2]), args


def parseResume(data: str, kind: str) -> tuple[str, int, int] | None:
    """``"file port position"`` (RESUME and ACCEPT) -> ``(file, port, position)``.

    None when the numbers are not integers (Twisted ignores those
    requests); IRCBadMessage for a missing field, a port out of range or a
    negative position.
    """
    args = _splitRequest(data, kind)
    try:
        port, position = int(args[1]), int(args[2])
    except ValueError:
        return None
    if not 0 < port < 65536 or position < 0:
        raise IRCBadMessage(f"malformed DCC {kind} request: {args!r}")
    return args[0], port, position


def dccDescribe(data: str) -> str:
    """A readable description of a DCC query's data (for logs and prompts)."""
    words = data.split()
    if len(words) < 4:
        return data
    dcctype, arg, address, port = words[:4]
    if address.isdigit():
        address = _integerToDotted(int(address) % _ACK_MODULUS)
    if dcctype == "SEND":
        sizeText = ""
        if len(words) >= 5:
            try:
                sizeText = f" of size {int(words[4])} bytes"
            except ValueError:
                pass
        return f"SEND for file '{arg}'{sizeText} at host {address}, port {port}"
    if dcctype == "CHAT":
        return f"CHAT for host {address}, port {port}"
    return data


def fileSize(file: Any) -> int | None:
    """The size of an open file (by ``fstat``, its name, or seeking), or None."""
    if hasattr(file, "fileno"):
        try:
            return os.fstat(file.fileno()).st_size
        except (OSError, ValueError, TypeError, AttributeError):
            pass
    name = getattr(file, "name", None)
    if isinstance(name, (str, bytes)) and os.path.exists(name):
        try:
            return os.path.getsize(name)
        except OSError:
            pass
    if hasattr(file, "seek") and hasattr(file, "tell"):
        try:
            try:
                file.seek(0, 2)
                return int(file.tell())
            finally:
                file.seek(0, 0)
        except (OSError, ValueError):
            pass
    return None


def offerArguments(file: Any, host: str, port: int) -> list[Any]:
    """``[name, address, port, size]`` of a DCC SEND offer of ``file`` from ``host``.

    The name is the file's last path component (double-quoted when it has
    a space); an IPv4 address is sent as the classic 32-bit integer, an
    IPv6 one as a literal; the size is left out when it cannot be known.
    """
    path = os.fspath(file) if isinstance(file, (str, os.PathLike)) else str(getattr(file, "name", "file"))
    name = os.path.basename(path.replace("\\", "/")).replace('"', "") or "file"
    parsed = ipaddress.ip_address(host)
    address = str(int(parsed)) if parsed.version == 4 else str(parsed)
    size = os.path.getsize(path) if isinstance(file, (str, os.PathLike)) else fileSize(file)
    arguments: list[Any] = [quoteName(name), address, port]
    return arguments if size is None else [*arguments, size]


def quoteName(name: str) -> str:
    """A file name as a DCC argument: double-quoted when it contains a space."""
    return f'"{name}"' if " " in name else name


# -- receiving a file -------------------------------------------------------------------


class DccFileReceiveBasic(Protocol):
    """Receive a DCC SEND stream and acknowledge it, storing nothing.

    ``bytesReceived`` counts from ``resumeOffset``; each read is
    acknowledged with the running total (modulo 2**32).  Override
    ``dataReceived`` (calling this one) to do something with the data.
    """

    bytesReceived = 0

    def __init__(self, resumeOffset: int = 0) -> None:
        self.bytesReceived = resumeOffset
        self.resume = resumeOffset != 0

    def dataReceived(self, data: bytes) -> None:
        self.bytesReceived += len(data)
        assert self.transport is not None
        self.transport.write(_ACK.pack(self.bytesReceived % _ACK_MODULUS))


def safeFileName(filename: str) -> str:
    """The last path component of ``filename``; OSError(EINVAL) if none is usable."""
    name = filename.replace("\\", "/").rsplit("/", 1)[-1]
    if name in ("", ".", "..") or "\0" in name:
        raise OSError(errno.EINVAL, "Refusing to write a DCC file with this name", filename)
    return name


class DccFileReceive(DccFileReceiveBasic):
    """Receive a DCC SEND into ``destDir``, never outside it.

    The file is opened in ``connectionMade``: created (``overwrite`` False
    refuses an existing file with ``OSError(EEXIST)``, as Twisted), or, when
    resuming, reopened, cut at ``resumeOffset`` and appended to
    (``OSError(ENOENT)`` if it does not exist).  It is closed in
    ``connectionLost``.  When ``fileSize`` is known, the connection is
    closed once that many bytes arrived (and acknowledged), and bytes
    beyond it are never written.
    """

    filename = "dcc"
    fileSize = -1
    destDir = "."
    overwrite = False
    fromUser: str | None = None
    queryData: Any = None
    file: IO[bytes] | None = None
    connected = False

    def __init__(
        self, filename: str, fileSize: int = -1, queryData: Any = None, destDir: str = ".", resumeOffset: int = 0
    ) -> None:
        DccFileReceiveBasic.__init__(self, resumeOffset=resumeOffset)
        self.filename = filename
        self.destDir = destDir
        self.fileSize = fileSize
        self._resumeOffset = resumeOffset
        if queryData:
            self.queryData = queryData
            self.fromUser = queryData[0]

    def set_directory(self, directory: str) -> None:
        """Receive into ``directory``; OSError if it is missing, not a directory or not writable."""
        if not os.path.exists(directory):
            raise OSError(errno.ENOENT, "You see no directory there.", directory)
        if not os.path.isdir(directory):
            raise OSError(errno.ENOTDIR, "You cannot put a file into something which is not a directory.", directory)
        if not os.access(directory, os.X_OK | os.W_OK):
            raise OSError(errno.EACCES, "This directory is too hard to write in to.", directory)
        self.destDir = directory

    def set_filename(self, filename: str) -> None:
        """Use ``filename`` instead of the sender's (still only its last component)."""
        self.filename = filename

    def set_overwrite(self, boolean: bool) -> None:
        """Whether an existing file may be replaced."""
        self.overwrite = boolean

    def destination(self) -> str:
        """The absolute path the file is written to."""
        return os.path.join(os.path.abspath(self.destDir), safeFileName(self.filename))

    def connectionMade(self) -> None:
        self.connected = True
        dst = self.destination()
        nofollow = getattr(os, "O_NOFOLLOW", 0)
        if self.resume:
            try:
                fd = os.open(dst, os.O_RDWR | nofollow)
            except FileNotFoundError:
                raise OSError(errno.ENOENT, "You cannot resume writing to a file that does not exist!", dst) from None
            self.file = os.fdopen(fd, "r+b")
            self.file.seek(self._resumeOffset)
            self.file.truncate()
            log.msg(f"Attempting to resume {dst} - starting from {self.file.tell()} bytes")
            return
        flags = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | nofollow
        if not self.overwrite:
            flags |= os.O_EXCL
        try:
            fd = os.open(dst, flags, 0o644)
        except FileExistsError:
            raise OSError(errno.EEXIST, "There's a file in the way.  Perhaps that's why you cannot open it.", dst) from None
        self.file = os.fdopen(fd, "wb")

    def dataReceived(self, data: bytes) -> None:
        assert self.file is not None and self.transport is not None
        if self.fileSize >= 0:
            room = self.fileSize - self.bytesReceived
            if len(data) > room:
                self.file.write(data[: max(room, 0)])
                DccFileReceiveBasic.dataReceived(self, data[: max(room, 0)])
                log.msg(f"{self}: the sender sent more than the announced {self.fileSize} bytes; dropping it")
                self.transport.loseConnection()
                return
        self.file.write(data)
        DccFileReceiveBasic.dataReceived(self, data)
        if 0 < self.fileSize == self.bytesReceived:
            # Complete: the final acknowledgement is written, so close (as
            # mIRC's receivers do) instead of waiting for the sender to.
            self.transport.loseConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        """Close the file and log how much arrived."""
        message = f"{self} closed."
        if self.fileSize > 0:
            message += f"  {self.bytesReceived}/{self.fileSize} bytes received"
            if self.bytesReceived < self.fileSize:
                message += f" (Warning: {self.fileSize - self.bytesReceived} bytes short)"
        else:
            message += f"  {self.bytesReceived} bytes received"
        self.connected = False
        if self.file is not None:
            message += f" and written to {self.file.name}."
            self.file.close()
        log.msg(message)

    def __str__(self) -> str:
        if not self.connected or self.transport is None:
            return f"<Unconnected DccFileReceive object at {id(self):x}>"
        source = str(self.transport.getPeer())
        if self.fromUser is not None:
            source = f"{self.fromUser!r} ({source})"
        return f"DCC transfer of '{self.filename}' from {source}"

    def __repr__(self) -> str:
        return f"<{self.__class__} at {id(self):x}: GET {self.filename}>"


# -- sending a file -----------------------------------------------------------------


class DccSendProtocol(Protocol):
    """Serve one file over a DCC SEND connection, block by block.

    ``file`` is a path (opened in binary mode here) or a binary file
    object.  A block is sent at connection and after each acknowledgement
    that reaches ``bytesSent``; an acknowledgement beyond it drops the
    connection (a confused peer).  When the file is exhausted and fully
    acknowledged, ``completed`` becomes True and the connection is closed.
    The file is closed in ``connectionLost``.
    """

    blocksize = 1024
    file: Any = None
    bytesSent = 0
    completed = False
    connected = False

    def __init__(self, file: Any, resumeOffset: int = 0) -> None:
        self.file = open(file, "rb") if isinstance(file, (str, os.PathLike)) else file  # noqa: SIM115
        self._acks = b""
        if resumeOffset:
            self.file.seek(resumeOffset)
            self.bytesSent = resumeOffset

    def connectionMade(self) -> None:
        self.connected = True
        self.sendBlock()

    def dataReceived(self, data: bytes) -> None:
        self._acks += data
        usable = len(self._acks) - len(self._acks) % _ACK.size
        if not usable:
            return
        # Only the latest acknowledgement matters: each one is a running total.
        acked = _ACK.unpack_from(self._acks, usable - _ACK.size)[0]
        self._acks = self._acks[usable:]
        sent = self.bytesSent % _ACK_MODULUS
        if acked == sent:
            self.sendBlock()
        elif (acked - sent) % _ACK_MODULUS < _ACK_MODULUS // 2:
            # Ahead of what we sent: not a transfer we understand.
            assert self.transport is not None
            self.transport.loseConnection()

    def sendBlock(self) -> None:
        """Send the next block, or close once the file is exhausted."""
        assert self.transport is not None
        block = self.file.read(self.blocksize)
        if block:
            self.transport.write(block)
            self.bytesSent += len(block)
        else:
            self.completed = True
            self.transport.loseConnection()

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        self.connected = False
        if hasattr(self.file, "close"):
            self.file.close()


class DccSendFactory(Factory[DccSendProtocol]):
    """Builds a ``DccSendProtocol`` for ``file`` (from ``resumeOffset``)."""

    protocol = DccSendProtocol  # type: ignore[assignment]
    resumeOffset = 0

    def __init__(self, file: Any) -> None:
        self.file = file

    def buildProtocol(self, addr: Any) -> DccSendProtocol:
        p = self.protocol(self.file, self.resumeOffset)
        p.factory = self
        return p


# -- chat ------------------------------------------------------------------------------


class DccChat(LineReceiver):
    """A DCC CHAT connection: lines (LF or CRLF in, CRLF out).

    Each received line is logged and delivered as
    ``client.privmsg(remoteParty, client.nickname, line)``; override
    ``lineReceived`` for anything else.  A line over ``MAX_LENGTH`` bytes
    drops the connection.
    """

    queryData: Any = None
    delimiter = b"\r\n"
    client: Any = None
    remoteParty: str | None = None
    buffer = b""

    def __init__(self, client: Any, queryData: Any = None) -> None:
        self.client = client
        if queryData:
            self.queryData = queryData
            self.remoteParty = queryData[0]

    def dataReceived(self, data: bytes) -> None:
        lines = (self.buffer + data).split(b"\n")
        self.buffer = lines.pop()
        if len(self.buffer) > self.MAX_LENGTH:
            self.buffer = b""
            assert self.transport is not None
            self.transport.loseConnection()
            return
        for line in lines:
            if self.transport is not None and getattr(self.transport, "disconnecting", False):
                return
            self.lineReceived(decodeLine(line.removesuffix(b"\r")))

    def lineReceived(self, line: str) -> None:  # type: ignore[override]
        log.msg(f"DCC CHAT<{self.remoteParty}> {line}")
        self.client.privmsg(self.remoteParty, self.client.nickname, line)


class DccChatFactory(ClientFactory[DccChat]):
    """Builds the ``DccChat`` of one session; removes itself from
    ``client.dcc_sessions`` when the connection fails or ends."""

    protocol = DccChat  # type: ignore[assignment]
    noisy = False

    def __init__(self, client: Any, queryData: Any) -> None:
        self.client = client
        self.queryData = queryData

    def buildProtocol(self, addr: Any) -> DccChat:
        p = self.protocol(client=self.client, queryData=self.queryData)
        p.factory = self
        return p

    def _forget(self) -> None:
        sessions = getattr(self.client, "dcc_sessions", None)
        if sessions and self in sessions:
            sessions.remove(self)

    def clientConnectionFailed(self, unused_connector: Any, unused_reason: Failure) -> None:
        self._forget()

    def clientConnectionLost(self, unused_connector: Any, unused_reason: Failure) -> None:
        self._forget()


# -- offers made with IRCClient.dccSend ----------------------------------------------------


class _OfferedSend(DccSendProtocol):
    """A DccSendProtocol that tells its offer how the transfer ended."""

    factory: _OfferFactory

    def connectionLost(self, reason: Failure = connectionDone) -> None:
        DccSendProtocol.connectionLost(self, reason)
        self.factory.offer.transferEnded(self, reason)


class _OfferFactory(DccSendFactory):
    protocol = _OfferedSend

    def __init__(self, file: Any, offer: DccOffer) -> None:
        DccSendFactory.__init__(self, file)
        self.offer = offer

    def buildProtocol(self, addr: Any) -> DccSendProtocol:
        self.offer.accepted()
        return DccSendFactory.buildProtocol(self, addr)


class DccOffer:
    """One file offered by ``IRCClient.dccSend``.

    Listens on ``interface`` (port chosen by the system) for exactly one
    connection, then stops listening; the offer expires after ``timeout``
    seconds without one.  ``deferred`` fires with the number of bytes sent
    once the peer acknowledged the whole file, or fails: ``TimeoutError``
    when the offer expired, the connection's reason when the transfer
    broke off, ``CancelledError`` when cancelled (which also stops
    listening).  ``resumeAt(position)`` (DCC RESUME) makes the transfer
    start at ``position``; it is refused (False) once the peer connected.
    """

    def __init__(self, reactor: Any, file: Any, interface: str, timeout: float) -> None:
        self.reactor = reactor
        self.factory = _OfferFactory(file, self)
        self.deferred: Deferred[int] = Deferred(lambda d: self._close())
        self.port: Any = reactor.listenTCP(0, self.factory, interface=interface)
        self.portNumber: int = self.port.getHost().port
        self._expiry: Any = reactor.callLater(timeout, self._expire)
        self.connected = False

    def resumeAt(self, position: int) -> bool:
        if self.connected or self.deferred.called:
            return False
        self.factory.resumeOffset = position
        return True

    def accepted(self) -> None:
        self.connected = True
        self._close()

    def _close(self) -> None:
        if self._expiry is not None:
            if self._expiry.active():
                self._expiry.cancel()
            self._expiry = None
        if self.port is not None:
            port, self.port = self.port, None
            port.stopListening()

    def _expire(self) -> None:
        self._expiry = None
        self._close()
        self.deferred.errback(error.TimeoutError("nobody accepted the DCC SEND offer in time"))

    def transferEnded(self, protocol: DccSendProtocol, reason: Failure) -> None:
        if self.deferred.called:
            return
        if protocol.completed:
            self.deferred.callback(protocol.bytesSent)
        else:
            self.deferred.errback(reason)
