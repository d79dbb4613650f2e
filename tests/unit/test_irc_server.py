"""Sans-IO tests for plait.protocols.irc.IRC (the server side) and ISUPPORT.

The reply helpers are compared byte for byte with the lines Twisted 26.10
writes for the same calls (recorded once from Twisted; the suite never
imports it).  A small server built on ``IRC`` then talks to an
``IRCClient`` through ``connectedServerAndClient``: registration, JOIN
with topic and names, messages both ways, CTCP ACTION, PING/PONG, QUIT.
"""

from __future__ import annotations

import logging
from typing import Any

import pytest

from plait.protocols import irc
from plait.task import Clock
from plait.testing import StringTransport, connectedServerAndClient


class Server(irc.IRC):
    hostname = "irc.test"


def serverAndTransport(**attrs: Any) -> tuple[Server, StringTransport]:
    server = Server()
    for key, value in attrs.items():
        setattr(server, key, value)
    transport = StringTransport()
    server.makeConnection(transport)
    return server, transport


def lines(transport: StringTransport) -> list[bytes]:
    value = transport.value()
    transport.clear()
    assert value.endswith(b"\r\n")
    return value[:-2].split(b"\r\n")


# -- replies, as Twisted writes them ------------------------------------------------


def test_replyHelpersWriteTwistedsLines() -> None:
    """privmsg, notice, action, topic, topicAuthor, who, whois, join, part, channelMode."""
    server, transport = serverAndTransport()
    server.privmsg("alice!a@h", "#c", "hi\nthere")
    server.notice("alice!a@h", "bob", "note")
    server.action("alice!a@h", "#c", "waves")
    server.topic("bob", "#c", "the topic")
    server.topic("bob", "#c", None)
    server.topic("bob", "#c", "new", "alice!a@h")
    server.topicAuthor("bob", "#c", "alice", 1700000000)
    server.who("bob", "#c", [("al", "h.example", "irc.test", "alice", "H", 0, "Alice A"),
                             ("bo", "h2", "irc.test", "bob", "G", 1, "Bob")])
    server.whois("bob", "alice", "al", "h.example", "Alice A", "irc.test", "Test server", True, 42, 1700000000, ["#c", "#d"])
    server.join("alice!a@h", "#c")
    server.part("alice!a@h", "#c")
    server.part("alice!a@h", "#c", "bye now")
    server.channelMode("bob", "#c", "+nt")
    server.channelMode("bob", "#c", "+lk", "10", "key")
    assert lines(transport) == [
        b":alice!a@h PRIVMSG #c :hi\x10nthere",
        b":alice!a@h NOTICE bob :note",
        b":alice!a@h ACTION #c :waves",
        b":irc.test 332 bob #c :the topic",
        b":irc.test 331 bob #c :No topic is set.",
        b":alice!a@h TOPIC #c :new",
        b":irc.test 333 bob #c alice 1700000000",
        b":irc.test 352 bob #c al h.example irc.test alice H :0 Alice A",
        b":irc.test 352 bob #c bo h2 irc.test bob G :1 Bob",
        b":irc.test 315 bob #c :End of /WHO list.",
        b":irc.test 311 bob alice al h.example * :Alice A",
        b":irc.test 312 bob alice irc.test :Test server",
        b":irc.test 313 bob alice :is an IRC operator",
        b":irc.test 317 bob alice 42 1700000000 :seconds idle, signon time",
        b":irc.test 319 bob alice :#c #d",
        b":irc.test 318 bob alice :End of WHOIS list.",
        b":alice!a@h JOIN #c",
        b":alice!a@h PART #c",
        b":alice!a@h PART #c :bye now",
        b":irc.test 324 bob #c +nt ",
        b":irc.test 324 bob #c +lk 10 key",
    ]


def test_whoisWithoutOperLine() -> None:
    """No 313 line for a user who is not an operator."""
    server, transport = serverAndTransport()
    server.whois("bob", "carol", "c", "h", "Carol", "irc.test", "info", False, 0, 0, [])
    assert [line.split(b" ")[1] for line in lines(transport)] == [b"311", b"312", b"317", b"319", b"318"]


