"""Line and length-prefixed framing (``twisted.protocols.basic``).

This module owns the protocols that turn a byte stream into messages:

* ``LineReceiver``: lines split on an exact ``delimiter``, with a raw mode,
  a line-length limit and push-producer pausing;
* ``LineOnlyReceiver``: the same without raw mode or pausing;
* ``NetstringReceiver``: ``b"<len>:<data>,"`` frames, strict parsing;
* ``IntNStringReceiver`` and ``Int8/16/32StringReceiver``: big-endian
  unsigned length prefixes;
* ``StatefulStringProtocol``: ``stringReceived`` dispatched to
  ``proto_<state>`` methods;
* ``FileSender``: a pull producer that copies a file into a consumer.

Rules:

* Parsing is incremental and linear in the input however it is split.
  Every receiver keeps one ``bytearray`` and consumes it from the front
  (CPython deletes a bytearray's prefix by moving its start, not by
  copying); ``LineReceiver`` also remembers how far it already looked for
  the delimiter, so a long line arriving byte by byte is scanned once, not
  once per byte.
* Memory is bounded for hostile input.  An unterminated line is cut off at
  ``MAX_LENGTH + len(delimiter)`` bytes and handed to ``lineLengthExceeded``
  (default: ``transport.loseConnection()``); an over-long netstring length is
  refused before its digits are converted; a length prefix over
  ``MAX_LENGTH`` stops parsing for good.
* A callback may call ``dataReceived`` again (from ``lineReceived``, from
  ``resumeProducing``...): the nested call only buffers, the outer loop
  delivers, so messages always arrive in order and never re-entrantly.
* Once ``transport.disconnecting`` is true, ``LineReceiver`` and
  ``LineOnlyReceiver`` deliver no further lines, neither from the packet
  being processed nor from later ``dataReceived`` calls (Twisted checks
  only after each line, so one more line slips through on the next call);
  a truthy return value from ``LineReceiver.lineReceived`` also stops
  processing and is returned.

Differences from Twisted (each one a fix, each covered by a test):

* ``LineOnlyReceiver`` clears the over-long tail it hands to
  ``lineLengthExceeded`` (Twisted keeps it, so an override that does not
  disconnect lets the buffer grow without bound).
* ``NetstringReceiver`` ignores everything after a parse error instead of
  re-parsing the same bad bytes on every later ``dataReceived``.
* ``IntNStringReceiver`` discards input after ``lengthLimitExceeded``
  instead of buffering it for ever.
* The state of every receiver is created lazily, so ``dataReceived`` also
  works on a protocol whose ``makeConnection`` was not called.

Tests: tests/unit/test_basic.py, tests/unit/test_basic_properties.py.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Callable
from typing import IO, Any

from zope.interface import implementer

from plait import log
from plait.defer import Deferred
from plait.interfaces import IProducer
from plait.protocol import Protocol

#: Twisted's module flag (unused there too).
DEBUG = 0

__all__ = [
    "FileSender",
    "IncompleteNetstring",
    "Int8StringReceiver",
    "Int16StringReceiver",
    "Int32StringReceiver",
    "IntNStringReceiver",
    "LineOnlyReceiver",
    "LineReceiver",
    "NetstringParseError",
    "NetstringReceiver",
    "StatefulStringProtocol",
    "StringTooLongError",
]


class _LineBuffer:
    """Bytes waiting to be framed, with a resumable search for a delimiter.

    ``_scanned`` counts the leading bytes already searched without finding
    the delimiter.  A delimiter may straddle the end of what was searched,
    so the next search starts ``len(delimiter) - 1`` bytes before it; every
    byte is therefore examined a bounded number of times.
    """

    __slots__ = ("_data", "_scanned", "_scannedFor")

    def __init__(self) -> None:
        self._data = bytearray()
        self._scanned = 0
        self._scannedFor = b""

    def __len__(self) -> int:
        return len(self._data)

    def append(self, data: bytes) -> None:
        self._data += data

    def popLine(self, delimiter: bytes) -> bytes | None:
        """Remove and return the first line (without ``delimiter``), or None."""
        if not delimiter:
            raise ValueError("the line delimiter must not be empty")
        if delimiter != self._scannedFor:
            # The delimiter was changed (for example from lineReceived):
            # what was searched before says nothing about the new one.
            self._scanned, self._scannedFor = 0, delimiter
        start = max(0, self._scanned - len(delimiter) + 1)
        end = self._data.find(delimiter, start)
        if end < 0:
            self._scanned = len(self._data)
            return None
        line = bytes(self._data[:end])
        del self._data[: end + len(delimiter)]
        self._scanned = 0
        return line

    def takeAll(self) -> bytes:
        """Remove and return everything buffered."""
        data = bytes(self._data)
        del self._data[:]
        self._scanned = 0
        return data


def _disconnecting(transport: Any) -> bool:
    return transport is not None and bool(transport.disconnecting)


class LineReceiver(Protocol):
    """Receive lines (and, in raw mode, raw chunks); send lines.

    Override ``lineReceived(line)``; in raw mode ``rawDataReceived(data)``.
    Each line is delivered without its delimiter, in order, exactly once.
    A line longer than ``MAX_LENGTH`` (or an unterminated buffer of
    ``MAX_LENGTH + len(delimiter)`` bytes) goes to ``lineLengthExceeded``
    together with whatever followed it, and the buffer is emptied.

    The receiver is also a push producer for its own input:
    ``pauseProducing`` holds back buffered lines (and pauses the transport)
    until ``resumeProducing``.
    """

    delimiter: bytes = b"\r\n"
    MAX_LENGTH: int = 16384
    # Twisted's public flags; plait stores bools, which compare equal to 1/0.
    line_mode: bool = True
    paused: bool = False
    _busyReceiving: bool = False
    _lines: _LineBuffer | None = None

    def _lineBuffer(self) -> _LineBuffer:
        if self._lines is None:
            self._lines = _LineBuffer()
        return self._lines

    def clearLineBuffer(self) -> bytes:
        """Empty the receive buffer and return what it held."""
        return self._lineBuffer().takeAll()

    def dataReceived(self, data: bytes) -> Any:
        """Buffer ``data`` and deliver every complete line (or raw chunk).

        Returns the truthy value a ``lineReceived``/``rawDataReceived`` call
        returned (processing stops there), or what ``lineLengthExceeded``
        returned; otherwise None.
        """
        buffer = self._lineBuffer()
        buffer.append(data)
        if self._busyReceiving:
            return None  # the outer call, further up the stack, delivers it
        self._busyReceiving = True
        try:
            return self._deliver(buffer)
        finally:
            self._busyReceiving = False

    def _deliver(self, buffer: _LineBuffer) -> Any:
        while len(buffer) and not self.paused:
            if not self.line_mode:
                why = self.rawDataReceived(buffer.takeAll())
                if why:
                    return why
                continue
            if _disconnecting(self.transport):
                return None  # closing: later lines are dropped, not delivered
            line = buffer.popLine(self.delimiter)
            if line is None:
                if len(buffer) >= self.MAX_LENGTH + len(self.delimiter):
                    return self.lineLengthExceeded(buffer.takeAll())
                return None
            if len(line) > self.MAX_LENGTH:
                return self.lineLengthExceeded(line + self.delimiter + buffer.takeAll())
            why = self.lineReceived(line)
            if why or _disconnecting(self.transport):
                return why
        return None

    def setLineMode(self, extra: bytes = b"") -> Any:
        """Switch to line mode; ``extra`` (from rawDataReceived) is parsed as lines."""
        self.line_mode = True
        if extra:
            return self.dataReceived(extra)
        return None

    def setRawMode(self) -> None:
        """Switch to raw mode: later data goes to ``rawDataReceived``."""
        self.line_mode = False

    def rawDataReceived(self, data: bytes) -> Any:
        """Called with each chunk received in raw mode.  Override it."""
        raise NotImplementedError

    def lineReceived(self, line: bytes) -> Any:
        """Called with each line, delimiter removed.  Override it.

        Returning a truthy value stops the processing of buffered lines.
        """
        raise NotImplementedError

    def sendLine(self, line: bytes) -> Any:
        """Write ``line`` followed by the delimiter."""
        if not isinstance(line, bytes):
            raise TypeError(f"sendLine() takes bytes, not {type(line).__name__}")
        return self.transport.write(line + self.delimiter)

    def lineLengthExceeded(self, line: bytes) -> Any:
        """Called with the over-long data (at least the start of the long line).

        The default drops the connection.
        """
        return self.transport.loseConnection()

    # The push-producer half: the transport's consumer pauses us.

    def pauseProducing(self) -> None:
        """Hold back buffered lines and pause the transport."""
        self.paused = True
        self.transport.pauseProducing()

    def resumeProducing(self) -> None:
        """Resume the transport and deliver what was held back."""
        self.paused = False
        self.transport.resumeProducing()
        self.dataReceived(b"")

    def stopProducing(self) -> None:
        """Stop delivering lines and stop the transport."""
        self.paused = True
        self.transport.stopProducing()


class LineOnlyReceiver(Protocol):
    """A lighter ``LineReceiver``: lines only, no raw mode, no pausing.

    Lines stop being delivered once ``transport.disconnecting`` is true.
    A line, or an unterminated tail, longer than ``MAX_LENGTH`` goes to
    ``lineLengthExceeded`` (default: disconnect).
    """

    delimiter: bytes = b"\r\n"
    MAX_LENGTH: int = 16384
    _lines: _LineBuffer | None = None

    def dataReceived(self, data: bytes) -> Any:
        """Deliver every complete line in the buffer plus ``data``."""
        if self._lines is None:
            self._lines = _LineBuffer()
        buffer = self._lines
        buffer.append(data)
        while not _disconnecting(self.transport):
            line = buffer.popLine(self.delimiter)
            if line is None:
                break
            if len(line) > self.MAX_LENGTH:
                return self.lineLengthExceeded(line)
            self.lineReceived(line)
        if len(buffer) > self.MAX_LENGTH:
            return self.lineLengthExceeded(buffer.takeAll())
        return None

    def lineReceived(self, line: bytes) -> None:
        """Called with each line, delimiter removed.  Override it."""
        raise NotImplementedError

    def sendLine(self, line: bytes) -> Any:
        """Write ``line`` and the delimiter (as one ``writeSequence``)."""
        if not isinstance(line, bytes):
            raise TypeError(f"sendLine() takes bytes, not {type(line).__name__}")
        return self.transport.writeSequence((line, self.delimiter))

    def lineLengthExceeded(self, line: bytes) -> Any:
        """Called with an over-long line or tail; the default disconnects."""
        return self.transport.loseConnection()


class NetstringParseError(ValueError):
    """The incoming data is not a valid netstring."""


class IncompleteNetstring(Exception):
    """Not enough data to complete a netstring."""


class _NetstringState(enum.Enum):
    LENGTH = "reading the length digits"
    PAYLOAD = "reading the payload and its comma"


class NetstringReceiver(Protocol):
    """Send and receive netstrings (http://cr.yp.to/proto/netstrings.txt).

    Each frame is ``b"<decimal length>:<payload>,"``; the length has no
    leading zeros and may not exceed ``MAX_LENGTH``.  Any violation closes
    the connection (``transport.loseConnection()``) and sets
    ``brokenPeer``; the rest of the input is then ignored.
    """

    MAX_LENGTH: int = 99999
    brokenPeer: bool = False
    _nsBuffer: bytearray | None = None
    _nsState: _NetstringState = _NetstringState.LENGTH
    _nsExpected: int = 0
    _nsBusy: bool = False

    _MISSING_LENGTH = "The received netstring does not start with a length specification."
    _TOO_LONG = "The received netstring is longer than the maximum %s specified by self.MAX_LENGTH"
    _MISSING_COMMA = "The received netstring is not terminated by a comma."

    def makeConnection(self, transport: Any) -> None:
        """Reset the parser, then attach the transport."""
        self._nsBuffer = bytearray()
        self._nsState = _NetstringState.LENGTH
        self._nsExpected = 0
        self.brokenPeer = False
        super().makeConnection(transport)

    def sendString(self, string: bytes) -> None:
        """Write ``string`` framed as a netstring."""
        if not isinstance(string, bytes):
            raise TypeError(f"sendString() takes bytes, not {type(string).__name__}")
        self.transport.write(b"%d:%s," % (len(string), string))

    def stringReceived(self, string: bytes) -> None:
        """Called with each complete payload.  Override it."""
        raise NotImplementedError

    def dataReceived(self, data: bytes) -> None:
        """Deliver every complete netstring; close the connection on bad input."""
        if self.brokenPeer:
            return
        if self._nsBuffer is None:
            self._nsBuffer = bytearray()
        self._nsBuffer += data
        if self._nsBusy:
            return
        self._nsBusy = True
        try:
            self._consume(self._nsBuffer)
        except NetstringParseError:
            self._nsBuffer = bytearray()
            self.transport.loseConnection()
            self.brokenPeer = True
        finally:
            self._nsBusy = False

    def _consume(self, buffer: bytearray) -> None:
        while True:
            if self._nsState is _NetstringState.LENGTH:
                colon = self._lengthEnd(buffer)
                if colon < 0:
                    return
                self._nsExpected = self._checkedLength(bytes(buffer[:colon]))
                del buffer[: colon + 1]
                self._nsState = _NetstringState.PAYLOAD
            end = self._nsExpected
            if len(buffer) <= end:
                return
            if buffer[end] != ord(","):
                raise NetstringParseError(self._MISSING_COMMA)
            payload = bytes(buffer[:end])
            del buffer[: end + 1]
            self._nsState = _NetstringState.LENGTH
            self.stringReceived(payload)

    def _lengthEnd(self, buffer: bytearray) -> int:
        """Index of the colon ending the length, or -1 if it has not arrived.

        Only ``len(str(MAX_LENGTH)) + 1`` bytes are ever looked at, so a
        flood of digits is refused without being converted or kept.
        """
        window = len(str(self.MAX_LENGTH)) + 1
        colon = buffer.find(b":", 0, window)
        if colon >= 0:
            return colon
        self._checkedLength(bytes(buffer[:window]), partial=True)
        return -1

    def _checkedLength(self, digits: bytes, partial: bool = False) -> int:
        if not digits:
            if partial:
                return 0
            raise NetstringParseError(self._MISSING_LENGTH)
        if not digits.isdigit():
            raise NetstringParseError(self._MISSING_LENGTH)
        if digits[:1] == b"0" and len(digits) > 1:
            raise NetstringParseError(self._MISSING_LENGTH)  # leading zero
        if len(digits) > len(str(self.MAX_LENGTH)) or int(digits) > self.MAX_LENGTH:
            raise NetstringParseError(self._TOO_LONG % (self.MAX_LENGTH,))
        return int(digits)


class StringTooLongError(AssertionError):
    """A string is too long for the length prefix of its protocol."""


class IntNStringReceiver(Protocol):
    """Receive and send strings behind a fixed-size big-endian length prefix.

    Subclasses set ``structFormat`` and ``prefixLength``.  A prefix larger
    than ``MAX_LENGTH`` calls ``lengthLimitExceeded(length)`` (default:
    disconnect) and ends parsing for this connection.  Pausing works as for
    ``LineReceiver``.
    """

    MAX_LENGTH: int = 99999
    structFormat: str
    prefixLength: int
    paused: bool = False
    _unprocessed: bytearray | None = None
    _offset: int = 0
    _busy: bool = False
    _overLimit: bool = False

    def _inbox(self) -> bytearray:
        if self._unprocessed is None:
            self._unprocessed = bytearray()
        return self._unprocessed

    @property
    def recvd(self) -> bytes:
        """Legacy view of the unparsed input (Twisted's ``recvd``); assignable."""
        return bytes(self._inbox()[self._offset :])

    @recvd.setter
    def recvd(self, value: bytes) -> None:
        self._unprocessed = bytearray(value)
        self._offset = 0

    def stringReceived(self, string: bytes) -> None:
        """Called with each complete string.  Override it."""
        raise NotImplementedError

    def lengthLimitExceeded(self, length: int) -> None:
        """Called with a length prefix over ``MAX_LENGTH``; the default disconnects."""
        self.transport.loseConnection()

    def dataReceived(self, data: bytes) -> None:
        """Deliver every complete string in the buffer plus ``data``."""
        if self._overLimit:
            return
        self._inbox().extend(data)
        if self._busy:
            return
        self._busy = True
        try:
            self._deliver()
        finally:
            # Drop what was delivered; recvd's setter may have replaced the
            # buffer, so re-read both attributes.
            del self._inbox()[: self._offset]
            self._offset = 0
            self._busy = False

    def _deliver(self) -> None:
        size = self.prefixLength
        while not self.paused:
            buffer, start = self._inbox(), self._offset
            if len(buffer) - start < size:
                return
            (length,) = struct.unpack_from(self.structFormat, buffer, start)
            if length > self.MAX_LENGTH:
                self._overLimit = True
                # As in Twisted, recvd still holds the over-long prefix and
                # what follows while lengthLimitExceeded runs; dropped after.
                self.lengthLimitExceeded(length)
                self._unprocessed, self._offset = bytearray(), 0
                return
            end = start + size + length
            if len(buffer) < end:
                return
            self._offset = end
            self.stringReceived(bytes(buffer[start + size : end]))

    def sendString(self, string: bytes) -> None:
        """Write ``string`` behind its length prefix.

        Raises ``StringTooLongError`` if the length does not fit the prefix.
        """
        if not isinstance(string, bytes):
            raise TypeError(f"sendString() takes bytes, not {type(string).__name__}")
        limit = 2 ** (8 * self.prefixLength)
        if len(string) >= limit:
            raise StringTooLongError(
                f"Try to send {len(string)} bytes whereas maximum is {limit}"
            )
        self.transport.write(struct.pack(self.structFormat, len(string)) + string)

    def pauseProducing(self) -> None:
        """Hold back buffered strings and pause the transport."""
        self.paused = True
        self.transport.pauseProducing()

    def resumeProducing(self) -> None:
        """Resume the transport and deliver what was held back."""
        self.paused = False
        self.transport.resumeProducing()
        self.dataReceived(b"")

    def stopProducing(self) -> None:
        """Stop delivering strings and stop the transport."""
        self.paused = True
        self.transport.stopProducing()


class Int32StringReceiver(IntNStringReceiver):
    """Strings behind a 4-byte big-endian length."""

    structFormat = "!I"
    prefixLength = struct.calcsize(structFormat)


class Int16StringReceiver(IntNStringReceiver):
    """Strings behind a 2-byte big-endian length."""

    structFormat = "!H"
    prefixLength = struct.calcsize(structFormat)


class Int8StringReceiver(IntNStringReceiver):
    """Strings behind a 1-byte length."""

    structFormat = "!B"
    prefixLength = struct.calcsize(structFormat)


class StatefulStringProtocol:
    """Mixin: dispatch each received string to ``proto_<state>``.

    Put it first in the bases, before a string receiver:
    ``class P(StatefulStringProtocol, NetstringReceiver)``.  The handler's
    return value is the next state; ``"done"`` closes the connection.
    """

    state: str = "init"
    transport: Any

    def stringReceived(self, string: bytes) -> None:
        handler: Callable[[bytes], str] | None = getattr(self, "proto_" + self.state, None)
        if handler is None:
            log.msg("callback", self.state, "not found")
            return
        self.state = handler(string)
        if self.state == "done":
            self.transport.loseConnection()


@implementer(IProducer)
class FileSender:
    """A pull producer that writes a file's contents to a consumer.

    ``beginFileTransfer`` returns a Deferred that fires with the last byte
    written once the whole file went out, or fails if the consumer stops
    the transfer first.
    """

    CHUNK_SIZE: int = 2**14
    lastSent: bytes = b""
    deferred: Deferred[bytes] | None = None
    file: IO[bytes] | None = None
    consumer: Any = None
    transform: Callable[[bytes], bytes] | None = None

    def beginFileTransfer(
        self,
        file: IO[bytes],
        consumer: Any,
        transform: Callable[[bytes], bytes] | None = None,
    ) -> Deferred[bytes]:
        """Register with ``consumer`` (as a pull producer) and start copying."""
        self.file = file
        self.consumer = consumer
        self.transform = transform
        self.deferred = Deferred()
        consumer.registerProducer(self, False)
        return self.deferred

    def resumeProducing(self) -> None:
        """Write the next chunk; at end of file unregister and fire the Deferred."""
        chunk = self.file.read(self.CHUNK_SIZE) if self.file is not None else b""
        if not chunk:
            self.file = None
            self.consumer.unregisterProducer()
            if self.deferred is not None:
                d, self.deferred = self.deferred, None
                d.callback(self.lastSent)
            return
        if self.transform is not None:
            chunk = self.transform(chunk)
        self.consumer.write(chunk)
        self.lastSent = chunk[-1:]

    def pauseProducing(self) -> None:
        """Nothing to do: a pull producer only writes when asked."""

    def stopProducing(self) -> None:
        """The consumer gave up: fail the transfer's Deferred."""
        if self.deferred is not None:
            d, self.deferred = self.deferred, None
            d.errback(Exception("Consumer asked us to stop producing"))
