"""Sans-IO tests for plait.protocols.basic: line, netstring and int-prefixed framing.

Every receiver is driven through ``StringTransport``: bytes go in with
``dataReceived``, what the protocol wrote comes out of ``transport.value()``.
Splits at every byte boundary are checked here; random splits live in
test_basic_properties.py.
"""

from __future__ import annotations

import io
import struct
from typing import Any

import pytest

from plait.protocols import basic
from plait.testing import StringTransport
from tests.helpers import failureResultOf, successResultOf

# -- helpers ---------------------------------------------------------------------


class Lines(basic.LineReceiver):
    """Records lines and raw chunks."""

    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.raw: list[bytes] = []
        self.exceeded: list[bytes] = []

    def lineReceived(self, line: bytes) -> Any:
        self.lines.append(line)
        return None

    def rawDataReceived(self, data: bytes) -> Any:
        self.raw.append(data)
        return None


class RecordingExceeded(Lines):
    """Records over-long input instead of disconnecting."""

    def lineLengthExceeded(self, line: bytes) -> None:
        self.exceeded.append(line)


def connect(proto: Any) -> StringTransport:
    transport = StringTransport()
    proto.makeConnection(transport)
    return transport


def everySplit(stream: bytes) -> list[list[bytes]]:
    """The stream cut once at each position, plus byte by byte."""
    cuts = [[stream[:i], stream[i:]] for i in range(len(stream) + 1)]
    cuts.append([stream[i : i + 1] for i in range(len(stream))])
    return cuts


# -- LineReceiver ------------------------------------------------------------------


LINES_STREAM = b"first\r\nsecond line\r\n\r\nlast\r\npartial"


@pytest.mark.parametrize("pieces", everySplit(LINES_STREAM))
def test_lineReceiverSplitsAtEveryBoundary(pieces: list[bytes]) -> None:
    """Lines come out the same however the stream is cut, the tail stays buffered."""
    proto = Lines()
    connect(proto)
    for piece in pieces:
        proto.dataReceived(piece)
    assert proto.lines == [b"first", b"second line", b"", b"last"]
    assert proto.clearLineBuffer() == b"partial"


def test_lineReceiverSplitsOnlyOnTheExactDelimiter() -> None:
    """A lone LF is not a line end with the default CRLF delimiter."""
    proto = Lines()
    connect(proto)
    proto.dataReceived(b"a\nb\rc\n\r\n")
    assert proto.lines == [b"a\nb\rc\n"]


def test_lineReceiverCustomDelimiterStraddlingChunks() -> None:
    """A multi-byte delimiter split over three chunks is still found."""
    proto = Lines()
    proto.delimiter = b"<END>"
    connect(proto)
    for piece in (b"one<E", b"N", b"D>two<END", b">"):
        proto.dataReceived(piece)
    assert proto.lines == [b"one", b"two"]


def test_lineReceiverDelimiterChangedInsideLineReceived() -> None:
    """A delimiter changed by lineReceived applies to the rest of the buffer."""

    class Switch(Lines):
        def lineReceived(self, line: bytes) -> None:
            self.lines.append(line)
            self.delimiter = b"\n"

    proto = Switch()
    connect(proto)
    proto.dataReceived(b"head\r\nx\ny\n")
    assert proto.lines == [b"head", b"x", b"y"]


def test_lineReceiverEmptyDelimiterIsRefused() -> None:
    """An empty delimiter would yield endless empty lines: ValueError instead."""
    proto = Lines()
    proto.delimiter = b""
    connect(proto)
    with pytest.raises(ValueError, match="delimiter"):
        proto.dataReceived(b"abc")


def test_lineReceiverSendLine() -> None:
    """sendLine writes the line plus the delimiter; str is refused."""
    proto = Lines()
    transport = connect(proto)
    proto.sendLine(b"hello")
    assert transport.value() == b"hello\r\n"
    with pytest.raises(TypeError, match="bytes"):
        proto.sendLine("text")  # type: ignore[arg-type]


def test_lineReceiverDefaultsRaise() -> None:
    """lineReceived and rawDataReceived must be overridden."""
    proto = basic.LineReceiver()
    connect(proto)
    with pytest.raises(NotImplementedError):
        proto.dataReceived(b"x\r\n")
    proto.setRawMode()
    with pytest.raises(NotImplementedError):
        proto.dataReceived(b"x")


