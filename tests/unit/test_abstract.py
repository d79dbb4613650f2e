"""Sans-IO tests of ``plait.abstract.FileDescriptor``: buffering, the flush,
producers and close sequencing.

``_Descriptor`` replaces the socket with a byte sink whose free space the test
controls; ``MemoryReactorClock`` records reader/writer registration, and
``advance(0)`` is "the next reactor turn".
"""

from __future__ import annotations

from typing import Any

import pytest
from zope.interface import implementer
from zope.interface.verify import verifyObject

from plait import error
from plait.abstract import FileDescriptor, TransportState
from plait.failure import Failure
from plait.interfaces import IConsumer, IPullProducer, IPushProducer
from plait.testing import MemoryReactorClock


class _Descriptor(FileDescriptor):
    """A connected FileDescriptor writing into ``sent``, ``room`` bytes at a time."""

    def __init__(self, reactor: Any) -> None:
        super().__init__(reactor)
        self.sent = bytearray()
        self.sendCalls: list[int] = []
        self.room: int | None = None  # None: unlimited
        self.failWith: Exception | None = None
        self.writeHalfClosed = 0
        self.reasons: list[Failure] = []
        self._setState(TransportState.CONNECTED)
        self.startReading()

    def fileno(self) -> int:
        return 42

    def doRead(self) -> None:
        return None

    def writeSomeData(self, data: bytes | memoryview) -> Any:
        if self.failWith is not None:
            return self.failWith
        n = len(data) if self.room is None else min(self.room, len(data))
        if self.room is not None:
            self.room -= n
        self.sent += data[:n]
        self.sendCalls.append(n)
        return n

    def _closeWriteSide(self) -> None:
        self.writeHalfClosed += 1

    def connectionLost(self, reason: Failure) -> None:
        if self.disconnected:
            return
        super().connectionLost(reason)
        self.reasons.append(reason)


@implementer(IPushProducer)
class _PushProducer:
    def __init__(self) -> None:
        self.calls: list[str] = []

    def pauseProducing(self) -> None:
        self.calls.append("pause")

    def resumeProducing(self) -> None:
        self.calls.append("resume")

    def stopProducing(self) -> None:
        self.calls.append("stop")


@implementer(IPullProducer)
class _PullProducer:
    """Writes ``chunks`` one per resumeProducing, then unregisters."""

    def __init__(self, consumer: FileDescriptor, chunks: list[bytes]) -> None:
        self.consumer = consumer
        self.chunks = list(chunks)
        self.calls: list[str] = []

    def resumeProducing(self) -> None:
        self.calls.append("resume")
        if self.chunks:
            self.consumer.write(self.chunks.pop(0))
        if not self.chunks:
            self.consumer.unregisterProducer()

    def stopProducing(self) -> None:
        self.calls.append("stop")


@pytest.fixture
def memoryReactor() -> MemoryReactorClock:
    return MemoryReactorClock()


@pytest.fixture
def fd(memoryReactor: MemoryReactorClock) -> _Descriptor:
    return _Descriptor(memoryReactor)


def _dispatchWrite(reactor: MemoryReactorClock, d: _Descriptor) -> None:
    """Do what the reactor does when ``d`` is writable."""
    assert d in reactor.writers
    why = d.doWrite()
    if why is not None:
        reactor.removeReader(d)
        reactor.removeWriter(d)
        d.connectionLost(Failure(why))


# -- write ----------------------------------------------------------------------------


def test_providesIConsumerAndIPushProducer(fd: _Descriptor) -> None:
    """The transport is a consumer and, for what it reads, a push producer."""
    verifyObject(IConsumer, fd)
    verifyObject(IPushProducer, fd)


def test_writeSendsAtTheEndOfTheTurnInOneSend(
    memoryReactor: MemoryReactorClock, fd: _Descriptor
) -> None:
    """Writes are buffered, then sent together once the reactor turn ends."""
    fd.write(b"one ")
    fd.write(b"two ")
    fd.writeSequence([b"three ", b"four"])
    assert fd.sent == b""
    memoryReactor.advance(0)
    assert fd.sent == b"one two three four"
    assert fd.sendCalls == [18]
    assert memoryReactor.getDelayedCalls() == []
    assert fd not in memoryReactor.writers


