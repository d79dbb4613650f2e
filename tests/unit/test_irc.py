"""Sans-IO tests for plait.protocols.irc: parsing helpers and IRCClient.

The client is driven with ``StringTransport`` (what it writes is compared
byte for byte) and a ``task.Clock`` assigned to its ``clock`` attribute
(heartbeat, lineRate throttling, PING round trips).  Server lines are fed
with ``dataReceived`` exactly as they would arrive on the wire.
"""

from __future__ import annotations

from typing import Any

import pytest

from plait.protocols import irc
from plait.task import Clock
from plait.testing import StringTransport, StringTransportWithDisconnection

CALLBACKS = [
    "created", "yourHost", "myInfo", "luserClient", "bounce", "isupport",
    "luserChannels", "luserOp", "luserMe", "privmsg", "joined", "left",
    "noticed", "modeChanged", "pong", "signedOn", "kickedFrom", "nickChanged",
    "userJoined", "userLeft", "userQuit", "userKicked", "action",
    "topicUpdated", "userRenamed", "receivedMOTD",
]


def _recorder(name: str) -> Any:
    base = getattr(irc.IRCClient, name)

    def record(self: Recorder, *args: Any) -> None:
        self.events.append((name, *args))
        base(self, *args)

    return record


class Recorder(irc.IRCClient):
    """An IRCClient that records every callback as a tuple."""

    nickname = "bot"

    def __init__(self) -> None:
        self.events: list[tuple[Any, ...]] = []


for _name in CALLBACKS:
    setattr(Recorder, _name, _recorder(_name))


@pytest.fixture
def clock() -> Clock:
    return Clock()


def connected(clock: Clock, **attrs: Any) -> tuple[Recorder, StringTransport]:
    client = Recorder()
    client.clock = clock
    for key, value in attrs.items():
        setattr(client, key, value)
    transport = StringTransport()
    client.makeConnection(transport)
    return client, transport


def signedOn(clock: Clock, **attrs: Any) -> tuple[Recorder, StringTransport]:
    client, transport = connected(clock, **attrs)
    client.dataReceived(b":irc.example.net 001 bot :Welcome to IRC\r\n")
    transport.clear()
    client.events.clear()
    return client, transport


def feed(client: irc.IRCClient, *lines: bytes) -> None:
    client.dataReceived(b"".join(line + b"\r\n" for line in lines))


# -- constants --------------------------------------------------------------------


def test_numericTables() -> None:
    """140 numerics as strings, and two exact inverse tables."""
    assert len(irc.symbolic_to_numeric) == 140
    assert irc.numeric_to_symbolic == {v: k for k, v in irc.symbolic_to_numeric.items()}
    assert irc.RPL_WELCOME == "001"
    assert irc.RPL_ISUPPORT == "005"
    assert irc.RPL_BOUNCE == "010"
    assert irc.ERR_NICKNAMEINUSE == "433"
    assert irc.ERR_ALREADYREGISTRED == "462"
    assert irc.ERR_ERRONEUSNICKNAME == "432"
    assert irc.ERR_USERSDONTMATCH == "502"
    assert irc.numeric_to_symbolic["376"] == "RPL_ENDOFMOTD"
    for name, value in irc.symbolic_to_numeric.items():
        assert getattr(irc, name) == value and len(value) == 3


def test_moduleConstants() -> None:
    """The control characters and limits of Twisted's module."""
    assert (irc.MAX_COMMAND_LENGTH, irc.CHANNEL_PREFIXES) == (512, "&#!+")
    assert (irc.NUL, irc.CR, irc.NL, irc.LF, irc.SPC) == ("\0", "\r", "\n", "\n", " ")
    assert (irc.X_DELIM, irc.M_QUOTE, irc.X_QUOTE) == ("\x01", "\x10", "\\")


# -- parsing helpers -----------------------------------------------------------------


@pytest.mark.parametrize(
    "line, expected",
    [
        (":nick!u@h PRIVMSG #c :hello world", ("nick!u@h", "PRIVMSG", ["#c", "hello world"])),
        ("PING :x", ("", "PING", ["x"])),
        (":srv 005 bot A=1 B :are supported", ("srv", "005", ["bot", "A=1", "B", "are supported"])),
        ("MODE #c +o  alice", ("", "MODE", ["#c", "+o", "alice"])),
        (":srv NOTICE bot :", ("srv", "NOTICE", ["bot", ""])),
        ("QUIT", ("", "QUIT", [])),
        ("PRIVMSG #c :a :b", ("", "PRIVMSG", ["#c", "a :b"])),
    ],
)
def test_parsemsg(line: str, expected: tuple[str, str, list[str]]) -> None:
    """parsemsg splits prefix, command and arguments; one trailing argument."""
    assert irc.parsemsg(line) == expected


@pytest.mark.parametrize("line", ["", ":prefix-only", ":srv ", "   ", " :trailing"])
def test_parsemsgRejectsLinesWithoutCommand(line: str) -> None:
    """An empty line or a line without a command raises IRCBadMessage."""
    with pytest.raises(irc.IRCBadMessage):
        irc.parsemsg(line)


def test_split() -> None:
    """split wraps at whitespace within length and breaks at every newline."""
    assert irc.split("a b c d e f", 3) == ["a b", "c d", "e f"]
    assert irc.split("one\ntwo\n\nthree") == ["one", "two", "three"]
    assert irc.split("x" * 10, 4) == ["xxxx", "xxxx", "xx"]
    assert irc.split("") == []