def test_lineReceiverMaxLengthIncompleteLine() -> None:
    """MAX_LENGTH 5: 7 unterminated bytes disconnect, 6 do not yet (Twisted's rule)."""
    proto = Lines()
    proto.MAX_LENGTH = 5
    transport = connect(proto)
    proto.dataReceived(b"123456")
    assert not transport.disconnecting
    proto.dataReceived(b"7")
    assert transport.disconnecting
    assert proto.lines == []


def test_lineReceiverMaxLengthCompleteLine() -> None:
    """A complete long line goes to lineLengthExceeded with the delimiter and the rest."""
    proto = RecordingExceeded()
    proto.MAX_LENGTH = 5
    connect(proto)
    proto.dataReceived(b"ok\r\n123456\r\nafter\r\n")
    assert proto.lines == [b"ok"]
    assert proto.exceeded == [b"123456\r\nafter\r\n"]
    assert proto.clearLineBuffer() == b""


def test_lineReceiverLineOfExactlyMaxLengthIsAccepted() -> None:
    """A line of MAX_LENGTH bytes is still a line."""
    proto = Lines()
    proto.MAX_LENGTH = 5
    transport = connect(proto)
    proto.dataReceived(b"12345\r\n")
    assert proto.lines == [b"12345"]
    assert not transport.disconnecting


def test_lineReceiverBufferNeverExceedsTheCutOff() -> None:
    """Fed byte by byte without a delimiter, the buffer is cut at MAX_LENGTH + len(delimiter)."""
    proto = RecordingExceeded()
    proto.MAX_LENGTH = 100
    connect(proto)
    for _ in range(1000):
        proto.dataReceived(b"x")
        assert proto._lines is not None and len(proto._lines) < 102
    assert len(proto.exceeded) == 1000 // 102
    assert all(chunk == b"x" * 102 for chunk in proto.exceeded)


class _CountingBytes(bytearray):
    """A bytearray that adds up how many bytes its ``find`` calls search."""

    searched = 0

    def find(self, sub: Any, start: Any = 0, *rest: Any) -> int:  # type: ignore[override]
        self.searched += len(self) - start
        return super().find(sub, start, *rest)


def test_lineReceiverLongLineByteByByteIsLinear() -> None:
    """A 300 kB line arriving one byte at a time is searched a bounded number of times per byte."""
    proto = Lines()
    proto.MAX_LENGTH = 1 << 20
    connect(proto)
    proto.dataReceived(b"")
    counting = _CountingBytes()
    proto._lineBuffer()._data = counting  # the buffer the parser searches
    for _ in range(300_000):
        proto.dataReceived(b"a")
    proto.dataReceived(b"\r\n")
    assert proto.lines == [b"a" * 300_000]
    # Rescanning from the start each time would search ~4.5e10 bytes.
    assert counting.searched <= 3 * 300_000


def test_lineReceiverTruthyReturnStopsProcessing() -> None:
    """A truthy lineReceived result is returned and later lines stay buffered."""

    class Stop(Lines):
        def lineReceived(self, line: bytes) -> Any:
            self.lines.append(line)
            return "stop" if line == b"b" else None

    proto = Stop()
    connect(proto)
    assert proto.dataReceived(b"a\r\nb\r\nc\r\n") == "stop"
    assert proto.lines == [b"a", b"b"]
    assert proto.clearLineBuffer() == b"c\r\n"


def test_lineReceiverDropsLinesAfterLoseConnection() -> None:
    """Lines after a loseConnection() in the same packet are not delivered."""

    class Quit(Lines):
        def lineReceived(self, line: bytes) -> None:
            self.lines.append(line)
            if line == b"quit":
                self.transport.loseConnection()

    proto = Quit()
    connect(proto)
    proto.dataReceived(b"a\r\nquit\r\nb\r\nc\r\n")
    proto.dataReceived(b"d\r\n")
    assert proto.lines == [b"a", b"quit"]