def test_whoRejectsUnknownFlag() -> None:
    """A WHO flag other than H or G is a ValueError, not an assert."""
    server, _ = serverAndTransport()
    with pytest.raises(ValueError, match="not 'X'"):
        server.who("bob", "#c", [("u", "h", "s", "n", "X", 0, "r")])


def test_namesFitIn512Octets() -> None:
    """Long name lists are split so every 353 line, CRLF included, is at most 512 octets."""
    server, transport = serverAndTransport()
    names = [f"n{i:03d}" for i in range(120)]
    server.names("bob", "#c", names)
    raw = transport.value().split(b"\r\n")[:-1]
    assert all(len(line) + 2 <= 512 for line in raw)
    assert raw[-1] == b":irc.test 366 bob #c :End of /NAMES list"
    replies = raw[:-1]
    assert len(replies) == 2
    assert all(line.startswith(b":irc.test 353 bob = #c :") for line in replies)
    sent = b" ".join(line.split(b" :", 1)[1] for line in replies).decode().split(" ")
    assert sent == names
    assert len(replies[0]) + 2 > 512 - 6  # the first line is filled, not half empty


def test_namesEmptyAndOneHugeName() -> None:
    """No 353 for an empty list; a name longer than a line still goes out alone."""
    server, transport = serverAndTransport()
    server.names("bob", "#c", [])
    assert lines(transport) == [b":irc.test 366 bob #c :End of /NAMES list"]
    server.names("bob", "#c", ["x" * 600, "y"])
    assert [len(line) > 500 for line in lines(transport)] == [True, False, False]


def test_sendCommandWithPrefixAndTags() -> None:
    """Tags are escaped and put first; a tag without value is its bare name."""
    server, transport = serverAndTransport()
    tags = {"time": "2024-01-01T00:00:00.000Z", "msgid": "a;b c\\d\r\n", "flag": None}
    server.sendCommand("PRIVMSG", ("#c", ":hi"), "alice!a@h", tags)
    server.sendCommand("PING", ["x"])
    assert lines(transport) == [
        b"@time=2024-01-01T00:00:00.000Z;msgid=a\\:b\\sc\\\\d\\r\\n;flag :alice!a@h PRIVMSG #c :hi",
        b"PING x",
    ]


@pytest.mark.parametrize("command, message", [("", "requires a command"), ("A B", "Invalid command"), (":x", "Invalid command")])
def test_sendCommandAndMessageRejectBadCommands(command: str, message: str) -> None:
    """An empty command, or one with a space or a leading colon, is a ValueError."""
    server, _ = serverAndTransport()
    with pytest.raises(ValueError, match=message):
        server.sendCommand(command, [])
    with pytest.raises(ValueError, match=message):
        server.sendMessage(command)


@pytest.mark.parametrize("tag, message", [("", "A tag name is required"), ("bad tag", "invalid characters")])
def test_sendCommandRejectsBadTags(tag: str, message: str) -> None:
    """Tag names must be non-empty and made of letters, digits, - / ."""
    server, _ = serverAndTransport()
    with pytest.raises(ValueError, match=message):
        server.sendCommand("PING", ["x"], tags={tag: "v"})


def test_sendMessageWithPrefix(caplog: Any) -> None:
    """sendMessage joins the parameters; more than 15 of them is logged."""
    caplog.set_level(logging.INFO, logger="plait")
    server, transport = serverAndTransport()
    server.sendMessage("NOTICE", "bob", ":hello", prefix="irc.test")
    server.sendMessage("X", *[str(i) for i in range(16)])
    assert lines(transport) == [b":irc.test NOTICE bob :hello", b"X " + " ".join(str(i) for i in range(16)).encode()]
    assert "Message has 16 parameters (RFC allows 15)" in caplog.text