def test_writesInsideALoopCallbackFlushWhenItReturns(
    memoryReactor: MemoryReactorClock, fd: _Descriptor
) -> None:
    """Writes made while the loop delivers to the protocol leave right after it."""

    def protocolCallback() -> None:
        fd.write(b"a")
        fd.write(b"b")

    assert fd._deliverFromLoop(protocolCallback) is None
    assert fd.sent == b"ab"
    assert fd.sendCalls == [2]
    assert memoryReactor.getDelayedCalls() == []


@pytest.mark.parametrize("bad", ["text", bytearray(b"x"), memoryview(b"x"), 1])
def test_writeRejectsNonBytes(fd: _Descriptor, bad: Any) -> None:
    """write() raises TypeError("Data must be bytes") for anything but bytes."""
    with pytest.raises(TypeError, match="^Data must be bytes"):
        fd.write(bad)
    with pytest.raises(TypeError, match="^Data must be bytes"):
        fd.writeSequence([b"ok", bad])
    assert fd.dataBuffer == b""


def test_emptyWriteSchedulesNothing(memoryReactor: MemoryReactorClock, fd: _Descriptor) -> None:
    """An empty write is ignored outright."""
    fd.write(b"")
    assert memoryReactor.getDelayedCalls() == []


def test_partialSendRegistersForWriting(memoryReactor: MemoryReactorClock, fd: _Descriptor) -> None:
    """What the socket does not take waits for writability, then goes out."""
    fd.room = 3
    fd.write(b"abcdef")
    memoryReactor.advance(0)
    assert fd.sent == b"abc"
    assert fd in memoryReactor.writers
    assert fd.dataBuffer == b"def"
    fd.write(b"gh")  # registered for writing already: no new call scheduled
    assert memoryReactor.getDelayedCalls() == []
    fd.room = None
    _dispatchWrite(memoryReactor, fd)
    assert fd.sent == b"abcdefgh"
    assert fd not in memoryReactor.writers


def test_sendLimit(memoryReactor: MemoryReactorClock, fd: _Descriptor) -> None:
    """No single send is handed more than SEND_LIMIT bytes."""
    payload = bytes(range(256)) * 2048  # 512 KiB
    fd.write(payload[:1000])
    fd.write(payload[1000:])
    memoryReactor.advance(0)
    assert fd.sent == payload
    assert max(fd.sendCalls) == fd.SEND_LIMIT
    assert len(fd.sendCalls) == 4


def test_manySmallWritesAreCoalesced(memoryReactor: MemoryReactorClock, fd: _Descriptor) -> None:
    """Small writes after a partial send are joined rather than sent one by one."""
    fd.room = 1
    fd.write(b"xy")
    memoryReactor.advance(0)
    for i in range(100):
        fd.write(b"%03d" % i)
    fd.room = None
    _dispatchWrite(memoryReactor, fd)
    assert fd.sent == b"xy" + b"".join(b"%03d" % i for i in range(100))
    assert fd.sendCalls == [1, 301]


class _GatheringDescriptor(_Descriptor):
    """A ``_Descriptor`` that gathers: ``_writeGathered`` records each call's
    parts (their identities: nothing may be joined) and takes ``room`` bytes."""

    _gathers = True

    def __init__(self, reactor: Any) -> None:
        super().__init__(reactor)
        self.gathered: list[list[bytes | memoryview]] = []

    def _writeGathered(self, parts: list[bytes | memoryview]) -> Any:
        self.gathered.append(list(parts))
        return self.writeSomeData(b"".join(parts))


@pytest.fixture
def gfd(memoryReactor: MemoryReactorClock) -> _GatheringDescriptor:
    return _GatheringDescriptor(memoryReactor)


def test_gatheringSendsTheWritesThemselves(
    memoryReactor: MemoryReactorClock, gfd: _GatheringDescriptor
) -> None:
    """A gathering transport hands the buffered writes, unjoined, to one call."""
    pieces = [b"a" * 100, b"b" * 200_000, b"c" * 3]
    for piece in pieces:
        gfd.write(piece)
    memoryReactor.advance(0)
    assert gfd.sent == b"".join(pieces)
    assert len(gfd.gathered) == 1
    assert all(a is b for a, b in zip(gfd.gathered[0], pieces, strict=True))
    assert gfd._buffer == [] and gfd._bufferedBytes == 0 and gfd._offset == 0