def test_lineReceiverRawModeAndBack() -> None:
    """setRawMode sends the rest to rawDataReceived; setLineMode(extra) reparses."""

    class Mixed(Lines):
        def lineReceived(self, line: bytes) -> None:
            self.lines.append(line)
            if line == b"raw":
                self.setRawMode()

        def rawDataReceived(self, data: bytes) -> None:
            head, sep, rest = data.partition(b"|")
            self.raw.append(head)
            if sep:
                self.setLineMode(rest)

    proto = Mixed()
    connect(proto)
    proto.dataReceived(b"one\r\nraw\r\nbinary\x00")
    proto.dataReceived(b"data|two\r\nthree\r\n")
    assert proto.lines == [b"one", b"raw", b"two", b"three"]
    assert proto.raw == [b"binary\x00", b"data"]
    assert proto.line_mode


def test_lineReceiverReentrantDataReceivedKeepsOrder() -> None:
    """dataReceived called from lineReceived only buffers; lines stay in order."""

    class Echo(Lines):
        def lineReceived(self, line: bytes) -> None:
            self.lines.append(line)
            if line == b"a":
                self.dataReceived(b"injected\r\n")

    proto = Echo()
    connect(proto)
    proto.dataReceived(b"a\r\nb\r\n")
    assert proto.lines == [b"a", b"b", b"injected"]


def test_lineReceiverPauseInsideLineReceived() -> None:
    """Pausing holds later lines (and the transport) until resumeProducing."""

    class Pausing(Lines):
        def lineReceived(self, line: bytes) -> None:
            self.lines.append(line)
            if line == b"pause":
                self.pauseProducing()

    proto = Pausing()
    transport = connect(proto)
    proto.dataReceived(b"pause\r\nheld\r\n")
    proto.dataReceived(b"also held\r\n")
    assert proto.lines == [b"pause"]
    assert proto.paused and transport.producerState == "paused"
    proto.resumeProducing()
    assert proto.lines == [b"pause", b"held", b"also held"]
    assert not proto.paused and transport.producerState == "producing"


def test_lineReceiverStopProducing() -> None:
    """stopProducing stops delivery and the transport."""
    proto = Lines()
    transport = connect(proto)
    proto.stopProducing()
    proto.dataReceived(b"x\r\n")
    assert proto.lines == []
    assert transport.producerState == "stopped"


def test_lineReceiverClearLineBuffer() -> None:
    """clearLineBuffer returns and forgets the buffered bytes."""
    proto = Lines()
    connect(proto)
    proto.dataReceived(b"abc")
    assert proto.clearLineBuffer() == b"abc"
    proto.dataReceived(b"def\r\n")
    assert proto.lines == [b"def"]


def test_lineReceiverWorksWithoutMakeConnection() -> None:
    """State is created lazily; no transport is needed to parse lines."""
    proto = Lines()
    proto.dataReceived(b"x\r\ny\r\n")
    assert proto.lines == [b"x", b"y"]


# -- LineOnlyReceiver ---------------------------------------------------------------


class OnlyLines(basic.LineOnlyReceiver):
    def __init__(self) -> None:
        self.lines: list[bytes] = []
        self.exceeded: list[bytes] = []

    def lineReceived(self, line: bytes) -> None:
        self.lines.append(line)


@pytest.mark.parametrize("pieces", everySplit(LINES_STREAM))
def test_lineOnlyReceiverSplitsAtEveryBoundary(pieces: list[bytes]) -> None:
    """LineOnlyReceiver frames exactly like LineReceiver."""
    proto = OnlyLines()
    connect(proto)
    for piece in pieces:
        proto.dataReceived(piece)
    assert proto.lines == [b"first", b"second line", b"", b"last"]


def test_lineOnlyReceiverLongLineDisconnects() -> None:
    """A complete line over MAX_LENGTH disconnects; following lines are dropped."""
    proto = OnlyLines()
    proto.MAX_LENGTH = 3
    transport = connect(proto)
    proto.dataReceived(b"abc\r\nabcd\r\nnext\r\n")
    assert proto.lines == [b"abc"]
    assert transport.disconnecting