def test_sendLineRefusesLineBreaks() -> None:
    """A user-supplied CR, LF or NUL can never inject a second command."""
    server, transport = serverAndTransport()
    for bad in ("NOTICE bob :a\r\nQUIT", "x\ny", "nul\0"):
        with pytest.raises(ValueError, match="must not contain CR, LF or NUL"):
            server.sendLine(bad)
    with pytest.raises(ValueError):
        server.part("alice!a@h", "#c", "bye\r\nKILL bob")
    assert transport.value() == b""


def test_sendLineUsesTheEncoding() -> None:
    """Lines are encoded with ``encoding`` (UTF-8 when None)."""
    server, transport = serverAndTransport()
    server.sendLine("caf\u00e9")
    server.encoding = "latin-1"
    server.sendLine("caf\u00e9")
    assert transport.value() == b"caf\xc3\xa9\r\ncaf\xe9\r\n"


def test_connectionMadeHostname(monkeypatch: Any) -> None:
    """Without a hostname, connectionMade takes socket.getfqdn(); channels start empty."""
    monkeypatch.setattr("socket.getfqdn", lambda: "fqdn.test")
    server = irc.IRC()
    server.makeConnection(StringTransport())
    assert server.hostname == "fqdn.test"
    assert server.channels == []
    preset, _ = serverAndTransport()
    assert preset.hostname == "irc.test"


# -- receiving ----------------------------------------------------------------------------


class Recording(Server):
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, list[str]]] = []

    def irc_unknown(self, prefix: str, command: str, params: list[str]) -> None:
        self.calls.append((command, prefix, params))


def test_dispatchSplitsLinesAndUpperCases() -> None:
    """LF or CRLF, split across reads, lower-case commands: one handleCommand per line."""
    server = Recording()
    server.makeConnection(StringTransport())
    server.dataReceived(b"nick alice\r\nUSER a 0 * :Alice A\nPRIV")
    server.dataReceived(b"MSG #c :hi\r\n\r\nx\r\n:pre JOIN #c\n")
    assert server.calls == [
        ("NICK", "", ["alice"]),
        ("USER", "", ["a", "0", "*", "Alice A"]),
        ("PRIVMSG", "", ["#c", "hi"]),
        ("JOIN", "pre", ["#c"]),
    ]


def test_characterSplitAcrossReads() -> None:
    """A UTF-8 character cut between two reads arrives whole (Twisted raises)."""
    server = Recording()
    server.makeConnection(StringTransport())
    data = "PRIVMSG #c :caf\u00e9\r\n".encode()
    cut = data.index(b"\xa9")
    server.dataReceived(data[:cut])
    server.dataReceived(data[cut:])
    assert server.calls == [("PRIVMSG", "", ["#c", "caf\u00e9"])]


def test_decodingPolicy(caplog: Any) -> None:
    """Latin-1 falls back by default; with fallbackEncoding None the line is logged and dropped."""
    caplog.set_level(logging.INFO, logger="plait")
    server = Recording()
    server.makeConnection(StringTransport())
    server.dataReceived(b"PRIVMSG #c :caf\xe9\r\n")
    server.fallbackEncoding = None
    server.dataReceived(b"PRIVMSG #c :caf\xe9\r\nPING :still here\r\n")
    assert server.calls == [("PRIVMSG", "", ["#c", "caf\u00e9"]), ("PING", "", ["still here"])]
    assert "Dropping a malformed IRC line" in caplog.text


def test_malformedLineIsSkipped(caplog: Any) -> None:
    """A line with a prefix and no command is logged; the connection and later lines survive."""
    caplog.set_level(logging.INFO, logger="plait")
    server = Recording()
    transport = StringTransport()
    server.makeConnection(transport)
    server.dataReceived(b":lonely.prefix\r\nPING x\r\n")
    assert server.calls == [("PING", "", ["x"])]
    assert not transport.disconnecting
    assert "malformed IRC line" in caplog.text


