"""Sans-IO tests for DCC in plait.protocols.irc: requests, receiving, sending, chat.

Requests are fed to a signed-on IRCClient as CTCP lines; the transfer
protocols run on StringTransport with files under ``tmp_path``; offers made
by ``dccSend`` use a MemoryReactorClock.  The real-socket transfers are in
tests/integration/test_irc_dcc.py.
"""

from __future__ import annotations

import errno
import io
import os
import struct
from pathlib import Path
from typing import Any

import pytest

from plait import error
from plait.defer import CancelledError
from plait.failure import Failure
from plait.protocol import connectionDone
from plait.protocols import irc
from plait.task import Clock
from plait.testing import MemoryReactorClock, StringTransport
from tests.helpers import failureResultOf, successResultOf


def ack(n: int) -> bytes:
    return struct.pack("!I", n)


class Client(irc.IRCClient):
    nickname = "bot"

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.quirks: list[str] = []

    def quirkyMessage(self, s: str) -> None:
        self.quirks.append(s)

    def dccDoSend(self, *args: Any) -> None:
        self.calls.append(("send", *args))

    def dccDoAcceptResume(self, *args: Any) -> None:
        self.calls.append(("accept", *args))

    def dccDoChat(self, *args: Any) -> None:
        self.calls.append(("chat", *args))


def signedOn(clock: Any = None) -> tuple[Client, StringTransport]:
    client = Client()
    client.clock = clock if clock is not None else Clock()
    transport = StringTransport()
    client.makeConnection(transport)
    client.dataReceived(b":irc.test 001 bot :Welcome\r\n")
    transport.clear()
    return client, transport


def query(client: Client, body: str) -> None:
    client.dataReceived(b":alice!a@127.0.0.1 PRIVMSG bot :\x01" + body.encode() + b"\x01\r\n")


# -- addresses and descriptions ----------------------------------------------------------


@pytest.mark.parametrize(
    "address, expected",
    [("2130706433", "127.0.0.1"), ("127.0.0.1", "127.0.0.1"), ("::1", "::1"), ("1", "0.0.0.1"), ("4294967295", "255.255.255.255")],
)
def test_dccParseAddress(address: str, expected: str) -> None:
    """The 32-bit integer, dotted IPv4 and IPv6 literals are accepted."""
    assert irc.dccParseAddress(address) == expected


@pytest.mark.parametrize("address", ["evil.example.com", "abc", "", "4294967296", "0", "0.0.0.0", "::", "1.2.3", "-1"])
def test_dccParseAddressRejects(address: str) -> None:
    """Host names, out-of-range numbers and the unspecified address are IRCBadMessage."""
    with pytest.raises(irc.IRCBadMessage):
        irc.dccParseAddress(address)


def test_dccDescribe() -> None:
    """Twisted's descriptions of SEND and CHAT queries; anything else unchanged."""
    assert irc.dccDescribe("SEND file.txt 2130706433 5000 1234") == (
        "SEND for file 'file.txt' of size 1234 bytes at host 127.0.0.1, port 5000"
    )
    assert irc.dccDescribe("SEND f 127.0.0.1 5000") == "SEND for file 'f' at host 127.0.0.1, port 5000"
    assert irc.dccDescribe("CHAT chat 2130706433 5001") == "CHAT for host 127.0.0.1, port 5001"
    assert irc.dccDescribe("SEND short") == "SEND short"
    assert irc.dccDescribe("XMIT a 1 2") == "XMIT a 1 2"


def test_fileSize(tmp_path: Path) -> None:
    """By fstat, by name, by seeking, or None."""
    path = tmp_path / "f"
    path.write_bytes(b"x" * 1234)
    with open(path, "rb") as f:
        assert irc.fileSize(f) == 1234
    buffer = io.BytesIO(b"y" * 77)
    buffer.seek(5)
    assert irc.fileSize(buffer) == 77 and buffer.tell() == 0
    assert irc.fileSize(object()) is None


# -- requests reaching the client ------------------------------------------------------------