def test_lineOnlyReceiverLongTailIsHandedOverAndCleared() -> None:
    """An unterminated tail over MAX_LENGTH goes to lineLengthExceeded and is not kept."""

    class Recording(OnlyLines):
        def lineLengthExceeded(self, line: bytes) -> None:
            self.exceeded.append(line)

    proto = Recording()
    proto.MAX_LENGTH = 3
    connect(proto)
    proto.dataReceived(b"abcd")
    proto.dataReceived(b"ef\r\nok\r\n")
    assert proto.exceeded == [b"abcd"]
    assert proto.lines == [b"ef", b"ok"]


def test_lineOnlyReceiverStopsWhenDisconnecting() -> None:
    """No line is delivered once transport.disconnecting is set."""
    proto = OnlyLines()
    transport = connect(proto)
    transport.loseConnection()
    proto.dataReceived(b"a\r\n")
    assert proto.lines == []


def test_lineOnlyReceiverSendLineUsesWriteSequence() -> None:
    """sendLine writes the line and the delimiter."""
    proto = OnlyLines()
    writes: list[Any] = []
    transport = connect(proto)
    transport.writeSequence = writes.append  # type: ignore[method-assign]
    proto.sendLine(b"hi")
    assert [tuple(w) for w in writes] == [(b"hi", b"\r\n")]


# -- NetstringReceiver --------------------------------------------------------------


class Strings(basic.NetstringReceiver):
    def __init__(self) -> None:
        self.strings: list[bytes] = []

    def stringReceived(self, string: bytes) -> None:
        self.strings.append(string)


NETSTRINGS = [b"hello", b"", b"with:colon,comma", b"x" * 12]
NETSTRING_STREAM = b"".join(b"%d:%s," % (len(s), s) for s in NETSTRINGS)


@pytest.mark.parametrize("pieces", everySplit(NETSTRING_STREAM))
def test_netstringSplitsAtEveryBoundary(pieces: list[bytes]) -> None:
    """Netstrings come out whole however the stream is cut."""
    proto = Strings()
    transport = connect(proto)
    for piece in pieces:
        proto.dataReceived(piece)
    assert proto.strings == NETSTRINGS
    assert not transport.disconnecting and not proto.brokenPeer


def test_netstringSendString() -> None:
    """sendString frames the payload; str is refused."""
    proto = Strings()
    transport = connect(proto)
    proto.sendString(b"abc")
    proto.sendString(b"")
    assert transport.value() == b"3:abc,0:,"
    with pytest.raises(TypeError):
        proto.sendString("abc")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "data",
    [
        b":abc,",  # no length
        b"abc",  # not a number
        b"03:abc,",  # leading zero
        b"00:,",  # leading zero
        b"3:abcX",  # no comma
        b"100000:",  # over MAX_LENGTH
        b"1000000",  # too many digits, no colon yet
        b"-1:a,",
    ],
)
def test_netstringParseErrorsDisconnect(data: bytes) -> None:
    """Every malformed netstring closes the connection and sets brokenPeer."""
    proto = Strings()
    transport = connect(proto)
    proto.dataReceived(data)
    assert transport.disconnecting
    assert proto.brokenPeer
    assert proto.strings == []


def test_netstringInputAfterErrorIsIgnored() -> None:
    """After a parse error nothing more is parsed or buffered."""
    proto = Strings()
    connect(proto)
    proto.dataReceived(b"2:ab,x")
    proto.dataReceived(b"3:abc,")
    assert proto.strings == [b"ab"]
    assert proto._nsBuffer == bytearray()


def test_netstringDigitFloodIsRefusedEarly() -> None:
    """A stream of digits is refused after len(str(MAX_LENGTH)) + 1 of them, fed one by one."""
    proto = Strings()
    transport = connect(proto)
    fed = 0
    while not transport.disconnecting:
        proto.dataReceived(b"1")
        fed += 1
        assert fed <= 6
    assert fed == 6


def test_netstringPartialValidLengthWaits() -> None:
    """A valid partial length waits for more bytes."""
    proto = Strings()
    transport = connect(proto)
    proto.dataReceived(b"99999")
    assert not transport.disconnecting
    proto.dataReceived(b":" + b"z" * 99999 + b",")
    assert proto.strings == [b"z" * 99999]


def test_netstringMakeConnectionResets() -> None:
    """makeConnection starts a fresh parser."""
    proto = Strings()
    connect(proto)
    proto.dataReceived(b"5:ab")
    connect(proto)
    proto.dataReceived(b"1:a,")
    assert proto.strings == [b"a"]


