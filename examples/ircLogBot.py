"""An IRC bot that logs one channel to a file: the "Writing Clients" howto's
ircLogBot, running on plait.

When someone addresses the bot by name in the channel,

    <alice> twistedbot: hello!

it answers

    <twistedbot> alice: I am a log bot

and a private message gets a gentle reminder to talk in the channel.

Run it with a channel, a log file and, optionally, a server and port
(default 127.0.0.1 6667).  Start the server first: examples/ircLogBot.md
shows a throwaway ngircd on 127.0.0.1:16667, then

    python3 examples/ircLogBot.py test test.log 127.0.0.1 16667

logs the channel #test to test.log.  Differences from the howto: Python 3
(``IRCClient`` methods take ``str``; the log file is opened as UTF-8 text),
the server comes from the command line instead of being hard-wired, and
``irc_NICK`` also calls the base class so the bot still tracks its own nick.
"""

from __future__ import annotations

import sys
import time
from typing import IO, Any

from plait import log, protocol, reactor
from plait.protocols import irc


class MessageLogger:
    """Writes timestamped lines to a file.

    Kept apart from the protocol on purpose: the bot decides what to log,
    this class only knows how to write it down.
    """

    def __init__(self, file: IO[str]) -> None:
        self.file = file

    def log(self, message: str) -> None:
        """Append one line, stamped with the local time, and flush it."""
        stamp = time.strftime("[%H:%M:%S]", time.localtime(time.time()))
        self.file.write(f"{stamp} {message}\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()


class LogBot(irc.IRCClient):
    """The logging bot: one instance per connection to the server."""

    nickname = "twistedbot"

    def connectionMade(self) -> None:
        irc.IRCClient.connectionMade(self)
        # The file stays open for the whole connection; connectionLost closes it.
        self.logger = MessageLogger(open(self.factory.filename, "a", encoding="utf-8"))  # noqa: SIM115
        self.logger.log(f"[connected at {time.asctime(time.localtime(time.time()))}]")

    def connectionLost(self, reason: Any = protocol.connectionDone) -> None:
        irc.IRCClient.connectionLost(self, reason)
        self.logger.log(f"[disconnected at {time.asctime(time.localtime(time.time()))}]")
        self.logger.close()

    # Callbacks for events.

    def signedOn(self) -> None:
        """Registered with the server: go to our channel."""
        self.join(self.factory.channel)

    def joined(self, channel: str) -> None:
        """The server confirmed that we are in ``channel``."""
        self.logger.log(f"[I have joined {channel}]")

    def privmsg(self, user: str, channel: str, msg: str) -> None:
        """Log every message; answer when whispered to or addressed by name."""
        user = user.split("!", 1)[0]
        self.logger.log(f"<{user}> {msg}")

        # A private message arrives with our own nick as the "channel".
        if channel == self.nickname:
            self.msg(user, "It isn't nice to whisper!  Play nice with the group.")
            return

        # "twistedbot: ..." in the channel is addressed to us.
        if msg.startswith(self.nickname + ":"):
            reply = f"{user}: I am a log bot"
            self.msg(channel, reply)
            self.logger.log(f"<{self.nickname}> {reply}")

    def action(self, user: str, channel: str, msg: str | None) -> None:
        """Someone used /me."""
        user = user.split("!", 1)[0]
        self.logger.log(f"* {user} {msg}")

    # IRC callbacks.

    def irc_NICK(self, prefix: str, params: list[str]) -> None:
        """Someone (maybe us) changed nick."""
        old_nick = prefix.split("!")[0]
        new_nick = params[0]
        self.logger.log(f"{old_nick} is now known as {new_nick}")
        irc.IRCClient.irc_NICK(self, prefix, params)

    def alterCollidedNick(self, nickname: str) -> str:
        """Our nick is taken: try it with a caret (the default adds '_')."""
        return nickname + "^"


class LogBotFactory(protocol.ClientFactory):
    """Builds a LogBot for each connection and holds what the bots share.

    A new protocol instance is made every time we (re)connect; the channel
    and the log file name live here so each one finds them.
    """

    protocol = LogBot

    def __init__(self, channel: str, filename: str) -> None:
        self.channel = channel
        self.filename = filename

    def clientConnectionLost(self, connector: Any, reason: Any) -> None:
        """Dropped by the server: connect again."""
        connector.connect()

    def clientConnectionFailed(self, connector: Any, reason: Any) -> None:
        print("connection failed:", reason.getErrorMessage())
        reactor.stop()


def main(argv: list[str]) -> None:
    if len(argv) not in (3, 4, 5):
        sys.exit("usage: python3 examples/ircLogBot.py <channel> <logfile> [host] [port]")
    channel, filename = argv[1], argv[2]
    host = argv[3] if len(argv) > 3 else "127.0.0.1"
    port = int(argv[4]) if len(argv) > 4 else 6667

    # Log to standard output.
    log.startLogging(sys.stdout)

    # One factory; every connection it makes logs to the same file.
    f = LogBotFactory(channel, filename)
    reactor.connectTCP(host, port, f)
    reactor.run()


if __name__ == "__main__":
    main(sys.argv)
