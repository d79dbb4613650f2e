"""Protocols driven sans-IO: ReconnectingClientFactory's schedule, line and
length-prefixed receivers, IRCClient parsing, error messages."""

import struct

from _harness import describe, main, scenario
from twisted.internet import error, protocol, task
from twisted.internet.testing import StringTransport
from twisted.protocols import basic
from twisted.python.failure import Failure
from twisted.words.protocols import irc


class FakeConnector:
    def __init__(self, log):
        self.log = log

    def connect(self):
        self.log.append("connect")

    def stopConnecting(self):
        self.log.append("stopConnecting")


@scenario
def reconnectingSchedule():
    clock = task.Clock()
    log = []
    factory = protocol.ReconnectingClientFactory()
    factory.clock = clock
    factory.jitter = 0
    factory.maxDelay = 20
    factory.noisy = False
    connector = FakeConnector(log)
    delays = []
    for _ in range(8):
        factory.clientConnectionFailed(connector, Failure(error.ConnectionRefusedError()))
        [call] = clock.getDelayedCalls()
        delays.append(round(call.getTime() - clock.seconds(), 6))
        clock.advance(call.getTime() - clock.seconds())
    factory.resetDelay()
    after = (factory.delay, factory.retries)
    factory.maxRetries = 2
    factory.retries = 2
    factory.clientConnectionLost(connector, Failure(error.ConnectionDone()))
    factory.stopTrying()
    return {"delays": delays, "connects": log.count("connect"), "after reset": list(after),
            "pending": len(clock.getDelayedCalls()), "continueTrying": factory.continueTrying}


class Lines(basic.LineReceiver):
    MAX_LENGTH = 10

    def connectionMade(self):
        self.got = []

    def lineReceived(self, line):
        self.got.append(("line", line.decode()))
        if line == b"raw":
            self.setRawMode()
        if line == b"pause":
            self.pauseProducing()

    def rawDataReceived(self, data):
        self.got.append(("raw", data.decode()))
        self.setLineMode(b"rest\r\n")

    def lineLengthExceeded(self, line):
        self.got.append(("too long", len(line)))
        return basic.LineReceiver.lineLengthExceeded(self, line)


@scenario
def lineReceiver():
    proto = Lines()
    transport = StringTransport()
    proto.makeConnection(transport)
    proto.dataReceived(b"one\r\ntw")
    proto.dataReceived(b"o\r\nraw\r\nRAWDATA")
    proto.dataReceived(b"pause\r\nafter\r\n")
    paused = list(proto.got)
    proto.resumeProducing()
    proto.dataReceived(b"x" * 20)
    return {"got": proto.got, "paused at": len(paused), "disconnecting": transport.disconnecting}


@scenario
def lineReceiverDelimiter():
    proto = Lines()
    proto.delimiter = b"\n"
    proto.makeConnection(StringTransport())
    proto.dataReceived(b"a\nb\r\nc")
    proto.sendLine(b"out")
    return {"got": proto.got, "sent": proto.transport.value().decode()}


class Strings(basic.Int16StringReceiver):
    MAX_LENGTH = 5

    def connectionMade(self):
        self.got = []

    def stringReceived(self, string):
        self.got.append(string.decode())

    def lengthLimitExceeded(self, length):
        self.got.append(("over", length, len(self.recvd)))
        basic.Int16StringReceiver.lengthLimitExceeded(self, length)


@scenario
def intNStrings():
    proto = Strings()
    transport = StringTransport()
    proto.makeConnection(transport)
    proto.dataReceived(struct.pack("!H", 2) + b"ok" + struct.pack("!H", 1))
    proto.dataReceived(b"x" + struct.pack("!H", 9) + b"toolong")
    try:
        proto.sendString(b"y" * 70000)
    except basic.StringTooLongError as e:
        tooLong = [type(e).__name__, str(e)]
    return {"got": proto.got, "tooLong": tooLong, "disconnecting": transport.disconnecting}


class Bot(irc.IRCClient):
    nickname = "bot"

    def connectionMade(self):
        self.events = []
        irc.IRCClient.connectionMade(self)

    def signedOn(self):
        self.events.append(["signedOn"])

    def privmsg(self, user, channel, message):
        self.events.append(["privmsg", user, channel, message])

    def action(self, user, channel, data):
        self.events.append(["action", user, channel, data])

    def modeChanged(self, user, channel, set, modes, args):
        self.events.append(["modeChanged", user, channel, set, modes, list(args)])

    def irc_unknown(self, prefix, command, params):
        self.events.append(["unknown", prefix, command, params])

    def badMessage(self, line, excType, excValue, tb):
        self.events.append(["badMessage", line, excType.__name__])


@scenario
def ircParsing():
    from twisted.python import log

    logged = []
    observer = lambda event: logged.append(log.textFromEventDict(event))
    log.addObserver(observer)
    bot = Bot()
    transport = StringTransport()
    bot.makeConnection(transport)
    transport.clear()
    lines = [
        ":irc.example.com 001 bot :Welcome to IRC",
        ":irc.example.com 005 bot CHANMODES=b,k,l,imnpst PREFIX=(ov)@+ CHANTYPES=#& NICKLEN=12 :are supported",
        ":alice!a@example.com PRIVMSG #chan :hello there",
        ":alice!a@example.com PRIVMSG bot :\x01VERSION\x01",
        ":alice!a@example.com PRIVMSG #chan :\x01ACTION waves\x01",
        ":alice!a@example.com PRIVMSG bot :\x01PING 12345\x01",
        ":alice!a@example.com MODE #chan +o bob",
        ":alice!a@example.com MODE #chan +ol bob",
        ":alice!a@example.com MODE #chan +k",
        ":alice!a@example.com MODE #chan +m extra",
        ":irc.example.com 999 bot :something new",
        "",
    ]
    for line in lines:
        bot.lineReceived(line.encode())
    log.removeObserver(observer)
    return {"events": bot.events, "logged": [text.splitlines()[0] for text in logged if text], "sent": transport.value().decode().splitlines(),
            "nicklen": bot.supported.getFeature("NICKLEN"),
            "prefix": bot.supported.getFeature("PREFIX"),
            "chanmodes": bot.supported.getFeature("CHANMODES")}


@scenario
def errorMessages():
    cases = [
        error.ConnectionRefusedError(), error.ConnectionRefusedError("111: Connection refused"),
        error.ConnectionDone(), error.ConnectionLost(), error.ConnectionAborted(),
        error.TimeoutError(), error.UserError(), error.DNSLookupError("example.invalid"),
        error.ConnectError(string="x"), error.CannotListenError("", 80, OSError(13, "Permission denied")),
        error.AlreadyCalled(), error.AlreadyCancelled(), error.NotConnectingError(),
        error.ReactorNotRunning("Can't stop reactor that isn't running."),
        error.ServiceNameUnknownError(string="nope"),
    ]
    return [describe(e) for e in cases]


if __name__ == "__main__":
    main()
