"""IRCClient and hostile or odd input: short lines, encodings, tags, NULs, CTCP.

Every case feeds raw bytes to a signed-on client (StringTransport, Clock)
and checks three things: what reached the callbacks, that the connection
is still up, and that nothing was logged as an error (the ``loggedErrors``
fixture fails the test otherwise).  Malformed lines must reach
``badMessage``; Twisted raises ``IndexError`` inside the handlers instead
and logs a traceback per line.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from plait.protocols import irc
from plait.task import Clock
from plait.testing import StringTransport


class Client(irc.IRCClient):
    nickname = "bot"

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []
        self.bad: list[tuple[str, type[BaseException] | None, str]] = []
        self.quirks: list[str] = []

    def badMessage(self, line: str, excType: Any, excValue: Any, tb: Any) -> None:
        self.bad.append((line, excType, str(excValue)))

    def quirkyMessage(self, s: str) -> None:
        self.quirks.append(s)

    def privmsg(self, user: str, channel: str, message: str) -> None:
        self.events.append(("privmsg", user, channel, message))

    def noticed(self, user: str, channel: str, message: str) -> None:
        self.events.append(("noticed", user, channel, message))

    def userJoined(self, user: str, channel: str) -> None:
        self.events.append(("userJoined", user, channel))

    def userKicked(self, kickee: str, channel: str, kicker: str, message: str) -> None:
        self.events.append(("userKicked", kickee, channel, kicker, message))

    def topicUpdated(self, user: str, channel: str, newTopic: str) -> None:
        self.events.append(("topic", user, channel, newTopic))

    def created(self, when: str) -> None:
        self.events.append(("created", when))


def signedOn(**attrs: Any) -> tuple[Client, StringTransport]:
    client = Client()
    client.clock = Clock()
    for key, value in attrs.items():
        setattr(client, key, value)
    transport = StringTransport()
    client.makeConnection(transport)
    client.dataReceived(b":irc.test 001 bot :Welcome\r\n")
    transport.clear()
    return client, transport


SHORT_LINES = [
    (b":irc.test 003 bot", "RPL_CREATED needs 2 parameters, got 1"),
    (b":irc.test 002", "RPL_YOURHOST needs 2 parameters, got 0"),
    (b":irc.test 004 bot", "RPL_MYINFO needs 2 parameters, got 1"),
    (b":irc.test 251 bot", "RPL_LUSERCLIENT needs 2 parameters, got 1"),
    (b":irc.test 252 bot", "RPL_LUSEROP needs 2 parameters, got 1"),
    (b":irc.test 254 bot", "RPL_LUSERCHANNELS needs 2 parameters, got 1"),
    (b":irc.test 255 bot", "RPL_LUSERME needs 2 parameters, got 1"),
    (b":irc.test 010 bot", "RPL_BOUNCE needs 2 parameters, got 1"),
    (b":irc.test 332 bot #c", "RPL_TOPIC needs 3 parameters, got 2"),
    (b":irc.test 331 bot", "RPL_NOTOPIC needs 2 parameters, got 1"),
    (b":irc.test 375", "RPL_MOTDSTART needs 1 parameters, got 0"),
    (b":irc.test 372", "RPL_MOTD needs 1 parameters, got 0"),
    (b":alice!a@h KICK #c", "KICK needs 2 parameters, got 1"),
    (b":alice!a@h TOPIC #c", "TOPIC needs 2 parameters, got 1"),
    (b":alice!a@h MODE #c", "MODE needs 2 parameters, got 1"),
    (b":alice!a@h JOIN", "JOIN needs 1 parameters, got 0"),
    (b":alice!a@h PART", "PART needs 1 parameters, got 0"),
    (b":alice!a@h NICK", "NICK needs 1 parameters, got 0"),
    (b":alice!a@h PRIVMSG #c", "PRIVMSG needs 2 parameters, got 1"),
    (b":alice!a@h NOTICE", "NOTICE needs 2 parameters, got 0"),
]


@pytest.mark.parametrize("line, problem", SHORT_LINES, ids=[p.split()[0] for _, p in SHORT_LINES])
def test_shortLineGoesToBadMessage(line: bytes, problem: str) -> None:
    """A line with too few parameters for its command reaches badMessage, not the handler."""
    client, transport = signedOn()
    client.dataReceived(line + b"\r\nPING :alive\r\n")
    assert client.bad == [(line.decode(), irc.IRCBadMessage, problem)]
    assert client.events == []
    assert transport.value() == b"PONG alive\r\n"  # the next line still works
    assert not transport.disconnecting


def test_badMessageDefaultLogsWithoutError(caplog: Any) -> None:
    """The default badMessage logs the line and the reason, not as an error."""
    client = irc.IRCClient()
    client.clock = Clock()
    client.makeConnection(StringTransport())
    with caplog.at_level("INFO", logger="plait"):
        client.dataReceived(b":irc.test 332 bot #c\r\n")
    assert ":irc.test 332 bot #c" in caplog.text
    assert "RPL_TOPIC needs 3 parameters, got 2" in caplog.text
    assert all(record.levelname != "ERROR" for record in caplog.records)


def test_exactlyEnoughParametersStillWork() -> None:
    """The minimum counts are not one too many: the shortest valid lines are handled."""
    client, _ = signedOn()
    client.dataReceived(
        b":irc.test 003 bot :long ago\r\n"
        b":irc.test 332 bot #c :a topic\r\n"
        b":alice!a@h KICK #c carol\r\n"
        b":alice!a@h PRIVMSG #c :hi\r\n"
        b":alice!a@h JOIN #c\r\n"
    )
    assert client.bad == []
    assert client.events == [
        ("created", "long ago"),
        ("topic", "irc.test", "#c", "a topic"),
        ("userKicked", "carol", "#c", "alice", "carol"),
        ("privmsg", "alice!a@h", "#c", "hi"),
        ("userJoined", "alice", "#c"),
    ]


def test_longLinesMissingPrefixAndNuls() -> None:
    """A 600-octet line, a line without prefix, and NUL bytes are handled, not fatal."""
    client, transport = signedOn()
    long = b"x" * 600
    client.dataReceived(b":alice!a@h PRIVMSG #c :" + long + b"\r\n")
    client.dataReceived(b"PRIVMSG #c :no prefix\r\n")
    client.dataReceived(b":alice!a@h PRIVMSG #c :nul\x00inside\r\n")
    client.dataReceived(b"\x00\r\n")
    assert client.events == [
        ("privmsg", "alice!a@h", "#c", long.decode()),
        ("privmsg", "", "#c", "no prefix"),
        ("privmsg", "alice!a@h", "#c", "nul\x00inside"),
    ]
    assert client.bad == []  # a lone NUL is an (unknown) command, ignored
    assert not transport.disconnecting


def test_lineOverMaxLengthDropsTheConnectionAsTwisted() -> None:
    """Past LineReceiver.MAX_LENGTH the connection is closed (Twisted does the same)."""
    client, transport = signedOn()
    client.dataReceived(b":alice!a@h PRIVMSG #c :" + b"y" * (client.MAX_LENGTH + 10) + b"\r\n")
    assert transport.disconnecting
    assert client.events == []


@pytest.mark.parametrize(
    "message",
    [b"\x01", b"\x01\x01", b"\x01 \x01", b"\x01PING", b"\x01__class__\x01", b"\x01DCC\x01", b"\x01DCC   \x01",
     b"\x01\\\x01", b"\x01CLIENTINFO NOSUCHTAG\x01"],
)
def test_malformedCtcpIsHarmless(message: bytes) -> None:
    """Odd CTCP never raises; at most it is logged, answered with ERRMSG, or ignored."""
    client, transport = signedOn()
    client.dataReceived(b":alice!a@h PRIVMSG bot :" + message + b"\r\nPING :alive\r\n")
    assert transport.value().endswith(b"PONG alive\r\n")
    assert client.bad == []


# -- the decoding policy ---------------------------------------------------------------


def test_lenientByDefault() -> None:
    """A Latin-1 line falls back to Latin-1, losslessly (Twisted drops the bot)."""
    client, _ = signedOn()
    client.dataReceived(b":alice!a@h PRIVMSG #c :caf\xe9\r\n")
    assert client.events == [("privmsg", "alice!a@h", "#c", "caf\u00e9")]
    assert client.events[0][3].encode("latin-1") == b"caf\xe9"


def test_strictPolicyReportsTheLine() -> None:
    """fallbackEncoding None: an undecodable line goes to badMessage; the connection stays."""
    client, transport = signedOn(fallbackEncoding=None)
    client.dataReceived(b":alice!a@h PRIVMSG #c :caf\xe9\r\n:alice!a@h PRIVMSG #c :ok \xc3\xa9\r\n")
    assert client.bad == [(":alice!a@h PRIVMSG #c :caf\\xe9", UnicodeDecodeError,
                           "'utf-8' codec can't decode byte 0xe9 in position 26: unexpected end of data")]
    assert client.events == [("privmsg", "alice!a@h", "#c", "ok \u00e9")]
    assert not transport.disconnecting


def test_otherFallbackAndOtherEncoding() -> None:
    """The fallback and the main encoding are per connection (cp1252, or a Latin-1 network)."""
    client, _ = signedOn(fallbackEncoding="cp1252")
    client.dataReceived(b":alice!a@h PRIVMSG #c :\x93quoted\x94\r\n")
    assert client.events[-1][3] == "\u201cquoted\u201d"
    latin, transport = signedOn(encoding="latin-1")
    latin.dataReceived(b":alice!a@h PRIVMSG #c :caf\xc3\xa9\r\n")
    assert latin.events[-1][3] == "caf\u00c3\u00a9"
    latin.msg("#c", "caf\u00e9")
    assert transport.value() == b"PRIVMSG #c :caf\xe9\r\n"


def test_unknownCodecFailsAtConnection() -> None:
    """A codec name that does not exist is a LookupError when the connection starts."""
    client = Client()
    client.fallbackEncoding = "no-such-codec"
    with pytest.raises(LookupError):
        client.makeConnection(StringTransport())


def test_tagsAreDropped() -> None:
    """An IRCv3 tag section does not become the command (Twisted dispatches '@time=...')."""
    client, _ = signedOn()
    client.dataReceived(b"@time=2024-01-01T00:00:00.000Z;msgid=abc :alice!a@h PRIVMSG #c :tagged\r\n")
    client.dataReceived(b"@a=b  :alice!a@h NOTICE bot :two spaces\r\n")
    client.dataReceived(b"@lonely-tag\r\n")
    assert client.events == [
        ("privmsg", "alice!a@h", "#c", "tagged"),
        ("noticed", "alice!a@h", "bot", "two spaces"),
    ]
    assert [problem for _, _, problem in client.bad] == ["Empty line."]


# -- the fast path of dataReceived keeps LineReceiver's behaviour ------------------------


class Recorder(Client):
    """Records every command as irc_unknown sees it (no handler is defined for them)."""

    def __init__(self) -> None:
        super().__init__()
        self.seen: list[tuple[str, str, list[str]]] = []

    def irc_unknown(self, prefix: str, command: str, params: list[str]) -> None:
        self.seen.append((prefix, command, params))


def feedRecorder(data: bytes, pieces: int = 1, **attrs: Any) -> Recorder:
    client = Recorder()
    client.clock = Clock()
    client.performLogin = 0
    for key, value in attrs.items():
        setattr(client, key, value)
    client.makeConnection(StringTransport())
    size = max(1, len(data) // pieces)
    for start in range(0, len(data), size):
        client.dataReceived(data[start : start + size])
    return client


lineText = st.lists(st.sampled_from([*"ab:# !@.\t\x1f\u00e9\u2003", "XCMD", " :", "  "]), max_size=30).map("".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(lineText.map(lambda s: "XCMD" + s), min_size=1, max_size=8), st.integers(1, 7))
def test_fastPathParsesLikeParsemsg(lines: list[str], pieces: int) -> None:
    """Whatever the line and however the reads are cut, dispatch agrees with parsemsg."""
    data = "".join(":pre " + line + "\r\n" for line in lines).encode()
    client = feedRecorder(data, pieces)
    assert client.seen == [irc.parsemsg(":pre " + line) for line in lines]
    assert client.bad == []


def test_overriddenLineReceivedAndHandleCommandAreUsed() -> None:
    """A subclass's lineReceived or handleCommand still sees every line (no shortcut)."""

    class Raw(Recorder):
        def lineReceived(self, line: bytes) -> None:
            self.events.append(("raw", line))
            Recorder.lineReceived(self, line)

    class Handled(Recorder):
        def handleCommand(self, command: str, prefix: str, params: list[str]) -> None:
            self.events.append(("handle", command))
            Recorder.handleCommand(self, command, prefix, params)

    raw = feedRecorder(b":a!b@c FOO x\r\n:a!b@c BAR :y z\r\n", 1, __class__=Raw)
    assert raw.events == [("raw", b":a!b@c FOO x"), ("raw", b":a!b@c BAR :y z")]
    handled = feedRecorder(b"FOO x\r\nBAR y\r\n", 1, __class__=Handled)
    assert handled.events == [("handle", "FOO"), ("handle", "BAR")]
    assert handled.seen == [("", "FOO", ["x"]), ("", "BAR", ["y"])]