@pytest.mark.parametrize("room", [0, 1, 99, 100, 101, 250, 302, 303])
def test_gatheringAfterAPartialSend(
    memoryReactor: MemoryReactorClock, gfd: _GatheringDescriptor, room: int
) -> None:
    """Whatever the kernel takes -- nothing, inside a write, up to a write's
    end -- the rest goes out next time in order, with no byte twice."""
    pieces = [b"a" * 100, b"b" * 200, b"c" * 3]
    for piece in pieces:
        gfd.write(piece)
    gfd.room = room
    memoryReactor.advance(0)
    assert gfd.sent == b"".join(pieces)[:room]
    if room < 303:
        assert gfd in memoryReactor.writers
        assert gfd._bufferedBytes == 303 - room
        assert gfd.dataBuffer == b"".join(pieces)[room:]
        gfd.write(b"d")
        gfd.room = None
        _dispatchWrite(memoryReactor, gfd)
    else:
        gfd.write(b"d")
        gfd.room = None
        memoryReactor.advance(0)
    assert gfd.sent == b"".join(pieces) + b"d"
    assert gfd not in memoryReactor.writers
    assert gfd._bufferedBytes == 0 and gfd._offset == 0


def test_gatheringBoundsThePartsPerCall(
    memoryReactor: MemoryReactorClock, gfd: _GatheringDescriptor
) -> None:
    """At most ``_GATHER_MAX`` writes go to one call (the kernel's IOV_MAX is finite)."""
    from plait.abstract import _GATHER_MAX

    pieces = [b"%06d" % i for i in range(2 * _GATHER_MAX + 7)]
    for piece in pieces:
        gfd.write(piece)
    memoryReactor.advance(0)
    assert gfd.sent == b"".join(pieces)
    assert [len(parts) for parts in gfd.gathered] == [_GATHER_MAX, _GATHER_MAX, 7]


def test_gatheringSendsOneLargeWriteWhole(
    memoryReactor: MemoryReactorClock, gfd: _GatheringDescriptor
) -> None:
    """One write larger than SEND_LIMIT is not sliced: there is no copy to bound."""
    payload = b"z" * (3 * gfd.SEND_LIMIT)
    gfd.write(payload)
    memoryReactor.advance(0)
    assert gfd.sendCalls == [len(payload)]


def test_sendErrorClosesFromTheLoop(memoryReactor: MemoryReactorClock, fd: _Descriptor) -> None:
    """A send error ends the connection with that reason on the loop, not in write()."""
    fd.failWith = error.ConnectionLost()
    fd.write(b"doomed")
    assert fd.reasons == []
    memoryReactor.advance(0)
    assert len(fd.reasons) == 1
    assert fd.reasons[0].check(error.ConnectionLost)
    assert fd not in memoryReactor.readers


# -- loseConnection ---------------------------------------------------------------------


def test_loseConnectionFlushesThenDone(memoryReactor: MemoryReactorClock, fd: _Descriptor) -> None:
    """loseConnection stops reading, sends the buffer, then connectionLost(ConnectionDone)."""
    fd.write(b"bye")
    fd.loseConnection()
    assert fd.connected and fd.disconnecting and not fd.disconnected
    assert fd not in memoryReactor.readers
    assert fd.reasons == []
    fd.write(b" now")  # still delivered
    memoryReactor.advance(0)
    assert fd.sent == b"bye now"
    assert [r.getErrorMessage() for r in fd.reasons] == ["Connection was closed cleanly."]
    assert not fd.connected and fd.disconnected
    fd.write(b"dropped")
    fd.loseConnection()
    memoryReactor.advance(0)
    assert fd.sent == b"bye now"
    assert len(fd.reasons) == 1