def test_lowQuoteRoundTrip() -> None:
    """lowQuote escapes \\x10, NUL, LF and CR; lowDequote undoes it."""
    raw = "a\x10b\0c\nd\re"
    quoted = irc.lowQuote(raw)
    assert quoted == "a\x10\x10b\x100c\x10nd\x10re"
    assert "\n" not in quoted and "\r" not in quoted and "\0" not in quoted
    assert irc.lowDequote(quoted) == raw
    assert irc.lowDequote("\x10x") == "x"  # unknown escape: the character itself


def test_ctcpQuoteRoundTrip() -> None:
    """ctcpQuote escapes \\x01 and backslash; ctcpDequote undoes it."""
    raw = "a\x01b\\c"
    assert irc.ctcpQuote(raw) == "a\\ab\\\\c"
    assert irc.ctcpDequote(irc.ctcpQuote(raw)) == raw


def test_ctcpExtract() -> None:
    """Extended parts become (tag, data) pairs; normal text is kept apart."""
    assert irc.ctcpExtract("\x01ACTION waves\x01") == {"extended": [("ACTION", "waves")], "normal": []}
    assert irc.ctcpExtract("hi \x01VERSION\x01 there\x01PING 1 2\x01") == {
        "extended": [("VERSION", None), ("PING", "1 2")],
        "normal": ["hi ", " there"],
    }
    assert irc.ctcpExtract("\x01\x01plain") == {"extended": [], "normal": ["plain"]}


def test_ctcpStringify() -> None:
    """Tags with data, without data, and with a list of values."""
    assert irc.ctcpStringify([("PING", "123"), ("VERSION", None)]) == "\x01PING 123\x01\x01VERSION\x01"
    assert irc.ctcpStringify([("DCC", ["SEND", "f", 1, 2])]) == "\x01DCC SEND f 1 2\x01"
    assert irc.ctcpStringify([("X", "a\x01b")]) == "\x01X a\\ab\x01"


def test_parseModes() -> None:
    """Modes with and without parameters, in both directions."""
    assert irc.parseModes("+ov-b", ["alice", "bob", "*!*@*"], ("ovb", "ovb")) == (
        [("o", "alice"), ("v", "bob")],
        [("b", "*!*@*")],
    )
    assert irc.parseModes("+n-t", []) == ([("n", None)], [("t", None)])
    params = ["10"]
    assert irc.parseModes("+l", params, ("l", "")) == ([("l", "10")], [])
    assert params == ["10"]  # not consumed


@pytest.mark.parametrize(
    "modes, params, message",
    [
        ("", [], "Empty mode string"),
        ("o", [], "Malformed"),
        ("+", [], "Empty mode sequence"),
        ("+-o", [], "Empty mode sequence"),
        ("+o", [], "Not enough parameters"),
        ("+n", ["extra"], "Too many parameters"),
    ],
)
def test_parseModesErrors(modes: str, params: list[str], message: str) -> None:
    """Bad mode strings raise IRCBadModes (a ValueError)."""
    with pytest.raises(irc.IRCBadModes, match=message):
        irc.parseModes(modes, params, ("o", "o"))
    assert issubclass(irc.IRCBadModes, ValueError)


# -- ISUPPORT ----------------------------------------------------------------------


def test_serverSupportedFeaturesDefaults() -> None:
    """The RFC defaults are present before any 005."""
    features = irc.ServerSupportedFeatures()
    assert features.getFeature("CHANNELLEN") == 200
    assert features.getFeature("CHANTYPES") == ("#", "&")
    assert features.getFeature("MODES") == 3
    assert features.getFeature("NICKLEN") == 9
    assert features.getFeature("PREFIX") == {"o": ("@", 0), "v": ("+", 1), "h": ("%", 2)}
    assert features.getFeature("CHANMODES") == {"addressModes": "b", "param": "", "setParam": "lk", "noParam": ""}
    assert features.getFeature("NOPE", "dflt") == "dflt"
    assert features.hasFeature("NICKLEN") and not features.hasFeature("NOPE")


def test_serverSupportedFeaturesParse() -> None:
    """ngircd's real 005 tokens, plus the typed features and removals."""
    features = irc.ServerSupportedFeatures()
    features.parse(
        ["CHANTYPES=#&+", "PREFIX=(qaohv)~&@%+", "CASEMAPPING=ascii", "NICKLEN=30",
         "CHANNELLEN=50", "TOPICLEN=490", "PENALTY", "CHANLIMIT=#:10,&:",
         "TARGMAX=PRIVMSG:3,JOIN:", "EXCEPTS", "INVEX=J", "NETWORK=a\\x20b", "-MODES",
         "MAXLIST=b:60", "SAFELIST", "STATUSMSG=@+", "IDCHAN=!:5", "KICKLEN=x",
         "CHANMODES=beI,k,l,imnpst"]
    )
    get = features.getFeature
    assert get("CHANTYPES") == ("#", "&", "+")
    assert get("PREFIX") == {"q": ("~", 0), "a": ("&", 1), "o": ("@", 2), "h": ("%", 3), "v": ("+", 4)}
    assert get("CASEMAPPING") == ("ascii",)
    assert (get("NICKLEN"), get("CHANNELLEN"), get("TOPICLEN")) == (30, 50, 490)
    assert get("PENALTY") == ("",)
    assert get("CHANLIMIT") == [("#", 10), ("&", None)]
    assert get("TARGMAX") == {"PRIVMSG": 3, "JOIN": None}
    assert (get("EXCEPTS"), get("INVEX"), get("NETWORK")) == ("e", "J", "a b")
    assert not features.hasFeature("MODES")
    assert get("MAXLIST") == [("b", 60)]
    assert get("SAFELIST") is True and get("STATUSMSG") == "@+"
    assert get("IDCHAN") == [("!", "5")] and get("KICKLEN") is None
    assert get("CHANMODES") == {"addressModes": "beI", "param": "k", "setParam": "l", "noParam": "imnpst"}