def test_sendOfferReachesDccDoSend() -> None:
    """A well-formed SEND offer is parsed for dccDoSend, quoted names included."""
    client, _ = signedOn()
    query(client, "DCC SEND file.txt 2130706433 5000 1234")
    query(client, 'DCC SEND "my file.txt" ::1 5001')
    query(client, "DCC send lower.txt 127.0.0.1 5002 -5")
    query(client, "DCC SEND junk.txt 127.0.0.1 5003 lots")
    assert client.calls == [
        ("send", "alice!a@127.0.0.1", "127.0.0.1", 5000, "file.txt", 1234, ["file.txt", "2130706433", "5000", "1234"]),
        ("send", "alice!a@127.0.0.1", "::1", 5001, "my file.txt", -1, ["my file.txt", "::1", "5001"]),
        ("send", "alice!a@127.0.0.1", "127.0.0.1", 5002, "lower.txt", -1, ["lower.txt", "127.0.0.1", "5002", "-5"]),
        ("send", "alice!a@127.0.0.1", "127.0.0.1", 5003, "junk.txt", -1, ["junk.txt", "127.0.0.1", "5003", "lots"]),
    ]
    assert client.dcc_sessions == []
    assert client.quirks == []


@pytest.mark.parametrize(
    "body, reason",
    [
        ("DCC SEND f 2130706433 0 10", "port out of range: 0"),
        ("DCC SEND f 2130706433 70000", "port out of range: 70000"),
        ("DCC SEND f 2130706433 http", "Indecipherable port 'http'"),
        ("DCC SEND f evil.example.com 5000", "Indecipherable address 'evil.example.com'"),
        ("DCC SEND f 0 5000", "Unusable DCC address '0'"),
        ("DCC SEND f 2130706433", "malformed DCC SEND request"),
        ('DCC SEND "unbalanced 2130706433 5000', "No closing quotation"),
        ("DCC CHAT chat 2130706433 0", "port out of range"),
        ("DCC RESUME f 5000 -1", "malformed DCC RESUME request"),
        ("DCC ACCEPT f 99999 10", "malformed DCC ACCEPT request"),
    ],
)
def test_malformedRequestIsAQuirkNotAnError(body: str, reason: str) -> None:
    """A malformed DCC request is one quirkyMessage line; no handler runs, nothing raises."""
    client, transport = signedOn()
    query(client, body)
    assert client.calls == []
    assert len(client.quirks) == 1 and reason in client.quirks[0]
    assert "malformed DCC" in client.quirks[0]
    assert transport.value() == b""


def test_handlersStillRaiseIRCBadMessage() -> None:
    """Called directly, dcc_SEND raises IRCBadMessage as in Twisted."""
    client, _ = signedOn()
    with pytest.raises(irc.IRCBadMessage, match="port out of range"):
        client.dcc_SEND("alice!a@h", "bot", "f 2130706433 0")


def test_unknownDccTypeGetsErrmsg() -> None:
    """An unknown DCC type is answered with ERRMSG and reported as a quirk."""
    client, transport = signedOn()
    query(client, "DCC XMIT f 1 2")
    assert transport.value() == b"NOTICE alice :\x01ERRMSG DCC XMIT f 1 2 :Unknown DCC type 'XMIT'\x01\r\n"
    assert client.quirks == ["alice!a@127.0.0.1 offered unknown DCC type XMIT"]


def test_resumeAcceptAndChatRequests() -> None:
    """ACCEPT and CHAT reach their hooks; non-numeric RESUME/ACCEPT are ignored as in Twisted."""
    client, _ = signedOn()
    query(client, "DCC ACCEPT file.txt 5000 100")
    query(client, "DCC ACCEPT file.txt 5000 lots")
    query(client, "DCC RESUME file.txt port 100")
    query(client, "DCC CHAT chat 2130706433 5005")
    assert client.calls == [
        ("accept", "alice!a@127.0.0.1", "file.txt", 5000, 100),
        ("chat", "alice!a@127.0.0.1", "bot", "127.0.0.1", 5005, ["chat", "2130706433", "5005"]),
    ]
    assert client.quirks == []


def test_resumeOfSomeoneElsesOfferIsIgnored() -> None:
    """dccDoResume answers only for our own pending offers (none here)."""
    client, transport = signedOn()
    query(client, "DCC RESUME file.txt 5000 100")
    assert transport.value() == b""


# -- receiving ----------------------------------------------------------------------------


def receiver(tmp_path: Path, filename: str, **kwargs: Any) -> tuple[irc.DccFileReceive, StringTransport]:
    proto = irc.DccFileReceive(filename, destDir=str(tmp_path), **kwargs)
    transport = StringTransport()
    proto.makeConnection(transport)
    return proto, transport