def test_loseConnectionWaitsForTheSocket(memoryReactor: MemoryReactorClock, fd: _Descriptor) -> None:
    """With a full socket, the close waits until the buffer drains."""
    fd.room = 2
    fd.write(b"abcd")
    fd.loseConnection()
    memoryReactor.advance(0)
    assert fd.reasons == []
    fd.room = None
    _dispatchWrite(memoryReactor, fd)
    assert fd.sent == b"abcd"
    assert fd.reasons[0].check(error.ConnectionDone)


def test_loseConnectionWaitsForProducer(memoryReactor: MemoryReactorClock, fd: _Descriptor) -> None:
    """A registered producer holds the close until it unregisters."""
    producer = _PushProducer()
    fd.registerProducer(producer, True)
    fd.write(b"data")
    fd.loseConnection()
    memoryReactor.advance(0)
    assert fd.sent == b"data"
    assert fd.reasons == []
    fd.unregisterProducer()
    memoryReactor.advance(0)
    assert fd.reasons[0].check(error.ConnectionDone)
    assert producer.calls == []  # unregistered: not stopped


# -- abortConnection ----------------------------------------------------------------------


def test_abortConnection(memoryReactor: MemoryReactorClock, fd: _Descriptor) -> None:
    """abortConnection drops the buffer; ConnectionAborted arrives on the next turn."""
    fd.write(b"never")
    fd.abortConnection()
    assert fd.reasons == []
    assert fd not in memoryReactor.readers
    fd.write(b"ignored")
    fd.abortConnection()
    fd.loseConnection()
    memoryReactor.advance(0)
    assert fd.sent == b""
    assert len(fd.reasons) == 1
    assert fd.reasons[0].check(error.ConnectionAborted)
    assert memoryReactor.getDelayedCalls() == []


def test_abortInsideLoopCallback(memoryReactor: MemoryReactorClock, fd: _Descriptor) -> None:
    """Aborting while the loop delivers does not turn into a clean close."""

    def protocolCallback() -> None:
        fd.write(b"x")
        fd.abortConnection()

    assert fd._deliverFromLoop(protocolCallback) is None
    memoryReactor.advance(0)
    assert fd.reasons[0].check(error.ConnectionAborted)
    assert fd.sent == b""


# -- half-close ---------------------------------------------------------------------------


def test_loseWriteConnection(memoryReactor: MemoryReactorClock, fd: _Descriptor) -> None:
    """The write side is shut down after the buffer drains; later writes are dropped."""
    fd.write(b"last")
    fd.loseWriteConnection()
    fd.write(b" words")  # before the flush: still sent
    memoryReactor.advance(0)
    assert fd.sent == b"last words"
    assert fd.writeHalfClosed == 1
    fd.write(b"dropped")
    memoryReactor.advance(0)
    assert fd.sent == b"last words"
    assert fd.connected and fd.reasons == []
    fd.loseWriteConnection()
    assert fd.writeHalfClosed == 1
    fd.loseConnection()
    memoryReactor.advance(0)
    assert fd.reasons[0].getErrorMessage() == "Connection was closed cleanly: Connection done."


# -- producers ------------------------------------------------------------------------------


def test_pushProducerPausedAndResumed(memoryReactor: MemoryReactorClock, fd: _Descriptor) -> None:
    """A push producer is paused above bufferSize and resumed once the buffer drains."""
    producer = _PushProducer()
    fd.registerProducer(producer, True)
    fd.write(b"x" * fd.bufferSize)
    assert producer.calls == []
    fd.write(b"y")
    assert producer.calls == ["pause"]
    fd.write(b"z")
    assert producer.calls == ["pause"]
    fd.room = 1000
    memoryReactor.advance(0)
    assert producer.calls == ["pause"]
    fd.room = None
    _dispatchWrite(memoryReactor, fd)
    assert producer.calls == ["pause", "resume"]
    assert fd.producerPaused is False


def test_pushProducerNotPausedOnRegistration(fd: _Descriptor) -> None:
    """As in Twisted, registration alone never pauses a push producer; the
    next write over bufferSize does."""
    fd.write(b"x" * (fd.bufferSize + 1))
    producer = _PushProducer()
    fd.registerProducer(producer, True)
    assert producer.calls == []
    fd.write(b"y")
    assert producer.calls == ["pause"]