# -- IntNStringReceiver ---------------------------------------------------------------


def makeIntN(base: type[basic.IntNStringReceiver]) -> Any:
    class Recorder(base):  # type: ignore[valid-type,misc]
        def __init__(self) -> None:
            self.strings: list[bytes] = []
            self.limits: list[int] = []

        def stringReceived(self, string: bytes) -> None:
            self.strings.append(string)

    return Recorder()


INTN_CLASSES = [basic.Int8StringReceiver, basic.Int16StringReceiver, basic.Int32StringReceiver]
INTN_STRINGS = [b"abc", b"", b"\x00\x01\x02", b"z" * 40]


def intNStream(cls: type[basic.IntNStringReceiver], strings: list[bytes]) -> bytes:
    return b"".join(struct.pack(cls.structFormat, len(s)) + s for s in strings)


@pytest.mark.parametrize("cls", INTN_CLASSES)
def test_intNSplitsAtEveryBoundary(cls: type[basic.IntNStringReceiver]) -> None:
    """Each prefixed string comes out whole however the stream is cut."""
    stream = intNStream(cls, INTN_STRINGS)
    for pieces in everySplit(stream):
        proto = makeIntN(cls)
        connect(proto)
        for piece in pieces:
            proto.dataReceived(piece)
        assert proto.strings == INTN_STRINGS


@pytest.mark.parametrize("cls", INTN_CLASSES)
def test_intNSendString(cls: type[basic.IntNStringReceiver]) -> None:
    """sendString writes the big-endian length then the bytes."""
    proto = makeIntN(cls)
    transport = connect(proto)
    proto.sendString(b"hey")
    assert transport.value() == struct.pack(cls.structFormat, 3) + b"hey"


def test_intNStringTooLong() -> None:
    """A string that does not fit the prefix raises StringTooLongError (an AssertionError)."""
    proto = makeIntN(basic.Int16StringReceiver)
    connect(proto)
    with pytest.raises(basic.StringTooLongError, match="Try to send 70000 bytes whereas maximum is 65536"):
        proto.sendString(b"x" * 70000)
    assert issubclass(basic.StringTooLongError, AssertionError)
    with pytest.raises(basic.StringTooLongError):
        makeIntN(basic.Int8StringReceiver).sendString(b"x" * 256)


def test_intNLengthLimitExceeded() -> None:
    """A prefix over MAX_LENGTH disconnects by default; nothing is delivered."""
    proto = makeIntN(basic.Int32StringReceiver)
    proto.MAX_LENGTH = 10
    transport = connect(proto)
    proto.dataReceived(struct.pack("!I", 11) + b"x" * 11 + struct.pack("!I", 1) + b"y")
    assert transport.disconnecting
    assert proto.strings == []


def test_intNInputAfterLengthLimitIsDiscarded() -> None:
    """After lengthLimitExceeded, later input is neither parsed nor buffered."""

    class Tolerant(basic.Int16StringReceiver):
        def __init__(self) -> None:
            self.strings: list[bytes] = []
            self.limits: list[int] = []

        def stringReceived(self, string: bytes) -> None:
            self.strings.append(string)

        def lengthLimitExceeded(self, length: int) -> None:
            self.limits.append(length)

    proto = Tolerant()
    proto.MAX_LENGTH = 4
    connect(proto)
    proto.dataReceived(struct.pack("!H", 2) + b"ok" + struct.pack("!H", 500))
    proto.dataReceived(b"x" * 1000)
    assert proto.strings == [b"ok"]
    assert proto.limits == [500]
    assert proto.recvd == b""


def test_intNPauseAndResume() -> None:
    """Pausing in stringReceived holds later strings until resumeProducing."""

    class Pausing(basic.Int8StringReceiver):
        def __init__(self) -> None:
            self.strings: list[bytes] = []

        def stringReceived(self, string: bytes) -> None:
            self.strings.append(string)
            if string == b"p":
                self.pauseProducing()

    proto = Pausing()
    transport = connect(proto)
    proto.dataReceived(b"\x01p\x01a\x01b")
    assert proto.strings == [b"p"]
    assert transport.producerState == "paused"
    proto.resumeProducing()
    assert proto.strings == [b"p", b"a", b"b"]
    proto.stopProducing()
    assert transport.producerState == "stopped"