def test_overlongLineDropsTheConnection() -> None:
    """A line or an unterminated buffer over MAX_LENGTH calls lineLengthExceeded (after the complete lines)."""
    for data in (b"A" * 20 + b"\r\n", b"B" * 21):
        server = Recording()
        server.MAX_LENGTH = 20
        transport = StringTransport()
        server.makeConnection(transport)
        server.dataReceived(b"PING ok\r\n" + data)
        assert server.calls == [("PING", "", ["ok"])]
        assert transport.disconnecting


def test_noDispatchAfterClosing() -> None:
    """Once the connection is closing, the rest of the read is not dispatched."""

    class Quitter(Recording):
        def irc_QUIT(self, prefix: str, params: list[str]) -> None:
            assert self.transport is not None
            self.transport.loseConnection()

    server = Quitter()
    server.makeConnection(StringTransport())
    server.dataReceived(b"QUIT :bye\r\nPRIVMSG #c :ghost\r\n")
    assert server.calls == []


def test_unknownCommandAndHandlerErrorsAreLogged(loggedErrors: Any) -> None:
    """The default irc_unknown raises NotImplementedError; handleCommand logs it and goes on."""
    server = Server()
    transport = StringTransport()
    server.makeConnection(transport)
    server.dataReceived(b"FROB x\r\nFROB y\r\n")
    failures = loggedErrors.flush(NotImplementedError)
    assert [f.value.args for f in failures] == [("FROB", "", ["x"]), ("FROB", "", ["y"])]
    assert not transport.disconnecting


# -- IRCClient and IRC, talking ------------------------------------------------------------


class MiniServer(irc.IRC):
    """Just enough of a server for one client and a pretend 'alice'."""

    hostname = "irc.test"

    def __init__(self) -> None:
        self.nick = "*"
        self.heard: list[tuple[str, list[str]]] = []

    def irc_NICK(self, prefix: str, params: list[str]) -> None:
        self.nick = params[0]

    def irc_USER(self, prefix: str, params: list[str]) -> None:
        self.sendCommand("001", [self.nick, ":Welcome to the test network"], self.hostname)
        self.sendCommand("005", [self.nick, "NICKLEN=30", "CHANTYPES=#", ":are supported"], self.hostname)
        self.sendCommand("422", [self.nick, ":MOTD File is missing"], self.hostname)

    def irc_JOIN(self, prefix: str, params: list[str]) -> None:
        channel = params[0]
        self.join(f"{self.nick}!u@127.0.0.1", channel)
        self.topic(self.nick, channel, "welcome to " + channel)
        self.names(self.nick, channel, [self.nick, "@alice"])

    def irc_PRIVMSG(self, prefix: str, params: list[str]) -> None:
        self.heard.append(("PRIVMSG", params))

    def irc_PONG(self, prefix: str, params: list[str]) -> None:
        self.heard.append(("PONG", params))

    def irc_QUIT(self, prefix: str, params: list[str]) -> None:
        self.heard.append(("QUIT", params))
        assert self.transport is not None
        self.transport.loseConnection()


class Client(irc.IRCClient):
    nickname = "bot"

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []

    def signedOn(self) -> None:
        self.events.append(("signedOn", self.nickname))
        self.join("c")

    def joined(self, channel: str) -> None:
        self.events.append(("joined", channel, self.supported.getFeature("NICKLEN")))

    def topicUpdated(self, user: str, channel: str, newTopic: str) -> None:
        self.events.append(("topic", channel, newTopic))

    def privmsg(self, user: str, channel: str, message: str) -> None:
        self.events.append(("privmsg", user, channel, message))

    def action(self, user: str, channel: str, data: str | None) -> None:
        self.events.append(("action", user, channel, data))

    def connectionLost(self, reason: Any = None) -> None:
        self.events.append(("lost",))
        irc.IRCClient.connectionLost(self, reason)