def test_pullProducer(memoryReactor: MemoryReactorClock, fd: _Descriptor) -> None:
    """A pull producer is asked on registration and whenever the buffer empties;
    what it writes goes out in the same flush."""
    producer = _PullProducer(fd, [b"a", b"b", b"c"])
    fd.registerProducer(producer, False)
    assert producer.calls == ["resume"]
    memoryReactor.advance(0)
    assert fd.sent == b"abc"
    assert fd.sendCalls == [1, 1, 1]
    assert fd.producer is None


def test_greedyPullProducerYieldsToTheLoop(memoryReactor: MemoryReactorClock, fd: _Descriptor) -> None:
    """A pull producer that always refills gets a bounded number of rounds per flush."""
    producer = _PullProducer(fd, [b"%d" % i for i in range(100)])
    fd.registerProducer(producer, False)
    memoryReactor.advance(0)
    assert len(fd.sendCalls) == fd._PRODUCER_ROUNDS
    assert fd in memoryReactor.writers
    while fd in memoryReactor.writers:
        _dispatchWrite(memoryReactor, fd)
    assert fd.sent == b"".join(b"%d" % i for i in range(100))


def test_registerTwoProducers(fd: _Descriptor) -> None:
    """A second producer is refused with Twisted's message."""
    first, second = _PushProducer(), _PushProducer()
    fd.registerProducer(first, True)
    with pytest.raises(RuntimeError) as info:
        fd.registerProducer(second, True)
    assert str(info.value) == (
        f"Cannot register producer {second}, because producer {first} was never unregistered."
    )


def test_registerProducerAfterConnectionLost(fd: _Descriptor) -> None:
    """A producer registered on a dead transport is stopped at once."""
    fd.connectionLost(Failure(error.ConnectionDone()))
    producer = _PushProducer()
    fd.registerProducer(producer, True)
    assert producer.calls == ["stop"]
    assert fd.producer is None


def test_connectionLostStopsProducer(fd: _Descriptor) -> None:
    """When the connection goes, a registered producer gets stopProducing."""
    producer = _PushProducer()
    fd.registerProducer(producer, True)
    fd.connectionLost(Failure(error.ConnectionLost()))
    assert producer.calls == ["stop"]
    assert fd.producer is None


def test_transportAsPushProducer(memoryReactor: MemoryReactorClock, fd: _Descriptor) -> None:
    """pause/resumeProducing stop and start reading; stopProducing loses the connection."""
    fd.pauseProducing()
    assert fd not in memoryReactor.readers
    fd.resumeProducing()
    assert fd in memoryReactor.readers
    fd.stopProducing()
    assert fd.disconnecting
    fd.resumeProducing()
    assert fd not in memoryReactor.readers
    memoryReactor.advance(0)
    assert fd.reasons[0].check(error.ConnectionDone)


# -- states ---------------------------------------------------------------------------------


def test_illegalTransitionNamesStates(fd: _Descriptor) -> None:
    """The transition table rejects impossible moves, naming both states."""
    with pytest.raises(RuntimeError, match="cannot go from connected to connecting"):
        fd._setState(TransportState.CONNECTING)


def test_connectionLostOnce(fd: _Descriptor) -> None:
    """A second connectionLost is ignored."""
    fd.connectionLost(Failure(error.ConnectionDone()))
    fd.connectionLost(Failure(error.ConnectionLost()))
    assert len(fd.reasons) == 1


# -- FileDescriptor as Twisted users subclass it (issue 12) --------------------------


class _TwistedStylePipe(FileDescriptor):
    """Written the way Twisted code subclasses FileDescriptor: connected = 1 by hand."""

    def __init__(self, fd: int, reactor: Any = None) -> None:
        FileDescriptor.__init__(self, reactor)
        self.fd = fd
        self.connected = 1
        self.lost: list[Failure] = []

    def fileno(self) -> int:
        return self.fd

    def writeSomeData(self, data: bytes | memoryview) -> int:
        import os

        return os.write(self.fd, data)

    def connectionLost(self, reason: Failure) -> None:
        FileDescriptor.connectionLost(self, reason)
        self.lost.append(reason)