def test_intNRecvdCompatibility() -> None:
    """recvd shows the unparsed bytes and can be replaced from stringReceived."""

    class Rewriting(basic.Int8StringReceiver):
        def __init__(self) -> None:
            self.strings: list[bytes] = []

        def stringReceived(self, string: bytes) -> None:
            self.strings.append(string)
            if string == b"swap":
                self.recvd = b"\x03new"

    proto = Rewriting()
    connect(proto)
    proto.dataReceived(b"\x02ab\x05par")
    assert proto.recvd == b"\x05par"
    proto.recvd = b"\x04swap\x01x"
    proto.dataReceived(b"")
    assert proto.strings == [b"ab", b"swap", b"new"]
    assert proto.recvd == b""


# -- StatefulStringProtocol and FileSender ------------------------------------------------


def test_statefulStringProtocolDispatchesByState() -> None:
    """proto_<state> handles each string; its result is the next state; "done" disconnects."""

    class Chat(basic.StatefulStringProtocol, basic.NetstringReceiver):
        def __init__(self) -> None:
            self.seen: list[tuple[str, bytes]] = []

        def proto_init(self, string: bytes) -> str:
            self.seen.append(("init", string))
            return "second"

        def proto_second(self, string: bytes) -> str:
            self.seen.append(("second", string))
            return "done"

    proto = Chat()
    transport = connect(proto)
    proto.dataReceived(b"1:a,1:b,")
    assert proto.seen == [("init", b"a"), ("second", b"b")]
    assert proto.state == "done"
    assert transport.disconnecting


def test_statefulStringProtocolMissingHandlerIsLogged(caplog: pytest.LogCaptureFixture) -> None:
    """A state without handler logs "callback <state> not found" and keeps going."""

    class Chat(basic.StatefulStringProtocol, basic.NetstringReceiver):
        state = "nowhere"

    proto = Chat()
    transport = connect(proto)
    with caplog.at_level("INFO", logger="plait"):
        proto.dataReceived(b"1:a,")
    assert "callback nowhere not found" in caplog.text
    assert not transport.disconnecting


def test_fileSenderCopiesTheFile() -> None:
    """FileSender writes the file in CHUNK_SIZE pieces, then fires with the last byte."""
    consumer = StringTransport()
    sender = basic.FileSender()
    sender.CHUNK_SIZE = 4
    d = sender.beginFileTransfer(io.BytesIO(b"abcdefghij"), consumer, lambda chunk: chunk.upper())
    assert consumer.producer is sender and consumer.streaming is False
    while consumer.producer is not None:
        sender.resumeProducing()
    assert consumer.value() == b"ABCDEFGHIJ"
    assert successResultOf(d) == b"J"


def test_fileSenderStopProducingFails() -> None:
    """stopProducing fails the transfer's Deferred."""
    sender = basic.FileSender()
    d = sender.beginFileTransfer(io.BytesIO(b"abc"), StringTransport())
    sender.pauseProducing()
    sender.stopProducing()
    failure = failureResultOf(d, Exception)
    assert "stop producing" in str(failure.value)


def test_recvdHoldsTheDataWhileLengthLimitExceededRuns() -> None:
    """As in Twisted: lengthLimitExceeded sees the over-long prefix in recvd."""
    import struct

    from plait.protocols.basic import Int16StringReceiver
    from plait.testing import StringTransport

    seen: list[bytes] = []

    class Limited(Int16StringReceiver):
        MAX_LENGTH = 3

        def stringReceived(self, string: bytes) -> None:
            seen.append(string)

        def lengthLimitExceeded(self, length: int) -> None:
            seen.append(self.recvd)
            super().lengthLimitExceeded(length)

    proto = Limited()
    transport = StringTransport()
    proto.makeConnection(transport)
    proto.dataReceived(struct.pack("!H", 2) + b"ok" + struct.pack("!H", 9) + b"toolong")
    assert seen == [b"ok", struct.pack("!H", 9) + b"toolong"]
    assert transport.disconnecting
    assert proto.recvd == b""