def test_serverSupportedFeaturesBadValuesKeepDefaults() -> None:
    """Unparsable values leave the previous value in place."""
    features = irc.ServerSupportedFeatures()
    features.parse(["NICKLEN=abc", "PREFIX=bad", "CHANMODES=a,b,c,d,e", "CHANNELLEN=", "X=\\xZZ"])
    assert features.getFeature("NICKLEN") == 9
    assert features.getFeature("PREFIX") == {"o": ("@", 0), "v": ("+", 1), "h": ("%", 2)}
    assert features.getFeature("CHANMODES")["setParam"] == "lk"
    assert features.getFeature("CHANNELLEN") == 200
    assert not features.hasFeature("X")
    features.parse(["PREFIX="])
    assert features.getFeature("PREFIX") is None


# -- registration --------------------------------------------------------------------


def test_registrationOnConnect(clock: Clock) -> None:
    """makeConnection sends NICK and USER, with ':None' for an unset realname."""
    _, transport = connected(clock)
    assert transport.value() == b"NICK bot\r\nUSER bot foo bar :None\r\n"


def test_registrationWithPasswordAndNames(clock: Clock) -> None:
    """PASS goes first; username and realname are used when set."""
    _, transport = connected(clock, password="secret", username="ident", realname="Real Name")
    assert transport.value() == b"PASS secret\r\nNICK bot\r\nUSER ident foo bar :Real Name\r\n"


def test_noRegistrationWithoutPerformLogin(clock: Clock) -> None:
    """performLogin = 0 leaves registration to the user."""
    client, transport = connected(clock, performLogin=0)
    assert transport.value() == b""
    client.register("me", "h", "s")
    assert transport.value() == b"NICK me\r\nUSER me h s :None\r\n"


def test_nickCollisionDuringRegistration(clock: Clock) -> None:
    """433 -> NICK bot_; 001 then signs on as bot_ with the server's name."""
    client, transport = connected(clock)
    transport.clear()
    feed(client, b":irc.example.net 433 * bot :Nickname is already in use")
    assert transport.value() == b"NICK bot_\r\n"
    feed(client, b":irc.example.net 433 * bot_ :Nickname is already in use")
    assert transport.value() == b"NICK bot_\r\nNICK bot__\r\n"
    feed(client, b":irc.example.net 001 bot__ :Welcome")
    assert client.events == [("signedOn",)]
    assert (client.nickname, client.hostname) == ("bot__", "irc.example.net")
    client.connectionLost()


def test_alterCollidedNickIsUsed(clock: Clock) -> None:
    """An overridden alterCollidedNick picks the next nick."""

    class Caret(Recorder):
        def alterCollidedNick(self, nickname: str) -> str:
            return nickname + "^"

    client = Caret()
    transport = StringTransport()
    client.makeConnection(transport)
    transport.clear()
    feed(client, b":srv 433 * bot :in use")
    assert transport.value() == b"NICK bot^\r\n"


def test_erroneousNickFallback(clock: Clock) -> None:
    """432 before registration falls back to erroneousNickFallback; after it, nothing."""
    client, transport = connected(clock)
    transport.clear()
    feed(client, b":srv 432 * b@d :Erroneous nickname")
    assert transport.value() == b"NICK defaultnick\r\n"
    feed(client, b":srv 001 defaultnick :Welcome")
    transport.clear()
    feed(client, b":srv 432 defaultnick b@d :Erroneous nickname")
    assert transport.value() == b""
    client.connectionLost()


def test_refusedFallbackNickIsNotRetried(clock: Clock, caplog: pytest.LogCaptureFixture) -> None:
    """If the fallback nick is refused too, the client logs it instead of looping."""
    client, transport = connected(clock, nickname="twistedbot")
    transport.clear()
    with caplog.at_level("INFO", logger="plait"):
        feed(
            client,
            b":srv 432 * twistedbot :Nickname too long, max. 9 characters",
            b":srv 432 * defaultnick :Nickname too long, max. 9 characters",
        )
    assert transport.value() == b"NICK defaultnick\r\n"
    assert "refused the fallback nick 'defaultnick'" in caplog.text


def test_passwordMismatchIsLogged(clock: Clock, loggedErrors: Any) -> None:
    """464 raises IRCPasswordMismatch inside the handler: logged, connection kept."""
    client, transport = connected(clock, password="wrong")
    feed(client, b":srv 464 bot :Password incorrect")
    [failure] = loggedErrors.flush(irc.IRCPasswordMismatch)
    assert str(failure.value) == "Password Incorrect."
    assert not transport.disconnecting


