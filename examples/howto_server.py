"""The server the "Writing Clients" examples talk to.

Usage: python3 examples/howto_server.py [PORT] [--drop SECONDS]

On each connection it writes a greeting line, then echoes every line it
receives back as ``echo: <line>``.  With ``--drop`` it closes each connection
that many seconds after it was made, so the reconnecting clients have
something to reconnect after.  It prints ``listening on <port>`` once ready
(PORT 0, the default, picks a free port).
"""

import sys

from plait import reactor
from plait.protocol import Factory
from plait.protocols.basic import LineReceiver


class HowtoServerProtocol(LineReceiver):
    # The howto's Greeter ends its messages with a bare "\n"; accept both.
    delimiter = b"\n"

    def connectionMade(self):
        self.sendLine(b"Hello from the howto server")
        if self.factory.dropAfter is not None:
            self._drop = reactor.callLater(self.factory.dropAfter, self.transport.loseConnection)

    def lineReceived(self, line):
        self.sendLine(b"echo: " + line.rstrip(b"\r"))

    def connectionLost(self, reason):
        drop = getattr(self, "_drop", None)
        if drop is not None and drop.active():
            drop.cancel()


class HowtoServerFactory(Factory):
    protocol = HowtoServerProtocol
    noisy = False

    def __init__(self, dropAfter=None):
        self.dropAfter = dropAfter


def main(argv):
    port, dropAfter = 0, None
    args = list(argv)
    if "--drop" in args:
        i = args.index("--drop")
        dropAfter = float(args[i + 1])
        del args[i : i + 2]
    if args:
        port = int(args[0])
    listening = reactor.listenTCP(port, HowtoServerFactory(dropAfter), interface="127.0.0.1")
    print("listening on", listening.getHost().port, flush=True)
    reactor.run()


if __name__ == "__main__":
    main(sys.argv[1:])