def test_twistedStyleSubclassWritesAndCloses(reactor: Any) -> None:
    """connected = 1 opens the write path; loseConnection flushes then ends the descriptor."""
    import os

    from tests.helpers import runUntil

    readEnd, writeEnd = os.pipe()
    try:
        pipe = _TwistedStylePipe(writeEnd, reactor)
        assert pipe.connected and not pipe.disconnected
        pipe.write(b"hello ")
        pipe.writeSequence([b"pipe"])
        pipe.loseConnection()
        assert pipe.disconnecting
        from plait.defer import Deferred

        done: Deferred[None] = Deferred()
        reactor.callLater(0.01, lambda: done.callback(None))
        runUntil(reactor, done)
        assert os.read(readEnd, 100) == b"hello pipe"
        [reason] = pipe.lost
        assert reason.check(error.ConnectionDone)
        assert pipe.disconnected and not pipe.connected
        pipe.write(b"dropped")  # after the end: ignored, as in Twisted
    finally:
        os.close(readEnd)
        os.close(writeEnd)


def test_unconnectedDescriptorDropsWritesAndKeepsProducers(memoryReactor: MemoryReactorClock) -> None:
    """Before connected is set: writes are dropped, a producer registers and is pulled."""
    fd = FileDescriptor(memoryReactor)
    fd.write(b"too early")
    assert fd.dataBuffer == b""
    producer = _PullProducer(fd, [b"x", b"y"])
    fd.registerProducer(producer, False)
    assert fd.producer is producer and producer.calls == ["resume"]
    fd.resumeProducing()
    assert not fd._reading  # not connected: no reading
    fd.stopConsuming()
    assert fd.producer is None


def test_settingTheFlagsMovesTheState(memoryReactor: MemoryReactorClock) -> None:
    fd = FileDescriptor(memoryReactor)
    fd.disconnecting = True
    assert fd.disconnecting
    fd.disconnecting = False
    fd.connected = True
    assert fd._state is TransportState.CONNECTED
    fd.connected = False
    assert fd.disconnected and fd._state is TransportState.DISCONNECTED
    other = FileDescriptor(memoryReactor)
    other.disconnected = True
    assert other._state is TransportState.DISCONNECTED
    other.connectionLost(Failure(error.ConnectionDone()))  # already disconnected: allowed


def test_baseHooksAsTwisted(memoryReactor: MemoryReactorClock) -> None:
    """getHost/getPeer are the subclass's; read/writeConnectionLost end the descriptor."""
    fd = FileDescriptor(memoryReactor)
    with pytest.raises(NotImplementedError):
        fd.getHost()
    with pytest.raises(NotImplementedError):
        fd.getPeer()
    assert fd.offset == 0
    assert fd._closeWriteSide() is None
    fd.readConnectionLost(Failure(error.ConnectionDone()))
    assert fd.disconnected


def test_globalReactorIsTheDefault() -> None:
    """FileDescriptor() with no reactor uses the global one (in a child: it installs it)."""
    import subprocess
    import sys

    code = ("from plait.abstract import FileDescriptor\nfrom plait import reactor\n"
            "print(FileDescriptor().reactor is reactor)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    assert out.stdout.strip() == "True"


@pytest.mark.parametrize(("text", "v4", "v6"), [
    ("127.0.0.1", True, False), (b"10.0.0.1", True, False), ("1.2.3", False, False),
    ("1", False, False), ("::1", False, True), ("fe80::1%lo", False, True),
    ("fe80::1%25eth0", False, True), ("example.com", False, False), ("", False, False),
    (b"\xff", False, False),
])
def test_isIPAddress(text: str | bytes, v4: bool, v6: bool) -> None:
    import socket

    from plait.abstract import isIPAddress, isIPv6Address

    assert isIPAddress(text) is v4
    assert isIPAddress(text, socket.AF_INET6) is v6
    assert isIPv6Address(text) is v6


def test_isIPAddressUnknownFamily() -> None:
    from plait.abstract import isIPAddress

    with pytest.raises(ValueError, match="unknown address family"):
        isIPAddress("1.2.3.4", 12345)