def test_pingIsAnsweredBeforeAndAfterRegistration(clock: Clock) -> None:
    """PING gets a PONG with its token, before 001 and after."""
    client, transport = connected(clock)
    transport.clear()
    feed(client, b"PING :1147661537")
    assert transport.value() == b"PONG 1147661537\r\n"
    feed(client, b":irc.example.net 001 bot :Welcome", b"PING :irc.example.net")
    assert transport.value().endswith(b"PONG irc.example.net\r\n")
    transport.clear()
    feed(client, b"PING :two words", b"PING")
    assert transport.value() == b"PONG :two words\r\nPONG :\r\n"
    client.connectionLost()


def test_setNickAfterSignOn(clock: Clock) -> None:
    """setNick sends NICK; the server's NICK echo calls nickChanged, which updates nickname."""
    client, transport = signedOn(clock)
    client.setNick("other")
    assert transport.value() == b"NICK other\r\n"
    feed(client, b":bot!~bot@127.0.0.1 NICK :other")
    assert client.events == [("nickChanged", "other")]
    assert client.nickname == "other"
    feed(client, b":alice!a@h NICK alice2")
    assert client.events[-1] == ("userRenamed", "alice", "alice2")
    client.connectionLost()


# -- sending --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "call, wire",
    [
        (lambda c: c.join("chan"), b"JOIN #chan\r\n"),
        (lambda c: c.join("&local", "key"), b"JOIN &local key\r\n"),
        (lambda c: c.leave("#chan"), b"PART #chan\r\n"),
        (lambda c: c.part("chan", "bye now"), b"PART #chan :bye now\r\n"),
        (lambda c: c.kick("chan", "alice"), b"KICK #chan alice\r\n"),
        (lambda c: c.kick("#chan", "alice", "spam"), b"KICK #chan alice :spam\r\n"),
        (lambda c: c.invite("alice", "chan"), b"INVITE alice #chan\r\n"),
        (lambda c: c.topic("chan"), b"TOPIC #chan\r\n"),
        (lambda c: c.topic("chan", "new topic"), b"TOPIC #chan :new topic\r\n"),
        (lambda c: c.topic("chan", ""), b"TOPIC #chan :\r\n"),
        (lambda c: c.mode("#chan", True, "o", user="alice"), b"MODE #chan +o alice\r\n"),
        (lambda c: c.mode("#chan", False, "l", limit=10), b"MODE #chan -l 10\r\n"),
        (lambda c: c.mode("#chan", True, "b", mask="*!*@*"), b"MODE #chan +b *!*@*\r\n"),
        (lambda c: c.mode("bot", True, "i"), b"MODE bot +i\r\n"),
        (lambda c: c.say("chan", "hello"), b"PRIVMSG #chan :hello\r\n"),
        (lambda c: c.msg("alice", "hi"), b"PRIVMSG alice :hi\r\n"),
        (lambda c: c.notice("alice", "one\ntwo"), b"NOTICE alice :one\r\nNOTICE alice :two\r\n"),
        (lambda c: c.describe("#chan", "dances"), b"PRIVMSG #chan :\x01ACTION dances\x01\r\n"),
        (lambda c: c.away("lunch"), b"AWAY :lunch\r\n"),
        (lambda c: c.back(), b"AWAY :\r\n"),
        (lambda c: c.whois("alice"), b"WHOIS alice\r\n"),
        (lambda c: c.whois("alice", "irc.example.net"), b"WHOIS irc.example.net alice\r\n"),
        (lambda c: c.quit("bye"), b"QUIT :bye\r\n"),
        (lambda c: c.quit(), b"QUIT :\r\n"),
        (lambda c: c.ping("alice", "123"), b"PRIVMSG alice :\x01PING 123\x01\r\n"),
        (lambda c: c.ctcpMakeReply("alice", [("PING", "123"), ("VERSION", None)]),
         b"NOTICE alice :\x01PING 123\x01\x01VERSION\x01\r\n"),
        (lambda c: c.sendLine("RAW a\rb\nc"), b"RAW a\x10rb\x10nc\r\n"),
        (lambda c: c.msg("#chan", "caf\u00e9"), "PRIVMSG #chan :caf\u00e9\r\n".encode()),
    ],
)
def test_sendingCommands(clock: Clock, call: Any, wire: bytes) -> None:
    """Each command method writes exactly these bytes."""
    client, transport = signedOn(clock)
    call(client)
    assert transport.value() == wire
    client.connectionLost()


def test_emptyChannelNameIsRefused(clock: Clock) -> None:
    """An empty channel name raises ValueError instead of IndexError."""
    client, _ = connected(clock)
    with pytest.raises(ValueError, match="channel"):
        client.join("")


def test_sendLineTakesStr(clock: Clock) -> None:
    """IRCClient.sendLine refuses bytes with TypeError."""
    client, _ = connected(clock)
    with pytest.raises(TypeError, match="str"):
        client.sendLine(b"PING x")  # type: ignore[arg-type]


def lineSizes(wire: bytes) -> list[int]:
    return [len(line) + 1 for line in wire.split(b"\n") if line]


@pytest.mark.parametrize(
    "message, sizes",
    [
        ("a" * 600, [401, 233]),
        ("word " * 120, [401, 231]),
        (("ww  " * 150)[:600], [399, 231]),
        ("one\ntwo\n\nthree", [20, 20, 22]),
    ],
)
def test_msgSplitsLikeTwisted(clock: Clock, message: str, sizes: list[int]) -> None:
    """Long messages are split to the safe length (401 octets for '#chan'), as Twisted does."""
    client, transport = signedOn(clock)
    client.msg("#chan", message)
    assert lineSizes(transport.value()) == sizes
    assert all(line.startswith(b"PRIVMSG #chan :") for line in transport.value().split(b"\r\n") if line)
    client.connectionLost()