def test_pauseInACallbackHoldsTheRestOfTheRead() -> None:
    """pauseProducing from a callback stops delivery; resumeProducing delivers the rest in order."""

    class Pausing(Recorder):
        def irc_unknown(self, prefix: str, command: str, params: list[str]) -> None:
            Recorder.irc_unknown(self, prefix, command, params)
            if command == "PAUSE":
                self.pauseProducing()

    client = feedRecorder(b"A 1\r\nPAUSE\r\nB 2\r\nC 3\r\nPARTI", 1, __class__=Pausing)
    assert [c for _, c, _ in client.seen] == ["A", "PAUSE"]
    client.dataReceived(b"AL\r\nD 4\r\n")
    assert [c for _, c, _ in client.seen] == ["A", "PAUSE"]
    client.resumeProducing()
    assert [c for _, c, _ in client.seen] == ["A", "PAUSE", "B", "C", "PARTIAL", "D"]


def test_rawModeInACallbackGetsTheRestRaw() -> None:
    """setRawMode from a callback sends the rest of the read to rawDataReceived, unchanged."""

    class Switching(Recorder):
        def irc_unknown(self, prefix: str, command: str, params: list[str]) -> None:
            Recorder.irc_unknown(self, prefix, command, params)
            self.setRawMode()

        def rawDataReceived(self, data: bytes) -> None:
            self.events.append(("raw", data))

    client = feedRecorder("SWITCH\r\nnot \u00e9 a line\r\ntail".encode(), 1, __class__=Switching)
    assert [c for _, c, _ in client.seen] == ["SWITCH"]
    assert client.events == [("raw", "not \u00e9 a line\ntail".encode())]