@pytest.mark.parametrize(
    "filename, stored",
    [("../../evil.txt", "evil.txt"), ("/etc/passwd", "passwd"), ("..\\..\\win.ini", "win.ini"),
     ("sub/dir/name.bin", "name.bin"), (".hidden", ".hidden")],
)
def test_receiveNeverLeavesTheDirectory(tmp_path: Path, filename: str, stored: str) -> None:
    """Only the last path component is used: the file lands directly inside destDir."""
    inside = tmp_path / "in"
    inside.mkdir()
    proto, transport = receiver(inside, filename)
    proto.dataReceived(b"payload")
    proto.connectionLost(Failure(error.ConnectionDone()))
    assert [p.name for p in inside.iterdir()] == [stored]
    assert (inside / stored).read_bytes() == b"payload"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["in"]
    assert transport.value() == ack(7)


@pytest.mark.parametrize("filename", ["", ".", "..", "dir/..", "a\0b", "/"])
def test_unusableNamesAreRefused(tmp_path: Path, filename: str) -> None:
    """Names that leave nothing usable are OSError(EINVAL) at connection."""
    with pytest.raises(OSError) as caught:
        receiver(tmp_path, filename)
    assert caught.value.errno == errno.EINVAL
    assert list(tmp_path.iterdir()) == []


def test_symlinkInTheDirectoryIsNotFollowed(tmp_path: Path) -> None:
    """A planted symlink cannot redirect the write, even with overwrite allowed."""
    target = tmp_path / "outside.txt"
    target.write_bytes(b"precious")
    inside = tmp_path / "in"
    inside.mkdir()
    (inside / "file.txt").symlink_to(target)
    proto = irc.DccFileReceive("file.txt", destDir=str(inside))
    proto.set_overwrite(True)
    with pytest.raises(OSError) as caught:
        proto.makeConnection(StringTransport())
    assert caught.value.errno == errno.ELOOP
    assert target.read_bytes() == b"precious"


def test_existingFileNeedsOverwrite(tmp_path: Path) -> None:
    """An existing file is EEXIST unless set_overwrite(True), as in Twisted."""
    (tmp_path / "f").write_bytes(b"old")
    with pytest.raises(OSError, match="There's a file in the way") as caught:
        receiver(tmp_path, "f")
    assert caught.value.errno == errno.EEXIST
    proto = irc.DccFileReceive("f", destDir=str(tmp_path))
    proto.set_overwrite(True)
    proto.makeConnection(StringTransport())
    proto.dataReceived(b"new!")
    proto.connectionLost(connectionDone)
    assert (tmp_path / "f").read_bytes() == b"new!"


def test_resumeCutsAndAppends(tmp_path: Path) -> None:
    """Resuming reopens the file at the offset; acks count from it; a missing file is ENOENT."""
    (tmp_path / "f").write_bytes(b"01234garbage")
    proto, transport = receiver(tmp_path, "f", resumeOffset=5)
    proto.dataReceived(b"56789")
    proto.connectionLost(connectionDone)
    assert (tmp_path / "f").read_bytes() == b"0123456789"
    assert transport.value() == ack(10)
    with pytest.raises(OSError, match="does not exist") as caught:
        receiver(tmp_path, "missing", resumeOffset=5)
    assert caught.value.errno == errno.ENOENT


def test_acknowledgementsWrapAt4GiB() -> None:
    """Acks are the running total modulo 2**32, so files over 4 GiB go on."""
    proto = irc.DccFileReceiveBasic(resumeOffset=2**32 - 2)
    transport = StringTransport()
    proto.makeConnection(transport)
    proto.dataReceived(b"abcd")
    assert transport.value() == ack(2)
    assert proto.bytesReceived == 2**32 + 2 and proto.resume


def test_noMoreThanTheAnnouncedSize(tmp_path: Path) -> None:
    """Bytes beyond the announced size are not written; the connection is dropped."""
    proto, transport = receiver(tmp_path, "f", fileSize=6)
    proto.dataReceived(b"1234")
    proto.dataReceived(b"5678")
    assert transport.disconnecting
    proto.connectionLost(connectionDone)
    assert (tmp_path / "f").read_bytes() == b"123456"
    assert transport.value() == ack(4) + ack(6)


def test_setDirectoryChecks(tmp_path: Path) -> None:
    """set_directory refuses missing paths and non-directories."""
    proto = irc.DccFileReceive("f")
    with pytest.raises(OSError, match="no directory"):
        proto.set_directory(str(tmp_path / "nope"))
    (tmp_path / "file").write_bytes(b"")
    with pytest.raises(OSError, match="not a directory"):
        proto.set_directory(str(tmp_path / "file"))
    proto.set_directory(str(tmp_path))
    proto.set_filename("other.bin")
    assert proto.destination() == str(tmp_path / "other.bin")
    assert "Unconnected" in str(proto) and "GET other.bin" in repr(proto)


# -- sending ------------------------------------------------------------------------------


