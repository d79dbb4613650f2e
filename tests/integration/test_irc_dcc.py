"""DCC SEND over real TCP on 127.0.0.1: byte-exact files, resume, hostile names.

Two IRCClients meet on an IRC server, either a small relay built on
plait's own ``irc.IRC`` (so the server side is exercised on real sockets
too) or ngircd; one offers a file with ``dccSend``, the other accepts in
``dccDoSend`` by connecting a ``DccFileReceive`` (or asks to resume, when
part of the file is already there).  socat, as a DCC sender nobody here
wrote, serves files (also from an offset) to plait's receiver.  Every
transfer is compared byte for byte and every wait is bounded.
"""

from __future__ import annotations

import io
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from plait.defer import Deferred, gatherResults
from plait.protocol import ClientFactory, ServerFactory
from plait.protocols import irc
from tests.helpers import runUntil
from tests.integration.ircservers import startServer, stopServer
from tests.integration.test_tcp_peers import socatPeer


def payload(size: int, seed: int = 13) -> bytes:
    return random.Random(seed).randbytes(size)


# -- a relay server on plait's IRC protocol -------------------------------------------------


class Relay(irc.IRC):
    """Registration and private PRIVMSG/NOTICE between connected nicks."""

    hostname = "relay.test"
    factory: RelayFactory

    def connectionMade(self) -> None:
        irc.IRC.connectionMade(self)
        self.nick = "*"

    def irc_NICK(self, prefix: str, params: list[str]) -> None:
        self.nick = params[0]

    def irc_USER(self, prefix: str, params: list[str]) -> None:
        self.factory.users[self.nick] = self
        self.sendCommand("001", [self.nick, ":Welcome"], self.hostname)

    def irc_PRIVMSG(self, prefix: str, params: list[str]) -> None:
        self._relay("PRIVMSG", params)

    def irc_NOTICE(self, prefix: str, params: list[str]) -> None:
        self._relay("NOTICE", params)

    def _relay(self, command: str, params: list[str]) -> None:
        target = self.factory.users.get(params[0])
        if target is not None:
            target.sendCommand(command, [params[0], ":" + irc.lowQuote(params[1])], f"{self.nick}!u@127.0.0.1")

    def irc_unknown(self, prefix: str, command: str, params: list[str]) -> None:
        """PONG, QUIT...: nothing to do."""

    def connectionLost(self, reason: Any = None) -> None:
        if self.factory.users.get(self.nick) is self:
            del self.factory.users[self.nick]
        self.factory.open.remove(self)
        if not self.factory.open and self.factory.allGone is not None:
            self.factory.allGone.callback(None)


class RelayFactory(ServerFactory[Relay]):
    protocol = Relay

    def __init__(self) -> None:
        self.users: dict[str, Relay] = {}
        self.open: list[Relay] = []
        self.allGone: Deferred[None] | None = None

    def buildProtocol(self, addr: Any) -> Relay:
        relay = super().buildProtocol(addr)
        assert relay is not None
        self.open.append(relay)
        return relay

    def closeAll(self, reactor: Any) -> None:
        """Close every connection still open and wait until they are gone."""
        if not self.open:
            return
        self.allGone = Deferred()
        for relay in list(self.open):
            assert relay.transport is not None
            relay.transport.loseConnection()
        runUntil(reactor, self.allGone, timeout=5)


# -- the two clients --------------------------------------------------------------------------


