"""The howto's ircLogBot (examples/ircLogBot.py) against real IRC servers.

The bot classes are loaded from the example file itself and driven
in-process on the test's ``reactor``; the other side of each conversation
is a blocking ``PlainClient``.  Every scenario runs against ngircd,
miniircd and InspIRCd (see ircservers.py), except where a server cannot do
it: only ngircd can PING before registration (``RequireAuthPing``).  A last test
runs the example as a program, the way examples/ircLogBot.md says.

Test-only changes to the example's factory (``BotFactory``): the bot's
clock is the test's reactor; a failed connect is retried after 0.1 s
instead of stopping the (global) reactor; and once the test is over no
reconnection happens.  Everything else is the example's own code.
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from plait.defer import Deferred
from plait.task import LoopingCall
from tests.helpers import RunTimeout, runUntil
from tests.integration.ircservers import (
    IrcServer,
    PlainClient,
    inspircdBinary,
    startServer,
    stopServer,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "ircLogBot.py"
CHANNEL = "#plait"
SERVERS = ["ngircd", "miniircd", "inspircd"]


def loadExample() -> ModuleType:
    spec = importlib.util.spec_from_file_location("ircLogBot", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


ircLogBot = loadExample()


class BotFactory(ircLogBot.LogBotFactory):  # type: ignore[misc,name-defined]
    """The example's factory, made safe to run inside a test."""

    retryDelay = 0.1

    def __init__(self, channel: str, filename: str, reactor: Any) -> None:
        super().__init__(channel, filename)
        self.reactor = reactor
        self.bots: list[Any] = []
        self.received: list[str] = []  # every line any bot received
        self.sent: list[str] = []  # every line any bot sent
        self.failedConnects = 0
        self.finished = False
        self.retry: Any = None

    def buildProtocol(self, addr: Any) -> Any:
        bot = super().buildProtocol(addr)
        bot.clock = self.reactor
        self._record(bot)
        self.bots.append(bot)
        return bot

    def _record(self, bot: Any) -> None:
        receive, send = bot.lineReceived, bot.sendLine

        def lineReceived(line: bytes) -> None:
            self.received.append(line.decode("utf-8", "replace"))
            receive(line)

        def sendLine(line: str) -> None:
            self.sent.append(line)
            send(line)

        bot.lineReceived, bot.sendLine = lineReceived, sendLine

    def clientConnectionLost(self, connector: Any, reason: Any) -> None:
        if not self.finished:
            super().clientConnectionLost(connector, reason)  # the example's connector.connect()

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        # The example stops the reactor here; the test retries instead, so
        # the bot comes back once the restarted server listens again.
        self.failedConnects += 1
        if not self.finished:
            self.retry = self.reactor.callLater(self.retryDelay, connector.connect)

    @property
    def bot(self) -> Any:
        return self.bots[-1]