def test_clientAndServerTalkInMemory() -> None:
    """Registration, JOIN with topic, messages both ways, CTCP, PING/PONG and QUIT."""
    clock = Clock()

    def makeClient() -> Client:
        client = Client()
        client.clock = clock
        return client

    client, server, pump = connectedServerAndClient(MiniServer, makeClient, clock)
    assert client.events[:3] == [("signedOn", "bot"), ("joined", "#c", 30), ("topic", "#c", "welcome to #c")]
    server.privmsg("alice!a@127.0.0.1", "#c", "hello bot")
    server.sendLine(":alice!a@127.0.0.1 PRIVMSG #c :\x01ACTION waves\x01")
    client.say("c", "hello alice")
    client.describe("#c", "bows")
    server.sendLine("PING :irc.test")
    pump.flush()
    assert client.events[3:] == [
        ("privmsg", "alice!a@127.0.0.1", "#c", "hello bot"),
        ("action", "alice!a@127.0.0.1", "#c", "waves"),
    ]
    assert server.heard == [
        ("PRIVMSG", ["#c", "hello alice"]),
        ("PRIVMSG", ["#c", "\x01ACTION bows\x01"]),
        ("PONG", ["irc.test"]),
    ]
    client.quit("bye")
    pump.flush()
    assert server.heard[-1] == ("QUIT", ["bye"])
    assert client.events[-1] == ("lost",)
    assert clock.getDelayedCalls() == []  # the heartbeat stopped with the connection


# -- ServerSupportedFeatures ---------------------------------------------------------------------


def test_isupportDispatchAndHelpers() -> None:
    """Twisted's class methods and isupport_* dispatch, unknown features as tuples."""
    features = irc.ServerSupportedFeatures()
    assert features._splitParamArgs(["A:1", "B"]) == [("A", "1"), ("B", "")]
    assert features._splitParamArgs(["A:1", "B:x"], lambda v: v * 2) == [("A", "11"), ("B", "xx")]
    assert features._unescapeParamValue("a\\x20b\\x3Dc") == "a b=c"
    with pytest.raises(ValueError, match="Invalid hex octet"):
        features._unescapeParamValue("a\\xZZ")
    assert features._splitParam("KEY=a,b\\x2C") == ("KEY", ["a", "b,"])
    assert features._splitParam("FLAG") == ("FLAG", [""])
    assert features._parsePrefixParam("(qaohv)~&@%+")["h"] == ("%", 3)
    assert features._parsePrefixParam("") is None
    features.parse(["FOO=1,2", "NETWORK=Test\\x20Net", "-MODES", "TARGMAX=PRIVMSG:4,NOTICE:"])
    assert features.getFeature("FOO") == ("1", "2")
    assert features.getFeature("NETWORK") == "Test Net"
    assert not features.hasFeature("MODES")
    assert features.getFeature("TARGMAX") == {"PRIVMSG": 4, "NOTICE": None}


def test_isupportSubclassAddsAFeature() -> None:
    """A subclass teaches the parser a feature with an isupport_* method."""

    class Features(irc.ServerSupportedFeatures):
        def isupport_WATCH(self, params: list[str]) -> int:
            return int(params[0]) * 10

    features = Features()
    features.parse(["WATCH=12"])
    assert features.getFeature("WATCH") == 120


def test_isupportBadEscapeKeepsTheRestOfTheLine() -> None:
    """A bad \\xHH escape leaves that feature alone; the other tokens still apply."""
    features = irc.ServerSupportedFeatures()
    features.parse(["NICKLEN=3\\xZZ", "CHANNELLEN=50"])
    assert features.getFeature("NICKLEN") == 9
    assert features.getFeature("CHANNELLEN") == 50


def test_isupportDispatchWithoutUnknownHandler() -> None:
    """Without isupport_unknown, an unknown feature raises UnhandledCommand."""

    class Strict(irc.ServerSupportedFeatures):
        isupport_unknown = None  # type: ignore[assignment]

    with pytest.raises(irc.UnhandledCommand, match="isupport_'WHATEVER'"):
        Strict().parse(["WHATEVER=1"])