def test_noLinesAfterLoseConnection() -> None:
    """Once a callback closes the connection, the rest of the read is not dispatched."""

    class Closing(Recorder):
        def irc_unknown(self, prefix: str, command: str, params: list[str]) -> None:
            Recorder.irc_unknown(self, prefix, command, params)
            assert self.transport is not None
            self.transport.loseConnection()

    client = feedRecorder(b"FIRST\r\nSECOND\r\n", 1, __class__=Closing)
    assert [c for _, c, _ in client.seen] == ["FIRST"]


def test_reentrantDataReceivedKeepsTheOrder() -> None:
    """Data fed from inside a callback joins the stream after what was already received,
    exactly as on LineReceiver's own path (used when lineReceived is overridden)."""

    class Feeding(Recorder):
        def irc_unknown(self, prefix: str, command: str, params: list[str]) -> None:
            Recorder.irc_unknown(self, prefix, command, params)
            if command == "ONE":
                self.dataReceived(b"INNER\r\n")

    class FeedingSlowly(Feeding):
        def lineReceived(self, line: bytes) -> None:
            Feeding.lineReceived(self, line)

    results = []
    for cls in (Feeding, FeedingSlowly):
        client = feedRecorder(b"ONE\r\nTWO\r\nTHR", 1, __class__=cls)
        client.dataReceived(b"EE\r\n")
        results.append([c for _, c, _ in client.seen])
    assert results[0] == results[1] == ["ONE", "TWO", "THRINNER", "EE"]