def test_msgSafeLengthFollowsNicklen(clock: Clock) -> None:
    """The default length is 512 minus a worst-case relay prefix for NICKLEN."""
    client, _ = signedOn(clock)
    assert client._safeMaximumLineLength("PRIVMSG #chan :") == 401
    feed(client, b":srv 005 bot NICKLEN=30 :are supported by this server")
    assert client._safeMaximumLineLength("PRIVMSG #chan :") == 380
    client.connectionLost()


def test_msgExplicitLength(clock: Clock) -> None:
    """An explicit length caps each command, CRLF included; too small raises ValueError."""
    client, transport = signedOn(clock)
    client.msg("#chan", "the quick brown fox jumps over the lazy dog", length=40)
    assert transport.value() == b"PRIVMSG #chan :the quick brown fox\r\nPRIVMSG #chan :jumps over the lazy dog\r\n"
    with pytest.raises(ValueError, match="Maximum length must exceed 17 for message to #chan"):
        client.msg("#chan", "x", length=17)
    client.connectionLost()


def test_msgSplitsNonAsciiByOctets(clock: Clock) -> None:
    """Accented text is split so that every line fits in the octet budget (Twisted overflows)."""
    client, transport = signedOn(clock)
    client.msg("#chan", "\u00e9" * 600)
    lines = [line for line in transport.value().split(b"\r\n") if line]
    assert all(len(line) + 2 <= 401 for line in lines)
    text = "".join(line[len(b"PRIVMSG #chan :"):].decode() for line in lines)
    assert text == "\u00e9" * 600
    transport.clear()
    client.msg("#chan", "\u00e9t\u00e9 " * 100, length=60)
    lines = [line for line in transport.value().split(b"\r\n") if line]
    assert all(len(line) + 2 <= 60 for line in lines)
    assert " ".join(line[len(b"PRIVMSG #chan :"):].decode() for line in lines) == ("\u00e9t\u00e9 " * 100).strip()
    client.connectionLost()


# -- receiving -------------------------------------------------------------------------


def test_channelEvents(clock: Clock) -> None:
    """JOIN, PART, QUIT, KICK, TOPIC for us and for others reach their callbacks."""
    client, _ = signedOn(clock)
    feed(
        client,
        b":bot!~bot@127.0.0.1 JOIN :#test",
        b":alice!a@h JOIN #test",
        b":alice!a@h PART #test :bye",
        b":bot!~bot@127.0.0.1 PART #test",
        b":carol!c@h QUIT :Quit: gone",
        b":op!o@h KICK #test dave :behave",
        b":op!o@h KICK #test BOT :you too",
        b":op!o@h TOPIC #test :new topic",
        b":srv 332 bot #test :current topic",
        b":srv 331 bot #test :No topic is set",
    )
    assert client.events == [
        ("joined", "#test"),
        ("userJoined", "alice", "#test"),
        ("userLeft", "alice", "#test"),
        ("left", "#test"),
        ("userQuit", "carol", "Quit: gone"),
        ("userKicked", "dave", "#test", "op", "behave"),
        ("kickedFrom", "#test", "op", "you too"),
        ("topicUpdated", "op", "#test", "new topic"),
        ("topicUpdated", "srv", "#test", "current topic"),
        ("topicUpdated", "srv", "#test", ""),
    ]
    client.connectionLost()


def test_privmsgAndNotice(clock: Clock) -> None:
    """PRIVMSG/NOTICE carry the full prefix and the target; empty ones are ignored."""
    client, transport = signedOn(clock)
    feed(
        client,
        b":alice!~alice@127.0.0.1 PRIVMSG #test :hello there",
        b":alice!~alice@127.0.0.1 PRIVMSG bot :psst",
        b":alice!~alice@127.0.0.1 PRIVMSG #test :",
        b":srv NOTICE bot :*** notice",
        b":srv NOTICE bot :",
    )
    assert client.events == [
        ("privmsg", "alice!~alice@127.0.0.1", "#test", "hello there"),
        ("privmsg", "alice!~alice@127.0.0.1", "bot", "psst"),
        ("noticed", "srv", "bot", "*** notice"),
    ]
    assert transport.value() == b""
    client.connectionLost()


def test_nonUtf8LineDoesNotDisconnect(clock: Clock) -> None:
    """A Latin-1 line is decoded leniently; the connection and the next lines survive."""
    client, transport = signedOn(clock)
    client.dataReceived(b":alice!a@h PRIVMSG #test :caf\xe9 \xff\r\n:alice!a@h PRIVMSG #test :ok \xc3\xa9\r\n")
    assert client.events == [
        ("privmsg", "alice!a@h", "#test", "caf\u00e9 \u00ff"),
        ("privmsg", "alice!a@h", "#test", "ok \u00e9"),
    ]
    assert client.events[0][3].encode("latin-1") == b"caf\xe9 \xff"  # lossless
    assert not transport.disconnecting
    client.connectionLost()


