"""Say one line on an IRC channel and print what is said back: a tiny IRC client.

Usage: python3 examples/irc_say.py HOST PORT CHANNEL MESSAGE [SECONDS]

Start an IRC server first (examples/ircLogBot.md starts a throwaway ngircd
on 127.0.0.1:16667), and whoever should answer (the log bot).  This joins
CHANNEL as ``alice``, says MESSAGE, prints each line said in the channel,
and quits as soon as somebody addresses ``alice:`` or after SECONDS
(default 5).  It is what you would otherwise need an IRC client for:

    python3 examples/irc_say.py 127.0.0.1 16667 '#test' 'twistedbot: hello'

prints

    <alice> twistedbot: hello
    <twistedbot> alice: I am a log bot

Exit status: 0 after it spoke, 1 if it could not connect or sign on.
"""

import sys

from plait import protocol, reactor
from plait.protocols import irc


class Say(irc.IRCClient):
    nickname = "alice"

    def connectionMade(self):
        irc.IRCClient.connectionMade(self)
        # Give up if the server never lets us sign on and speak.
        self.deadline = reactor.callLater(self.factory.seconds, self.quit, "out of time")

    def connectionLost(self, reason):
        irc.IRCClient.connectionLost(self, reason)
        if self.deadline.active():
            self.deadline.cancel()

    def signedOn(self):
        self.join(self.factory.channel)

    def joined(self, channel):
        self.say(channel, self.factory.message)
        print(f"<{self.nickname}> {self.factory.message}", flush=True)
        self.factory.spoke = True

    def privmsg(self, user, channel, message):
        print(f"<{user.split('!', 1)[0]}> {message}", flush=True)
        if message.startswith(self.nickname + ":"):
            self.quit("thanks")


class SayFactory(protocol.ClientFactory):
    protocol = Say

    def __init__(self, channel, message, seconds):
        self.channel = channel
        self.message = message
        self.seconds = seconds
        self.spoke = False

    def clientConnectionLost(self, connector, reason):
        reactor.stop()

    def clientConnectionFailed(self, connector, reason):
        print("connection failed:", reason.getErrorMessage(), file=sys.stderr)
        reactor.stop()


def main(argv):
    if len(argv) not in (5, 6):
        sys.exit("usage: python3 examples/irc_say.py HOST PORT CHANNEL MESSAGE [SECONDS]")
    host, port, channel, message = argv[1], int(argv[2]), argv[3], argv[4]
    if channel[:1] not in "#&!+":
        channel = "#" + channel
    factory = SayFactory(channel, message, float(argv[5]) if len(argv) > 5 else 5.0)
    reactor.connectTCP(host, port, factory)
    reactor.run()
    sys.exit(0 if factory.spoke else 1)


if __name__ == "__main__":
    main(sys.argv)