def sender(data: bytes, blocksize: int = 4, resumeOffset: int = 0) -> tuple[irc.DccSendProtocol, StringTransport]:
    proto = irc.DccSendProtocol(io.BytesIO(data), resumeOffset)
    proto.blocksize = blocksize
    transport = StringTransport()
    proto.makeConnection(transport)
    return proto, transport


def test_sendWaitsForEachAcknowledgement() -> None:
    """A block at connection, the next once acknowledged, close after the final ack."""
    proto, transport = sender(b"0123456789")
    assert transport.value() == b"0123"
    proto.dataReceived(ack(2))  # behind: wait
    assert transport.value() == b"0123"
    proto.dataReceived(ack(4))
    assert transport.value() == b"01234567"
    proto.dataReceived(ack(8)[:2])  # an ack split over two reads
    proto.dataReceived(ack(8)[2:])
    assert transport.value() == b"0123456789"
    assert not proto.completed
    proto.dataReceived(ack(10))
    assert proto.completed and transport.disconnecting


def test_coalescedAcknowledgementsUseTheLatest() -> None:
    """Several acks in one read: the last one counts (Twisted's struct.unpack fails)."""
    proto, transport = sender(b"0123456789")
    proto.dataReceived(ack(2) + ack(4))
    assert transport.value() == b"01234567"


def test_acknowledgementAheadDropsTheConnection() -> None:
    """A peer claiming more than was sent is not a transfer we understand."""
    proto, transport = sender(b"0123456789")
    proto.dataReceived(ack(9))
    assert transport.disconnecting and not proto.completed


def test_sendFromAPathAndFromAnOffset(tmp_path: Path) -> None:
    """A path is opened in binary mode; resumeOffset starts the stream there."""
    path = tmp_path / "f.bin"
    path.write_bytes(bytes(range(256)) * 8)
    proto = irc.DccSendProtocol(str(path), resumeOffset=2000)
    transport = StringTransport()
    proto.makeConnection(transport)
    assert transport.value() == (bytes(range(256)) * 8)[2000:]
    proto.dataReceived(ack(2048))
    assert proto.completed
    proto.connectionLost(connectionDone)
    assert proto.file.closed


def test_sendFactoryBuildsFromTheOffset() -> None:
    """DccSendFactory passes its file and resumeOffset to each protocol."""
    factory = irc.DccSendFactory(io.BytesIO(b"abcdef"))
    factory.resumeOffset = 4
    proto = factory.buildProtocol(None)
    assert proto.factory is factory and proto.bytesSent == 4 and proto.file.read() == b"ef"


# -- chat ------------------------------------------------------------------------------------


def test_chatDeliversLinesAsPrivmsg() -> None:
    """LF or CRLF lines, Latin-1 tolerated, each delivered through client.privmsg."""
    client, _ = signedOn()
    got: list[tuple[str, str, str]] = []
    client.privmsg = lambda user, channel, message: got.append((user, channel, message))  # type: ignore[method-assign]
    chat = irc.DccChat(client, ("alice!a@h", "bot", ["chat"]))
    transport = StringTransport()
    chat.makeConnection(transport)
    chat.dataReceived(b"hello\r\nsec")
    chat.dataReceived(b"ond\ncaf\xe9\n")
    assert got == [("alice!a@h", "bot", "hello"), ("alice!a@h", "bot", "second"), ("alice!a@h", "bot", "caf\u00e9")]
    chat.sendLine(b"reply")
    assert transport.value() == b"reply\r\n"
    chat.dataReceived(b"z" * (chat.MAX_LENGTH + 1))
    assert transport.disconnecting


def test_chatFactoryForgetsItself() -> None:
    """The factory leaves client.dcc_sessions when the connection fails or ends."""
    client, _ = signedOn()
    factory = irc.DccChatFactory(client, ("alice!a@h", "bot", ["chat"]))
    client.dcc_sessions = [factory]
    proto = factory.buildProtocol(None)
    assert proto.client is client and proto.remoteParty == "alice!a@h"
    factory.clientConnectionLost(None, Failure(error.ConnectionDone()))
    assert client.dcc_sessions == []
    factory.clientConnectionFailed(None, Failure(error.ConnectionRefusedError()))  # already gone: fine


# -- offers made with dccSend ---------------------------------------------------------------