class Getter(irc.DccFileReceive):
    """A DccFileReceive that reports its end."""

    def __init__(self, done: Deferred[Getter], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.done = done

    def connectionLost(self, reason: Any = None) -> None:
        super().connectionLost(reason)
        self.done.callback(self)


class Peer(irc.IRCClient):
    """Signs on; as a receiver, accepts (or resumes) every DCC SEND into ``destDir``."""

    heartbeatInterval = None

    def __init__(self, nickname: str, reactor: Any, destDir: Path | None = None) -> None:
        self.nickname = nickname
        self.clock = reactor
        self.destDir = destDir
        self.signedOnD: Deferred[None] = Deferred()
        self.transfer: Deferred[Getter] = Deferred()
        self.offers: dict[int, tuple[str, str, int]] = {}
        self.quirks: list[str] = []

    def signedOn(self) -> None:
        self.signedOnD.callback(None)

    def quirkyMessage(self, s: str) -> None:
        self.quirks.append(s)

    def dccDoSend(self, user: str, address: str, port: int, fileName: str, size: int, data: list[str]) -> None:
        assert self.destDir is not None
        self.offers[port] = (address, fileName, size)
        partial = self.destDir / irc.DccFileReceive(fileName).destination().rsplit("/", 1)[-1]
        if partial.exists() and 0 < partial.stat().st_size < size:
            self.dccResume(user.split("!")[0], fileName, port, partial.stat().st_size)
        else:
            self._fetch(user, port, 0)

    def dccDoAcceptResume(self, user: str, file: str, port: int, resumePos: int) -> None:
        self._fetch(user, port, resumePos)

    def _fetch(self, user: str, port: int, offset: int) -> None:
        address, fileName, size = self.offers[port]
        done = self.transfer
        factory = ClientFactory.forProtocol(
            lambda: Getter(done, fileName, size, (user, self.nickname, []), str(self.destDir), resumeOffset=offset)
        )
        self.clock.connectTCP(address, port, factory)


@pytest.fixture
def relay(reactor: Any) -> Iterator[tuple[str, int]]:
    factory = RelayFactory()
    port = reactor.listenTCP(0, factory, interface="127.0.0.1")
    yield "127.0.0.1", port.getHost().port
    port.stopListening()
    factory.closeAll(reactor)


def connectPair(reactor: Any, host: str, port: int, destDir: Path) -> tuple[Peer, Peer]:
    sender, receiver = Peer("sender", reactor), Peer("receiver", reactor, destDir)
    for peer in (sender, receiver):
        reactor.connectTCP(host, port, ClientFactory.forProtocol(lambda peer=peer: peer))
    runUntil(reactor, gatherResults([sender.signedOnD, receiver.signedOnD]), timeout=10)
    return sender, receiver


def disconnect(reactor: Any, *peers: Peer) -> None:
    closed = []
    for peer in peers:
        if peer.transport is not None and peer.connected:
            d: Deferred[None] = Deferred()
            lost = peer.connectionLost

            def connectionLost(reason: Any, lost: Any = lost, d: Deferred[None] = d) -> None:
                lost(reason)
                d.callback(None)

            peer.connectionLost = connectionLost  # type: ignore[method-assign]
            peer.transport.loseConnection()
            closed.append(d)
    if closed:
        runUntil(reactor, gatherResults(closed), timeout=5)


# -- plait to plait ------------------------------------------------------------------------------


def test_dccSendArrivesByteExact(reactor: Any, relay: tuple[str, int], tmp_path: Path) -> None:
    """A 300 kB file offered with dccSend arrives identical, acknowledged to the last byte."""
    data = payload(300_000)
    source = tmp_path / "source" / "report 2024.bin"
    source.parent.mkdir()
    source.write_bytes(data)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    sender, receiver = connectPair(reactor, *relay, inbox)
    try:
        sent = sender.dccSend("receiver", str(source))
        getter = runUntil(reactor, receiver.transfer, timeout=20)
        assert runUntil(reactor, sent, timeout=5) == len(data)
        assert (inbox / "report 2024.bin").read_bytes() == data
        assert getter.bytesReceived == len(data)
        assert [p.name for p in inbox.iterdir()] == ["report 2024.bin"]
        assert sender._dccOffers == {}
    finally:
        disconnect(reactor, sender, receiver)


def test_dccResumeCompletesThePartialFile(reactor: Any, relay: tuple[str, int], tmp_path: Path) -> None:
    """RESUME/ACCEPT: only the missing tail travels, and the file ends up byte-exact."""
    data = payload(200_000, seed=7)
    source = tmp_path / "big.bin"
    source.write_bytes(data)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "big.bin").write_bytes(data[:123_456])
    sender, receiver = connectPair(reactor, *relay, inbox)
    try:
        with open(source, "rb") as f:  # a file object this time
            sent = sender.dccSend("receiver", f)
            getter = runUntil(reactor, receiver.transfer, timeout=20)
            assert runUntil(reactor, sent, timeout=5) == len(data)
        assert getter.resume and getter.bytesReceived == len(data)
        assert (inbox / "big.bin").read_bytes() == data
    finally:
        disconnect(reactor, sender, receiver)