def test_byteByByteAndMixedEncodings() -> None:
    """One byte per read (characters split across reads), and a Latin-1 line in a UTF-8 read."""
    data = "X caf\u00e9\r\nY \u65e5\u672c\r\n".encode() + b"Z caf\xe9\r\nW ok\r\n"
    client = feedRecorder(data, len(data))
    assert [(c, p) for _, c, p in client.seen] == [
        ("X", ["caf\u00e9"]), ("Y", ["\u65e5\u672c"]), ("Z", ["caf\u00e9"]), ("W", ["ok"]),
    ]
    whole = feedRecorder(data)
    assert whole.seen == client.seen


def test_pauseDuringALineByLineRead() -> None:
    """A read that is not valid UTF-8 goes line by line, and a pause still holds the rest."""

    class Pausing(Recorder):
        def irc_unknown(self, prefix: str, command: str, params: list[str]) -> None:
            Recorder.irc_unknown(self, prefix, command, params)
            if command == "PAUSE":
                self.pauseProducing()

    client = feedRecorder(b"A caf\xe9\r\nPAUSE\r\nB 2\r\n", 1, __class__=Pausing)
    assert [(c, p) for _, c, p in client.seen] == [("A", ["caf\u00e9"]), ("PAUSE", [])]
    client.resumeProducing()
    assert [c for _, c, _ in client.seen] == ["A", "PAUSE", "B"]


def test_handlerErrorThroughAnOverriddenHandleCommand(loggedErrors: Any) -> None:
    """With handleCommand overridden, a handler's exception is still logged and the next line runs."""

    class Wrapping(Recorder):
        def handleCommand(self, command: str, prefix: str, params: list[str]) -> None:
            self.events.append(("handle", command))
            irc.IRCClient.handleCommand(self, command, prefix, params)

        def irc_BOOM(self, prefix: str, params: list[str]) -> None:
            raise RuntimeError("boom")

    client = feedRecorder(b"BOOM\r\nAFTER\r\n", 1, __class__=Wrapping)
    [failure] = loggedErrors.flush(RuntimeError)
    assert str(failure.value) == "boom"
    assert client.events == [("handle", "BOOM"), ("handle", "AFTER")]
    assert client.seen == [("", "AFTER", [])]