def test_bareLfAndSplitPackets(clock: Clock) -> None:
    """LF-only line ends work, CRs are stripped, and a line split anywhere is reassembled."""
    client, _ = signedOn(clock)
    data = b":a!a@h PRIVMSG #c :one\n:a!a@h PRIVMSG #c :two\r\n"
    for i in range(len(data)):
        client.dataReceived(data[i : i + 1])
    client.dataReceived(":a!a@h PRIVMSG #c :str \u00e9\r\n")  # type: ignore[arg-type]
    assert [e[3] for e in client.events] == ["one", "two", "str \u00e9"]
    client.connectionLost()


def test_lowDequoteOnReceive(clock: Clock) -> None:
    """Low-level quoted characters are restored on receive."""
    client, _ = signedOn(clock)
    feed(client, b":a!a@h PRIVMSG #c :x\x10ny\x10\x10")
    assert client.events == [("privmsg", "a!a@h", "#c", "x\ny\x10")]
    client.connectionLost()


def test_badMessageIsReportedNotRaised(clock: Clock) -> None:
    """Unparsable lines go to badMessage; the connection stays up."""
    seen: list[str] = []
    client, transport = signedOn(clock)
    client.badMessage = lambda line, *exc: seen.append(line)  # type: ignore[method-assign]
    feed(client, b":prefix-only", b"")
    assert seen == [":prefix-only", ""]
    assert not transport.disconnecting
    client.connectionLost()


def test_handlerErrorsAreLogged(clock: Clock, loggedErrors: Any) -> None:
    """An exception in a callback is logged with log.err and later lines still work."""

    class Broken(Recorder):
        def privmsg(self, user: str, channel: str, message: str) -> None:
            raise RuntimeError("callback bug")

    client = Broken()
    client.clock = clock
    transport = StringTransport()
    client.makeConnection(transport)
    transport.clear()
    feed(client, b":a!a@h PRIVMSG #c :x", b"PING :stillhere")
    [failure] = loggedErrors.flush(RuntimeError)
    assert str(failure.value) == "callback bug"
    assert transport.value() == b"PONG stillhere\r\n"


def test_unknownCommandsGoToIrcUnknown(clock: Clock) -> None:
    """A command without a handler reaches irc_unknown with its symbolic name."""
    calls: list[tuple[str, str, list[str]]] = []
    client, _ = signedOn(clock)
    client.irc_unknown = lambda *args: calls.append(args)  # type: ignore[method-assign]
    feed(client, b":srv 366 bot #test :End of NAMES list", b":srv WALLOPS :hi")
    assert calls == [("srv", "RPL_ENDOFNAMES", ["bot", "#test", "End of NAMES list"]), ("srv", "WALLOPS", ["hi"])]
    client.connectionLost()


def test_modeChanged(clock: Clock) -> None:
    """MODE lines are parsed with the ISUPPORT parameter modes; bad ones are logged."""
    client, _ = signedOn(clock)
    feed(
        client,
        b":op!o@h MODE #test +ov-b alice bob *!*@*",
        b":op!o@h MODE #test +l 10",
        b":op!o@h MODE #test -l",
        b":bot MODE bot :+i",
        b":op!o@h MODE #test nt",
    )
    assert client.events == [
        ("modeChanged", "op!o@h", "#test", True, "ov", ("alice", "bob")),
        ("modeChanged", "op!o@h", "#test", False, "b", ("*!*@*",)),
        ("modeChanged", "op!o@h", "#test", True, "l", ("10",)),
        ("modeChanged", "op!o@h", "#test", False, "l", (None,)),
        ("modeChanged", "bot", "bot", True, "i", (None,)),
        ("modeChanged", "op!o@h", "#test", True, "nt", (None, None)),
    ]
    client.connectionLost()


def test_badModeIsLogged(clock: Clock, loggedErrors: Any) -> None:
    """A MODE line whose parameters do not match is logged, not delivered."""
    client, _ = signedOn(clock)
    feed(client, b":op!o@h MODE #test +o")
    [failure] = loggedErrors.flush(irc.IRCBadModes)
    assert "Not enough parameters" in str(failure.value)
    assert client.events == []
    client.connectionLost()


def test_welcomeBurstCallbacks(clock: Clock) -> None:
    """ngircd's welcome burst reaches created/yourHost/myInfo/isupport/luser*/receivedMOTD."""
    client, _ = connected(clock)
    feed(
        client,
        b":irc.test.local 001 bot :Welcome to the Internet Relay Network bot!~bot@127.0.0.1",
        b":irc.test.local 002 bot :Your host is irc.test.local, running version ngircd-26.1",
        b":irc.test.local 003 bot :This server has been started Mon Jan 1 2024 at 00:00:00 (UTC)",
        b":irc.test.local 004 bot irc.test.local ngircd-26.1 abBcCFiIoqrRswx abehiIklmMnoOPqQrRstvVz",
        b":irc.test.local 005 bot CHANTYPES=#&+ NICKLEN=30 :are supported on this server",
        b":irc.test.local 010 bot :irc.other.net 6667",
        b":irc.test.local 251 bot :There are 2 users and 0 services on 1 servers",
        b":irc.test.local 252 bot 1 :IRC operators online",
        b":irc.test.local 254 bot 3 :channels formed",
        b":irc.test.local 255 bot :I have 2 users, 0 services and 0 servers",
        b":irc.test.local 375 bot :- irc.test.local message of the day",
        b":irc.test.local 372 bot :- plait test",
        b":irc.test.local 376 bot :End of MOTD command",
    )
    assert client.events == [
        ("signedOn",),
        ("yourHost", "Your host is irc.test.local, running version ngircd-26.1"),
        ("created", "This server has been started Mon Jan 1 2024 at 00:00:00 (UTC)"),
        ("myInfo", "irc.test.local", "ngircd-26.1", "abBcCFiIoqrRswx", "abehiIklmMnoOPqQrRstvVz"),
        ("isupport", ["CHANTYPES=#&+", "NICKLEN=30"]),
        ("bounce", "irc.other.net 6667"),
        ("luserClient", "There are 2 users and 0 services on 1 servers"),
        ("luserOp", 1),
        ("luserChannels", 3),
        ("luserMe", "I have 2 users, 0 services and 0 servers"),
        ("receivedMOTD", ["irc.test.local message of the day", "plait test"]),
    ]
    assert client.supported.getFeature("NICKLEN") == 30
    assert client.motd is None
    client.connectionLost()