def test_hostileFileNameStaysInTheInbox(reactor: Any, relay: tuple[str, int], tmp_path: Path) -> None:
    """An offer named ../../escape.txt is written as inbox/escape.txt, nowhere else."""
    inbox = tmp_path / "deep" / "inbox"
    inbox.mkdir(parents=True)
    sender, receiver = connectPair(reactor, *relay, inbox)
    served: Deferred[None] = Deferred()

    class Sending(irc.DccSendProtocol):
        def connectionLost(self, reason: Any = None) -> None:
            super().connectionLost(reason)
            served.callback(None)

    factory = irc.DccSendFactory(io.BytesIO(b"gotcha"))
    factory.protocol = Sending
    server = reactor.listenTCP(0, factory, interface="127.0.0.1")
    try:
        sender.ctcpMakeQuery("receiver", [("DCC", ["SEND", "../../escape.txt", "2130706433", server.getHost().port, 6])])
        runUntil(reactor, gatherResults([receiver.transfer, served]), timeout=10)
        assert (inbox / "escape.txt").read_bytes() == b"gotcha"
        assert sorted(p.name for p in tmp_path.rglob("*")) == ["deep", "escape.txt", "inbox"]
    finally:
        server.stopListening()
        disconnect(reactor, sender, receiver)


def test_malformedOffersOverTheWireAreQuirks(reactor: Any, relay: tuple[str, int], tmp_path: Path) -> None:
    """Port 0, a bad address and a negative size: quirks or 'unknown size', no error logged."""
    sender, receiver = connectPair(reactor, *relay, tmp_path)
    try:
        sender.ctcpMakeQuery("receiver", [("DCC", ["SEND", "a", "2130706433", 0, 5])])
        sender.ctcpMakeQuery("receiver", [("DCC", ["SEND", "b", "not.an.address", 5000, 5])])
        sender.ping("receiver", "sync")  # CTCP PING: answered after both offers were handled
        pong: Deferred[None] = Deferred()
        sender.pong = lambda user, secs: pong.callback(None)  # type: ignore[method-assign]
        runUntil(reactor, pong, timeout=10)
        assert receiver.offers == {}
        assert [q.split(": ", 1)[1] for q in receiver.quirks] == [
            "DCC port out of range: 0",
            "Indecipherable address 'not.an.address'",
        ]
    finally:
        disconnect(reactor, sender, receiver)


def test_dccSendThroughNgircd(reactor: Any, tmp_path: Path) -> None:
    """The same transfer with the CTCP offer relayed by ngircd, a server nobody here wrote."""
    server = startServer("ngircd")
    data = payload(65_000, seed=3)
    (tmp_path / "file.dat").write_bytes(data)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    try:
        sender, receiver = connectPair(reactor, server.host, server.port, inbox)
        try:
            sent = sender.dccSend("receiver", str(tmp_path / "file.dat"))
            runUntil(reactor, receiver.transfer, timeout=20)
            assert runUntil(reactor, sent, timeout=5) == len(data)
            assert (inbox / "file.dat").read_bytes() == data
        finally:
            disconnect(reactor, sender, receiver)
    finally:
        stopServer(server)


# -- socat as the sender ----------------------------------------------------------------------------


@pytest.mark.parametrize("offset", [0, 40_000])
def test_receiveFromSocat(reactor: Any, tmp_path: Path, offset: int) -> None:
    """socat streams a file (from an offset, for a resume) to plait's DccFileReceive."""
    data = payload(100_000, seed=offset)
    (tmp_path / "served.bin").write_bytes(data)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    if offset:
        (inbox / "served.bin").write_bytes(data[:offset])
    # socat runs a shell that sends the file (from the offset) and then reads
    # the acknowledgements until plait's receiver closes the connection.
    serve = f"SYSTEM:tail -c +{offset + 1} {tmp_path / 'served.bin'}; cat >/dev/null"
    with socatPeer("TCP4-LISTEN", serve, "127.0.0.1") as port:
        done: Deferred[Getter] = Deferred()
        factory = ClientFactory.forProtocol(
            lambda: Getter(done, "served.bin", len(data), ("socat", "me", []), str(inbox), resumeOffset=offset)
        )
        reactor.connectTCP("127.0.0.1", port, factory)
        getter = runUntil(reactor, done, timeout=20)
    assert getter.bytesReceived == len(data)
    assert (inbox / "served.bin").read_bytes() == data
