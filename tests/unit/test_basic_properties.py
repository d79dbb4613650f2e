"""Property tests for plait.protocols.basic: every framing round-trips exactly.

Hypothesis draws random messages and random cut points; the messages are
framed the way each protocol's sender frames them (``sendLine``,
``sendString``), the stream is fed in the drawn pieces, and what the
receiver delivers must equal what was sent, in order, with the unfinished
tail still buffered.
"""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from plait.protocols import basic
from plait.testing import StringTransport

PROPERTY_SETTINGS = settings(max_examples=150, deadline=None)


def cut(stream: bytes, points: list[int]) -> list[bytes]:
    """Cut ``stream`` at the given positions (taken modulo its length)."""
    marks = sorted({p % (len(stream) + 1) for p in points} | {0, len(stream)})
    return [stream[a:b] for a, b in itertools.pairwise(marks)]


def encodeAll(proto: Any, send: str, messages: list[bytes]) -> bytes:
    """Frame ``messages`` with the protocol's own sender into one stream."""
    transport = StringTransport()
    proto.makeConnection(transport)
    for message in messages:
        getattr(proto, send)(message)
    return transport.value()


delimiters = st.sampled_from([b"\r\n", b"\n", b"\x00", b"<>", b"\r\n\r\n"])
cutPoints = st.lists(st.integers(min_value=0, max_value=10_000), max_size=30)


@st.composite
def linesWithDelimiter(draw: st.DrawFn) -> tuple[bytes, list[bytes]]:
    delimiter = draw(delimiters)
    # A message must not contain the delimiter, nor end in a way that makes
    # the delimiter match earlier than where the sender put it.
    message = st.binary(max_size=40).filter(
        lambda m: (m + delimiter).find(delimiter) == len(m)
    )
    return delimiter, draw(st.lists(message, max_size=15))


class LineCollector(basic.LineReceiver):
    def __init__(self, delimiter: bytes) -> None:
        self.delimiter = delimiter
        self.lines: list[bytes] = []

    def lineReceived(self, line: bytes) -> None:
        self.lines.append(line)


class LineOnlyCollector(basic.LineOnlyReceiver):
    def __init__(self, delimiter: bytes) -> None:
        self.delimiter = delimiter
        self.lines: list[bytes] = []

    def lineReceived(self, line: bytes) -> None:
        self.lines.append(line)


@PROPERTY_SETTINGS
@given(linesWithDelimiter(), st.binary(max_size=20), cutPoints)
def test_lineReceiverRoundTrip(case: tuple[bytes, list[bytes]], tail: bytes, points: list[int]) -> None:
    """LineReceiver delivers exactly the lines sendLine framed, however cut."""
    delimiter, lines = case
    stream = encodeAll(LineCollector(delimiter), "sendLine", lines)
    tail = tail.split(delimiter[:1])[0]  # an unterminated tail, no delimiter start in it
    receiver = LineCollector(delimiter)
    receiver.makeConnection(StringTransport())
    for piece in cut(stream + tail, points):
        receiver.dataReceived(piece)
    assert receiver.lines == lines
    assert receiver.clearLineBuffer() == tail


@PROPERTY_SETTINGS
@given(linesWithDelimiter(), cutPoints)
def test_lineOnlyReceiverRoundTrip(case: tuple[bytes, list[bytes]], points: list[int]) -> None:
    """LineOnlyReceiver delivers exactly the lines sendLine framed, however cut."""
    delimiter, lines = case
    stream = encodeAll(LineOnlyCollector(delimiter), "sendLine", lines)
    receiver = LineOnlyCollector(delimiter)
    receiver.makeConnection(StringTransport())
    for piece in cut(stream, points):
        receiver.dataReceived(piece)
    assert receiver.lines == lines


@PROPERTY_SETTINGS
@given(
    st.integers(min_value=1, max_value=30),
    st.lists(st.integers(min_value=1, max_value=200), min_size=1, max_size=20),
)
def test_lineReceiverBufferIsBounded(maxLength: int, chunkSizes: list[int]) -> None:
    """Without a delimiter, buffered data never reaches MAX_LENGTH + len(delimiter)."""

    class Bounded(LineCollector):
        def lineLengthExceeded(self, line: bytes) -> None:
            self.lines.append(line)

    receiver = Bounded(b"\r\n")
    receiver.MAX_LENGTH = maxLength
    receiver.makeConnection(StringTransport())
    total = 0
    for size in chunkSizes:
        receiver.dataReceived(b"x" * size)
        total += size
        assert receiver._lines is not None
        assert len(receiver._lines) < maxLength + 2
    # Nothing is lost: what was cut off plus what is buffered is everything.
    assert sum(map(len, receiver.lines)) + len(receiver.clearLineBuffer()) == total


class NetstringCollector(basic.NetstringReceiver):
    def __init__(self) -> None:
        self.strings: list[bytes] = []

    def stringReceived(self, string: bytes) -> None:
        self.strings.append(string)


@PROPERTY_SETTINGS
@given(st.lists(st.binary(max_size=300), max_size=15), cutPoints)
def test_netstringRoundTrip(strings: list[bytes], points: list[int]) -> None:
    """NetstringReceiver delivers exactly the strings sendString framed, however cut."""
    stream = encodeAll(NetstringCollector(), "sendString", strings)
    receiver = NetstringCollector()
    transport = StringTransport()
    receiver.makeConnection(transport)
    for piece in cut(stream, points):
        receiver.dataReceived(piece)
    assert receiver.strings == strings
    assert not receiver.brokenPeer and not transport.disconnecting


def intNCollector(cls: type[basic.IntNStringReceiver]) -> Any:
    class Collector(cls):  # type: ignore[valid-type,misc]
        def __init__(self) -> None:
            self.strings: list[bytes] = []

        def stringReceived(self, string: bytes) -> None:
            self.strings.append(string)

    return Collector()


@PROPERTY_SETTINGS
@given(
    st.sampled_from([basic.Int8StringReceiver, basic.Int16StringReceiver, basic.Int32StringReceiver]),
    st.lists(st.binary(max_size=255), max_size=15),
    cutPoints,
)
def test_intNRoundTrip(cls: type[basic.IntNStringReceiver], strings: list[bytes], points: list[int]) -> None:
    """Int8/16/32StringReceiver deliver exactly the strings sendString framed, however cut."""
    stream = encodeAll(intNCollector(cls), "sendString", strings)
    receiver = intNCollector(cls)
    receiver.makeConnection(StringTransport())
    for piece in cut(stream, points):
        receiver.dataReceived(piece)
    assert receiver.strings == strings
    assert receiver.recvd == b""