class Reactor(MemoryReactorClock):
    """Listening ports get distinct numbers and record stopListening."""

    def __init__(self) -> None:
        super().__init__()
        self.stopped: list[int] = []
        self.nextPort = 6000

    def listenTCP(self, port: int, factory: Any, backlog: int = 50, interface: str = "") -> Any:
        super().listenTCP(port, factory, backlog, interface)
        number, self.nextPort = self.nextPort, self.nextPort + 1
        reactor = self

        class Port:
            def getHost(self) -> Any:
                return type("Address", (), {"host": interface, "port": number})()

            def stopListening(self) -> None:
                reactor.stopped.append(number)

        return Port()


def test_dccSendOffersAndListens(tmp_path: Path) -> None:
    """The offer names the file, the IRC connection's address as an integer, the port and size."""
    reactor = Reactor()
    client, transport = signedOn(reactor)
    path = tmp_path / "my file.txt"
    path.write_bytes(b"x" * 300)
    d = client.dccSend("alice", str(path))
    assert reactor.tcpServers[0][3] == "10.0.0.1"  # StringTransport's default host
    assert transport.value() == b'PRIVMSG alice :\x01DCC SEND "my file.txt" 167772161 6000 300\x01\r\n'
    query(client, 'DCC RESUME "my file.txt" 6000 120')
    assert transport.value().endswith(b'PRIVMSG alice :\x01DCC ACCEPT "my file.txt" 6000 120\x01\r\n')
    factory = reactor.tcpServers[0][1]
    assert factory.resumeOffset == 120
    proto = factory.buildProtocol(None)
    assert reactor.stopped == [6000]
    assert proto.bytesSent == 120
    proto.makeConnection(StringTransport())
    proto.dataReceived(ack(300))
    proto.connectionLost(connectionDone)
    assert successResultOf(d) == 300
    assert client._dccOffers == {}
    query(client, 'DCC RESUME "my file.txt" 6000 10')  # too late: no second ACCEPT
    assert transport.value().count(b"ACCEPT") == 1


def test_dccSendExpiresAndCancels() -> None:
    """An offer nobody takes fails with TimeoutError; cancel() stops listening."""
    reactor = Reactor()
    client, _ = signedOn(reactor)
    client.dccOfferTimeout = 30
    expiring = client.dccSend("alice", io.BytesIO(b"data"))
    cancelled = client.dccSend("bob", io.BytesIO(b"data"))
    cancelled.cancel()
    failureResultOf(cancelled, CancelledError)
    assert reactor.stopped == [6001]
    assert len([call for call in reactor.getDelayedCalls() if "DccOffer" in repr(call)]) == 1
    reactor.advance(30)
    failureResultOf(expiring, error.TimeoutError)
    assert reactor.stopped == [6001, 6000]
    assert [call for call in reactor.getDelayedCalls() if "DccOffer" in repr(call)] == []


def test_dccSendBrokenTransferFails() -> None:
    """A transfer that ends before the last ack fails with the connection's reason."""
    reactor = Reactor()
    client, _ = signedOn(reactor)
    d = client.dccSend("alice", io.BytesIO(b"0123456789"))
    proto = reactor.tcpServers[0][1].buildProtocol(None)
    proto.makeConnection(StringTransport())
    proto.connectionLost(Failure(error.ConnectionLost()))
    failureResultOf(d, error.ConnectionLost)


def test_dccSendNeedsAReactor() -> None:
    """A plain Clock cannot listen: TypeError naming the problem."""
    client, _ = signedOn(Clock())
    with pytest.raises(TypeError, match="needs a reactor with listenTCP"):
        client.dccSend("alice", io.BytesIO(b""))


def test_offerArgumentsForIPv6AndUnsizedFiles() -> None:
    """IPv6 hosts are sent as literals; an unknown size is left out."""
    from plait.protocols._irc_dcc import offerArguments

    class Unsized:
        name = "stream.bin"

    assert offerArguments(Unsized(), "::1", 7000) == ["stream.bin", "::1", 7000]
    assert offerArguments(io.BytesIO(b"abc"), "127.0.0.1", 7001) == ["file", "2130706433", 7001, 3]
    assert os.sep not in offerArguments(Unsized(), "::1", 1)[0]


def test_receiverClosesOnceComplete(tmp_path: Path) -> None:
    """With the size known, the last byte's ack is sent and then the connection closed."""
    proto, transport = receiver(tmp_path, "f", fileSize=6)
    proto.dataReceived(b"123")
    assert not transport.disconnecting
    proto.dataReceived(b"456")
    assert transport.disconnecting and transport.value() == ack(3) + ack(6)
    unknown, transport = receiver(tmp_path, "g")
    unknown.dataReceived(b"123456")
    assert not transport.disconnecting  # size unknown: the sender decides
    proto.connectionLost(connectionDone)
    unknown.connectionLost(connectionDone)