# -- CTCP -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "query, reply",
    [
        (b"\x01PING 12345\x01", b"NOTICE alice :\x01PING 12345\x01\r\n"),
        (b"\x01VERSION\x01", b"NOTICE alice :\x01VERSION plaitbot:1.0:\x01\r\n"),
        (b"\x01SOURCE\x01", b"NOTICE alice :\x01SOURCE http://twistedmatrix.com/downloads/\x01\x01SOURCE\x01\r\n"),
        (b"\x01USERINFO\x01", b"NOTICE alice :\x01USERINFO just a bot\x01\r\n"),
        (b"\x01FINGER\x01", b"NOTICE alice :\x01FINGER no fingers\x01\r\n"),
        (b"\x01ERRMSG boom\x01", b"NOTICE alice :\x01ERRMSG boom :No error has occurred.\x01\r\n"),
        (b"\x01CLIENTINFO\x01",
         b"NOTICE alice :\x01CLIENTINFO ACTION CLIENTINFO DCC ERRMSG FINGER PING SOURCE TIME USERINFO VERSION\x01\r\n"),
        (b"\x01CLIENTINFO FOO\x01", b"NOTICE alice :\x01ERRMSG CLIENTINFO FOO :Unknown query 'FOO'\x01\r\n"),
        (b"\x01PING 1\x01\x01PING 2\x01", b"NOTICE alice :\x01PING 1\x01\r\n"),
        (b"\x01DCC SEND f 1 2 3\x01", b""),
        (b"\x01BOGUS\x01", b""),
    ],
)
def test_ctcpQueries(clock: Clock, query: bytes, reply: bytes) -> None:
    """Each CTCP query gets Twisted's NOTICE reply (DCC and unknown tags: none)."""
    client, transport = signedOn(
        clock, versionName="plaitbot", versionNum="1.0", userinfo="just a bot", fingerReply="no fingers"
    )
    feed(client, b":alice!a@h PRIVMSG bot :" + query)
    assert transport.value() == reply
    assert client.events == []
    client.connectionLost()


def test_ctcpClientInfoHelp(clock: Clock) -> None:
    """CLIENTINFO <tag> answers with the handler's docstring on one line."""
    client, transport = signedOn(clock)
    feed(client, b":alice!a@h PRIVMSG bot :\x01CLIENTINFO PING\x01")
    assert transport.value() == b"NOTICE alice :\x01CLIENTINFO PING <token>: echoed back to measure the round trip.\x01\r\n"
    client.connectionLost()


def test_ctcpTimeAndCallableFinger(clock: Clock, monkeypatch: pytest.MonkeyPatch) -> None:
    """TIME answers with the local time; fingerReply may be a callable."""
    client, transport = signedOn(clock, fingerReply=lambda: "called")
    monkeypatch.setattr("time.asctime", lambda t: "Mon Jan  1 00:00:00 2024")
    feed(client, b":alice!a@h PRIVMSG #c :\x01TIME\x01\x01FINGER\x01")
    assert transport.value() == (
        b"NOTICE alice :\x01TIME :Mon Jan  1 00:00:00 2024\x01\r\nNOTICE alice :\x01FINGER called\x01\r\n"
    )
    client.connectionLost()


def test_ctcpWithoutConfiguredReplies(clock: Clock) -> None:
    """VERSION, USERINFO and FINGER stay silent when not configured."""
    client, transport = signedOn(clock)
    feed(client, b":alice!a@h PRIVMSG bot :\x01VERSION\x01\x01USERINFO\x01\x01FINGER\x01")
    assert transport.value() == b""
    client.connectionLost()


def test_ctcpActionAndMixedText(clock: Clock) -> None:
    """ACTION reaches action(); text around CTCP parts reaches privmsg()."""
    client, _ = signedOn(clock)
    feed(client, b":alice!a@h PRIVMSG #test :\x01ACTION waves\x01", b":alice!a@h PRIVMSG #test :\x01ACTION x\x01 and text")
    assert client.events == [
        ("action", "alice!a@h", "#test", "waves"),
        ("action", "alice!a@h", "#test", "x"),
        ("privmsg", "alice!a@h", "#test", " and text"),
    ]
    client.connectionLost()