class Harness:
    """A running bot, its log file, and bounded waits on the test reactor."""

    def __init__(self, reactor: Any, server: IrcServer, logPath: Path) -> None:
        self.reactor = reactor
        self.server = server
        self.logPath = logPath
        self.factory = BotFactory(CHANNEL, str(logPath), reactor)
        self.connector: Any = None
        self.clients: list[PlainClient] = []

    def start(self) -> None:
        self.connector = self.reactor.connectTCP(self.server.host, self.server.port, self.factory)

    def log(self) -> str:
        try:
            return self.logPath.read_text("utf-8")
        except FileNotFoundError:
            return ""

    def waitFor(self, predicate: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
        """Run the reactor until ``predicate()`` holds (checked every 20 ms)."""
        done: Deferred[None] = Deferred()

        def check() -> None:
            if predicate() and not done.called:
                poll.stop()
                done.callback(None)

        poll = LoopingCall(check)
        poll.clock = self.reactor
        poll.start(0.02)
        try:
            runUntil(self.reactor, done, timeout)
        except RunTimeout:
            raise AssertionError(
                f"timed out waiting for {what}\n--- bot log ---\n{self.log()}"
                f"\n--- bot received ---\n{self.factory.received[-15:]}"
                f"\n--- server log ---\n{self.server.logText()[-1500:]}"
            ) from None
        finally:
            if poll.running:
                poll.stop()

    def waitForLog(self, text: str, count: int = 1, timeout: float = 10.0) -> None:
        self.waitFor(lambda: self.log().count(text) >= count, f"{text!r} x{count} in the bot's log", timeout)

    def client(self, nick: str) -> PlainClient:
        client = PlainClient(self.server.host, self.server.port, nick)
        self.clients.append(client)
        return client

    def connected(self) -> bool:
        return bool(self.factory.bots) and self.factory.bot.transport is not None and self.factory.bot.connected and not self.botGone()

    def botGone(self) -> bool:
        return self.log().count("[disconnected at") >= len(self.factory.bots) > 0

    def finish(self) -> None:
        """Stop reconnecting, drop the bot's connection and let it close (idempotent)."""
        if self.factory.finished:
            return
        self.factory.finished = True
        for client in self.clients:
            client.close()
        if self.factory.retry is not None and self.factory.retry.active():
            self.factory.retry.cancel()
        if self.connector is not None:
            self.connector.disconnect()
            if self.factory.bots and not self.botGone():
                self.waitFor(self.botGone, "the bot to disconnect", timeout=5)


def requireServer(kind: str) -> None:
    """Skip, naming the binary, where a server cannot be installed (CI installs it)."""
    if kind == "inspircd" and inspircdBinary() is None:
        pytest.skip("inspircd is not installed (apt-get install inspircd; see .ci/run)")


@pytest.fixture(params=SERVERS)
def server(request: pytest.FixtureRequest) -> Iterator[IrcServer]:
    requireServer(request.param)
    s = startServer(request.param)
    try:
        yield s
    finally:
        stopServer(s)


@pytest.fixture
def harnessFor(reactor: Any, tmp_path: Path) -> Iterator[Callable[[IrcServer], Harness]]:
    made: list[Harness] = []

    def make(server: IrcServer) -> Harness:
        harness = Harness(reactor, server, tmp_path / "channel.log")
        made.append(harness)
        return harness

    yield make
    for harness in made:
        harness.finish()


@pytest.fixture
def harness(server: IrcServer, harnessFor: Callable[[IrcServer], Harness]) -> Harness:
    # ``server`` first, so that teardown finishes the bot before stopping the server.
    return harnessFor(server)


def signOnAndJoin(harness: Harness) -> None:
    harness.start()
    harness.waitForLog(f"[I have joined {CHANNEL}]")


# -- scenarios -------------------------------------------------------------------------


def test_signOnAndJoin(harness: Harness) -> None:
    """The bot registers as twistedbot, joins the channel and logs both events."""
    signOnAndJoin(harness)
    bot = harness.factory.bot
    assert bot.nickname == "twistedbot"
    assert bot.hostname  # the server's name, from RPL_WELCOME
    assert harness.factory.sent[:2] == ["NICK twistedbot", "USER twistedbot foo bar :None"]
    lines = harness.log().splitlines()
    assert lines[0].split(" ", 1)[1].startswith("[connected at ")
    assert lines[1].endswith(f"[I have joined {CHANNEL}]")


def test_channelTalkIsLogged(harness: Harness) -> None:
    """What another client says and does in the channel ends up in the log file."""
    signOnAndJoin(harness)
    alice = harness.client("alice")
    alice.join(CHANNEL)
    alice.send(f"PRIVMSG {CHANNEL} :hello from alice")
    alice.send(f"PRIVMSG {CHANNEL} :\x01ACTION waves\x01")
    alice.send(b"PRIVMSG " + CHANNEL.encode() + b" :caf\xe9 in latin-1")  # not UTF-8
    alice.send("NICK alice2")
    harness.waitForLog("alice is now known as alice2")
    log = harness.log()
    assert "<alice> hello from alice" in log
    assert "* alice waves" in log
    assert "<alice> caf\u00e9 in latin-1" in log
    assert log.index("hello from alice") < log.index("waves") < log.index("latin-1") < log.index("alice2")
    assert harness.connected()


def test_addressedMessageGetsTheBotsReply(harness: Harness) -> None:
    """'twistedbot: ...' in the channel, and a private message, get the howto's answers."""
    signOnAndJoin(harness)
    alice = harness.client("alice")
    alice.join(CHANNEL)
    alice.send(f"PRIVMSG {CHANNEL} :twistedbot: hello!")
    harness.waitForLog("<twistedbot> alice: I am a log bot")
    reply = alice.expect(lambda line: "I am a log bot" in line)
    assert reply.split(" ", 1)[1] == f"PRIVMSG {CHANNEL} :alice: I am a log bot"
    assert reply.startswith(":twistedbot!")

    alice.send("PRIVMSG twistedbot :psst")
    harness.waitForLog("<alice> psst")  # the bot answers as it logs
    whisper = alice.expect(lambda line: "whisper" in line)
    assert whisper.split(" ", 1)[1] == "PRIVMSG alice :It isn't nice to whisper!  Play nice with the group."


def test_nickInUseIsResolved(harness: Harness) -> None:
    """With twistedbot taken, the bot becomes twistedbot^ and still works."""
    squatter = harness.client("twistedbot")
    signOnAndJoin(harness)
    bot = harness.factory.bot
    assert bot.nickname == "twistedbot^"
    assert "NICK twistedbot^" in harness.factory.sent
    assert any(" 433 " in line for line in harness.factory.received)
    squatter.join(CHANNEL)
    squatter.send(f"PRIVMSG {CHANNEL} :twistedbot^: who are you?")
    harness.waitForLog("<twistedbot^> twistedbot: I am a log bot")
    assert squatter.expect(lambda line: "I am a log bot" in line).endswith(":twistedbot: I am a log bot")


def test_serverRestartReconnects(harness: Harness) -> None:
    """The server goes away and comes back on the same port: the bot reconnects and logs again."""
    signOnAndJoin(harness)
    harness.server.stop()
    harness.waitForLog("[disconnected at")
    harness.waitFor(lambda: harness.factory.failedConnects >= 1, "a refused reconnection attempt")
    harness.server.start()
    harness.waitForLog(f"[I have joined {CHANNEL}]", count=2)
    assert len(harness.factory.bots) == 2
    alice = harness.client("alice")
    alice.join(CHANNEL)
    alice.send(f"PRIVMSG {CHANNEL} :welcome back")
    harness.waitForLog("<alice> welcome back")
    log = harness.log()
    assert log.count("[connected at") == 2
    assert log.index("[disconnected at") < log.rindex("[connected at") < log.index("welcome back")


def test_pingBeforeRegistrationIsAnswered(harnessFor: Callable[[IrcServer], Harness]) -> None:
    """ngircd with RequireAuthPing: the bot answers the PING and only then gets 001."""
    server = startServer("ngircd", requireAuthPing=True)
    try:
        harness = harnessFor(server)
        signOnAndJoin(harness)
        received, sent = harness.factory.received, harness.factory.sent
        ping = next(line for line in received if line.startswith("PING"))
        token = ping.split(":", 1)[1]
        welcome = next(i for i, line in enumerate(received) if " 001 " in line)
        assert received.index(ping) < welcome
        assert f"PONG {token}" in sent
        harness.finish()
    finally:
        stopServer(server)


class CapLogBot(ircLogBot.LogBot):  # type: ignore[misc,name-defined]
    """The example's bot, asking for IRCv3 server-time and message-tags first."""

    def connectionMade(self) -> None:
        # Sent before NICK/USER, so the server holds registration until CAP END.
        self.sendLine("CAP REQ :server-time message-tags")
        ircLogBot.LogBot.connectionMade(self)
        self.sendLine("CAP END")


def test_ircv3TaggedLinesAreUnderstood(harnessFor: Callable[[IrcServer], Harness]) -> None:
    """InspIRCd with server-time and message-tags: every line is tagged and the bot still logs."""
    requireServer("inspircd")
    server = startServer("inspircd")
    try:
        harness = harnessFor(server)
        harness.factory.protocol = CapLogBot
        signOnAndJoin(harness)
        alice = harness.client("alice")
        alice.join(CHANNEL)
        alice.send(f"PRIVMSG {CHANNEL} :hello in IRCv3")
        alice.send(f"PRIVMSG {CHANNEL} :\x01ACTION tags along\x01")
        alice.send(f"PRIVMSG {CHANNEL} :twistedbot: still there?")
        harness.waitForLog("<twistedbot> alice: I am a log bot")
        log = harness.log()
        assert "<alice> hello in IRCv3" in log and "* alice tags along" in log
        assert "@" not in log
        relayed = [line for line in harness.factory.received if " PRIVMSG " in line]
        assert len(relayed) == 3 and all(line.startswith("@") and "time=" in line for line in relayed)
        assert any(" CAP " in line and " ACK " in line for line in harness.factory.received)
        harness.finish()
    finally:
        stopServer(server)


class Flooder(ircLogBot.irc.IRCClient):  # type: ignore[misc,name-defined]
    """Joins and says ``count`` lines as fast as IRCClient lets it."""

    nickname = "flooder"
    heartbeatInterval = None

    def __init__(self, reactor: Any, count: int, lineRate: float | None) -> None:
        self.clock = reactor
        self.count = count
        self.lineRate = lineRate
        self.received: list[str] = []
        self.lost: Deferred[None] = Deferred()

    def lineReceived(self, line: bytes) -> None:
        self.received.append(line.decode("utf-8", "replace"))
        ircLogBot.irc.IRCClient.lineReceived(self, line)

    def signedOn(self) -> None:
        self.join(CHANNEL)
        for i in range(self.count):
            self.say(CHANNEL, f"line {i}")

    def connectionLost(self, reason: Any = None) -> None:
        ircLogBot.irc.IRCClient.connectionLost(self, reason)
        self.lost.callback(None)


@pytest.mark.slow
def test_lineRateKeepsABotUnderTheServersFloodLimit(reactor: Any) -> None:
    """InspIRCd with flood protection (10 commands/s after 10): a burst is
    disconnected for Excess Flood; the same burst with lineRate 0.2 s arrives whole."""
    from plait.protocol import ClientFactory

    requireServer("inspircd")
    server = startServer("inspircd", threshold=10, commandRate=10_000)
    try:
        listener = PlainClient(server.host, server.port, "listener")
        listener.join(CHANNEL)
        burst = Flooder(reactor, 25, None)
        reactor.connectTCP(server.host, server.port, ClientFactory.forProtocol(lambda: burst))
        runUntil(reactor, burst.lost, timeout=15)
        assert any("Excess Flood" in line for line in burst.received)

        paced = Flooder(reactor, 25, 0.2)
        connector = reactor.connectTCP(server.host, server.port, ClientFactory.forProtocol(lambda: paced))
        drained: Deferred[None] = Deferred()

        def check() -> None:  # every line sent: the lineRate queue is empty again
            if paced._registered and paced._queueEmptying is None and not drained.called:
                poll.stop()
                drained.callback(None)

        poll = LoopingCall(check)
        poll.clock = reactor
        poll.start(0.05)
        runUntil(reactor, drained, timeout=20)
        listener.expect(lambda line: line.endswith(":line 24"), timeout=10)
        said = [line.split(" :", 1)[1] for line in listener.seen if line.startswith(":flooder!") and " PRIVMSG " in line]
        assert said[-25:] == [f"line {i}" for i in range(25)]
        assert paced.connected and not any("Excess Flood" in line for line in paced.received)
        connector.disconnect()
        runUntil(reactor, paced.lost, timeout=5)
        listener.close()
    finally:
        stopServer(server)


@pytest.mark.slow
@pytest.mark.parametrize(
    "kind, options",
    [
        pytest.param("ngircd", {"pingTimeout": 5, "pongTimeout": 5}, id="ngircd"),
        pytest.param("miniircd", {"speedup": 30}, id="miniircd-30x-clock"),
        pytest.param("inspircd", {"pingFreq": 3}, id="inspircd"),
    ],
)
def test_pingAfterRegistrationIsAnswered(
    harnessFor: Callable[[IrcServer], Harness], kind: str, options: dict[str, Any]
) -> None:
    """An idle bot is PINGed by the server, answers, and is PINGed again later (so still welcome)."""
    requireServer(kind)
    server = startServer(kind, **options)
    try:
        harness = harnessFor(server)
        signOnAndJoin(harness)
        pings = lambda: [line for line in harness.factory.received if line.startswith("PING")]
        harness.waitFor(lambda: len(pings()) >= 2, "two server PINGs", timeout=25)
        for ping in pings()[:2]:
            assert f"PONG {ping.split(':', 1)[1]}" in harness.factory.sent
        assert harness.connected()
        harness.finish()
    finally:
        stopServer(server)


# -- the example as a program --------------------------------------------------------------


def test_exampleProgramLogsAChannel(tmp_path: Path) -> None:
    """`python examples/ircLogBot.py #plait LOG 127.0.0.1 PORT` logs what a client says."""
    server = startServer("ngircd")
    logPath = tmp_path / "bot.log"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    with open(tmp_path / "bot.out", "wb") as output:
        bot = subprocess.Popen(
            [sys.executable, str(EXAMPLE), CHANNEL, str(logPath), server.host, str(server.port)],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
        )
    try:
        waitForFile(logPath, f"[I have joined {CHANNEL}]", bot)
        alice = PlainClient(server.host, server.port, "alice")
        alice.join(CHANNEL)
        alice.send(f"PRIVMSG {CHANNEL} :hello, program")
        alice.send(f"PRIVMSG {CHANNEL} :twistedbot: are you there?")
        assert alice.expect(lambda line: "I am a log bot" in line).endswith(":alice: I am a log bot")
        waitForFile(logPath, "<alice> hello, program", bot)
        alice.close()
    finally:
        bot.terminate()
        try:
            bot.wait(10)
        except subprocess.TimeoutExpired:
            bot.kill()
            bot.wait(10)
        stopServer(server)
    text = logPath.read_text("utf-8")
    assert text.index("[connected at") < text.index("[I have joined") < text.index("<alice> hello, program")
    assert "<twistedbot> alice: I am a log bot" in text


def waitForFile(path: Path, text: str, proc: subprocess.Popen[bytes], timeout: float = 15.0, count: int = 1) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and path.read_text("utf-8").count(text) >= count:
            return
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    out = (path.parent / "bot.out").read_text("utf-8", "replace")
    content = path.read_text("utf-8") if path.exists() else ""
    raise AssertionError(f"{text!r} not in {path} (bot rc={proc.poll()})\n{content}\n--- bot output ---\n{out}")


# -- the bot under ClientService, as a Twisted program through compatibility mode ------------

SERVICE_PROGRAM = """\
import sys

from twisted.application.internet import ClientService, backoffPolicy
from twisted.internet import endpoints, reactor

from ircLogBot import LogBotFactory

channel, filename, host, port = sys.argv[1:5]
endpoint = endpoints.clientFromString(reactor, f"tcp:host={host}:port={port}")
service = ClientService(endpoint, LogBotFactory(channel, filename),
                        retryPolicy=backoffPolicy(initialDelay=0.1, maxDelay=0.5))
service.startService()
reactor.run()
"""


@pytest.mark.parametrize("kind", ["ngircd", "inspircd"])
def test_clientServiceBotSurvivesServerRestart(tmp_path: Path, kind: str) -> None:
    """The example's bot kept up by ClientService (Twisted imports, run by plait.compat)
    logs, loses the server, reconnects when it is back on the same port, and logs again."""
    from tests.integration.test_compat import TWISTED_NAMES

    requireServer(kind)
    example = EXAMPLE.read_text().replace(
        "from plait import log, protocol, reactor",
        "from twisted.internet import protocol, reactor\nfrom twisted.python import log",
    )
    for ours, theirs in TWISTED_NAMES:
        example = example.replace(ours, theirs)
    assert not re.search(r"^\s*(from|import) plait", example, re.MULTILINE), "an import was not rewritten"
    (tmp_path / "ircLogBot.py").write_text(example)
    (tmp_path / "servicebot.py").write_text(SERVICE_PROGRAM)
    server = startServer(kind)
    logPath = tmp_path / "bot.log"
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(tmp_path)]))
    with open(tmp_path / "bot.out", "wb") as output:
        bot = subprocess.Popen(
            [sys.executable, "-m", "plait.compat", str(tmp_path / "servicebot.py"), CHANNEL, str(logPath),
             server.host, str(server.port)],
            cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=subprocess.STDOUT,
        )
    try:
        waitForFile(logPath, f"[I have joined {CHANNEL}]", bot)
        server.stop()
        waitForFile(logPath, "[disconnected at", bot)
        server.start()  # same port
        waitForFile(logPath, f"[I have joined {CHANNEL}]", bot, count=2)
        alice = PlainClient(server.host, server.port, "alice")
        alice.join(CHANNEL)
        alice.send(f"PRIVMSG {CHANNEL} :welcome back, service")
        waitForFile(logPath, "<alice> welcome back, service", bot)
        alice.close()
    finally:
        bot.terminate()
        try:
            bot.wait(10)
        except subprocess.TimeoutExpired:
            bot.kill()
            bot.wait(10)
        stopServer(server)
    text = logPath.read_text("utf-8")
    assert text.count("[connected at") == 2
    assert text.index("[disconnected at") < text.rindex("[connected at") < text.index("welcome back, service")