def test_pingRoundTripOnTheClock(clock: Clock, loggedErrors: Any) -> None:
    """ping() remembers the send time; the matching reply calls pong with the clock's delta."""
    client, transport = signedOn(clock)
    client.ping("alice")
    key = transport.value().split(b"\x01PING ")[1].split(b"\x01")[0]
    assert len(key) == 12
    clock.advance(2.5)
    feed(client, b":alice!a@h NOTICE bot :\x01PING " + key + b"\x01")
    assert client.events == [("pong", "alice!a@h", 2.5)]
    feed(client, b":alice!a@h NOTICE bot :\x01PING " + key + b"\x01")  # already matched
    [failure] = loggedErrors.flush(irc.IRCBadMessage)
    assert "Bogus PING response" in str(failure.value)
    client.connectionLost()


def test_pingRingKeepsTheNewest(clock: Clock) -> None:
    """Only the last _MAX_PINGRING pings are remembered."""
    client, _ = signedOn(clock)
    for i in range(15):
        clock.advance(1)
        client.ping("alice", str(i))
    assert client._pings is not None
    assert sorted(int(key) for _, key in client._pings) == list(range(3, 15))
    client.connectionLost()


# -- throttling and heartbeat -----------------------------------------------------------------


def test_lineRateThrottlesOnTheClock(clock: Clock) -> None:
    """With lineRate, the first line goes now and one more per lineRate seconds."""
    client, transport = connected(clock, lineRate=2)
    assert transport.value() == b"NICK bot\r\n"
    clock.advance(1.9)
    assert transport.value() == b"NICK bot\r\n"
    clock.advance(0.1)
    assert transport.value() == b"NICK bot\r\nUSER bot foo bar :None\r\n"
    client.msg("#c", "a")
    client.msg("#c", "b")
    clock.advance(2)
    assert transport.value().endswith(b"PRIVMSG #c :a\r\n")
    clock.advance(2)
    assert transport.value().endswith(b"PRIVMSG #c :b\r\n")
    clock.advance(2)
    assert clock.getDelayedCalls() == []
    client.msg("#c", "c")
    assert transport.value().endswith(b"PRIVMSG #c :c\r\n")
    client.connectionLost()
    assert clock.getDelayedCalls() == []


def test_connectionLostDropsTheQueue(clock: Clock) -> None:
    """Lines still queued when the connection is lost are dropped; nothing stays scheduled."""
    client, transport = connected(clock, lineRate=1)
    client.connectionLost()
    clock.advance(10)
    assert transport.value() == b"NICK bot\r\n"
    assert clock.getDelayedCalls() == []


def test_heartbeatOnTheClock(clock: Clock) -> None:
    """After 001 a PING goes out every heartbeatInterval seconds until the connection is lost."""
    client, transport = signedOn(clock)
    clock.advance(119)
    assert transport.value() == b""
    clock.advance(1)
    assert transport.value() == b"PING irc.example.net\r\n"
    clock.advance(120)
    assert transport.value() == b"PING irc.example.net\r\n" * 2
    client.connectionLost()
    assert clock.getDelayedCalls() == []


def test_heartbeatDisabled(clock: Clock) -> None:
    """heartbeatInterval = None schedules nothing."""
    client, _ = signedOn(clock, heartbeatInterval=None)
    assert clock.getDelayedCalls() == []
    client.connectionLost()


def test_heartbeatRestartsOnSecondWelcome(clock: Clock) -> None:
    """A second 001 restarts the heartbeat instead of starting a second one."""
    client, _ = signedOn(clock)
    feed(client, b":irc.example.net 001 bot :Welcome again")
    assert len(clock.getDelayedCalls()) == 1
    client.connectionLost()
    assert clock.getDelayedCalls() == []


def test_clockDefaultsToTheGlobalReactorLazily(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a clock, ``plait.reactor`` is looked up when time is first needed, then kept."""
    import plait

    globalClock = Clock()
    monkeypatch.setattr(plait, "reactor", globalClock, raising=False)
    client = Recorder()
    transport = StringTransport()
    client.makeConnection(transport)
    assert client.clock is None  # registering needs no clock
    client.dataReceived(b":srv 001 bot :Welcome\r\n")
    assert client.clock is globalClock
    globalClock.advance(120)
    assert transport.value().endswith(b"PING srv\r\n")
    client.connectionLost()
    assert globalClock.getDelayedCalls() == []


def test_quitThenDisconnect(clock: Clock) -> None:
    """QUIT is written before the close; connectionLost stops the heartbeat."""
    client = Recorder()
    client.clock = clock
    transport = StringTransportWithDisconnection()
    transport.protocol = client
    client.makeConnection(transport)
    feed(client, b":srv 001 bot :Welcome")
    assert len(clock.getDelayedCalls()) == 1
    client.quit("bye")
    transport.loseConnection()
    assert transport.value().endswith(b"QUIT :bye\r\n")
    assert clock.getDelayedCalls() == []


def test_lineReceivedAcceptsStr() -> None:
    """Twisted's IRCClient.lineReceived takes a str line as well as bytes (issue 12)."""
    from plait.protocols.irc import IRCClient
    from plait.testing import StringTransport

    welcomed: list[str] = []

    class Bot(IRCClient):
        nickname = "bot"

        def signedOn(self) -> None:
            welcomed.append(self.nickname)

    bot = Bot()
    bot.makeConnection(StringTransport())
    bot.lineReceived(":irc.example.com 001 bot :Welcome")
    bot.lineReceived(b":irc.example.com 001 bot :Welcome")
    assert welcomed == ["bot", "bot"]
